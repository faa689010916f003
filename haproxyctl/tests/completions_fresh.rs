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
fn committed_completions_and_man_pages_are_fresh() {
    let mut stale = Vec::new();
    for (shell, name) in completions::FILES {
        check(name, &completions::generate(shell), &mut stale);
    }
    let pages = man::pages().unwrap();
    for (name, page) in &pages {
        check(name, page, &mut stale);
    }
    // A page left behind by a renamed or removed subcommand is stale too.
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") && !pages.iter().any(|(n, _)| *n == name) {
            if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
                std::fs::remove_file(dir().join(&name)).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files in completions/: {stale:?}; run UPDATE_COMPLETIONS=1 cargo test -p haproxyctl --test completions_fresh"
    );
}

#[test]
fn every_page_the_main_page_points_to_exists() {
    let pages = man::pages().unwrap();
    let main = &pages[0].1;
    let mut referenced = 0;
    for line in main.lines() {
        // clap_mangen writes `haproxyctl\-status(1)` in the SUBCOMMANDS section.
        let name = line.replace("\\-", "-");
        if let Some(page) = name.strip_suffix("(1)") {
            referenced += 1;
            assert!(
                pages.iter().any(|(n, _)| *n == format!("{page}.1")),
                "{page}(1) is referenced but not generated"
            );
        }
    }
    assert!(referenced >= 10, "{main}");
    let status = pages
        .iter()
        .find(|(n, _)| n == "haproxyctl-status.1")
        .unwrap();
    assert!(status.1.contains("\\-\\-check"), "{}", status.1);
}
