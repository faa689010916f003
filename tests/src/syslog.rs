//! A syslog server on loopback UDP: what a daemon's `log 127.0.0.1:PORT` lines say, with the
//! priority kept and the timestamp and process id dropped so two daemons can be compared.

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Syslog {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
}

impl Syslog {
    /// Listens on a free loopback port until the test process ends.
    pub fn start() -> Syslog {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind syslog socket");
        let addr = sock.local_addr().expect("syslog address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = sock.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                if let Ok(mut v) = sink.lock() {
                    v.push(text);
                }
            }
        });
        Syslog { addr, received }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every datagram so far as `<PRI>TAG: message` (message bytes as sent, trailing newline
    /// included): the RFC 3164 header's timestamp and `[pid]` removed.
    pub fn lines(&self) -> Vec<String> {
        self.raw().iter().map(|d| without_time_and_pid(d)).collect()
    }

    /// Polls until `cond` holds for the lines received, or `timeout` passes; the lines then.
    pub fn wait_for(&self, timeout: Duration, cond: impl Fn(&[String]) -> bool) -> Vec<String> {
        poll(timeout, || self.lines(), cond)
    }

    /// Every datagram so far, as it arrived.
    pub fn raw(&self) -> Vec<String> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Polls until `cond` holds for the datagrams received, or `timeout` passes; them then.
    pub fn wait_for_raw(&self, timeout: Duration, cond: impl Fn(&[String]) -> bool) -> Vec<String> {
        poll(timeout, || self.raw(), cond)
    }
}

/// What `get` returns once `cond` holds for it, or when `timeout` has passed.
fn poll(
    timeout: Duration,
    get: impl Fn() -> Vec<String>,
    cond: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let got = get();
        if cond(&got) || std::time::Instant::now() >= deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `<133>Nov 25 07:07:14 haproxy[15626]: text` → `<133>haproxy: text`. A datagram that does not
/// have that shape is kept whole, so the comparison shows it.
fn without_time_and_pid(d: &str) -> String {
    let Some(close) = d.find('>') else {
        return d.to_string();
    };
    let (pri, rest) = d.split_at(close + 1);
    // "Mmm dd hh:mm:ss " is 16 bytes.
    let Some(after_time) = rest.get(16..) else {
        return d.to_string();
    };
    let Some(colon) = after_time.find(": ") else {
        return d.to_string();
    };
    let tag = &after_time[..colon];
    let tag = tag.split_once('[').map_or(tag, |(t, _)| t);
    format!("{pri}{tag}:{}", &after_time[colon + 1..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_reduced_to_priority_and_tag() {
        assert_eq!(
            super::without_time_and_pid("<129>Nov  5 07:07:14 haproxy[15]: Server be/s is DOWN.\n"),
            "<129>haproxy: Server be/s is DOWN.\n"
        );
        assert_eq!(super::without_time_and_pid("junk"), "junk");
    }
}
