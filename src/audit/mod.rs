//! The singleton audit: the rule catalog, the typed objects rules read, PDB arithmetic, the
//! static rules, and manifest loading. Commands live in `commands::audit`.

// Public: manifest loading and the objects it returns (integration tests and fuzz targets).
pub(crate) mod catalog;
pub(crate) mod classify;
pub(crate) mod elections;
pub(crate) mod lease_access;
pub(crate) mod live;
pub mod manifests;
pub mod objects;
pub(crate) mod pdb;
pub(crate) mod rules;
pub(crate) mod runtime;
