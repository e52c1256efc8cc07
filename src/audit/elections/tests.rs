use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::*;
use crate::audit::catalog::Severity;
use crate::lock::holder::PodSummary;
use crate::lock::model::{LockKind, UNKNOWN_LEADER};

const NOW: &str = "2026-01-01T01:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn ago(secs: i64) -> Timestamp {
    now() - SignedDuration::from_secs(secs)
}

/// A lease renewed `renewed_ago` seconds ago (15 s duration), held by `holder`, whose pod is a
/// Ready pod of ReplicaSet `app-5d8f9c7b6` (Deployment `app`).
fn lease(name: &str, holder: Option<&str>, renewed_ago: i64) -> LockReport {
    let lock = LeaderLock {
        renew_time: Some(ago(renewed_ago)),
        created: Some(ago(3600)),
        ..LeaderLock::sample("ns", name, holder)
    };
    let pod = holder.map(|h| {
        HolderPod::Found(PodSummary {
            namespace: "ns".into(),
            name: h.into(),
            ready: true,
            workload: Some(WorkloadRef::new("Deployment", "app")),
            ..Default::default()
        })
    });
    LockReport::judge(lock, pod, vec![], now())
}

fn ready_pod(name: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            labels: Some(BTreeMap::from([(
                "pod-template-hash".to_string(),
                "5d8f9c7b6".to_string(),
            )])),
            owner_references: Some(vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: "app-5d8f9c7b6".into(),
                uid: "u".into(),
                controller: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        },
        spec: None,
        status: Some(PodStatus {
            phase: Some("Running".into()),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

fn run(locks: &[LockReport], pods: &[Pod], evidence: &Evidence) -> Vec<Finding> {
    check(&Inputs {
        locks,
        pods,
        evidence,
        now: now(),
    })
}

fn ids(findings: &[Finding]) -> Vec<(&str, &str)> {
    let mut ids: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule.as_str(), f.object.name.as_str()))
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_shard_without_a_leader_for_longer_than_its_duration_is_an_error() {
    let locks = [
        lease("b.0-of-3", Some("app-a"), 1),
        // Expired 5 s ago: a handover may still be under way.
        lease("b.1-of-3", Some("app-b"), 20),
        // Expired 45 s ago (> 15 s): nobody took it.
        lease("b.2-of-3", Some("app-b"), 60),
    ];
    let found = run(&locks, &[], &Evidence::default());
    assert_eq!(ids(&found), vec![("shard-leaderless", "b.2-of-3")]);
    let f = &found[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.message,
        "shard without a leader: its lease expired 45s ago, held by app-b, and no standby took it over"
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e == "family b.*-of-3: 1 of 3 shards led"),
        "{:?}",
        f.evidence
    );

    // A family nobody leads (a controller gone altogether, or a stale bucket count) is left to
    // the per-lease rules.
    let stale = [
        lease("old.0-of-2", Some("x"), 600),
        lease("old.1-of-2", Some("x"), 600),
    ];
    assert!(run(&stale, &[], &Evidence::default()).is_empty());
}

#[test]
fn a_released_shard_gets_a_standby_grace_of_fifteen_seconds() {
    let released = |renewed_ago| {
        let mut r = lease("s-1", None, renewed_ago);
        r.lock.lease_duration = Some(SignedDuration::from_secs(1));
        r
    };
    let led = lease("s-0", Some("app-a"), 1);
    assert!(run(&[led.clone(), released(10)], &[], &Evidence::default()).is_empty());
    assert_eq!(
        ids(&run(&[led, released(20)], &[], &Evidence::default())),
        vec![("shard-leaderless", "s-1")]
    );
}

#[test]
fn a_missing_bucket_of_a_known_total_is_a_warning() {
    let locks = [
        lease("b.0-of-3", Some("app-a"), 1),
        lease("b.2-of-3", Some("app-a"), 1),
    ];
    let found = run(&locks, &[], &Evidence::default());
    assert_eq!(ids(&found), vec![("shard-missing", "b.*-of-3")]);
    assert!(found[0].message.contains("b.1-of-3"));
    assert_eq!(found[0].severity, Severity::Warning);
}

#[test]
fn a_hotspot_needs_other_ready_candidates() {
    let locks: Vec<LockReport> = (0..4)
        .map(|i| lease(&format!("b.{i}-of-4"), Some("app-a"), 1))
        .collect();
    // Only one pod: nobody else could lead.
    assert!(run(&locks, &[ready_pod("app-a")], &Evidence::default()).is_empty());
    let three = [ready_pod("app-a"), ready_pod("app-b"), ready_pod("app-c")];
    let found = run(&locks, &three, &Evidence::default());
    assert_eq!(ids(&found), vec![("shard-hotspot", "b.*-of-4")]);
    assert!(
        found[0]
            .message
            .contains("app-a leads 4 of 4 shards while 3 candidates"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .evidence
            .iter()
            .any(|e| e == "Deployment/app has 3 Ready pods")
    );

    // Three of four on one pod is within reach of a fair share of two.
    let mut spread = locks.clone();
    spread[3] = lease("b.3-of-4", Some("app-b"), 1);
    assert!(run(&spread, &three, &Evidence::default()).is_empty());
}

#[test]
fn a_legacy_lock_split_needs_two_live_different_holders() {
    let legacy = |holder: &str, renewed_ago: i64| {
        let mut r = lease("ctrl", Some(holder), renewed_ago);
        r.lock.kind = LockKind::ConfigMap;
        LockReport::judge(r.lock, None, vec![], now())
    };
    let new = lease("ctrl", Some("app-a"), 1);
    let found = run(
        &[new.clone(), legacy("app-b", 1)],
        &[],
        &Evidence::default(),
    );
    assert_eq!(ids(&found), vec![("legacy-lock-split", "ctrl")]);
    assert_eq!(found[0].severity, Severity::Error);
    assert_eq!(found[0].object.kind, "Lease");
    // Same holder (the multilock at work), one side expired, or the multilock's unknown marker.
    assert!(
        run(
            &[new.clone(), legacy("app-a", 1)],
            &[],
            &Evidence::default()
        )
        .is_empty()
    );
    assert!(
        run(
            &[new.clone(), legacy("app-b", 60)],
            &[],
            &Evidence::default()
        )
        .is_empty()
    );
    assert!(run(&[new, legacy(UNKNOWN_LEADER, 1)], &[], &Evidence::default()).is_empty());
}

#[test]
fn churn_is_a_rate_over_the_lease_life_not_a_young_lease_count() {
    let with = |transitions: i32, life_secs: i64| {
        let mut r = lease("l", Some("app-a"), 1);
        r.lock.transitions = Some(transitions);
        r.lock.created = Some(ago(life_secs));
        r
    };
    // 40 transitions in an hour of life: 40 per hour.
    let found = run(&[with(40, 3600)], &[], &Evidence::default());
    assert_eq!(ids(&found), vec![("leader-churn", "l")]);
    assert!(
        found[0].message.contains("40.0 per hour"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("in 1h of life"),
        "{}",
        found[0].message
    );
    // A young lease with a couple of transitions, an old one with many, and the boundary.
    assert!(run(&[with(2, 60)], &[], &Evidence::default()).is_empty());
    assert!(run(&[with(9, 60)], &[], &Evidence::default()).is_empty());
    assert!(run(&[with(400, 365 * 24 * 3600)], &[], &Evidence::default()).is_empty());
    assert!(run(&[with(12, 2 * 3600)], &[], &Evidence::default()).is_empty());
    assert_eq!(
        run(&[with(13, 2 * 3600)], &[], &Evidence::default()).len(),
        1
    );
}

#[test]
fn a_preferred_holder_must_be_a_candidate_when_candidates_were_read() {
    let coordinated = |candidates: &[&str]| {
        let mut r = lease("kcm", Some("a"), 1);
        r.lock.strategy = Some("OldestEmulationVersion".into());
        r.lock.preferred_holder = Some("b".into());
        r.candidates = candidates.iter().map(|c| c.to_string()).collect();
        r
    };
    let read = Evidence {
        candidates_read: true,
        ..Evidence::default()
    };
    let found = run(&[coordinated(&["a"])], &[], &read);
    assert_eq!(ids(&found), vec![("preferred-holder-gone", "kcm")]);
    assert!(
        found[0]
            .evidence
            .contains(&"LeaseCandidates for kcm: a".to_string())
    );
    assert!(run(&[coordinated(&["a", "b"])], &[], &read).is_empty());
    // Candidates withheld by RBAC: nothing can be said.
    assert!(run(&[coordinated(&[])], &[], &Evidence::default()).is_empty());

    // A candidate whose pod is gone while its ReplicaSet runs others.
    let mut to_pod = coordinated(&["a", "app-5d8f9c7b6-zzzzz"]);
    to_pod.lock.preferred_holder = Some("app-5d8f9c7b6-zzzzz".into());
    let found = run(
        &[to_pod.clone()],
        &[ready_pod("app-5d8f9c7b6-bbbbb")],
        &read,
    );
    assert_eq!(ids(&found), vec![("preferred-holder-gone", "kcm")]);
    assert!(
        found[0].evidence.contains(
            &"no pod app-5d8f9c7b6-zzzzz in ns; ReplicaSet/app-5d8f9c7b6 runs other pods"
                .to_string()
        ),
        "{:?}",
        found[0].evidence
    );
    // Its pod is there, or nothing says the identity is a pod's (a node's hostname_uuid).
    assert!(
        run(
            &[to_pod.clone()],
            &[ready_pod("app-5d8f9c7b6-zzzzz")],
            &read
        )
        .is_empty()
    );
    assert!(run(&[to_pod], &[], &read).is_empty());
}

#[test]
fn a_denied_update_is_an_error_on_the_workload_with_the_review_as_evidence() {
    let evidence = Evidence {
        candidates_read: true,
        denied: vec![DeniedUpdate {
            lease: ObjectRef {
                kind: "Lease".into(),
                namespace: "ns".into(),
                name: "ctrl".into(),
            },
            pod: "app-a".into(),
            workload: Some(WorkloadRef::new("Deployment", "app")),
            service_account: "app".into(),
            reason: None,
        }],
    };
    let found = run(&[], &[], &evidence);
    assert_eq!(ids(&found), vec![("lease-rbac-denied", "app")]);
    assert_eq!(found[0].object.kind, "Deployment");
    assert!(found[0].evidence.iter().any(|e| e.starts_with(
        "SubjectAccessReview: system:serviceaccount:ns:app may not update leases/ctrl"
    )));
}

#[test]
fn numbered_names_are_shards_only_when_one_workload_holds_them() {
    let held_by = |name: &str, renewed_ago: i64, workload: &str| {
        let mut r = lease(name, Some(&format!("{workload}-0")), renewed_ago);
        if let Some(HolderPod::Found(pod)) = &mut r.holder_pod {
            pod.workload = Some(WorkloadRef::new("StatefulSet", workload));
        }
        r
    };
    // Two apps that happen to be called web-1 and web-2: the expired one is lease-expired's.
    let apps = [held_by("web-1", 1, "web-a"), held_by("web-2", 60, "web-b")];
    assert!(run(&apps, &[], &Evidence::default()).is_empty());
    // One StatefulSet leading both: a shard without a leader.
    let shards = [held_by("web-1", 1, "web"), held_by("web-2", 60, "web")];
    assert_eq!(
        ids(&run(&shards, &[], &Evidence::default())),
        vec![("shard-leaderless", "web-2")]
    );
}
