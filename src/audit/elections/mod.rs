//! Leader-election health, judged over what a live cluster shows — pure, like `runtime`:
//! lease families of elected shards (`shard-leaderless`, `shard-missing`, `shard-hotspot`),
//! a legacy lock split from its Lease (`legacy-lock-split`), leadership churn
//! (`leader-churn`), a coordinated lease preferring a gone candidate (`preferred-holder-gone`),
//! and a holder that may not renew (`lease-rbac-denied`, from the SubjectAccessReviews
//! `audit::lease_access` asked).

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;

use crate::audit::catalog::RuleId;
use crate::audit::rules::{Finding, finding};
use crate::k8s::{ObjectRef, WorkloadRef};
use crate::lock::family::{self, FamilyReport, Pattern};
use crate::lock::holder::{self, HolderPod};
use crate::lock::model::{Expiry, LeaderLock, LockKind, LockReport, State, UNKNOWN_LEADER};

/// A lease whose holder's ServiceAccount the API server says may not update it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeniedUpdate {
    pub lease: ObjectRef,
    pub pod: String,
    pub workload: Option<WorkloadRef>,
    pub service_account: String,
    /// What the authorizer said, if anything.
    pub reason: Option<String>,
}

/// What the live audit read for these rules beyond locks and pods.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Whether LeaseCandidates were read (or the API is not served, so there are none).
    pub candidates_read: bool,
    /// What the SubjectAccessReviews denied.
    pub denied: Vec<DeniedUpdate>,
}

/// What the election rules read.
pub struct Inputs<'a> {
    pub locks: &'a [LockReport],
    /// Every pod in scope (empty when they could not be listed).
    pub pods: &'a [Pod],
    pub evidence: &'a Evidence,
    pub now: Timestamp,
}

/// A released lease says nothing about its election's duration (client-go writes 1s when it
/// releases): a standby gets at least this long to take it.
const RELEASED_GRACE: SignedDuration = SignedDuration::from_secs(15);
/// `leader-churn`: at least this many transitions…
pub const CHURN_MIN_TRANSITIONS: i32 = 10;
/// …and more than this many per hour of the lease's life (one every 10 minutes).
pub const CHURN_PER_HOUR: f64 = 6.0;

pub fn check(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    shards(inputs, &mut out);
    legacy_split(inputs.locks, &mut out);
    for report in inputs.locks {
        churn(&report.lock, inputs.now, &mut out);
        preferred_gone(report, inputs, &mut out);
    }
    for denied in &inputs.evidence.denied {
        rbac_denied(denied, &mut out);
    }
    out
}

fn lease_ref(lock: &LeaderLock) -> ObjectRef {
    ObjectRef {
        kind: lock.kind.as_str().to_string(),
        namespace: lock.namespace.clone(),
        name: lock.name.clone(),
    }
}

fn family_ref(f: &FamilyReport<'_>) -> ObjectRef {
    ObjectRef {
        kind: "LeaseFamily".to_string(),
        namespace: f.family.namespace.clone(),
        name: f.family.name.clone(),
    }
}

fn words(d: SignedDuration) -> String {
    crate::render::age(d)
}

fn shards(inputs: &Inputs<'_>, out: &mut Vec<Finding>) {
    let locks: Vec<LeaderLock> = inputs.locks.iter().map(|r| r.lock.clone()).collect();
    let families: Vec<FamilyReport<'_>> = family::detect(&locks, None)
        .into_iter()
        .map(|f| FamilyReport::judge(f, inputs.locks))
        .collect();
    if families.is_empty() {
        return;
    }
    let ready = ready_pods_by_workload(inputs.pods);
    for f in &families {
        // A family nobody leads any more is a controller that is gone or down altogether:
        // each lease already says so (lease-expired, lease-orphaned); a stale family of an old
        // bucket count must not read as a broken shard.
        if f.led == 0 {
            continue;
        }
        let summary = format!(
            "family {}: {} of {} shards led",
            f.family.name, f.led, f.expected
        );
        for report in f.leaderless() {
            leaderless(report, &summary, inputs.now, out);
        }
        if !f.missing.is_empty() {
            let names: Vec<String> = f
                .missing
                .iter()
                .map(|i| format!("{}.{i}-of-{}", f.family.stem, f.family.total.unwrap_or(0)))
                .collect();
            out.push(
                finding(
                    RuleId::ShardMissing,
                    family_ref(f),
                    None,
                    format!(
                        "{} of {} buckets have no lease: {}",
                        names.len(),
                        f.expected,
                        names.join(", ")
                    ),
                    "make every replica campaign for every bucket (the same bucket count everywhere)",
                )
                .because([
                    format!("lease names end in .<i>-of-{}", f.family.total.unwrap_or(0)),
                    format!("no Lease {} in {}", names.join(", "), f.family.namespace),
                    summary.clone(),
                ]),
            );
        }
        hotspot(f, &ready, out);
    }
}

fn leaderless(report: &LockReport, summary: &str, now: Timestamp, out: &mut Vec<Finding>) {
    let lock = &report.lock;
    let Some(since) = family::leaderless_since(report) else {
        return;
    };
    let duration = lock.lease_duration.unwrap_or(SignedDuration::from_secs(15));
    let grace = match report.state {
        State::Released => duration.max(RELEASED_GRACE),
        _ => duration,
    };
    let without = now.duration_since(since);
    if without <= grace {
        return;
    }
    let holder = lock.holder().unwrap_or_default();
    let how = match (report.state, &report.holder_pod) {
        (State::Released, _) => format!("was released {} ago", words(without)),
        (State::Orphaned, Some(HolderPod::Gone { pod, .. })) => format!(
            "expired {} ago, held by {holder} whose pod {pod} is gone",
            words(without)
        ),
        _ => format!("expired {} ago, held by {holder}", words(without)),
    };
    out.push(
        finding(
            RuleId::ShardLeaderless,
            lease_ref(lock),
            None,
            format!("shard without a leader: its lease {how}, and no standby took it over"),
            "check that every replica campaigns for this shard: kubectl singleton status --shards FAMILY",
        )
        .because([
            summary.to_string(),
            format!("state {}", report.state.as_str()),
            format!(
                "renewTime {}, leaseDurationSeconds {} (server time {now})",
                lock.renew_time
                    .map_or_else(|| "unset".to_string(), |t| t.to_string()),
                duration.as_secs()
            ),
        ]),
    );
}

/// Ready pods per workload, to know how many candidates a holder has.
fn ready_pods_by_workload(pods: &[Pod]) -> HashMap<(String, WorkloadRef), u32> {
    let mut ready = HashMap::new();
    for pod in pods {
        let summary = holder::summarize(pod);
        if let (true, Some(workload)) = (summary.ready, summary.workload) {
            *ready.entry((summary.namespace, workload)).or_default() += 1;
        }
    }
    ready
}

fn hotspot(
    f: &FamilyReport<'_>,
    ready: &HashMap<(String, WorkloadRef), u32>,
    out: &mut Vec<Finding>,
) {
    // A controller ring is one lease per pod by design.
    if f.family.pattern == Pattern::ControllerRing {
        return;
    }
    let Some((hot, most)) = f.per_holder.first() else {
        return;
    };
    // The hot holder's workload, from any shard it leads.
    let workload = f.members.iter().find_map(|(_, r)| match &r.holder_pod {
        Some(HolderPod::Found(pod)) if family::holder_key(&r.lock) == Some(hot.as_str()) => {
            pod.workload.clone().map(|w| (pod.namespace.clone(), w))
        }
        _ => None,
    });
    let ready_pods = workload
        .as_ref()
        .and_then(|k| ready.get(k))
        .copied()
        .unwrap_or(0);
    let lease_candidates: BTreeSet<&str> = f
        .members
        .iter()
        .flat_map(|(_, r)| r.candidates.iter().map(String::as_str))
        .collect();
    let candidates = ready_pods.max(lease_candidates.len() as u32);
    if candidates < 2 {
        return;
    }
    let share = f.expected.div_ceil(candidates);
    if *most < 3 || *most < 2 * share {
        return;
    }
    let mut evidence = vec![format!(
        "{hot} leads {most} of {} shards; {} holder(s) lead any",
        f.expected,
        f.per_holder.len()
    )];
    match &workload {
        Some((_, w)) if ready_pods >= 2 => {
            evidence.push(format!("{w} has {ready_pods} Ready pods"))
        }
        _ => {}
    }
    if lease_candidates.len() >= 2 {
        evidence.push(format!("{} LeaseCandidates", lease_candidates.len()));
    }
    out.push(
        finding(
            RuleId::ShardHotspot,
            family_ref(f),
            None,
            format!(
                "{hot} leads {most} of {} shards while {candidates} candidates could share them (fair share {share})",
                f.expected
            ),
            "restart the hot pod so the other candidates take its shards, or cap the shards one replica campaigns for",
        )
        .because(evidence),
    );
}

fn legacy_split(locks: &[LockReport], out: &mut Vec<Finding>) {
    let leases: HashMap<(&str, &str), &LockReport> = locks
        .iter()
        .filter(|r| r.lock.kind == LockKind::Lease)
        .map(|r| ((r.lock.namespace.as_str(), r.lock.name.as_str()), r))
        .collect();
    for legacy in locks.iter().filter(|r| r.lock.kind != LockKind::Lease) {
        let key = (legacy.lock.namespace.as_str(), legacy.lock.name.as_str());
        let Some(lease) = leases.get(&key) else {
            continue;
        };
        let (Expiry::Live { remaining: a }, Expiry::Live { remaining: b }) =
            (lease.expiry, legacy.expiry)
        else {
            continue;
        };
        let (Some(new), Some(old)) = (lease.lock.holder(), legacy.lock.holder()) else {
            continue;
        };
        if new == old || new == UNKNOWN_LEADER || old == UNKNOWN_LEADER {
            continue;
        }
        let kind = legacy.lock.kind.as_str();
        out.push(
            finding(
                RuleId::LegacyLockSplit,
                lease_ref(&lease.lock),
                None,
                format!("two leaders: the Lease is held by {new}, the {kind} lock of the same name by {old}"),
                "run every replica with the same lock: the multilock (e.g. configmapsleases) first, then leases only",
            )
            .because([
                format!("Lease holderIdentity {new}, live for {}", words(a)),
                format!("{kind} annotation holderIdentity {old}, live for {}", words(b)),
            ]),
        );
    }
}

/// Transitions per hour of the lease's life, when it churns.
pub fn churn_rate(lock: &LeaderLock, now: Timestamp) -> Option<(i32, SignedDuration, f64)> {
    let transitions = lock.transitions?;
    let life = now.duration_since(lock.created?);
    if transitions < CHURN_MIN_TRANSITIONS {
        return None;
    }
    // A lease younger than a minute is judged as a minute old.
    let hours = life.max(SignedDuration::from_secs(60)).as_secs_f64() / 3600.0;
    let rate = f64::from(transitions) / hours;
    (rate > CHURN_PER_HOUR).then_some((transitions, life, rate))
}

fn churn(lock: &LeaderLock, now: Timestamp, out: &mut Vec<Finding>) {
    let Some((transitions, life, rate)) = churn_rate(lock, now) else {
        return;
    };
    out.push(
        finding(
            RuleId::LeaderChurn,
            lease_ref(lock),
            None,
            format!(
                "{transitions} leader transitions in {} of life: {rate:.1} per hour (normal is well under {CHURN_PER_HOUR:.0})",
                words(life)
            ),
            "find out why renewals fail: API-server latency, CPU throttling of the leader, or renewDeadline too close to leaseDuration",
        )
        .because([
            format!("leaseTransitions {transitions}"),
            format!(
                "creationTimestamp {} (server time {now})",
                lock.created.map(|t| t.to_string()).unwrap_or_default()
            ),
        ]),
    );
}

/// Why a preferred holder is gone, if it is: no LeaseCandidate names it (when candidates were
/// read), or it is a candidate whose pod is gone while its workload's other pods run.
fn preferred_gone(report: &LockReport, inputs: &Inputs<'_>, out: &mut Vec<Finding>) {
    let lock = &report.lock;
    let Some(preferred) = lock.preferred_holder.as_deref() else {
        return;
    };
    if lock.kind != LockKind::Lease {
        return;
    }
    let candidates = if report.candidates.is_empty() {
        "none".to_string()
    } else {
        report.candidates.join(", ")
    };
    let (message, gone) = if !report.candidates.iter().any(|c| c == preferred) {
        if !inputs.evidence.candidates_read {
            return;
        }
        (
            format!(
                "preferredHolder {preferred} is no LeaseCandidate of this lease: the handover to it stalls"
            ),
            format!("LeaseCandidates for {}: {candidates}", lock.name),
        )
    } else {
        match pod_gone(preferred, &lock.namespace, inputs.pods) {
            Some(why) => (
                format!(
                    "preferredHolder {preferred} is a LeaseCandidate whose pod is gone: the handover to it stalls"
                ),
                why,
            ),
            None => return,
        }
    };
    out.push(
        finding(
            RuleId::PreferredHolderGone,
            lease_ref(lock),
            None,
            message,
            "clear spec.preferredHolder, or restart the candidate it names",
        )
        .because([
            format!("spec.preferredHolder {preferred}"),
            format!("strategy {}", lock.strategy.as_deref().unwrap_or("unset")),
            gone,
        ]),
    );
}

/// `no pod P in NS; ReplicaSet/x runs other pods` when the identity's pod is gone while the
/// workload it belonged to still runs pods (so the identity is a pod's, not a node's).
fn pod_gone(identity: &str, namespace: &str, pods: &[Pod]) -> Option<String> {
    let pod = holder::holder_pod_name(identity)?;
    let in_ns = || {
        pods.iter()
            .filter(move |p| p.metadata.namespace.as_deref() == Some(namespace))
    };
    if in_ns().any(|p| p.metadata.name.as_deref() == Some(pod)) {
        return None;
    }
    holder::owner_candidates(pod)
        .into_iter()
        .find_map(|(kind, owner)| {
            let runs = in_ns().any(|p| {
                p.metadata.owner_references.iter().flatten().any(|o| {
                    o.controller == Some(true) && o.kind == kind.as_str() && o.name == owner
                })
            });
            runs.then(|| {
                format!(
                    "no pod {pod} in {namespace}; {}/{owner} runs other pods",
                    kind.as_str()
                )
            })
        })
}

fn rbac_denied(denied: &DeniedUpdate, out: &mut Vec<Finding>) {
    let account = format!(
        "system:serviceaccount:{}:{}",
        denied.lease.namespace, denied.service_account
    );
    let object = match &denied.workload {
        Some(w) => ObjectRef {
            kind: w.kind.clone(),
            namespace: denied.lease.namespace.clone(),
            name: w.name.clone(),
        },
        None => ObjectRef {
            kind: "Pod".to_string(),
            namespace: denied.lease.namespace.clone(),
            name: denied.pod.clone(),
        },
    };
    let mut evidence = vec![
        format!("pod {} holds Lease {}", denied.pod, denied.lease.name),
        format!("serviceAccountName {}", denied.service_account),
        format!(
            "SubjectAccessReview: {account} may not update leases/{} in {}",
            denied.lease.name, denied.lease.namespace
        ),
    ];
    evidence.extend(denied.reason.iter().map(|r| format!("authorizer: {r}")));
    out.push(
        finding(
            RuleId::LeaseRbacDenied,
            object,
            None,
            format!(
                "ServiceAccount {} may not update Lease {} it holds: it cannot renew, so it loses leadership and never regains it",
                denied.service_account, denied.lease.name
            ),
            "grant get, create and update on leases (coordination.k8s.io) to its ServiceAccount",
        )
        .because(evidence),
    );
}

#[cfg(test)]
mod tests;
