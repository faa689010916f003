//! Entry point: parse flags, run, turn the outcome into an exit status. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = haproxyctl::args::Cli::parse();
    match haproxyctl::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if let Some(msg) = err.message() {
                eprintln!("haproxyctl: {msg}");
            }
            ExitCode::from(err.exit_code())
        }
    }
}
