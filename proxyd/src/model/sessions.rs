//! The sessions in progress, for `show sess` and `shutdown session`. A session registers when
//! it starts and leaves when its guard drops. Entries live in a slab of small fixed-size slots
//! (ids, not names; the client address packed): every idle connection pays for one, so the
//! table adds about 60 bytes per session and one short lock at each end.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::server::ServerRt;

/// One session as `show sess` prints it. Proxies are kept by id (looked up in the running
/// model when printed); the server weakly, as it may leave the model (a reload, `del server`)
/// while the session goes on.
#[derive(Debug, Clone)]
pub struct Entry {
    ip: [u8; 16],
    port: u16,
    v4: bool,
    /// `shutdown session` asked for its end.
    pub killed: bool,
    pub frontend: u32,
    pub backend: u32,
    /// Microseconds from the table's creation to the accept.
    started_us: u64,
    /// None until a server is assigned.
    pub server: Option<Weak<ServerRt>>,
    /// The port the connection to the server went to (the client's with mapped ports).
    pub server_port: u16,
}

impl Entry {
    pub fn peer(&self) -> SocketAddr {
        let ip = if self.v4 {
            IpAddr::V4(Ipv4Addr::new(
                self.ip[0], self.ip[1], self.ip[2], self.ip[3],
            ))
        } else {
            IpAddr::V6(Ipv6Addr::from(self.ip))
        };
        SocketAddr::new(ip, self.port)
    }
}

#[derive(Debug, Default, Clone)]
struct Slot {
    /// Bumped each time the slot is reused, so an old id never names a new session.
    generation: u32,
    entry: Option<Entry>,
}

/// Slots come in chunks that never move: the table grows without the doubling copies of a
/// `Vec`, whose abandoned halves would stay in the process's memory.
const CHUNK: usize = 256;

#[derive(Debug, Default)]
struct Slab {
    chunks: Vec<Box<[Slot]>>,
    free: Vec<u32>,
}

impl Slab {
    fn slot(&mut self, index: usize) -> Option<&mut Slot> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    /// The entry an id names, if that session is still there.
    fn find(&mut self, id: u64) -> Option<&mut Entry> {
        let index = (id & 0xffff_ffff).checked_sub(1)? as usize;
        let slot = self.slot(index)?;
        if u64::from(slot.generation) != id >> 32 {
            return None;
        }
        slot.entry.as_mut()
    }

    /// A free slot's index, adding a chunk when none is left.
    fn take_free(&mut self) -> usize {
        if let Some(i) = self.free.pop() {
            return i as usize;
        }
        let base = self.chunks.len() * CHUNK;
        self.chunks
            .push(vec![Slot::default(); CHUNK].into_boxed_slice());
        // The new chunk's other slots, handed out lowest first.
        self.free
            .extend((base as u32 + 1..(base + CHUNK) as u32).rev());
        base
    }

    fn slots(&self) -> impl Iterator<Item = (usize, &Slot)> {
        self.chunks.iter().flat_map(|c| c.iter()).enumerate()
    }
}

#[derive(Debug)]
pub struct SessionTable {
    epoch: Instant,
    slab: Mutex<Slab>,
}

impl Default for SessionTable {
    fn default() -> Self {
        SessionTable {
            epoch: Instant::now(),
            slab: Mutex::default(),
        }
    }
}

impl SessionTable {
    fn slab(&self) -> MutexGuard<'_, Slab> {
        // Entries are plain data: a panic elsewhere cannot leave one half-written.
        self.slab.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Register a session; it stays listed until the returned guard drops.
    pub fn register(self: &Arc<Self>, peer: SocketAddr, frontend: u32, backend: u32) -> Registered {
        let (ip, v4) = match peer.ip() {
            IpAddr::V4(a) => {
                let mut ip = [0; 16];
                ip[..4].copy_from_slice(&a.octets());
                (ip, true)
            }
            IpAddr::V6(a) => (a.octets(), false),
        };
        let entry = Entry {
            ip,
            port: peer.port(),
            v4,
            killed: false,
            frontend,
            backend,
            started_us: self.epoch.elapsed().as_micros() as u64,
            server: None,
            server_port: 0,
        };
        let mut slab = self.slab();
        let index = slab.take_free();
        let generation = match slab.slot(index) {
            Some(slot) => {
                slot.generation = slot.generation.wrapping_add(1);
                slot.entry = Some(entry);
                slot.generation
            }
            None => 0,
        };
        let id = u64::from(generation) << 32 | (index as u64 + 1);
        Registered {
            table: self.clone(),
            id,
        }
    }

    /// How long ago a session was accepted.
    pub fn age(&self, e: &Entry) -> Duration {
        self.epoch
            .elapsed()
            .saturating_sub(Duration::from_micros(e.started_us))
    }

    pub fn get(&self, id: u64) -> Option<Entry> {
        self.slab().find(id).map(|e| e.clone())
    }

    /// Every session, oldest first.
    pub fn snapshot(&self) -> Vec<(u64, Entry)> {
        let slab = self.slab();
        let mut all: Vec<(u64, Entry)> = slab
            .slots()
            .filter_map(|(i, s)| {
                let id = u64::from(s.generation) << 32 | (i as u64 + 1);
                s.entry.as_ref().map(|e| (id, e.clone()))
            })
            .collect();
        drop(slab);
        all.sort_unstable_by_key(|(_, e)| e.started_us);
        all
    }

    /// Mark a session for ending and wake it. False when there is no such session.
    pub fn kill(&self, id: u64) -> bool {
        let server = {
            let mut slab = self.slab();
            let Some(e) = slab.find(id) else {
                return false;
            };
            e.killed = true;
            e.server.clone()
        };
        // A forwarding session waits on its server's signal; one still connecting looks at
        // its entry once connected.
        if let Some(srv) = server.and_then(|w| w.upgrade()) {
            srv.wake_sessions();
        }
        true
    }

    pub fn len(&self) -> usize {
        self.slab()
            .slots()
            .filter(|(_, s)| s.entry.is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A registered session: updates its entry, and removes it when dropped.
#[derive(Debug)]
pub struct Registered {
    table: Arc<SessionTable>,
    id: u64,
}

impl Registered {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn set_server(&self, server: &Arc<ServerRt>, port: u16) {
        if let Some(e) = self.table.slab().find(self.id) {
            e.server = Some(Arc::downgrade(server));
            e.server_port = port;
        }
    }

    pub fn killed(&self) -> bool {
        self.table.slab().find(self.id).is_some_and(|e| e.killed)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut slab = self.table.slab();
        let index = (self.id & 0xffff_ffff) as usize - 1;
        if slab.find(self.id).is_some() {
            if let Some(slot) = slab.slot(index) {
                slot.entry = None;
            }
            slab.free.push(index as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_listed_while_registered_and_can_be_marked_for_ending() {
        let t = Arc::new(SessionTable::default());
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let a = t.register(peer, 2, 3);
        let b = t.register("[::1]:5".parse().unwrap(), 2, 3);
        let listed: Vec<(u64, SocketAddr)> =
            t.snapshot().iter().map(|(i, e)| (*i, e.peer())).collect();
        assert_eq!(
            listed,
            vec![(a.id(), peer), (b.id(), "[::1]:5".parse().unwrap())]
        );
        assert!(t.kill(b.id()));
        assert!(b.killed() && !a.killed());
        let old = b.id();
        drop(b);
        assert_eq!(t.len(), 1);
        // The freed slot is reused under a new id; the old one names nothing.
        let c = t.register(peer, 2, 3);
        assert_ne!(c.id(), old);
        assert!(t.get(old).is_none() && !t.kill(old) && !t.kill(999) && !t.kill(0));
        assert!(t.get(c.id()).is_some_and(|e| !e.killed));
        // Every idle connection pays for a slot.
        assert!(
            std::mem::size_of::<Slot>() <= 56,
            "{}",
            std::mem::size_of::<Slot>()
        );
    }
}
