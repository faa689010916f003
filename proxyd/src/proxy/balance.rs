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
    /// `hash-type consistent`: the ring, rebuilt when its servers or weights change.
    ring: Ring,
    /// `hash-type map-based`: the map, rebuilt likewise.
    map: SlotMap,
}

/// HAProxy's server map for static hashing (`recalc_server_map`): as many slots as the group's
/// total effective weight, filled in rounds where each server adds its weight to a score and
/// the best score, counted in whole multiples of the total (so ties go to the server declared
/// first), takes the slot and pays the total back.
#[derive(Debug, Default)]
struct SlotMap {
    /// (index in the server list, effective weight) of each server in the map.
    built_for: Vec<(usize, u64)>,
    slots: Vec<usize>,
}

impl SlotMap {
    fn update(&mut self, servers: &[Arc<ServerRt>], group: &[usize]) {
        // Weights are divided by the greatest common divisor of every server's configured
        // weight (HAProxy's `wmult`, set once when the backend starts), rounding up.
        let gcd = servers
            .iter()
            .map(|s| u64::from(s.iweight))
            .filter(|&w| w > 0)
            .reduce(gcd)
            .unwrap_or(1);
        let wanted: Vec<(usize, u64)> = group
            .iter()
            .map(|&i| (i, servers[i].eweight(false).div_ceil(gcd)))
            .collect();
        if wanted == self.built_for {
            return;
        }
        let total = wanted.iter().map(|&(_, w)| w as i64).sum::<i64>();
        let mut score = vec![0i64; wanted.len()];
        self.slots.clear();
        for _ in 0..total {
            let mut best: Option<(usize, i64)> = None;
            for (k, &(_, w)) in wanted.iter().enumerate() {
                if w == 0 {
                    continue;
                }
                score[k] += w as i64;
                let v = (score[k] + total) / total;
                if best.is_none_or(|(_, max)| v > max) {
                    best = Some((k, v));
                }
            }
            let Some((k, _)) = best else { break };
            score[k] -= total;
            self.slots.push(wanted[k].0);
        }
        self.built_for = wanted;
    }

    fn slot(&self, hash: u32) -> Option<usize> {
        let n = self.slots.len();
        (n > 0).then(|| self.slots[hash as usize % n])
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// HAProxy's consistent-hash tree: `eweight` points per usable server (16 per weight point),
/// at keys that depend only on the server's id and the point's rank, so a server keeps its
/// points whatever happens to the others. Sorted by key.
#[derive(Debug, Default)]
struct Ring {
    /// (index in the server list, id, effective weight) of each server on the ring: what the
    /// ring was built from.
    built_for: Vec<(usize, u32, u64)>,
    points: Vec<(u32, usize)>,
}

/// `SRV_EWGHT_RANGE`: the key space HAProxy gives each server id for its points.
const EWEIGHT_RANGE: u32 = 256 * 16;

impl Ring {
    fn update(&mut self, servers: &[Arc<ServerRt>], group: &[usize]) {
        let wanted: Vec<(usize, u32, u64)> = group
            .iter()
            .map(|&i| (i, servers[i].ring_id, servers[i].eweight(true)))
            .collect();
        if wanted == self.built_for {
            return;
        }
        self.points.clear();
        for &(i, id, points) in &wanted {
            for rank in 0..points as u32 {
                let key = full_hash(id.wrapping_mul(EWEIGHT_RANGE).wrapping_add(rank));
                self.points.push((key, i));
            }
        }
        // Stable: equal keys keep insertion order, as HAProxy's tree keeps duplicates.
        self.points.sort_by_key(|&(key, _)| key);
        self.built_for = wanted;
    }

    /// `chash_get_server_hash`: the point nearest to `hash` (the one before it on a tie), then
    /// onwards around the ring past any point of `avoid`.
    fn lookup(&self, hash: u32, avoid: Option<usize>) -> Option<usize> {
        let n = self.points.len();
        if n == 0 {
            return None;
        }
        let next = self.points.partition_point(|&(key, _)| key < hash) % n;
        // The first of the keys equal to the one before: HAProxy's `eb32_prev` reaches it last
        // among duplicates, which only matters if two points share a key.
        let prev = (next + n - 1) % n;
        let (next_key, _) = self.points[next];
        let (prev_key, _) = self.points[prev];
        let mut at = if hash.wrapping_sub(prev_key) <= next_key.wrapping_sub(hash) {
            prev
        } else {
            next
        };
        for _ in 0..n {
            if Some(self.points[at].1) != avoid {
                break;
            }
            at = (at + 1) % n;
        }
        Some(self.points[at].1)
    }
}

/// Bob Jenkins' 32-bit full avalanche hash, as HAProxy's `full_hash`: it places ring points and
/// mixes a source address under `avalanche`.
fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    // Spreads values over the whole ring (a large prime close to 3/4 of 2^32).
    a.wrapping_mul(3_221_225_473)
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
            ring: Ring::default(),
            map: SlotMap::default(),
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
    // Consistent hashing looks at every eligible server and steps over the avoided one itself.
    let group = cands.clone();
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
        Balance::Source(hash) if hash.consistent => {
            let h = if group.len() == 1 {
                0
            } else {
                source_word(client, hash.avalanche)
            };
            lb.ring.update(servers, &group);
            match lb.ring.lookup(h, excluded) {
                Some(i) if free.contains(&i) => i,
                _ => free[0],
            }
        }
        Balance::Source(hash) => {
            source_hash(&mut lb.map, servers, &group, &free, client, hash.avalanche)
        }
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

/// What `balance source` hashes: the client address as a number (IPv6: its four words XORed),
/// through the avalanche hash when `hash-type` asks for it.
fn source_word(client: IpAddr, avalanche: bool) -> u32 {
    let h = match client {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => v6.octets().chunks(4).fold(0u32, |h, c| {
            h ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        }),
    };
    if avalanche {
        full_hash(h)
    } else {
        h
    }
}

/// HAProxy's default `balance source` (map-based): the client's hash modulo the map's length
/// picks a slot. A client keeps its server as long as the server set does not change; when that
/// server is full the next free one is used.
fn source_hash(
    map: &mut SlotMap,
    servers: &[Arc<ServerRt>],
    group: &[usize],
    free: &[usize],
    client: IpAddr,
    avalanche: bool,
) -> usize {
    map.update(servers, group);
    // HAProxy does not hash when one server is left: slot 0.
    let h = if group.len() == 1 {
        0
    } else {
        source_word(client, avalanche)
    };
    match map.slot(h) {
        Some(i) if free.contains(&i) => i,
        _ => free[0],
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
