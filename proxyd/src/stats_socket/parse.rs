//! Splitting a CLI input line into commands and words, as HAProxy's `cli_parse_request`:
//! an unescaped `;` ends a command, spaces and tabs separate words, a backslash escapes the
//! next character, and at most 64 words are kept. A NUL byte ends the word it is in (HAProxy's
//! words are C strings), and a word that starts with one is empty.

pub const MAX_WORDS: usize = 64;

/// Split one line (without its newline) into commands, each a list of words.
pub fn split_line(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    // Set after a NUL: the rest of the word is invisible, as past a C string's end.
    let mut cut = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if cut && !matches!(c, ' ' | '\t' | ';') {
            continue;
        }
        match c {
            '\0' => {
                in_word = true;
                cut = true;
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    word.push(n);
                    in_word = true;
                }
            }
            ';' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                cut = false;
                commands.push(std::mem::take(&mut words));
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                cut = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    commands.push(words);
    for c in &mut commands {
        c.truncate(MAX_WORDS);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_split_and_escapes_protect() {
        assert_eq!(
            split_line("show info;show  stat\tup"),
            vec![vec!["show", "info"], vec!["show", "stat", "up"]]
        );
        assert_eq!(
            split_line(r"set a\;b c\ d"),
            vec![vec!["set", "a;b", "c d"]]
        );
        assert_eq!(split_line(""), vec![Vec::<String>::new()]);
    }

    #[test]
    fn nul_ends_the_word_it_is_in() {
        assert_eq!(split_line("show\0 version"), vec![vec!["show", "version"]]);
        assert_eq!(split_line("sh\0ow version"), vec![vec!["sh", "version"]]);
        assert_eq!(split_line("\0show version"), vec![vec!["", "version"]]);
    }
}
