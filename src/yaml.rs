//! The one place that knows our YAML library (serde-saphyr), so it can change in one file.

use serde::Serialize;
use serde_saphyr::Spanned;

/// Serialises a value as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot render YAML: {e}"))
}

/// A YAML syntax error at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Every document of a (multi-document) YAML text as JSON values, each with the line it starts
/// on. Empty documents are skipped.
pub fn documents(text: &str) -> Result<Vec<(u64, serde_json::Value)>, SyntaxError> {
    let docs: Vec<Spanned<serde_json::Value>> = serde_saphyr::from_multiple(text).map_err(|e| {
        let location = e.location();
        SyntaxError {
            line: location.map_or(0, |l| l.line()),
            column: location.map_or(0, |l| l.column()),
            message: e
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .to_string(),
        }
    })?;
    Ok(docs
        .into_iter()
        .filter(|doc| !doc.value.is_null())
        .map(|doc| (doc.referenced.line(), doc.value))
        .collect())
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

    #[test]
    fn documents_know_their_first_line() {
        let text = "---\nkind: A\n---\n# comment\nkind: B\nspec:\n  x: 1\n---\n";
        let docs = documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].1["kind"], "A");
        assert_eq!(docs[1].1["kind"], "B");
        assert!(docs[0].0 <= 2, "{}", docs[0].0);
        assert!((4..=5).contains(&docs[1].0), "{}", docs[1].0);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = documents("kind: A\nspec: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }
}
