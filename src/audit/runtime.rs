//! The runtime rules: pure functions over what a live cluster shows (pods, PDB status, locks),
//! applied after the static rules.

use std::collections::HashMap;

use jiff::SignedDuration;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::audit::catalog::{RuleId, Severity};
use crate::audit::classify::Judged;
use crate::audit::objects::{Objects, by_namespace};
use crate::audit::rules::{DECLARE, Finding, finding, running_twice_severity};
use crate::k8s::{ObjectRef, selects};
use crate::lock::holder::HolderPod;
use crate::lock::model::{LockKind, LockReport, State};

/// Pods that are running or not yet gone: everything but Succeeded/Failed.
fn alive(pod: &Pod) -> bool {
    !matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// Pods by namespace, so each workload or PDB is matched against its own namespace's pods only.
type PodsByNamespace<'p> = HashMap<&'p str, Vec<&'p Pod>>;

fn pods_by_namespace(pods: &[Pod]) -> PodsByNamespace<'_> {
    by_namespace(pods, |p| {
        p.metadata.namespace.as_deref().unwrap_or("default")
    })
}

/// The pods of `namespace` that `selector` selects.
fn selected<'p>(
    pods: &PodsByNamespace<'p>,
    namespace: &str,
    selector: &LabelSelector,
) -> impl Iterator<Item = &'p Pod> {
    pods.get(namespace)
        .into_iter()
        .flatten()
        .copied()
        .filter(move |p| {
            p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| selects(selector, l))
        })
}

/// Every runtime rule. `pods` are the pods in scope, `locks` the leader-election locks.
/// `now` is the API server's clock the locks were judged at.
pub fn check(
    objects: &Objects,
    judged: &[Judged<'_>],
    pods: &[Pod],
    locks: &[LockReport],
    now: jiff::Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let pods = pods_by_namespace(pods);
    for j in judged {
        let w = &j.workload;
        if j.class.pods.max != 1 {
            continue;
        }
        let Some(severity) = running_twice_severity(j, Severity::Error) else {
            continue;
        };
        let Some(selector) = w.selector else {
            continue;
        };
        let living: Vec<&Pod> = selected(&pods, &w.reference.namespace, selector)
            .filter(|p| alive(p))
            .collect();
        if living.len() > 1 {
            let names: Vec<&str> = living
                .iter()
                .filter_map(|p| p.metadata.name.as_deref())
                .collect();
            let fix = if severity == Severity::Info {
                DECLARE
            } else {
                "find out why (rollout, force-delete, partition) and remove the extra pod"
            };
            out.push(
                finding(
                    RuleId::DuplicateInstances,
                    w.reference.clone(),
                    None,
                    format!(
                        "{} pods are running or not yet gone: {}",
                        living.len(),
                        names.join(", ")
                    ),
                    fix,
                )
                .because(j.class.evidence.iter().cloned())
                .at(severity),
            );
        }
    }
    for p in &objects.pdbs {
        let namespace = ObjectRef::of("PodDisruptionBudget", &p.object.metadata).namespace;
        let Some(selector) = p.object.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
            continue;
        };
        if selected(&pods, &namespace, selector).next().is_none() {
            out.push(
                finding(
                    RuleId::PdbNoPods,
                    ObjectRef::of("PodDisruptionBudget", &p.object.metadata),
                    None,
                    "selects no pods: it protects nothing (a selector typo?)".into(),
                    "fix spec.selector to match the workload's pod labels",
                )
                .because([format!("no pod in {namespace} matches its selector")]),
            );
        }
    }
    for report in locks {
        let lock = &report.lock;
        let object = ObjectRef {
            kind: lock.kind.as_str().to_string(),
            namespace: lock.namespace.clone(),
            name: lock.name.clone(),
        };
        let holder = lock.holder().unwrap_or_default();
        let renewed = |ago: &str| {
            format!(
                "renewTime {} {ago}, leaseDurationSeconds {}",
                lock.renew_time
                    .map_or_else(|| "unset".to_string(), |t| t.to_string()),
                lock.lease_duration.map_or(0, |d| d.as_secs())
            )
        };
        match (report.state, &report.holder_pod) {
            (State::Orphaned, Some(HolderPod::Gone { pod, owner })) => out.push(
                finding(
                    RuleId::LeaseOrphaned,
                    object.clone(),
                    None,
                    format!("held by {holder}, whose pod {pod} is gone ({owner} still exists)"),
                    "kubectl singleton release (or wait for the lease to expire)",
                )
                .because([
                    format!("holderIdentity {holder}"),
                    format!("no pod {pod} in {}", lock.namespace),
                    format!("{owner} exists"),
                ]),
            ),
            (State::Expired, _) => out.push(
                finding(
                    RuleId::LeaseExpired,
                    object.clone(),
                    None,
                    format!("held by {holder} but past its expiry: no active leader"),
                    "check the holder and its standbys: kubectl singleton status NAME",
                )
                .because([
                    format!("holderIdentity {holder}"),
                    renewed(&format!("(server time {now})")),
                ]),
            ),
            (State::Unready, Some(HolderPod::Found(pod))) => out.push(
                finding(
                    RuleId::LeaseHolderUnready,
                    object.clone(),
                    None,
                    format!("held by {holder}, whose pod {} is not Ready", pod.name),
                    "inspect the holder pod: it may hold leadership while doing no work",
                )
                .because([
                    format!("holderIdentity {holder}"),
                    format!("pod {} Ready=False", pod.name),
                ]),
            ),
            _ => {}
        }
        if let Some(ahead) = lock.renew_time.map(|t| t.duration_since(now))
            && ahead > SignedDuration::from_secs(1)
        {
            out.push(
                finding(
                    RuleId::LeaseClockSkew,
                    object.clone(),
                    None,
                    format!(
                        "renewTime is {}s ahead of the API server's clock",
                        ahead.as_secs()
                    ),
                    "fix time sync on the holder's node",
                )
                .because([renewed(&format!("(server time {now})"))]),
            );
        }
        if lock.kind != LockKind::Lease {
            out.push(
                finding(
                    RuleId::LegacyLock,
                    object,
                    None,
                    format!(
                        "leader election through a {} annotation lock",
                        lock.kind.as_str()
                    ),
                    "migrate to a coordination.k8s.io/v1 Lease",
                )
                .because([format!(
                    "{} annotation control-plane.alpha.kubernetes.io/leader",
                    lock.kind.as_str()
                )]),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::manifests;
    use crate::lock::holder::PodSummary;
    use crate::lock::model::{Expiry, LeaderLock};
    use k8s_openapi::api::core::v1::PodStatus;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    const NOW: &str = "2026-01-01T00:01:00Z";

    fn pod(name: &str, app: &str, phase: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                labels: Some(BTreeMap::from([("app".to_string(), app.to_string())])),
                ..Default::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..Default::default()
            }),
        }
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\nspec:\n  replicas: 1\n  strategy: {type: Recreate}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";

    fn objects() -> Objects {
        manifests::parse(
            "t.yaml",
            &format!("{WEB}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: typo, namespace: ns}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: wbe}}}}}}\n"),
        )
        .unwrap()
    }

    fn judged(objects: &Objects) -> Vec<Judged<'_>> {
        crate::audit::classify::classify(objects, false)
    }

    fn ids(findings: &[Finding]) -> Vec<&str> {
        let mut ids: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn two_living_pods_of_a_singleton_are_duplicates_finished_ones_are_not() {
        let now = NOW.parse().unwrap();
        let objects = objects();
        let classes = judged(&objects);
        let one = [
            pod("web-1", "web", "Running"),
            pod("web-0", "web", "Succeeded"),
        ];
        assert_eq!(
            ids(&check(&objects, &classes, &one, &[], now)),
            vec!["pdb-no-pods"]
        );
        let two = [
            pod("web-1", "web", "Running"),
            pod("web-2", "web", "Pending"),
        ];
        let found = check(&objects, &classes, &two, &[], now);
        assert_eq!(ids(&found), vec!["duplicate-instances", "pdb-no-pods"]);
        // One replica and nothing more known: said, at info, with the way to declare it.
        let duplicate = found
            .iter()
            .find(|f| f.rule == RuleId::DuplicateInstances)
            .unwrap();
        assert_eq!(duplicate.severity, Severity::Info);
        assert_eq!(duplicate.evidence[0], "replicas 1");
        // Declared strict, the same pods are an error.
        let strict = manifests::parse(
            "t.yaml",
            &WEB.replace(
                "name: web, namespace: ns}",
                "name: web, namespace: ns, annotations: {kubectl-singleton/mode: strict}}",
            ),
        )
        .unwrap();
        let found = check(&strict, &judged(&strict), &two, &[], now);
        let duplicate = found
            .iter()
            .find(|f| f.rule == RuleId::DuplicateInstances)
            .unwrap();
        assert_eq!(duplicate.severity, Severity::Error);
        // Several replicas, or a server behind a Service, are never duplicates.
        let scaled =
            manifests::parse("t.yaml", &WEB.replace("replicas: 1", "replicas: 2")).unwrap();
        assert!(
            check(&scaled, &judged(&scaled), &two, &[], now)
                .iter()
                .all(|f| f.rule != RuleId::DuplicateInstances)
        );
        let served = manifests::parse("t.yaml", &format!("{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: ns}}\nspec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}\n")).unwrap();
        assert!(
            check(&served, &judged(&served), &two, &[], now)
                .iter()
                .all(|f| f.rule != RuleId::DuplicateInstances)
        );
    }

    fn report(
        kind: LockKind,
        state: State,
        holder_pod: Option<HolderPod>,
        renew: &str,
    ) -> LockReport {
        let lock = LeaderLock {
            kind,
            renew_time: Some(renew.parse().unwrap()),
            ..LeaderLock::sample("ns", "l", Some("web-1"))
        };
        LockReport {
            lock,
            expiry: Expiry::Unknown,
            holder_pod,
            state,
            candidates: vec![],
        }
    }

    #[test]
    fn lease_rules_follow_the_lock_state() {
        let now = NOW.parse().unwrap();
        let empty = Objects::default();
        let gone = HolderPod::Gone {
            pod: "web-1".into(),
            owner: crate::k8s::WorkloadRef::new("ReplicaSet", "web-5d8f9c7b6"),
        };
        let unready = HolderPod::Found(PodSummary {
            name: "web-1".into(),
            ..Default::default()
        });
        let cases = [
            (
                report(
                    LockKind::Lease,
                    State::Held,
                    Some(HolderPod::Unmapped),
                    "2026-01-01T00:00:59Z",
                ),
                vec![],
            ),
            (
                report(
                    LockKind::Lease,
                    State::Orphaned,
                    Some(gone),
                    "2026-01-01T00:00:59Z",
                ),
                vec!["lease-orphaned"],
            ),
            (
                report(
                    LockKind::Lease,
                    State::Expired,
                    None,
                    "2026-01-01T00:00:00Z",
                ),
                vec!["lease-expired"],
            ),
            (
                report(
                    LockKind::Lease,
                    State::Unready,
                    Some(unready),
                    "2026-01-01T00:00:59Z",
                ),
                vec!["lease-holder-unready"],
            ),
            (
                report(LockKind::Lease, State::Held, None, "2026-01-01T00:01:30Z"),
                vec!["lease-clock-skew"],
            ),
            (
                report(
                    LockKind::ConfigMap,
                    State::Held,
                    None,
                    "2026-01-01T00:00:59Z",
                ),
                vec!["legacy-lock"],
            ),
        ];
        for (lock, expected) in cases {
            let state = lock.state;
            assert_eq!(
                ids(&check(&empty, &[], &[], &[lock], now)),
                expected,
                "{state:?}"
            );
        }
    }
}
