//! Server selection: HAProxy's algorithms over the servers that can take traffic now, built as
//! HAProxy builds them so that servers come in the same order.
//!
//! - `fwrr`: `roundrobin`'s weighted trees; `fwlc`: `leastconn`'s load tree.
//! - `hash`: the server map (`static-rr`, `source` map-based) and the consistent-hash ring.
//! - `roster`: what those structures last saw of each server's state and weight.
//!
//! Backups are considered only when no active server is usable, and then only the first usable
//! backup (HAProxy without `option allbackups`). Full servers (at `maxconn`) are skipped, except
//! by the algorithms that name a server (`source`, `leastconn` within `maxqueue`), whose
//! connections then wait in that server's queue; when every candidate is full the caller queues
//! the connection in the backend's.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crate::config::{Balance, HashType};
use crate::model::server::ServerRt;
use crate::model::BackendRt;
use fwlc::Fwlc;
use fwrr::Fwrr;
use hash::{source_word, Ring, SlotMap};

mod fwlc;
mod fwrr;
mod hash;
mod roster;

#[derive(Debug)]
pub struct LbState {
    /// `roundrobin`'s trees.
    fwrr: Fwrr,
    /// `leastconn`'s tree.
    fwlc: Fwlc,
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
            fwlc: Fwlc::default(),
            rng: seed | 1,
            ring: Ring::default(),
            map: SlotMap::default(),
        }
    }
}

impl LbState {
    /// Builds the backend's trees from its servers in their starting state, as HAProxy does
    /// before anything can change them.
    pub fn start(&mut self, balance: Balance, servers: &[Arc<ServerRt>]) {
        match balance {
            Balance::RoundRobin => self.fwrr.sync(servers),
            Balance::LeastConn => self.fwlc.sync(servers),
            _ => {}
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
    Server(Arc<ServerRt>),
    /// Usable servers exist but all are at their `maxconn`.
    Full,
    /// No server can take traffic.
    NoServer,
}

/// `srv` took or gave back a session, or one joined or left its queue: `leastconn` moves it in
/// its tree (HAProxy's `server_take_conn` / `server_drop_conn`).
pub fn sessions_changed(be: &BackendRt, srv: &ServerRt) {
    if be.balance == Balance::LeastConn {
        if let Ok(mut lb) = be.lb.lock() {
            lb.fwlc.reposition(srv);
        }
    }
}

/// Whether the algorithm names servers that may be full, whose connections then wait in that
/// server's own queue: hashes (the client belongs to the server) and `leastconn` within
/// `maxqueue`.
pub fn names_full_servers(be: &BackendRt) -> bool {
    matches!(be.balance, Balance::Source(_) | Balance::LeastConn)
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
    candidates(&servers)
        .iter()
        .any(|&i| !Arc::ptr_eq(&servers[i], srv))
}

/// Indices of the servers eligible right now: usable actives, else the first usable backup.
fn candidates(servers: &[Arc<ServerRt>]) -> Vec<usize> {
    let act: Vec<usize> = (0..servers.len())
        .filter(|&i| !servers[i].backup && servers[i].is_usable())
        .collect();
    if !act.is_empty() {
        return act;
    }
    (0..servers.len())
        .find(|&i| servers[i].backup && servers[i].is_usable())
        .into_iter()
        .collect()
}

/// Pick a server for a new connection. `exclude` is the server a redispatch moves away from.
pub fn pick(be: &BackendRt, client: IpAddr, exclude: Option<&Arc<ServerRt>>) -> Pick {
    let list = be.servers();
    let servers = list.as_slice();
    let mut cands = candidates(servers);
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
    let Ok(mut lb) = be.lb.lock() else {
        return Pick::NoServer;
    };
    // The algorithms that may name a full server.
    let named = match be.balance {
        Balance::Source(hash) => Some(source_server(
            &mut lb, servers, &group, excluded, client, hash,
        )),
        Balance::LeastConn if !servers[group[0]].backup => Some(lb.fwlc.next(
            servers,
            excluded,
            |i| within_queue_room(&servers[i]),
        )),
        _ => None,
    };
    match named {
        Some(Some(i)) => return Pick::Server(servers[i].clone()),
        Some(None) => return Pick::Full,
        None => {}
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
        // Backups are not in the trees: the first usable one serves alone.
        Balance::RoundRobin if servers[group[0]].backup => free[0],
        Balance::RoundRobin => lb
            .fwrr
            .next(servers, excluded, |i| has_free_slot(&servers[i]))
            .unwrap_or(free[0]),
        Balance::LeastConn => free[0],
        Balance::First => *free
            .iter()
            .min_by_key(|&&i| servers[i].id)
            .unwrap_or(&free[0]),
        // Named above.
        Balance::Source(_) => free[0],
        Balance::Random { draws } => random_pick(&mut lb, servers, &free, draws),
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
        lb.ring.lookup(h, avoid)
    } else {
        lb.map.update(servers, group);
        lb.map.slot(h)
    }
}

/// Power of `draws` choices: weighted random draws, keep the least loaded.
fn random_pick(lb: &mut LbState, servers: &[Arc<ServerRt>], free: &[usize], draws: u32) -> usize {
    let total: u64 = free.iter().map(|&i| weight(&servers[i], true) as u64).sum();
    let mut best: Option<usize> = None;
    for _ in 0..draws.max(1) {
        let i = if total == 0 {
            free[(lb.random() % free.len() as u64) as usize]
        } else {
            let mut slot = lb.random() % total;
            let mut chosen = free[0];
            for &i in free {
                let w = weight(&servers[i], true) as u64;
                if slot < w {
                    chosen = i;
                    break;
                }
                slot -= w;
            }
            chosen
        };
        best = match best {
            Some(b)
                if servers[b].counters.scur.load(Relaxed)
                    <= servers[i].counters.scur.load(Relaxed) =>
            {
                Some(b)
            }
            _ => Some(i),
        };
    }
    best.unwrap_or(free[0])
}
