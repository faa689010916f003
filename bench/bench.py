#!/usr/bin/env python3
"""proxyd vs HAProxy 2.6 vs no proxy, on loopback, in one run.

Backends: nginx (Debian's package) serving TLS on 127.0.0.1 as an unprivileged foreground
process in a temporary prefix: /v1/status (3 bytes), /1k.bin, /1m.bin. Load: wrk (TLS).
Contenders: direct (the no-proxy limit), HAProxy 2.6 `mode tcp` and proxyd, each proxy with
nbthread 1 and nbthread 2. Every proxy instance is started once and idles while another one is
measured; within a round the order alternates (HAProxy first on odd rounds, proxyd first on
even ones) and each figure is the median over the rounds.

Scenarios:
  keep-alive 1 KiB   wrk -c50 on /1k.bin                  req/s, p50/p99 latency
  new connection     wrk -c50 -H 'Connection: close'       connections/s
  bulk 1 MiB         wrk -c4 on /1m.bin                    MB/s (response bytes)
                     and, for each, the proxy's CPU time (/proc/PID/stat) per request
  idle 1,000         1,000 TLS connections held open       proxy VmRSS delta per connection
  check load         10,000 servers, HTTPS checks, inter 2s, 20 s window:
                     CPU (share of one core, /proc/PID/stat), VmRSS, and how late checks are,
                     against when each was due (the end of the server's previous check + inter,
                     the schedule both proxies use):
                     - fired late: the proxy's SYN against the end of its previous check, both
                       taken on the wire (tcpdump on lo: the proxy's SYN and its FIN or RST);
                       what the proxy's scheduler alone decides
                     - accepted late: nginx's accept ($msec - $connection_time) against its
                       previous answer; adds the backend's accept queue to the above

Environment: PROXYD_BIN (required), BENCH_SECONDS (wrk duration, default 5), BENCH_ROUNDS
(default 5), BENCH_NGINX_WORKERS (default 2), BENCH_KEEP (keep the files), BENCH_CHECK_SECONDS (default 20), BENCH_PORT_BASE (default 27000),
BENCH_OUT (default bench/results.md), BENCH_SKIP (comma list of: data,idle,checks).
"""

import bisect
import json
import os
import resource
import shutil
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HAPROXY = "/usr/sbin/haproxy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CHECK_SECONDS = int(os.environ.get("BENCH_CHECK_SECONDS", "20"))
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "27000"))
OUT = Path(os.environ.get("BENCH_OUT", str(HERE / "results.md")))
SKIP = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
PROXYD = os.environ.get("PROXYD_BIN", "")
NGINX_WORKERS = int(os.environ.get("BENCH_NGINX_WORKERS", "2"))

IDLE_CONNS = 1000
CHECK_PORTS = 100
CHECK_BACKENDS = 100
CHECK_SERVERS_PER_BACKEND = 100  # 10,000 servers; (port, URI) names one server
CHECK_INTER_S = 2.0
CHECK_WARMUP_S = 5.0
CHECK_MIN_PAIRS = 1000  # wire figures from fewer check pairs are left out
TCPDUMP = shutil.which("tcpdump") or "/usr/bin/tcpdump"

DATA_PORT = PORT_BASE
PROXY_PORTS = {  # (kind, threads) -> port
    ("haproxy", 1): PORT_BASE + 1,
    ("haproxy", 2): PORT_BASE + 2,
    ("proxyd", 1): PORT_BASE + 3,
    ("proxyd", 2): PORT_BASE + 4,
}
IDLE_PORT = PORT_BASE + 5
CHECK_PORT0 = PORT_BASE + 100

WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"bytes\":%d,\"duration_us\":%d,\"errors\":%d,\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def port_free(port):
    with socket.socket() as s:
        # As the listeners will: connections of an earlier run left in TIME_WAIT do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_port(port, deadline_s=15.0):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {deadline_s}s")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pid):
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    """CPU time all cores spent busy since boot: user, nice, system, irq and softirq from the
    first line of /proc/stat (idle, iowait and steal are not; guest time is already in user)."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def loadavg():
    return Path("/proc/loadavg").read_text().split()[0]


class Pki:
    """A throw-away ECDSA P-256 CA and a server certificate for localhost / 127.0.0.1."""

    def __init__(self, d: Path):
        self.ca = d / "ca.pem"
        self.cert = d / "server.pem"
        self.key = d / "server.key"
        ca_key = d / "ca.key"
        csr = d / "server.csr"
        ext = d / "server.ext"
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca, "-days", "2",
             "-subj", "/CN=bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        run(["openssl", "req", *ec, "-keyout", self.key, "-out", csr, "-subj", "/CN=localhost"])
        ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                       "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                       "keyUsage=critical,digitalSignature\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", self.cert, "-days", "2", "-extfile", ext])
        for p in (self.ca, self.cert, self.key):
            p.chmod(0o644)


class Nginx:
    def __init__(self, d: Path, pki: Pki):
        self.dir = d / "nginx"
        (self.dir / "www" / "v1").mkdir(parents=True)
        (self.dir / "tmp").mkdir()
        (self.dir / "www" / "1k.bin").write_bytes(os.urandom(1024))
        (self.dir / "www" / "1m.bin").write_bytes(os.urandom(1024 * 1024))
        self.check_log = self.dir / "checks.log"
        check_listens = "\n".join(
            f"    listen 127.0.0.1:{CHECK_PORT0 + i} ssl;" for i in range(CHECK_PORTS))
        tmp = self.dir / "tmp"
        conf = f"""
worker_processes {NGINX_WORKERS};
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
worker_rlimit_nofile {resource.getrlimit(resource.RLIMIT_NOFILE)[0]};
events {{ worker_connections 20000; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  default_type application/octet-stream;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  ssl_certificate {pki.cert};
  ssl_certificate_key {pki.key};
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:bench:20m;
  log_format chk '$msec $connection_time $server_port $request_uri $remote_port $ssl_session_reused';
  server {{
    # Without reuseport whichever worker wakes first accepts most of wrk's connections (all 4
    # of the bulk ones, often), and how many landed on each worker moved throughput by more
    # than the proxies differ; reuseport spreads them by a hash of the address pair.
    listen 127.0.0.1:{DATA_PORT} ssl reuseport;
    root {self.dir}/www;
    location = /v1/status {{ return 200 "ok\\n"; }}
  }}
  server {{
{check_listens}
    access_log {self.check_log} chk buffer=256k flush=1s;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
"""
        (self.dir / "nginx.conf").write_text(conf)
        cmd = [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
               "-e", str(self.dir / "error.log")]
        if os.geteuid() == 0:
            # Backends need no privilege: run the whole nginx as nobody.
            shutil.chown(self.dir, "nobody", "nogroup")
            for p in self.dir.rglob("*"):
                shutil.chown(p, "nobody", "nogroup")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(DATA_PORT)
        wait_port(CHECK_PORT0 + CHECK_PORTS - 1)

    def reopen_check_log(self):
        self.check_log.write_text("")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def proxy_config(kind, threads, port, backend_lines, extra_global="", maxconn=5000):
    lines = [
        "global",
        f"  nbthread {threads}",
        f"  maxconn {maxconn}",
        extra_global,
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 120s",
        "  timeout server 120s",
    ]
    if kind == "haproxy":
        # HAProxy at its best for TCP passthrough: zero-copy when it pays.
        lines.append("  option splice-auto")
    if port is not None:
        lines += [f"frontend fe", f"  bind 127.0.0.1:{port}", "  default_backend be"]
    return "\n".join(lines + backend_lines) + "\n"


class Proxy:
    def __init__(self, kind, threads, cfg_text, d: Path, name):
        self.kind, self.threads = kind, threads
        self.cfg = d / f"{name}.cfg"
        self.cfg.write_text(cfg_text)
        self.err = open(d / f"{name}.stderr", "w")
        prog = HAPROXY if kind == "haproxy" else PROXYD
        self.proc = subprocess.Popen([prog, "-db", "-f", str(self.cfg)],
                                     stdout=self.err, stderr=self.err, cwd=d)
        self.pid = self.proc.pid

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def data_proxy(kind, threads, port, d):
    be = ["backend be", f"  server s1 127.0.0.1:{DATA_PORT}"]
    p = Proxy(kind, threads, proxy_config(kind, threads, port, be), d, f"{kind}-t{threads}-{port}")
    try:
        wait_port(port)
    except RuntimeError:
        p.stop()
        sys.exit(f"bench: {kind} did not start:\n{Path(p.err.name).read_text()}")
    return p


def wrk(port, path, conns, close=False):
    cmd = [WRK, "-t1", f"-c{conns}", f"-d{SECONDS}s", "--latency", "-s", str(LUA)]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"https://127.0.0.1:{port}{path}")
    out = run(cmd, timeout=SECONDS + 60).stdout
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON "):])
            secs = r["duration_us"] / 1e6
            return {
                "requests": r["requests"],
                "rps": r["requests"] / secs,
                "mbps": r["bytes"] / secs / 1e6,
                "p50_ms": r["p50_us"] / 1000,
                "p99_ms": r["p99_us"] / 1000,
                "errors": r["errors"],
            }
    raise RuntimeError(f"wrk printed no summary: {out}")


SCENARIOS = [
    # name, path, connections, close, metrics
    ("keep-alive 1 KiB", "/1k.bin", 50, False,
     [("req/s", "rps"), ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("proxy CPU µs/req", "cpu_us"),
      ("machine CPU µs/req", "machine_us")]),
    ("new TLS connection per request", "/v1/status", 50, True,
     [("conn/s", "rps"), ("p99 ms", "p99_ms"), ("proxy CPU µs/conn", "cpu_us"),
      ("machine CPU µs/conn", "machine_us")]),
    ("bulk 1 MiB", "/1m.bin", 4, False,
     [("MB/s", "mbps"), ("proxy CPU µs/MiB", "cpu_us"), ("machine CPU µs/MiB", "machine_us")]),
]


def data_scenarios(d, results):
    proxies = {key: data_proxy(key[0], key[1], port, d) for key, port in PROXY_PORTS.items()}
    try:
        for rnd in range(ROUNDS):
            for name, path, conns, close, _ in SCENARIOS:
                for threads in (1, 2):
                    order = ["direct", "haproxy", "proxyd"] if rnd % 2 == 0 else ["direct", "proxyd", "haproxy"]
                    for kind in order:
                        if kind == "direct":
                            if threads == 2:
                                continue
                            port = DATA_PORT
                        else:
                            port = PROXY_PORTS[(kind, threads)]
                        pid = None if kind == "direct" else proxies[(kind, threads)].pid
                        c0 = cpu_s(pid) if pid else None
                        m0 = machine_busy_s()
                        r = wrk(port, path, conns, close)
                        if r["requests"]:
                            # Everything the request path cost the machine (wrk, nginx, proxy,
                            # kernel): on saturated cores this is what bounds throughput.
                            r["machine_us"] = (machine_busy_s() - m0) * 1e6 / r["requests"]
                        if pid and r["requests"]:
                            # The proxy's own CPU per request: what it costs, whatever share of
                            # the cores the scheduler gave it during the run.
                            r["cpu_us"] = (cpu_s(pid) - c0) * 1e6 / r["requests"]
                        if r["errors"]:
                            log(f"  note: {r['errors']} wrk errors")
                        key = (name, kind, 1 if kind == "direct" else threads)
                        results.setdefault(key, []).append(r)
                        log(f"round {rnd + 1} {name} {kind} t{key[2]}: "
                            f"{r['rps']:.0f} req/s {r['mbps']:.1f} MB/s p50 {r['p50_ms']:.2f} p99 {r['p99_ms']:.2f} ms")
    finally:
        for p in proxies.values():
            p.stop()


def idle_rss(d, pki, results):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    for rnd in range(ROUNDS):
        for threads in (1, 2):
            order = ["haproxy", "proxyd"] if rnd % 2 == 0 else ["proxyd", "haproxy"]
            for kind in order:
                # A fresh process each time, so memory freed by earlier load is not reused.
                p = data_proxy(kind, threads, IDLE_PORT, d)
                socks = []
                try:
                    time.sleep(0.5)
                    before = rss_kib(p.pid)
                    for _ in range(IDLE_CONNS):
                        s = socket.create_connection(("127.0.0.1", IDLE_PORT))
                        socks.append(ctx.wrap_socket(s, server_hostname="localhost"))
                    time.sleep(1.0)
                    after = rss_kib(p.pid)
                finally:
                    for s in socks:
                        s.close()
                    p.stop()
                per = (after - before) / IDLE_CONNS
                results.setdefault(("idle", kind, threads), []).append(per)
                log(f"round {rnd + 1} idle {kind} t{threads}: {before} -> {after} KiB, {per:.1f} KiB/conn")


def check_backend_lines(pki):
    lines = []
    n = 0
    for b in range(CHECK_BACKENDS):
        lines += [f"backend chk{b}", f"  option httpchk GET /chk/{b}", "  timeout check 2s",
                  f"  default-server check check-ssl verify required ca-file {pki.ca} "
                  f"check-sni localhost inter {int(CHECK_INTER_S * 1000)}"]
        for s in range(CHECK_SERVERS_PER_BACKEND):
            lines.append(f"  server s{s} 127.0.0.1:{CHECK_PORT0 + (n % CHECK_PORTS)}")
            n += 1
    return lines


class WireCapture:
    """The proxy's SYNs and FIN/RSTs towards the check ports, seen on lo by tcpdump: when each
    check really started and ended, whatever the backend did with it. Needs CAP_NET_RAW; without
    it (or without tcpdump) the wire figures are left out."""

    FILTER = (f"tcp dst portrange {CHECK_PORT0}-{CHECK_PORT0 + CHECK_PORTS - 1} and "
              "(tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn or tcp[tcpflags] & (tcp-fin|tcp-rst) != 0)")

    def __init__(self, path: Path):
        self.path = path
        self.proc = None
        if not Path(TCPDUMP).exists():
            log("tcpdump not found: checks' firing lateness left out")
            return
        self.proc = subprocess.Popen(
            [TCPDUMP, "-i", "lo", "-n", "-s", "96", "-B", "32768", "-Z", "root", "-w", str(path),
             self.FILTER],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # tcpdump says "listening on lo" once its filter is in place.
        line = self.proc.stderr.readline().decode(errors="replace")
        if "listening" not in line:
            log(f"tcpdump did not start ({line.strip()}): checks' firing lateness left out")
            self.proc.wait()
            self.proc = None

    def cpu_s(self):
        return cpu_s(self.proc.pid) if self.proc else 0.0

    def stop(self):
        """Stops the capture; returns {(source port, destination port): ([SYN times], [FIN/RST times])}."""
        if self.proc is None:
            return None
        self.proc.terminate()
        self.proc.wait(10)
        flows = {}
        for t, sport, dport, flags in read_pcap(self.path):
            syns, ends = flows.setdefault((sport, dport), (set(), set()))
            if flags & 0x02:
                syns.add(t)
            else:
                ends.add(t)
        self.path.unlink(missing_ok=True)
        return {k: (sorted(a), sorted(b)) for k, (a, b) in flows.items()}


def read_pcap(path):
    """(time, source port, destination port, TCP flags) of each IPv4 TCP packet of a pcap file.
    On lo every packet is captured twice (out and in); callers deduplicate by time."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic, = struct.unpack("<I", data[:4])
    scale = 1e9 if magic == 0xA1B23C4D else 1e6
    link, = struct.unpack("<I", data[20:24])
    l2 = {1: 14, 113: 16}.get(link, 0)  # Ethernet (lo), Linux cooked
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = pkt[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 15) * 4:]
        if len(tcp) >= 14:
            sport, dport = struct.unpack(">HH", tcp[:4])
            out.append((round(sec + frac / scale, 6), sport, dport, tcp[13]))
    return out


def lateness(nginx, t0, t1, wire):
    """How late the checks answered in [t0, t1] were, and what they looked like to the backend.

    A check is due `inter` after its server's previous check ended. Seen by the backend, it
    was accepted at ($msec - $connection_time) and the previous one ended at its $msec; on the
    wire (when `wire` holds the capture), it fired with the proxy's SYN and the previous one
    ended with the proxy's FIN or RST. Checks are joined to their wire flows by (client port,
    server port) and time. Returns a dict of sorted lists (ms) and counts."""
    seen, resumed = {}, 0
    for line in nginx.check_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 6:
            continue
        try:
            end, took, sport = float(parts[0]), float(parts[1]), int(parts[4])
        except ValueError:
            continue
        if t0 <= end <= t1:
            resumed += parts[5] == "r"
            accepted = end - took
            flow = wire_flow(wire, sport, int(parts[2]), accepted) if wire is not None else None
            seen.setdefault((parts[2], parts[3]), []).append((end, accepted, flow))
    late, durations, fired, queued = [], [], [], []
    for checks in seen.values():
        checks.sort()
        durations += [(end - accepted) * 1000 for end, accepted, _ in checks]
        for (prev_end, _, prev_flow), (end, accepted, flow) in zip(checks, checks[1:]):
            late.append((accepted - prev_end - CHECK_INTER_S) * 1000)
            if prev_flow and flow:
                fired.append((flow[0] - prev_flow[1] - CHECK_INTER_S) * 1000)
                queued.append((accepted - flow[0]) * 1000)
    count = sum(len(c) for c in seen.values())
    return {"servers": len(seen), "checks": count, "late": sorted(late), "pairs": len(fired),
            "durations": sorted(durations), "fired": sorted(fired), "queued": sorted(queued),
            "resumed_pct": resumed / count * 100 if count else None}


def wire_flow(wire, sport, dport, accepted):
    """(SYN, end) times of the connection nginx accepted at `accepted` from `sport`: the last SYN
    on that port pair before it (client ports are reused, a few seconds apart at most) and the
    proxy's first FIN or RST after that SYN."""
    syns, ends = wire.get((sport, dport), ((), ()))
    i = bisect.bisect_right(syns, accepted + 0.002) - 1  # $msec has millisecond resolution
    if i < 0 or accepted - syns[i] > CHECK_INTER_S * 2:
        return None
    j = bisect.bisect_left(ends, syns[i])
    # A check lasts at most `inter`; a later end belongs to a later connection on the same ports.
    if j == len(ends) or ends[j] - syns[i] > CHECK_INTER_S * 2:
        return None
    return syns[i], ends[j]


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(round(p / 100 * (len(sorted_vals) - 1))))]


def check_statuses(sock):
    """`show stat` over the stats socket: how many servers have each check_status."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(sock))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode(errors="replace").splitlines()
    head = lines[0].lstrip("# ").split(",")
    col = head.index("check_status")
    counts = {}
    for line in lines[1:]:
        f = line.split(",")
        if len(f) > col and f[1] not in ("FRONTEND", "BACKEND") and f[col]:
            counts[f[col]] = counts.get(f[col], 0) + 1
    return counts


def check_load(d, pki, nginx, results):
    # A frontend (never used) because HAProxy refuses to start without a listener.
    backend = ["frontend unused", f"  bind 127.0.0.1:{IDLE_PORT}", "  default_backend chk0",
               *check_backend_lines(pki)]
    for kind in ("proxyd", "haproxy"):
        nginx.reopen_check_log()
        sock = d / f"checks-{kind}.sock"
        cfg = proxy_config(kind, 2, None, backend, extra_global=f"  stats socket {sock} level admin",
                           maxconn=1000)
        p = Proxy(kind, 2, cfg, d, f"checks-{kind}")
        capture = None
        try:
            time.sleep(CHECK_WARMUP_S)
            if p.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited during the check load; see {p.err.name}")
            # The capture starts a few seconds before the window: a check accepted early in it
            # may have sent its SYN (and ended its previous check) well before.
            capture = WireCapture(d / f"checks-{kind}.pcap")
            time.sleep(CHECK_INTER_S * 2)
            c0, t0 = cpu_s(p.pid), time.time()
            w0 = capture.cpu_s()
            time.sleep(CHECK_SECONDS)
            c1, t1 = cpu_s(p.pid), time.time()
            w1 = capture.cpu_s()
            rss = rss_kib(p.pid)
            statuses = check_statuses(sock)
        finally:
            wire = capture.stop() if capture else None
            p.stop()
        time.sleep(1.5)  # nginx flushes its access log every second
        seen = lateness(nginx, t0, t1, wire)
        if len(seen["fired"]) < CHECK_MIN_PAIRS:
            # A handful of pairs (HAProxy's checks mostly time out before nginx logs them) says
            # nothing about a schedule.
            seen["fired"], seen["queued"] = [], []
        r = {
            "cpu_pct": (c1 - c0) / (t1 - t0) * 100,
            "rss_mib": rss / 1024,
            "servers_seen": seen["servers"],
            "checks_per_s": seen["checks"] / (t1 - t0),
            "resumed_pct": seen["resumed_pct"],
            "duration_p50_ms": pct(seen["durations"], 50),
            "late_p50_ms": pct(seen["late"], 50),
            "late_p99_ms": pct(seen["late"], 99),
            "fired_pairs": seen["pairs"],
            "fired_p50_ms": pct(seen["fired"], 50),
            "fired_p99_ms": pct(seen["fired"], 99),
            "queued_p50_ms": pct(seen["queued"], 50),
            "queued_p99_ms": pct(seen["queued"], 99),
            "statuses": statuses,
            "capture_cpu_pct": (w1 - w0) / (t1 - t0) * 100 if capture.proc else None,
        }
        results[("checks", kind, 2)] = r
        log(f"checks {kind}: {r}")


def fmt(v, digits=None):
    if v is None or v != v:
        return "n/a"
    if digits is None:
        digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0 or a != a or b != b:
        return "n/a"
    return f"{a / b:.2f}x"


def table(results, meta):
    def med(xs, k):
        vals = [x[k] for x in xs if x.get(k) is not None]
        return statistics.median(vals) if vals else None
    def round_ratios(ps, hs, k):
        # Each round measured both proxies back to back: the spread of the per-round ratios
        # tells a real difference from the scheduler's placement of the moment.
        rs = [a[k] / b[k] for a, b in zip(ps, hs) if a.get(k) is not None and b.get(k)]
        return f"{min(rs):.2f}–{max(rs):.2f}" if rs else "n/a"
    rows = ["| scenario | metric | threads | direct | HAProxy | proxyd | proxyd/HAProxy | per round | HAProxy/direct | proxyd/direct |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, _, _, _, metrics in SCENARIOS:
        for label, k in metrics:
            for threads in (1, 2):
                direct = med(results.get((name, "direct", 1), []), k)
                hs = results.get((name, "haproxy", threads), [])
                ps = results.get((name, "proxyd", threads), [])
                h, p = med(hs, k), med(ps, k)
                if h is None and p is None:
                    continue
                rows.append(f"| {name} | {label} | {threads} | {fmt(direct)} | {fmt(h)} | {fmt(p)} | "
                            f"{ratio(p, h)} | {round_ratios(ps, hs, k)} | {ratio(h, direct)} | {ratio(p, direct)} |")
    for threads in (1, 2):
        h = results.get(("idle", "haproxy", threads))
        p = results.get(("idle", "proxyd", threads))
        if h or p:
            hv = statistics.median(h) if h else None
            pv = statistics.median(p) if p else None
            rows.append(f"| {IDLE_CONNS:,} idle TLS connections | RSS KiB/conn | {threads} | – | "
                        f"{fmt(hv, 1)} | {fmt(pv, 1)} | {ratio(pv, hv)} | – | – | – |")
    for label, k, digits in (("CPU % of one core", "cpu_pct", 1), ("RSS MiB", "rss_mib", 1),
                             ("checks/s seen", "checks_per_s", 0),
                             ("TLS sessions resumed %", "resumed_pct", 1),
                             ("check duration p50 ms", "duration_p50_ms", 1),
                             ("fired late p50 ms (wire)", "fired_p50_ms", 1),
                             ("fired late p99 ms (wire)", "fired_p99_ms", 1),
                             ("SYN to nginx accept p50 ms", "queued_p50_ms", 1),
                             ("SYN to nginx accept p99 ms", "queued_p99_ms", 1),
                             ("accepted late p50 ms", "late_p50_ms", 1),
                             ("accepted late p99 ms", "late_p99_ms", 1),
                             ("check pairs on the wire", "fired_pairs", 0)):
        h = results.get(("checks", "haproxy", 2), {}).get(k)
        p = results.get(("checks", "proxyd", 2), {}).get(k)
        if h is None and p is None:
            continue
        rows.append(f"| 10,000-server HTTPS checks, inter 2s | {label} | 2 | – | {fmt(h, digits)} | "
                    f"{fmt(p, digits)} | {ratio(p, h)} | – | – | – |")
    notes = []
    for kind in ("haproxy", "proxyd"):
        r = results.get(("checks", kind, 2), {})
        name = "HAProxy" if kind == "haproxy" else "proxyd"
        if r.get("statuses") is not None:
            notes.append(f"{name} check_status at the end of the window: "
                         + ", ".join(f"{k} {v:,}" for k, v in sorted(r["statuses"].items())))
        if r.get("capture_cpu_pct") is not None:
            notes.append(f"tcpdump used {r['capture_cpu_pct']:.1f} % of one core during {name}'s window")
    rows += [""] + [f"{n}." for n in notes] if notes else []
    head = [
        "# Benchmark results",
        "",
        f"Made by `bench/run.sh` on {meta['date']}: {meta['cpu']}, {meta['cores']} cores, "
        f"Linux {meta['kernel']}; {meta['haproxy']}; {meta['nginx']}; wrk 1 thread; "
        f"nginx {NGINX_WORKERS} worker(s). Loopback only, everything on the same cores. "
        f"Medians of {ROUNDS} rounds of {SECONDS} s (contenders alternated); check load: one "
        f"{CHECK_SECONDS} s window per proxy after {CHECK_WARMUP_S:.0f} s of warm-up. "
        f"Load average before/after: {meta['load_before']} / {meta['load_after']}.",
        "",
        "Higher is better except latency, CPU, RSS, duration and lateness. HAProxy runs with `option splice-auto`. "
        "Proxy CPU per request is the proxy process's user+system time during a run divided by the requests "
        "wrk completed: unlike throughput, it does not depend on how the scheduler shared the 2 cores "
        "between wrk, nginx and the proxy. Machine CPU is the busy time of all cores during the run "
        "(wrk, nginx, proxy, kernel) per request: on saturated cores it is what bounds throughput. "
        "'Per round' is the lowest and highest proxyd/HAProxy ratio of single rounds, each comparing "
        "two runs made back to back. Check lateness: a check is due `inter` after its server's previous "
        "check ended; 'fired late' compares the proxy's SYN with the end (FIN or RST) of its previous "
        "check, both seen on the wire, 'accepted late' nginx's accept with its previous answer; 'SYN to "
        "nginx accept' is the time connections waited in the backend's accept queue. Wire figures need "
        "the checks that nginx logged, two in a row for the same server ('check pairs on the wire'); "
        f"they are left out below {CHECK_MIN_PAIRS:,} pairs.",
        "",
    ]
    return "\n".join(head + rows) + "\n"


def meta_info():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    hv = run([HAPROXY, "-v"]).stdout.splitlines()[0].split(" - ")[0]
    nv = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip().replace("nginx version: ", "")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": os.uname().release,
        "haproxy": hv,
        "nginx": nv,
        "load_before": loadavg(),
    }


def serve_backends():
    """`bench.py backends`: only the nginx backends, until interrupted (for profiling by hand)."""
    d = Path(tempfile.mkdtemp(prefix="proxyd-bench-backends-"))
    d.chmod(0o755)
    pki = Pki(d)
    nginx = Nginx(d, pki)
    print(f"nginx TLS on 127.0.0.1:{DATA_PORT} (/v1/status, /1k.bin, /1m.bin); CA {pki.ca}", flush=True)
    try:
        nginx.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        nginx.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    global LUA
    if sys.argv[1:] == ["backends"]:
        serve_backends()
        return
    if not PROXYD or not Path(PROXYD).exists():
        sys.exit("bench: set PROXYD_BIN to a release proxyd (bench/run.sh does)")
    for port in [DATA_PORT, *PROXY_PORTS.values(), IDLE_PORT, *range(CHECK_PORT0, CHECK_PORT0 + CHECK_PORTS)]:
        if not port_free(port):
            sys.exit(f"bench: 127.0.0.1:{port} is in use; set BENCH_PORT_BASE")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    meta = meta_info()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="proxyd-bench-") as tmp:
        d = Path(tmp)
        if os.environ.get("BENCH_KEEP"):
            d = Path(tempfile.mkdtemp(prefix="proxyd-bench-kept-"))
            log(f"keeping files in {d}")
        d.chmod(0o755)
        LUA = d / "summary.lua"
        LUA.write_text(WRK_LUA)
        pki = Pki(d)
        nginx = Nginx(d, pki)
        results = {}
        try:
            if "data" not in SKIP:
                data_scenarios(d, results)
            if "idle" not in SKIP:
                idle_rss(d, pki, results)
            if "checks" not in SKIP:
                check_load(d, pki, nginx, results)
        finally:
            nginx.stop()
    meta["load_after"] = loadavg()
    text = table(results, meta)
    text += f"\nTotal run time: {time.time() - started:.0f} s.\n"
    print(text)
    OUT.write_text(text)
    log(f"wrote {OUT}")


if __name__ == "__main__":
    main()
