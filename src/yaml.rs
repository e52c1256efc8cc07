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

use serde::Serialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

/// Serialises a value as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot render YAML: {e}"))
}

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

/// One document's text cut from a multi-document text (see [`split_documents`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// The 1-based line of the whole text that `text` starts on.
    pub first_line: u64,
    /// False when it holds only blank lines, comments, directives and document markers: an empty
    /// document, nothing to parse.
    pub has_content: bool,
}

/// Cuts a multi-document YAML text into its documents at document-marker lines (`---` or `...`
/// at column 0, followed by a blank or the end of the line), as the YAML scanner does: a marker
/// line ends any scalar or collection open before it, so each piece parses on its own, and a
/// syntax error in one document cannot hide the others. A `---` line starts a document (it may
/// carry the node: `--- |`, `--- !tag`, `--- {a: 1}`); comments and directives before it belong
/// to it; a `...` line ends one. The pieces cover the whole text, in order.
pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut has_marker = false;
    let mut has_content = false;
    let mut line_no = 1;
    let mut pos = 0;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        match marker(line) {
            Some(Marker::Start { node }) => {
                if has_marker || has_content {
                    chunks.push(Chunk {
                        text: &text[start..pos],
                        first_line: start_line,
                        has_content,
                    });
                    start = pos;
                    start_line = line_no;
                    has_content = false;
                }
                has_marker = true;
                has_content |= node;
            }
            Some(Marker::End) => {
                chunks.push(Chunk {
                    text: &text[start..end],
                    first_line: start_line,
                    has_content,
                });
                start = end;
                start_line = line_no + 1;
                has_marker = false;
                has_content = false;
            }
            None => {
                let directive = line.starts_with('%') && !has_marker && !has_content;
                if !directive && !is_blank_or_comment(line) {
                    has_content = true;
                }
            }
        }
        pos = end;
        line_no += 1;
    }
    if start < text.len() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
            has_content,
        });
    }
    chunks
}

enum Marker {
    /// `---`; `node` when the rest of the line holds more than a comment.
    Start { node: bool },
    /// `...`
    End,
}

fn marker(line: &str) -> Option<Marker> {
    let (start, rest) = if let Some(rest) = line.strip_prefix("---") {
        (true, rest)
    } else {
        (false, line.strip_prefix("...")?)
    };
    if !(rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n'])) {
        return None;
    }
    Some(if start {
        Marker::Start {
            node: !is_blank_or_comment(rest),
        }
    } else {
        Marker::End
    })
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches([' ', '\t', '\r', '\n']);
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// What a look at a document's lines tells without parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glance<'a> {
    /// A block mapping at column 0 whose top-level `kind`, if it has one, is a plain word.
    Kind(Option<&'a str>),
    /// Anything else (flow style, JSON, anchors, merge keys, quoted or unusual keys, a value on
    /// the next line, ...): only the parser can tell.
    Unknown,
}

/// The top-level `kind` of one document (a [`Chunk`]'s text), read from its lines, so that a
/// document of a kind nobody reads need not be parsed. Only the plainest form is recognised:
/// every line at column 0 is a comment, a `- ` entry of a top-level key's sequence, or a
/// `key: ...` whose key is a plain word, and at most one of them is `kind:`, with a plain or
/// quoted word as its value. Every top-level key of a block mapping at column 0 is on such a
/// line, so the one `kind:` line found is the document's (or, if it sits inside a broken quoted
/// scalar, the document has no `kind` at all); anything less plain is [`Glance::Unknown`].
pub fn glance(document: &str) -> Glance<'_> {
    let mut kind = None;
    let mut seen_key = false;
    let mut ended = false;
    for raw in document.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if ended && !is_blank_or_comment(line) {
            return Glance::Unknown; // a second document
        }
        match line.as_bytes().first() {
            None | Some(b'#') => {}
            Some(b' ') => {
                if !seen_key && !is_blank_or_comment(line) {
                    return Glance::Unknown; // an indented top-level node
                }
            }
            Some(b'-' | b'.') => match marker(line) {
                // Before the first key only comments can precede a bare `---` (a directive is
                // refused below).
                Some(Marker::Start { node: false }) if !seen_key => {}
                Some(Marker::End) => ended = true,
                Some(_) => return Glance::Unknown,
                None if seen_key && (line == "-" || line.starts_with("- ")) => {}
                None => return Glance::Unknown,
            },
            Some(_) => {
                let Some((key, value)) = plain_key(line) else {
                    return Glance::Unknown;
                };
                seen_key = true;
                if key == "kind" {
                    if kind.is_some() {
                        return Glance::Unknown; // a duplicate: the parser decides which wins
                    }
                    let Some(word) = plain_word(value) else {
                        return Glance::Unknown;
                    };
                    kind = Some(word);
                }
            }
        }
    }
    if seen_key {
        Glance::Kind(kind)
    } else {
        Glance::Unknown
    }
}

/// `key: rest` at column 0 with a key of letters, digits and `_.-/`, starting with a letter.
fn plain_key(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let (key, rest) = (&line[..colon], &line[colon + 1..]);
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'));
    (plain && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some((key, rest))
}

/// A scalar that is certainly a string of letters, digits and `._/-` starting with a letter:
/// plain (and no YAML 1.1 boolean or null) or quoted, with an optional comment after it.
fn plain_word(value: &str) -> Option<&str> {
    let value = value.trim_matches([' ', '\t']);
    let value = match value.find(" #").or_else(|| value.find("\t#")) {
        Some(comment) => value[..comment].trim_end_matches([' ', '\t']),
        None => value,
    };
    let (word, quoted) = match value.as_bytes().first() {
        Some(b'"') => (value.strip_prefix('"')?.strip_suffix('"')?, true),
        Some(b'\'') => (value.strip_prefix('\'')?.strip_suffix('\'')?, true),
        _ => (value, false),
    };
    let is_word = word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'));
    let special = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s));
    (is_word && (quoted || !special)).then_some(word)
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

    fn pieces(text: &str) -> Vec<(&str, u64, bool)> {
        split_documents(text)
            .into_iter()
            .map(|c| (c.text, c.first_line, c.has_content))
            .collect()
    }

    #[test]
    fn documents_are_split_at_marker_lines() {
        assert_eq!(
            pieces("# head\nkind: A\n---\nkind: B\n--- # note\n\n---\n"),
            vec![
                ("# head\nkind: A\n", 1, true),
                ("---\nkind: B\n", 3, true),
                ("--- # note\n\n", 5, false),
                ("---\n", 7, false),
            ]
        );
        // Comments and directives before a marker are the document's; `...` ends one.
        assert_eq!(
            pieces("# c\n%YAML 1.1\n---\nkind: A\n...\n%YAML 1.1\n--- |\n  text\n"),
            vec![
                ("# c\n%YAML 1.1\n---\nkind: A\n...\n", 1, true),
                ("%YAML 1.1\n--- |\n  text\n", 6, true),
            ]
        );
        // Only at column 0 and followed by a blank: the rest are content.
        assert_eq!(
            pieces("a: |\n  ---\nb: ---x\n----\n---\tc\r\nd: 1"),
            vec![
                ("a: |\n  ---\nb: ---x\n----\n", 1, true),
                ("---\tc\r\nd: 1", 5, true)
            ]
        );
        assert_eq!(pieces(""), vec![]);
    }

    #[test]
    fn a_broken_document_does_not_hide_the_next() {
        let chunks = split_documents("kind: A\nspec: [oops\n---\nkind: B\n");
        assert!(documents(chunks[0].text).is_err());
        let next = documents(chunks[1].text).unwrap();
        assert_eq!(next[0].value["kind"], "B");
        assert_eq!(chunks[1].first_line + next[0].line - 1, 4);
    }

    #[test]
    fn a_glance_finds_the_kind_of_plain_block_documents() {
        let crd = "---\n# c\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition # x\nmetadata:\n  name: a\nspec:\n  versions:\n  - name: v1\n    schema: |\n      kind: Deployment\nstatus: {}\n...\n";
        assert_eq!(glance(crd), Glance::Kind(Some("CustomResourceDefinition")));
        assert_eq!(
            glance("kind: 'ConfigMap'\r\ndata:\n- a\n"),
            Glance::Kind(Some("ConfigMap"))
        );
        assert_eq!(glance("apiVersion: v1\nmetadata: {}\n"), Glance::Kind(None));
        for unknown in [
            "{kind: ConfigMap}",
            "  kind: ConfigMap\n",
            "kind: ConfigMap\nkind: Deployment\n",
            "kind:\n  Deployment\n",
            "kind: &k ConfigMap\n",
            "kind: yes\n",
            "kind: \"Config\\u004dap\"\n",
            "<<: *base\nkind: ConfigMap\n",
            "\"kind\": ConfigMap\n",
            "kind : ConfigMap\n",
            "? kind\n: ConfigMap\n",
            "- kind: ConfigMap\n",
            "%YAML 1.1\n---\nkind: ConfigMap\n",
            "--- !!map\nkind: ConfigMap\n",
            "kind: ConfigMap\ndata: {\n  a: 1\n}\n",
            "description: \"x\nkind: Deployment\"\n",
            "kind: ConfigMap\n\tdata: x\n",
            "# only a comment\n",
        ] {
            assert_eq!(glance(unknown), Glance::Unknown, "{unknown:?}");
        }
    }
}
