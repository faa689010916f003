//! Server selectors: `be/srv` with `*`, `?` and `[...]` globs on either side, `all`, `--except`.

use runtime_api::stat_table::{RowKind, StatTable};

use crate::error::CtlError;

/// Shell-style glob: `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!x]` a class.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative with one backtrack point for the last `*`: linear enough for server names.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        // Unclosed `[` is a literal.
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`; returns (matched, index after `]`).
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    (i < p.len()).then_some((matched != negate, i + 1))
}

/// A parsed `BACKEND/SERVER` selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    backend: String,
    server: String,
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, CtlError> {
        if s == "all" {
            return Ok(Selector {
                backend: "*".into(),
                server: "*".into(),
            });
        }
        match s.split_once('/') {
            Some((b, srv)) if !b.is_empty() && !srv.is_empty() => Ok(Selector {
                backend: b.to_string(),
                server: srv.to_string(),
            }),
            _ => Err(CtlError::Usage(format!(
                "`{s}`: expected BACKEND/SERVER (globs allowed, e.g. be_app/web*) or `all`"
            ))),
        }
    }

    pub fn matches(&self, backend: &str, server: &str) -> bool {
        glob_match(&self.backend, backend) && glob_match(&self.server, server)
    }
}

/// Servers of `table` matched by `include` and not by `except`, as (backend, server), in table order.
/// Each include selector must match something, and something must be left after `except`: a
/// typo must not silently do nothing.
pub fn resolve(
    table: &StatTable,
    include: &[String],
    except: &[String],
) -> Result<Vec<(String, String)>, CtlError> {
    let include: Vec<Selector> = include
        .iter()
        .map(|s| Selector::parse(s))
        .collect::<Result<_, _>>()?;
    let except: Vec<Selector> = except
        .iter()
        .map(|s| Selector::parse(s))
        .collect::<Result<_, _>>()?;
    let servers: Vec<(&str, &str)> = table
        .rows
        .iter()
        .filter(|r| r.kind() == Some(RowKind::Server))
        .map(|r| (r.pxname(), r.svname()))
        .collect();
    for (sel, raw) in include.iter().zip(include_names(&include)) {
        if !servers.iter().any(|(b, s)| sel.matches(b, s)) {
            return Err(CtlError::Usage(format!("no server matches `{raw}`")));
        }
    }
    let chosen: Vec<(String, String)> = servers
        .into_iter()
        .filter(|(b, s)| include.iter().any(|sel| sel.matches(b, s)))
        .filter(|(b, s)| !except.iter().any(|sel| sel.matches(b, s)))
        .map(|(b, s)| (b.to_string(), s.to_string()))
        .collect();
    if chosen.is_empty() && !include.is_empty() {
        return Err(CtlError::Usage(
            "no server left: --except leaves out every selected server".to_string(),
        ));
    }
    Ok(chosen)
}

fn include_names(sels: &[Selector]) -> Vec<String> {
    sels.iter()
        .map(|s| format!("{}/{}", s.backend, s.server))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("web*", "web12"));
        assert!(glob_match("*", ""));
        assert!(glob_match("w?b[0-9]", "web1"));
        assert!(!glob_match("w?b[!0-9]", "web1"));
        assert!(glob_match("*-a*c", "x-abbc"));
        assert!(!glob_match("web", "web1"));
        assert!(glob_match("a[", "a["));
    }

    #[test]
    fn selectors_need_a_slash_or_all() {
        assert!(Selector::parse("web1").is_err());
        assert!(Selector::parse("all").unwrap().matches("x", "y"));
        assert!(Selector::parse("be_*/web?")
            .unwrap()
            .matches("be_app", "web1"));
    }

    #[test]
    fn resolve_applies_except_and_rejects_unmatched() {
        let t = StatTable::parse(
            "# pxname,svname,type,\nbe,a,2,\nbe,b,2,\nbe,BACKEND,1,\nfe,FRONTEND,0,\n",
        )
        .unwrap();
        let got = resolve(&t, &["all".into()], &["be/b".into()]).unwrap();
        assert_eq!(got, vec![("be".to_string(), "a".to_string())]);
        assert!(resolve(&t, &["be/zzz".into()], &[]).is_err());
        let err = resolve(&t, &["all".into()], &["all".into()]).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        assert!(resolve(&t, &["be/a".into()], &["be/*".into()]).is_err());
    }
}
