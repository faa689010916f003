//! The fuzz targets' inputs on stable Rust: seeded pseudo-random bytes and mutations of valid
//! inputs fed to the configuration loader, the stats-socket command line and the HTTP check
//! response parser. Each must return (not panic, not hang) whatever it is given.

use proxyd::fuzzing;

/// xorshift64*: deterministic, so a failure names the seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `seed` mutated: bytes flipped, inserted, deleted, spans duplicated, or dictionary words spliced.
fn mutate(rng: &mut Rng, seed: &[u8], dict: &[&str]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => out.insert(at, rng.next() as u8),
            2 if at < out.len() => {
                out.remove(at);
            }
            3 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + rng.below(64)).min(out.len());
                let span = out[start..end].to_vec();
                out.splice(at..at, span);
            }
            _ => {
                let word = dict[rng.below(dict.len())].as_bytes();
                out.splice(at..at, word.iter().copied());
            }
        }
    }
    out
}

fn random_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max)).map(|_| rng.next() as u8).collect()
}

const CONFIG_SEED: &str = "global\n    maxconn 100\n    stats socket /tmp/x.sock mode 600 level admin\n    stats timeout 2s\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\nfrontend fe\n    bind 127.0.0.1:8443\n    default_backend be\nbackend be\n    balance leastconn\n    option httpchk GET /v1/status HTTP/1.1\\r\\nHost:\\ x\n    http-check expect status 200\n    server s1 127.0.0.1:9001 check inter 2s fall 3 rise 2 weight 10\n    server s2 127.0.0.1:9002 check backup\nlisten stats\n    bind :9000\n    mode http\n    stats enable\n    stats uri /\n";
const CONFIG_WORDS: &[&str] = &[
    "\n",
    " ",
    "\"",
    "'",
    "\\",
    "#",
    "${",
    "}",
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "server",
    "bind",
    "maxconn",
    "timeout",
    "check",
    "inter",
    "0",
    "4294967296",
    "-1",
    "ms",
    "weight",
    "256",
    "option httpchk",
    "http-check expect",
    "rstatus",
    "(",
    "[",
    ":",
    "::",
    "*",
    "ipv6@",
    "default-server",
    "from",
    "balance",
    "source",
];

const SOCKET_WORDS: &[&str] = &[
    "show", "stat", "info", "servers", "state", "set", "server", "be/s1", "be/s2", "be/", "/",
    "weight", "100%", "0", "257", "maint", "ready", "drain", "health", "down", "up", "maxconn",
    "global", "enable", "disable", "shutdown", "sessions", "frontend", "fe", "clear", "counters",
    "all", "help", "prompt", "quit", "typed", "json", "-1", ";", "\\", " ", "\t", "#1", "timeout",
    "cli", "operator", "user", "get",
];

const HTTP_SEED: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";
const HTTP_WORDS: &[&str] = &[
    "\r\n",
    "\n",
    "HTTP/1.0 ",
    "HTTP/1.1 404 ",
    "999",
    "Transfer-Encoding: chunked\r\n",
    "Content-Length: ",
    "18446744073709551616",
    "0\r\n\r\n",
    "ffffffffffffffff\r\n",
    ":",
    " ",
    "maintenance",
];

#[test]
fn config_loader_survives_random_and_mutated_text() {
    let mut rng = Rng(0x5EED_C0F1);
    for _ in 0..2000 {
        fuzzing::config_text(&mutate(&mut rng, CONFIG_SEED.as_bytes(), CONFIG_WORDS));
    }
    for _ in 0..500 {
        fuzzing::config_text(&random_bytes(&mut rng, 2000));
    }
}

#[test]
fn socket_command_lines_survive_random_words_and_bytes() {
    let mut rng = Rng(0x0050_C4E7);
    for _ in 0..5000 {
        let words: Vec<&str> = (0..rng.below(8))
            .map(|_| SOCKET_WORDS[rng.below(SOCKET_WORDS.len())])
            .collect();
        fuzzing::socket_line(words.join(" ").as_bytes());
    }
    for _ in 0..2000 {
        fuzzing::socket_line(&random_bytes(&mut rng, 300));
    }
}

#[test]
fn http_check_parser_survives_random_and_mutated_responses() {
    let mut rng = Rng(0x0004_7749);
    for _ in 0..10_000 {
        fuzzing::http_response(&mutate(&mut rng, HTTP_SEED, HTTP_WORDS));
    }
    for _ in 0..5000 {
        fuzzing::http_response(&random_bytes(&mut rng, 600));
    }
}

#[test]
fn proxy_header_parser_survives_random_and_mutated_headers() {
    let mut rng = Rng(0x0050_524f);
    let seeds: [&[u8]; 3] = [
        b"PROXY TCP4 192.0.2.7 198.51.100.9 4242 443\r\nGET",
        b"PROXY TCP6 2001:db8::7 2001:db8::9 4243 8443\r\n",
        b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0f\xcb\x00\x71\x05\xcb\x00\x71\x06\x15\xb3\x00\x50\x03\x00\x00",
    ];
    for seed in seeds {
        for _ in 0..3000 {
            fuzzing::proxy_header(&mutate(
                &mut rng,
                seed,
                &["PROXY ", " ", "\r\n", "TCP6 ", "UNKNOWN", "\u{3}\0\u{4}"],
            ));
        }
    }
    for _ in 0..3000 {
        fuzzing::proxy_header(&random_bytes(&mut rng, 100));
    }
}

const STATE_SEED: &[u8] = b"1\n# be_id be_name srv_id srv_name srv_addr srv_op_state\n3 be 1 s1 127.0.0.1 2 0 10 10 5 6 3 4 6 0 0 0 - 2 - 0 0 - - 0\n3 be 2 s2 127.0.0.1 0 1 1 1 9 8 2 0 14 0 0 0 - 3 - 0 0 - - 0\n";
const STATE_WORDS: &[&str] = &[
    " ",
    "\t",
    "\n",
    "#",
    "-",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "8",
    "12",
    "14",
    "31",
    "256",
    "257",
    "-1",
    "65536",
    "99999999999999999999",
    "s1",
    "s2",
    "be",
    "::1",
    "x",
];

#[test]
fn server_state_files_survive_random_and_mutated_lines() {
    let mut rng = Rng(0x5747_E5F1);
    for _ in 0..3000 {
        fuzzing::server_state_file(&mutate(&mut rng, STATE_SEED, STATE_WORDS));
    }
    for _ in 0..1000 {
        fuzzing::server_state_file(&random_bytes(&mut rng, 400));
    }
}
