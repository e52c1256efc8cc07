//! The one place that knows our YAML library (serde-saphyr), so it can change in one file; and
//! YAML as kubectl reads it.
//!
//! kubectl reads manifests with sigs.k8s.io/yaml over go-yaml v2, that is YAML 1.1: `0644` is
//! octal (420), `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `1_000` is 1000, and a number it
//! reads as a float but that is a whole number (`1e3`, `08`, `1.0`) reaches the API as an
//! integer. The options below give the same values for every form a manifest uses (checked
//! against the real kubectl by tests/e2e/yaml11.rs). Known differences, all far from real
//! manifests: the library also takes mixed-case spellings (`yEs`, `tRUE`) as booleans where
//! go-yaml keeps a string; a plain mapping key `y`, `n`, `on`, `off`, `yes` or `no` stays that
//! string where go-yaml makes it `"true"`/`"false"`; underscores go-yaml drops anywhere
//! (`10_`, `1__0`) leave the scalar a string.
//!
//! `split` cuts a text into documents and glances at their kind from their lines, without the
//! parser; `parse` reads a document with it.

mod parse;
mod split;

use serde::Serialize;

pub use self::parse::{documents, item_lines, list};
pub use self::split::{Glance, glance, split_documents};

/// Serialises a value as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot render YAML: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_values() {
        let value = serde_json::json!({"kind": "LockList", "items": [{"name": "a", "n": 1}]});
        let text = to_string(&value).unwrap();
        assert!(text.contains("kind: LockList"), "{text}");
        assert!(text.contains("name: a"), "{text}");
    }
}
