//! HAProxy's conditional blocks (`.if`, `.elif`, `.else`, `.endif`) and report directives
//! (`.notice`, `.warning`, `.alert`, `.diag`), with the grammar of HAProxy 2.6's `cfgcond.c`:
//! `0`/`1` (any integer), predicates with arguments in parentheses, `(…)`, `!`, `&&` binding
//! tighter than `||`. Their words arrive already lexed, so `"$VAR"` in a condition has been
//! expanded like anywhere else.

use super::diag::{Diagnostic, Report, Severity};
use super::lexer::Line;

/// The HAProxy version whose behaviour proxyd follows: what `version_atleast()` and
/// `version_before()` compare with.
pub const HAPROXY_VERSION: &str = "2.6.12";

/// What `feature()` finds, in the names of `haproxy -vv`'s feature list: those whose HAProxy
/// keywords proxyd honours (TLS health checks, splicing, threads, the Prometheus exporter).
const FEATURES: &[&str] = &[
    "EPOLL",
    "LINUX_SPLICE",
    "OPENSSL",
    "PROMEX",
    "THREAD",
    "GETADDRINFO",
    "ACCEPT4",
];

/// Deeper nesting is refused, as HAProxy's `MAXNESTEDCONDS`.
const MAX_NESTED: usize = 128;
/// HAProxy's `MAX_CFG_RECURSION` for expressions.
const MAX_DEPTH: i32 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// In a branch that is read.
    Take,
    /// In a branch that is skipped; an earlier branch was taken or the block is inside a
    /// skipped one, so later `.elif`/`.else` are skipped too.
    Done,
    /// In a branch that is skipped, no branch taken yet.
    Drop,
}

/// The `.if` levels of one file (HAProxy checks their nesting file by file).
#[derive(Debug, Default)]
pub struct Conditions {
    levels: Vec<(Block, bool)>,
}

/// What the walker does with a line after [`Conditions::line`].
pub enum Outcome {
    /// An ordinary line in a branch that is read.
    Parse,
    /// A directive, or a line in a skipped branch.
    Consumed,
    /// An error that stops reading the configuration, as HAProxy's `ERR_ABORT`.
    Abort,
}

impl Conditions {
    /// Handles `l` if it is a directive or lies in a skipped branch.
    pub fn line(
        &mut self,
        l: &Line,
        env: &dyn Fn(&str) -> Option<String>,
        r: &mut Report,
    ) -> Outcome {
        let kw = l.arg(0);
        let skipping = self.levels.last().is_some_and(|(b, _)| *b != Block::Take);
        match kw {
            ".if" => {
                if self.levels.len() + 1 >= MAX_NESTED {
                    return abort(r, l, format!("too many nested '.if', max is {MAX_NESTED}."));
                }
                if skipping {
                    self.levels.push((Block::Done, false));
                    return Outcome::Consumed;
                }
                match condition(l, env, r) {
                    Some(true) => self.levels.push((Block::Take, false)),
                    Some(false) => self.levels.push((Block::Drop, false)),
                    None => return Outcome::Abort,
                }
                Outcome::Consumed
            }
            ".elif" => {
                let Some(&(block, seen_else)) = self.levels.last() else {
                    return abort(r, l, "lone '.elif' with no matching '.if'.");
                };
                if seen_else {
                    return abort(r, l, "'.elif' after '.else' is not permitted.");
                }
                let next = match block {
                    Block::Take | Block::Done => Block::Done,
                    Block::Drop => match condition(l, env, r) {
                        Some(true) => Block::Take,
                        Some(false) => Block::Drop,
                        None => return Outcome::Abort,
                    },
                };
                self.set_top(next, false);
                Outcome::Consumed
            }
            ".else" | ".endif" => {
                if !l.arg(1).is_empty() {
                    return abort(
                        r,
                        l,
                        format!("Unexpected argument '{}' for '{kw}'.", l.arg(1)),
                    );
                }
                let Some(&(block, seen_else)) = self.levels.last() else {
                    let what = &kw[1..];
                    return abort(r, l, format!("lone '.{what}' with no matching '.if'."));
                };
                if kw == ".endif" {
                    self.levels.pop();
                } else if seen_else {
                    return abort(r, l, "'.else' after '.else' is not permitted.");
                } else {
                    let next = match block {
                        Block::Drop => Block::Take,
                        Block::Take | Block::Done => Block::Done,
                    };
                    self.set_top(next, true);
                }
                Outcome::Consumed
            }
            _ if skipping => Outcome::Consumed,
            ".alert" | ".warning" | ".notice" | ".diag" => {
                if !l.arg(2).is_empty() {
                    r.push(tight(
                        l,
                        Severity::Alert,
                        format!(
                            "Unexpected argument '{}' for '{kw}'. Use quotes if the message should contain spaces.",
                            l.arg(2)
                        ),
                    ));
                    return Outcome::Consumed;
                }
                let message = format!("'{}'.", l.arg(1));
                match kw {
                    ".alert" => return abort(r, l, message),
                    ".warning" => r.push(tight(l, Severity::Warning, message)),
                    ".notice" => r.push(tight(l, Severity::Notice, message)),
                    // Only printed in HAProxy's diagnostic mode (-dD), which proxyd has not.
                    _ => {}
                }
                Outcome::Consumed
            }
            _ if kw.starts_with('.') => {
                r.push(tight(
                    l,
                    Severity::Alert,
                    format!("unknown directive '{kw}'."),
                ));
                Outcome::Consumed
            }
            _ => Outcome::Parse,
        }
    }

    /// At the end of a file: an `.if` left open is an error.
    pub fn finish(&self, file: &Line, r: &mut Report) -> Outcome {
        if self.levels.is_empty() {
            return Outcome::Parse;
        }
        abort(r, file, "non-terminated '.if' block.")
    }

    fn set_top(&mut self, block: Block, seen_else: bool) {
        if let Some(top) = self.levels.last_mut() {
            *top = (block, seen_else || top.1);
        }
    }
}

fn tight(l: &Line, severity: Severity, message: impl Into<String>) -> Diagnostic {
    let mut d = Diagnostic::alert(l.file(), l.number, l.arg(0), message).tight();
    d.severity = severity;
    d
}

fn abort(r: &mut Report, l: &Line, message: impl Into<String>) -> Outcome {
    r.push(tight(l, Severity::Alert, message).aborting());
    Outcome::Abort
}

/// Evaluates the condition of a `.if`/`.elif` line; `None` after reporting an error.
fn condition(l: &Line, env: &dyn Fn(&str) -> Option<String>, r: &mut Report) -> Option<bool> {
    // HAProxy joins the words back into one expression.
    let text = l.words[1..].join(" ");
    let kw = l.arg(0);
    match evaluate(&text, env) {
        Ok(v) => Some(v),
        Err((msg, at)) => {
            let pad = " ".repeat(kw.len() + 1 + at);
            abort(
                r,
                l,
                format!(
                    "{msg} in '{kw}' at position {}:\n  {kw} {text}\n  {pad}^",
                    at + 1
                ),
            );
            None
        }
    }
}

/// An error and the byte offset it points at.
type Failure = (String, usize);

/// HAProxy's `cfg_eval_condition()`: an empty condition is false.
pub fn evaluate(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<bool, Failure> {
    if text.is_empty() {
        return Ok(false);
    }
    let mut p = Parser { text, at: 0, env };
    let value = p.or(MAX_DEPTH)?;
    p.blanks();
    match p.peek() {
        None => Ok(value),
        Some(c) => Err((
            format!("unexpected character '{c}' at the end of conditional expression '{text}'"),
            p.at,
        )),
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn blanks(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// `and ('||' and)*`. HAProxy parses everything before evaluating; evaluating while
    /// parsing gives the same answer since predicates have no side effects.
    fn or(&mut self, depth: i32) -> Result<bool, Failure> {
        if depth <= 0 {
            return Err(unparsable("expression", self.rest(), self.at));
        }
        let start = self.at;
        let mut value = self
            .and(depth - 1)
            .map_err(|e| sub("expression", e, self.text, start))?;
        loop {
            self.blanks();
            if !self.rest().starts_with("||") {
                return Ok(value);
            }
            self.at += 2;
            self.blanks();
            let at = self.at;
            let right = self
                .and(depth - 1)
                .map_err(|e| sub("expression", e, self.text, at))?;
            value = value || right;
        }
    }

    fn and(&mut self, depth: i32) -> Result<bool, Option<Failure>> {
        if self.rest().is_empty() || depth <= 0 {
            return Err(None);
        }
        let mut value = self.term(depth - 1)?;
        loop {
            self.blanks();
            if !self.rest().starts_with("&&") {
                return Ok(value);
            }
            self.at += 2;
            self.blanks();
            let at = self.at;
            let right = match self.term(depth - 1) {
                Ok(v) => v,
                Err(None) => return Err(Some(unparsable("sub-expression", &self.text[at..], at))),
                Err(e) => return Err(e),
            };
            value = value && right;
        }
    }

    /// One term; `Err(None)` when nothing here looks like one (HAProxy's "desynchronized").
    fn term(&mut self, depth: i32) -> Result<bool, Option<Failure>> {
        self.blanks();
        if self.rest().is_empty() {
            return Err(None);
        }
        let start = self.at;
        if depth <= 0 {
            return Err(Some(unparsable("expression", &self.text[start..], start)));
        }
        let mut negate = false;
        while self.peek() == Some('!') {
            negate = !negate;
            self.at += 1;
            self.blanks();
        }
        let value = if let Some(n) = self.integer() {
            n != 0
        } else if self.peek() == Some('(') {
            self.at += 1;
            self.blanks();
            let inner = self.or(depth - 1).map_err(Some)?;
            self.blanks();
            if self.peek() != Some(')') {
                return Err(Some((
                    format!(
                        "expected ')' after conditional expression '{}'",
                        &self.text[start..]
                    ),
                    start,
                )));
            }
            self.at += 1;
            self.blanks();
            inner
        } else {
            self.predicate(start)?
        };
        Ok(value != negate)
    }

    /// `strtol(…, 0)`: decimal, `0x` hex or `0` octal, with an optional sign.
    fn integer(&mut self) -> Option<i64> {
        let rest = self.rest();
        let unsigned = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let sign_len = rest.len() - unsigned.len();
        let (radix, body, prefix_len) = if let Some(hex) = unsigned
            .strip_prefix("0x")
            .or_else(|| unsigned.strip_prefix("0X"))
            .filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()))
        {
            (16, hex, 2)
        } else {
            (10, unsigned, 0)
        };
        let digits = body.len() - body.trim_start_matches(|c: char| c.is_digit(radix)).len();
        if digits == 0 {
            return None;
        }
        let value = i64::from_str_radix(&body[..digits], radix).unwrap_or(i64::MAX);
        self.at += sign_len + prefix_len + digits;
        Some(value)
    }

    fn predicate(&mut self, start: usize) -> Result<bool, Option<Failure>> {
        let rest = self.rest();
        let name_len = rest.find([' ', '(']).unwrap_or(rest.len());
        let name = &rest[..name_len];
        let arity = match name {
            "defined" | "feature" | "version_atleast" | "version_before" => 1,
            "streq" | "strneq" => 2,
            _ => return Err(Some(unparsable("expression", rest, start))),
        };
        self.at += name_len;
        let args = self.arguments(name, arity)?;
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
        Ok(match name {
            "defined" => (self.env)(arg(0)).is_some(),
            "feature" => FEATURES.contains(&arg(0)),
            "streq" => arg(0) == arg(1),
            "strneq" => arg(0) != arg(1),
            "version_atleast" => compare_versions(HAPROXY_VERSION, arg(0)).is_ge(),
            _ => compare_versions(HAPROXY_VERSION, arg(0)).is_lt(),
        })
    }

    /// HAProxy's `make_arg_list()` for string arguments: `(a,b)`, blanks around each kept
    /// out, exactly `arity` of them.
    fn arguments(&mut self, name: &str, arity: usize) -> Result<Vec<String>, Option<Failure>> {
        let fail = |msg: String, arg: usize, at: usize| {
            Some((
                format!(
                    "{msg} in argument {arg} of predicate '{name}' used in conditional expression"
                ),
                at,
            ))
        };
        if self.peek() != Some('(') {
            return Err(fail(
                format!("missing arguments (got 0/{arity}), type 'string' expected"),
                1,
                self.at,
            ));
        }
        self.at += 1;
        let mut args = Vec::new();
        loop {
            self.blanks();
            let rest = self.rest();
            let len = rest.find([',', ')']).unwrap_or(rest.len());
            let word = rest[..len].trim_end_matches([' ', '\t']).to_string();
            self.at += len;
            args.push(word);
            match self.peek() {
                Some(',') if args.len() < arity => self.at += 1,
                Some(',') => {
                    return Err(fail(
                        format!(
                            "end of arguments expected at position {}, but got ','",
                            args.len() + 1
                        ),
                        args.len(),
                        self.at,
                    ))
                }
                Some(_) => {
                    self.at += 1;
                    break;
                }
                None => return Err(fail("expected ')'".into(), args.len(), self.at)),
            }
        }
        if args.len() < arity {
            return Err(fail(
                format!(
                    "missing arguments (got {}/{arity}), type 'string' expected",
                    args.len()
                ),
                args.len(),
                self.at - 1,
            ));
        }
        Ok(args)
    }
}

fn unparsable(what: &str, text: &str, at: usize) -> Failure {
    (format!("unparsable conditional {what} '{text}'"), at)
}

/// An `and` that found nothing to parse becomes HAProxy's "unparsable" error for the text
/// where it started.
fn sub(what: &str, e: Option<Failure>, text: &str, at: usize) -> Failure {
    e.unwrap_or_else(|| unparsable(what, &text[at..], at))
}

/// HAProxy's `compare_current_version()` order on `2.6.12`-like versions, missing components
/// being zero; `-devN` sorts before the release.
fn compare_versions(ours: &str, theirs: &str) -> std::cmp::Ordering {
    fn parts(v: &str) -> (Vec<u64>, i64) {
        let (numbers, suffix) = v.split_once('-').unwrap_or((v, ""));
        let nums = numbers.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        let dev = match suffix.strip_prefix("dev") {
            Some(n) => n.parse::<i64>().unwrap_or(0) - 1_000_000,
            None => 0,
        };
        (nums, dev)
    }
    let (mut a, da) = parts(ours);
    let (mut b, db) = parts(theirs);
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    a.cmp(&b).then(da.cmp(&db))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "SET").then(String::new)
    }

    fn eval(text: &str) -> Result<bool, Failure> {
        evaluate(text, &env)
    }

    #[test]
    fn values_and_operators() {
        assert_eq!(eval(""), Ok(false));
        assert_eq!(eval("0"), Ok(false));
        assert_eq!(eval("1"), Ok(true));
        assert_eq!(eval("!0"), Ok(true));
        assert_eq!(eval("! ! 1"), Ok(true));
        assert_eq!(eval("0x10"), Ok(true));
        assert_eq!(eval("1 && 0 || 1"), Ok(true));
        assert_eq!(eval("0 || 1 && 0"), Ok(false));
        assert_eq!(eval("!(0 || 0) && (1)"), Ok(true));
        assert_eq!(eval("defined(SET)&&defined(NOPE)"), Ok(false));
        assert_eq!(eval("feature(OPENSSL) && defined(SET)"), Ok(true));
        assert_eq!(eval("feature(QUIC)"), Ok(false));
        assert_eq!(eval("streq( yes , yes )"), Ok(true));
        assert_eq!(eval("strneq(yes,no)"), Ok(true));
    }

    #[test]
    fn versions_compare_as_haproxy_2_6_12() {
        assert_eq!(eval("version_atleast(2.6)"), Ok(true));
        assert_eq!(eval("version_atleast(2.6.12)"), Ok(true));
        assert_eq!(eval("version_atleast(2.6.13)"), Ok(false));
        assert_eq!(eval("version_atleast(2.4-dev19)"), Ok(true));
        assert_eq!(eval("version_before(2.7-dev0)"), Ok(true));
        assert_eq!(eval("version_before(2.6.12)"), Ok(false));
    }

    /// Messages and positions from `haproxy -c` (2.6.12) on the same conditions.
    #[test]
    fn errors_are_haproxys() {
        assert_eq!(
            eval("foo(1)"),
            Err(("unparsable conditional expression 'foo(1)'".into(), 0))
        );
        assert_eq!(
            eval("1 2"),
            Err((
                "unexpected character '2' at the end of conditional expression '1 2'".into(),
                2
            ))
        );
        assert_eq!(
            eval("defined(X"),
            Err((
                "expected ')' in argument 1 of predicate 'defined' used in conditional expression"
                    .into(),
                9
            ))
        );
        assert_eq!(
            eval("streq(a)"),
            Err((
                "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression".into(),
                7
            ))
        );
    }
}
