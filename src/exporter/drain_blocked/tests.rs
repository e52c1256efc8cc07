//! drain-check's judgement over hand-built cached objects: which nodes are blocked, and why.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, PodCondition, PodSpec, PodStatus, Volume};
use k8s_openapi::api::policy::v1::{PodDisruptionBudgetSpec, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;

fn labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), app.to_string())])
}

/// A Ready pod of `app` on `node`, owned by a ReplicaSet unless `bare`.
fn pod(name: &str, app: &str, node: &str, bare: bool) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            labels: Some(labels(app)),
            owner_references: (!bare).then(|| {
                vec![OwnerReference {
                    kind: "ReplicaSet".into(),
                    name: format!("{app}-5d8f9c7b6"),
                    controller: Some(true),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        },
        spec: Some(PodSpec {
            node_name: Some(node.into()),
            volumes: bare.then(|| {
                vec![Volume {
                    name: "scratch".into(),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }),
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

/// A budget over `app`: `min_available`, and the controller's `(allowed, healthy, desired,
/// expected)`.
fn pdb(app: &str, min_available: i32, status: (i32, i32, i32, i32)) -> PodDisruptionBudget {
    let (allowed, healthy, desired, expected) = status;
    PodDisruptionBudget {
        metadata: ObjectMeta {
            name: Some(app.into()),
            namespace: Some("ns".into()),
            generation: Some(1),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(min_available)),
            selector: Some(LabelSelector {
                match_labels: Some(labels(app)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(PodDisruptionBudgetStatus {
            disruptions_allowed: allowed,
            current_healthy: healthy,
            desired_healthy: desired,
            expected_pods: expected,
            observed_generation: Some(1),
            ..Default::default()
        }),
    }
}

fn nodes(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_string()).collect()
}

#[test]
fn blocked_nodes_and_their_worst_reason() {
    let pods = vec![
        // minAvailable 1 over its only pod: never.
        pod("solo-1", "solo", "node-a", false),
        // Allowed 1: drains.
        pod("web-1", "web", "node-b", false),
        // Two pods of one budget that allows 1 on one node: kubectl evicts them one after the
        // other (the second once the first is Ready elsewhere), so the drain gets through.
        pod("pair-1", "pair", "node-c", false),
        pod("pair-2", "pair", "node-c", false),
        // A bare pod with emptyDir: kubectl wants flags, which are assumed; it drains.
        pod("bare", "bare", "node-d", true),
        // Budget at 0 now but not forever (3 wanted of 4 expected, 3 healthy).
        pod("busy-1", "busy", "node-f", false),
        // Another pair pod on its own node: judged alone, node-c's evictions do not count.
        pod("pair-3", "pair", "node-g", false),
    ];
    let pdbs = vec![
        pdb("solo", 1, (0, 1, 1, 1)),
        pdb("web", 1, (1, 2, 1, 2)),
        pdb("pair", 2, (1, 3, 2, 3)),
        pdb("busy", 3, (0, 3, 3, 4)),
    ];
    let all = nodes(&[
        "node-a", "node-b", "node-c", "node-d", "node-e", "node-f", "node-g",
    ]);
    let blocked = judge(&all, pods, &pdbs, &[]);
    let got: Vec<(&str, &str)> = blocked
        .iter()
        .map(|b| (b.node.as_str(), b.reason))
        .collect();
    assert_eq!(got, [("node-a", "never-allows"), ("node-f", "exhausted"),]);
}

#[test]
fn several_budgets_and_a_node_not_cached_are_handled() {
    let pods = vec![
        pod("dup-1", "dup", "node-a", false),
        pod("ghost-1", "solo", "not-a-cached-node", false),
    ];
    let mut second = pdb("dup", 1, (1, 2, 1, 2));
    second.metadata.name = Some("dup-again".into());
    let pdbs = vec![
        pdb("dup", 1, (1, 2, 1, 2)),
        second,
        pdb("solo", 1, (0, 1, 1, 1)),
    ];
    let blocked = judge(&nodes(&["node-a"]), pods, &pdbs, &[]);
    assert_eq!(
        blocked,
        [Blocked {
            node: "node-a".into(),
            reason: "several-budgets"
        }]
    );
}

#[test]
fn only_blocked_nodes_have_series_and_the_checked_count_says_how_many_were_judged() {
    let fams = families(
        &[Blocked {
            node: "node-a".into(),
            reason: "never-allows",
        }],
        Some(2000),
    );
    assert_eq!(fams[0].name, "singleton_node_drain_blocked");
    assert_eq!(fams[0].samples.len(), 1);
    assert_eq!(
        fams[0].samples[0].labels,
        [
            ("node", "node-a".to_string()),
            ("reason", "never-allows".to_string())
        ]
    );
    assert_eq!(fams[1].samples[0].value, 2000.0);
    assert!(families(&[], None)[1].samples.is_empty());
}
