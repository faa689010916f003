//! The command list HAProxy 2.6 prints for `help` and unknown commands, and its fuzzy matcher
//! (`cli_gen_usage_msg`): the same candidates, in the same order, with the same wording.

/// Usage lines exactly as HAProxy 2.6 registers them (already padded).
const USAGES: &str = include_str!("help.txt");

const TAIL: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

const MAX_MATCHES: usize = 5;

struct Entry {
    usage: &'static str,
    words: Vec<&'static str>,
}

fn entries() -> Vec<Entry> {
    USAGES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let usage = l.strip_prefix("  ").unwrap_or(l);
            let head = usage.split(':').next().unwrap_or("");
            let words = head
                .split_whitespace()
                .take_while(|w| {
                    w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
                .collect();
            Entry { usage, words }
        })
        .collect()
}

/// HAProxy's `update_word_fingerprint`: counts of letter-class transitions.
fn fingerprint(fp: &mut [u8; 1024], word: &str) {
    let class = |c: u8| -> usize {
        match c.to_ascii_lowercase() {
            c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
            b'0'..=b'9' => 27,
            _ => 28,
        }
    };
    let mut from = 28;
    for &b in word.as_bytes() {
        let to = class(b);
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
}

fn distance(a: &[u8; 1024], b: &[u8; 1024]) -> i32 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (*x as i32 - *y as i32).abs())
        .sum()
}

/// The text for `help [words]` (`is_help`) or for an unknown command `args`.
pub fn usage_message(args: &[String], is_help: bool) -> String {
    let all = entries();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Longest run of leading words that matches some keyword exactly.
    let mut length = 0;
    for e in &all {
        for (i, w) in e.words.iter().enumerate() {
            match args.get(i) {
                Some(a) if !a.is_empty() && a == w => length = length.max(i + 1),
                _ => break,
            }
        }
    }
    let mut out = String::new();
    if is_help {
        out.push_str("The following commands are valid at this level:\n");
    } else if length == 0 && args.first().is_none_or(|a| a.is_empty()) {
        out.push_str("Unknown command. Please enter one of the following commands only:\n");
    } else {
        out.push_str("Unknown command, but maybe one of the following ones is a better match:\n");
    }

    let prefix_matches = |e: &Entry| -> bool {
        (0..length).all(|i| e.words.get(i).is_some_and(|w| args.get(i) == Some(w)))
    };

    let mut matches: Vec<(usize, i32)> = Vec::new();
    if args.get(length).is_some_and(|a| !a.is_empty()) {
        for (k, e) in all.iter().enumerate() {
            if !prefix_matches(e) {
                continue;
            }
            let mut word_sig = [0u8; 1024];
            let mut list_sig = [0u8; 1024];
            let mut totlen = 0i32;
            for a in args.iter().skip(length).take_while(|a| !a.is_empty()) {
                fingerprint(&mut word_sig, a);
                totlen += a.len() as i32;
            }
            for w in e.words.iter().skip(length) {
                fingerprint(&mut list_sig, w);
                totlen += w.len() as i32;
            }
            let dist = distance(&word_sig, &list_sig);
            let worst = if matches.len() < MAX_MATCHES {
                i32::MAX
            } else {
                matches[MAX_MATCHES - 1].1
            };
            if dist < 5 * totlen / 2 && dist < worst {
                if matches.len() == MAX_MATCHES {
                    matches.pop();
                }
                let pos = matches
                    .iter()
                    .position(|&(_, d)| d > dist)
                    .unwrap_or(matches.len());
                matches.insert(pos, (k, dist));
            }
        }
    }

    let mut shown: Vec<&str> = Vec::new();
    if let Some(&(_, best)) = matches.first() {
        for &(k, d) in &matches {
            if d > 5 * best / 2 {
                break;
            }
            shown.push(all[k].usage);
        }
    } else {
        for e in &all {
            if prefix_matches(e) {
                shown.push(e.usage);
            }
        }
    }
    shown.sort_unstable();
    for u in shown {
        out.push_str("  ");
        out.push_str(u);
        out.push('\n');
    }
    out.push_str(TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn help_filter_matches_haproxy() {
        let out = usage_message(&words("show stat"), true);
        assert_eq!(
            out,
            "The following commands are valid at this level:\n  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n".to_string()
                + TAIL
        );
    }

    #[test]
    fn unknown_word_gets_haproxy_suggestions() {
        // Captured from HAProxy 2.6.12 for `foo`.
        let out = usage_message(&words("foo"), false);
        let expected = "Unknown command, but maybe one of the following ones is a better match:\n  add acl [@<ver>] <acl> <pattern>        : add an acl entry\n  show fd [num]                           : dump list of file descriptors in use or a specific one\n  show info [desc|json|typed|float]*      : report information about the running process\n  trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to stop all)\n  user                                    : lower the level of the current CLI session to user\n";
        assert_eq!(out, expected.to_string() + TAIL);
    }

    #[test]
    fn unknown_subcommand_is_fuzzy_matched_among_its_family() {
        let out = usage_message(&words("show foo"), false);
        assert!(out.contains("  show fd [num]"));
        assert!(out.contains("  show env [var]"));
        assert!(!out.contains("add acl"));
    }

    #[test]
    fn empty_line_lists_everything() {
        let out = usage_message(&[], false);
        assert!(out.starts_with("Unknown command. Please enter one of the following commands only:\n  abort ssl ca-file"));
        assert_eq!(out.lines().count(), 1 + 100 + 3);
    }
}
