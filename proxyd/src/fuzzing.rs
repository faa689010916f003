//! Entry points for the fuzz targets (`fuzz/`) and the randomized tests: each feeds arbitrary
//! bytes to one parser that reads input from outside the process. None may panic, whatever the
//! bytes.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use runtime_api::level::Level;

use crate::config::{self, Expect, ExpectMatch, HttpCheck};
use crate::logging::Logger;
use crate::model::Model;
use crate::stats_socket::{commands, context::Ctx, parse};
use crate::Shared;

/// A small but complete configuration the socket commands act on.
const SOCKET_MODEL: &str = "\
global
    maxconn 100
defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:1
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:2 check weight 10
    server s2 127.0.0.1:3 backup
";

/// The configuration loader on arbitrary text (`${VAR}` expands to nothing).
pub fn config_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = config::load_str(Path::new("fuzz.cfg"), &text, &|_| None);
}

fn socket_shared() -> Option<&'static Arc<Shared>> {
    static SHARED: OnceLock<Option<Arc<Shared>>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let loaded = config::load_str(Path::new("fuzz.cfg"), SOCKET_MODEL, &|_| None).ok()?;
            let model = Arc::new(Model::build(loaded.config, None));
            Some(Arc::new(Shared::new(model, Logger::new(&[], None, None))))
        })
        .as_ref()
}

/// One stats-socket input line: split into commands, each run at admin level on a model.
/// State changes made by one input persist into the next, as on a real socket.
pub fn socket_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    let commands = parse::split_line(&line);
    let Some(shared) = socket_shared() else {
        return;
    };
    let mut ctx = Ctx {
        model: shared.model(),
        shared: shared.clone(),
        level: Level::Admin,
        socket_level: Level::Admin,
        interactive: false,
        timeout: Duration::from_secs(10),
        quit: false,
        bare: false,
        expert: false,
        experimental: false,
    };
    for words in commands {
        let _ = commands::execute(&mut ctx, &words);
    }
}

/// The HTTP check response parser, under the implicit expectation and a few explicit ones,
/// with the response read whole or still arriving.
pub fn http_response(data: &[u8]) {
    let implicit = http_check(Vec::new(), false);
    let explicit = http_check(
        vec![
            Expect {
                negate: true,
                matcher: ExpectMatch::String("maintenance".into()),
                opts: Default::default(),
            },
            Expect {
                negate: false,
                matcher: ExpectMatch::Status(vec![(200, 204), (301, 302)]),
                opts: Default::default(),
            },
        ],
        true,
    );
    for check in [&implicit, &explicit] {
        for (last_read, head_only, running) in [(false, false, true), (true, false, false)] {
            let _ = crate::check::judge_response(data, last_read, head_only, check, running);
        }
        let _ = crate::check::judge_response(data, true, true, check, true);
    }
}

fn http_check(expect: Vec<Expect>, disable_on_404: bool) -> HttpCheck {
    HttpCheck {
        method: "GET".into(),
        uri: "/".into(),
        version: "HTTP/1.1".into(),
        headers: Vec::new(),
        body: None,
        expect,
        disable_on_404,
    }
}

/// The PROXY protocol header parser on what a client of an `accept-proxy` bind sends first.
pub fn proxy_header(data: &[u8]) {
    if let Ok((len, _)) = crate::proxy::proxy_protocol::parse(data) {
        assert!(len <= data.len(), "a header longer than what was received");
    }
}

/// A server-state file (`load-server-state-from-file`): read and applied to the socket
/// commands' model, whose servers keep what each input did to them.
pub fn server_state_file(data: &[u8]) {
    if let Some(shared) = socket_shared() {
        crate::model::state_file::apply_bytes(&shared.model(), data);
    }
}
