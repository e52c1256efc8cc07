//! The runtime rules: pure functions over what a live cluster shows (pods, PDB status, locks),
//! applied after the static rules.

use jiff::SignedDuration;
use k8s_openapi::api::core::v1::Pod;

use crate::audit::objects::{Mode, Objects, Workload, reference, selects};
use crate::audit::rules::{Finding, finding};
use crate::lease::{HolderPod, LockKind, State};
use crate::locks::LockReport;

/// Pods that are running or not yet gone: everything but Succeeded/Failed.
fn alive(pod: &Pod) -> bool {
    !matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

fn pods_of<'p>(w: &Workload<'_>, pods: &'p [Pod]) -> Vec<&'p Pod> {
    let Some(selector) = w.selector else {
        return Vec::new();
    };
    pods.iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(w.reference.namespace.as_str()))
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| selects(selector, l))
        })
        .collect()
}

/// Every runtime rule. `pods` are the pods in scope, `locks` the leader-election locks.
/// `now` is the API server's clock the locks were judged at.
pub fn check(
    objects: &Objects,
    pods: &[Pod],
    locks: &[LockReport],
    now: jiff::Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in objects.workloads() {
        if !w.single_instance() || w.mode == Mode::LeaderElection {
            continue;
        }
        let living: Vec<&Pod> = pods_of(&w, pods).into_iter().filter(|p| alive(p)).collect();
        if living.len() > 1 {
            let names: Vec<&str> = living
                .iter()
                .filter_map(|p| p.metadata.name.as_deref())
                .collect();
            out.push(finding(
                "duplicate-instances",
                w.reference.clone(),
                None,
                format!(
                    "{} pods are running or not yet gone: {}",
                    living.len(),
                    names.join(", ")
                ),
                "find out why (rollout, force-delete, partition) and remove the extra pod",
            ));
        }
    }
    for p in &objects.pdbs {
        let namespace = reference("PodDisruptionBudget", &p.object.metadata).namespace;
        let Some(selector) = p.object.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
            continue;
        };
        let selected = pods
            .iter()
            .filter(|pod| pod.metadata.namespace.as_deref() == Some(namespace.as_str()))
            .any(|pod| {
                pod.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| selects(selector, l))
            });
        if !selected {
            out.push(finding(
                "pdb-no-pods",
                reference("PodDisruptionBudget", &p.object.metadata),
                None,
                "selects no pods: it protects nothing (a selector typo?)".into(),
                "fix spec.selector to match the workload's pod labels",
            ));
        }
    }
    for report in locks {
        let lock = &report.lock;
        let object = crate::audit::objects::ObjectRef {
            kind: lock.kind.as_str().to_string(),
            namespace: lock.namespace.clone(),
            name: lock.name.clone(),
        };
        let holder = lock.holder().unwrap_or_default();
        match (report.state, &report.holder_pod) {
            (State::Orphaned, Some(HolderPod::Gone { pod, owner })) => out.push(finding(
                "lease-orphaned",
                object.clone(),
                None,
                format!("held by {holder}, whose pod {pod} is gone ({owner} still exists)"),
                "kubectl singleton release (or wait for the lease to expire)",
            )),
            (State::Expired, _) => out.push(finding(
                "lease-expired",
                object.clone(),
                None,
                format!("held by {holder} but past its expiry: no active leader"),
                "check the holder and its standbys: kubectl singleton status NAME",
            )),
            (State::Unready, Some(HolderPod::Found(pod))) => out.push(finding(
                "lease-holder-unready",
                object.clone(),
                None,
                format!("held by {holder}, whose pod {} is not Ready", pod.name),
                "inspect the holder pod: it may hold leadership while doing no work",
            )),
            _ => {}
        }
        if let Some(ahead) = lock.renew_time.map(|t| t.duration_since(now))
            && ahead > SignedDuration::from_secs(1)
        {
            out.push(finding(
                "lease-clock-skew",
                object.clone(),
                None,
                format!(
                    "renewTime is {}s ahead of the API server's clock",
                    ahead.as_secs()
                ),
                "fix time sync on the holder's node",
            ));
        }
        if lock.kind != LockKind::Lease {
            out.push(finding(
                "legacy-lock",
                object,
                None,
                format!(
                    "leader election through a {} annotation lock",
                    lock.kind.as_str()
                ),
                "migrate to a coordination.k8s.io/v1 Lease",
            ));
        }
    }
    out
}
