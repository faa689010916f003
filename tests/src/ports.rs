//! Free loopback ports for listeners the daemon under test binds itself.
//!
//! The kernel picks a free port (bind `127.0.0.1:0`), the listener is dropped and the number is
//! handed out. Tests in one binary run in parallel threads, and the kernel may offer a just-closed
//! port again, so every number handed out is remembered for the life of the process and never
//! handed out twice. Backends in [`crate::backends`] keep their listener open and claim its port
//! too, so a port given out as "closed" never starts answering.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Mutex, OnceLock};

/// Ports already handed out by this process. A std `Mutex`: held for one insert only.
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A loopback TCP port that was free a moment ago and that no other caller in this process got.
pub fn free_port() -> u16 {
    bind_unclaimed().local_addr().expect("local_addr").port()
}

/// Records `port` as taken; `false` if it was already handed out in this process.
pub fn claim(port: u16) -> bool {
    handed_out()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(port)
}

/// A listener on `127.0.0.1:<port>` whose port no other caller in this process got (and, since it
/// is claimed, never will): backends use it so they cannot land on a port a test expects closed.
pub fn bind_unclaimed() -> TcpListener {
    // Bounded: the ephemeral range has ~28k ports; 1000 collisions in a row means something is wrong.
    for _ in 0..1000 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        if claim(listener.local_addr().expect("local_addr").port()) {
            return listener;
        }
    }
    panic!("no unused loopback port after 1000 attempts");
}

/// `127.0.0.1:<free port>`.
pub fn free_addr() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()))
}

/// An address where nothing listens: connecting gets "connection refused".
pub fn closed_addr() -> SocketAddr {
    free_addr()
}
