//! Reading a server-state file as HAProxy 2.6 reads it (`srv_state_get_version`,
//! `srv_state_parse_line`, the field checks of `srv_state_srv_update`): what is corrupted, what
//! is skipped, and what a valid line says.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::net::IpAddr;

use crate::config::{values, Proxy};

/// HAProxy reads lines of up to this size; a longer one is cut and the file found corrupted.
const LINE_MAX: usize = 512;
/// A version-1 line has 20 fields, and up to 5 optional ones after them.
const MIN_FIELDS: usize = 20;
const MAX_FIELDS: usize = 25;

/// `srv_admin_state` bits (HAProxy's `SRV_ADMF_*`).
pub(super) const FMAINT: u32 = 0x01;
pub(super) const CMAINT: u32 = 0x04;
pub(super) const FDRAIN: u32 = 0x08;
/// Inherited (from a tracked server, DNS) or informational: recomputed, never restored.
const RECOMPUTED: u32 = 0x02 | 0x10 | 0x20 | 0x80;
/// `srv_check_state` bits: in progress, configured, enabled, paused, agent.
pub(super) const CHECK_CONFIGURED: u32 = 0x02;
pub(super) const CHECK_ENABLED: u32 = 0x04;
const CHECK_BITS: u32 = 0x1f;
/// HAProxy's `SRV_UWGHT_MAX` and `HCHK_STATUS_SIZE`.
const WEIGHT_MAX: i64 = 256;
const CHECK_STATUS_COUNT: i64 = 21;

/// One server's saved state, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Saved {
    /// 0 stopped, 1 starting, 2 running, 3 stopping.
    pub(super) op: u8,
    pub(super) admin: u32,
    pub(super) uweight: u32,
    pub(super) iweight: u32,
    /// Seconds since the last change, as saved.
    pub(super) last_change: u64,
    pub(super) check_status: u8,
    pub(super) check_health: u32,
    pub(super) check_state: u32,
    pub(super) addr: Option<IpAddr>,
    pub(super) port: Option<u16>,
    pub(super) check_port: Option<u16>,
    pub(super) check_addr: Option<IpAddr>,
}

pub(super) enum FileError {
    Open(String),
    Empty,
    Version,
    Corrupted(usize),
    /// A line of another backend in a backend's own file.
    Mismatch(String),
}

/// A usable line's fields, and where it was (leftover lines are reported in file order).
#[derive(Debug)]
pub(super) struct Line {
    pub(super) fields: Vec<String>,
    pub(super) line: usize,
}

impl std::ops::Deref for Line {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.fields
    }
}

pub(super) type Lines = HashMap<(String, String), Line>;

/// The usable lines of one file keyed by backend and server name, None when the file cannot
/// be used at all. With `own`, the file belongs to that backend: a line must name it by name
/// (or by id, when the saved backend had a forced one).
pub(super) fn read_file(
    path: &str,
    own: Option<&Proxy>,
    on_error: &mut dyn FnMut(FileError),
) -> Option<Lines> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            on_error(FileError::Open(crate::os_error::strerror(&e)));
            return None;
        }
    };
    read_lines(std::io::BufReader::new(file), own, on_error)
}

/// [`read_file`] on what `reader` yields.
pub(super) fn read_lines(
    mut reader: impl BufRead,
    own: Option<&Proxy>,
    on_error: &mut dyn FnMut(FileError),
) -> Option<Lines> {
    let mut next_line = || -> Option<Vec<u8>> {
        let mut buf = Vec::new();
        // `fgets` with HAProxy's buffer: at most LINE_MAX - 1 bytes per read.
        let mut limited = (&mut reader).take(LINE_MAX as u64 - 1);
        match limited.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(buf),
        }
    };
    let Some(first) = next_line() else {
        on_error(FileError::Empty);
        return None;
    };
    if version(&first) != Some(1) {
        on_error(FileError::Version);
        return None;
    }
    let mut lines = Lines::new();
    let mut number = 0;
    while let Some(raw) = next_line() {
        number += 1;
        let Some(fields) = split(&raw) else {
            on_error(FileError::Corrupted(number));
            return None;
        };
        if fields.is_empty() {
            continue;
        }
        let backend = match own {
            None => fields[1].clone(),
            Some(px) => {
                let by_id = leading_int(&fields[0]).unwrap_or(0) == i64::from(px.id);
                let by_name = fields[1] == px.name;
                let forced = leading_int(&fields[15]).unwrap_or(0) & 1 == 1;
                if !by_id && !by_name {
                    continue;
                }
                if !by_id {
                    on_error(FileError::Mismatch(format!(
                        "Proxy '{}': backend ID mismatch: from server state file: '{}', from running config '{}'",
                        px.name, fields[0], px.id
                    )));
                } else if !by_name {
                    on_error(FileError::Mismatch(format!(
                        "Proxy '{}': backend name mismatch: from server state file: '{}', from running config '{}'",
                        px.name, fields[1], px.name
                    )));
                    if !forced {
                        continue;
                    }
                }
                px.name.clone()
            }
        };
        // A second line for the same server (a hand-made file) is dropped.
        lines.entry((backend, fields[3].clone())).or_insert(Line {
            fields,
            line: number,
        });
    }
    Some(lines)
}

/// The version on the first line: digits and nothing else before the newline.
fn version(line: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    let n = values::strtol(text)?;
    n.rest.is_empty().then_some(n.value)
}

/// A line's fields: empty for a blank or comment line, None for a line without its newline
/// (cut, or the last one unterminated) or with a field count no version-1 line has.
fn split(raw: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(raw);
    let text = text.strip_suffix('\n')?;
    let body = text.trim_start_matches([' ', '\t']);
    if body.is_empty() || body.starts_with('#') {
        return Some(Vec::new());
    }
    let fields: Vec<String> = body
        .split([' ', '\t'])
        .filter(|f| !f.is_empty())
        .take(MAX_FIELDS)
        .map(str::to_string)
        .collect();
    (fields.len() >= MIN_FIELDS).then_some(fields)
}

/// A field as HAProxy's `strtol()` reads it; None for no digit or a value out of range.
fn leading_int(s: &str) -> Option<i64> {
    values::strtol(s).filter(|n| !n.overflow).map(|n| n.value)
}

/// HAProxy's checks of a line's fields (`srv_state_srv_update`): every bad field is named,
/// and a line with one is not applied at all.
pub(super) fn validate(f: &[String]) -> Result<Saved, String> {
    let mut errors = String::new();
    let mut field = |i: usize, name: &str, ok: &dyn Fn(i64) -> bool| -> i64 {
        let raw = &f[i];
        match leading_int(raw).filter(|v| ok(*v)) {
            Some(v) => v,
            None => {
                errors.push_str(&format!(", invalid {name} value '{raw}'"));
                0
            }
        }
    };
    let op = field(5, "srv_op_state", &|v| (0..=3).contains(&v));
    let admin = field(6, "srv_admin_state", &|v| {
        let kept = (v as u32) & !RECOMPUTED;
        (0..=i64::from(u32::MAX)).contains(&v)
            && [0, FMAINT, CMAINT, CMAINT | FMAINT, CMAINT | FDRAIN, FDRAIN].contains(&kept)
    }) as u32
        & !RECOMPUTED;
    let uweight = field(7, "srv_uweight", &|v| (0..=WEIGHT_MAX).contains(&v));
    let iweight = field(8, "srv_iweight", &|v| (0..=WEIGHT_MAX).contains(&v));
    let last_change = field(9, "srv_last_time_change", &|_| true);
    let check_status = field(10, "srv_check_status", &|v| v < CHECK_STATUS_COUNT);
    field(11, "srv_check_result", &|v| (0..=4).contains(&v));
    let check_health = field(12, "srv_check_health", &|_| true);
    let bits = |v: i64| (v as u64) & !u64::from(CHECK_BITS) == 0;
    let check_state = field(13, "srv_check_state", &bits);
    field(14, "srv_agent_state", &bits);
    field(15, "bk_f_forced_id", &|v| v == 0 || v == 1);
    field(16, "srv_f_forced_id", &|v| v == 0 || v == 1);
    let port = match f[18].bytes().take_while(u8::is_ascii_digit).count() {
        0 => Some(0),
        n => f[18][..n].parse::<u32>().ok().filter(|p| *p <= 65535),
    };
    if port.is_none() {
        errors.push_str(&format!(", invalid srv_port value '{}'", f[18]));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let optional = |i: usize| {
        f.get(i)
            .map(String::as_str)
            .filter(|v| *v != "-" && *v != "0")
    };
    Ok(Saved {
        op: op as u8,
        admin,
        uweight: uweight as u32,
        iweight: iweight as u32,
        last_change: last_change.max(0) as u64,
        check_status: check_status.clamp(0, 255) as u8,
        check_health: check_health.clamp(0, i64::from(u32::MAX)) as u32,
        check_state: check_state as u32,
        addr: f[4].parse().ok(),
        port: port.map(|p| p as u16),
        check_port: optional(21).and_then(|p| p.parse().ok()),
        check_addr: optional(22).and_then(|a| a.parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Vec<String> {
        split(format!("{text}\n").as_bytes()).expect("a valid line")
    }

    #[test]
    fn fields_are_checked_as_haproxy_checks_them() {
        let ok = line("3 be 1 s 127.0.0.1 2 8 50 1 300 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0");
        let saved = validate(&ok).expect("valid");
        assert_eq!(
            (saved.op, saved.admin, saved.uweight, saved.check_status),
            (2, FDRAIN, 50, 15)
        );
        let bad = line("3 be 1 s 127.0.0.1 9 64 999 1 x 6 3 4 6 0 2 0 - 70000 - 0 0 - - 0");
        assert_eq!(
            validate(&bad),
            Err(", invalid srv_op_state value '9', invalid srv_admin_state value '64', invalid srv_uweight value '999', invalid srv_last_time_change value 'x', invalid bk_f_forced_id value '2', invalid srv_port value '70000'".to_string())
        );
        // strtol reads what it can: "2abc" is 2; inherited flags are dropped, not refused.
        let lenient = line("3 be 1 s - 2abc 26 1 1 0 6 3 4 6 0 0 0 - 80 - 0 0 - - 0");
        assert_eq!(validate(&lenient).map(|s| (s.op, s.admin)), Ok((2, FDRAIN)));
    }

    #[test]
    fn lines_without_newline_or_with_too_few_fields_are_corrupted() {
        assert_eq!(split(b"3 be 1 s"), None);
        assert_eq!(
            split(b"3 be 1 s 127.0.0.1 2 0 1 1 0 6 3 4 6 0 0 0 -\n"),
            None
        );
        assert_eq!(split(b"  # a comment\n"), Some(vec![]));
        assert_eq!(split(b"\n"), Some(vec![]));
        let long: String = (0..30).map(|i| format!("{i} ")).collect();
        assert_eq!(
            split(format!("{long}\n").as_bytes()).map(|f| f.len()),
            Some(25)
        );
        assert_eq!(version(b"1\n"), Some(1));
        assert_eq!(version(b"1 \n"), None);
        assert_eq!(version(b"1"), None);
    }
}
