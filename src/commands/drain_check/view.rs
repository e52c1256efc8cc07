//! What `drain-check` prints: the node table, one node's pods, and the `-o json|yaml`
//! document (`kind: DrainCheckList`, docs/drain-check.schema.json; fields are only added).

use std::io::Write;

use serde::Serialize;

use crate::drain::pod::{Flag, PodReport, Skip};
use crate::drain::{Drainable, NodeReport};
use crate::error::Result;
use crate::options::Options;
use crate::render::{self, TableCell, Tone};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DrainCheckList<'a> {
    api_version: &'static str,
    kind: &'static str,
    /// The `kubectl drain` flags the prediction assumes, besides `--ignore-daemonsets`.
    assumed_flags: &'a [Flag],
    server_dry_run: bool,
    items: &'a [NodeReport],
}

pub fn document(
    reports: &[NodeReport],
    flags: &[Flag],
    server_dry_run: bool,
    yaml: bool,
    out: &mut impl Write,
) -> Result<()> {
    let list = DrainCheckList {
        api_version: render::API_VERSION,
        kind: "DrainCheckList",
        assumed_flags: flags,
        server_dry_run,
        items: reports,
    };
    render::document(&list, yaml, out)
}

fn drainable(report: &NodeReport) -> TableCell {
    match report.drainable {
        Drainable::Yes => TableCell::toned("yes", Tone::Good),
        Drainable::Blocked => TableCell::toned("blocked", Tone::Bad),
        Drainable::NeedsFlags => {
            let flags: Vec<&str> = report.needs.iter().map(|f| f.as_str()).collect();
            TableCell::toned(format!("needs {}", flags.join(" ")), Tone::Bad)
        }
    }
}

/// The WHY of a node: its first blocker; for a drainable node, the leader to hand over first.
fn why(report: &NodeReport) -> String {
    if let Some(why) = &report.why {
        return why.clone();
    }
    report
        .pods
        .iter()
        .find_map(|p| p.leader.first())
        .map_or_else(|| "-".to_string(), |l| l.words())
}

/// Pods whose dry-run answer differs from the prediction.
fn disagreements(report: &NodeReport) -> Vec<&PodReport> {
    report
        .pods
        .iter()
        .filter(|p| p.server.as_ref().is_some_and(|s| !s.agrees))
        .collect()
}

pub fn table(reports: &[NodeReport], server_dry_run: bool, options: &Options) -> String {
    let (headers, rows) = table_parts(reports, server_dry_run);
    render::table(&headers, rows, options.no_headers, options.palette)
}

/// The node table's headers and rows, for one cluster's table or a fleet's.
pub fn table_parts(
    reports: &[NodeReport],
    server_dry_run: bool,
) -> (Vec<&'static str>, Vec<Vec<TableCell>>) {
    let mut headers = vec!["node", "drainable", "blocked pods", "singletons", "leaders"];
    if server_dry_run {
        headers.push("server dry-run");
    }
    headers.push("why");
    let rows = reports
        .iter()
        .map(|r| {
            let mut row: Vec<TableCell> = vec![
                r.node.clone().into(),
                drainable(r),
                r.blocked_pods.to_string().into(),
                r.singletons.to_string().into(),
                r.leaders.to_string().into(),
            ];
            if server_dry_run {
                row.push(server_cell(r));
            }
            row.push(why(r).into());
            row
        })
        .collect();
    (headers, rows)
}

fn server_cell(report: &NodeReport) -> TableCell {
    match disagreements(report).len() {
        0 => TableCell::toned("agrees", Tone::Good),
        n => TableCell::toned(format!("differs on {n} pod(s)"), Tone::Bad),
    }
}

/// What drain does with a pod, in a word or two.
fn drain_word(p: &PodReport) -> String {
    match (p.skipped, p.verdict()) {
        (Some(Skip::DaemonSet), _) => "skipped (DaemonSet)".to_string(),
        (Some(Skip::Mirror), _) => "skipped (mirror pod)".to_string(),
        (None, "waits") => "waits".to_string(),
        (None, verdict) if p.needs.is_empty() => verdict.to_string(),
        (None, verdict) => {
            let flags: Vec<&str> = p.needs.iter().map(|f| f.as_str()).collect();
            format!("{verdict} (needs {})", flags.join(" "))
        }
    }
}

/// One node, pod by pod, then what each pod's eviction means.
pub fn detail(report: &NodeReport, options: &Options) -> String {
    let mut text = String::new();
    let cordoned = if report.unschedulable {
        " (cordoned)"
    } else {
        ""
    };
    text.push_str(&format!("Node:        {}{cordoned}\n", report.node));
    text.push_str(&format!("Drainable:   {}\n", drainable(report).text));
    text.push_str(&format!("Why:         {}\n", why(report)));
    if !report.waits_for.is_empty() {
        text.push_str(&format!("Waits for:   {}\n", report.waits_for.join(", ")));
    }
    text.push('\n');
    let server = report.pods.iter().any(|p| p.server.is_some());
    let mut headers = vec![
        "namespace",
        "pod",
        "workload",
        "class",
        "ready",
        "drain",
        "eviction",
    ];
    if server {
        headers.push("server");
    }
    let rows = report
        .pods
        .iter()
        .map(|p| {
            let tone = if p.blocks() { Tone::Bad } else { Tone::Plain };
            let mut row: Vec<TableCell> = vec![
                p.namespace.clone().into(),
                p.name.clone().into(),
                p.workload.clone().unwrap_or_else(|| "<none>".into()).into(),
                p.class.map_or("-", |c| c.as_str()).into(),
                render::readiness(p.ready).into(),
                TableCell::toned(drain_word(p), tone),
                p.eviction
                    .as_ref()
                    .map_or("-".to_string(), |e| e.code.to_string())
                    .into(),
            ];
            if server {
                row.push(match &p.server {
                    Some(s) if s.agrees => {
                        TableCell::toned(format!("{} agrees", s.code), Tone::Good)
                    }
                    Some(s) => TableCell::toned(format!("{} DIFFERS", s.code), Tone::Bad),
                    None => "-".into(),
                });
            }
            row
        })
        .collect();
    text.push_str(&render::table(
        &headers,
        rows,
        options.no_headers,
        options.palette,
    ));
    let notes: Vec<String> = report.pods.iter().flat_map(notes).collect();
    if !notes.is_empty() {
        text.push('\n');
        for note in notes {
            text.push_str(&note);
            text.push('\n');
        }
    }
    text
}

/// Every sentence worth saying about one pod.
fn notes(p: &PodReport) -> Vec<String> {
    let reference = p.reference();
    let mut notes = Vec::new();
    for flag in &p.needs {
        notes.push(crate::drain::pod::needs_words(p, *flag));
    }
    if let Some(block) = p.eviction.as_ref().and_then(|e| e.block.as_ref()) {
        notes.push(block.words(&reference));
    }
    if let Some(wait) = p.waits.as_ref().filter(|w| w.blocks) {
        notes.push(wait.words(&reference));
    }
    if let Some(outage) = &p.singleton {
        notes.push(format!("{reference}: {}", outage.words()));
    }
    for lead in &p.leader {
        notes.push(format!("{reference} {}", lead.words()));
    }
    if let Some(server) = p.server.as_ref().filter(|s| !s.agrees) {
        notes.push(format!(
            "{reference}: the API server answered {}{}, the prediction was {}",
            server.code,
            server
                .message
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default(),
            p.eviction.as_ref().map_or(0, |e| e.code)
        ));
    }
    notes
}
