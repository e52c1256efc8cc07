//! Any text, read as a YAML file and as a JSON file: an error is fine, a panic, an abort, a
//! timeout or running out of memory is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = kubectl_singleton::audit::manifests::parse("fuzz.yaml", text);
    let _ = kubectl_singleton::audit::manifests::parse("fuzz.json", text);
});
