//! The election rules that judge one lock at a time: `legacy-lock-split`, `leader-churn`,
//! `preferred-holder-gone`, `lease-rbac-denied`.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;

use super::{CHURN_MIN_TRANSITIONS, CHURN_PER_HOUR, DeniedUpdate, Inputs, lease_ref, words};
use crate::audit::catalog::RuleId;
use crate::audit::rules::{Finding, finding};
use crate::k8s::ObjectRef;
use crate::lock::holder;
use crate::lock::model::{Expiry, LeaderLock, LockKind, LockReport, UNKNOWN_LEADER};

pub(super) fn legacy_split(locks: &[LockReport], out: &mut Vec<Finding>) {
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
pub(super) fn churn_rate(lock: &LeaderLock, now: Timestamp) -> Option<(i32, SignedDuration, f64)> {
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

pub(super) fn churn(lock: &LeaderLock, now: Timestamp, out: &mut Vec<Finding>) {
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
pub(super) fn preferred_gone(report: &LockReport, inputs: &Inputs<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn rbac_denied(denied: &DeniedUpdate, out: &mut Vec<Finding>) {
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
