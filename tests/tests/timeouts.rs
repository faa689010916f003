//! Inactivity timeouts of TCP sessions, run on HAProxy 2.6 and proxyd: a session that keeps
//! moving bytes outlives `timeout client`/`timeout server`; a read timeout ends the reading only
//! (the server gets a FIN and its answer still reaches the client); `client-fin`/`server-fin`
//! apply to a side once the *other* side has closed; `timeout tunnel` replaces both.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use e2e::backends::Backend;
use e2e::config::Config;
use e2e::differential::{assert_same_as_haproxy, on_both};
use e2e::syslog::Syslog;

const SOON: Duration = Duration::from_secs(10);

/// A server that reads until the proxy's FIN, then waits `after_fin`, writes `reply` and
/// closes: it shows what a proxy does with a side that closed while the other one is open.
struct Held {
    addr: SocketAddr,
}

impl Held {
    fn start(after_fin: Duration, reply: &'static [u8]) -> Held {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                    thread::sleep(after_fin);
                    let _ = stream.write_all(reply);
                });
            }
        });
        Held { addr }
    }
}

/// Reads until the end of stream (or an error, or 5 s): what came, and after how long.
fn read_to_end(s: &mut TcpStream, start: Instant) -> (Vec<u8>, Duration) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    (got, start.elapsed())
}

/// Elapsed time in steps of 400 ms, rounded: the scenarios' timeouts are apart by two steps
/// or more, so scheduling jitter does not change the step.
fn steps(d: Duration) -> u128 {
    (d.as_millis() + 200) / 400
}

/// A tcplog line's frontend and termination state.
fn term(line: &str) -> Option<(String, String)> {
    let msg = line.split_once(": ").map_or(line, |(_, m)| m);
    let words: Vec<&str> = msg.split(' ').collect();
    // client [date] frontend backend/server timers bytes termination ...
    Some((words.get(2)?.to_string(), words.get(6)?.to_string()))
}

/// Once `n` tcplog lines arrived: each one's frontend and termination state, sorted.
fn terms(syslog: &Syslog, n: usize) -> Vec<String> {
    let lines = syslog.wait_for(SOON, |l| l.iter().filter_map(|l| term(l)).count() >= n);
    let mut terms: Vec<String> = lines
        .iter()
        .filter_map(|l| term(l))
        .map(|(fe, t)| format!("{fe} {t}"))
        .collect();
    terms.sort();
    terms
}

#[test]
fn timeouts_follow_activity_and_half_closes_as_haproxy() {
    let echo = Backend::echo();
    let replies_late = Held::start(Duration::from_millis(300), b"late");
    let holds = Held::start(Duration::from_secs(3), b"");
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let fe: Vec<SocketAddr> = (0..5).map(|_| e2e::ports::free_addr()).collect();
        let section = |name: &str, addr: SocketAddr, be: &str, timeouts: &str| {
            format!(
                "listen {name}\n    bind {addr}\n    option tcplog\n{timeouts}    server {be}\n"
            )
        };
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("nbthread 1")
            .section(section(
                "busy",
                fe[0],
                &format!("s1 {}", echo.addr()),
                "    timeout client 400ms\n    timeout server 400ms\n",
            ))
            .section(section(
                "halfread",
                fe[1],
                &format!("s1 {}", replies_late.addr),
                "    timeout client 400ms\n    timeout server 2s\n",
            ))
            .section(section(
                "srvfin",
                fe[2],
                &format!("s1 {}", holds.addr),
                "    timeout client 2s\n    timeout server 2s\n    timeout server-fin 400ms\n",
            ))
            .section(section(
                "clifin",
                fe[3],
                &format!("s1 {}", holds.addr),
                "    timeout client 2s\n    timeout server 1200ms\n    timeout client-fin 400ms\n",
            ))
            .section(section(
                "tunnel",
                fe[4],
                &format!("s1 {}", holds.addr),
                "    timeout client 300ms\n    timeout server 300ms\n    timeout tunnel 1200ms\n",
            ));
        let daemon = under.start(cfg)?;
        let connect =
            |addr| e2e::client::connect(addr).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let mut seen = Vec::new();

        // Eight exchanges 150 ms apart: 1.2 s of a session that never idles for 400 ms.
        let mut s = connect(fe[0]);
        let mut echoed = 0;
        for _ in 0..8 {
            let mut back = [0u8; 5];
            if s.write_all(b"ping\n")
                .and_then(|()| s.read_exact(&mut back))
                .is_err()
            {
                break;
            }
            echoed += 1;
            thread::sleep(Duration::from_millis(150));
        }
        drop(s);
        seen.push(format!("busy: {echoed} echoes"));

        // The client goes quiet: at 400 ms the server gets a FIN, its answer still arrives.
        let start = Instant::now();
        let mut s = connect(fe[1]);
        let _ = s.write_all(b"hi\n");
        let (got, took) = read_to_end(&mut s, start);
        seen.push(format!(
            "halfread: {:?} at step {}",
            String::from_utf8_lossy(&got),
            steps(took)
        ));

        // The client closes first: server-fin applies, client-fin does not.
        for (name, addr) in [("srvfin", fe[2]), ("clifin", fe[3])] {
            let start = Instant::now();
            let mut s = connect(addr);
            let _ = s
                .write_all(b"hi\n")
                .and_then(|()| s.shutdown(Shutdown::Write));
            let (_, took) = read_to_end(&mut s, start);
            seen.push(format!("{name}: closed at step {}", steps(took)));
        }

        // Both sides quiet: the tunnel timeout, not the 300 ms ones.
        let start = Instant::now();
        let mut s = connect(fe[4]);
        let _ = s.write_all(b"hi\n");
        let (_, took) = read_to_end(&mut s, start);
        seen.push(format!("tunnel: closed at step {}", steps(took)));

        seen.extend(terms(&syslog, 5));
        Some(seen)
    });
    assert_same_as_haproxy("timeouts", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert_eq!(
        proxyd,
        &[
            "busy: 8 echoes",
            "halfread: \"late\" at step 2",
            "srvfin: closed at step 1",
            "clifin: closed at step 3",
            "tunnel: closed at step 3",
            "busy --",
            "clifin sD",
            "halfread cD",
            "srvfin sD",
            "tunnel cD",
        ]
    );
}

/// A listener whose accept queue is full drops SYNs: connecting to it times out. The
/// listener and the connection filling its queue must be kept alive.
fn black_hole() -> (socket2::Socket, TcpStream, SocketAddr) {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    s.bind(&any.into()).expect("bind");
    s.listen(0).expect("listen");
    let addr = s
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("local addr");
    // Fills the queue of one; it is never accepted.
    let filler = TcpStream::connect(addr).expect("filler");
    (s, filler, addr)
}

/// A connect that times out is `sC` (one refused is `SC`), with or without retries.
#[test]
fn connect_timeouts_are_logged_as_haproxy() {
    let (_hole, _filler, hole_addr) = black_hole();
    let refused = e2e::ports::closed_addr();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let (a, b) = (e2e::ports::free_addr(), e2e::ports::free_addr());
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("nbthread 1")
            .defaults("retries 1")
            .section(format!(
                "listen hole\n    bind {a}\n    option tcplog\n    timeout connect 300ms\n    server s1 {hole_addr}\n"
            ))
            .section(format!(
                "listen refused\n    bind {b}\n    option tcplog\n    server s1 {refused}\n"
            ));
        let daemon = under.start(cfg)?;
        for addr in [a, b] {
            let mut s = e2e::client::connect(addr).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
            let _ = read_to_end(&mut s, Instant::now());
        }
        Some(terms(&syslog, 2))
    });
    assert_same_as_haproxy("connect failures", &seen);
    let (_, proxyd) = seen.last().expect("proxyd ran");
    assert_eq!(proxyd, &["hole sC", "refused SC"]);
}

/// A client that closes while its server is being connected, having sent nothing, ends the
/// session at once (`CC`: no retry, no connection error counted), where waiting would hold a
/// server slot through `timeout connect` and every retry; a client whose bytes still wait keeps
/// the attempt going (`sC` once the retries are spent), since they are to be delivered.
#[test]
fn a_client_closing_during_the_connect_ends_it_as_haproxy() {
    let (_hole, _filler, hole_addr) = black_hole();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let (quiet, talks) = (e2e::ports::free_addr(), e2e::ports::free_addr());
        let cfg = Config::new()
            .log_to(syslog.addr())
            .global("nbthread 1")
            .section(format!(
                "listen quiet\n    bind {quiet}\n    option tcplog\n    retries 3\n    timeout connect 3s\n    server s1 {hole_addr}\n"
            ))
            .section(format!(
                "listen talks\n    bind {talks}\n    option tcplog\n    retries 1\n    timeout connect 300ms\n    server s1 {hole_addr}\n"
            ));
        let daemon = under.start(cfg)?;
        let started = Instant::now();
        let s = e2e::client::connect(quiet).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        thread::sleep(Duration::from_millis(200));
        drop(s);
        let mut t = e2e::client::connect(talks).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        let _ = t.write_all(b"hello");
        drop(t);
        let lines = terms(&syslog, 2);
        // Three retries of 3 s would take 12 s: the quiet client's line came long before.
        let at_once = started.elapsed() < Duration::from_secs(3);
        let counted =
            ["econ", "wretr", "cli_abrt"].map(|c| format!("{c}={}", daemon.stat("quiet", "s1", c)));
        Some((lines, at_once, counted))
    });
    assert_same_as_haproxy("a client closing during the connect", &seen);
    let (_, (lines, at_once, counted)) = seen.last().expect("proxyd ran");
    assert_eq!(lines, &["quiet CC", "talks sC"]);
    assert!(at_once, "the quiet client's session outlived its close");
    assert_eq!(counted, &["econ=0", "wretr=0", "cli_abrt=0"]);
}

/// A client that closes while a refused server waits out its retry turn-around (min(timeout
/// connect, 1 s)) ends the session at once (`CC`), without another attempt on the server: one
/// server session, one retry, no connection error, as in HAProxy.
#[test]
fn a_client_closing_between_two_connect_attempts_ends_it_as_haproxy() {
    let refused = e2e::ports::free_addr();
    let seen = on_both(|under| {
        let syslog = Syslog::start();
        let listen = e2e::ports::free_addr();
        let cfg = Config::new().log_to(syslog.addr()).section(format!(
            "listen refused\n    bind {listen}\n    option tcplog\n    retries 3\n    timeout connect 5s\n    server s1 {refused}\n"
        ));
        let daemon = under.start(cfg)?;
        let s = e2e::client::connect(listen).unwrap_or_else(|e| daemon.fail(&format!("{e}")));
        // The first attempt is refused at once; the next one would come 1 s later.
        daemon.wait_until("the first refusal", SOON, |d| {
            d.stat("refused", "s1", "wretr") == "1"
        });
        drop(s);
        let lines = terms(&syslog, 1);
        let counted = ["stot", "econ", "wretr", "cli_abrt"]
            .map(|c| format!("{c}={}", daemon.stat("refused", "s1", c)));
        Some((lines, counted))
    });
    assert_same_as_haproxy("a client closing between two attempts", &seen);
    let (_, (lines, counted)) = seen.last().expect("proxyd ran");
    assert_eq!(lines, &["refused CC"]);
    assert_eq!(counted, &["stot=1", "econ=0", "wretr=1", "cli_abrt=0"]);
}
