//! `completion SHELL`: the shell completion script generated from the clap definitions.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};
use crate::error::Result;

/// The binary name the scripts complete: krew installs the plugin as `kubectl-singleton`.
pub const BIN_NAME: &str = "kubectl-singleton";

pub fn run(args: &CompletionArgs, out: &mut impl Write) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN_NAME, &mut buf);
    out.write_all(&buf)?;
    Ok(())
}
