//! The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0. Pure: families in, text
//! out. Every scrape builds its families anew from the watch caches, so a lock that is deleted
//! stops having series at once instead of lingering in a registry.

use std::fmt::Write;

/// Content type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of OpenMetrics, served when the scraper's `Accept` asks for it.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Prometheus,
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the `Accept` header names it (Prometheus 3 does by default), else text.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => PROMETHEUS_TEXT,
            Format::OpenMetrics => OPENMETRICS_TEXT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Gauge,
    /// The family name ends in `_total` (OpenMetrics declares the name without it).
    Counter,
}

/// One metric family: its name as scraped, help text, type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Type,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Family {
    pub fn new(name: &'static str, kind: Type, help: &'static str) -> Self {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    pub fn push(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        self.samples.push(Sample { labels, value });
    }
}

/// Renders `families` in `format`. Families without samples still get their HELP and TYPE, so a
/// dashboard sees the metric exists; OpenMetrics ends with `# EOF`.
pub fn encode(families: &[Family], format: Format) -> String {
    // One allocation for the whole body: a series line is rarely over 160 bytes.
    let series: usize = families.iter().map(|f| f.samples.len()).sum();
    let mut out = String::with_capacity(4096 + series * 160);
    for family in families {
        let declared = match (format, family.kind) {
            (Format::OpenMetrics, Type::Counter) => {
                family.name.strip_suffix("_total").unwrap_or(family.name)
            }
            _ => family.name,
        };
        let kind = match family.kind {
            Type::Gauge => "gauge",
            Type::Counter => "counter",
        };
        let _ = writeln!(out, "# HELP {declared} {}", escape_help(family.help));
        let _ = writeln!(out, "# TYPE {declared} {kind}");
        for sample in &family.samples {
            out.push_str(family.name);
            if !sample.labels.is_empty() {
                out.push('{');
                for (i, (name, value)) in sample.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{name}=\"{}\"", escape_label(value));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(sample.value));
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_families() -> Vec<Family> {
        let mut state = Family::new("x_state", Type::Gauge, "State.");
        state.push(vec![("name", "a\"b\\c\nd".into())], 1.0);
        let mut changes = Family::new("x_changes_total", Type::Counter, "Changes.");
        changes.push(vec![], 2.5);
        vec![state, changes]
    }

    #[test]
    fn prometheus_text_escapes_labels_and_keeps_total_in_the_type_line() {
        assert_eq!(
            encode(&sample_families(), Format::Prometheus),
            "# HELP x_state State.\n# TYPE x_state gauge\nx_state{name=\"a\\\"b\\\\c\\nd\"} 1\n\
             # HELP x_changes_total Changes.\n# TYPE x_changes_total counter\nx_changes_total 2.5\n"
        );
    }

    #[test]
    fn openmetrics_declares_counters_without_total_and_ends_with_eof() {
        let text = encode(&sample_families(), Format::OpenMetrics);
        assert!(text.contains("# TYPE x_changes counter\nx_changes_total 2.5\n"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn accept_header_picks_the_format() {
        assert_eq!(Format::negotiate(None), Format::Prometheus);
        assert_eq!(
            Format::negotiate(Some(
                "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4"
            )),
            Format::OpenMetrics
        );
        assert_eq!(Format::negotiate(Some("text/plain")), Format::Prometheus);
    }

    #[test]
    fn special_values() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(-3.0), "-3");
    }
}
