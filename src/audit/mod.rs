//! The singleton audit: the rule catalog, the typed objects rules read, PDB arithmetic, the
//! static rules, and manifest loading. Commands live in `commands::audit`.

pub mod catalog;
pub mod classify;
pub mod live;
pub mod manifests;
pub mod objects;
pub mod pdb;
pub mod rules;
pub mod runtime;
