//! kubectl-singleton: leader-election locks and singleton workloads on Kubernetes.
//!
//! The binary calls [`main_with_args`]; everything it does is reachable from here so the
//! integration tests can run it the way a user does.

// Public: what the integration tests and fuzz targets use (manifest loading, the lock model,
// durations) and what their signatures name. Everything else is crate-private, so the compiler
// reports what nothing uses.
pub mod audit;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod drain;
pub mod duration;
pub(crate) mod error;
pub(crate) mod exporter;
pub(crate) mod k8s;
pub(crate) mod kube;
pub mod lock;
pub(crate) mod names;
pub(crate) mod options;
pub(crate) mod render;
pub(crate) mod scaffold;
pub(crate) mod yaml;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command};
use crate::error::{Error, ExitCode, Result};
use crate::options::Options;

/// Parses `args`, runs the command, prints at most one error line, and returns the exit code
/// from DESIGN.md §6.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> std::process::ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    // kubectl's plugin completion (`kubectl_complete-singleton`): words, not a command line.
    if args
        .get(1)
        .is_some_and(|a| a == commands::kubectl_complete::HIDDEN_COMMAND)
    {
        let words: Vec<String> = args[2..]
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        let _ = commands::kubectl_complete::run(&words, &mut std::io::stdout().lock());
        return ExitCode::Success.into();
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return clap_exit(err).into(),
    };
    init_logging(cli.global.verbosity);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = run(cli, &mut out).and_then(|()| out.flush().map_err(Error::from));
    match outcome {
        Ok(()) => ExitCode::Success.into(),
        Err(err) if err.is_broken_pipe() => ExitCode::Success.into(),
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code().into()
        }
    }
}

/// Runs a parsed command line, writing its output to `out`: the flags are resolved once here,
/// and commands get only the resolved options.
fn run(cli: Cli, out: &mut impl Write) -> Result<()> {
    let options = Options::resolve(&cli.global);
    if options.fleet.is_fleet() {
        let one_context = match &cli.command {
            Command::Release(_) => Some("release acts on one cluster"),
            Command::Scaffold(_) => Some("scaffold writes for one cluster"),
            Command::Exporter(_) => Some("the exporter serves one cluster"),
            Command::Status(_)
            | Command::Audit(_)
            | Command::DrainCheck(_)
            | Command::Completion(_) => None,
        };
        if let Some(why) = one_context {
            return Err(Error::usage(format!(
                "{why}: pass a single --context, not a list, --all-contexts or --context-regex"
            )));
        }
    }
    match &cli.command {
        Command::Status(args) => block_on(commands::status::run(args, &options, out)),
        Command::Completion(args) => commands::completion::run(args, out),
        Command::Audit(args) => block_on(commands::audit::run(args, &options, out)),
        Command::Scaffold(args) => commands::scaffold::run(args, &options, out),
        Command::Release(args) => block_on(commands::release::run(args, &options, out)),
        Command::DrainCheck(args) => block_on(commands::drain_check::run(args, &options, out)),
        Command::Exporter(args) => block_on(commands::exporter::run(args, &options, out)),
    }
}

fn block_on<T, F: std::future::Future<Output = Result<T>>>(future: F) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::env(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(future)
}

/// Help and version go to stdout with exit 0; every other parse failure is one line on
/// stderr and exit 2.
fn clap_exit(err: clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A closed stdout (`--help | head -1`) is not an error.
            let _ = err.print();
            ExitCode::Success
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("error: {first}; see 'kubectl singleton --help'");
            ExitCode::Usage
        }
    }
}

fn init_logging(verbosity: u8) {
    let filter = match verbosity {
        // Libraries log failures we already report in our own one line.
        0 => "off",
        1..=5 => "kubectl_singleton=info",
        _ => "kubectl_singleton=trace,kube=debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(verbosity >= 6)
        .try_init();
}
