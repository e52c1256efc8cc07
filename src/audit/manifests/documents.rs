//! A text's documents: cut at document markers, each piece read as JSON when it is JSON (one
//! value or a stream of them) and as YAML otherwise, every document with the line it starts on
//! (and, for a list, the lines of its items), so that findings point into the file.

use serde_json::Value;

use super::decode::add_value;
use super::versions::is_read;
use crate::audit::objects::{Objects, Origin, Unreadable};
use crate::yaml::{self, Glance};

/// Adds the documents of one text; returns how many documents it held (empty ones not counted,
/// unreadable ones counted).
pub(super) fn add(objects: &mut Objects, name: &str, text: &str) -> usize {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    yaml::split_documents(text)
        .into_iter()
        .filter(|chunk| chunk.has_content)
        .map(|chunk| add_chunk(objects, name, chunk.text, chunk.first_line))
        .sum()
}

/// One piece of the text between document markers: JSON when it is valid JSON (a value or a
/// stream of them, as kubectl reads them), else YAML (which includes flow style starting with
/// `{`).
fn add_chunk(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    // A `---` line alone may precede a JSON document in a YAML stream.
    let body_start = match text.split_once('\n') {
        Some((marker, _)) if marker.trim_end() == "---" => marker.len() + 1,
        _ => 0,
    };
    let body = &text[body_start..];
    let blank = body.len() - body.trim_start_matches([' ', '\t', '\r', '\n']).len();
    if body[blank..].starts_with(['{', '[']) {
        // From the start of its line (JSON skips the blanks), so that columns are the file's.
        let start = body_start + body[..blank].rfind('\n').map_or(0, |i| i + 1);
        let line = first_line + newlines(&text[..start]);
        return add_json(objects, name, &text[start..], line);
    }
    add_yaml(objects, name, text, first_line)
}

/// A text starting at column 0 of `first_line` with blanks then `{` or `[`: JSON values one
/// after the other; what is not JSON, from the first value that is not on, is read as YAML.
fn add_json(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut count = 0;
    let mut line = first_line;
    let mut counted_to = 0;
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => return count,
            Some(Ok(value)) => {
                let end = stream.byte_offset();
                let start = end - text[before..end].trim_start().len();
                line += newlines(&text[counted_to..start]);
                counted_to = start;
                let value_text = &text[start..end];
                let value_line = line;
                add_value(objects, &origin(name, line), value, &|| {
                    json_item_lines(value_text, value_line)
                });
                count += 1;
            }
            Some(Err(json_error)) => {
                // Read the rest as YAML from where this value starts, blanking what came before
                // it on its line so that columns stay those of the file.
                let line_start = text[..before].rfind('\n').map_or(0, |i| i + 1);
                let rest_line = first_line + newlines(&text[..line_start]);
                let rest = format!(
                    "{}{}",
                    " ".repeat(text[line_start..before].chars().count()),
                    &text[before..]
                );
                // A .json file meant JSON: its error says more than YAML's would.
                let json_error = name.ends_with(".json").then(|| {
                    let message = json_error.to_string();
                    let suffix = format!(
                        " at line {} column {}",
                        json_error.line(),
                        json_error.column()
                    );
                    let message = message.strip_suffix(&suffix).unwrap_or(&message);
                    (
                        first_line + json_error.line().max(1) as u64 - 1,
                        format!("invalid JSON at column {}: {message}", json_error.column()),
                    )
                });
                return count + add_yaml_or(objects, name, &rest, rest_line, json_error);
            }
        }
    }
}

fn add_yaml(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    add_yaml_or(objects, name, text, first_line, None)
}

/// One YAML document (a piece between markers) at `first_line`. A document whose kind the
/// audit does not read is skipped when a glance at its lines can tell its kind. When it is not
/// YAML either, `other_error` (line, reason), if given, is what is reported instead of the
/// YAML error.
fn add_yaml_or(
    objects: &mut Objects,
    name: &str,
    text: &str,
    first_line: u64,
    other_error: Option<(u64, String)>,
) -> usize {
    let at = |line: u64| first_line + line.max(1) - 1;
    if let Glance::Kind(kind) = yaml::glance(text) {
        if !kind.is_some_and(is_read) {
            return 1;
        }
        // A list (`kubectl get -o yaml`), read with its items' lines in one pass.
        if kind.is_some_and(|k| k.ends_with("List"))
            && let Some(list) = yaml::list(text)
        {
            let lines: Vec<u64> = list.items.iter().map(|item| at(item.line)).collect();
            let mut fields = list.fields;
            let items = list.items.into_iter().map(|item| item.value).collect();
            fields.insert("items".into(), Value::Array(items));
            add_value(
                objects,
                &origin(name, at(list.line)),
                Value::Object(fields),
                &|| Some(lines.clone()),
            );
            return 1;
        }
    }
    match yaml::documents(text) {
        Ok(docs) => {
            let count = docs.len();
            for doc in docs {
                add_value(objects, &origin(name, at(doc.line)), doc.value, &|| {
                    let lines = if count == 1 {
                        yaml::item_lines(text)?
                    } else {
                        return None;
                    };
                    Some(lines.into_iter().map(at).collect())
                });
            }
            count
        }
        Err(e) => {
            let (line, reason) = other_error.unwrap_or_else(|| {
                (
                    at(e.line),
                    format!("invalid YAML at column {}: {}", e.column, e.message),
                )
            });
            objects.unreadable.push(Unreadable {
                origin: origin(name, line),
                reason,
            });
            1
        }
    }
}

fn origin(file: &str, line: u64) -> Origin {
    Origin {
        file: file.to_string(),
        line,
    }
}

fn newlines(text: &str) -> u64 {
    text.bytes().filter(|&b| b == b'\n').count() as u64
}

/// The line of each entry of the top-level `"items"` array of one valid JSON object's text
/// starting on `first_line`, or `None` when there is no such array.
pub(super) fn json_item_lines(text: &str, first_line: u64) -> Option<Vec<u64>> {
    let bytes = text.as_bytes();
    let mut line = first_line;
    let mut depth = 0usize;
    let mut last_string: &[u8] = &[];
    let mut items_next = false;
    let mut collecting: Option<Vec<u64>> = None;
    let mut entry_next = false;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if entry_next && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b']') {
            if let Some(lines) = collecting.as_mut() {
                lines.push(line);
            }
            entry_next = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                last_string = &bytes[start..i.min(bytes.len())];
            }
            b':' if depth == 1 => items_next = last_string == b"items",
            b'{' | b'[' => {
                if depth == 1 && b == b'[' && items_next {
                    collecting = Some(Vec::new());
                    entry_next = true;
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 1 && b == b']' && collecting.is_some() {
                    found = collecting.take();
                }
            }
            b',' => {
                if depth == 1 {
                    items_next = false;
                } else if depth == 2 && collecting.is_some() {
                    entry_next = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}
