//! A YAML text's documents and their kinds, from its lines alone: cutting at document markers
//! (so a broken document cannot hide the next) and glancing at a plain document's `kind`
//! (so one nobody reads need not be parsed).

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::documents;

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
