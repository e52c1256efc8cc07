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
///
/// The parser's safety limits (what stops a "billion laughs" or a stack overflow) stay as the
/// library sets them for nesting, aliases and anchors. Its limits on the stream's size
/// (documents, events, nodes) grow with the text instead: `helm template` or a cluster export
/// gives thousands of documents in one text, and work in proportion to the input is safe (the
/// caller bounded the input's size when reading it).
pub fn documents(text: &str) -> Result<Vec<(u64, serde_json::Value)>, SyntaxError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: text.len().max(1_024),
            max_events: text.len().max(1_000_000),
            max_nodes: text.len().max(250_000),
        },
    };
    let docs: Vec<Spanned<serde_json::Value>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| syntax_error(&e))?;
    Ok(docs
        .into_iter()
        .filter(|doc| !doc.value.is_null())
        .map(|doc| (doc.referenced.line(), doc.value))
        .collect())
}

fn syntax_error(e: &serde_saphyr::Error) -> SyntaxError {
    let location = e.location();
    let first = e.to_string();
    let first = first.lines().next().unwrap_or("invalid YAML");
    // The library words its safety limits as a debug dump ("budget breached: Depth { .. }").
    let message = match first.split_once("budget breached: ") {
        Some((_, limit)) => format!(
            "exceeds the YAML parser's safety limits ({}): too deeply nested, too large or too many aliases in one document",
            limit
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
                .unwrap_or(limit)
        ),
        None => first.to_string(),
    };
    SyntaxError {
        line: location.map_or(0, |l| l.line()),
        column: location.map_or(0, |l| l.column()),
        message,
    }
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
    fn thousands_of_documents_are_one_stream() {
        let text = "kind: A\n---\n".repeat(5_000);
        assert_eq!(documents(&text).unwrap().len(), 5_000);
    }

    #[test]
    fn safety_limits_are_words_with_a_position() {
        let deep = format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100));
        let err = documents(&deep).unwrap_err();
        assert!(err.message.contains("safety limits"), "{err:?}");
        assert!(!err.message.contains('{'), "{err:?}");
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string()
            + &(1..12)
                .map(|i| {
                    format!(
                        "{}: &{} [{}]\n",
                        (b'a' + i) as char,
                        (b'a' + i) as char,
                        vec![format!("*{}", (b'a' + i - 1) as char); 10].join(", ")
                    )
                })
                .collect::<String>();
        assert!(
            documents(&laughs).is_err(),
            "ten to the twelfth nodes were expanded"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = documents("kind: A\nspec: [unclosed\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }
}
