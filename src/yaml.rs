//! The one place that knows our YAML library (serde-saphyr), so it can change in one file.

use serde::Serialize;

/// Serialises a value as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot render YAML: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_nested_values() {
        let value = serde_json::json!({"kind": "LockList", "items": [{"name": "a", "n": 1}]});
        let text = super::to_string(&value).unwrap();
        assert!(text.contains("kind: LockList"), "{text}");
        assert!(text.contains("name: a"), "{text}");
    }
}
