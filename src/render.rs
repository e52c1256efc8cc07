//! Rendering shared by every command: kubectl-style tables, JSON/YAML documents, relative
//! times, the colour policy (only on a terminal, never with --no-color or NO_COLOR), and one
//! presenter per concept shown in several views (a lock's expiry, its holder's pod, a finding's
//! severity).

use std::io::{IsTerminal, Write};

use comfy_table::{Cell, Color, ContentArrangement, Table};
use jiff::SignedDuration;
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::audit::catalog::Severity;
use crate::error::{Error, Result};
use crate::lock::holder::HolderPod;
use crate::lock::model::Expiry;

/// `apiVersion` of every document this tool prints with `-o json|yaml`.
pub const API_VERSION: &str = "kubectl-singleton.io/v1alpha1";

/// Whether to colour stdout and stderr: each only on a terminal, never with --no-color or a
/// non-empty NO_COLOR. Colour is decoration only: every coloured cell also says in words what
/// the colour means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Colour on stdout (tables, findings).
    pub color: bool,
    /// Colour on stderr (the `Warning:` label).
    pub stderr_color: bool,
}

impl Palette {
    pub fn detect(no_color_flag: bool) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let allowed = !no_color_flag && !no_color_env;
        Palette {
            color: allowed && std::io::stdout().is_terminal(),
            stderr_color: allowed && std::io::stderr().is_terminal(),
        }
    }

    /// A warning on stderr, marked in words and, where the policy allows, in colour.
    pub fn warn(&self, message: &str) {
        eprintln!("{}", self.warning_line(message));
    }

    fn warning_line(&self, message: &str) -> String {
        if self.stderr_color {
            format!("{} {message}", "Warning:".yellow())
        } else {
            format!("Warning: {message}")
        }
    }

    /// A heading on stdout (a finding's object), in bold where the policy allows.
    pub fn bold(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_string()
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

/// One table for a fleet: a CONTEXT column, then each cluster's own columns (every cluster's
/// view has the same headers). Empty when no cluster has a row.
pub fn context_table<'a>(
    parts: impl IntoIterator<Item = (&'a str, (Vec<&'static str>, Vec<Vec<TableCell>>))>,
    no_headers: bool,
    palette: Palette,
) -> String {
    let mut headers = vec!["context"];
    let mut rows: Vec<Vec<TableCell>> = Vec::new();
    for (context, (h, r)) in parts {
        if headers.len() == 1 {
            headers.extend(h);
        }
        rows.extend(r.into_iter().map(|row| {
            let mut full = vec![TableCell::from(context.to_string())];
            full.extend(row);
            full
        }));
    }
    if rows.is_empty() {
        return String::new();
    }
    table(&headers, rows, no_headers, palette)
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

/// Every way a lock's expiry is shown.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryText(pub Expiry);

impl ExpiryText {
    /// `in 3s` or `expired 3s ago`; nothing to say when released or unknown.
    pub fn relative(self) -> Option<String> {
        match self.0 {
            Expiry::Live { remaining } => Some(format!("in {}", age(remaining))),
            Expiry::Expired { ago } => Some(format!("expired {} ago", age(ago))),
            Expiry::Released | Expiry::Unknown => None,
        }
    }

    /// The EXPIRES column: green while live, red once expired, `-` otherwise.
    pub fn cell(self) -> TableCell {
        let tone = match self.0 {
            Expiry::Expired { .. } => Tone::Bad,
            _ => Tone::Good,
        };
        match self.relative() {
            Some(text) => TableCell::toned(text, tone),
            None => "-".into(),
        }
    }

    /// In a sentence: `expires in 3s`, `expired 3s ago`, `released`, `expiry unknown`.
    pub fn sentence(self) -> String {
        match self.0 {
            Expiry::Live { .. } => format!("expires {}", self.relative().unwrap_or_default()),
            Expiry::Expired { .. } => self.relative().unwrap_or_default(),
            Expiry::Released => "released".to_string(),
            Expiry::Unknown => "expiry unknown".to_string(),
        }
    }

    /// The instant the lock expires, with the relative words: `T (in 3s)`; `-` when unknown.
    pub fn at(self, expires_at: Option<jiff::Timestamp>) -> String {
        match (expires_at, self.relative()) {
            (Some(t), Some(words)) => format!("{t} ({words})"),
            (Some(t), None) => t.to_string(),
            (None, _) => "-".to_string(),
        }
    }
}

/// Every way the pod behind a lock's holder is shown; `None` when the lock has no holder.
#[derive(Debug, Clone, Copy)]
pub struct HolderPodText<'a>(pub Option<&'a HolderPod>);

impl HolderPodText<'_> {
    /// The POD column: the holder's pod, `<gone>` when it was a controller's pod that no longer
    /// exists, `<unmapped>` when the identity names nothing in the cluster.
    pub fn cell(self) -> String {
        match self.0 {
            None => "-".to_string(),
            Some(HolderPod::Found(pod)) => pod.name.clone(),
            Some(HolderPod::Gone { pod, .. }) => format!("{pod} <gone>"),
            Some(HolderPod::Unmapped) => "<unmapped>".to_string(),
        }
    }

    /// In a sentence: `pod p-1 (Ready)`, `pod p-1 is gone`, `<unmapped>`, `-`.
    pub fn sentence(self) -> String {
        match self.0 {
            None => "-".to_string(),
            Some(HolderPod::Found(p)) => format!("pod {} ({})", p.name, readiness(p.ready)),
            Some(HolderPod::Gone { pod, .. }) => format!("pod {pod} is gone"),
            Some(HolderPod::Unmapped) => "<unmapped>".to_string(),
        }
    }

    /// The detail view's line, with what each case means.
    pub fn explained(self) -> String {
        match self.0 {
            None => "-".to_string(),
            Some(HolderPod::Found(pod)) => format!("{}/{}", pod.namespace, pod.name),
            Some(HolderPod::Gone { pod, owner }) => format!("{pod} is gone ({owner} still exists)"),
            Some(HolderPod::Unmapped) => {
                "<unmapped> (the identity names no pod or node in this cluster)".to_string()
            }
        }
    }

    /// `Found`, `Gone` or `Unmapped` for JSON; `None` without a holder.
    pub fn status(self) -> Option<&'static str> {
        self.0.map(|pod| match pod {
            HolderPod::Found(_) => "Found",
            HolderPod::Gone { .. } => "Gone",
            HolderPod::Unmapped => "Unmapped",
        })
    }
}

/// How a finding's severity is shown.
#[derive(Debug, Clone, Copy)]
pub struct SeverityText(pub Severity);

impl SeverityText {
    /// The findings' severity column: the word, padded to the column's width, and where the
    /// policy allows red (error), yellow (warning) or blue (info).
    pub fn column(self, palette: Palette) -> String {
        let word = format!("{:<8}", self.0.as_str());
        if !palette.color {
            return word;
        }
        match self.0 {
            Severity::Error => word.red().to_string(),
            Severity::Warning => word.yellow().to_string(),
            Severity::Info => word.blue().to_string(),
        }
    }
}

/// A pod's readiness in words.
pub fn readiness(ready: bool) -> &'static str {
    if ready { "Ready" } else { "not Ready" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Palette = Palette {
        color: false,
        stderr_color: false,
    };

    #[test]
    fn tables_look_like_kubectl() {
        let rows = vec![vec![
            TableCell::from("kube-system"),
            TableCell::from("kube-scheduler"),
        ]];
        let text = table(&["namespace", "name"], rows, false, PLAIN);
        assert_eq!(text, "NAMESPACE     NAME\nkube-system   kube-scheduler\n");
    }

    #[test]
    fn no_headers_drops_the_header_line() {
        let rows = vec![vec![TableCell::from("a"), TableCell::from("b")]];
        assert_eq!(table(&["x", "y"], rows, true, PLAIN), "a   b\n");
    }

    #[test]
    fn colour_never_changes_the_words() {
        let rows = || vec![vec![TableCell::toned("expired 3s ago", Tone::Bad)]];
        let plain = table(&["expires"], rows(), false, PLAIN);
        let coloured = table(
            &["expires"],
            rows(),
            false,
            Palette {
                color: true,
                stderr_color: false,
            },
        );
        assert!(!plain.contains('\u{1b}'));
        assert!(coloured.contains('\u{1b}'));
        assert!(coloured.contains("expired 3s ago"));
    }

    #[test]
    fn warnings_are_coloured_only_when_stderr_may_be() {
        let plain = PLAIN.warning_line("x");
        assert_eq!(plain, "Warning: x");
        let coloured = Palette {
            color: false,
            stderr_color: true,
        }
        .warning_line("x");
        assert!(coloured.contains('\u{1b}') && coloured.ends_with(" x"));
    }

    #[test]
    fn severities_and_headings_keep_their_words_in_colour() {
        let coloured = Palette {
            color: true,
            stderr_color: false,
        };
        assert_eq!(SeverityText(Severity::Warning).column(PLAIN), "warning ");
        let error = SeverityText(Severity::Error).column(coloured);
        assert!(
            error.contains('\u{1b}') && error.contains("error   "),
            "{error:?}"
        );
        assert_eq!(PLAIN.bold("Deployment ns/web"), "Deployment ns/web");
        assert!(coloured.bold("Deployment ns/web").contains('\u{1b}'));
    }

    #[test]
    fn expiry_and_holder_pod_read_the_same_in_every_view() {
        let live = ExpiryText(Expiry::Live {
            remaining: SignedDuration::from_secs(3),
        });
        let expired = ExpiryText(Expiry::Expired {
            ago: SignedDuration::from_secs(4),
        });
        assert_eq!(live.sentence(), "expires in 3s");
        assert_eq!(live.cell().text, "in 3s");
        assert_eq!(expired.sentence(), "expired 4s ago");
        assert_eq!(expired.cell().tone, Tone::Bad);
        assert_eq!(ExpiryText(Expiry::Unknown).sentence(), "expiry unknown");
        assert_eq!(ExpiryText(Expiry::Released).cell().text, "-");
        let gone = HolderPod::Gone {
            pod: "db-0".into(),
            owner: crate::k8s::WorkloadRef::new("StatefulSet", "db"),
        };
        assert_eq!(HolderPodText(Some(&gone)).cell(), "db-0 <gone>");
        assert_eq!(HolderPodText(Some(&gone)).sentence(), "pod db-0 is gone");
        assert_eq!(
            HolderPodText(Some(&gone)).explained(),
            "db-0 is gone (StatefulSet/db still exists)"
        );
        assert_eq!(HolderPodText(None).status(), None);
    }

    #[test]
    fn relative_times_say_their_direction() {
        assert_eq!(relative(SignedDuration::from_secs(3)), "3s ago");
        assert_eq!(relative(SignedDuration::from_secs(-12)), "in 12s");
        assert_eq!(age(SignedDuration::from_secs(252)), "4m12s");
        assert_eq!(age(SignedDuration::from_secs(-5)), "0s");
    }
}
