//! One module per command. Each command is `run(args, ctx, out)` so tests can capture output.

pub mod audit;
pub mod complete;
pub mod completion;
pub mod release;
pub mod scaffold;
pub mod status;

use crate::cli::GlobalArgs;
use crate::render::Palette;

/// What every command gets besides its own arguments.
pub struct Context {
    pub global: GlobalArgs,
    /// Colour policy for stdout.
    pub palette: Palette,
}
