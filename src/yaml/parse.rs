//! Reading YAML with the library: every document of a text, or a list with the line of each
//! item, as JSON values; scalars as YAML 1.1 reads them (see the module above); syntax errors
//! worded apart from their position.

use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

/// A YAML syntax error at a 1-based line and column (0 when the parser cannot tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// One document of a text, as a JSON value, with the line its node starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub line: u64,
    pub value: serde_json::Value,
}

/// The parser's options: YAML 1.1 numbers, duplicate keys resolved as go-yaml does (the last
/// one wins), and safety limits. The limits on nesting, aliases and anchors stay as the library
/// sets them (what stops a "billion laughs" or a stack overflow); those on the stream's size
/// (documents, events, nodes) grow with the text instead, since work in proportion to the input
/// is safe (the caller bounded the input's size when reading it).
fn options(text: &str) -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: text.len().max(1_024),
            max_events: text.len().max(1_000_000),
            max_nodes: text.len().max(250_000),
        },
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
    }
}

/// Every document of a YAML text as a JSON value, each with the line it starts on. Empty
/// documents are skipped. Scalars are read as kubectl reads them (see the module's comment),
/// except that whole-number floats stay floats: that step is the caller's, for JSON too.
pub fn documents(text: &str) -> Result<Vec<Document>, SyntaxError> {
    let docs: Vec<Spanned<serde_json::Value>> =
        serde_saphyr::from_multiple_with_options(text, options(text))
            .map_err(|e| syntax_error(&e))?;
    Ok(docs
        .into_iter()
        .filter(|doc| !doc.value.is_null())
        .map(|doc| Document {
            line: doc.referenced.line(),
            value: doc.value,
        })
        .collect())
}

/// A list (`kind: List`, `<Kind>List`): its fields but `items`, and each item with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub line: u64,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub items: Vec<Document>,
}

/// A one-document text read as a list whose `items` is a sequence, in one pass; `None` when it is
/// not one (or not one document, or not YAML): [`documents`] then tells what it is.
pub fn list(text: &str) -> Option<List> {
    struct Fields(
        serde_json::Map<String, serde_json::Value>,
        Vec<Spanned<serde_json::Value>>,
    );
    impl<'de> serde::Deserialize<'de> for Fields {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Fields;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a mapping with an items sequence")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Fields, A::Error> {
                    let mut fields = serde_json::Map::new();
                    let mut items = None;
                    while let Some(key) = map.next_key::<String>()? {
                        if key == "items" {
                            items = Some(map.next_value()?);
                        } else {
                            fields.insert(key, map.next_value()?);
                        }
                    }
                    let items = items.ok_or_else(|| serde::de::Error::missing_field("items"))?;
                    Ok(Fields(fields, items))
                }
            }
            d.deserialize_map(Visitor)
        }
    }
    let docs: Vec<Spanned<Fields>> =
        serde_saphyr::from_multiple_with_options(text, options(text)).ok()?;
    let [doc] = <[Spanned<Fields>; 1]>::try_from(docs).ok()?;
    let Fields(fields, items) = doc.value;
    Some(List {
        line: doc.referenced.line(),
        fields,
        items: items
            .into_iter()
            .map(|item| Document {
                line: item.referenced.line(),
                value: item.value,
            })
            .collect(),
    })
}

/// The line of each entry of the top-level `items` sequence of a one-document text (a `kind:
/// List`), or `None` when it has no such sequence or is not one document.
pub fn item_lines(text: &str) -> Option<Vec<u64>> {
    #[derive(serde::Deserialize)]
    struct Items {
        items: Vec<Spanned<IgnoredAny>>,
    }
    let docs: Vec<Option<Items>> =
        serde_saphyr::from_multiple_with_options(text, options(text)).ok()?;
    let mut docs = docs.into_iter().flatten();
    let items = docs.next()?;
    if docs.next().is_some() {
        return None;
    }
    let lines: Vec<u64> = items.items.iter().map(|i| i.referenced.line()).collect();
    lines.iter().all(|&l| l > 0).then_some(lines)
}

fn syntax_error(e: &serde_saphyr::Error) -> SyntaxError {
    let location = e.location();
    let line = location.map_or(0, |l| l.line());
    let column = location.map_or(0, |l| l.column());
    // Without the snippet the message is one line, ending in its position, which the caller
    // gives itself (relative to the whole file, not this text).
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML");
    let first = first
        .strip_suffix(&format!(" at line {line}, column {column}"))
        .unwrap_or(first);
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
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(text: &str) -> serde_json::Value {
        let docs = documents(text).unwrap();
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.into_iter().next().unwrap().value
    }

    #[test]
    fn documents_know_their_first_line() {
        let text = "---\nkind: A\n---\n# comment\nkind: B\nspec:\n  x: 1\n---\n";
        let docs = documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["kind"], "A");
        assert_eq!(docs[1].value["kind"], "B");
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[1].line, 5);
    }

    #[test]
    fn thousands_of_documents_are_one_stream() {
        let text = "kind: A\n---\n".repeat(5_000);
        assert_eq!(documents(&text).unwrap().len(), 5_000);
    }

    #[test]
    fn leading_zero_numbers_are_octal_as_in_yaml_1_1() {
        assert_eq!(value("a: 0644"), json!({"a": 420}));
        assert_eq!(value("a: -0644"), json!({"a": -420}));
        assert_eq!(value("a: 0"), json!({"a": 0}));
        // Not octal digits: go-yaml reads a float, whose whole value reaches the API as 8.
        assert_eq!(value("a: 08"), json!({"a": 8.0}));
        // Quoted, it is a string.
        assert_eq!(value("a: '0644'"), json!({"a": "0644"}));
    }

    #[test]
    fn prefixed_numbers_are_read_as_go_reads_them() {
        // go-yaml hands these to Go's strconv.ParseInt(s, 0, 64), which takes 0o, 0x and 0b.
        assert_eq!(value("a: 0o644"), json!({"a": 420}));
        assert_eq!(value("a: 0O17"), json!({"a": 15}));
        assert_eq!(value("a: 0x1F"), json!({"a": 31}));
        assert_eq!(value("a: 0X1f"), json!({"a": 31}));
        assert_eq!(value("a: 0b101"), json!({"a": 5}));
        assert_eq!(value("a: +12"), json!({"a": 12}));
    }

    #[test]
    fn underscores_separate_digits() {
        assert_eq!(value("a: 1_000"), json!({"a": 1000}));
        assert_eq!(value("a: 0_644"), json!({"a": 420}));
    }

    #[test]
    fn sexagesimal_numbers_stay_strings_as_in_go_yaml_v2() {
        // YAML 1.1 defines base 60 (1:30 = 90); go-yaml v2 never implemented it.
        assert_eq!(value("a: 1:30"), json!({"a": "1:30"}));
        assert_eq!(value("a: 190:20:30"), json!({"a": "190:20:30"}));
    }

    #[test]
    fn yaml_1_1_booleans_are_booleans() {
        for (text, expected) in [
            ("yes", true),
            ("Yes", true),
            ("YES", true),
            ("y", true),
            ("Y", true),
            ("on", true),
            ("On", true),
            ("ON", true),
            ("true", true),
            ("True", true),
            ("no", false),
            ("No", false),
            ("n", false),
            ("N", false),
            ("off", false),
            ("Off", false),
            ("OFF", false),
            ("false", false),
        ] {
            assert_eq!(
                value(&format!("a: {text}")),
                json!({ "a": expected }),
                "{text}"
            );
        }
        assert_eq!(value("a: 'yes'"), json!({"a": "yes"}));
        assert_eq!(value("a: \"off\""), json!({"a": "off"}));
    }

    #[test]
    fn floats_and_nulls() {
        assert_eq!(value("a: 1e3"), json!({"a": 1000.0}));
        assert_eq!(value("a: .5"), json!({"a": 0.5}));
        assert_eq!(value("a: 09.5"), json!({"a": 9.5}));
        assert_eq!(value("a: ~"), json!({"a": null}));
        assert_eq!(value("a: null"), json!({"a": null}));
        assert_eq!(value("a:"), json!({"a": null}));
        // kubectl fails on these (JSON has no infinity); so does the document here.
        assert!(documents("a: .inf").is_err());
    }

    #[test]
    fn the_last_of_duplicate_keys_wins_as_in_kubectl() {
        assert_eq!(value("a: 1\nb: 2\na: 3"), json!({"a": 3, "b": 2}));
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
    fn syntax_errors_have_a_position_apart_from_the_message() {
        let err = documents("kind: A\nspec: [unclosed\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 7), "{err:?}");
        assert_eq!(err.message, "unclosed bracket '['");
    }

    #[test]
    fn lists_are_read_with_the_line_of_each_item() {
        let text = "---\napiVersion: v1\nkind: List\nitems:\n- kind: A\n  x: 0644\n-   kind: B\n- [not, a, mapping]\nmetadata: {}\n";
        let list = list(text).unwrap();
        assert_eq!(list.line, 2);
        assert_eq!(
            serde_json::Value::Object(list.fields),
            json!({"apiVersion": "v1", "kind": "List", "metadata": {}})
        );
        let items: Vec<(u64, serde_json::Value)> =
            list.items.into_iter().map(|d| (d.line, d.value)).collect();
        assert_eq!(
            items,
            vec![
                (5, json!({"kind": "A", "x": 420})),
                (7, json!({"kind": "B"})),
                (8, json!(["not", "a", "mapping"]))
            ]
        );
        for not_a_list in [
            "kind: List\nitems: {}\n",
            "kind: List\n",
            "- a\n",
            "kind: List\nitems: [\n",
        ] {
            assert_eq!(super::list(not_a_list), None, "{not_a_list}");
        }
    }

    #[test]
    fn item_lines_are_the_lines_of_each_entry() {
        let text = "---\napiVersion: v1\nkind: List\nitems:\n- kind: A\n  x: 1\n-   kind: B\n- [not, a, mapping]\n";
        assert_eq!(item_lines(text), Some(vec![5, 7, 8]));
        assert_eq!(item_lines("kind: List\nitems: {}\n"), None);
        assert_eq!(item_lines("kind: A\n"), None);
    }
}
