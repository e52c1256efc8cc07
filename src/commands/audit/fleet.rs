//! Live `audit` over a fleet (`--context a,b`, `--all-contexts`, `--context-regex`): every
//! cluster read on its own connection at once and judged by the same rules as one cluster;
//! then the findings cluster by cluster, each object's title after its context, one summary
//! line per cluster and one for the fleet. `-o json|yaml` is one `AuditReport` whose findings
//! and workloads carry their `context` and whose `clusters` list says what each cluster
//! answered; `-o sarif` is one run whose results name their context.

use std::io::Write;

use serde::Serialize;

use crate::audit::live;
use crate::audit::rules::Finding;
use crate::cli::AuditArgs;
use crate::commands;
use crate::commands::audit::sarif;
use crate::commands::audit::{self, Judgement, Summary, WorkloadClass};
use crate::error::Result;
use crate::kube::fleet::{self, ClusterEntry, Member};
use crate::options::{AuditFormat, Options};
use crate::render;

/// What one cluster's audit gave.
struct ClusterAudit {
    /// `None`: all namespaces.
    namespace: Option<String>,
    judgement: Judgement,
    /// RBAC notices and documents the audit could not read, as a single-cluster run warns.
    warnings: Vec<String>,
    objects: usize,
}

pub async fn run(args: &AuditArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let format = options.output.audit()?;
    let assume_singleton = args.assume_singleton;
    let members = commands::read_fleet(options, |cluster, namespace| async move {
        let view = live::read(&cluster, namespace.as_deref()).await?;
        let mut warnings = view.notices.clone();
        warnings.extend(audit::unknown_versions(&view.objects));
        let judgement = audit::judge(&view.objects, Some(&view), assume_singleton);
        Ok(ClusterAudit {
            namespace,
            judgement,
            warnings,
            objects: view.objects.count(),
        })
    })
    .await?;
    for (context, audit) in read(&members) {
        for warning in &audit.warnings {
            options
                .palette
                .warn(&format!("context {context}: {warning}"));
        }
    }
    match format {
        AuditFormat::Json | AuditFormat::Yaml => {
            render::document(&document(&members), format == AuditFormat::Yaml, out)?
        }
        AuditFormat::Sarif => render::document(&sarif(&members), false, out)?,
        AuditFormat::Table => out.write_all(table(&members, options).as_bytes())?,
    }
    out.flush()?;
    // A cluster that could not be read (exit 3) outranks findings (exit 1), as one cluster's
    // read error would.
    fleet::failures(&members)?;
    audit::fail_on(
        read(&members).flat_map(|(_, a)| &a.judgement.findings),
        args.fail_on,
        out,
    )
}

/// The clusters that were read, with their context.
fn read(members: &[Member<ClusterAudit>]) -> impl Iterator<Item = (&str, &ClusterAudit)> {
    members
        .iter()
        .filter_map(|m| m.outcome.as_ref().ok().map(|a| (m.context.as_str(), a)))
}

fn table(members: &[Member<ClusterAudit>], options: &Options) -> String {
    let width = read(members)
        .filter(|(_, a)| !a.judgement.findings.is_empty())
        .map(|(context, _)| context.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (context, audit) in read(members) {
        let prefix = format!("{context:<width$}   ");
        text.push_str(&audit::blocks(&audit.judgement.findings, &prefix, options));
    }
    for member in members {
        match &member.outcome {
            Ok(audit) => {
                let scope = audit
                    .namespace
                    .as_deref()
                    .map_or("all namespaces".to_string(), |ns| format!("namespace {ns}"));
                let summary = Summary::of(&audit.judgement.findings, audit.objects);
                text.push_str(&format!(
                    "{}: {} in {scope}\n",
                    member.context,
                    audit::counts(&summary)
                ));
            }
            Err(_) => text.push_str(&format!(
                "{}: not read (the error is on stderr)\n",
                member.context
            )),
        }
    }
    text.push_str(&format!(
        "fleet: {} in {} of {} clusters\n",
        audit::counts(&fleet_summary(members)),
        read(members).count(),
        members.len()
    ));
    text
}

fn fleet_summary(members: &[Member<ClusterAudit>]) -> Summary {
    Summary::of(
        read(members).flat_map(|(_, a)| &a.judgement.findings),
        read(members).map(|(_, a)| a.objects).sum(),
    )
}

/// `-o json|yaml`: one `AuditReport` for the whole fleet (docs/audit.schema.json).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FleetReport<'a> {
    api_version: &'static str,
    kind: &'static str,
    /// The whole fleet's counts.
    summary: Summary,
    /// Always empty: a live audit applies every rule.
    not_applied: Vec<String>,
    /// Each prefixed `context NAME: `.
    warnings: Vec<String>,
    findings: Vec<InContext<'a, Finding>>,
    workloads: Vec<InContext<'a, WorkloadClass>>,
    /// Always empty: only `audit -f` reads documents.
    skipped: Vec<String>,
    clusters: Vec<ClusterEntry>,
}

/// An item of one cluster, `context` first.
#[derive(Serialize)]
struct InContext<'a, T> {
    context: &'a str,
    #[serde(flatten)]
    item: &'a T,
}

fn document(members: &[Member<ClusterAudit>]) -> FleetReport<'_> {
    let mut report = FleetReport {
        api_version: render::API_VERSION,
        kind: "AuditReport",
        summary: fleet_summary(members),
        not_applied: Vec::new(),
        warnings: Vec::new(),
        findings: Vec::new(),
        workloads: Vec::new(),
        skipped: Vec::new(),
        clusters: fleet::cluster_entries(members),
    };
    for (context, audit) in read(members) {
        report.warnings.extend(
            audit
                .warnings
                .iter()
                .map(|w| format!("context {context}: {w}")),
        );
        report.findings.extend(
            audit
                .judgement
                .findings
                .iter()
                .map(|item| InContext { context, item }),
        );
        report.workloads.extend(
            audit
                .judgement
                .workloads
                .iter()
                .map(|item| InContext { context, item }),
        );
    }
    report
}

fn sarif(members: &[Member<ClusterAudit>]) -> serde_json::Value {
    let failed: Vec<(&str, String)> = members
        .iter()
        .filter_map(|m| m.error().map(|e| (m.context.as_str(), e)))
        .collect();
    sarif::sarif_run(
        read(members)
            .flat_map(|(context, a)| a.judgement.findings.iter().map(move |f| (Some(context), f))),
        Some(&failed),
    )
}
