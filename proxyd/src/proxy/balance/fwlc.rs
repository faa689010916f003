//! HAProxy's `leastconn` (`lb_fwlc.c`): servers in one tree keyed by their load, sessions in
//! progress or waiting in the server's queue per unit of effective weight (`(n + 1) × 4096 /
//! eweight`, 0 when idle). A server is
//! moved to the end of its key's servers whenever its load changes, so idle servers take turns.
//! Backups have a tree of their own, as with `roundrobin`.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::roster::{Change, Roster};
use crate::model::server::ServerRt;

/// `SRV_EWGHT_MAX`.
const EWEIGHT_MAX: u64 = 256 * 16;

#[derive(Debug, Default)]
pub struct Fwlc {
    roster: Roster,
    /// Per server number: in the tree (HAProxy's `lb_tree` set), and where it is linked.
    member: Vec<bool>,
    linked: Vec<Option<(u32, u64)>>,
    tree: BTreeSet<(u32, u64, usize)>,
    inserted: u64,
}

impl Fwlc {
    /// The backups' tree.
    pub fn backups() -> Fwlc {
        Fwlc {
            roster: Roster::backups(),
            ..Fwlc::default()
        }
    }

    fn key(&self, n: usize, eweight: i64) -> u32 {
        // Sessions on the server and those waiting in its own queue.
        let inflight = self.roster.server(n).map_or(0, |s| {
            s.counters.scur.load(Relaxed) + s.counters.qcur.load(Relaxed)
        });
        if inflight == 0 || eweight <= 0 {
            return 0;
        }
        ((inflight + 1) * EWEIGHT_MAX / eweight as u64).min(u64::from(u32::MAX)) as u32
    }

    fn dequeue(&mut self, n: usize) {
        if let Some((key, seq)) = self.linked[n].take() {
            self.tree.remove(&(key, seq, n));
        }
    }

    /// `fwlc_queue_srv`: in at the end of the servers with the same load.
    fn queue(&mut self, n: usize, eweight: i64) {
        let key = self.key(n, eweight);
        self.inserted += 1;
        self.tree.insert((key, self.inserted, n));
        self.linked[n] = Some((key, self.inserted));
    }

    /// `fwlc_update_server_weight`, which also covers a server going up or down.
    fn update(&mut self, n: usize) {
        let seen = &self.roster.seen[n];
        let next = seen.next_eweight;
        match (seen.currently_usable(), seen.will_be_usable()) {
            (false, false) => {}
            (false, true) => {
                self.member[n] = true;
                self.queue(n, next);
            }
            (true, false) => {
                self.dequeue(n);
                self.member[n] = false;
            }
            (true, true) => {
                self.dequeue(n);
                self.queue(n, next);
            }
        }
        self.roster.seen[n].commit();
    }

    /// See [`super::fwrr::Fwrr::sync`].
    pub fn sync(&mut self, servers: &[Arc<ServerRt>]) {
        let change = self.roster.look(servers);
        let known = self.roster.seen.len();
        self.member.resize(known, false);
        self.linked.resize(known, None);
        match change {
            Change::Start(usable) => {
                for n in usable {
                    self.member[n] = true;
                    self.queue(n, self.roster.seen[n].cur_eweight);
                }
            }
            Change::Moved(moved) => {
                for n in moved {
                    self.update(n);
                }
            }
        }
    }

    /// `fwlc_srv_reposition`: `srv` took or gave back a session.
    pub fn reposition(&mut self, srv: &ServerRt) {
        let Some(n) = self.roster.find(srv) else {
            return;
        };
        if !self.member[n] {
            return;
        }
        let key = self.key(n, self.roster.seen[n].cur_eweight);
        if matches!(self.linked[n], Some((k, _)) if k == key) {
            return;
        }
        self.dequeue(n);
        self.queue(n, self.roster.seen[n].cur_eweight);
    }

    /// `fwlc_get_next_server`: the least loaded server (its list position) that `free` accepts,
    /// `avoid` only when nothing else is.
    pub fn next(
        &mut self,
        servers: &[Arc<ServerRt>],
        avoid: Option<usize>,
        free: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.sync(servers);
        let mut avoided = None;
        for &(_, _, n) in &self.tree {
            let Some(i) = self.roster.position(n) else {
                continue;
            };
            if free(i) {
                if Some(i) != avoid {
                    return Some(i);
                }
                avoided = Some(i);
            }
        }
        avoided
    }
}
