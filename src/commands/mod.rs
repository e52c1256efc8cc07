//! One module per command. Each command is `run(args, options, out)` so tests can capture output;
//! `options` are the global flags already resolved (`crate::options`).

pub mod audit;
mod audit_fleet;
mod audit_sarif;
pub mod completion;
pub mod drain_check;
mod drain_check_fleet;
mod drain_check_view;
pub mod exporter;
pub mod kubectl_complete;
pub mod release;
pub mod scaffold;
pub mod status;
mod status_fleet;
mod status_fleet_watch;
mod status_shards;
mod status_shards_fleet;
mod status_shards_watch;
mod status_view;
