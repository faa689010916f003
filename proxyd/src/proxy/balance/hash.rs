//! HAProxy's hash-based and map-based server choices: the server map that `static-rr` rotates
//! over and `balance source` indexes (`lb_map.c`), the consistent-hash ring of `hash-type
//! consistent` (`lb_chash.c`), and what `balance source` hashes.

use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::has_free_slot;
use crate::model::server::ServerRt;

/// HAProxy's server map for `static-rr` and static hashing (`recalc_server_map`): as many slots
/// as the group's total effective weight, filled in rounds where each server adds its weight to
/// a score and the best score, counted in whole multiples of the total (so ties go to the server
/// declared first), takes the slot and pays the total back.
#[derive(Debug, Default)]
pub struct SlotMap {
    /// (index in the server list, effective weight) of each server in the map.
    built_for: Vec<(usize, u64)>,
    slots: Vec<usize>,
    /// `static-rr`: the slot the next pick starts from. Kept when the map is rebuilt, as
    /// HAProxy keeps it.
    next: usize,
}

impl SlotMap {
    pub fn update(&mut self, servers: &[Arc<ServerRt>], group: &[usize]) {
        // Weights are divided by the greatest common divisor of every server's configured
        // weight (HAProxy's `wmult`), rounding up. Static algorithms refuse `add server`, so the
        // servers are those HAProxy computed it from at start.
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

    /// `map_get_server_rr`: the first slot from where the last pick stopped whose server has a
    /// free connection slot, stepping over `avoid` unless nothing else is free.
    pub fn rotate(&mut self, servers: &[Arc<ServerRt>], avoid: Option<usize>) -> Option<usize> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        if self.next >= n {
            self.next = 0;
        }
        let mut at = self.next;
        let mut fallback = None;
        loop {
            let i = self.slots[at];
            at += 1;
            if has_free_slot(&servers[i]) {
                if Some(i) != avoid {
                    self.next = at;
                    return Some(i);
                }
                fallback = Some((i, at));
            }
            if at == n {
                at = 0;
            }
            if at == self.next {
                break;
            }
        }
        let (i, at) = fallback?;
        self.next = at;
        Some(i)
    }

    pub fn slot(&self, hash: u32) -> Option<usize> {
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
pub struct Ring {
    /// (index in the server list, id, effective weight) of each server on the ring: what the
    /// ring was built from.
    built_for: Vec<(usize, u32, u64)>,
    points: Vec<(u32, usize)>,
}

/// `SRV_EWGHT_RANGE`: the key space HAProxy gives each server id for its points.
const EWEIGHT_RANGE: u32 = 256 * 16;

impl Ring {
    pub fn update(&mut self, servers: &[Arc<ServerRt>], group: &[usize]) {
        let wanted: Vec<(usize, u32, u64)> = group
            .iter()
            .map(|&i| (i, servers[i].ring_id(), servers[i].eweight(true)))
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
    /// onwards around the ring past any point of `avoid` or of a server `eligible` refuses.
    pub fn lookup(
        &self,
        hash: u32,
        avoid: Option<usize>,
        eligible: impl Fn(usize) -> bool,
    ) -> Option<usize> {
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
        // HAProxy gives up the second time it wraps around, keeping the last point it looked at.
        let mut wraps = 0;
        while Some(self.points[at].1) == avoid || !eligible(self.points[at].1) {
            if at + 1 == n {
                wraps += 1;
                if wraps > 1 {
                    break;
                }
                at = 0;
            } else {
                at += 1;
            }
        }
        Some(self.points[at].1)
    }
}

/// `chash_server_is_eligible` for `hash-balance-factor` `factor` (percent): the backend's
/// sessions plus the one being placed, times the factor, shared out as slots in proportion to
/// the weights of `group` (whole slots per weight unit, the rest by each server's span of the
/// cumulated weights, never less than one); a server is eligible while it serves fewer sessions
/// than its slots.
pub fn bounded_load(
    servers: &[Arc<ServerRt>],
    group: &[usize],
    factor: u32,
) -> impl Fn(usize) -> bool {
    let scur: Vec<u64> = servers
        .iter()
        .map(|s| s.counters.scur.load(Relaxed))
        .collect();
    // (cumulated weight of the group's servers before it, its weight), per list position.
    let mut span = vec![(0u64, 0u64); servers.len()];
    let mut total = 0u64;
    for &i in group {
        let w = servers[i].eweight(true);
        span[i] = (total, w);
        total += w;
    }
    let slots_total = ((scur.iter().sum::<u64>() + 1) * u64::from(factor)).div_ceil(100);
    move |i| {
        if total == 0 {
            return true;
        }
        let (per_weight, rest) = (slots_total / total, slots_total % total);
        let (c, w) = span[i];
        let slots = (w * per_weight + (c + w) * rest / total - c * rest / total).max(1);
        scur[i] < slots
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

/// What `balance source` hashes: the client address as a number (IPv6: its four words XORed),
/// through the avalanche hash when `hash-type` asks for it.
pub fn source_word(client: IpAddr, avalanche: bool) -> u32 {
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
