//! The core proxy end to end: the real `proxyd` binary in front of real loopback servers.
//!
//! Behaviour that HAProxy defines (balancing, retries, queueing, limits, timeouts, logs) is run
//! on the same scenario against the real HAProxy 2.6 first, when it is installed, so every
//! assertion is shown to describe HAProxy before it is applied to proxyd.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::background::{self, Background};
use e2e::certs::Pki;
use e2e::client;
use e2e::config::{BackendSection, Config};
use e2e::daemon::Daemon;
use e2e::differential::{assert_same_as_haproxy, on_both, Under};
use e2e::ports;
use e2e::socket;
use e2e::traffic::{self, Held, Pattern, Scripted, Waited};

/// Generous bound for anything that should happen "soon" on a loaded 2-core machine.
const SOON: Duration = Duration::from_secs(10);

/// `frontend fe` on `listen` with extra `lines`, forwarding to `be`.
fn frontend(listen: SocketAddr, lines: &[&str]) -> String {
    let mut text = format!("frontend fe\n    bind {listen}\n    default_backend be\n");
    for l in lines {
        text.push_str(&format!("    {l}\n"));
    }
    text
}

fn held(daemon: &Daemon, listen: SocketAddr, what: &str) -> Held {
    Held::open(listen).unwrap_or_else(|e| daemon.fail(&format!("{what}: {e}")))
}

/// Opens `n` connections one after the other and counts the servers that answered.
fn spread(daemon: &Daemon, listen: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for i in 0..n {
        let server = traffic::server_of_next_connection(listen)
            .unwrap_or_else(|e| daemon.fail(&format!("connection {i}: {e}")));
        *counts.entry(server).or_insert(0) += 1;
    }
    counts
}

fn count(counts: &BTreeMap<String, usize>, server: &str) -> usize {
    counts.get(server).copied().unwrap_or(0)
}

fn stat_u64(daemon: &Daemon, px: &str, sv: &str, col: &str) -> u64 {
    daemon.stat(px, sv, col).parse().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Byte-exact passthrough

#[test]
fn transfer_of_100_mib_each_way_arrives_byte_exact() {
    let echo = Backend::echo();
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("echo", echo.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    const LEN: u64 = 100 * 1024 * 1024;
    let stream = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    // The echo server answers as it reads, so both directions carry 100 MiB at once.
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    stream.set_write_timeout(Some(Duration::from_secs(30))).ok();
    let t = traffic::transfer(stream, LEN, 0x5eed)
        .unwrap_or_else(|e| daemon.fail(&format!("transfer failed: {e}")));
    eprintln!(
        "100 MiB each way through proxyd in {:?} ({:.0} MiB/s per direction)",
        t.elapsed,
        100.0 / t.elapsed.as_secs_f64()
    );
    if t.sent != LEN || t.received != LEN || t.first_mismatch.is_some() {
        daemon.fail(&format!("transfer not byte-exact: {t:?}"));
    }
    daemon.wait_until("bin and bout of 100 MiB on the server row", SOON, |d| {
        stat_u64(d, "be", "echo", "bin") == LEN && stat_u64(d, "be", "echo", "bout") == LEN
    });
}

#[test]
fn tls_client_verifies_the_backends_own_certificate_through_the_proxy() {
    let pki = Pki::new();
    let server = Backend::https(pki.server.server_config(), 200);
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("tls", server.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    const LEN: usize = 3_000_000;
    let exchange = client::tls_get(
        listen,
        pki.client_config(),
        "localhost",
        &format!("/bytes/{LEN}"),
    )
    .unwrap_or_else(|e| daemon.fail(&format!("verified TLS session through proxyd: {e}")));
    if exchange.peer_certificates.first() != Some(&pki.server.cert_der) {
        daemon.fail("the client did not see the backend's certificate");
    }
    let expected: Vec<u8> = (0..LEN).map(|i| b'a' + (i % 26) as u8).collect();
    if exchange.status_line() != "HTTP/1.1 200 OK" || exchange.body() != expected.as_slice() {
        daemon.fail(&format!(
            "answer {:?} with a {}-byte body differs from the backend's",
            exchange.status_line(),
            exchange.body().len()
        ));
    }
    // A client that trusts only another CA must reject the backend's certificate: the proxy
    // neither terminates TLS nor presents anything of its own.
    let refused = client::tls_get(listen, pki.other_ca.client_config(), "localhost", "/");
    match refused {
        Err(e)
            if e.to_string().contains("UnknownIssuer") || e.to_string().contains("certificate") => {
        }
        other => daemon.fail(&format!(
            "a client trusting an unrelated CA should fail verification, got {other:?}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Half-close

#[test]
fn client_half_close_still_receives_the_whole_answer() {
    // The server answers only once it has read the client's FIN, then echoes everything back.
    let server = Scripted::start(|mut s, log| {
        let mut got = Vec::new();
        if s.read_to_end(&mut got).is_ok() {
            traffic::note(log, format!("read {} bytes to EOF", got.len()));
            let _ = s.write_all(&got);
        }
    });
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("srv", server.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    let mut payload = vec![0u8; 700_000];
    Pattern::new(3).fill(&mut payload);
    let answer = client::tcp_roundtrip(listen, &payload)
        .unwrap_or_else(|e| daemon.fail(&format!("half-closed exchange: {e}")));
    if answer != payload {
        daemon.fail(&format!(
            "answer after half-close: {} bytes, expected the {} sent (server: {:?})",
            answer.len(),
            payload.len(),
            server.log()
        ));
    }
}

#[test]
fn server_half_close_still_carries_the_clients_bytes() {
    // The server speaks first, shuts its write side, then reads the client to EOF.
    let server = Scripted::start(|mut s, log| {
        if s.write_all(b"hello\n").is_err() || s.shutdown(Shutdown::Write).is_err() {
            return;
        }
        let mut got = Vec::new();
        if s.read_to_end(&mut got).is_ok() {
            let mut want = vec![0u8; got.len()];
            Pattern::new(4).fill(&mut want);
            traffic::note(log, format!("received {} exact={}", got.len(), got == want));
        }
    });
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("srv", server.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    let mut stream = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    let mut first = Vec::new();
    stream
        .read_to_end(&mut first)
        .unwrap_or_else(|e| daemon.fail(&format!("the server's FIN never arrived: {e}")));
    if first != b"hello\n" {
        daemon.fail(&format!("server said {first:?}"));
    }
    let mut payload = vec![0u8; 500_000];
    Pattern::new(4).fill(&mut payload);
    stream
        .write_all(&payload)
        .and_then(|_| stream.shutdown(Shutdown::Write))
        .unwrap_or_else(|e| daemon.fail(&format!("writing after the server's FIN: {e}")));
    let want = "received 500000 exact=true".to_string();
    if !socket::wait_for(SOON, || server.log().contains(&want)) {
        daemon.fail(&format!("server log {:?}, expected {want:?}", server.log()));
    }
}

// ---------------------------------------------------------------------------------------------
// Balancing

fn balance_config(
    listen: SocketAddr,
    lines: &[&str],
    servers: &[(&str, SocketAddr, &str)],
) -> Config {
    let mut be = BackendSection::new("be");
    for l in lines {
        be = be.line(*l);
    }
    for (name, addr, opts) in servers {
        be = be.server(name, *addr, opts);
    }
    Config::new().section(frontend(listen, &[])).backend(be)
}

#[test]
fn roundrobin_spreads_evenly_and_honours_weights() {
    let (a, b, c) = (
        traffic::tagged("a"),
        traffic::tagged("b"),
        traffic::tagged("c"),
    );
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance roundrobin"],
            &[
                ("a", a.addr(), ""),
                ("b", b.addr(), ""),
                ("c", c.addr(), ""),
            ],
        );
        let daemon = under.start(cfg)?;
        let even = spread(&daemon, listen, 30);
        if ["a", "b", "c"].iter().any(|s| count(&even, s) != 10) {
            daemon.fail(&format!(
                "{under:?}: 30 connections over 3 equal servers: {even:?}"
            ));
        }
        Some(even)
    });
    assert!(seen.iter().any(|(u, _)| *u == Under::Proxyd));
    for algo in ["roundrobin", "static-rr"] {
        on_both(|under| {
            let listen = ports::free_addr();
            let cfg = balance_config(
                listen,
                &[&format!("balance {algo}")],
                &[("a", a.addr(), "weight 3"), ("b", b.addr(), "weight 1")],
            );
            let daemon = under.start(cfg)?;
            let weighted = spread(&daemon, listen, 400);
            // HAProxy's weighted round robin is exact over a whole cycle; allow 5% either way.
            if !(280..=320).contains(&count(&weighted, "a"))
                || count(&weighted, "a") + count(&weighted, "b") != 400
            {
                daemon.fail(&format!(
                    "{under:?} {algo}: 400 connections with weights 3:1 went {weighted:?}, expected ~300/100"
                ));
            }
            Some(weighted)
        });
    }
}

/// `(name, address, options)` for [`balance_config`], one per backend.
fn named_servers<'a>(
    names: &[&'a str],
    servers: &[Backend],
    options: &[&'a str],
) -> Vec<(&'a str, SocketAddr, &'a str)> {
    names
        .iter()
        .zip(servers)
        .zip(options)
        .map(|((n, s), o)| (*n, s.addr(), *o))
        .collect()
}

/// The order of the servers, not only their shares: `roundrobin` (HAProxy's weighted trees),
/// `static-rr` (its server map) and `leastconn` (its load tree) interleave uneven weights as
/// HAProxy 2.6 does (3:1 is a,a,a,b), skip a full server, put a server that leaves, comes back
/// or changes weight back at the place HAProxy puts it, and spread sessions held open.
#[test]
fn balancing_orders_servers_as_haproxy_does() {
    let names = ["a", "b", "c"];
    let servers: Vec<Backend> = names.iter().map(|n| traffic::tagged(n)).collect();
    for algo in ["roundrobin", "static-rr", "leastconn"] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let list = named_servers(
                &names,
                &servers,
                &["weight 2", "weight 3", "weight 5 maxconn 1"],
            );
            let daemon =
                under.start(balance_config(listen, &[&format!("balance {algo}")], &list))?;
            let mut order = String::new();
            // One session at a time, each gone before the next starts: c's single slot is
            // then free unless the test holds it.
            let idle = |d: &Daemon, sessions: &str| {
                d.wait_until("sessions ended", SOON, |d| {
                    d.stat("be", "BACKEND", "scur") == sessions
                })
            };
            let next = |d: &Daemon, order: &mut String, sessions: &str| {
                let s = traffic::server_of_next_connection(listen)
                    .unwrap_or_else(|e| d.fail(&format!("{under:?} {algo}: {e}")));
                order.push_str(&s);
                idle(d, sessions);
            };
            for _ in 0..7 {
                next(&daemon, &mut order, "0");
            }
            // c is full while this connection holds its only slot.
            let hold = loop {
                let h = held(&daemon, listen, "a connection kept open");
                order.push_str(&h.server);
                if h.server == "c" {
                    break h;
                }
                h.close();
                idle(&daemon, "0");
            };
            order.push('|');
            for _ in 0..5 {
                next(&daemon, &mut order, "1");
            }
            hold.close();
            idle(&daemon, "0");
            for (command, n) in [
                ("disable server be/b", 7),
                ("enable server be/b", 10),
                ("set server be/a weight 0%", 6),
                ("set server be/a weight 100%", 10),
            ] {
                daemon.query(command);
                order.push('|');
                for _ in 0..n {
                    next(&daemon, &mut order, "0");
                }
            }
            order.push('|');
            let kept: Vec<Held> = (0..9)
                .map(|_| {
                    let h = held(&daemon, listen, "a session kept open");
                    order.push_str(&h.server);
                    h
                })
                .collect();
            drop(kept);
            Some(order)
        });
        eprintln!("{algo}: {seen:?}");
        for (under, order) in &seen {
            let phases: Vec<&str> = order.split('|').collect();
            assert!(
                !phases[1].contains('c'),
                "{under:?} {algo}: c was full: {order}"
            );
            assert!(
                !phases[2].contains('b'),
                "{under:?} {algo}: b was disabled: {order}"
            );
        }
        assert_same_as_haproxy(&format!("{algo} order"), &seen);
    }
}

#[test]
fn leastconn_sends_new_connections_to_the_least_loaded_server() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance leastconn"],
            &[("a", a.addr(), ""), ("b", b.addr(), "")],
        );
        let daemon = under.start(cfg)?;
        let mut open: Vec<Held> = (0..4)
            .map(|i| held(&daemon, listen, &format!("long-lived {i}")))
            .collect();
        let on_a = open.iter().filter(|h| h.server == "a").count();
        if on_a != 2 {
            daemon.fail(&format!(
                "{under:?}: 4 long-lived connections put {on_a} on a, expected 2"
            ));
        }
        // Free server a entirely: the next two connections must both go there.
        let (gone, kept): (Vec<Held>, Vec<Held>) = open.drain(..).partition(|h| h.server == "a");
        gone.into_iter().for_each(Held::close);
        daemon.wait_until("a has no session left", SOON, |d| {
            d.stat("be", "a", "scur") == "0"
        });
        let next: Vec<Held> = (0..2)
            .map(|i| held(&daemon, listen, &format!("new {i}")))
            .collect();
        let servers: Vec<&str> = next.iter().map(|h| h.server.as_str()).collect();
        if servers != ["a", "a"] {
            daemon.fail(&format!(
                "{under:?}: with a empty and b at 2 sessions, new connections went to {servers:?}"
            ));
        }
        drop(kept);
        Some(())
    });
}

/// `balance random(draws)`: of the servers drawn (weighted), the one with the fewest sessions
/// per unit of weight wins. With 100 draws both servers are drawn every time, so 20 sessions
/// held open end 4 on `a` (weight 1) and 16 on `b` (weight 4), as with HAProxy 2.6.
#[test]
fn random_keeps_the_least_loaded_server_per_unit_of_weight() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance random(100)"],
            &[("a", a.addr(), "weight 1"), ("b", b.addr(), "weight 4")],
        );
        let daemon = under.start(cfg)?;
        let kept: Vec<Held> = (0..20)
            .map(|i| held(&daemon, listen, &format!("session {i}")))
            .collect();
        let on_a = kept.iter().filter(|h| h.server == "a").count();
        Some((on_a, kept.len() - on_a))
    });
    for (under, counts) in &seen {
        assert_eq!(*counts, (4, 16), "{under:?}: sessions on a and b");
    }
}

/// `balance random`: when the least loaded server drawn is full, the connection waits in the
/// backend's queue, though another server has room, until a slot frees (HAProxy 2.6's
/// `get_server_rnd`). `a` (weight 4, `maxconn 1`) and `b` (weight 1) hold one session each; a
/// third connection draws `a` (1/4 against 1/1 per unit of weight), waits, and takes `b`'s slot
/// when `b`'s session ends.
#[test]
fn random_queues_when_its_draw_is_full_though_another_server_has_room() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance random(100)", "timeout queue 10s"],
            &[
                ("a", a.addr(), "weight 4 maxconn 1"),
                ("b", b.addr(), "weight 1 maxconn 10"),
            ],
        );
        let daemon = under.start(cfg)?;
        let mut kept: Vec<Held> = (0..2)
            .map(|i| held(&daemon, listen, &format!("session {i}")))
            .collect();
        kept.sort_by(|x, y| x.server.cmp(&y.server));
        let mut seen = vec![format!(
            "{:?}",
            kept.iter().map(|h| &h.server).collect::<Vec<_>>()
        )];
        let mut waiter =
            client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
        daemon.wait_until("the third connection queued", SOON, |d| {
            d.stat("be", "BACKEND", "qcur") == "1"
        });
        // It stays queued while b has 9 free slots.
        let got = traffic::wait_for_data(&mut waiter, Duration::from_millis(500))
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        seen.push(format!("while b has room: {got:?}"));
        let on_b = kept.pop().unwrap_or_else(|| daemon.fail("no session on b"));
        on_b.close();
        let got = traffic::wait_for_data(&mut waiter, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        seen.push(format!("once b freed a slot: {got:?}"));
        for sv in ["a", "b", "BACKEND"] {
            seen.push(format!(
                "{:?}",
                counters(&daemon, "be", sv, &["qmax", "scur", "lbtot"])
            ));
        }
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("random with a full draw", &seen);
}

#[test]
fn first_fills_the_first_server_up_to_maxconn_then_the_next() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance first"],
            &[("a", a.addr(), "maxconn 2"), ("b", b.addr(), "maxconn 2")],
        );
        let daemon = under.start(cfg)?;
        let mut open: Vec<Held> = (0..3)
            .map(|i| held(&daemon, listen, &format!("connection {i}")))
            .collect();
        let servers: Vec<&str> = open.iter().map(|h| h.server.as_str()).collect();
        if servers != ["a", "a", "b"] {
            daemon.fail(&format!(
                "{under:?}: balance first placed 3 connections on {servers:?}"
            ));
        }
        open.remove(0).close();
        daemon.wait_until("a down to one session", SOON, |d| {
            d.stat("be", "a", "scur") == "1"
        });
        let next = held(&daemon, listen, "after a freed a slot");
        if next.server != "a" {
            daemon.fail(&format!(
                "{under:?}: a had a free slot but the connection went to {}",
                next.server
            ));
        }
        Some(())
    });
}

#[test]
fn source_keeps_a_client_address_on_one_server() {
    let servers: Vec<Backend> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| traffic::tagged(n))
        .collect();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let list: Vec<(&str, SocketAddr, &str)> = ["a", "b", "c", "d"]
            .iter()
            .zip(&servers)
            .map(|(n, s)| (*n, s.addr(), ""))
            .collect();
        let daemon = under.start(balance_config(listen, &["balance source"], &list))?;
        let counts = spread(&daemon, listen, 20);
        if counts.len() != 1 {
            daemon.fail(&format!(
                "{under:?}: one client address spread over {counts:?}"
            ));
        }
        counts.into_keys().next()
    });
    eprintln!("server chosen for 127.0.0.1: {seen:?}");
    assert_same_as_haproxy("server chosen for 127.0.0.1", &seen);
}

/// The server that answers a connection made from `source` (a loopback address).
fn server_seen_from(source: Ipv4Addr, listen: SocketAddr) -> io::Result<String> {
    connected_from(source, listen).map(|(_, server)| server)
}

/// A connection made from `source`, kept open, and the server that answered it.
fn connected_from(source: Ipv4Addr, listen: SocketAddr) -> io::Result<(TcpStream, String)> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::from((source, 0)).into())?;
    sock.connect_timeout(&listen.into(), client::IO_TIMEOUT)?;
    let mut stream: TcpStream = sock.into();
    stream.set_read_timeout(Some(client::IO_TIMEOUT))?;
    let server = traffic::read_line(&mut stream)?;
    Ok((stream, server))
}

/// `hash-balance-factor` with consistent hashing: while sessions stay open, a server already
/// serving its share of the factor times the average load (by weight) is passed over for the
/// next one around the ring, so 36 clients held open land where HAProxy 2.6 puts them and no
/// server goes beyond its bound.
#[test]
fn hash_balance_factor_bounds_each_servers_load_as_haproxy_does() {
    let names = ["a", "b", "c"];
    let servers: Vec<Backend> = names.iter().map(|n| traffic::tagged(n)).collect();
    let sources: Vec<Ipv4Addr> = (0..36u8)
        .map(|i| Ipv4Addr::new(127, i % 3, i.wrapping_mul(53), i * 7 + 1))
        .collect();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let list = named_servers(&names, &servers, &["", "id 7", "weight 2"]);
        let cfg = balance_config(
            listen,
            &[
                "balance source",
                "hash-type consistent",
                "hash-balance-factor 110",
            ],
            &list,
        );
        let daemon = under.start(cfg)?;
        let mut open = Vec::new();
        let mut order = String::new();
        for &src in &sources {
            let (stream, server) = connected_from(src, listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?} from {src}: {e}")));
            order.push_str(&server);
            open.push(stream);
        }
        Some(order)
    });
    for (under, order) in &seen {
        // 36 sessions × 1.1: 40 slots over weights 1, 1, 2.
        for (name, bound) in [('a', 10), ('b', 10), ('c', 20)] {
            let n = order.chars().filter(|&c| c == name).count();
            assert!(n <= bound, "{under:?}: {n} sessions on {name}: {order}");
        }
    }
    eprintln!("{seen:?}");
    assert_same_as_haproxy("servers chosen under hash-balance-factor", &seen);
}

/// `balance source` with each `hash-type`: 48 client addresses land on the same servers as
/// with HAProxy 2.6, with uneven weights and ids, before and after a server leaves, and with
/// `consistent` (a dynamic algorithm) after a server is added at run time. With `consistent`,
/// only the leaving server's clients move.
#[test]
fn source_hashing_sends_each_client_where_haproxy_does() {
    let names = ["a", "b", "c", "d"];
    let servers: Vec<Backend> = names.iter().map(|n| traffic::tagged(n)).collect();
    let added = traffic::tagged("e");
    let sources: Vec<Ipv4Addr> = (0..48u8)
        .map(|i| Ipv4Addr::new(127, i % 5, i.wrapping_mul(37), i * 5 + 1))
        .collect();
    for hash_type in ["consistent", "map-based sdbm avalanche", "map-based"] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let list = named_servers(
                &names,
                &servers,
                &["weight 6", "weight 4 id 7", "weight 2", "weight 8"],
            );
            let ht = format!("hash-type {hash_type}");
            let cfg = balance_config(listen, &["balance source", &ht], &list);
            let daemon = under.start(cfg)?;
            let sweep = |d: &Daemon| -> Vec<String> {
                sources
                    .iter()
                    .map(|&src| {
                        server_seen_from(src, listen)
                            .unwrap_or_else(|e| d.fail(&format!("{under:?} from {src}: {e}")))
                    })
                    .collect()
            };
            let before = sweep(&daemon);
            daemon.query("disable server be/c");
            let after = sweep(&daemon);
            let mut grown = Vec::new();
            if hash_type == "consistent" {
                let e = added.addr();
                grown.push(daemon.query(&format!("add server be/e {e} weight 5")));
                daemon.query("enable server be/e");
                grown.extend(sweep(&daemon));
            }
            Some((before, after, grown))
        });
        for (under, (before, after, grown)) in &seen {
            if hash_type == "consistent" {
                assert_eq!(grown[0].trim(), "New server registered.", "{under:?}");
                assert!(
                    grown.iter().any(|s| s == "e"),
                    "{under:?}: e gets no client"
                );
            }
            for n in names {
                assert!(
                    before.iter().any(|s| s == n),
                    "{under:?} {hash_type}: no client on {n}: {before:?}"
                );
            }
            assert!(!after.iter().any(|s| s == "c"), "{under:?}: c is disabled");
            if hash_type == "consistent" {
                for (b, a) in before.iter().zip(after) {
                    assert!(
                        b == "c" || a == b,
                        "{under:?}: a client of {b} moved to {a} when c left"
                    );
                }
            }
        }
        assert_same_as_haproxy(&format!("servers chosen with hash-type {hash_type}"), &seen);
    }
}

#[test]
fn backup_serves_only_while_every_active_server_is_down() {
    let (a, b, bk) = (
        traffic::tagged("a"),
        traffic::tagged("b"),
        traffic::tagged("bk"),
    );
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["balance roundrobin"],
            &[
                ("a", a.addr(), ""),
                ("b", b.addr(), ""),
                ("bk", bk.addr(), "backup"),
            ],
        );
        let daemon = under.start(cfg)?;
        let before = spread(&daemon, listen, 6);
        if count(&before, "bk") != 0 {
            daemon.fail(&format!(
                "{under:?}: backup used while actives are up: {before:?}"
            ));
        }
        daemon.query("disable server be/a");
        let one_left = spread(&daemon, listen, 4);
        if count(&one_left, "b") != 4 {
            daemon.fail(&format!("{under:?}: with b still up: {one_left:?}"));
        }
        daemon.query("disable server be/b");
        let none_left = spread(&daemon, listen, 4);
        if count(&none_left, "bk") != 4 {
            daemon.fail(&format!("{under:?}: with every active down: {none_left:?}"));
        }
        daemon.query("enable server be/a");
        let back = spread(&daemon, listen, 4);
        if count(&back, "a") != 4 {
            daemon.fail(&format!("{under:?}: once a is back: {back:?}"));
        }
        Some(())
    });
}

/// `option allbackups`: with every active server down, the backups share the load with the
/// backend's algorithm, in HAProxy's order (their own trees), a full one passed over; the
/// backend's weight is theirs; an active server coming back takes everything again.
#[test]
fn all_backups_share_the_load_in_haproxys_order() {
    let names = ["a", "x", "y", "z"];
    let servers: Vec<Backend> = names.iter().map(|n| traffic::tagged(n)).collect();
    for algo in ["roundrobin", "static-rr", "leastconn", "first"] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let list = named_servers(
                &names,
                &servers,
                &[
                    "",
                    "backup maxconn 2",
                    "backup weight 2",
                    "backup weight 3 maxconn 1",
                ],
            );
            let cfg = balance_config(
                listen,
                &[&format!("balance {algo}"), "option allbackups"],
                &list,
            );
            let daemon = under.start(cfg)?;
            let idle = |d: &Daemon| {
                d.wait_until("sessions ended", SOON, |d| {
                    d.stat("be", "BACKEND", "scur") == "0"
                })
            };
            let mut order = String::new();
            daemon.query("disable server be/a");
            for _ in 0..12 {
                let h = held(&daemon, listen, "a backup's connection");
                order.push_str(&h.server);
                h.close();
                idle(&daemon);
            }
            order.push('|');
            // Sessions held open: z takes one at most, leastconn spreads by load.
            let kept: Vec<Held> = (0..6)
                .map(|_| {
                    let h = held(&daemon, listen, "a session kept open");
                    order.push_str(&h.server);
                    h
                })
                .collect();
            let stat = counters(&daemon, "be", "BACKEND", &["weight", "act", "bck"]);
            drop(kept);
            idle(&daemon);
            daemon.query("enable server be/a");
            order.push('|');
            for _ in 0..3 {
                let h = held(&daemon, listen, "with a back");
                order.push_str(&h.server);
                h.close();
                idle(&daemon);
            }
            Some((order, stat))
        });
        eprintln!("{algo}: {seen:?}");
        for (under, (order, _)) in &seen {
            let phases: Vec<&str> = order.split('|').collect();
            // `first` fills x, then y, which has no limit.
            let expected: &[&str] = if algo == "first" {
                &["x", "y"]
            } else {
                &["x", "y", "z"]
            };
            assert!(
                expected.iter().all(|b| order.contains(b)),
                "{under:?} {algo}: every backup serves: {order}"
            );
            assert_eq!(phases[2], "aaa", "{under:?} {algo}: a is back: {order}");
        }
        assert_same_as_haproxy(&format!("{algo} with allbackups"), &seen);
    }
}

/// Without `option allbackups` the first usable backup serves alone, and HAProxy's balancers
/// hand it out full or not: its connections then wait in its own queue (with `static-rr`, whose
/// map passes over it, and `random`, which queues when its pick is full, in the backend's). A
/// backup never takes the backend's waiters
/// while an active server is up, even with free slots.
#[test]
fn the_first_backup_alone_takes_over_and_queues_its_own_waiters() {
    let names = ["a", "x", "y"];
    let servers: Vec<Backend> = names.iter().map(|n| traffic::tagged(n)).collect();
    let cols = ["qcur", "scur", "stot"];
    for algo in [
        "roundrobin",
        "static-rr",
        "leastconn",
        "first",
        "source",
        "random",
    ] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let list = named_servers(
                &names,
                &servers,
                &["maxconn 1", "backup maxconn 1", "backup weight 5"],
            );
            let cfg = balance_config(
                listen,
                &[&format!("balance {algo}"), "timeout queue 10s"],
                &list,
            );
            let daemon = under.start(cfg)?;
            let snapshot = |d: &Daemon| {
                let mut all = BTreeMap::new();
                for sv in ["a", "x", "y", "BACKEND"] {
                    all.extend(counters(d, "be", sv, &cols));
                }
                all
            };
            let queued = |d: &Daemon, sv: &str| {
                d.wait_until("a connection queued", SOON, |d| {
                    d.stat("be", sv, "qcur") == "1"
                })
            };
            let mut seen = Vec::new();
            // a is full: the next connection waits for it (in its queue if the hash named it),
            // x's free slot notwithstanding.
            let on_a = held(&daemon, listen, "a's only slot");
            let mut waiting =
                client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
            queued(&daemon, if algo == "source" { "a" } else { "BACKEND" });
            seen.push(snapshot(&daemon));
            on_a.close();
            let got = traffic::read_line(&mut waiting)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: the waiter: {e}")));
            seen.push(BTreeMap::from([("waiter".to_string(), got)]));
            drop(waiting);
            daemon.wait_until("sessions ended", SOON, |d| {
                d.stat("be", "BACKEND", "scur") == "0"
            });
            // Every active down: x serves alone, and waits are for x.
            daemon.query("disable server be/a");
            let on_x = held(&daemon, listen, "x's only slot");
            let mut waiting =
                client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
            let queue = match algo {
                "static-rr" | "random" => "BACKEND",
                _ => "x",
            };
            queued(&daemon, queue);
            let mut now = snapshot(&daemon);
            now.extend(counters(&daemon, "be", "BACKEND", &["weight", "bck"]));
            now.insert("first".into(), on_x.server.clone());
            seen.push(now);
            on_x.close();
            let got = traffic::read_line(&mut waiting)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: x's waiter: {e}")));
            seen.push(BTreeMap::from([("waiter".to_string(), got)]));
            Some(seen)
        });
        eprintln!("{algo}: {seen:?}");
        assert_same_as_haproxy(&format!("{algo}, first backup"), &seen);
    }
}

/// Each expected log line with whether `stderr` holds it, for comparing with HAProxy.
fn logged(stderr: &str, lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .map(|line| format!("{line} {}", stderr.contains(line)))
        .collect()
}

/// Named counters of one `show stat` row.
fn counters(daemon: &Daemon, px: &str, sv: &str, cols: &[&str]) -> BTreeMap<String, String> {
    let stat = daemon.show_stat();
    cols.iter()
        .map(|c| {
            let v = stat.get(px, sv, c).unwrap_or("<missing>").to_string();
            (format!("{sv}.{c}"), v)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Retries and redispatch

const RETRY_COLUMNS: [&str; 5] = ["wretr", "wredis", "econ", "stot", "lbtot"];

#[test]
fn dead_server_is_redispatched_at_once_to_another_active_server() {
    let live = traffic::tagged("live");
    let dead = ports::closed_addr();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &[
                "balance roundrobin",
                "retries 2",
                "option redispatch",
                "timeout connect 300ms",
            ],
            &[("dead", dead, ""), ("live", live.addr(), "")],
        );
        let daemon = under.start(cfg)?;
        for i in 0..4 {
            let server = traffic::server_of_next_connection(listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: connection {i}: {e}")));
            if server != "live" {
                daemon.fail(&format!("{under:?}: connection {i} answered by {server}"));
            }
        }
        daemon.wait_until("four sessions accounted", SOON, |d| {
            d.stat("be", "BACKEND", "stot") == "4"
        });
        let mut c = counters(&daemon, "be", "dead", &RETRY_COLUMNS);
        c.extend(counters(&daemon, "be", "BACKEND", &RETRY_COLUMNS));
        // With another active server HAProxy redispatches on the first failure, no retry.
        if c["dead.wredis"] != "4" || c["BACKEND.wredis"] != "4" {
            daemon.fail(&format!("{under:?}: expected 4 redispatches: {c:?}"));
        }
        Some(c)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("retry/redispatch counters", &seen);
}

#[test]
fn lone_dead_server_is_retried_when_redispatch_has_nowhere_else_to_go() {
    let dead = ports::closed_addr();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["retries 3", "option redispatch", "timeout connect 200ms"],
            &[("dead", dead, "")],
        );
        let daemon = under.start(cfg)?;
        let mut stream = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let got = traffic::wait_for_data(&mut stream, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        if got != Waited::Closed {
            daemon.fail(&format!(
                "{under:?}: expected the client to be closed, got {got:?}"
            ));
        }
        daemon.wait_until("the failure accounted", SOON, |d| {
            d.stat("be", "BACKEND", "econ") == "1"
        });
        let mut c = counters(&daemon, "be", "dead", &RETRY_COLUMNS);
        c.extend(counters(&daemon, "be", "BACKEND", &RETRY_COLUMNS));
        // The last retry would redispatch, but landing on the same server counts as a retry.
        if c["dead.wretr"] != "3" || c["dead.wredis"] != "0" || c["dead.stot"] != "4" {
            daemon.fail(&format!("{under:?}: {c:?}"));
        }
        Some(c)
    });
    assert_same_as_haproxy("retry then redispatch counters", &seen);
}

#[test]
fn dead_server_without_redispatch_fails_after_the_retries() {
    let dead = ports::closed_addr();
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["retries 2", "timeout connect 300ms"],
            &[("dead", dead, "")],
        );
        let daemon = under.start(cfg)?;
        let mut stream = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let started = Instant::now();
        let got = traffic::wait_for_data(&mut stream, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        if got != Waited::Closed {
            daemon.fail(&format!(
                "{under:?}: expected the client to be closed, got {got:?}"
            ));
        }
        // Two retries after a refused connect each wait min(timeout connect, 1s).
        if started.elapsed() < Duration::from_millis(500) {
            daemon.fail(&format!(
                "{under:?}: closed after {:?}, too soon for 2 retries",
                started.elapsed()
            ));
        }
        daemon.wait_until("the failure accounted", SOON, |d| {
            d.stat("be", "BACKEND", "econ") == "1"
        });
        let mut c = counters(&daemon, "be", "dead", &RETRY_COLUMNS);
        c.extend(counters(&daemon, "be", "BACKEND", &RETRY_COLUMNS));
        Some(c)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("retry counters without redispatch", &seen);
}

// ---------------------------------------------------------------------------------------------
// Server maxconn and the queue

#[test]
fn connections_beyond_server_maxconn_wait_in_the_queue_until_a_slot_frees() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["timeout queue 20s"],
            &[("srv", srv.addr(), "maxconn 1 maxqueue 5")],
        );
        let daemon = under.start(cfg)?;
        let first = held(&daemon, listen, "first connection");
        let mut waiting = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let got = traffic::wait_for_data(&mut waiting, Duration::from_millis(500))
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        if got != Waited::Nothing {
            daemon.fail(&format!(
                "{under:?}: second connection should wait, got {got:?}"
            ));
        }
        daemon.wait_until("one connection queued", SOON, |d| {
            d.stat("be", "BACKEND", "qcur") == "1"
        });
        let queued = counters(&daemon, "be", "srv", &["qcur", "qlimit", "scur"])
            .into_iter()
            .chain(counters(&daemon, "be", "BACKEND", &["qcur", "scur"]))
            .collect::<BTreeMap<_, _>>();
        first.close();
        let got = traffic::wait_for_data(&mut waiting, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        if got != Waited::Data(b"srv\n".to_vec()) {
            daemon.fail(&format!(
                "{under:?}: queued connection after the slot freed: {got:?}"
            ));
        }
        daemon.wait_until("queue empty, qmax 1", SOON, |d| {
            d.stat("be", "BACKEND", "qcur") == "0" && d.stat("be", "BACKEND", "qmax") == "1"
        });
        Some(queued)
    });
    eprintln!("{seen:#?}");
    for (under, c) in &seen {
        assert_eq!(c["srv.qlimit"], "5", "{under:?}: maxqueue shows as qlimit");
    }
    assert_same_as_haproxy("queue gauges while one connection waits", &seen);
}

/// `minconn` with `fullconn`: the server's limit follows the backend's load
/// (`maxconn × sessions / fullconn`, at least `minconn`), so a lightly loaded backend queues
/// before `maxconn` is reached.
#[test]
fn minconn_limit_grows_with_the_backend_load_as_haproxy_computes_it() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["timeout queue 20s", "fullconn 10"],
            &[("srv", srv.addr(), "minconn 1 maxconn 4")],
        );
        let daemon = under.start(cfg)?;
        let mut steps = Vec::new();
        let snapshot = |d: &Daemon| {
            counters(d, "be", "srv", &["scur", "slim"])
                .into_iter()
                .chain(counters(d, "be", "BACKEND", &["qcur", "scur"]))
                .collect::<BTreeMap<_, _>>()
        };
        // Five clients: the limit is max(1, 4 × n / 10), 1 until the fifth arrives, and a
        // server whose queue is not empty takes nobody new.
        let mut held_open = Vec::new();
        for i in 1..=5usize {
            held_open.push(
                client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{i}: {e}"))),
            );
            daemon.wait_until(&format!("{i} sessions on the backend"), SOON, |d| {
                d.stat("be", "BACKEND", "scur") == i.to_string()
            });
        }
        daemon.wait_until("four queued", SOON, |d| {
            d.stat("be", "BACKEND", "qcur") == "4"
        });
        steps.push(snapshot(&daemon));
        Some(steps)
    });
    eprintln!("{seen:#?}");
    for (under, steps) in &seen {
        assert_eq!(steps[0]["srv.scur"], "1", "{under:?}");
        assert_eq!(steps[0]["srv.slim"], "4", "{under:?}: slim shows maxconn");
    }
    assert_same_as_haproxy("minconn limits under load", &seen);
}

#[test]
fn timeout_queue_closes_the_waiting_client() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = balance_config(
            listen,
            &["timeout queue 1s"],
            &[("srv", srv.addr(), "maxconn 1")],
        );
        let daemon = under.start(cfg)?;
        let first = held(&daemon, listen, "first connection");
        let mut waiting = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let started = Instant::now();
        let got = traffic::wait_for_data(&mut waiting, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let waited = started.elapsed();
        if got != Waited::Closed || waited < Duration::from_millis(800) {
            daemon.fail(&format!(
                "{under:?}: queued client got {got:?} after {waited:?}, expected a close after ~1s"
            ));
        }
        daemon.wait_until("queue empty", SOON, |d| {
            d.stat("be", "BACKEND", "qcur") == "0"
        });
        let mut c = counters(
            &daemon,
            "be",
            "BACKEND",
            &["econ", "qmax", "stot", "cli_abrt", "srv_abrt"],
        );
        c.extend(counters(&daemon, "be", "srv", &["econ", "stot"]));
        drop(first);
        Some(c)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("counters after a queue timeout", &seen);
}

/// Sends `bytes` and reads until the proxy closes: `Ok(true)` for a FIN, `Ok(false)` for a
/// reset.
fn closed_cleanly_after_sending(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<bool> {
    stream.write_all(bytes)?;
    stream.set_read_timeout(Some(SOON))?;
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => Ok(true),
        Ok(n) => Err(io::Error::other(format!(
            "unexpected data: {:?}",
            &buf[..n]
        ))),
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(false),
        Err(e) => Err(e),
    }
}

#[test]
fn a_client_that_is_never_served_is_closed_with_a_fin_and_its_bytes_counted() {
    let srv = traffic::tagged("srv");
    let dead = ports::closed_addr();
    let seen = on_both(|under| {
        let (queued, refused) = (ports::free_addr(), ports::free_addr());
        let cfg = Config::new()
            .section(format!(
                "frontend fq\n    bind {queued}\n    default_backend bq\n\
                 frontend fr\n    bind {refused}\n    default_backend br\n"
            ))
            .backend(
                BackendSection::new("bq")
                    .line("timeout queue 500ms")
                    .server("q1", srv.addr(), "maxconn 1"),
            )
            .backend(
                BackendSection::new("br")
                    .line("retries 2")
                    .line("timeout connect 200ms")
                    .server("r1", dead, ""),
            );
        let daemon = under.start(cfg)?;
        let first = held(&daemon, queued, "the connection holding q1's only slot");
        let mut closes = Vec::new();
        for (listen, bytes) in [(queued, &b"hello"[..]), (refused, &b"hello!"[..])] {
            let mut c = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let clean = closed_cleanly_after_sending(&mut c, bytes)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?} via {listen}: {e}")));
            closes.push(clean);
        }
        daemon.wait_until("both failures accounted", SOON, |d| {
            d.stat("bq", "BACKEND", "econ") == "1" && d.stat("br", "BACKEND", "econ") == "1"
        });
        let mut c = BTreeMap::new();
        for (px, sv) in [
            ("fq", "FRONTEND"),
            ("bq", "BACKEND"),
            ("fr", "FRONTEND"),
            ("br", "r1"),
            ("br", "BACKEND"),
        ] {
            let v = daemon.stat(px, sv, "bin");
            c.insert(format!("{px}/{sv}.bin"), v);
        }
        drop(first);
        Some((closes, c))
    });
    eprintln!("{seen:#?}");
    for (under, (closes, _)) in &seen {
        assert_eq!(
            closes,
            &[true, true],
            "{under:?}: the queue timeout and the failed connect end with a FIN, not a reset"
        );
    }
    assert_same_as_haproxy("bytes of clients never served", &seen);
}

/// `frontend fe` on `listen` with `option tcplog`, logging to stderr, in front of `be`, both
/// proxies on one thread (see [`tcplog_lines`]).
fn tcplog_config(listen: SocketAddr, be: BackendSection) -> Config {
    Config::new()
        .global("nbthread 1")
        .log_to_stderr()
        .section(frontend(listen, &["option tcplog"]))
        .backend(be)
}

/// Once `n` tcplog lines of backend `be` are on stderr: them, masked and sorted.
///
/// The proxies run with `nbthread 1`: HAProxy hands a freed slot to a waiter before logging the
/// session that freed it, and with more threads the waiter may connect on another thread before
/// that line is written, making its `%sc` 1 instead of 0 at random.
fn tcplog_lines(daemon: &Daemon, n: usize) -> Vec<String> {
    let ours = |l: &&str| l.contains(" fe be/");
    daemon.wait_until("every session logged", SOON, |d| {
        d.stderr().lines().filter(ours).count() == n
    });
    let mut log: Vec<String> = daemon
        .stderr()
        .lines()
        .filter(ours)
        .map(tcplog_masked)
        .collect();
    log.sort();
    log
}

/// A tcplog line with the client port, date, timer values and the process, frontend and backend
/// session counts masked (two queue timeouts due in the same millisecond may end in either
/// order); kept: server, which timers are -1 (never reached), bytes, termination state, server
/// sessions, retries and queue positions.
fn tcplog_masked(line: &str) -> String {
    let t: Vec<&str> = line.split(' ').collect();
    let field = |i: usize| t.get(i).copied().unwrap_or("");
    let timers: Vec<&str> = field(4)
        .split('/')
        .map(|v| if v == "-1" { "-1" } else { "n" })
        .collect();
    let counts: Vec<&str> = field(7).split('/').skip(3).collect();
    format!(
        "{} {} {} {} {} */*/*/{} {}",
        field(2),
        field(3),
        timers.join("/"),
        field(5),
        field(6),
        counts.join("/"),
        field(8)
    )
}

/// Connections that wait for a server the balancing named (`balance source`, and `leastconn`
/// while `maxconn + maxqueue` has room) wait in that server's own queue, as in HAProxy: its
/// `qcur`/`qmax`, not the backend's; `maxqueue` full answers at once (`SQ`, `econ` on the server
/// too); a queue timeout is `sQ` with the server named; `leastconn` sends the rest to the
/// backend's queue; the log gives each waiter's position (`%sq`/`%bq`).
#[test]
fn named_servers_keep_their_waiters_in_their_own_queue() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    for (algo, holds, waiters) in [("source", 1, 2), ("leastconn", 2, 3)] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let cfg = tcplog_config(
                listen,
                BackendSection::new("be")
                    .line(format!("balance {algo}"))
                    .line("timeout queue 1s")
                    .server("a", a.addr(), "maxconn 1 maxqueue 1")
                    .server("b", b.addr(), "maxconn 1 maxqueue 1"),
            );
            let daemon = under.start(cfg)?;
            let sessions = |d: &Daemon, n: usize| {
                d.wait_until("sessions counted", SOON, |d| {
                    d.stat("be", "BACKEND", "scur") == n.to_string()
                })
            };
            let mut seen = Vec::new();
            let mut held_open = Vec::new();
            for i in 0..holds {
                held_open.push(held(&daemon, listen, "a session holding a slot"));
                sessions(&daemon, i + 1);
            }
            let mut waiting = Vec::new();
            for i in 0..waiters {
                let c = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
                waiting.push(c);
                // One at a time, each settled (queued or refused) before the next.
                daemon.wait_until("connection settled", SOON, |d| {
                    let st = d.show_stat();
                    let queued: u64 = ["a", "b", "BACKEND"]
                        .iter()
                        .map(|s| {
                            st.get("be", s, "qcur")
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0)
                        })
                        .sum();
                    let refused: u64 = st
                        .get("be", "BACKEND", "econ")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    queued + refused == (i + 1) as u64
                });
            }
            for (px, sv) in [("be", "a"), ("be", "b"), ("be", "BACKEND")] {
                let c = counters(&daemon, px, sv, &["qcur", "qmax", "scur", "econ", "lbtot"]);
                seen.push(format!("{c:?}"));
            }
            // A slot frees: the oldest waiter of that server's queue takes it.
            let first = held_open.remove(0);
            let freed = first.server.clone();
            first.close();
            let got = traffic::wait_for_data(&mut waiting[0], SOON)
                .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            seen.push(format!("after {freed} freed a slot: {got:?}"));
            // The others time out in their queue (or were refused at once).
            for (i, w) in waiting.iter_mut().enumerate().skip(1) {
                let got = traffic::wait_for_data(w, SOON)
                    .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
                seen.push(format!("waiter {i}: {got:?}"));
            }
            // One more while the servers are busy: it waits in a queue until `timeout queue`.
            let mut late = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let started = Instant::now();
            let got = traffic::wait_for_data(&mut late, SOON)
                .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let waited_long = started.elapsed() >= Duration::from_millis(800);
            seen.push(format!(
                "late: {got:?} after the queue timeout: {waited_long}"
            ));
            drop(held_open);
            drop(waiting);
            seen.extend(tcplog_lines(&daemon, holds + waiters + 1));
            Some(seen)
        });
        eprintln!("{algo}: {seen:#?}");
        for (under, s) in &seen {
            assert!(
                s.iter().any(|l| l.contains(" sQ ")),
                "{under:?} {algo}: a queue timeout: {s:#?}"
            );
        }
        assert_same_as_haproxy(&format!("{algo} server queues"), &seen);
    }
}

/// A client that closes while it waits in a queue: with `option abortonclose` it is dropped at
/// once (`CQ`, what it sent counted in `bin`, on the server too when the hash named one); without
/// it, it keeps its place and is connected to the server once a slot frees, as in HAProxy.
#[test]
fn a_client_closing_in_the_queue_is_dropped_only_with_abortonclose() {
    let a = traffic::tagged("a");
    for (algo, option) in [
        ("roundrobin", ""),
        ("roundrobin", "option abortonclose"),
        ("source", "option abortonclose"),
    ] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let mut be = BackendSection::new("be")
                .line(format!("balance {algo}"))
                .line("timeout queue 10s")
                .server("a", a.addr(), "maxconn 1");
            if !option.is_empty() {
                be = be.line(option);
            }
            let cfg = tcplog_config(listen, be);
            let daemon = under.start(cfg)?;
            let holder = held(&daemon, listen, "a's only slot");
            let queue = if algo == "source" { "a" } else { "BACKEND" };
            let mut waiter =
                client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
            waiter
                .write_all(b"hello")
                .unwrap_or_else(|e| daemon.fail(&format!("send: {e}")));
            daemon.wait_until("the waiter queued", SOON, |d| {
                d.stat("be", queue, "qcur") == "1"
            });
            drop(waiter);
            // Without the option it stays queued: a second of polling finds it there throughout.
            let dropped = socket::wait_for(Duration::from_secs(1), || {
                daemon.stat("be", queue, "qcur") == "0"
            });
            let mut seen = vec![format!("dropped at once: {dropped}")];
            holder.close();
            daemon.wait_until("sessions ended", SOON, |d| {
                d.stat("be", "BACKEND", "scur") == "0"
            });
            for sv in ["a", "BACKEND"] {
                let c = counters(&daemon, "be", sv, &["stot", "bin", "econ", "cli_abrt"]);
                seen.push(format!("{c:?}"));
            }
            seen.push(format!(
                "{:?}",
                counters(&daemon, "fe", "FRONTEND", &["bin"])
            ));
            seen.extend(tcplog_lines(&daemon, 2));
            Some(seen)
        });
        eprintln!("{algo} {option:?}: {seen:#?}");
        for (under, s) in &seen {
            assert_eq!(
                s[0],
                format!("dropped at once: {}", !option.is_empty()),
                "{under:?} {algo} {option:?}"
            );
        }
        assert_same_as_haproxy(&format!("{algo} {option:?}"), &seen);
    }
}

/// Established IPv4 connections of this host from `/proc/net/tcp`: local port, remote port, and
/// the whole seconds left on the kernel's keep-alive timer when one runs (the `tr` column is 2;
/// the time counts in hundredths).
fn established_tcp() -> Vec<(u16, u16, Option<u64>)> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port = |addr: &str| {
        addr.rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(3) != Some(&"01") {
                return None;
            }
            let keepalive = f.get(5)?.strip_prefix("02:");
            Some((
                port(f.get(1)?)?,
                port(f.get(2)?)?,
                keepalive.and_then(|t| u64::from_str_radix(t, 16).ok().map(|t| t / 100)),
            ))
        })
        .collect()
}

/// The keep-alive timer of the established connection from local port `local` to remote port
/// `remote`, in whole seconds left (`/proc/net/tcp` counts in hundredths), if one is armed.
fn keepalive_left(local: Option<u16>, remote: u16) -> Option<u64> {
    established_tcp()
        .into_iter()
        .find(|&(l, r, _)| local.is_none_or(|want| want == l) && r == remote)
        .and_then(|c| c.2)
}

/// `clitcpka-idle` / `srvtcpka-idle`: the first probe of each side comes after the idle time
/// configured for it (seen as the kernel's keep-alive timer), the kernel's two hours otherwise.
#[test]
fn tcp_keepalive_timing_follows_the_tuning_keywords() {
    let a = traffic::tagged("a");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .defaults("option tcpka")
            .defaults("clitcpka-idle 100")
            .defaults("clitcpka-intvl 5s")
            .defaults("clitcpka-cnt 3")
            .section(frontend(listen, &[]))
            .backend(
                BackendSection::new("be")
                    .line("srvtcpka-idle 1m")
                    .server("a", a.addr(), ""),
            );
        let daemon = under.start(cfg)?;
        let h = held(&daemon, listen, "a session kept open");
        let client_port = h
            .stream
            .local_addr()
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")))
            .port();
        let client_side = keepalive_left(Some(listen.port()), client_port);
        let server_side = keepalive_left(None, a.addr().port());
        h.close();
        // Seconds left, rounded to tens: the timer runs while it is read.
        let tens = |s: Option<u64>| s.map(|s| s.div_ceil(10) * 10);
        Some((tens(client_side), tens(server_side)))
    });
    for (under, sides) in &seen {
        assert_eq!(
            *sides,
            (Some(100), Some(60)),
            "{under:?}: seconds before the first probe"
        );
    }
    assert_same_as_haproxy("keep-alive timing", &seen);
}

/// What a server connection saw: each read (bytes, end of stream or reset), then whether an
/// answer could still be written.
fn server_side_story(mut s: TcpStream, log: &std::sync::Mutex<Vec<String>>) {
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => {
                traffic::note(log, "end of stream".into());
                break;
            }
            Ok(n) => traffic::note(log, format!("read {n}")),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                traffic::note(log, "reset".into());
                break;
            }
            Err(e) => {
                traffic::note(log, format!("read error {:?}", e.kind()));
                break;
            }
        }
    }
    let wrote = s.write_all(b"reply\n").and_then(|()| s.flush());
    traffic::note(log, format!("answer written: {}", wrote.is_ok()));
}

/// `option nolinger` in a backend: the proxy never half-closes the server's connection nor ends
/// it with a FIN. A client's FIN ends the session (the server gets a reset, the client no
/// answer, the log `--`), and a server timeout resets the server too; without the option the
/// half-close goes through and the answer comes back. HAProxy 2.6's behaviour, seen from both
/// ends, with its counters and log line.
#[test]
fn nolinger_resets_server_connections_instead_of_closing_them() {
    for (nolinger, how) in [
        (true, "half-close"),
        (true, "timeout"),
        (false, "half-close"),
    ] {
        let seen = on_both(|under| {
            let server = Scripted::start(server_side_story);
            let listen = ports::free_addr();
            let mut be = BackendSection::new("be")
                .line("timeout server 500ms")
                .server("s", server.addr(), "");
            if nolinger {
                be = be.line("option nolinger");
            }
            let cfg = tcplog_config(listen, be);
            let daemon = under.start(cfg)?;
            let mut c =
                client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
            c.write_all(b"x")
                .unwrap_or_else(|e| daemon.fail(&format!("send: {e}")));
            if !socket::wait_for(SOON, || server.log().first().is_some_and(|l| l == "read 1")) {
                daemon.fail(&format!(
                    "the server never read the byte: {:?}",
                    server.log()
                ));
            }
            if how == "half-close" {
                c.shutdown(Shutdown::Write)
                    .unwrap_or_else(|e| daemon.fail(&format!("shutdown: {e}")));
            }
            let got = traffic::wait_for_data(&mut c, SOON)
                .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            drop(c);
            let mut seen = vec![format!("client got {got:?}")];
            if !socket::wait_for(SOON, || server.log().len() >= 3) {
                daemon.fail(&format!("the server's story is short: {:?}", server.log()));
            }
            seen.push(format!("server: {:?}", server.log()));
            seen.extend(tcplog_lines(&daemon, 1));
            for sv in ["s", "BACKEND"] {
                let c = counters(&daemon, "be", sv, &["cli_abrt", "srv_abrt", "bin", "bout"]);
                seen.push(format!("{c:?}"));
            }
            Some(seen)
        });
        eprintln!("nolinger {nolinger} {how}: {seen:#?}");
        assert_same_as_haproxy(&format!("nolinger {nolinger}, {how}"), &seen);
    }
}

/// `option tcpka` / `clitcpka` / `srvtcpka`: the proxy's sockets on the client side, the server
/// side or both carry TCP keep-alive probes (seen as the kernel's keep-alive timer), each option
/// on the side HAProxy 2.6 puts it.
#[test]
fn tcp_keepalive_options_arm_probes_on_their_side() {
    let a = traffic::tagged("a");
    for (fe_line, be_line) in [
        ("", ""),
        ("option tcpka", "option tcpka"),
        ("option clitcpka", ""),
        ("", "option srvtcpka"),
    ] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let fe_lines: Vec<&str> = [fe_line].into_iter().filter(|l| !l.is_empty()).collect();
            let mut be = BackendSection::new("be").server("a", a.addr(), "");
            if !be_line.is_empty() {
                be = be.line(be_line);
            }
            let cfg = Config::new()
                .section(frontend(listen, &fe_lines))
                .backend(be);
            let daemon = under.start(cfg)?;
            let h = held(&daemon, listen, "a session kept open");
            let client_port = h
                .stream
                .local_addr()
                .unwrap_or_else(|e| daemon.fail(&format!("{e}")))
                .port();
            let conns = established_tcp();
            let client_side = conns
                .iter()
                .find(|&&(l, r, _)| l == listen.port() && r == client_port)
                .map(|c| c.2.is_some());
            // The proxy's connection to the server: the only one open towards a's port.
            let server_side = conns
                .iter()
                .find(|&&(_, r, _)| r == a.addr().port())
                .map(|c| c.2.is_some());
            h.close();
            Some((client_side, server_side))
        });
        let expected = (
            Some(fe_line.contains("tcpka")),
            Some(be_line.contains("tcpka")),
        );
        for (under, sides) in &seen {
            assert_eq!(
                *sides, expected,
                "{under:?} with {fe_line:?} / {be_line:?}: keep-alive on (client, server) side"
            );
        }
        assert_same_as_haproxy(&format!("keep-alive with {fe_line:?} / {be_line:?}"), &seen);
    }
}

/// A server that goes into maintenance with connections waiting in its own queue: with `option
/// redispatch` they are balanced again at once (`2 requeued` in its log line, `wredis` on it,
/// `+` before the retries in their log lines); without, they stay in its queue (`2 remaining in
/// queue`). HAProxy 2.6's lines, counters and outcomes.
#[test]
fn waiters_of_a_server_leaving_are_requeued_only_with_redispatch() {
    let (a, b) = (traffic::tagged("a"), traffic::tagged("b"));
    for redispatch in [true, false] {
        let seen = on_both(|under| {
            let listen = ports::free_addr();
            let mut be = BackendSection::new("be")
                .line("balance source")
                .line("timeout queue 3s")
                .server("a", a.addr(), "maxconn 1")
                .server("b", b.addr(), "maxconn 1");
            if redispatch {
                be = be.line("option redispatch");
            }
            let cfg = tcplog_config(listen, be);
            let daemon = under.start(cfg)?;
            let first = held(&daemon, listen, "the session holding its server");
            let named = first.server.clone();
            let mut waiting = Vec::new();
            for i in 0..2 {
                let c = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
                waiting.push(c);
                daemon.wait_until("waiter queued", SOON, |d| {
                    d.stat("be", &named, "qcur") == (i + 1).to_string()
                });
            }
            daemon.query(&format!("disable server be/{named}"));
            let mut seen = Vec::new();
            // Which waiter is balanced first is the scheduler's business: outcomes are sorted.
            let read_all = |waiting: &mut Vec<TcpStream>, wait: Duration| {
                let got: Vec<Waited> = waiting
                    .iter_mut()
                    .map(|w| {
                        traffic::wait_for_data(w, wait)
                            .unwrap_or_else(|e| daemon.fail(&format!("{e}")))
                    })
                    .collect();
                let mut shown: Vec<String> = got.iter().map(|g| format!("{g:?}")).collect();
                shown.sort();
                (got, shown)
            };
            let (got, shown) = read_all(&mut waiting, Duration::from_secs(1));
            seen.push(format!("{shown:?}"));
            for sv in ["a", "b", "BACKEND"] {
                let c = counters(&daemon, "be", sv, &["qcur", "scur", "wredis", "lbtot"]);
                seen.push(format!("{c:?}"));
            }
            // Every slot taken so far is freed (those served leave); whoever still waits gets a
            // server or times out.
            let mut still = got.iter().map(|g| *g == Waited::Nothing);
            waiting.retain(|_| still.next().unwrap_or(false));
            first.close();
            seen.push(format!("{:?}", read_all(&mut waiting, SOON).1));
            drop(waiting);
            seen.extend(tcplog_lines(&daemon, 3));
            let stderr = daemon.stderr();
            let maint = stderr
                .lines()
                .find(|l| l.contains("going DOWN for maintenance"))
                .map(|l| {
                    l.rsplit_once(" servers left. ")
                        .map_or(l, |(_, r)| r)
                        .to_string()
                });
            seen.push(format!("{maint:?}"));
            Some(seen)
        });
        eprintln!("redispatch {redispatch}: {seen:#?}");
        for (under, s) in &seen {
            let requeued = if redispatch {
                "2 requeued, 0 remaining"
            } else {
                "0 requeued, 2 remaining"
            };
            assert!(
                s.iter().any(|l| l.contains(requeued)),
                "{under:?}: {requeued}: {s:#?}"
            );
        }
        assert_same_as_haproxy(&format!("requeue with redispatch {redispatch}"), &seen);
    }
}

// ---------------------------------------------------------------------------------------------
// Frontend and global maxconn

/// A new connection to `listen` that gets nothing for a second: held back by a limit.
fn held_back(daemon: &Daemon, under: Under, listen: SocketAddr, why: &str) -> TcpStream {
    let mut conn =
        client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("connect: {e}")));
    let got = traffic::wait_for_data(&mut conn, Duration::from_secs(1))
        .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    if got != Waited::Nothing {
        daemon.fail(&format!("{under:?}: {why}: served at once: {got:?}"));
    }
    conn
}

/// `conn`, held back so far, now reaches the `srv` backend.
fn served_soon(daemon: &Daemon, under: Under, conn: &mut TcpStream, after: &str) {
    let got = traffic::wait_for_data(conn, SOON).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    if got != Waited::Data(b"srv\n".to_vec()) {
        daemon.fail(&format!(
            "{under:?}: {after}, the waiting connection got {got:?}"
        ));
    }
}

fn back_pressure(under: Under, listen: SocketAddr, cfg: Config) -> Option<()> {
    let daemon = under.start(cfg)?;
    let a = held(&daemon, listen, "first");
    let _b = held(&daemon, listen, "second");
    let mut third = held_back(&daemon, under, listen, "the connection over maxconn");
    if daemon.stat("fe", "FRONTEND", "scur") != "2" {
        daemon.fail(&format!("{under:?}: frontend scur should stay at 2"));
    }
    a.close();
    served_soon(&daemon, under, &mut third, "once a slot freed");
    Some(())
}

#[test]
fn frontend_maxconn_holds_the_next_connection_in_the_backlog() {
    let srv = traffic::tagged("srv");
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .section(frontend(listen, &["maxconn 2"]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        back_pressure(under, listen, cfg)
    });
}

#[test]
fn global_maxconn_holds_the_next_connection_in_the_backlog() {
    let srv = traffic::tagged("srv");
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .global("maxconn 2")
            .section(frontend(listen, &[]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        back_pressure(under, listen, cfg)
    });
}

/// `set maxconn frontend` at run time: lowering it holds the next connection back, raising it
/// lets that connection in without any other one closing; `slim` follows. HAProxy 2.6.12 is
/// checked on the lowering only: raising the limit of a full frontend deadlocks it (the CLI
/// holds the proxy lock that `resume_listener` takes) until its watchdog kills the process.
#[test]
fn set_maxconn_frontend_moves_the_limit_at_run_time() {
    let srv = traffic::tagged("srv");
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .section(frontend(listen, &["maxconn 50"]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        let daemon = under.start(cfg)?;
        let answer = daemon.query("set maxconn frontend fe 2");
        if answer != "\n" {
            daemon.fail(&format!(
                "{under:?}: set maxconn frontend answered {answer:?}"
            ));
        }
        if daemon.stat("fe", "FRONTEND", "slim") != "2" {
            daemon.fail(&format!("{under:?}: slim should show the new limit"));
        }
        let _a = held(&daemon, listen, "first");
        let _b = held(&daemon, listen, "second");
        let mut third = held_back(&daemon, under, listen, "over the lowered maxconn");
        if under == Under::Haproxy {
            return Some(daemon.stat("fe", "FRONTEND", "slim"));
        }
        daemon.query("set maxconn frontend fe 3");
        served_soon(&daemon, under, &mut third, "after raising maxconn");
        Some(daemon.stat("fe", "FRONTEND", "slim"))
    });
}

/// `set maxconn global` below the sessions already running: none of them is cut, and new
/// connections wait until the running ones have come down under the new limit, not merely
/// until one of them ends.
#[test]
fn set_maxconn_global_below_the_running_sessions_waits_for_them_to_end() {
    let srv = traffic::tagged("srv");
    on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .global("maxconn 10")
            .section(frontend(listen, &[]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        let daemon = under.start(cfg)?;
        let a = held(&daemon, listen, "first");
        let b = held(&daemon, listen, "second");
        let _c = held(&daemon, listen, "third");
        daemon.query("set maxconn global 2");
        a.close();
        daemon.wait_until("the first session to end", SOON, |d| {
            d.stat("fe", "FRONTEND", "scur") == "2"
        });
        let mut next = held_back(
            &daemon,
            under,
            listen,
            "at 2 sessions with global maxconn 2",
        );
        b.close();
        served_soon(&daemon, under, &mut next, "once under the limit");
        Some(())
    });
}

/// True once a connection to `listen` is refused (polled: a proxy applies the command just
/// after answering it).
fn refused_soon(listen: SocketAddr) -> bool {
    let deadline = Instant::now() + SOON;
    while Instant::now() < deadline {
        match client::connect(listen) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return true,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

/// `disable frontend` releases the port (clients are refused, as HAProxy's paused listeners
/// refuse them, rather than left in a backlog), running sessions go on, `enable frontend` serves
/// again, `shutdown frontend` closes it for good; each says so on stderr in HAProxy's words.
#[test]
fn disable_enable_and_shutdown_frontend_act_on_the_port_at_once() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .section(frontend(listen, &[]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        let mut running = held(&daemon, listen, "before pausing");
        seen.push(daemon.query("disable frontend fe"));
        if !refused_soon(listen) {
            daemon.fail(&format!(
                "{under:?}: a paused frontend still takes connections"
            ));
        }
        seen.push(daemon.stat("fe", "FRONTEND", "status"));
        seen.push(daemon.query("disable frontend fe"));
        seen.push(daemon.query("enable frontend fe"));
        let got = traffic::server_of_next_connection(listen)
            .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: after enable: {e}")));
        seen.push(got);
        // The session opened before the pause was never touched.
        running
            .stream
            .write_all(b"still here")
            .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: running session: {e}")));
        seen.push(daemon.query("shutdown frontend fe"));
        if !refused_soon(listen) {
            daemon.fail(&format!(
                "{under:?}: a shut down frontend still takes connections"
            ));
        }
        seen.push(daemon.stat("fe", "FRONTEND", "status"));
        for cmd in [
            "enable frontend fe",
            "disable frontend fe",
            "shutdown frontend fe",
        ] {
            seen.push(daemon.query(cmd));
        }
        daemon.wait_until("the warnings on stderr", SOON, |d| {
            d.stderr().contains("Proxy fe stopped")
        });
        let stderr = daemon.stderr();
        seen.extend(logged(
            &stderr,
            &[
                "Paused frontend fe.",
                "Resumed frontend fe.",
                "Proxy fe stopped (cumulated conns: FE: 2, BE: 0).",
            ],
        ));
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("disable/enable/shutdown frontend", &seen);
}

// ---------------------------------------------------------------------------------------------
// Idle timeouts

fn idle_timeout(
    under: Under,
    client_timeout: &str,
    server_timeout: &str,
    srv: &Backend,
) -> Option<BTreeMap<String, String>> {
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(
            listen,
            &[&format!("timeout client {client_timeout}")],
        ))
        .backend(
            BackendSection::new("be")
                .line(format!("timeout server {server_timeout}"))
                .server("srv", srv.addr(), ""),
        );
    let daemon = under.start(cfg)?;
    let mut idle = held(&daemon, listen, "idle connection");
    let started = Instant::now();
    let got = traffic::wait_for_data(&mut idle.stream, SOON)
        .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    if got != Waited::Closed || started.elapsed() < Duration::from_millis(700) {
        daemon.fail(&format!(
            "{under:?}: idle session got {got:?} after {:?}",
            started.elapsed()
        ));
    }
    // HAProxy shuts the client's side and then waits for the client to close its own.
    idle.close();
    daemon.wait_until("the session ended", SOON, |d| {
        d.stat("be", "BACKEND", "scur") == "0"
    });
    let cols = ["cli_abrt", "srv_abrt", "eresp", "stot"];
    let mut c = counters(&daemon, "be", "srv", &cols);
    c.extend(counters(&daemon, "be", "BACKEND", &cols));
    Some(c)
}

#[test]
fn idle_client_timeout_closes_the_session_and_counts_like_haproxy() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| idle_timeout(under, "1s", "30s", &srv));
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("counters after `timeout client`", &seen);
}

#[test]
fn idle_server_timeout_closes_the_session_and_counts_like_haproxy() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| idle_timeout(under, "30s", "1s", &srv));
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("counters after `timeout server`", &seen);
}

// ---------------------------------------------------------------------------------------------
// `proxyd -c`

fn run_check(files: &[&std::path::Path]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(e2e::bins::proxyd());
    cmd.arg("-c");
    for f in files {
        cmd.arg("-f").arg(f);
    }
    let out = cmd.output().expect("run proxyd -c");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `[ALERT]    (1234) : ` → `[ALERT] : `, so lines from two processes compare.
fn without_pid(line: &str) -> String {
    match (line.find('('), line.find(") : ")) {
        (Some(a), Some(b)) if a < b => format!("{} : {}", line[..a].trim_end(), &line[b + 4..]),
        _ => line.to_string(),
    }
}

#[test]
fn check_mode_accepts_good_files_and_reports_every_error_of_a_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.cfg");
    std::fs::write(
        &good,
        "global\n    maxconn 100\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:8443\n    default_backend be\nbackend be\n    balance leastconn\n    server s1 127.0.0.1:9001 weight 3 maxconn 10 maxqueue 5\n    server s2 127.0.0.1:9002 backup\n",
    )
    .expect("write good.cfg");
    let (code, stdout, stderr) = run_check(&[&good]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Configuration file is valid\n"),
        "stderr:\n{stderr}"
    );

    let bad = dir.path().join("bad.cfg");
    std::fs::write(
        &bad,
        "defaults\n    mode tcp\n    ballance roundrobin\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:8443\n    foo bar\n    default_backend be\nbackend be\n    server s1 127.0.0.1:9001 weight 300\n",
    )
    .expect("write bad.cfg");
    let (code, stdout, stderr) = run_check(&[&bad]);
    let path = bad.display();
    let expected = [
        format!("[ALERT] : config : parsing [{path}:3] : unknown keyword 'ballance' in 'defaults' section; did you mean 'balance' maybe ?"),
        format!("[ALERT] : config : parsing [{path}:9] : unknown keyword 'foo' in 'frontend' section"),
        format!("[ALERT] : config : [{path}:12] : 'server be/s1' : weight of server s1 is not within 0 and 256 (300).."),
    ];
    let lines: Vec<String> = stderr.lines().map(without_pid).collect();
    for want in &expected {
        assert!(
            lines.contains(want),
            "missing {want:?} in stderr:\n{stderr}"
        );
    }
    assert_eq!(code, 1, "exit code; stdout {stdout:?}, stderr:\n{stderr}");
    // The verdict: the file that failed to parse, then the end.
    let verdict = [
        format!("[ALERT] : config : Error(s) found in configuration file : {path}"),
        "[ALERT] : config : Fatal errors found in configuration.".to_string(),
    ];
    assert_eq!(
        lines[lines.len().saturating_sub(2)..],
        verdict,
        "final verdict in:\n{stderr}"
    );
    // The lines for keywords HAProxy rejects the same way are HAProxy's own words.
    if let Some(haproxy) = e2e::bins::haproxy() {
        let out = std::process::Command::new(haproxy)
            .arg("-c")
            .arg("-f")
            .arg(&bad)
            .output()
            .expect("haproxy -c");
        let theirs: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(without_pid)
            .collect();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(theirs[theirs.len().saturating_sub(2)..], verdict);
        for want in &expected[..2] {
            assert!(
                theirs.contains(want),
                "HAProxy does not print {want:?}: {theirs:#?}"
            );
        }
    }
}

#[test]
fn check_mode_accepts_the_blog_configuration_and_debians_stock_file() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    // The blog post's file with its host names pointed at this machine.
    let blog = format!(
        r"global
    stats socket {sock}
frontend fe_service
    bind localhost:443
    mode tcp
    default_backend be_service
backend be_service
    balance roundrobin
    mode tcp
    option httpchk GET /v1/status
    http-check expect status 200
    server backend1.example.com localhost:8443 check check-ssl verify required ca-file {ca} maxconn 5
    server backend2.example.com localhost:8443 check check-ssl verify required ca-file {ca} maxconn 5
listen stats :9000
    mode http
    stats enable
    stats hide-version
    stats realm Haproxy\ Statistics
    stats uri /
",
        sock = dir.path().join("stats").display(),
        ca = pki.ca_file().display()
    );
    let path = dir.path().join("blog.cfg");
    std::fs::write(&path, blog).expect("write blog.cfg");
    let (code, stdout, stderr) = run_check(&[&path]);
    // HAProxy's verdict after warnings.
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Warnings were found.\nConfiguration file is valid\n"),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("please use the 'bind' keyword for listening addresses"),
        "the `listen stats :9000` form should be accepted with a warning:\n{stderr}"
    );
    let debian = std::path::Path::new("/etc/haproxy/haproxy.cfg");
    if debian.is_file() {
        let (code, stdout, stderr) = run_check(&[debian]);
        // Its `errorfile` and HTTP options are ignored with warnings.
        let verdict = match stderr.contains("[WARNING]") {
            true => "Warnings were found.\nConfiguration file is valid\n",
            false => "Configuration file is valid\n",
        };
        assert_eq!((code, stdout.as_str()), (0, verdict), "stderr:\n{stderr}");
    } else {
        eprintln!(
            "note: {} absent, Debian's stock file not checked",
            debian.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Background mode and signals

#[test]
fn daemon_mode_writes_the_background_pid_and_stops_on_sigterm() {
    let srv = traffic::tagged("srv");
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
    let bg = Background::start(cfg);
    assert!(
        bg.parent_status.success(),
        "foreground parent failed\n{}",
        bg.context()
    );
    let pid = bg
        .pid
        .unwrap_or_else(|| panic!("no pid in the pid file\n{}", bg.context()));
    assert!(
        Background::alive(pid),
        "pid {pid} from the pid file is not running\n{}",
        bg.context()
    );
    let info = socket::query(&bg.config.admin_socket(), "show info").unwrap_or_else(|e| {
        panic!(
            "stats socket of the background process: {e}\n{}",
            bg.context()
        )
    });
    assert!(
        info.contains(&format!("Pid: {pid}\n")),
        "show info names another pid:\n{info}"
    );
    let server = traffic::server_of_next_connection(listen).unwrap_or_else(|e| {
        panic!(
            "traffic through the background process: {e}\n{}",
            bg.context()
        )
    });
    assert_eq!(server, "srv");
    bg.signal("TERM");
    assert!(
        socket::wait_for(SOON, || !Background::alive(pid)),
        "pid {pid} still running after SIGTERM\n{}",
        bg.context()
    );
    assert!(
        client::connect(listen).is_err(),
        "the listener outlived the process"
    );
}

#[test]
fn daemon_mode_start_failure_makes_the_parent_exit_non_zero_with_the_reason() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port to occupy");
    let listen = taken.local_addr().expect("local_addr");
    ports::claim(listen.port());
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("srv", ports::closed_addr(), ""));
    let bg = Background::start(cfg);
    assert!(
        !bg.parent_status.success(),
        "the parent reported success\n{}",
        bg.context()
    );
    assert!(
        bg.parent_stderr.contains("[ALERT]")
            && bg.parent_stderr.contains(&format!(
                "Starting frontend fe: cannot bind socket (Address already in use) [{listen}]"
            )),
        "the parent does not say why:\n{}",
        bg.context()
    );
    drop(taken);
}

#[test]
fn sigusr1_stops_accepting_and_exits_after_the_last_session() {
    let echo = Backend::echo();
    let listen = ports::free_addr();
    let cfg = Config::new()
        .section(frontend(listen, &[]))
        .backend(BackendSection::new("be").server("echo", echo.addr(), ""));
    let daemon = Daemon::proxyd(cfg);
    let mut session = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    let mut buf = [0u8; 5];
    session
        .write_all(b"one\n")
        .and_then(|_| session.read_exact(&mut buf[..4]))
        .unwrap_or_else(|e| daemon.fail(&format!("before SIGUSR1: {e}")));
    background::send_signal(daemon.pid(), "USR1");
    if !socket::wait_for(SOON, || client::connect(listen).is_err()) {
        daemon.fail("still accepting after SIGUSR1");
    }
    session
        .write_all(b"two\n")
        .and_then(|_| session.read_exact(&mut buf[..4]))
        .unwrap_or_else(|e| daemon.fail(&format!("the established session broke on SIGUSR1: {e}")));
    if &buf[..4] != b"two\n" || daemon.exit_status().is_some() {
        daemon.fail(&format!(
            "after SIGUSR1: echoed {:?}, exited {:?}",
            &buf[..4],
            daemon.exit_status()
        ));
    }
    drop(session);
    if !socket::wait_for(SOON, || daemon.exit_status().is_some()) {
        daemon.fail("did not exit once its last session ended");
    }
    if daemon.exit_status().is_some_and(|s| !s.success()) {
        daemon.fail("soft stop exited with an error status");
    }
}

// ---------------------------------------------------------------------------------------------
// Logs

/// Masks what changes from run to run in a tcplog line (client port, date, timers), checking
/// that each has the right shape.
fn tcplog_shape(line: &str) -> Result<String, String> {
    let t: Vec<&str> = line.split(' ').collect();
    if t.len() != 9 {
        return Err(format!("{} fields in {line:?}", t.len()));
    }
    let (ip, port) = t[0].rsplit_once(':').ok_or("no client port")?;
    port.parse::<u16>().map_err(|e| format!("port: {e}"))?;
    let date = t[1]
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .ok_or("no [date]")?;
    let date_ok = date.len() == 24
        && date.as_bytes()[2] == b'/'
        && date.as_bytes()[6] == b'/'
        && date.as_bytes()[20] == b'.'
        && date[7..11].chars().all(|c| c.is_ascii_digit());
    if !date_ok {
        return Err(format!("date {date:?} is not dd/Mon/yyyy:HH:MM:SS.mmm"));
    }
    let timers: Vec<&str> = t[4].split('/').collect();
    if timers.len() != 3 || timers.iter().any(|x| x.parse::<i64>().is_err()) {
        return Err(format!("timers {:?}", t[4]));
    }
    Ok(format!(
        "{ip}:PORT [DATE] {} {} Tw/Tc/Tt {}",
        t[2],
        t[3],
        t[5..].join(" ")
    ))
}

#[test]
fn tcplog_writes_one_line_per_connection_shaped_like_haproxys() {
    let echo = Backend::echo();
    let fixture = include_str!("../fixtures/haproxy-2.6/logs-stderr.txt");
    let captured = fixture
        .lines()
        .find(|l| l.contains(" fe_log be_log/web "))
        .expect("tcplog line in the fixture");
    tcplog_shape(captured).expect("the fixture's line parses");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .section(frontend(listen, &["option tcplog"]))
            .backend(BackendSection::new("be").server("echo", echo.addr(), ""));
        let daemon = under.start(cfg)?;
        let answer = client::tcp_roundtrip(listen, b"hello\n")
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        assert_eq!(answer, b"hello\n");
        let stderr = daemon.wait_for_stderr(" fe be/echo ", SOON);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(" fe be/echo "))
            .collect();
        if lines.len() != 1 {
            daemon.fail(&format!(
                "{under:?}: expected one tcplog line, got {lines:#?}"
            ));
        }
        Some(tcplog_shape(lines[0]).unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}"))))
    });
    eprintln!("{seen:#?}");
    for (under, shape) in &seen {
        assert_eq!(
            shape, "127.0.0.1:PORT [DATE] fe be/echo Tw/Tc/Tt 6 -- 1/1/0/0/0 0/0",
            "{under:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// on-marked-down shutdown-sessions

fn session_when_server_goes_down(under: Under, options: &str, expected: Waited) {
    let web = Backend::http(200);
    let listen = ports::free_addr();
    // The session's log line says how it ended, should it end unexpectedly.
    let cfg = Config::new()
        .log_to_stderr()
        .section(frontend(listen, &["option tcplog"]))
        .backend(
            BackendSection::new("be")
                .line("option httpchk GET /v1/status")
                .server(
                    "web",
                    web.addr(),
                    &format!("check inter 200ms fall 1 rise 1 {options}"),
                ),
        );
    let Some(daemon) = under.start(cfg) else {
        return;
    };
    daemon.wait_until("web UP", SOON, |d| d.stat("be", "web", "status") == "UP");
    let mut session = client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    // Half a request: the server waits for the rest, so the session stays established.
    session
        .write_all(b"GET /bytes/5 HTTP/1.1\r\n")
        .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    daemon.wait_until("the session on web", SOON, |d| {
        d.stat("be", "web", "scur") == "1"
    });
    web.set_status(503);
    daemon.wait_until("web DOWN", SOON, |d| {
        d.stat("be", "web", "status") == "DOWN"
    });
    // Well under the server's own 10 s wait for the rest of the request.
    let got = traffic::wait_for_data(&mut session, Duration::from_secs(3))
        .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
    if got != expected {
        daemon.fail(&format!(
            "{under:?} with {options:?}: the session saw {got:?}, not {expected:?}"
        ));
    }
    if got == Waited::Nothing {
        session
            .write_all(b"\r\n")
            .unwrap_or_else(|e| daemon.fail(&format!("finishing the request: {e}")));
        let mut answer = Vec::new();
        let _ = session.read_to_end(&mut answer);
        if !answer.starts_with(b"HTTP/1.1 200 OK") {
            daemon.fail(&format!(
                "{under:?}: the surviving session got {:?}",
                String::from_utf8_lossy(&answer)
            ));
        }
    }
}

#[test]
fn server_marked_down_has_its_sessions_shut_only_with_on_marked_down() {
    for under in [Under::Haproxy, Under::Proxyd] {
        session_when_server_goes_down(under, "on-marked-down shutdown-sessions", Waited::Closed);
        session_when_server_goes_down(under, "", Waited::Nothing);
    }
}

// ---------------------------------------------------------------------------------------------
// Servers added and removed at run time

/// `add server` registers a server in maintenance that takes traffic once enabled; `del server`
/// refuses a server that is not in maintenance or still has a session, then removes it; a
/// checked server added at run time is checked once `enable health` says so. Every answer is
/// compared with HAProxy's.
#[test]
fn add_and_del_server_change_a_running_backend() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .section(frontend(listen, &[]))
            .backend(BackendSection::new("be").server("a", a.addr(), ""))
            .backend(
                BackendSection::new("bs")
                    .line("balance static-rr")
                    .server("x", a.addr(), ""),
            );
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        let next = |what: &str| {
            traffic::server_of_next_connection(listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {what}: {e}")))
        };
        seen.push(daemon.query(&format!("add server be/b {}", b.addr())));
        seen.push(daemon.stat("be", "b", "status"));
        seen.push(next("b in maintenance"));
        seen.push(daemon.query("enable server be/b"));
        let mut spread = [next("first"), next("second")];
        spread.sort();
        seen.push(spread.join(","));
        for cmd in [
            &format!("add server be/b {}", b.addr()),
            &format!("add server bs/y {}", b.addr()),
            &format!("add server be/c {} cookie c", b.addr()),
            "add server be",
            "add server nope/c 127.0.0.1:1",
            "del server be/b",
        ] {
            seen.push(daemon.query(cmd));
        }
        // A session on b keeps it.
        daemon.query("set server be/a state maint");
        let running = held(&daemon, listen, "through b");
        seen.push(running.server.clone());
        daemon.query("set server be/a state ready");
        seen.push(daemon.query("disable server be/b"));
        seen.push(daemon.query("del server be/b"));
        running.close();
        daemon.wait_until("b's session to end", SOON, |d| {
            d.stat("be", "b", "scur") == "0"
        });
        seen.push(daemon.query("del server be/b"));
        seen.push(format!("{:?}", daemon.show_stat().get("be", "b", "status")));
        seen.push(daemon.query("del server be/b"));
        seen.push(next("after the delete"));
        // A checked server starts with its check off, even once enabled.
        let closed = ports::closed_addr();
        seen.push(daemon.query(&format!("add server be/c {closed} check inter 100")));
        // Ids of deleted servers are given again; a taken one is refused.
        seen.push(daemon.stat("be", "c", "sid"));
        seen.push(daemon.query(&format!("add server be/d {closed} id 2")));
        seen.push(daemon.query("enable server be/c"));
        seen.push(daemon.stat("be", "c", "status"));
        seen.push(daemon.query("enable health be/c"));
        daemon.wait_until("c's check to fail", SOON, |d| {
            d.stat("be", "c", "status") == "DOWN"
        });
        seen.push(daemon.stat("be", "c", "check_status"));
        let stderr = daemon.wait_for_stderr("Server deleted.", SOON);
        seen.push(format!(
            "logged: {}",
            stderr.contains("'server be/b' : New server registered.")
        ));
        if under == Under::Proxyd {
            // A reload builds the backends from the configuration again, as a new HAProxy
            // process does: servers added at run time are gone.
            background::send_signal(daemon.pid(), "HUP");
            daemon.wait_until("the reload to drop be/c", SOON, |d| {
                d.show_stat().get("be", "c", "status").is_none()
            });
        }
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("add server / del server", &seen);
}

// ---------------------------------------------------------------------------------------------
// show sess / shutdown session

/// `key=value` words of a `show sess` line that mean the same on both proxies.
fn sess_fields(line: &str) -> String {
    line.split_whitespace()
        .filter(|w| {
            ["proto=", "src=", "fe=", "be=", "srv="]
                .iter()
                .any(|k| w.starts_with(k))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `show sess` lists a forwarding session with its client, frontend, backend and server;
/// `shutdown session` with the id from that line ends it at once (logged `KD`); bad ids get
/// HAProxy's answers.
#[test]
fn show_sess_lists_sessions_and_shutdown_session_ends_one() {
    let a = traffic::tagged("a");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .log_to_stderr()
            .section(frontend(listen, &["option tcplog"]))
            .backend(BackendSection::new("be").server("a", a.addr(), ""));
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        let mut running = held(&daemon, listen, "the session to list");
        let local = running
            .stream
            .local_addr()
            .unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let listed = daemon.query("show sess");
        // HAProxy also lists the CLI session that asks (`fe=GLOBAL`).
        let ours: Vec<&str> = listed.lines().filter(|l| l.contains(" fe=fe ")).collect();
        if ours.len() != 1 {
            daemon.fail(&format!("{under:?}: one session expected in {listed:?}"));
        }
        seen.push(sess_fields(ours[0]).replace(&format!(":{}", local.port()), ":PORT"));
        let id = ours[0].split(':').next().unwrap_or_default().to_string();
        // By id, the detailed layout: HAProxy's first line, and its `server=` line.
        let one = daemon.query(&format!("show sess {id}"));
        let first = one.lines().next().unwrap_or_default();
        seen.push(format!(
            "by id: {} {}",
            first.starts_with(&format!("{id}: ["))
                && first.ends_with(&format!(" proto=tcpv4 source={local}")),
            one.contains(&format!("\n  server=a (id=1) addr={}\n", a.addr()))
        ));
        for cmd in [
            "show sess 0xdeadbeef0",
            "shutdown session",
            "shutdown session abc",
            "shutdown session 0xdeadbeef0",
            &format!("shutdown session {id}"),
        ] {
            seen.push(daemon.query(cmd));
        }
        let ended = traffic::wait_for_data(&mut running.stream, SOON)
            .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}")));
        seen.push(format!("{ended:?}"));
        let stderr = daemon.wait_for_stderr(" fe be/a ", SOON);
        let log = stderr
            .lines()
            .find(|l| l.contains(" fe be/a "))
            .unwrap_or_default();
        seen.push(format!("killed in the log: {}", log.contains(" K- ")));
        daemon.wait_until("the session to leave the list", SOON, |d| {
            !d.query("show sess").contains(" fe=fe ")
        });
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("show sess / shutdown session", &seen);
}

// ---------------------------------------------------------------------------------------------
// track

/// The answer to `command` (`show servers state …`) line by line, without the age column,
/// which only says when each side ran.
fn servers_state(d: &Daemon, command: &str) -> Vec<String> {
    d.query(command)
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(' ').collect();
            if f.len() > 9 && !l.starts_with('#') {
                f[9] = "-";
            }
            f.join(" ")
        })
        .collect()
}

/// A frontend on `listen` and the backend `b1` whose servers are tracked: `s1` (checked, on
/// `live`) and `s2` (checked, on the closed `dead`, down at its first check).
fn tracked_servers(listen: SocketAddr, live: SocketAddr, dead: SocketAddr) -> Config {
    Config::new()
        .log_to_stderr()
        .section(frontend(listen, &[]))
        .backend(
            BackendSection::new("b1")
                .server("s1", live, "check inter 100ms")
                .server("s2", dead, "check inter 100ms fall 1 rise 1"),
        )
}

/// Servers that `track` another take its state: down by its check (and then get no traffic
/// although their own address answers), maintenance and drain; their status, `tracked` column
/// and log lines are HAProxy's, and their health cannot be forced.
#[test]
fn tracking_servers_follow_the_server_they_track() {
    let live = traffic::tagged("s1");
    let t1 = traffic::tagged("t1");
    let t2 = traffic::tagged("t2");
    let t3 = traffic::tagged("t3");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let dead = ports::closed_addr();
        let cfg = tracked_servers(listen, live.addr(), dead).backend(
            BackendSection::new("be")
                .server("t1", t1.addr(), "track b1/s1")
                .server("t2", t2.addr(), "track b1/s2")
                .server("t3", t3.addr(), "track t1"),
        );
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        let states = |d: &Daemon| {
            let table = d.show_stat();
            ["t1", "t2", "t3"]
                .iter()
                .map(|s| {
                    let get = |c: &str| table.get("be", s, c).unwrap_or_default().to_string();
                    format!("{s} {} via {}", get("status"), get("tracked"))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        daemon.wait_until("t2 down with s2", SOON, |d| {
            d.stat("be", "t2", "status") == "DOWN"
        });
        seen.push(states(&daemon));
        let mut got: Vec<String> = (0..4)
            .map(|_| {
                traffic::server_of_next_connection(listen)
                    .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}")))
            })
            .collect();
        got.sort();
        got.dedup();
        seen.push(got.join(","));
        seen.push(daemon.query("set server be/t1 health down"));
        daemon.query("disable server b1/s1");
        seen.push(states(&daemon));
        daemon.query("enable server b1/s1");
        daemon.wait_until("t1 back", SOON, |d| d.stat("be", "t1", "status") == "UP");
        seen.push(states(&daemon));
        daemon.query("set server b1/s1 state drain");
        seen.push(states(&daemon));
        daemon.query("set server b1/s1 state ready");
        // s2's address starts answering: its check brings it up, and t2 with it.
        let revived =
            TcpListener::bind(dead).unwrap_or_else(|e| daemon.fail(&format!("bind {dead}: {e}")));
        daemon.wait_until("t2 up with s2", SOON, |d| {
            d.stat("be", "t2", "status") == "UP"
        });
        drop(revived);
        seen.push(states(&daemon));
        let stderr = daemon.wait_for_stderr("Server be/t2 is UP via b1/s2.", SOON);
        seen.extend(logged(
            &stderr,
            &[
                "Server be/t2 is DOWN via b1/s2. ",
                "Server be/t1 is going DOWN for maintenance via b1/s1. ",
                "Server be/t3 is going DOWN for maintenance via be/t1. ",
                "Server be/t1 is UP/READY (leaving maintenance).",
                "Server be/t3 is UP/READY (leaving maintenance).",
                "Server be/t1 enters drain state via b1/s1. ",
                "Server be/t1 is UP (leaving forced drain).",
                "Server be/t2 is UP via b1/s2. ",
            ],
        ));
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("track", &seen);
}

/// A backend whose only server starts `disabled` is DOWN from the start without a transition
/// (`chkdown` 0), while one whose server tracks it goes down when tracking is linked and counts
/// it: HAProxy 2.6's figures, with `downtime` running from the start in both.
#[test]
fn backends_down_from_the_start_count_transitions_as_haproxy_does() {
    let seen = on_both(|under| {
        let unused = ports::closed_addr();
        let cfg = Config::new()
            .backend(BackendSection::new("bm").server("m1", unused, "disabled check"))
            .backend(BackendSection::new("bt").server("t1", unused, "track bm/m1"))
            .backend(
                BackendSection::new("bn")
                    .server("n1", unused, "disabled")
                    .server("n2", unused, ""),
            );
        let daemon = under.start(cfg)?;
        let table = daemon.show_stat();
        let rows = ["bm", "bt", "bn"]
            .iter()
            .map(|px| {
                let get = |c: &str| table.get(px, "BACKEND", c).unwrap_or_default().to_string();
                format!("{px} {} chkdown {}", get("status"), get("chkdown"))
            })
            .collect::<Vec<_>>();
        Some(rows)
    });
    eprintln!("{seen:#?}");
    for (under, rows) in &seen {
        assert_eq!(rows[0], "bm DOWN chkdown 0", "{under:?}");
    }
    assert_same_as_haproxy("backend states at start", &seen);
}

/// `add server … track`: a server added at run time may track a configured one (not another
/// added one, not with its own check); it stays linked but untouched in maintenance, takes the
/// tracked server's state when enabled, follows its maintenance from then on, and a tracked
/// server can never be deleted. Also the log lines and health counters around maintenance
/// that go with it: `was DOWN and now enters maintenance`, `DOWN/READY (leaving forced
/// maintenance)`, an unchecked server's health 0 after a maintenance. Same answers, states,
/// traffic and log lines as HAProxy 2.6.
#[test]
fn servers_added_at_run_time_track_configured_ones() {
    let live = traffic::tagged("s1");
    let o1 = traffic::tagged("o1");
    let d1 = traffic::tagged("d1");
    let d2 = traffic::tagged("d2");
    let n1 = traffic::tagged("n1");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let dead = ports::closed_addr();
        let cfg = tracked_servers(listen, live.addr(), dead).backend(
            BackendSection::new("be")
                .line("balance roundrobin")
                .server("o1", o1.addr(), "track b1/s1")
                .server("n1", n1.addr(), ""),
        );
        let daemon = under.start(cfg)?;
        daemon.wait_until("s2 down", SOON, |d| d.stat("b1", "s2", "status") == "DOWN");
        let mut seen = Vec::new();
        let state = |d: &Daemon| servers_state(d, "show servers state be");
        for cmd in [
            format!("add server be/d1 {} track b1/s1", d1.addr()),
            format!("add server be/d2 {} track b1/s2", d2.addr()),
            format!("add server be/d3 {} track be/d1", d1.addr()),
            format!("add server be/d4 {} track b1/s1 check", d1.addr()),
            format!("add server be/d5 {} track nope/s1", d1.addr()),
            format!("add server be/d6 {} track b1/nope", d1.addr()),
        ] {
            seen.push(daemon.query(&cmd));
        }
        seen.extend(state(&daemon));
        daemon.query("enable server be/d1");
        daemon.query("enable server be/d2");
        seen.extend(state(&daemon));
        let mut got: Vec<String> = (0..6)
            .map(|_| {
                traffic::server_of_next_connection(listen)
                    .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}")))
            })
            .collect();
        got.sort();
        got.dedup();
        seen.push(got.join(","));
        for cmd in [
            "set server b1/s1 state maint",
            "del server b1/s1",
            "set server b1/s2 state maint",
            "del server b1/s2",
            "set server be/n1 state maint",
            "set server be/n1 state ready",
        ] {
            seen.push(daemon.query(cmd));
        }
        seen.extend(state(&daemon));
        // HAProxy refuses to delete a server whose last session is still closing ("Server
        // still has connections attached to it"): the six sessions above must have ended.
        daemon.wait_until("the sessions through be ended", SOON, |d| {
            ["o1", "n1", "d1", "d2"]
                .iter()
                .all(|s| d.stat("be", s, "scur") == "0")
        });
        for cmd in [
            "set server b1/s1 state ready",
            "set server be/d1 state maint",
            "del server be/d1",
            "del server b1/s1",
        ] {
            seen.push(daemon.query(cmd));
        }
        seen.extend(state(&daemon));
        let stderr = daemon.wait_for_stderr("Server be/d1 is going DOWN for maintenance. ", SOON);
        seen.extend(logged(
            &stderr,
            &[
                "Server be/d1 is UP/READY (leaving forced maintenance).",
                "Server be/d2 is DOWN/READY (leaving forced maintenance).",
                "Server be/o1 is going DOWN for maintenance via b1/s1. ",
                "Server be/d1 is going DOWN for maintenance via b1/s1. ",
                "Server b1/s2 was DOWN and now enters maintenance.",
                "Server be/d2 was DOWN and now enters maintenance via b1/s2.",
                "Server be/d1 is UP/READY (leaving maintenance).",
                "Server be/n1 is UP/READY (leaving forced maintenance).",
            ],
        ));
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("track from add server", &seen);
}

// ---------------------------------------------------------------------------------------------
// mapped ports

/// A server without a port (or with `+N`/`-N`) gets each connection on the port the client
/// connected to (plus N), as HAProxy's mapped ports do for one frontend on several ports; `show
/// stat` shows `127.0.0.1:0` / `127.0.0.1:-1` and `show servers state` the port as HAProxy does.
/// Each proxy listens on its own loopback address, on the backends' port numbers.
#[test]
fn servers_without_a_port_take_the_clients_destination_port() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let c = traffic::tagged("c");
    let seen = on_both(|under| {
        let ip = match under {
            Under::Haproxy => "127.0.0.2",
            Under::Proxyd => "127.0.0.3",
        };
        let at =
            |port: u16| -> SocketAddr { format!("{ip}:{port}").parse().expect("loopback address") };
        let (pa, pb, pc) = (a.addr().port(), b.addr().port(), c.addr().port());
        let shifted = pc.checked_add(1)?;
        let cfg = Config::new()
            .section(format!(
                "frontend fe\n    bind {},{}\n    default_backend be\n",
                at(pa),
                at(pb)
            ))
            .section(format!(
                "frontend fe2\n    bind {}\n    default_backend be2\n",
                at(shifted)
            ))
            .section("backend be\n    server s1 127.0.0.1\n")
            .section("backend be2\n    server s2 127.0.0.1:-1\n");
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        for port in [pa, pb, shifted] {
            let tag = traffic::server_of_next_connection(at(port))
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?} port {port}: {e}")));
            seen.push(tag);
        }
        // `show sess all` names where the connection went.
        let held = traffic::Held::open(at(pb))
            .unwrap_or_else(|e| daemon.fail(&format!("{under:?} port {pb}: {e}")));
        let sessions = daemon.query("show sess all");
        let went = format!("server=s1 (id=1) addr=127.0.0.1:{pb}");
        seen.push(format!("{went}: {}", sessions.contains(&went)));
        held.close();
        let table = daemon.show_stat();
        for (px, sv) in [("be", "s1"), ("be2", "s2")] {
            seen.push(table.get(px, sv, "addr").unwrap_or_default().to_string());
        }
        seen.extend(
            servers_state(&daemon, "show servers state")
                .into_iter()
                .skip(2),
        );
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("mapped ports", &seen);
    assert!(
        seen.iter()
            .all(|(_, s)| s[..3] == ["a", "b", "c"] && s[3].ends_with("true")),
        "connections went elsewhere: {seen:?}"
    );
}

/// `set server b/s addr IP [port P]`: the next connection goes to the new address while a
/// session already open stays on the old one, the server's check follows it (down on a closed
/// port, up again back on a live one), and every answer is HAProxy's report, refusals
/// included.
#[test]
fn set_server_addr_moves_new_connections_and_the_check() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let seen =
        on_both(|under| {
            let listen = ports::free_addr();
            let dead = ports::closed_addr();
            let cfg = Config::new().section(frontend(listen, &[])).backend(
                BackendSection::new("be").server("s1", a.addr(), "check inter 100ms fall 1 rise 1"),
            );
            let daemon = under.start(cfg)?;
            daemon.wait_until("s1 up", SOON, |d| d.stat("be", "s1", "status") == "UP");
            let mut seen = Vec::new();
            let held = traffic::Held::open(listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}")));
            seen.push(held.server.clone());
            let (pa, pb) = (a.addr().port(), b.addr().port());
            for cmd in [
                format!("set server be/s1 addr 127.0.0.1 port {pb}"),
                format!("set server be/s1 addr 127.0.0.1 port {pb}"),
                "set server be/s1 addr".to_string(),
                "set server be/s1 addr bogus".to_string(),
                "set server be/s1 addr 127.0.0.1 port abc".to_string(),
                "set server be/s1 addr 127.0.0.1 port +1".to_string(),
            ] {
                seen.push(
                    daemon
                        .query(&cmd)
                        .replace(&pa.to_string(), "A")
                        .replace(&pb.to_string(), "B"),
                );
            }
            seen.push(
                traffic::server_of_next_connection(listen)
                    .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}"))),
            );
            // The session opened before the change still talks to `a` (the one just closed leaves the
            // count when its end reaches the proxy).
            daemon.wait_until("only the held session left", SOON, |d| {
                d.stat("be", "s1", "scur") == "1"
            });
            seen.push(format!("still on a: {}", held.server == "a"));
            held.close();
            seen.push(
                daemon
                    .stat("be", "s1", "addr")
                    .replace(&pb.to_string(), "B"),
            );
            daemon.query(&format!(
                "set server be/s1 addr 127.0.0.1 port {}",
                dead.port()
            ));
            daemon.wait_until("s1 down on a closed port", SOON, |d| {
                d.stat("be", "s1", "status") == "DOWN"
            });
            seen.push(daemon.stat("be", "s1", "check_status"));
            daemon.query(&format!("set server be/s1 addr 127.0.0.1 port {pb}"));
            daemon.wait_until("s1 up again", SOON, |d| {
                d.stat("be", "s1", "status") == "UP"
            });
            seen.push(daemon.stat("be", "s1", "check_status"));
            Some(seen)
        });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("set server addr", &seen);
    assert!(
        seen.iter().all(|(_, s)| s[0] == "a" && s[7] == "b"),
        "traffic did not move: {seen:?}"
    );
}

/// `set server … check-port` / `check-addr`: the check goes where they say from its next run
/// (DOWN on a closed port, UP again on a live address) while traffic stays on the server's own
/// address; `show servers state` shows them (the agent columns keep the configured ones); bad
/// values get HAProxy's answers and change nothing.
#[test]
fn set_server_check_port_and_addr_move_the_check_only() {
    let a = traffic::tagged("a");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let dead = ports::closed_addr();
        let cfg = Config::new().section(frontend(listen, &[])).backend(
            BackendSection::new("be")
                .server("s1", a.addr(), "check inter 100ms fall 1 rise 1")
                .server("plain", a.addr(), ""),
        );
        let daemon = under.start(cfg)?;
        daemon.wait_until("s1 up", SOON, |d| d.stat("be", "s1", "status") == "UP");
        let mut seen = Vec::new();
        let (pa, pd) = (a.addr().port(), dead.port());
        let masked = |text: String| {
            text.replace(&pa.to_string(), "A")
                .replace(&pd.to_string(), "D")
        };
        for cmd in [
            "set server be/s1 check-port".to_string(),
            "set server be/s1 check-port 70000".to_string(),
            "set server be/s1 check-port +1".to_string(),
            "set server be/plain check-port 1".to_string(),
            "set server be/s1 check-addr bogus".to_string(),
            "set server be/s1 check-addr 127.0.0.9 port x".to_string(),
            format!("set server be/s1 check-port {pd}"),
        ] {
            seen.push(masked(daemon.query(&cmd)));
        }
        daemon.wait_until("s1 down: its check goes to a closed port", SOON, |d| {
            d.stat("be", "s1", "status") == "DOWN"
        });
        seen.push(daemon.stat("be", "s1", "check_status"));
        seen.push(masked(daemon.query(&format!(
            "set server be/s1 check-addr 127.0.0.1 port {pa}"
        ))));
        daemon.wait_until("s1 up again", SOON, |d| {
            d.stat("be", "s1", "status") == "UP"
        });
        seen.push(daemon.stat("be", "s1", "check_status"));
        let state: Vec<String> = servers_state(&daemon, "show servers state be")
            .into_iter()
            .map(masked)
            .collect();
        seen.extend(state);
        seen.push(
            traffic::server_of_next_connection(listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}"))),
        );
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("set server check-port / check-addr", &seen);
    for (under, s) in &seen {
        assert!(
            s.iter().any(|l| l == "L4CON") && s.iter().any(|l| l == "L4OK"),
            "{under:?}: {s:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// slowstart

/// A server back from down with `slowstart` starts at a sixteenth of its weight (weight column
/// 1 of 10, throttle 6 %, `show servers state` op state 1) and so takes 1 connection in 17
/// beside an equal server at full weight; at start it is not throttled.
#[test]
fn slowstart_throttles_a_server_that_comes_back() {
    let a = traffic::tagged("a");
    let b = traffic::tagged("b");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new().section(frontend(listen, &[])).backend(
            BackendSection::new("be")
                .server("a", a.addr(), "weight 10 slowstart 60s")
                .server("b", b.addr(), "weight 10"),
        );
        let daemon = under.start(cfg)?;
        let mut seen = Vec::new();
        let weights = |d: &Daemon| {
            let t = d.show_stat();
            ["a", "b", "BACKEND"]
                .iter()
                .map(|s| {
                    let get = |c: &str| t.get("be", s, c).unwrap_or_default().to_string();
                    format!(
                        "{s} w={} uw={} thr={}",
                        get("weight"),
                        get("uweight"),
                        get("throttle")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        seen.push(weights(&daemon));
        daemon.query("set server be/a health down");
        daemon.query("set server be/a health up");
        seen.push(weights(&daemon));
        let state = daemon.query("show servers state be");
        let op: Vec<&str> = state
            .lines()
            .filter(|l| l.starts_with(char::is_numeric) && l.contains(" be "))
            .filter_map(|l| l.split_whitespace().nth(5))
            .collect();
        seen.push(format!("op states {op:?}"));
        let mut to_a = 0;
        for _ in 0..34 {
            let got = traffic::server_of_next_connection(listen)
                .unwrap_or_else(|e| daemon.fail(&format!("{under:?}: {e}")));
            to_a += usize::from(got == "a");
        }
        // 34 picks at weights 10:160 give `a` 2; HAProxy's tree places a server coming
        // back at the end of its current round, so it gives 1.
        seen.push(format!("a took 1 or 2 of 34: {}", (1..=2).contains(&to_a)));
        Some(seen)
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("slowstart", &seen);
}

/// `show env` is the environment the configuration sees: `setenv` names appended in order,
/// `unsetenv` ones gone, as HAProxy's own environment after the same lines, with HAProxy's
/// `HAPROXY_*` variables in its order: `HAPROXY_STARTUP_VERSION` (the version that started),
/// `HAPROXY_LOCALPEER`, `HAPROXY_CFGFILES`, `HAPROXY_CLI` (the stats sockets).
#[test]
fn show_env_reflects_setenv_and_unsetenv() {
    let srv = traffic::tagged("srv");
    let seen = on_both(|under| {
        let listen = ports::free_addr();
        let cfg = Config::new()
            .global("setenv E2E_FIRST one")
            .global("setenv E2E_SECOND two")
            .global("unsetenv HOME")
            .section(frontend(listen, &[]))
            .backend(BackendSection::new("be").server("srv", srv.addr(), ""));
        let daemon = under.start(cfg)?;
        let all = daemon.query("show env");
        // HAProxy adds its own HAPROXY_* variables after them.
        let tail: Vec<&str> = all.lines().filter(|l| l.starts_with("E2E_")).collect();
        let cfgfiles = daemon.config_path().display().to_string();
        // Their names in order, and HAPROXY_CLI naming the daemon's stats sockets (the admin
        // one first, then the user and operator ones) as HAProxy does.
        let own: Vec<&str> = all
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .filter(|k| k.starts_with("HAPROXY_"))
            .collect();
        let cli = [daemon.socket(), daemon.user_socket()]
            .iter()
            .map(|p| format!("unix@{}", p.display()))
            .collect::<Vec<_>>()
            .join(";");
        let version = daemon.query("show version");
        Some(vec![
            daemon.query("show env E2E_SECOND"),
            daemon.query("show env HOME"),
            format!("{tail:?}"),
            daemon
                .query("show env HAPROXY_CFGFILES")
                .replace(&cfgfiles, "CFG"),
            format!("{own:?}"),
            daemon
                .query("show env HAPROXY_CLI")
                .replace(&cli, "SOCKETS"),
            daemon
                .query("show env HAPROXY_STARTUP_VERSION")
                .replace(version.trim_end(), "VERSION"),
        ])
    });
    eprintln!("{seen:#?}");
    assert_same_as_haproxy("show env", &seen);
}
