//! One module per command. Each command is `run(args, options, out)` so tests can capture output;
//! `options` are the global flags already resolved (`crate::options`).

pub mod audit;
pub mod completion;
pub mod drain_check;
pub mod exporter;
pub mod kubectl_complete;
pub mod release;
pub mod scaffold;
pub mod status;
