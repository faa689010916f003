//! The configuration loader: HAProxy-syntax files in, a validated [`Config`] out.
//!
//! The stages, each in its own file:
//! - `lexer`    — a line into words: quotes, escapes, `"${VAR}"` expansion, file:line kept;
//!   the second expansion HAProxy gives addresses.
//! - `conditions` — `.if`/`.elif`/`.else`/`.endif` blocks and `.notice`/`.warning`/`.alert`.
//! - `sections` — opens `global` / `defaults` / `frontend` / `backend` / `listen`, copies
//!   defaults into proxies, skips sections proxyd has no use for.
//! - `keywords` — THE keyword tables (global, proxy, bind parameters, known-but-ignored) and
//!   the dispatch from them, with unknown-keyword suggestions.
//! - `global`, `proxy`, `server`, `httpchk`, `tcpchk` — the keyword parsers, one family per file;
//!   `protochk` builds the tcp-check rules of HAProxy's protocol checks (`option redis-check`…).
//! - `values`   — times, integers and socket addresses shared by every section.
//! - `resolve`  — ids, `default_backend` references, mode agreement, each server's `CheckSpec`.
//! - `diag`     — [`Diagnostic`], printed the way `haproxy -c` prints its messages.
//!
//! Nothing here opens a socket: hostnames are resolved, files (CA bundles) are read, that is all.

mod conditions;
mod diag;
mod global;
mod httpchk;
mod keywords;
mod lexer;
mod protochk;
mod proxy;
mod resolve;
mod sections;
mod server;
mod tcpchk;
pub mod types;
pub mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use diag::{Diagnostic, Severity, Stage};
pub use server::dynamic as dynamic_server;
#[cfg(test)]
pub(crate) use tcpchk::hex;
pub use types::*;

/// A configuration that loaded, with the warnings met on the way.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
}

/// Load and validate: files in order (a directory = its `*.cfg` files sorted by name),
/// `${VAR}` from `env`. On failure, every diagnostic (warnings included, in order) is returned
/// so that the operator sees what `haproxy -c` would show.
pub fn load(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let mut walker = sections::Walker::new();
    for path in paths {
        for file in expand_path(path, &mut walker.report) {
            match std::fs::read_to_string(&file) {
                Ok(text) => walker.file(&file, &text, env),
                Err(e) => walker.report.push(cannot_open(&file, &e)),
            }
        }
    }
    finish(walker)
}

/// Loads configuration text directly (for `-c` on standard input and for tests); `name` is
/// what messages call the file.
pub fn load_str(
    name: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, Vec<Diagnostic>> {
    let mut walker = sections::Walker::new();
    walker.file(name, text, env);
    finish(walker)
}

fn finish(mut walker: sections::Walker) -> Result<Loaded, Vec<Diagnostic>> {
    if walker.aborted {
        return Err(walker.report.list);
    }
    walker.close();
    let mut report = std::mem::take(&mut walker.report);
    let parsed = report.list.len();
    let config = resolve::resolve(walker.global, walker.proxies, &mut report);
    for d in report.list.iter_mut().skip(parsed) {
        d.after_parsing = true;
    }
    if report.has_alerts() {
        Err(report.list)
    } else {
        Ok(Loaded {
            config,
            warnings: report.list,
        })
    }
}

/// A directory stands for its `*.cfg` files in name order, as with `haproxy -f DIR`.
fn expand_path(path: &Path, report: &mut diag::Report) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                // As HAProxy's scandir filter: no hidden files (editors and config
                // management leave `.name.cfg` copies), only regular files ending in `.cfg`.
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| !n.starts_with('.') && n.ends_with(".cfg"))
                        && p.is_file()
                })
                .collect();
            files.sort();
            files
        }
        Err(e) => {
            report.push(cannot_open(path, &e));
            Vec::new()
        }
    }
}

fn cannot_open(path: &Path, e: &std::io::Error) -> Diagnostic {
    let reason = crate::os_error::strerror(e);
    Diagnostic::global(
        Severity::Alert,
        "",
        format!(
            "Cannot open configuration file/directory {} : {reason}",
            path.display()
        ),
    )
}

/// A HAProxy time value: a number of milliseconds, or a number with a unit among
/// `us`, `ms`, `s`, `m`, `h`, `d`.
pub fn parse_time(s: &str) -> Result<Duration, String> {
    values::time(s).map_err(|e| e.to_string())
}
