//! Leader-election locks: what a lock is and how it stands (`model`, `holder`), reading every
//! lock in scope (`read`) with its holder (`lookup`), following them as they change (`watch`,
//! diffed by `changes`), and changing one safely (`handover` decides, `store` writes).
//!
//! Lease families of elected shards (`family`).
//!
//! Pure: `model`, `holder`, `changes`, `handover`, `family`. Cluster I/O: `read`, `lookup`,
//! `watch`, `store`.

pub(crate) mod changes;
pub(crate) mod family;
pub(crate) mod handover;
pub mod holder;
pub(crate) mod lookup;
pub mod model;
pub(crate) mod read;
pub(crate) mod store;
pub(crate) mod watch;
