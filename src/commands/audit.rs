//! `audit`: singleton violations in manifest files (offline), and `audit explain`.
//!
//! - `fleet`: the live audit over several contexts
//! - `sarif`: the SARIF 2.1.0 document

mod fleet;
mod sarif;

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::audit::catalog::{self, RuleId, RuleKind, Severity};
use crate::audit::classify::{self, Class};
use crate::audit::objects::{Objects, Unreadable};
use crate::audit::rules::Finding;
use crate::audit::{elections, live, manifests, rules, runtime};
use crate::cli::{AuditAction, AuditArgs, FailOn};
use crate::error::{Error, Result};
use crate::k8s::ObjectRef;
use crate::options::{AuditFormat, Options as Context};
use crate::render::{self, SeverityText, TableCell};

pub async fn run(args: &AuditArgs, ctx: &Context, out: &mut impl Write) -> Result<()> {
    if let Some(AuditAction::Explain { rule }) = &args.action {
        return explain(rule.as_deref(), ctx, out);
    }
    if ctx.fleet.is_fleet() {
        if !args.files.is_empty() {
            return Err(Error::usage(
                "audit -f judges files, not clusters: drop the list of contexts, --all-contexts or --context-regex",
            ));
        }
        return fleet::run(args, ctx, out).await;
    }
    let format = ctx.output.audit()?;
    let (view, loaded) = if args.files.is_empty() {
        (Some(read_live(ctx).await?), Objects::default())
    } else {
        (None, manifests::load(&args.files)?)
    };
    let objects = view.as_ref().map_or(&loaded, |v| &v.objects);
    let mut warnings = view.as_ref().map_or_else(Vec::new, |v| v.notices.clone());
    warnings.extend(unknown_versions(objects));
    let Judgement {
        findings,
        workloads,
    } = judge(objects, view.as_ref(), args.assume_singleton);
    let not_applied = match &view {
        Some(_) => Vec::new(),
        None => runtime_rules(),
    };
    let objects_read = objects.count();
    for warning in &warnings {
        ctx.palette.warn(warning);
    }
    let report = Report::new(
        &findings,
        objects_read,
        not_applied,
        warnings,
        &workloads,
        &objects.unreadable,
    );
    match format {
        AuditFormat::Json | AuditFormat::Yaml => {
            render::document(&report, format == AuditFormat::Yaml, out)?
        }
        AuditFormat::Sarif => render::document(&sarif::sarif(&findings), false, out)?,
        AuditFormat::Table => out.write_all(table(&findings, &report, ctx).as_bytes())?,
    }
    if let Some(last) = objects.unreadable.last() {
        out.flush()?;
        let n = objects.unreadable.len();
        if n > 1 {
            for u in &objects.unreadable[..n - 1] {
                ctx.palette.warn(&format!(
                    "skipped {}:{}: {}",
                    u.origin.file, u.origin.line, u.reason
                ));
            }
        }
        let others = if n > 1 {
            format!("skipped with {} more named above; ", n - 1)
        } else {
            "skipped; ".to_string()
        };
        return Err(Error::env(format!(
            "{}:{}: {} ({others}every other document was audited)",
            last.origin.file, last.origin.line, last.reason
        )));
    }
    fail_on(&findings, args.fail_on, out)
}

/// Exit 1 when any finding is at or above `--fail-on`.
pub(super) fn fail_on<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    fail_on: FailOn,
    out: &mut impl Write,
) -> Result<()> {
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failing = threshold.map_or(0, |t| {
        findings.into_iter().filter(|f| f.severity >= t).count()
    });
    if failing > 0 {
        out.flush()?;
        return Err(Error::Refused(format!(
            "{failing} finding(s) at or above --fail-on {}",
            threshold.map_or("never", Severity::as_str)
        )));
    }
    Ok(())
}

/// Everything the live audit reads.
async fn read_live(ctx: &Context) -> Result<live::LiveView> {
    let cluster = crate::kube::connect(&ctx.cluster).await?;
    let namespace = cluster.scope(&ctx.namespaces);
    let view = live::read(&cluster, namespace.as_deref()).await?;
    tracing::info!("{} requests", cluster.request_count());
    Ok(view)
}

/// Documents of an apiVersion the audit cannot read, one warning each.
pub(super) fn unknown_versions(objects: &Objects) -> Vec<String> {
    objects
        .unknown_versions
        .iter()
        .map(|unknown| {
            let at = unknown
                .origin
                .as_ref()
                .map(|o| format!("{}:{}: ", o.file, o.line))
                .unwrap_or_default();
            let name = match unknown.object.name.as_str() {
                "" => "<unnamed>".to_string(),
                name => format!("{name:?}"),
            };
            let version = match unknown.api_version.as_str() {
                "" => "has no apiVersion".to_string(),
                v => format!("has apiVersion {v}, which the audit cannot read"),
            };
            format!("{at}{} {name} {version}: not audited", unknown.object.kind)
        })
        .collect()
}

/// What the rules found in one set of objects, sorted, and every workload's class.
pub(super) struct Judgement {
    pub findings: Vec<Finding>,
    pub workloads: Vec<WorkloadClass>,
}

/// Runs the static rules over `objects` and, for a live cluster, the runtime and election
/// rules over what it showed.
pub(super) fn judge(
    objects: &Objects,
    view: Option<&live::LiveView>,
    assume_singleton: bool,
) -> Judgement {
    let judged = classify::classify(objects, assume_singleton);
    let mut findings = rules::check(objects, &judged);
    if let Some(view) = view {
        findings.extend(runtime::check(
            objects,
            &judged,
            &view.pods,
            &view.locks.reports,
            view.locks.now,
        ));
        findings.extend(elections::check(&elections::Inputs {
            locks: &view.locks.reports,
            pods: &view.pods,
            evidence: &view.elections,
            now: view.locks.now,
        }));
        pdb_status(objects, &mut findings);
    }
    sort(&mut findings);
    let workloads = judged
        .iter()
        .map(|j| WorkloadClass {
            object: j.workload.reference.clone(),
            class: j.class.class,
            evidence: j.class.evidence.clone(),
        })
        .collect();
    Judgement {
        findings,
        workloads,
    }
}

/// A PDB finding also says what the disruption controller itself computed.
fn pdb_status(objects: &Objects, findings: &mut [Finding]) {
    for f in findings
        .iter_mut()
        .filter(|f| f.object.kind == "PodDisruptionBudget")
    {
        let status = objects
            .pdbs
            .iter()
            .find(|p| ObjectRef::of("PodDisruptionBudget", &p.object.metadata) == f.object)
            .and_then(|p| p.object.status.as_ref());
        if let Some(status) = status {
            f.message.push_str(&format!(
                " (status.disruptionsAllowed: {})",
                status.disruptions_allowed
            ));
            f.evidence.push(format!(
                "status.disruptionsAllowed {}, currentHealthy {}, desiredHealthy {}",
                status.disruptions_allowed, status.current_healthy, status.desired_healthy
            ));
        }
    }
}

/// Objects with errors first, then by object; within an object, worst first.
fn sort(findings: &mut [Finding]) {
    let mut worst: BTreeMap<ObjectRef, Severity> = BTreeMap::new();
    for f in findings.iter() {
        let entry = worst.entry(f.object.clone()).or_insert(f.severity);
        *entry = (*entry).max(f.severity);
    }
    findings.sort_by(|a, b| {
        (
            std::cmp::Reverse(worst[&a.object]),
            &a.object,
            std::cmp::Reverse(a.severity),
            a.rule.as_str(),
        )
            .cmp(&(
                std::cmp::Reverse(worst[&b.object]),
                &b.object,
                std::cmp::Reverse(b.severity),
                b.rule.as_str(),
            ))
    });
}

fn runtime_rules() -> Vec<RuleId> {
    RuleId::ALL
        .into_iter()
        .filter(|&id| catalog::rule(id).kind == RuleKind::Runtime)
        .collect()
}

/// `-o json|yaml`: `kind: AuditReport` (documented in the README; fields are only added).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    api_version: &'static str,
    kind: &'static str,
    summary: Summary,
    /// Runtime rules that need a cluster and were not applied to manifests.
    not_applied: Vec<RuleId>,
    /// Parts of the cluster RBAC withheld and the rules skipped for it; documents of an
    /// apiVersion the audit cannot read.
    warnings: Vec<String>,
    findings: &'a [Finding],
    /// Every workload, its class and the evidence for it.
    workloads: &'a [WorkloadClass],
    /// Documents that could not be read (the exit code is then 3).
    skipped: Vec<SkippedDocument<'a>>,
}

#[derive(Serialize)]
pub(super) struct WorkloadClass {
    object: ObjectRef,
    class: Class,
    evidence: Vec<String>,
}

#[derive(Serialize)]
struct SkippedDocument<'a> {
    file: &'a str,
    line: u64,
    reason: &'a str,
}

#[derive(Serialize)]
pub(super) struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub objects: usize,
}

impl Summary {
    /// The counts of `findings` by severity, in `objects` objects read.
    pub(super) fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>, objects: usize) -> Self {
        let mut summary = Summary {
            errors: 0,
            warnings: 0,
            infos: 0,
            objects,
        };
        for f in findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        summary
    }
}

impl<'a> Report<'a> {
    fn new(
        findings: &'a [Finding],
        objects: usize,
        not_applied: Vec<RuleId>,
        warnings: Vec<String>,
        workloads: &'a [WorkloadClass],
        unreadable: &'a [Unreadable],
    ) -> Self {
        Report {
            api_version: render::API_VERSION,
            kind: "AuditReport",
            summary: Summary::of(findings, objects),
            not_applied,
            warnings,
            findings,
            workloads,
            skipped: unreadable
                .iter()
                .map(|u| SkippedDocument {
                    file: &u.origin.file,
                    line: u.origin.line,
                    reason: &u.reason,
                })
                .collect(),
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn table(findings: &[Finding], report: &Report<'_>, ctx: &Context) -> String {
    let mut text = blocks(findings, "", ctx);
    text.push_str(&counts(&report.summary));
    text.push('\n');
    if !report.not_applied.is_empty() {
        let rules: Vec<&str> = report.not_applied.iter().map(|r| r.as_str()).collect();
        let rules = rules.join(", ");
        text.push_str(&format!(
            "Not applied to manifests (they need a cluster): {rules}\n"
        ));
    }
    text
}

/// The findings object by object: a title line (after `prefix`, the fleet's context column),
/// then each finding with its evidence and fix; a blank line after each object.
pub(super) fn blocks(findings: &[Finding], prefix: &str, ctx: &Context) -> String {
    let mut text = String::new();
    let mut current: Option<&ObjectRef> = None;
    for f in findings {
        if current != Some(&f.object) {
            if current.is_some() {
                text.push('\n');
            }
            let origin = f
                .origin
                .as_ref()
                .map(|o| format!("  ({}:{})", o.file, o.line))
                .unwrap_or_default();
            let title = format!("{} {}/{}", f.object.kind, f.object.namespace, f.object.name);
            let title = ctx.palette.bold(&title);
            text.push_str(&format!("{prefix}{title}{origin}\n"));
            current = Some(&f.object);
        }
        let severity = SeverityText(f.severity).column(ctx.palette);
        text.push_str(&format!("  {severity} {:<24} {}\n", f.rule, f.message));
        if !f.evidence.is_empty() {
            text.push_str(&format!(
                "  {:<8} {:<24} why: {}\n",
                "",
                "",
                f.evidence.join("; ")
            ));
        }
        text.push_str(&format!("  {:<8} {:<24} fix: {}\n", "", "", f.fix));
    }
    if !findings.is_empty() {
        text.push('\n');
    }
    text
}

/// `1 error, 2 warnings, 0 info in 3 objects`.
pub(super) fn counts(summary: &Summary) -> String {
    format!(
        "{}, {}, {} info in {}",
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
        summary.infos,
        plural(summary.objects, "object")
    )
}

fn explain(rule: Option<&str>, ctx: &Context, out: &mut impl Write) -> Result<()> {
    let Some(name) = rule else {
        let rows = RuleId::ALL
            .into_iter()
            .map(|id| {
                let r = catalog::rule(id);
                vec![
                    TableCell::from(id.as_str()),
                    TableCell::from(r.severity.as_str()),
                    TableCell::from(match r.kind {
                        RuleKind::Static => "static",
                        RuleKind::Runtime => "runtime",
                    }),
                    TableCell::from(r.summary),
                ]
            })
            .collect();
        out.write_all(
            render::table(
                &["rule", "severity", "kind", "fires when"],
                rows,
                ctx.no_headers,
                ctx.palette,
            )
            .as_bytes(),
        )?;
        return Ok(());
    };
    let id: RuleId = name.parse().map_err(|_| {
        Error::usage(format!(
            "no rule {name:?}: `kubectl singleton audit explain` lists them"
        ))
    })?;
    let r = catalog::rule(id);
    let kind = match r.kind {
        RuleKind::Static => "static: manifests and live objects",
        RuleKind::Runtime => "runtime: needs a cluster",
    };
    writeln!(out, "{id} ({}, {kind})", r.severity.as_str())?;
    writeln!(out, "  Fires when {}.", r.summary)?;
    writeln!(out)?;
    writeln!(out, "Why:\n  {}", r.rationale)?;
    writeln!(out)?;
    writeln!(out, "Fix:")?;
    for line in r.fix.lines() {
        writeln!(out, "  {line}")?;
    }
    if !r.references.is_empty() {
        writeln!(out)?;
        writeln!(out, "References:")?;
        for link in r.references {
            writeln!(out, "  - {link}")?;
        }
    }
    Ok(())
}
