//! The binaries under test.
//!
//! Cargo sets `CARGO_BIN_EXE_<name>` only for tests of the package that owns the binary, so this
//! package builds `proxyd` and `haproxyctl` itself, once per test process, with the same cargo,
//! profile and target directory as the test run (a no-op when `cargo test --workspace` already
//! built them). `E2E_PROXYD` / `E2E_HAPROXYCTL` point at prebuilt binaries instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where the real HAProxy lives on Debian (package `haproxy`).
pub const HAPROXY_PATH: &str = "/usr/sbin/haproxy";

/// Paths of the workspace binaries.
#[derive(Debug, Clone)]
pub struct Bins {
    pub proxyd: PathBuf,
    pub haproxyctl: PathBuf,
}

/// The `proxyd` binary, built on first use.
pub fn proxyd() -> PathBuf {
    workspace_bins().proxyd.clone()
}

/// The `haproxyctl` binary, built on first use.
pub fn haproxyctl() -> PathBuf {
    workspace_bins().haproxyctl.clone()
}

/// The real HAProxy, if installed (`E2E_HAPROXY` overrides the path).
pub fn haproxy() -> Option<PathBuf> {
    let path = env::var_os("E2E_HAPROXY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(HAPROXY_PATH));
    path.is_file().then_some(path)
}

/// Builds (or finds) both workspace binaries exactly once per process; panics with cargo's output
/// if the build fails, since no end-to-end test can run without them.
pub fn workspace_bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let overridden = (env::var_os("E2E_PROXYD"), env::var_os("E2E_HAPROXYCTL"));
        if let (Some(proxyd), Some(haproxyctl)) = overridden {
            return Bins {
                proxyd: proxyd.into(),
                haproxyctl: haproxyctl.into(),
            };
        }
        build_workspace_bins()
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e package lives one level below the workspace root")
        .to_path_buf()
}

/// The profile and target directory of the running test binary, read from its own path:
/// `<target-dir>/<profile-dir>/deps/<test-exe>` (or `examples/<example-exe>`).
fn current_profile_and_target_dir() -> Option<(String, PathBuf)> {
    let exe = env::current_exe().ok()?;
    let deps = exe.parent()?;
    let profile_dir = if matches!(deps.file_name()?.to_str()?, "deps" | "examples") {
        deps.parent()?
    } else {
        deps
    };
    let profile = match profile_dir.file_name()?.to_str()? {
        "debug" => "dev".to_string(),
        other => other.to_string(),
    };
    Some((profile, profile_dir.parent()?.to_path_buf()))
}

/// Variables cargo sets for one package's build or test run, as opposed to user configuration
/// (`CARGO_HOME`, `CARGO_TARGET_DIR`, `CARGO_BUILD_*`...), which is kept.
fn is_per_package_cargo_var(name: &str) -> bool {
    const PREFIXES: [&str; 3] = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_"];
    const NAMES: [&str; 5] = [
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

fn build_workspace_bins() -> Bins {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).args([
        "build",
        "--message-format=json-render-diagnostics",
        "-p",
        "proxyd",
        "-p",
        "haproxyctl",
        "--bins",
    ]);
    // Cargo gives test processes the test package's own variables; passed on, they would look
    // like a changed environment to build scripts (ring reruns on CARGO_MANIFEST_DIR) and make
    // every test run rebuild the binaries.
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(is_per_package_cargo_var) {
            cmd.env_remove(name);
        }
    }
    if let Some((profile, target_dir)) = current_profile_and_target_dir() {
        cmd.arg("--profile")
            .arg(profile)
            .arg("--target-dir")
            .arg(target_dir);
    }
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "building the workspace binaries failed ({})\ncommand: {cmd:?}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut proxyd = None;
    let mut haproxyctl = None;
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(exe) = msg["executable"].as_str() else {
            continue;
        };
        match msg["target"]["name"].as_str() {
            Some("proxyd") => proxyd = Some(PathBuf::from(exe)),
            Some("haproxyctl") => haproxyctl = Some(PathBuf::from(exe)),
            _ => {}
        }
    }
    match (proxyd, haproxyctl) {
        (Some(proxyd), Some(haproxyctl)) => Bins { proxyd, haproxyctl },
        _ => panic!(
            "cargo built no proxyd/haproxyctl executable\ncommand: {cmd:?}\nstdout:\n{stdout}"
        ),
    }
}
