//! Against a real HAProxy (`/usr/sbin/haproxy`, skipped with a note when absent): status, JSON,
//! admin commands and the refusal from a `level user` socket, on loopback with free ports.

// Helpers and fake servers here are test code: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use runtime_api::client::{query, Target};

const HAPROXY: &str = "/usr/sbin/haproxy";

struct Haproxy {
    child: Child,
    config: String,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `show stat` until `ready` holds, failing with the config and last answer at the deadline.
fn wait_for(h: &mut Haproxy, admin: &Path, what: &str, ready: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(Some(status)) = h.child.try_wait() {
            panic!("haproxy exited with {status}\nconfig:\n{}", h.config);
        }
        if let Ok(a) = query(
            &Target::Unix(admin.into()),
            "show stat",
            Duration::from_secs(2),
        ) {
            if ready(&a) {
                return;
            }
            last = a;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "timed out waiting for {what}\nconfig:\n{}\nlast show stat:\n{last}",
        h.config
    );
}

#[test]
fn drives_a_real_haproxy_26() {
    if !Path::new(HAPROXY).exists() {
        println!("note: {HAPROXY} not installed; real HAProxy test skipped");
        return;
    }
    let dir = TempDir::new("haproxy");
    // The server that passes its TCP check: accept and drop, in the background.
    let up = TcpListener::bind("127.0.0.1:0").unwrap();
    let up_port = up.local_addr().unwrap().port();
    std::thread::spawn(move || for _ in up.incoming() {});
    let closed_port = free_port();
    let fe_port = free_port();
    let admin = dir.0.join("admin.sock");
    let user = dir.0.join("user.sock");
    let config = format!(
        "global\n    stats socket {admin} mode 600 level admin\n    stats socket {user} mode 600 level user\n\
         defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         frontend fe\n    bind 127.0.0.1:{fe_port}\n    default_backend be\n\
         backend be\n    server web1 127.0.0.1:{up_port} check inter 200ms\n    server web2 127.0.0.1:{closed_port} check inter 200ms\n",
        admin = admin.display(),
        user = user.display()
    );
    let cfg_path = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg_path, &config).unwrap();
    let child = Command::new(HAPROXY)
        .args(["-db", "-f"])
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut h = Haproxy { child, config };
    wait_for(&mut h, &admin, "web1 UP and web2 DOWN", |a| {
        a.contains("\nbe,web1,")
            && a.lines()
                .any(|l| l.starts_with("be,web1,") && l.contains(",UP,"))
            && a.lines()
                .any(|l| l.starts_with("be,web2,") && l.contains(",DOWN,"))
    });
    let s = admin.display().to_string();

    let st = run(&["-s", &s, "status"]);
    assert_code(&st, 0);
    assert!(
        stdout(&st).contains("L4CON connection refused"),
        "{}",
        stdout(&st)
    );

    let c = run(&["-s", &s, "check"]);
    assert_code(&c, 1);

    let d = run(&["-s", &s, "drain", "be/web1"]);
    assert_code(&d, 0);
    assert_eq!(stdout(&d), "be/web1: UP → DRAIN\n");
    let j = run(&["-s", &s, "status", "--json", "--server", "web1"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&j)).unwrap();
    assert_eq!(v[0]["status"], "DRAIN");
    assert_eq!(v[0]["svname"], "web1");

    let w = run(&["-s", &s, "weight", "be/web1", "7"]);
    assert_eq!(stdout(&w), "be/web1: weight 1 → 7\n");

    let denied = run(&["-s", &user.display().to_string(), "enable", "be/web1"]);
    assert_code(&denied, 4);
    assert!(
        stderr(&denied)
            .contains("is a level user socket and `set server B/S state ready` needs level admin"),
        "{}",
        stderr(&denied)
    );

    // HAProxy 2.6 tells each socket's level, so a user-level one among several stops the command
    // before the admin-level one changes.
    let u = user.display().to_string();
    let both = run(&["-s", &s, "-s", &u, "disable", "be/web2"]);
    assert_code(&both, 4);
    assert!(
        stderr(&both).contains("nothing was changed"),
        "{}",
        stderr(&both)
    );
    let web2 = run(&["-s", &s, "status", "--json", "--server", "web2"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&web2)).unwrap();
    assert_eq!(v[0]["status"], "DOWN");

    let e = run(&["-s", &s, "enable", "be/web1"]);
    assert_code(&e, 0);
    assert!(
        stdout(&e).starts_with("be/web1: DRAIN → UP"),
        "{}",
        stdout(&e)
    );
}
