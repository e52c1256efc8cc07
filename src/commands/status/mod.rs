//! `status`: every leader-election lock in scope — who holds it, the holder's pod, its state,
//! and how long the hold lasts by the API server's clock.

mod watch;

use std::io::Write;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::cli::{OutputFormat, StatusArgs};
use crate::cluster::{self, SKEW_WARNING};
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::lease::{Expiry, HolderPod, PodSummary, State};
use crate::locks::{self, Inventory, LockReport, Scope};
use crate::render::{self, TableCell, Tone};

pub async fn run(args: &StatusArgs, ctx: &Context, out: &mut impl Write) -> Result<()> {
    let format = ctx.global.output.unwrap_or(OutputFormat::Table);
    if format == OutputFormat::Sarif {
        return Err(Error::usage(
            "status cannot print -o sarif: use -o table, wide, json, yaml or name",
        ));
    }
    if args.name.is_some() && ctx.global.all_namespaces {
        return Err(Error::usage(
            "a lock NAME lives in one namespace: use -n NAMESPACE instead of -A",
        ));
    }
    if args.watch && matches!(format, OutputFormat::Yaml | OutputFormat::Name) {
        return Err(Error::usage(
            "status --watch prints a table or, with -o json, one JSON object per line",
        ));
    }
    let cluster = cluster::connect(&ctx.global).await?;
    let namespace =
        (!ctx.global.all_namespaces).then(|| cluster.namespace(&ctx.global).to_string());
    let scope = Scope {
        namespace: namespace.as_deref(),
        name: args.name.as_deref(),
        selector: args.selector.as_deref(),
        all_leases: args.all_leases,
    };
    // Nothing is printed until everything is read: no half-drawn tables.
    let inventory = locks::gather(&cluster, scope)
        .await
        .map_err(|err| match err {
            // Only the label selector comes from the user in these LISTs: a 400 is about it.
            Error::Api {
                status: 400,
                server_said,
                ..
            } if args.selector.is_some() => Error::usage(format!(
                "invalid -l/--selector {:?}: the API server could not parse it ({server_said})",
                args.selector.as_deref().unwrap_or_default(),
            )),
            other => other,
        })?;
    tracing::info!("{} requests", cluster.request_count());

    for notice in &inventory.notices {
        render::warn(notice);
    }
    if let Some(skew) = cluster.clock_skew().filter(|s| s.abs() > SKEW_WARNING) {
        render::warn(&format!(
            "the local clock is {} {} the API server's; times shown use the server's clock",
            render::age(skew.abs()),
            if skew.is_negative() {
                "behind"
            } else {
                "ahead of"
            }
        ));
    }

    if args.watch {
        let json = format == OutputFormat::Json;
        if json {
            serde_json::to_writer(&mut *out, &LockList::new(&inventory))
                .map_err(|e| Error::Output(e.into()))?;
            out.write_all(b"\n")?;
        } else if !inventory.reports.is_empty() {
            let wide = format == OutputFormat::Wide;
            out.write_all(table(&inventory, namespace.is_none(), wide, ctx).as_bytes())?;
        }
        out.flush()?;
        return watch::follow(&cluster, scope, inventory, json, out).await;
    }

    match format {
        OutputFormat::Json | OutputFormat::Yaml => render::document(
            &LockList::new(&inventory),
            format == OutputFormat::Yaml,
            out,
        ),
        OutputFormat::Name => {
            for report in &inventory.reports {
                let lock = &report.lock;
                writeln!(
                    out,
                    "{}/{}/{}",
                    lock.kind.resource(),
                    lock.namespace,
                    lock.name
                )?;
            }
            Ok(())
        }
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Sarif => {
            if args.name.is_some() {
                let text = inventory
                    .reports
                    .iter()
                    .map(|report| detail(report, inventory.now))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.write_all(text.as_bytes())?;
                return Ok(());
            }
            if inventory.reports.is_empty() {
                match &namespace {
                    Some(ns) => eprintln!("No leader-election locks found in {ns} namespace."),
                    None => eprintln!("No leader-election locks found."),
                }
                return Ok(());
            }
            let text = table(
                &inventory,
                namespace.is_none(),
                format == OutputFormat::Wide,
                ctx,
            );
            out.write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

fn since(now: Timestamp, t: Option<Timestamp>) -> String {
    t.map_or("-".to_string(), |t| render::relative(now.duration_since(t)))
}

fn expires_cell(expiry: Expiry) -> TableCell {
    match expiry {
        Expiry::Released | Expiry::Unknown => "-".into(),
        Expiry::Live { remaining } => {
            TableCell::toned(format!("in {}", render::age(remaining)), Tone::Good)
        }
        Expiry::Expired { ago } => {
            TableCell::toned(format!("expired {} ago", render::age(ago)), Tone::Bad)
        }
    }
}

fn state_cell(state: State) -> TableCell {
    let tone = match state {
        State::Held => Tone::Good,
        State::Released => Tone::Plain,
        State::Expired | State::Orphaned | State::Unready => Tone::Bad,
    };
    TableCell::toned(state.as_str(), tone)
}

/// The POD column: the holder's pod, `<gone>` when it was a controller's pod that no longer
/// exists, `<unmapped>` when the identity names nothing in the cluster.
fn pod_text(holder_pod: Option<&HolderPod>) -> String {
    match holder_pod {
        None => "-".to_string(),
        Some(HolderPod::Found(pod)) => pod.name.clone(),
        Some(HolderPod::Gone { pod, .. }) => format!("{pod} <gone>"),
        Some(HolderPod::Unmapped) => "<unmapped>".to_string(),
    }
}

fn found(holder_pod: Option<&HolderPod>) -> Option<&PodSummary> {
    match holder_pod {
        Some(HolderPod::Found(pod)) => Some(pod),
        _ => None,
    }
}

fn dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

fn table(inventory: &Inventory, all_namespaces: bool, wide: bool, ctx: &Context) -> String {
    let now = inventory.now;
    let mut headers = Vec::new();
    if all_namespaces {
        headers.push("namespace");
    }
    headers.extend([
        "name",
        "holder",
        "pod",
        "state",
        "renewed",
        "expires",
        "transitions",
        "age",
    ]);
    if wide {
        headers.extend([
            "kind",
            "duration",
            "acquired",
            "node",
            "workload",
            "strategy",
            "preferred",
            "candidates",
        ]);
    }
    let rows = inventory
        .reports
        .iter()
        .map(|report| {
            let lock = &report.lock;
            let pod = found(report.holder_pod.as_ref());
            let mut row: Vec<TableCell> = Vec::new();
            if all_namespaces {
                row.push(lock.namespace.clone().into());
            }
            row.push(lock.name.clone().into());
            row.push(lock.holder().unwrap_or("<none>").into());
            row.push(pod_text(report.holder_pod.as_ref()).into());
            row.push(state_cell(report.state));
            row.push(since(now, lock.renew_time).into());
            row.push(expires_cell(report.expiry));
            row.push(
                lock.transitions
                    .map_or("-".to_string(), |t| t.to_string())
                    .into(),
            );
            row.push(
                lock.created
                    .map_or("-".to_string(), |t| render::age(now.duration_since(t)))
                    .into(),
            );
            if wide {
                row.push(lock.kind.as_str().into());
                row.push(
                    lock.lease_duration
                        .map_or("-".to_string(), render::age)
                        .into(),
                );
                row.push(since(now, lock.acquire_time).into());
                row.push(dash(pod.and_then(|p| p.node.as_deref())).into());
                row.push(dash(pod.and_then(|p| p.workload.as_deref())).into());
                row.push(dash(lock.strategy.as_deref()).into());
                row.push(dash(lock.preferred_holder.as_deref()).into());
                row.push(
                    if report.candidates.is_empty() {
                        "-".to_string()
                    } else {
                        report.candidates.join(",")
                    }
                    .into(),
                );
            }
            row
        })
        .collect();
    render::table(&headers, rows, ctx.global.no_headers, ctx.palette)
}

/// What a failover would cost right now, in words.
fn failover(report: &LockReport) -> String {
    match report.expiry {
        Expiry::Released => {
            "no leader: any candidate can acquire the lock at its next retry".to_string()
        }
        Expiry::Expired { .. } => {
            "no active leader now: a standby can acquire the lock at its next retry".to_string()
        }
        Expiry::Unknown => "unknown: the lock has no renewTime or leaseDurationSeconds".to_string(),
        Expiry::Live { remaining } => format!(
            "if the holder dies now, a new leader can take over in ≤ {} (at once if it releases the lock on shutdown)",
            render::age(remaining.max(SignedDuration::from_secs(1)))
        ),
    }
}

/// `status NAME`: a describe-style view of one lock.
fn detail(report: &LockReport, now: Timestamp) -> String {
    let lock = &report.lock;
    let at = |t: Option<Timestamp>| match t {
        Some(t) => format!("{} ({})", t, render::relative(now.duration_since(t))),
        None => "-".to_string(),
    };
    let mut fields: Vec<(&str, String)> = vec![
        ("Name", lock.name.clone()),
        ("Namespace", lock.namespace.clone()),
        ("Kind", lock.kind.as_str().to_string()),
        ("State", report.state.as_str().to_string()),
        ("Holder", lock.holder().unwrap_or("<none>").to_string()),
        (
            "Lease duration",
            lock.lease_duration.map_or("-".to_string(), render::age),
        ),
        ("Acquired", at(lock.acquire_time)),
        ("Renewed", at(lock.renew_time)),
        (
            "Expires",
            match (lock.expires_at(), report.expiry) {
                (Some(t), Expiry::Live { remaining }) => {
                    format!("{t} (in {})", render::age(remaining))
                }
                (Some(t), Expiry::Expired { ago }) => {
                    format!("{t} (expired {} ago)", render::age(ago))
                }
                (Some(t), _) => t.to_string(),
                (None, _) => "-".to_string(),
            },
        ),
        (
            "Transitions",
            lock.transitions.map_or("-".to_string(), |t| t.to_string()),
        ),
        ("Created", at(lock.created)),
    ];
    match report.holder_pod.as_ref() {
        None => fields.push(("Holder pod", "-".to_string())),
        Some(HolderPod::Unmapped) => {
            fields.push((
                "Holder pod",
                "<unmapped> (the identity names no pod or node in this cluster)".to_string(),
            ));
        }
        Some(HolderPod::Gone { pod, owner }) => {
            fields.push((
                "Holder pod",
                format!("{pod} is gone ({owner} still exists)"),
            ));
        }
        Some(HolderPod::Found(pod)) => {
            fields.push(("Holder pod", format!("{}/{}", pod.namespace, pod.name)));
            fields.push(("  Phase", dash(pod.phase.as_deref())));
            fields.push((
                "  Ready",
                if pod.ready { "True" } else { "False" }.to_string(),
            ));
            fields.push(("  Node", dash(pod.node.as_deref())));
            fields.push(("  Restarts", pod.restarts.to_string()));
            fields.push(("  Started", at(pod.started)));
            fields.push(("Workload", dash(pod.workload.as_deref())));
        }
    }
    if lock.strategy.is_some() || !report.candidates.is_empty() {
        fields.push(("Strategy", dash(lock.strategy.as_deref())));
        fields.push(("Preferred holder", dash(lock.preferred_holder.as_deref())));
        fields.push((
            "Candidates",
            if report.candidates.is_empty() {
                "-".to_string()
            } else {
                report.candidates.join(", ")
            },
        ));
    }
    if let Some(problem) = &lock.problem {
        fields.push(("Problem", problem.clone()));
    }
    fields.push(("Failover", failover(report)));
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 2;
    fields
        .iter()
        .map(|(k, v)| format!("{:width$}{v}\n", format!("{k}:")))
        .collect()
}

/// `-o json|yaml` schema, `kind: LockList` (documented in the README; fields are only added).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LockList {
    api_version: &'static str,
    kind: &'static str,
    /// "Now" as the API server's clock had it; every expiry is judged against it.
    server_time: Timestamp,
    /// Parts of the view RBAC or the cluster withheld.
    warnings: Vec<String>,
    items: Vec<LockItem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LockItem {
    kind: &'static str,
    namespace: String,
    name: String,
    state: &'static str,
    holder_identity: Option<String>,
    /// `Found`, `Gone`, `Unmapped`, or null when there is no holder.
    holder_pod_status: Option<&'static str>,
    holder_pod: Option<PodItem>,
    lease_duration_seconds: Option<i64>,
    acquire_time: Option<Timestamp>,
    renew_time: Option<Timestamp>,
    expire_time: Option<Timestamp>,
    /// `Released`, `Live`, `Expired` or `Unknown` (holder set but renewTime/duration missing).
    expiry: &'static str,
    lease_transitions: Option<i32>,
    creation_timestamp: Option<Timestamp>,
    strategy: Option<String>,
    preferred_holder: Option<String>,
    candidates: Vec<String>,
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PodItem {
    name: String,
    namespace: String,
    /// For `Gone`: the controller that still exists (`ReplicaSet/web-5d8f9c7b6`).
    owner: Option<String>,
    phase: Option<String>,
    ready: Option<bool>,
    node: Option<String>,
    restarts: Option<i32>,
    start_time: Option<Timestamp>,
    workload: Option<String>,
}

impl LockList {
    fn new(inventory: &Inventory) -> Self {
        LockList {
            api_version: render::API_VERSION,
            kind: "LockList",
            server_time: inventory.now,
            warnings: inventory.notices.clone(),
            items: inventory.reports.iter().map(LockItem::new).collect(),
        }
    }
}

impl LockItem {
    fn new(report: &LockReport) -> Self {
        let lock = &report.lock;
        let (holder_pod_status, holder_pod) = match &report.holder_pod {
            None => (None, None),
            Some(HolderPod::Unmapped) => (Some("Unmapped"), None),
            Some(HolderPod::Gone { pod, owner }) => (
                Some("Gone"),
                Some(PodItem {
                    name: pod.clone(),
                    namespace: lock.namespace.clone(),
                    owner: Some(owner.clone()),
                    phase: None,
                    ready: None,
                    node: None,
                    restarts: None,
                    start_time: None,
                    workload: None,
                }),
            ),
            Some(HolderPod::Found(pod)) => (
                Some("Found"),
                Some(PodItem {
                    name: pod.name.clone(),
                    namespace: pod.namespace.clone(),
                    owner: None,
                    phase: pod.phase.clone(),
                    ready: Some(pod.ready),
                    node: pod.node.clone(),
                    restarts: Some(pod.restarts),
                    start_time: pod.started,
                    workload: pod.workload.clone(),
                }),
            ),
        };
        LockItem {
            kind: lock.kind.as_str(),
            namespace: lock.namespace.clone(),
            name: lock.name.clone(),
            state: report.state.as_str(),
            holder_identity: lock.holder().map(str::to_string),
            holder_pod_status,
            holder_pod,
            lease_duration_seconds: lock.lease_duration.map(|d| d.as_secs()),
            acquire_time: lock.acquire_time,
            renew_time: lock.renew_time,
            expire_time: lock.expires_at(),
            expiry: match report.expiry {
                Expiry::Released => "Released",
                Expiry::Live { .. } => "Live",
                Expiry::Expired { .. } => "Expired",
                Expiry::Unknown => "Unknown",
            },
            lease_transitions: lock.transitions,
            creation_timestamp: lock.created,
            strategy: lock.strategy.clone(),
            preferred_holder: lock.preferred_holder.clone(),
            candidates: report.candidates.clone(),
            problem: lock.problem.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{self, LeaderLock};

    fn report(
        name: &str,
        holder: Option<&str>,
        renew: &str,
        pod: Option<HolderPod>,
        now: Timestamp,
    ) -> LockReport {
        let lock = LeaderLock {
            renew_time: Some(renew.parse().unwrap()),
            transitions: Some(2),
            created: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..LeaderLock::sample("kube-system", name, holder)
        };
        let expiry = lock.expiry(now);
        let state = lease::state(expiry, pod.as_ref().unwrap_or(&HolderPod::Unmapped));
        LockReport {
            lock,
            expiry,
            holder_pod: pod,
            state,
            candidates: vec![],
        }
    }

    #[test]
    fn json_items_carry_state_and_expiry_by_the_server_clock() {
        let now: Timestamp = "2026-01-01T01:00:10Z".parse().unwrap();
        let gone = HolderPod::Gone {
            pod: "b-0".into(),
            owner: "StatefulSet/b".into(),
        };
        let inventory = Inventory {
            reports: vec![
                report(
                    "live",
                    Some("a_1"),
                    "2026-01-01T01:00:00Z",
                    Some(HolderPod::Unmapped),
                    now,
                ),
                report("dead", Some("b-0"), "2026-01-01T00:00:00Z", Some(gone), now),
                report("free", Some(""), "2026-01-01T00:00:00Z", None, now),
            ],
            now,
            notices: vec!["legacy ConfigMap locks not shown: forbidden".into()],
            withheld: vec![],
        };
        let doc = serde_json::to_value(LockList::new(&inventory)).unwrap();
        assert_eq!(doc["kind"], "LockList");
        assert_eq!(doc["serverTime"], "2026-01-01T01:00:10Z");
        assert_eq!(
            doc["warnings"][0],
            "legacy ConfigMap locks not shown: forbidden"
        );
        assert_eq!(doc["items"][0]["expiry"], "Live");
        assert_eq!(doc["items"][0]["state"], "Held");
        assert_eq!(doc["items"][0]["holderPodStatus"], "Unmapped");
        assert_eq!(doc["items"][0]["expireTime"], "2026-01-01T01:00:15Z");
        assert_eq!(doc["items"][1]["state"], "Orphaned");
        assert_eq!(doc["items"][1]["holderPod"]["owner"], "StatefulSet/b");
        assert_eq!(doc["items"][2]["state"], "Released");
        assert_eq!(doc["items"][2]["holderIdentity"], serde_json::Value::Null);
    }

    #[test]
    fn detail_view_says_what_a_failover_costs() {
        let now: Timestamp = "2026-01-01T01:00:05Z".parse().unwrap();
        let text = detail(
            &report(
                "sched",
                Some("x"),
                "2026-01-01T01:00:00Z",
                Some(HolderPod::Unmapped),
                now,
            ),
            now,
        );
        assert!(text.contains("State:"), "{text}");
        assert!(text.contains("<unmapped>"), "{text}");
        assert!(
            text.contains("a new leader can take over in ≤ 10s"),
            "{text}"
        );
        let expired = detail(
            &report("sched", Some("x"), "2026-01-01T00:00:00Z", None, now),
            now,
        );
        assert!(expired.contains("no active leader now"), "{expired}");
    }
}
