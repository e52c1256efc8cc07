//! Leader-election locks: what a lock is and how it stands (`model`, `holder`), reading every
//! lock in scope with its holder (`read`), following them as they change (`watch`, diffed by
//! `changes`), and changing one safely (`handover` decides, `store` writes).
//!
//! Pure: `model`, `holder`, `changes`, `handover`. Cluster I/O: `read`, `watch`, `store`.

pub(crate) mod changes;
pub(crate) mod handover;
pub mod holder;
pub mod model;
pub(crate) mod read;
pub(crate) mod store;
pub(crate) mod watch;
