//! Any text as a legacy ConfigMap lock's annotation (see fuzz/checks.rs).
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|text: &str| checks::lock_record(text));
