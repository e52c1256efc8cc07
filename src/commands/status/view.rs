//! What `status` prints: the lock table, the detail view of one lock, the `LockList`
//! document of `-o json|yaml`, and the event lines of `--watch -o json`.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::lock::changes::Change;
use crate::lock::holder::{HolderPod, PodSummary};
use crate::lock::model::{Expiry, LockReport, State};
use crate::lock::read::Inventory;
use crate::lock::watch::LockId;
use crate::options::Options;
use crate::render::{self, ExpiryText, HolderPodText, TableCell, Tone};

fn since(now: Timestamp, t: Option<Timestamp>) -> String {
    t.map_or("-".to_string(), |t| render::relative(now.duration_since(t)))
}

fn state_cell(state: State) -> TableCell {
    let tone = match state {
        State::Held => Tone::Good,
        State::Released => Tone::Plain,
        State::Expired | State::Orphaned | State::Unready => Tone::Bad,
    };
    TableCell::toned(state.as_str(), tone)
}

fn found(holder_pod: Option<&HolderPod>) -> Option<&PodSummary> {
    match holder_pod {
        Some(HolderPod::Found(pod)) => Some(pod),
        _ => None,
    }
}

/// The holder pod's workload as `Kind/name`.
fn workload(pod: Option<&PodSummary>) -> Option<String> {
    pod.and_then(|p| p.workload.as_ref())
        .map(ToString::to_string)
}

fn dash(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("-").to_string()
}

/// The lock table, kubectl style; `wide` adds the coordinated-election and workload columns.
pub fn table(inventory: &Inventory, all_namespaces: bool, wide: bool, options: &Options) -> String {
    let (headers, rows) = table_parts(inventory, all_namespaces, wide);
    render::table(&headers, rows, options.no_headers, options.palette)
}

/// The lock table's headers and rows, before rendering (a fleet prefixes a CONTEXT column).
pub fn table_parts(
    inventory: &Inventory,
    all_namespaces: bool,
    wide: bool,
) -> (Vec<&'static str>, Vec<Vec<TableCell>>) {
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
            row.push(HolderPodText(report.holder_pod.as_ref()).cell().into());
            row.push(state_cell(report.state));
            row.push(since(now, lock.renew_time).into());
            row.push(ExpiryText(report.expiry).cell());
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
                row.push(dash(workload(pod).as_deref()).into());
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
    (headers, rows)
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
pub fn detail(report: &LockReport, now: Timestamp) -> String {
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
        ("Expires", ExpiryText(report.expiry).at(lock.expires_at())),
        (
            "Transitions",
            lock.transitions.map_or("-".to_string(), |t| t.to_string()),
        ),
        ("Created", at(lock.created)),
        (
            "Holder pod",
            HolderPodText(report.holder_pod.as_ref()).explained(),
        ),
    ];
    if let Some(pod) = found(report.holder_pod.as_ref()) {
        fields.push(("  Phase", dash(pod.phase.as_deref())));
        fields.push((
            "  Ready",
            if pod.ready { "True" } else { "False" }.to_string(),
        ));
        fields.push(("  Node", dash(pod.node.as_deref())));
        fields.push(("  Restarts", pod.restarts.to_string()));
        fields.push(("  Started", at(pod.started)));
        fields.push(("Workload", dash(workload(Some(pod)).as_deref())));
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
pub struct LockList {
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
pub struct LockItem {
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
    pub fn new(inventory: &Inventory) -> Self {
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
    pub fn new(report: &LockReport) -> Self {
        let lock = &report.lock;
        let holder_pod = match &report.holder_pod {
            None | Some(HolderPod::Unmapped) => None,
            Some(HolderPod::Gone { pod, owner }) => Some(PodItem {
                name: pod.clone(),
                namespace: lock.namespace.clone(),
                owner: Some(owner.to_string()),
                phase: None,
                ready: None,
                node: None,
                restarts: None,
                start_time: None,
                workload: None,
            }),
            Some(HolderPod::Found(pod)) => Some(PodItem {
                name: pod.name.clone(),
                namespace: pod.namespace.clone(),
                owner: None,
                phase: pod.phase.clone(),
                ready: Some(pod.ready),
                node: pod.node.clone(),
                restarts: Some(pod.restarts),
                start_time: pod.started,
                workload: workload(Some(pod)),
            }),
        };
        LockItem {
            kind: lock.kind.as_str(),
            namespace: lock.namespace.clone(),
            name: lock.name.clone(),
            state: report.state.as_str(),
            holder_identity: lock.holder().map(str::to_string),
            holder_pod_status: HolderPodText(report.holder_pod.as_ref()).status(),
            holder_pod,
            lease_duration_seconds: lock.lease_duration.map(|d| d.as_secs()),
            acquire_time: lock.acquire_time,
            renew_time: lock.renew_time,
            expire_time: lock.expires_at(),
            expiry: report.expiry.as_str(),
            lease_transitions: lock.transitions,
            creation_timestamp: lock.created,
            strategy: lock.strategy.clone(),
            preferred_holder: lock.preferred_holder.clone(),
            candidates: report.candidates.clone(),
            problem: lock.problem.clone(),
        }
    }
}

/// A JSON line of `-w -o json`; a fleet's carries its `context` first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'a str>,
    pub time: Timestamp,
    pub kind: &'static str,
    pub namespace: &'a str,
    pub name: &'a str,
    #[serde(flatten)]
    pub change: &'a Change,
}

/// One change seen by `-w`: `HH:MM:SS  [CONTEXT  ]kind/ns/name  change` by the server's clock
/// `now`, or its JSON line.
pub fn write_change(
    out: &mut impl std::io::Write,
    json: bool,
    context: Option<&str>,
    now: Timestamp,
    (namespace, name, kind): &LockId,
    change: &Change,
) -> crate::error::Result<()> {
    if json {
        let line = EventLine {
            context,
            time: now,
            kind: kind.as_str(),
            namespace,
            name,
            change,
        };
        serde_json::to_writer(&mut *out, &line)
            .map_err(|e| crate::error::Error::Output(e.into()))?;
        out.write_all(b"\n")?;
    } else {
        let context = context.map(|c| format!("{c}  ")).unwrap_or_default();
        writeln!(
            out,
            "{}  {context}{}/{namespace}/{name}  {}",
            now.strftime("%H:%M:%S"),
            kind.resource(),
            change.describe(now)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::model::{self, LeaderLock};

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
        let state = model::state(expiry, pod.as_ref().unwrap_or(&HolderPod::Unmapped));
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
            owner: crate::k8s::WorkloadRef::new("StatefulSet", "b"),
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

    #[test]
    fn json_event_lines_are_flat_objects() {
        let change = Change::Acquired {
            holder: "p-1".into(),
        };
        let line = EventLine {
            context: None,
            time: "2026-01-01T00:00:00Z".parse().unwrap(),
            kind: "Lease",
            namespace: "ns",
            name: "l",
            change: &change,
        };
        let value = serde_json::to_value(&line).unwrap();
        assert_eq!(value["type"], "Acquired");
        assert_eq!(value["holder"], "p-1");
        assert_eq!(value["namespace"], "ns");
    }
}
