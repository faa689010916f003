//! Configuration diagnostics, printed the way `haproxy -c` prints them so that operators (and
//! their log scrapers) see the same shape whichever binary reads the file.

use std::fmt;
use std::path::{Path, PathBuf};

use super::lexer::Line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Fatal: the configuration is refused.
    Alert,
    Warning,
    /// Information only (`.notice`): it does not count as a warning.
    Notice,
}

/// Which of HAProxy's location prefixes a message carries: most keyword parsers say
/// `parsing [file:line] : …`, a few older ones `parsing [file:line]: …`, and server-line and
/// post-parse checks `[file:line] : …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Parsing,
    ParsingTight,
    /// `Parsing [file:line]: …`, HAProxy's wording for duplicate section names.
    ParsingUpper,
    Checking,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Empty when the problem has no single location (e.g. a missing `default_backend`).
    pub file: PathBuf,
    /// 0 when there is no line.
    pub line: usize,
    /// The keyword being parsed, for callers that group or filter messages.
    pub keyword: String,
    /// The message, including HAProxy-style hints (`did you mean …`, `| …` lines).
    pub message: String,
    pub stage: Stage,
    /// Found once every file was read, by the checks of the configuration as a whole: HAProxy
    /// reports these after its "Error(s) found in configuration file" lines.
    pub after_parsing: bool,
    /// Stops reading the configuration there (HAProxy's `ERR_ABORT`: conditional block
    /// errors, `.alert`): no later line is read and no whole-configuration check is run.
    pub aborts: bool,
    /// An alert that does not stop the configuration from loading (HAProxy's `ERR_ALERT`
    /// without `ERR_FATAL`, as for a second `server-state-file`).
    pub continues: bool,
}

impl Diagnostic {
    pub fn alert(file: &Path, line: usize, keyword: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Alert,
            file: file.to_path_buf(),
            line,
            keyword: keyword.to_string(),
            message: message.into(),
            stage: Stage::Parsing,
            after_parsing: false,
            aborts: false,
            continues: false,
        }
    }

    pub fn warning(file: &Path, line: usize, keyword: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::alert(file, line, keyword, message)
        }
    }

    /// A message with no location, like HAProxy's post-parse checks.
    pub fn global(severity: Severity, keyword: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            file: PathBuf::new(),
            line: 0,
            keyword: keyword.to_string(),
            message: message.into(),
            stage: Stage::Checking,
            after_parsing: false,
            aborts: false,
            continues: false,
        }
    }

    pub fn checking(mut self) -> Self {
        self.stage = Stage::Checking;
        self
    }

    pub fn continuing(mut self) -> Self {
        self.continues = true;
        self
    }

    pub fn aborting(mut self) -> Self {
        self.aborts = true;
        self
    }

    pub fn tight(mut self) -> Self {
        self.stage = Stage::ParsingTight;
        self
    }

    /// An alert that fails the configuration.
    pub fn is_alert(&self) -> bool {
        self.severity == Severity::Alert && !self.continues
    }

    fn write_body(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            match self.stage {
                Stage::Parsing => write!(f, "parsing [{}:{}] : ", self.file.display(), self.line)?,
                Stage::ParsingTight => {
                    write!(f, "parsing [{}:{}]: ", self.file.display(), self.line)?
                }
                Stage::ParsingUpper => {
                    write!(f, "Parsing [{}:{}]: ", self.file.display(), self.line)?
                }
                Stage::Checking => write!(f, "[{}:{}] : ", self.file.display(), self.line)?,
            }
        }
        f.write_str(&self.message)
    }
}

/// `[ALERT]    (PID) : config : parsing [FILE:LINE] : message`. The alternate form (`{:#}`)
/// leaves out the pid, which makes the text stable for comparisons.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Alert => "[ALERT]   ",
            Severity::Warning => "[WARNING] ",
            Severity::Notice => "[NOTICE]  ",
        };
        if f.alternate() {
            write!(f, "{tag} : config : ")?;
        } else {
            write!(f, "{tag} ({}) : config : ", std::process::id())?;
        }
        self.write_body(f)
    }
}

/// Diagnostics collected while parsing: every problem is reported, not just the first.
#[derive(Debug, Default)]
pub struct Report {
    pub list: Vec<Diagnostic>,
}

impl Report {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub fn alert(&mut self, line: &Line, message: impl Into<String>) {
        self.push(Diagnostic::alert(
            line.file(),
            line.number,
            line.arg(0),
            message,
        ));
    }

    pub fn warn(&mut self, line: &Line, message: impl Into<String>) {
        self.push(Diagnostic::warning(
            line.file(),
            line.number,
            line.arg(0),
            message,
        ));
    }

    /// The note for a keyword that HAProxy knows but that changes nothing here.
    pub fn ignored(&mut self, line: &Line, what: &str) {
        self.warn(
            line,
            format!("'{what}' is ignored by proxyd (no effect on a TCP passthrough proxy)."),
        );
    }

    /// A time argument, with HAProxy's warning (which names no line) when something follows
    /// its unit.
    pub fn time(&mut self, value: &str) -> Result<std::time::Duration, super::values::TimeError> {
        let (d, trailing) = super::values::timer(value)?;
        if let Some(c) = trailing {
            self.push(Diagnostic::global(
                Severity::Warning,
                "",
                super::values::trailing_warning(c, value),
            ));
        }
        Ok(d)
    }

    pub fn unsupported(&mut self, line: &Line, what: &str, why: &str) {
        self.alert(line, format!("'{what}' is not supported by proxyd: {why}."));
    }

    pub fn has_alerts(&self) -> bool {
        self.list.iter().any(Diagnostic::is_alert)
    }
}

/// The closest candidate to a misspelt keyword, when one is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match word.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `; did you mean 'x' maybe ?` when a near miss exists, as HAProxy appends it.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(word, candidates) {
        Some(best) => format!("; did you mean '{best}' maybe ?"),
        None => String::new(),
    }
}

/// Optimal string alignment distance: a swapped pair of letters (`wieght`) counts as one typo.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_renders_like_haproxy() {
        let d = Diagnostic::alert(
            Path::new("x.cfg"),
            15,
            "ballance",
            "unknown keyword 'ballance'",
        );
        assert_eq!(
            format!("{d:#}"),
            "[ALERT]    : config : parsing [x.cfg:15] : unknown keyword 'ballance'"
        );
        let shown = d.to_string();
        assert!(shown.starts_with("[ALERT]    ("), "{shown}");
        assert!(
            shown.contains(") : config : parsing [x.cfg:15] : "),
            "{shown}"
        );
    }

    #[test]
    fn warning_and_locationless_forms() {
        let w = Diagnostic::warning(Path::new("a"), 2, "k", "m").checking();
        assert_eq!(format!("{w:#}"), "[WARNING]  : config : [a:2] : m");
        let g = Diagnostic::global(Severity::Alert, "default_backend", "Proxy 'f': x");
        assert_eq!(format!("{g:#}"), "[ALERT]    : config : Proxy 'f': x");
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let words = ["balance", "bind", "backend", "weight"];
        assert_eq!(suggest("ballance", words), Some("balance"));
        assert_eq!(suggest("wieght", words), Some("weight"));
        assert_eq!(suggest("zzzzzz", words), None);
        assert_eq!(did_you_mean("bnid", words), "; did you mean 'bind' maybe ?");
        assert_eq!(did_you_mean("qqq", words), "");
    }
}
