//! One module per command. Each command is `run(args, ctx, out)` so tests can capture output.

pub mod audit;
pub mod completion;
pub mod scaffold;
pub mod status;

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};
use crate::render::Palette;

/// What every command gets besides its own arguments.
pub struct Context {
    pub global: GlobalArgs,
    /// Colour policy for stdout.
    pub palette: Palette,
}

/// The answer of a command that is designed but not built yet: say so, exit 2, print nothing.
pub fn not_built(command: &str) -> Result<()> {
    Err(Error::usage(format!(
        "`kubectl singleton {command}` is not available in this version yet; see `kubectl singleton --help` for the commands that are"
    )))
}
