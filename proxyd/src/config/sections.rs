//! Walks lexed lines, opens and closes sections and hands each keyword line to the keyword
//! table. Defaults handling lives here: a proxy starts as a copy of the last `defaults`
//! section before it (or the one named by `from`), and a new `defaults` section starts afresh.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::conditions::{Conditions, Outcome};
use super::diag::{Diagnostic, Report, Stage};
use super::global::GlobalDraft;
use super::keywords::{self, IGNORED_SECTIONS};
use super::lexer::{self, Line};
use super::proxy::{self, ProxyDraft};
use super::types::ProxyKind;

enum Current {
    None,
    Global,
    Proxy(Box<ProxyDraft>),
    /// An unknown-to-proxyd section, or one whose header was invalid: its lines are skipped.
    Skipped,
}

pub struct Walker {
    pub report: Report,
    pub global: GlobalDraft,
    /// The last `defaults` section; the built-in values before any.
    defaults: ProxyDraft,
    named: HashMap<String, ProxyDraft>,
    current: Current,
    pub proxies: Vec<ProxyDraft>,
    /// An error stopped the reading (see [`Diagnostic::aborts`]).
    pub aborted: bool,
}

impl Walker {
    pub fn new() -> Self {
        Walker {
            report: Report::default(),
            global: GlobalDraft::default(),
            defaults: ProxyDraft::new_defaults("", Arc::new(PathBuf::new()), 0, true),
            named: HashMap::new(),
            current: Current::None,
            proxies: Vec::new(),
            aborted: false,
        }
    }

    /// Feeds one file. Lines are lexed one at a time so that `setenv` affects later lines.
    pub fn file(
        &mut self,
        path: &std::path::Path,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        if self.aborted {
            return;
        }
        let file = Arc::new(path.to_path_buf());
        let mut conditions = Conditions::default();
        let mut last = 0;
        for (idx, raw) in text.lines().enumerate() {
            last = idx + 1;
            let overlay = &self.global.env;
            let lookup = |name: &str| match overlay.get(name) {
                Some(v) => v.clone(),
                None => env(name),
            };
            match lexer::line(&file, idx + 1, raw, &lookup) {
                Ok(Some(line)) => match conditions.line(&line, &lookup, &mut self.report) {
                    Outcome::Parse => self.line(&line),
                    Outcome::Consumed => {}
                    Outcome::Abort => {
                        self.aborted = true;
                        return;
                    }
                },
                // A line in a skipped block is still lexed, as HAProxy does.
                Ok(None) => {}
                Err(d) => self.report.push(d),
            }
        }
        let end = Line::new(Arc::clone(&file), last, Vec::new());
        if let Outcome::Abort = conditions.finish(&end, &mut self.report) {
            self.aborted = true;
        }
    }

    fn line(&mut self, l: &Line) {
        let kw = l.arg(0);
        match kw {
            "global" => {
                self.close();
                self.current = Current::Global;
            }
            "defaults" | "frontend" | "backend" | "listen" => {
                self.close();
                self.open_proxy(l);
            }
            _ if IGNORED_SECTIONS.contains(&kw) => {
                self.close();
                self.report.warn(
                    l,
                    format!("'{kw}' section is ignored by proxyd (no effect on a TCP passthrough proxy)."),
                );
                self.current = Current::Skipped;
            }
            _ => match &mut self.current {
                Current::Global => keywords::global_keyword(&mut self.global, l, &mut self.report),
                Current::Proxy(px) => keywords::proxy_keyword(px, l, &mut self.report),
                Current::Skipped => {}
                Current::None => self.report.push(
                    Diagnostic::alert(
                        l.file(),
                        l.number,
                        kw,
                        format!("unknown keyword '{kw}' out of section."),
                    )
                    .tight(),
                ),
            },
        }
    }

    fn open_proxy(&mut self, l: &Line) {
        let section = l.arg(0);
        let kind = match section {
            "frontend" => Some(ProxyKind::Frontend),
            "backend" => Some(ProxyKind::Backend),
            "listen" => Some(ProxyKind::Listen),
            _ => None,
        };
        let name = l.arg(1);
        self.current = Current::Skipped;
        if kind.is_some() && name.is_empty() {
            return self
                .report
                .alert(l, format!("'{section}' expects an <id> argument"));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')))
        {
            return self.report.alert(
                l,
                format!("character '{bad}' is not permitted in '{section}' name '{name}'."),
            );
        }
        let (from, legacy_addr) = match (l.arg(2), l.arg(3)) {
            ("from", base) => (Some(base), None),
            ("", _) => (None, None),
            (addr, _) => (None, Some(addr)),
        };
        let base = match from {
            Some(base) => match self.named.get(base) {
                Some(d) => d.clone(),
                None => {
                    let what = match kind {
                        None => format!("defaults section '{name}'"),
                        Some(_) => format!("{section} '{name}'"),
                    };
                    return self.report.alert(
                        l,
                        format!("defaults section '{base}' not found for {what}."),
                    );
                }
            },
            // A new defaults section starts from the built-in values.
            None if kind.is_none() => ProxyDraft::new_defaults("", Arc::clone(&l.file), 0, true),
            None => self.defaults.clone(),
        };
        if let Some(k) = kind {
            if let Some(prev) = self.proxies.iter().find(|p| {
                p.name == name
                    && p.kind.is_some_and(|pk| {
                        pk.is_frontend() && k.is_frontend() || pk.is_backend() && k.is_backend()
                    })
            }) {
                let mut d = Diagnostic::alert(
                    l.file(),
                    l.number,
                    section,
                    format!(
                        "{section} '{name}' has the same name as {} '{}' declared at {}:{}.",
                        prev.section_name(),
                        prev.name,
                        prev.file.display(),
                        prev.line
                    ),
                );
                d.stage = Stage::ParsingUpper;
                self.report.push(d);
                return;
            }
        }
        let mut px = base;
        px.tcpchk = px.tcpchk.inherited();
        px.kind = kind;
        px.name = name.to_string();
        px.file = Arc::clone(&l.file);
        px.line = l.number;
        px.id = None;
        px.description = None;
        px.server_verify_required = self.global.server_verify_required;
        if let Some(addr) = legacy_addr {
            if kind.is_some_and(ProxyKind::is_frontend) {
                self.report.warn(
                    l,
                    format!(
                        "please use the 'bind' keyword for listening addresses: read as 'bind {addr}'. HAProxy 2.6 refuses '{section} {name} {addr}'; write '{section} {name}' followed by 'bind {addr}'."
                    ),
                );
                if let Some(b) =
                    proxy::parse_bind(addr, &l.words[3..], l, &mut self.report, section)
                {
                    px.binds.push(b);
                }
            } else {
                self.report
                    .alert(l, "please use the 'bind' keyword for listening addresses.");
            }
        }
        self.current = Current::Proxy(Box::new(px));
    }

    /// Files the section being parsed.
    pub fn close(&mut self) {
        if let Current::Proxy(px) = std::mem::replace(&mut self.current, Current::None) {
            let px = *px;
            match px.kind {
                None => {
                    if !px.name.is_empty() {
                        self.named.insert(px.name.clone(), px.clone());
                    }
                    self.defaults = px;
                }
                Some(_) => self.proxies.push(px),
            }
        }
    }
}
