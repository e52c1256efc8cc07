//! Rendering shared by every command: kubectl-style tables, JSON/YAML documents, relative
//! times, and the colour policy (only on a terminal, never with --no-color or NO_COLOR).

use std::io::{IsTerminal, Write};

use comfy_table::{Cell, Color, ContentArrangement, Table};
use jiff::SignedDuration;
use serde::Serialize;

use crate::error::{Error, Result};

/// `apiVersion` of every document this tool prints with `-o json|yaml`.
pub const API_VERSION: &str = "kubectl-singleton.io/v1alpha1";

/// Whether to colour stdout. Colour is decoration only: every coloured cell also says in words
/// what the colour means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub color: bool,
}

impl Palette {
    pub fn detect(no_color_flag: bool) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Palette {
            color: !no_color_flag && !no_color_env && std::io::stdout().is_terminal(),
        }
    }
}

/// One table cell, with an optional colour for terminals.
pub struct TableCell {
    pub text: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
}

impl<S: Into<String>> From<S> for TableCell {
    fn from(text: S) -> Self {
        TableCell {
            text: text.into(),
            tone: Tone::Plain,
        }
    }
}

impl TableCell {
    pub fn toned(text: impl Into<String>, tone: Tone) -> Self {
        TableCell {
            text: text.into(),
            tone,
        }
    }
}

/// A table the way kubectl prints one: upper-case headers, no borders, columns three spaces apart.
pub fn table(
    headers: &[&str],
    rows: Vec<Vec<TableCell>>,
    no_headers: bool,
    palette: Palette,
) -> String {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    table.set_content_arrangement(ContentArrangement::Disabled);
    if palette.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if !no_headers {
        table.set_header(headers.iter().map(|h| Cell::new(h.to_uppercase())));
    }
    for row in rows {
        table.add_row(row.into_iter().map(|cell| {
            let plain = Cell::new(cell.text);
            match cell.tone {
                Tone::Plain => plain,
                Tone::Good => plain.fg(Color::Green),
                Tone::Bad => plain.fg(Color::Red),
            }
        }));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 3));
    }
    let mut text = String::new();
    for line in table.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Writes `value` as pretty JSON or as YAML.
pub fn document<T: Serialize>(value: &T, yaml: bool, out: &mut impl Write) -> Result<()> {
    if yaml {
        let text = crate::yaml::to_string(value).map_err(Error::env)?;
        out.write_all(text.as_bytes())?;
    } else {
        serde_json::to_writer_pretty(&mut *out, value).map_err(|e| Error::Output(e.into()))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A duration like kubectl's ages (`3s`, `4m12s`, `2d`); negative durations count as zero.
pub fn age(d: SignedDuration) -> String {
    if d.is_negative() {
        return "0s".to_string();
    }
    crate::duration::human(d.unsigned_abs())
}

/// `3s ago` for the past, `in 3s` for the future.
pub fn relative(d: SignedDuration) -> String {
    if d.is_negative() {
        format!("in {}", crate::duration::human(d.unsigned_abs()))
    } else {
        format!("{} ago", crate::duration::human(d.unsigned_abs()))
    }
}

/// A warning on stderr, marked in words and, on a terminal without NO_COLOR, in colour.
pub fn warn(message: &str) {
    use owo_colors::{OwoColorize, Stream};
    let label = "Warning:".if_supports_color(Stream::Stderr, |t| t.yellow());
    eprintln!("{label} {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_kubectl() {
        let rows = vec![vec![
            TableCell::from("kube-system"),
            TableCell::from("kube-scheduler"),
        ]];
        let text = table(
            &["namespace", "name"],
            rows,
            false,
            Palette { color: false },
        );
        assert_eq!(text, "NAMESPACE     NAME\nkube-system   kube-scheduler\n");
    }

    #[test]
    fn no_headers_drops_the_header_line() {
        let rows = vec![vec![TableCell::from("a"), TableCell::from("b")]];
        assert_eq!(
            table(&["x", "y"], rows, true, Palette { color: false }),
            "a   b\n"
        );
    }

    #[test]
    fn colour_never_changes_the_words() {
        let rows = || vec![vec![TableCell::toned("expired 3s ago", Tone::Bad)]];
        let plain = table(&["expires"], rows(), false, Palette { color: false });
        let coloured = table(&["expires"], rows(), false, Palette { color: true });
        assert!(!plain.contains('\u{1b}'));
        assert!(coloured.contains('\u{1b}'));
        assert!(coloured.contains("expired 3s ago"));
    }

    #[test]
    fn relative_times_say_their_direction() {
        assert_eq!(relative(SignedDuration::from_secs(3)), "3s ago");
        assert_eq!(relative(SignedDuration::from_secs(-12)), "in 12s");
        assert_eq!(age(SignedDuration::from_secs(252)), "4m12s");
        assert_eq!(age(SignedDuration::from_secs(-5)), "0s");
    }
}
