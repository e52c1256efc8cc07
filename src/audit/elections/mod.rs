//! Leader-election health, judged over what a live cluster shows — pure, like `runtime`:
//! lease families of elected shards (`shard-leaderless`, `shard-missing`, `shard-hotspot`),
//! a legacy lock split from its Lease (`legacy-lock-split`), leadership churn
//! (`leader-churn`), a coordinated lease preferring a gone candidate (`preferred-holder-gone`),
//! and a holder that may not renew (`lease-rbac-denied`, from the SubjectAccessReviews
//! `audit::lease_access` asked). Here: the shard rules over lease families; `locks`: the rules
//! that judge one lock at a time.

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;

use crate::audit::catalog::RuleId;
use crate::audit::rules::{Finding, finding};
use crate::k8s::{ObjectRef, WorkloadRef};
use crate::lock::family::{self, FamilyReport, Pattern};
use crate::lock::holder::{self, HolderPod};
use crate::lock::model::{LeaderLock, LockReport, State};

mod locks;

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
    locks::legacy_split(inputs.locks, &mut out);
    for report in inputs.locks {
        locks::churn(&report.lock, inputs.now, &mut out);
        locks::preferred_gone(report, inputs, &mut out);
    }
    for denied in &inputs.evidence.denied {
        locks::rbac_denied(denied, &mut out);
    }
    out
}

pub(super) fn lease_ref(lock: &LeaderLock) -> ObjectRef {
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

pub(super) fn words(d: SignedDuration) -> String {
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
        // Numbered names are only a guess: `web-1` and `web-2` may be two apps. Their leases are
        // shards of one election only when their holders are pods of one workload.
        if f.family.pattern == Pattern::Numbered && one_controller(f).is_none() {
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

/// The one workload whose pods hold (or held) every held member of a family, if there is one:
/// a found pod's workload, or the controller a gone pod's name points at (a ReplicaSet
/// `<deployment>-<hash>` counts as its Deployment).
fn one_controller(f: &FamilyReport<'_>) -> Option<String> {
    let mut names = BTreeSet::new();
    for (_, r) in &f.members {
        match &r.holder_pod {
            Some(HolderPod::Found(pod)) => match &pod.workload {
                Some(w) => names.insert(w.name.clone()),
                None => return None,
            },
            Some(HolderPod::Gone { owner, .. }) => {
                let name = match owner.kind.as_str() {
                    "ReplicaSet" => owner
                        .name
                        .rsplit_once('-')
                        .map_or(owner.name.as_str(), |(d, _)| d),
                    _ => owner.name.as_str(),
                };
                names.insert(name.to_string())
            }
            // Released (no holder), or a holder that maps to no pod: no say.
            _ => continue,
        };
    }
    match names.len() {
        1 => names.pop_first(),
        _ => None,
    }
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

#[cfg(test)]
mod tests;
