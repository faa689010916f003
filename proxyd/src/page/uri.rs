//! The stats URI and its `;` options, parsed the way HAProxy scans them: after the configured
//! prefix, every option is looked for anywhere in the rest of the target, so `;up;csv`,
//! `;csv;norefresh` and `/stats/;csv` all combine.

use super::admin::Status;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsUri {
    pub format: Format,
    /// `;up`: hide servers that are down.
    pub up: bool,
    /// `;no-maint`: hide servers in maintenance.
    pub no_maint: bool,
    /// `;norefresh`: no `refresh` header.
    pub norefresh: bool,
    /// `;st=XXXX`: the result banner of the last admin action.
    pub st: Option<Status>,
    /// `scope=<text>` (the page's scope box): only proxies whose name contains it.
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Html,
    Csv,
    Json,
    Typed,
}

/// `Some` when `target` is under the stats `uri` (a prefix match, as HAProxy).
pub fn parse(uri: &str, target: &str) -> Option<StatsUri> {
    let rest = target.strip_prefix(uri)?;
    let mut out = StatsUri::default();
    for (i, _) in rest.match_indices(';') {
        let opt = &rest[i + 1..];
        if opt.starts_with("up") {
            out.up = true;
        } else if opt.starts_with("no-maint") {
            out.no_maint = true;
        } else if opt.starts_with("norefresh") {
            out.norefresh = true;
        } else if opt.starts_with("csv") {
            out.format = Format::Csv;
        } else if opt.starts_with("json") {
            out.format = Format::Json;
        } else if opt.starts_with("typed") {
            out.format = Format::Typed;
        } else if let Some(code) = opt.strip_prefix("st=") {
            out.st = Status::from_code(code.get(..4).unwrap_or(code));
        }
    }
    if let Some(pos) = rest.find("scope=") {
        let value: String = rest[pos + 6..]
            .chars()
            .take_while(|c| !matches!(c, ';' | '&' | '#'))
            .take(20)
            .collect();
        if !value.is_empty() {
            out.scope = Some(value);
        }
    }
    Some(out)
}

impl StatsUri {
    /// The suffix HAProxy appends to links and to the admin redirect (`;up`, `;norefresh`,
    /// `;scope=`), so the page keeps its display options.
    pub fn keep(&self) -> String {
        let mut s = String::new();
        if self.up {
            s.push_str(";up");
        }
        if self.norefresh {
            s.push_str(";norefresh");
        }
        if let Some(scope) = &self.scope {
            s.push_str(";scope=");
            s.push_str(scope);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_combine_in_any_order() {
        let u = parse("/stats", "/stats;up;csv;norefresh").unwrap();
        assert_eq!(u.format, Format::Csv);
        assert!(u.up && u.norefresh && !u.no_maint);
        let u = parse("/stats", "/stats/;no-maint;json").unwrap();
        assert_eq!(u.format, Format::Json);
        assert!(u.no_maint);
        let u = parse("/stats", "/stats;st=DONE").unwrap();
        assert_eq!(u.st, Some(Status::Done));
    }

    #[test]
    fn prefix_match_like_haproxy() {
        assert!(parse("/stats", "/statsfoo").is_some());
        assert!(parse("/stats", "/other").is_none());
        assert!(parse("/haproxy?stats", "/haproxy?stats;csv").is_some());
    }

    #[test]
    fn scope_is_bounded() {
        let u = parse("/stats", "/stats?scope=be_app").unwrap();
        assert_eq!(u.scope.as_deref(), Some("be_app"));
        assert_eq!(u.keep(), ";scope=be_app");
    }
}
