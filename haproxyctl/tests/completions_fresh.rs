//! The completions and man page committed under `completions/` must match what the clap Command
//! generates today. `UPDATE_COMPLETIONS=1 cargo test -p haproxyctl --test completions_fresh`
//! rewrites them.

// Helpers and fake servers here are test code: a failed step must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use haproxyctl::commands::{completions, man};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../completions")
}

fn check(name: &str, generated: &str, stale: &mut Vec<String>) {
    let path = dir().join(name);
    if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    match std::fs::read_to_string(&path) {
        Ok(committed) if committed == generated => {}
        _ => stale.push(name.to_string()),
    }
}

#[test]
fn committed_completions_and_man_page_are_fresh() {
    let mut stale = Vec::new();
    for (shell, name) in completions::FILES {
        check(name, &completions::generate(shell), &mut stale);
    }
    check(man::FILE, &man::generate().unwrap(), &mut stale);
    assert!(
        stale.is_empty(),
        "stale generated files in completions/: {stale:?}; run UPDATE_COMPLETIONS=1 cargo test -p haproxyctl --test completions_fresh"
    );
}
