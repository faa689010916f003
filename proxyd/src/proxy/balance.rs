//! Server selection: HAProxy's algorithms over the servers that can take traffic now.
//!
//! Backups are considered only when no active server is usable, and then only the first usable
//! backup (HAProxy without `option allbackups`). Full servers (at `maxconn`) are skipped; when
//! every candidate is full the caller queues the connection.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use crate::config::Balance;
use crate::model::server::ServerRt;
use crate::model::BackendRt;

#[derive(Debug)]
pub struct LbState {
    /// Smooth weighted round-robin accumulators, one per server of `list`.
    current: Vec<i64>,
    /// The server list `current` was counted for (its address): a list changed by `add
    /// server` / `del server` starts the rotation afresh.
    list: usize,
    /// Rotation point for leastconn ties.
    next: usize,
    rng: u64,
}

impl Default for LbState {
    fn default() -> LbState {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        LbState {
            current: Vec::new(),
            list: 0,
            next: 0,
            rng: seed | 1,
        }
    }
}

impl LbState {
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

pub fn has_free_slot(s: &ServerRt) -> bool {
    let max = s.current_maxconn() as u64;
    max == 0 || s.counters.scur.load(Relaxed) < max
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
    // Round robin steps over the server it avoids, as HAProxy's tree does, so a redispatch
    // away from a dead server leaves the rotation where it would have been.
    let rr_all: Vec<usize> = cands
        .iter()
        .copied()
        .filter(|&i| has_free_slot(&servers[i]))
        .collect();
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
    let free: Vec<usize> = cands
        .iter()
        .copied()
        .filter(|&i| has_free_slot(&servers[i]))
        .collect();
    if free.is_empty() {
        return Pick::Full;
    }
    let Ok(mut lb) = be.lb.lock() else {
        return Pick::Server(servers[free[0]].clone());
    };
    let id = Arc::as_ptr(&list) as usize;
    if lb.list != id || lb.current.len() != servers.len() {
        lb.current = vec![0; servers.len()];
        lb.list = id;
    }
    let idx = match be.balance {
        Balance::RoundRobin | Balance::StaticRr => {
            let dynamic = !be.balance.is_static();
            let mut idx = smooth_wrr(&mut lb, servers, &rr_all, dynamic);
            for _ in 1..rr_all.len() {
                if Some(idx) != excluded || free.len() == rr_all.len() {
                    break;
                }
                idx = smooth_wrr(&mut lb, servers, &rr_all, dynamic);
            }
            if Some(idx) == excluded && !free.contains(&idx) {
                idx = free[0];
            }
            idx
        }
        Balance::LeastConn => least_conn(&mut lb, servers, &free),
        Balance::First => *free
            .iter()
            .min_by_key(|&&i| servers[i].id)
            .unwrap_or(&free[0]),
        Balance::Source => source_hash(servers, &cands, &free, client),
        Balance::Random { draws } => random_pick(&mut lb, servers, &free, draws),
    };
    Pick::Server(servers[idx].clone())
}

/// The effective weight (throttled during `slowstart` with a dynamic algorithm).
fn weight(s: &ServerRt, dynamic: bool) -> i64 {
    s.eweight(dynamic) as i64
}

/// nginx-style smooth weighted round robin: spreads a 3:1 weighting as a,a,b,a rather than
/// bursts, which is what HAProxy's weighted tree achieves too.
fn smooth_wrr(lb: &mut LbState, servers: &[Arc<ServerRt>], free: &[usize], dynamic: bool) -> usize {
    let total: i64 = free.iter().map(|&i| weight(&servers[i], dynamic)).sum();
    let mut best = free[0];
    let mut best_val = i64::MIN;
    for &i in free {
        lb.current[i] += weight(&servers[i], dynamic);
        if lb.current[i] > best_val {
            best_val = lb.current[i];
            best = i;
        }
    }
    lb.current[best] -= total;
    best
}

/// Fewest current sessions relative to weight; ties rotate so equal servers share the load.
fn least_conn(lb: &mut LbState, servers: &[Arc<ServerRt>], free: &[usize]) -> usize {
    let n = free.len();
    let start = lb.next % n;
    lb.next = lb.next.wrapping_add(1);
    let mut best = free[start];
    let mut best_load = u128::MAX;
    for k in 0..n {
        let i = free[(start + k) % n];
        let s = &servers[i];
        let w = weight(s, true).max(1) as u128;
        // Compare scur/w without floats: scale by a common factor.
        let load = (s.counters.scur.load(Relaxed) as u128 * 1_000_000) / w;
        if load < best_load {
            best_load = load;
            best = i;
        }
    }
    best
}

/// HAProxy's default `balance source` (map-based, no avalanche): the client address, as a
/// number (IPv6: its four words XORed), modulo the total weight indexes HAProxy's server map,
/// whose slots follow the smooth weighted rotation. A client keeps its server as long as the
/// server set does not change; when that server is full the next free one is used.
fn source_hash(
    servers: &[Arc<ServerRt>],
    cands: &[usize],
    free: &[usize],
    client: IpAddr,
) -> usize {
    let weights: Vec<i64> = cands.iter().map(|&i| weight(&servers[i], false)).collect();
    let total: i64 = weights.iter().sum();
    if total == 0 || cands.len() == 1 {
        return if free.contains(&cands[0]) {
            cands[0]
        } else {
            free[0]
        };
    }
    let h = match client {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => v6.octets().chunks(4).fold(0u32, |h, c| {
            h ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        }),
    };
    let slot = (h as i64) % total;
    // Walk the map up to the slot: O(total weight), computed per connection because the map
    // changes with every weight or state change.
    let mut score = vec![0i64; cands.len()];
    let mut chosen = 0;
    for _ in 0..=slot {
        let mut best = 0;
        for k in 0..cands.len() {
            score[k] += weights[k];
            if score[k] > score[best] {
                best = k;
            }
        }
        score[best] -= total;
        chosen = best;
    }
    let i = cands[chosen];
    if free.contains(&i) {
        i
    } else {
        free[0]
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
