//! What a balancer's trees were last told about each server. HAProxy calls its balancer back on
//! every change of a server's state or weight; proxyd compares instead, before each pick, and
//! replays the differences in list order. Servers are numbered for the trees in the order they
//! were first seen, so `add server` / `del server` never renumber them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};

use crate::model::server::ServerRt;

/// One server's committed (`cur_*`) and pending (`next_*`) state, as HAProxy keeps both while it
/// moves a server.
#[derive(Debug)]
pub struct Seen {
    server: Weak<ServerRt>,
    pub cur_eweight: i64,
    pub cur_usable: bool,
    pub next_eweight: i64,
    pub next_usable: bool,
}

impl Seen {
    /// `srv_currently_usable`.
    pub fn currently_usable(&self) -> bool {
        self.cur_usable && self.cur_eweight > 0
    }

    /// `srv_willbe_usable`.
    pub fn will_be_usable(&self) -> bool {
        self.next_usable && self.next_eweight > 0
    }

    /// `srv_lb_commit_status`.
    pub fn commit(&mut self) {
        self.cur_eweight = self.next_eweight;
        self.cur_usable = self.next_usable;
    }
}

/// What changed since the last look.
pub enum Change {
    /// The backend's first look: build the trees from these servers (their numbers), as HAProxy
    /// does at start.
    Start(Vec<usize>),
    /// These servers' state or weight moved (`next_*` holds the new values), or they left the
    /// list (`next_usable` false).
    Moved(Vec<usize>),
}

#[derive(Debug, Default)]
pub struct Roster {
    /// Which group this roster follows: active servers, or backups (`option allbackups`).
    backup: bool,
    pub seen: Vec<Seen>,
    /// For each position in the list last looked at, its server's number.
    of_server: Vec<usize>,
    list: usize,
    started: bool,
}

impl Roster {
    /// A roster of the backup servers, for the trees `option allbackups` balances over.
    pub fn backups() -> Roster {
        Roster {
            backup: true,
            ..Roster::default()
        }
    }

    /// Compares this roster's group of `servers` (actives or backups) with what was last seen.
    pub fn look(&mut self, servers: &[Arc<ServerRt>]) -> Change {
        let id = servers.as_ptr() as usize;
        let mut moved = Vec::new();
        if !self.started || self.list != id || self.of_server.len() != servers.len() {
            // A server deleted since the last look leaves as it would have when it went into
            // maintenance before its deletion.
            let listed: HashSet<*const ServerRt> = servers.iter().map(Arc::as_ptr).collect();
            for (n, seen) in self.seen.iter_mut().enumerate() {
                if !listed.contains(&seen.server.as_ptr()) && seen.currently_usable() {
                    seen.next_usable = false;
                    moved.push(n);
                }
            }
            let mut known: HashMap<*const ServerRt, usize> = self
                .seen
                .iter()
                .enumerate()
                .map(|(n, seen)| (seen.server.as_ptr(), n))
                .collect();
            self.of_server = servers
                .iter()
                .map(|s| *known.entry(Arc::as_ptr(s)).or_insert_with(|| self.add(s)))
                .collect();
            self.list = id;
        }
        if !self.started {
            self.started = true;
            let mut start = Vec::new();
            for (s, &n) in servers.iter().zip(&self.of_server) {
                if s.backup != self.backup {
                    continue;
                }
                let seen = &mut self.seen[n];
                seen.cur_usable = s.is_usable();
                seen.next_usable = seen.cur_usable;
                if seen.currently_usable() {
                    start.push(n);
                }
            }
            return Change::Start(start);
        }
        for (s, &n) in servers.iter().zip(&self.of_server) {
            if s.backup != self.backup {
                continue;
            }
            let (usable, eweight) = (s.is_usable(), s.eweight(true) as i64);
            let seen = &mut self.seen[n];
            if seen.cur_usable != usable || seen.cur_eweight != eweight {
                seen.next_usable = usable;
                seen.next_eweight = eweight;
                moved.push(n);
            }
        }
        Change::Moved(moved)
    }

    /// Numbers a server seen for the first time. A server added at run time starts unknown to
    /// the trees (it starts in maintenance); its weight is what HAProxy gives it at creation.
    fn add(&mut self, s: &Arc<ServerRt>) -> usize {
        let eweight = s.eweight(true) as i64;
        self.seen.push(Seen {
            server: Arc::downgrade(s),
            cur_eweight: eweight,
            cur_usable: false,
            next_eweight: eweight,
            next_usable: false,
        });
        self.seen.len() - 1
    }

    /// The number of a server, if it was seen.
    pub fn find(&self, s: &ServerRt) -> Option<usize> {
        self.seen
            .iter()
            .position(|seen| std::ptr::eq(seen.server.as_ptr(), s))
    }

    /// The server number of list position `i`.
    pub fn of(&self, i: usize) -> usize {
        self.of_server[i]
    }

    /// The list position of server number `n`, if it is still listed.
    pub fn position(&self, n: usize) -> Option<usize> {
        self.of_server.iter().position(|&m| m == n)
    }

    /// The server number `n`, if it still exists.
    pub fn server(&self, n: usize) -> Option<Arc<ServerRt>> {
        self.seen.get(n).and_then(|s| s.server.upgrade())
    }
}
