//! Any text, read as a YAML file and as a JSON file (see fuzz/checks.rs).
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|text: &str| checks::manifests(text));
