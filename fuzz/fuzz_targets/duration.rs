//! Any text as a `--request-timeout`-style duration: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = kubectl_singleton::duration::parse(text);
});
