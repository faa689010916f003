//! Cuts configuration text into lines of words, the way HAProxy's `parse_line()` does:
//! `#` comments, backslash escapes, `"weak"` quotes (with `$VAR` / `${VAR}` / `${VAR-default}` /
//! `${VAR[*]}` expansion) and `'strong'` quotes (nothing interpreted).
//!
//! Words are expanded only inside double quotes, as in HAProxy 2.6. HAProxy then expands every
//! word it reads as an address a second time (`str2sa_range()` calls `env_expand()`), quotes
//! or not, with simpler rules: `$NAME` or `${NAME}`, no default, no `[*]`. [`Line::address`]
//! does that second pass, which is why a line keeps the variables its words name.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diag::Diagnostic;

/// One non-empty configuration line, already split into words.
#[derive(Debug, Clone)]
pub struct Line {
    pub file: Arc<PathBuf>,
    pub number: usize,
    pub words: Vec<String>,
    /// The environment as it was at this line (`setenv` may change it later) for the
    /// variables the words name, kept for [`Line::address`].
    env: Vec<(String, Option<String>)>,
}

impl Line {
    /// A line made by proxyd itself (a `server-template` expansion, `add server`): it names
    /// no variable that was not already expanded.
    pub fn new(file: Arc<PathBuf>, number: usize, words: Vec<String>) -> Line {
        Line {
            file,
            number,
            words,
            env: Vec::new(),
        }
    }

    pub fn file(&self) -> &Path {
        self.file.as_path()
    }

    /// `text` (a word of this line, or part of one) as HAProxy reads an address: with
    /// `$NAME` and `${NAME}` replaced by the variable's value, or nothing when it is unset.
    pub fn address<'a>(&self, text: &'a str) -> Cow<'a, str> {
        address_expand(text, &|name| {
            self.env
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| v.clone())
        })
    }

    /// The word at `i`, or "" past the end: HAProxy's parsers see missing arguments as empty
    /// strings, and reproducing that keeps their error messages identical.
    pub fn arg(&self, i: usize) -> &str {
        self.words.get(i).map(String::as_str).unwrap_or("")
    }
}

/// Lexes line `number` of `file`; `Ok(None)` for blank and comment-only lines.
pub fn line(
    file: &Arc<PathBuf>,
    number: usize,
    raw: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Line>, Diagnostic> {
    match split_line(raw, env) {
        Ok(words) if words.is_empty() => Ok(None),
        Ok(words) => {
            let mut vars: Vec<(String, Option<String>)> = Vec::new();
            for name in words.iter().flat_map(|w| address_variables(w)) {
                if !vars.iter().any(|(n, _)| n == name) {
                    vars.push((name.to_string(), env(name)));
                }
            }
            Ok(Some(Line {
                file: Arc::clone(file),
                number,
                words,
                env: vars,
            }))
        }
        Err(msg) => Err(Diagnostic::alert(file, number, "", msg).tight()),
    }
}

/// Splits one line into words; `Err` carries HAProxy's message for the line.
pub fn split_line(raw: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let chars: Vec<char> = raw.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    // A word exists once any of its characters (even an empty pair of quotes) was seen.
    let mut in_word = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                i += 1;
            }
            '#' => break,
            '\\' => {
                in_word = true;
                i = escape(&chars, i, &mut cur);
            }
            '\'' => {
                in_word = true;
                let start = i;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(unmatched(raw, &chars, start)),
                        Some('\'') => break,
                        Some(&ch) => cur.push(ch),
                    }
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                let start = i;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(unmatched(raw, &chars, start)),
                        Some('"') => break,
                        Some('\\') => i = escape(&chars, i, &mut cur),
                        Some('$') => {
                            i = expand(&chars, i, env, &mut cur, &mut words)?;
                        }
                        Some(&ch) => {
                            cur.push(ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            _ => {
                in_word = true;
                cur.push(c);
                i += 1;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn unmatched(raw: &str, chars: &[char], at: usize) -> String {
    let pad: String = chars[..at]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("unmatched quote at position {}:\n{raw}\n{pad}^", at + 1)
}

/// Handles the backslash at `chars[i]`; returns the index after the escape.
fn escape(chars: &[char], i: usize, out: &mut String) -> usize {
    let Some(&next) = chars.get(i + 1) else {
        // A trailing backslash stays as written, like HAProxy.
        out.push('\\');
        return i + 1;
    };
    match next {
        ' ' | '#' | '\\' | '\'' | '"' | '$' => out.push(next),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        't' => out.push('\t'),
        'x' => {
            let hex: String = chars.iter().skip(i + 2).take(2).collect();
            if hex.len() == 2 {
                if let Ok(v) = u8::from_str_radix(&hex, 16) {
                    out.push(char::from(v));
                    return i + 4;
                }
            }
            out.push('\\');
            out.push('x');
        }
        other => {
            // Unknown escapes keep their backslash (HAProxy passes them through for regexes).
            out.push('\\');
            out.push(other);
        }
    }
    i + 2
}

/// Expands `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` at `chars[i]` (a `$`).
/// `[*]` splits the value on spaces into separate words, pushed onto `words`.
fn expand(
    chars: &[char],
    i: usize,
    env: &dyn Fn(&str) -> Option<String>,
    cur: &mut String,
    words: &mut Vec<String>,
) -> Result<usize, String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    if chars.get(i + 1) == Some(&'{') {
        let close = chars[i + 2..]
            .iter()
            .position(|&c| c == '}')
            .map(|p| p + i + 2)
            .ok_or_else(|| "missing closing '}' in environment variable reference".to_string())?;
        let inner: String = chars[i + 2..close].iter().collect();
        let (spec, default) = match inner.split_once('-') {
            Some((n, d)) => (n.to_string(), Some(d.to_string())),
            None => (inner.clone(), None),
        };
        let (name, split) = match spec.strip_suffix("[*]") {
            Some(n) => (n.to_string(), true),
            None => (spec, false),
        };
        if name.is_empty() || !name.chars().all(is_name) {
            return Err(format!("invalid environment variable name '{name}'"));
        }
        let value = env(&name).or(default).unwrap_or_default();
        if split {
            let mut parts = value.split(' ').filter(|p| !p.is_empty()).peekable();
            while let Some(p) = parts.next() {
                cur.push_str(p);
                if parts.peek().is_some() {
                    words.push(std::mem::take(cur));
                }
            }
        } else {
            cur.push_str(&value);
        }
        return Ok(close + 1);
    }
    let end = chars[i + 1..]
        .iter()
        .position(|&c| !is_name(c))
        .map(|p| p + i + 1)
        .unwrap_or(chars.len());
    if end == i + 1 {
        cur.push('$');
        return Ok(i + 1);
    }
    let name: String = chars[i + 1..end].iter().collect();
    cur.push_str(&env(&name).unwrap_or_default());
    Ok(end)
}

/// One `$` reference as `env_expand()` reads it: where it starts, where it ends, the name.
struct Reference<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

fn next_reference(text: &str, from: usize) -> Option<Reference<'_>> {
    let start = from + text[from..].find('$')?;
    let braced = text[start + 1..].starts_with('{');
    let name_start = start + 1 + usize::from(braced);
    let name_len = text[name_start..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let mut end = name_start + name_len;
    // Only a brace that was opened is consumed: `$A}` keeps its `}`.
    if braced && text[end..].starts_with('}') {
        end += 1;
    }
    Some(Reference {
        start,
        end,
        name: &text[name_start..name_start + name_len],
    })
}

fn address_variables(text: &str) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let r = next_reference(text, at)?;
        at = r.end;
        Some(r.name)
    })
    .filter(|name| !name.is_empty())
}

/// HAProxy's `env_expand()`: every `$NAME` / `${NAME}` replaced by its value, unset (or an
/// empty name, as in `$5` or `$$`) meaning nothing; `${NAME-default}` is not understood, its
/// `-default}` stays.
fn address_expand<'a>(text: &'a str, env: &dyn Fn(&str) -> Option<String>) -> Cow<'a, str> {
    let Some(first) = next_reference(text, 0) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut next = Some(first);
    while let Some(r) = next {
        out.push_str(&text[copied..r.start]);
        if !r.name.is_empty() {
            out.push_str(&env(r.name).unwrap_or_default());
        }
        copied = r.end;
        next = next_reference(text, r.end);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("10.0.0.1".into()),
            "LIST" => Some("a b  c".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn words(s: &str) -> Vec<String> {
        split_line(s, &env).expect("lexes")
    }

    #[test]
    fn spaces_tabs_and_comments() {
        assert_eq!(words("  bind\t:80  # listen"), ["bind", ":80"]);
        assert_eq!(words("# only a comment"), Vec::<String>::new());
        assert_eq!(words("a#b"), ["a"]);
    }

    #[test]
    fn backslash_escapes() {
        assert_eq!(
            words(r"stats realm Haproxy\ Statistics"),
            ["stats", "realm", "Haproxy Statistics"]
        );
        assert_eq!(words(r"a\#b \\ \r\n\t \x41"), ["a#b", "\\", "\r\n\t", "A"]);
        assert_eq!(words(r#"\"q\" \'s\'"#), ["\"q\"", "'s'"]);
        assert_eq!(words(r"rstring ^\d+$"), ["rstring", r"^\d+$"]);
    }

    #[test]
    fn double_quotes_are_weak() {
        assert_eq!(words(r##""a b" "x\"y" "#""##), ["a b", "x\"y", "#"]);
        assert_eq!(words(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(words(r#"pre"mid"post"#), ["premidpost"]);
    }

    #[test]
    fn single_quotes_are_strong() {
        assert_eq!(words(r#"'a\ $HOST "b"'"#), [r#"a\ $HOST "b""#]);
    }

    #[test]
    fn environment_expansion_inside_double_quotes() {
        assert_eq!(words(r#""${HOST}:443""#), ["10.0.0.1:443"]);
        assert_eq!(words(r#""$HOST:443""#), ["10.0.0.1:443"]);
        assert_eq!(words(r#""${NOPE}x""#), ["x"]);
        assert_eq!(words(r#""${NOPE-127.0.0.1}:514""#), ["127.0.0.1:514"]);
        assert_eq!(words(r#""${EMPTY-d}""#), [""]);
        assert_eq!(words(r#"x "${LIST[*]}" y"#), ["x", "a", "b", "c", "y"]);
        assert_eq!(words(r#""\$HOST""#), ["$HOST"]);
        assert_eq!(words(r#""cost $5""#), ["cost "]);
        assert_eq!(words(r#""a$ b""#), ["a$ b"]);
    }

    #[test]
    fn bare_variables_stay_literal() {
        assert_eq!(words("node ${HOST}"), ["node", "${HOST}"]);
        assert_eq!(words("'${HOST}'"), ["${HOST}"]);
    }

    /// What HAProxy 2.6 made of `server s1 <word>:1` with W=5 (from its "could not resolve
    /// address" alerts).
    #[test]
    fn addresses_expand_as_env_expand_does() {
        let env = |name: &str| match name {
            "W" => Some("5".to_string()),
            "E" => Some(String::new()),
            _ => None,
        };
        let cases = [
            ("zz3${W}0", "zz350"),
            ("zz${W}${W}", "zz55"),
            ("zz$W$W", "zz55"),
            ("$W.zz", "5.zz"),
            ("zz${W", "zz5"),
            ("zz${NOPE-9}9", "zz-9}9"),
            ("zz${W[*]}q", "zz5[*]}q"),
            ("zz${E}q", "zzq"),
            ("zz$$W", "zz5"),
            ("zz$5", "zz"),
            ("zz\\$W", "zz\\5"),
            ("a$W}", "a5}"),
            ("plain", "plain"),
        ];
        for (text, want) in cases {
            assert_eq!(address_expand(text, &env), want, "{text}");
        }
    }

    #[test]
    fn lines_remember_the_variables_their_addresses_name() {
        let file = Arc::new(PathBuf::from("f.cfg"));
        let l = line(&file, 1, "server s1 ${HOST}:${NOPE} x$HOST", &env)
            .expect("lexes")
            .expect("not blank");
        assert_eq!(l.address(l.arg(2)), "10.0.0.1:");
        assert_eq!(l.address(l.arg(3)), "x10.0.0.1");
        assert_eq!(l.address("no variable"), "no variable");
    }

    #[test]
    fn unmatched_quote_points_at_it() {
        let err = split_line("  pidfile \"unterminated", &env).unwrap_err();
        assert_eq!(
            err,
            "unmatched quote at position 11:\n  pidfile \"unterminated\n          ^"
        );
        assert!(split_line("a 'b", &env).is_err());
        assert!(split_line(r#""${HOST""#, &env).is_err());
    }

    #[test]
    fn lines_keep_file_and_number() {
        let file = Arc::new(PathBuf::from("f.cfg"));
        let l = line(&file, 4, "  daemon", &env)
            .expect("lexes")
            .expect("not blank");
        assert_eq!(l.number, 4);
        assert_eq!(l.file(), Path::new("f.cfg"));
        assert_eq!(l.arg(0), "daemon");
        assert_eq!(l.arg(5), "");
        assert!(line(&file, 1, "  # c", &env).expect("lexes").is_none());
        let err = line(&file, 5, "\"x", &env).unwrap_err();
        assert_eq!(err.line, 5);
        assert!(format!("{err:#}").contains("parsing [f.cfg:5]: unmatched quote"));
    }
}
