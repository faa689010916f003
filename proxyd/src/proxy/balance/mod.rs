//! Server selection: HAProxy's algorithms over the servers that can take traffic now, built as
//! HAProxy builds them so that servers come in the same order.
//!
//! - `fwrr`: `roundrobin`'s weighted trees; `fwlc`: `leastconn`'s load tree.
//! - `hash`: the server map (`static-rr`, `source` map-based) and the consistent-hash ring.
//! - `roster`: what those structures last saw of each server's state and weight.
//!
//! Backups are considered only when no active server is usable: then every usable backup,
//! balanced in trees of their own, with `option allbackups`; without it the first usable one,
//! which HAProxy's balancers hand out whether it has room or not (`static-rr` and `random`
//! aside). Full
//! servers (at `maxconn`) are skipped, except by the algorithms that name a server (`source`,
//! `leastconn` within `maxqueue`, the first backup), whose connections then wait in that
//! server's queue; when every candidate is full the caller queues the connection in the
//! backend's.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crate::config::{Balance, HashType};
use crate::model::server::ServerRt;
use crate::model::BackendRt;
use fwlc::Fwlc;
use fwrr::Fwrr;
use hash::{bounded_load, source_word, Ring, SlotMap};

mod fwlc;
mod fwrr;
mod hash;
mod roster;

#[derive(Debug)]
pub struct LbState {
    /// `roundrobin`'s trees: actives', backups'.
    fwrr: Fwrr,
    fwrr_bck: Fwrr,
    /// `leastconn`'s trees: actives', backups'.
    fwlc: Fwlc,
    fwlc_bck: Fwlc,
    rng: u64,
    /// `hash-type consistent`: the ring, rebuilt when its servers or weights change.
    ring: Ring,
    /// `hash-type map-based`: the map, rebuilt likewise.
    map: SlotMap,
}

impl Default for LbState {
    fn default() -> LbState {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        LbState {
            fwrr: Fwrr::default(),
            fwrr_bck: Fwrr::backups(),
            fwlc: Fwlc::default(),
            fwlc_bck: Fwlc::backups(),
            rng: seed | 1,
            ring: Ring::default(),
            map: SlotMap::default(),
        }
    }
}

impl LbState {
    /// Builds the backend's trees from its servers in their starting state, as HAProxy does
    /// before anything can change them. The backups' trees serve only with `option allbackups`.
    pub fn start(&mut self, balance: Balance, all_backups: bool, servers: &[Arc<ServerRt>]) {
        match balance {
            Balance::RoundRobin => {
                self.fwrr.sync(servers);
                if all_backups {
                    self.fwrr_bck.sync(servers);
                }
            }
            Balance::LeastConn => {
                self.fwlc.sync(servers);
                if all_backups {
                    self.fwlc_bck.sync(servers);
                }
            }
            _ => {}
        }
    }

    fn fwrr(&mut self, backup: bool) -> &mut Fwrr {
        match backup {
            false => &mut self.fwrr,
            true => &mut self.fwrr_bck,
        }
    }

    fn fwlc(&mut self, backup: bool) -> &mut Fwlc {
        match backup {
            false => &mut self.fwlc,
            true => &mut self.fwlc_bck,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: statistical quality is plenty for spreading connections.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Debug)]
pub enum Pick {
    /// A server that had room when it was picked.
    Server(Arc<ServerRt>),
    /// A server the balancing names whether it has room or not: when it has none, the
    /// connection waits in its queue.
    Named(Arc<ServerRt>),
    /// Usable servers exist but all are at their `maxconn`.
    Full,
    /// `random`'s least loaded draw is full: wait in the backend's queue for a slot to free
    /// (HAProxy's `get_server_rnd`), even while another server has room.
    DrawFull,
    /// No server can take traffic.
    NoServer,
}

/// `srv` took or gave back a session, or one joined or left its queue: `leastconn` moves it in
/// its tree (HAProxy's `server_take_conn` / `server_drop_conn`).
pub fn sessions_changed(be: &BackendRt, srv: &ServerRt) {
    if be.balance == Balance::LeastConn {
        if let Ok(mut lb) = be.lb.lock() {
            lb.fwlc(srv.backup).reposition(srv);
        }
    }
}

/// Room for a new connection now: under `maxconn`, nobody waiting in its own queue.
pub fn has_free_slot(s: &ServerRt) -> bool {
    let max = s.current_maxconn() as u64;
    max == 0 || (s.counters.qcur.load(Relaxed) == 0 && s.counters.scur.load(Relaxed) < max)
}

/// `leastconn`'s test: room in its slots and its queue together (`maxconn + maxqueue`).
fn within_queue_room(s: &ServerRt) -> bool {
    let max = u64::from(s.current_maxconn());
    max == 0
        || s.counters.scur.load(Relaxed) + s.counters.qcur.load(Relaxed)
            < max + u64::from(s.maxqueue)
}

/// Whether a server other than `srv` could take a new connection now (free slot or not).
pub fn has_alternative(be: &BackendRt, srv: &Arc<ServerRt>) -> bool {
    let servers = be.servers();
    candidates(&servers, be.all_backups)
        .0
        .iter()
        .any(|&i| !Arc::ptr_eq(&servers[i], srv))
}

/// The servers balancing may pick now, HAProxy's test before a server hands its free slots to
/// the backend's waiters: a backup never serves them while an active server is usable (nor,
/// without `option allbackups`, while another backup comes first).
pub fn in_service(be: &BackendRt) -> Vec<Arc<ServerRt>> {
    let servers = be.servers();
    let (cands, _) = candidates(&servers, be.all_backups);
    cands.into_iter().map(|i| servers[i].clone()).collect()
}

/// Which servers balancing picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Active,
    /// No active server usable, `option allbackups`.
    Backups,
    /// No active server usable: HAProxy's `fbck`.
    FirstBackup,
}

/// Indices of the servers eligible right now: usable actives, else the usable backups with
/// `all_backups`, else the first usable backup.
fn candidates(servers: &[Arc<ServerRt>], all_backups: bool) -> (Vec<usize>, Group) {
    let usable = |backup: bool| {
        (0..servers.len()).filter(move |&i| servers[i].backup == backup && servers[i].is_usable())
    };
    let act: Vec<usize> = usable(false).collect();
    if !act.is_empty() {
        return (act, Group::Active);
    }
    if all_backups {
        return (usable(true).collect(), Group::Backups);
    }
    (usable(true).take(1).collect(), Group::FirstBackup)
}

/// Pick a server for a new connection. `exclude` is the server a redispatch moves away from.
pub fn pick(be: &BackendRt, client: IpAddr, exclude: Option<&Arc<ServerRt>>) -> Pick {
    let list = be.servers();
    let servers = list.as_slice();
    let (mut cands, kind) = candidates(servers, be.all_backups);
    // The hashes and rotations look at every eligible server and step over the avoided one
    // themselves, as HAProxy's do.
    let group = cands.clone();
    let excluded = exclude.and_then(|ex| {
        cands
            .iter()
            .copied()
            .find(|&i| Arc::ptr_eq(&servers[i], ex))
    });
    if let Some(ex) = exclude {
        if cands.len() > 1 {
            cands.retain(|&i| !Arc::ptr_eq(&servers[i], ex));
        }
    }
    if cands.is_empty() {
        return Pick::NoServer;
    }
    // HAProxy's assign_server(): with these algorithms a backend queue means every server is
    // full, so a newcomer queues behind the waiters even where a `minconn` limit just grew.
    let queued = be.counters.qcur.load(Relaxed);
    if queued > 0
        && queued != be.counters.scur.load(Relaxed)
        && matches!(
            be.balance,
            Balance::RoundRobin | Balance::StaticRr | Balance::First
        )
    {
        return Pick::Full;
    }
    let Ok(mut lb) = be.lb.lock() else {
        return Pick::NoServer;
    };
    // The algorithms that may name a full server. HAProxy's balancers return the first backup
    // without looking at its load, except `static-rr`'s map rotation, which passes over it when
    // full, and `random`, which then sends the connection to the backend's queue.
    let fbck_named = !matches!(be.balance, Balance::StaticRr | Balance::Random { .. });
    let named = match be.balance {
        _ if kind == Group::FirstBackup && fbck_named => Some(Some(group[0])),
        Balance::Source(hash) => Some(source_server(
            &mut lb, servers, &group, excluded, client, hash,
        )),
        Balance::LeastConn => Some(
            lb.fwlc(kind == Group::Backups)
                .next(servers, excluded, |i| within_queue_room(&servers[i])),
        ),
        _ => None,
    };
    match named {
        Some(Some(i)) => return Pick::Named(servers[i].clone()),
        Some(None) => return Pick::Full,
        None => {}
    }
    if let Balance::Random { draws } = be.balance {
        let i = random_pick(&mut lb, servers, &cands, draws);
        return match has_free_slot(&servers[i]) {
            true => Pick::Server(servers[i].clone()),
            false if cands.iter().any(|&k| has_free_slot(&servers[k])) => Pick::DrawFull,
            false => Pick::Full,
        };
    }
    let free: Vec<usize> = cands
        .iter()
        .copied()
        .filter(|&i| has_free_slot(&servers[i]))
        .collect();
    if free.is_empty() {
        return Pick::Full;
    }
    let idx = match be.balance {
        Balance::StaticRr => {
            lb.map.update(servers, &group);
            lb.map.rotate(servers, excluded).unwrap_or(free[0])
        }
        Balance::RoundRobin => lb
            .fwrr(kind == Group::Backups)
            .next(servers, excluded, |i| has_free_slot(&servers[i]))
            .unwrap_or(free[0]),
        // Named above.
        Balance::LeastConn => free[0],
        Balance::First => *free
            .iter()
            .min_by_key(|&&i| servers[i].id())
            .unwrap_or(&free[0]),
        // Named above.
        Balance::Source(_) => free[0],
        // Drawn above.
        Balance::Random { .. } => free[0],
    };
    Pick::Server(servers[idx].clone())
}

/// The effective weight (throttled during `slowstart` with a dynamic algorithm).
fn weight(s: &ServerRt, dynamic: bool) -> i64 {
    s.eweight(dynamic) as i64
}

/// `balance source`: the client's hash picks a point on the ring (`consistent`, stepping past
/// `avoid`) or a slot of the map (`map-based`, which knows no avoiding). HAProxy does not hash
/// when one server is left. The server is named whether or not it has room: its clients wait
/// for it in its own queue.
fn source_server(
    lb: &mut LbState,
    servers: &[Arc<ServerRt>],
    group: &[usize],
    avoid: Option<usize>,
    client: IpAddr,
    hash: HashType,
) -> Option<usize> {
    let h = if group.len() == 1 {
        0
    } else {
        source_word(client, hash.avalanche)
    };
    if hash.consistent {
        lb.ring.update(servers, group);
        match hash.balance_factor {
            0 => lb.ring.lookup(h, avoid, |_| true),
            factor => lb
                .ring
                .lookup(h, avoid, bounded_load(servers, group, factor)),
        }
    } else {
        lb.map.update(servers, group);
        lb.map.slot(h)
    }
}

/// Power of `draws` choices among `cands`, full or not: weighted random draws, keeping the server
/// with the fewest sessions per unit of weight (HAProxy's `get_server_rnd`; a tie goes to the
/// later draw).
fn random_pick(lb: &mut LbState, servers: &[Arc<ServerRt>], cands: &[usize], draws: u32) -> usize {
    let total: u64 = cands
        .iter()
        .map(|&i| weight(&servers[i], true) as u64)
        .sum();
    let mut best: Option<usize> = None;
    for _ in 0..draws.max(1) {
        let i = if total == 0 {
            cands[(lb.random() % cands.len() as u64) as usize]
        } else {
            let mut slot = lb.random() % total;
            let mut chosen = cands[0];
            for &i in cands {
                let w = weight(&servers[i], true) as u64;
                if slot < w {
                    chosen = i;
                    break;
                }
                slot -= w;
            }
            chosen
        };
        let load = |k: usize| servers[k].counters.scur.load(Relaxed);
        let w = |k: usize| weight(&servers[k], true).max(0) as u64;
        best = match best {
            Some(b) if b != i && load(i) * w(b) > load(b) * w(i) => Some(b),
            _ => Some(i),
        };
    }
    best.unwrap_or(cands[0])
}
