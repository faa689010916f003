//! proxyd's command line, HAProxy-compatible: `-f` (repeatable), `-c`, `-d`/`-db`, `-D`, `-p`,
//! `-v`, plus `--dev`. Signals: SIGTERM/SIGINT stop, SIGUSR1 stops accepting and exits when
//! the last session ends, SIGHUP/SIGUSR2 reload the configuration in place.

use std::path::PathBuf;
use std::process::ExitCode;

use proxyd::config::{self, Config};
use proxyd::daemon::{self, Daemon};
use proxyd::logging::{self, Logger, Severity};
use proxyd::stats_socket::info::{RELEASE_DATE, VERSION};

mod privileges;

#[derive(Debug, Default)]
struct Args {
    files: Vec<PathBuf>,
    check_only: bool,
    foreground: bool,
    daemon: bool,
    pidfile: Option<PathBuf>,
    quiet: bool,
    dev: bool,
}

const USAGE: &str =
    "Usage : proxyd [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -c ] [ -p <pidfile> ] [ --dev ]
        -v displays version ; -vv shows known build options.
        -d enters debug mode ; -db only disables background mode.
        -D goes daemon ; -c checks the configuration and exits.
        -p writes pids of all children to this file
        -q quiet mode : don't display messages
        --dev runs a self-contained demo on loopback (no configuration needed)
";

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-f" => a.files.push(
                it.next()
                    .ok_or("option '-f' requires a file or directory name")?
                    .into(),
            ),
            "-c" => a.check_only = true,
            "-d" | "-db" => a.foreground = true,
            "-D" => a.daemon = true,
            "-p" => a.pidfile = Some(it.next().ok_or("option '-p' requires a file name")?.into()),
            "-q" => a.quiet = true,
            "--dev" => a.dev = true,
            "-v" | "-vv" | "-V" | "--version" => {
                println!("proxyd version {VERSION} {RELEASE_DATE} - HAProxy-compatible TCP load balancer");
                std::process::exit(0);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with("-f") && other.len() > 2 => a.files.push(other[2..].into()),
            other => return Err(format!("unknown option '{other}'.\n{USAGE}")),
        }
    }
    Ok(a)
}

fn load(files: &[PathBuf], quiet: bool) -> Result<Config, String> {
    load_warned(files, quiet).map(|(config, _)| config)
}

/// [`load`], and whether there were warnings.
fn load_warned(files: &[PathBuf], quiet: bool) -> Result<(Config, bool), String> {
    let env = |k: &str| std::env::var(k).ok();
    match config::load(files, &env) {
        Ok(loaded) => {
            if !quiet {
                for w in &loaded.warnings {
                    logging::stderr_line(&w.to_string());
                }
            }
            let warned = loaded
                .warnings
                .iter()
                .any(|w| w.severity == config::Severity::Warning);
            Ok((loaded.config, warned))
        }
        Err(diags) => {
            // As HAProxy: what parsing found and a line for each file that failed to parse; only
            // when every file parsed, what the checks of the whole configuration found.
            let (parsing, checking): (Vec<_>, Vec<_>) =
                diags.iter().partition(|d| !d.after_parsing);
            for d in &parsing {
                logging::stderr_line(&d.to_string());
            }
            let mut failed: Vec<&std::path::Path> = Vec::new();
            for d in parsing
                .iter()
                .filter(|d| d.is_alert() && !d.file.as_os_str().is_empty())
            {
                if !failed.contains(&d.file.as_path()) {
                    failed.push(&d.file);
                }
            }
            let parsed = failed.is_empty();
            for file in failed {
                logging::console(
                    Severity::Alert,
                    &format!(
                        "config : Error(s) found in configuration file : {}",
                        file.display()
                    ),
                );
            }
            for d in checking.iter().filter(|_| parsed) {
                logging::stderr_line(&d.to_string());
            }
            // HAProxy exits at once after an aborting error, without its summary line.
            if diags.iter().any(|d| d.aborts) {
                return Err(String::new());
            }
            Err("Fatal errors found in configuration.".to_string())
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            logging::console(Severity::Alert, &e);
            return ExitCode::from(1);
        }
    };
    if args.dev {
        return run_dev(args.quiet);
    }
    if args.files.is_empty() {
        logging::console(
            Severity::Alert,
            "No configuration file specified (use -f FILE or --dev).",
        );
        eprint!("{USAGE}");
        return ExitCode::from(1);
    }
    // HAProxy's own variables, set before the configuration is read so it can use them (and
    // while the process still has one thread: the environment is not shared safely later).
    // The version that started the service: a reload (in place) keeps the first one's.
    if std::env::var_os("HAPROXY_STARTUP_VERSION").is_none() {
        std::env::set_var(
            "HAPROXY_STARTUP_VERSION",
            proxyd::stats_socket::info::VERSION,
        );
    }
    std::env::set_var("HAPROXY_LOCALPEER", proxyd::model::hostname());
    let files: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    std::env::set_var("HAPROXY_CFGFILES", files.join(";"));
    let (config, warned) = match load_warned(&args.files, args.quiet) {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                logging::console(Severity::Alert, &format!("config : {e}"));
            }
            return ExitCode::from(1);
        }
    };
    if args.check_only {
        if !args.quiet {
            // HAProxy applies the saved server states when it checks a configuration, too; only
            // warnings can come of it.
            let model = proxyd::model::Model::build(config, None);
            let log = Logger::new(&[], None, None);
            let said = proxyd::model::state_file::apply(&model, &log, |_| true);
            if warned || said > 0 {
                println!("Warnings were found.");
            }
            println!("Configuration file is valid");
        }
        return ExitCode::SUCCESS;
    }
    let background = (args.daemon || config.global.daemon) && !args.foreground;
    let ready_pipe = if background {
        match privileges::daemonize() {
            Ok(p) => p,
            Err(e) => {
                logging::console(Severity::Alert, &e);
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let pidfile = args
        .pidfile
        .clone()
        .or_else(|| config.global.pidfile.clone());
    let threads = config.global.nbthread.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    // One thread, as HAProxy's `nbthread 1`: a plain event loop, without the work-stealing
    // machinery (and its extra wake-ups) a one-worker pool still pays for.
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            logging::console(Severity::Alert, &format!("cannot start the runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(serve(config, args, pidfile, ready_pipe));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

async fn serve(
    config: Config,
    args: Args,
    pidfile: Option<PathBuf>,
    ready_pipe: Option<privileges::ReadyPipe>,
) -> ExitCode {
    // Before READY=1 or the -D parent's exit: a reload sent the moment the service is announced
    // must find the handler, not the default action (which terminates).
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            logging::console(Severity::Alert, &e);
            if let Some(p) = ready_pipe {
                p.fail(&e);
            }
            return ExitCode::from(1);
        }
    };
    let log = Logger::new(
        &config.global.logs,
        config.global.log_tag.as_deref(),
        config.global.log_hostname.as_deref(),
    );
    let (user, group, chroot) = (
        config.global.user.clone(),
        config.global.group.clone(),
        config.global.chroot.clone(),
    );
    let daemon = match Daemon::start(config, log) {
        Ok(d) => d,
        Err(e) => {
            logging::console(Severity::Alert, &e);
            if let Some(p) = ready_pipe {
                p.fail(&e);
            }
            return ExitCode::from(1);
        }
    };
    if let Some(path) = &pidfile {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            logging::console(
                Severity::Alert,
                &format!("cannot create pidfile {}: {e}", path.display()),
            );
        }
    }
    // Sockets are bound: now give up what the configuration asks us to give up.
    if let Err(e) = privileges::drop_to(user.as_deref(), group.as_deref(), chroot.as_deref()) {
        logging::console(Severity::Alert, &e);
        if let Some(p) = ready_pipe {
            p.fail(&e);
        }
        return ExitCode::from(1);
    }
    if let Some(p) = ready_pipe {
        p.ready();
    }
    logging::startup::commit();
    privileges::notify_systemd("READY=1");
    let code = signal_loop(daemon, signals, &args.files, args.quiet).await;
    if let Some(path) = &pidfile {
        let _ = std::fs::remove_file(path);
    }
    code
}

/// The signals proxyd acts on, registered once: a signal that arrives between registration and
/// the first `recv` is kept, not lost.
struct Signals {
    hup: tokio::signal::unix::Signal,
    usr2: tokio::signal::unix::Signal,
    usr1: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let install = |kind: SignalKind| {
            signal(kind).map_err(|e| format!("cannot install signal handlers: {e}"))
        };
        Ok(Signals {
            hup: install(SignalKind::hangup())?,
            usr2: install(SignalKind::user_defined2())?,
            usr1: install(SignalKind::user_defined1())?,
            term: install(SignalKind::terminate())?,
            int: install(SignalKind::interrupt())?,
        })
    }
}

async fn signal_loop(
    mut daemon: Daemon,
    signals: Signals,
    files: &[PathBuf],
    quiet: bool,
) -> ExitCode {
    let Signals {
        mut hup,
        mut usr2,
        mut usr1,
        mut term,
        mut int,
    } = signals;
    let mut soft_stopping = false;
    loop {
        let tick = tokio::time::sleep(std::time::Duration::from_millis(100));
        tokio::select! {
            _ = hup.recv() => reload(&mut daemon, files, quiet),
            _ = usr2.recv() => reload(&mut daemon, files, quiet),
            _ = usr1.recv() => {
                logging::console(Severity::Notice, "SIGUSR1 received: stopping listeners, exiting when the last session ends.");
                daemon.soft_stop();
                soft_stopping = true;
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = tick => {
                if soft_stopping && daemon.active_sessions() == 0 {
                    break;
                }
            }
        }
    }
    privileges::notify_systemd("STOPPING=1");
    daemon.shutdown().await;
    ExitCode::SUCCESS
}

fn reload(daemon: &mut Daemon, files: &[PathBuf], quiet: bool) {
    privileges::notify_systemd("RELOADING=1");
    logging::startup::begin();
    let result = load(files, quiet).and_then(|c| daemon.reload(c));
    match result {
        Ok(()) => logging::startup::commit(),
        Err(_) => logging::startup::abandon(),
    }
    daemon::report_reload(&result);
    privileges::notify_systemd("READY=1");
}

/// `--dev`: the demo of [`proxyd::dev`], served by the same daemon code as `-f`.
fn run_dev(quiet: bool) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            logging::console(Severity::Alert, &format!("cannot start the runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(dev_session(quiet));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

/// How long `--dev` waits for the first health checks before printing what to try: long enough
/// for a loaded machine, short enough that a broken check never hides the instructions.
const DEV_FIRST_CHECKS_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn dev_session(quiet: bool) -> ExitCode {
    // Taken over before the temporary directory exists, so Ctrl-C at any moment still ends in
    // the cleanup below instead of the default action leaving the directory behind.
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            logging::console(Severity::Alert, &e);
            return ExitCode::from(1);
        }
    };
    let started = tokio::select! {
        s = dev_start(quiet) => s,
        _ = signals.term.recv() => return ExitCode::SUCCESS,
        _ = signals.int.recv() => return ExitCode::SUCCESS,
    };
    let (setup, daemon) = match started {
        Ok(s) => s,
        Err(e) => {
            logging::console(Severity::Alert, &format!("--dev: {e}"));
            return ExitCode::from(1);
        }
    };
    let checks_done = tokio::select! {
        done = proxyd::dev::wait_for_first_checks(&daemon.shared, DEV_FIRST_CHECKS_WAIT) => done,
        _ = signals.term.recv() => { daemon.shutdown().await; return ExitCode::SUCCESS; }
        _ = signals.int.recv() => { daemon.shutdown().await; return ExitCode::SUCCESS; }
    };
    let text = setup.instructions(&proxyd::dev::haproxyctl_command(), checks_done, quiet);
    {
        use std::io::Write as _;
        // A closed stdout (`proxyd --dev | head -1`) must not stop the demo.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
    let files = vec![setup.config_path.clone()];
    let code = signal_loop(daemon, signals, &files, quiet).await;
    // The directory goes only once the daemon has stopped using its socket and files.
    drop(setup);
    code
}

/// Certificates, backends, configuration, then the daemon. Ports are picked free but not held
/// until the daemon binds them, so a port taken in between costs a retry with fresh ones.
async fn dev_start(quiet: bool) -> Result<(proxyd::dev::DevSetup, Daemon), String> {
    const ATTEMPTS: usize = 5;
    let mut setup = proxyd::dev::prepare().await?;
    let files = vec![setup.config_path.clone()];
    let mut last_error = String::new();
    for _ in 0..ATTEMPTS {
        let config = load(&files, quiet)?;
        match Daemon::start(config, Logger::new(&[], None, None)) {
            Ok(d) => {
                logging::startup::commit();
                return Ok((setup, d));
            }
            Err(e) => {
                last_error = e;
                setup.write_config()?;
            }
        }
    }
    Err(format!(
        "cannot start after {ATTEMPTS} attempts: {last_error}"
    ))
}
