//! The prediction over hand-built objects: one case per thing `kubectl drain` meets.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, Node, Pod, PodCondition, PodSpec, PodStatus, PodTemplateSpec,
    Volume,
};
use k8s_openapi::api::policy::v1::{
    PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::budget::{Block, INTERNAL_ERROR, TOO_MANY_REQUESTS};
use super::pod::{Flag, Skip};
use super::*;
use crate::audit::classify::classify;
use crate::audit::objects::{Located, Objects};
use crate::lock::holder::{HolderPod, summarize};
use crate::lock::model::LeaderLock;

const NS: &str = "ns";

fn labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), app.to_string())])
}

fn node(name: &str) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A Ready, Running pod of `app` on `node`, owned by `owner` (`Kind/name`), if any.
fn pod(name: &str, app: &str, node: &str, owner: Option<&str>) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NS.into()),
            uid: Some(format!("uid-{name}")),
            labels: Some(labels(app)),
            owner_references: owner.map(|o| {
                let (kind, name) = o.split_once('/').unwrap();
                vec![OwnerReference {
                    kind: kind.into(),
                    name: name.into(),
                    controller: Some(true),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        },
        spec: Some(PodSpec {
            node_name: Some(node.into()),
            containers: vec![Container::default()],
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

fn unready(mut p: Pod) -> Pod {
    p.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].status = "False".into();
    p
}

/// A budget over `app` as the disruption controller reports it.
fn pdb(
    name: &str,
    app: &str,
    budget: PodDisruptionBudgetSpec,
    status: (i32, i32, i32, i32),
) -> PodDisruptionBudget {
    let (allowed, healthy, desired, expected) = status;
    PodDisruptionBudget {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NS.into()),
            generation: Some(1),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector {
                match_labels: Some(labels(app)),
                ..Default::default()
            }),
            ..budget
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

fn min_available(n: i32) -> PodDisruptionBudgetSpec {
    PodDisruptionBudgetSpec {
        min_available: Some(IntOrString::Int(n)),
        ..Default::default()
    }
}

fn max_unavailable(n: i32) -> PodDisruptionBudgetSpec {
    PodDisruptionBudgetSpec {
        max_unavailable: Some(IntOrString::Int(n)),
        ..Default::default()
    }
}

fn template(app: &str, annotations: &[(&str, &str)]) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(app)),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }),
        spec: Some(PodSpec::default()),
    }
}

fn strict_statefulset(name: &str) -> Located<StatefulSet> {
    Located {
        object: StatefulSet {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(NS.into()),
                ..Default::default()
            },
            spec: Some(StatefulSetSpec {
                replicas: Some(1),
                template: template(name, &[("kubectl-singleton/mode", "strict")]),
                ..Default::default()
            }),
            ..Default::default()
        },
        origin: None,
    }
}

fn deployment(name: &str, replicas: i32) -> Located<Deployment> {
    Located {
        object: Deployment {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(NS.into()),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                template: template(name, &[]),
                ..Default::default()
            }),
            ..Default::default()
        },
        origin: None,
    }
}

/// Predicts `nodes` in order over the given objects.
fn check(
    nodes: &[&str],
    pods: &[Pod],
    pdbs: &[PodDisruptionBudget],
    objects: &Objects,
    locks: &[LockReport],
    flags: &[Flag],
) -> Vec<NodeReport> {
    let nodes: Vec<Node> = nodes.iter().map(|n| node(n)).collect();
    let judged = classify(objects, false);
    predict(&Input {
        nodes: &nodes,
        pods,
        pdbs,
        judged: &judged,
        locks,
        flags,
    })
}

fn simple(pods: &[Pod], pdbs: &[PodDisruptionBudget]) -> NodeReport {
    check(&["a"], pods, pdbs, &Objects::default(), &[], &[]).remove(0)
}

#[test]
fn daemonset_and_mirror_pods_are_skipped() {
    let mut mirror = pod("etcd-a", "etcd", "a", Some("Node/a"));
    mirror.metadata.annotations = Some(BTreeMap::from([(
        "kubernetes.io/config.mirror".to_string(),
        "x".to_string(),
    )]));
    let r = simple(&[pod("ds-x", "ds", "a", Some("DaemonSet/ds")), mirror], &[]);
    assert!(r.drains());
    assert_eq!(r.pods[0].skipped, Some(Skip::DaemonSet));
    assert_eq!(r.pods[1].skipped, Some(Skip::Mirror));
    assert!(r.pods.iter().all(|p| p.eviction.is_none()));
}

#[test]
fn a_bare_pod_needs_force_and_emptydir_needs_its_flag() {
    let mut cache = pod("cache-1", "cache", "a", Some("ReplicaSet/cache-1"));
    cache.spec.as_mut().unwrap().volumes = Some(vec![Volume {
        name: "scratch".into(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }]);
    let pods = [pod("bare", "bare", "a", None), cache];
    let r = simple(&pods, &[]);
    assert_eq!(r.drainable, Drainable::NeedsFlags);
    assert_eq!(r.needs, vec![Flag::Force, Flag::DeleteEmptydirData]);
    assert!(
        r.why
            .as_deref()
            .unwrap()
            .contains("ns/bare has no controller")
    );
    // Given the flags, the node drains; finished bare pods never need them.
    let given = check(
        &["a"],
        &pods,
        &[],
        &Objects::default(),
        &[],
        &[Flag::Force, Flag::DeleteEmptydirData],
    );
    assert!(given[0].drains());
    let mut done = pod("job-x", "job", "a", None);
    done.status.as_mut().unwrap().phase = Some("Succeeded".into());
    assert!(simple(&[done], &[]).drains());
}

#[test]
fn a_budget_that_never_allows_blocks_forever_and_one_that_can_recover_blocks_for_now() {
    let forever = simple(
        &[pod("db-0", "db", "a", Some("StatefulSet/db"))],
        &[pdb("db", "db", min_available(1), (0, 1, 1, 1))],
    );
    assert_eq!(forever.drainable, Drainable::Blocked);
    let eviction = forever.pods[0].eviction.as_ref().unwrap();
    assert_eq!(eviction.code, TOO_MANY_REQUESTS);
    assert!(
        matches!(&eviction.block, Some(Block::NeverAllows { rule, .. }) if rule == "minAvailable 1 over 1 pod")
    );
    assert!(forever.why.unwrap().contains("never allows a disruption"));

    // minAvailable 2 of 3 with one pod down: blocked now, not forever.
    let now = simple(
        &[pod("web-1", "web", "a", Some("ReplicaSet/web-1"))],
        &[pdb("web", "web", min_available(2), (0, 2, 2, 3))],
    );
    assert!(matches!(
        now.pods[0].eviction.as_ref().unwrap().block,
        Some(Block::Exhausted {
            current_healthy: 2,
            desired_healthy: 2,
            ..
        })
    ));
}

#[test]
fn several_budgets_are_answered_500() {
    let r = simple(
        &[pod("web-1", "web", "a", Some("ReplicaSet/web-1"))],
        &[
            pdb("one", "web", max_unavailable(1), (1, 1, 0, 1)),
            pdb("two", "web", max_unavailable(1), (1, 1, 0, 1)),
        ],
    );
    let eviction = r.pods[0].eviction.as_ref().unwrap();
    assert_eq!(eviction.code, INTERNAL_ERROR);
    assert_eq!(eviction.budgets, vec!["ns/one", "ns/two"]);
    assert_eq!(r.drainable, Drainable::Blocked);
}

#[test]
fn an_unready_pod_is_blocked_under_if_healthy_budget_and_evicted_under_always_allow() {
    let p = unready(pod("web-1", "web", "a", Some("ReplicaSet/web-1")));
    let blocked = simple(
        std::slice::from_ref(&p),
        &[pdb("web", "web", max_unavailable(1), (0, 0, 0, 1))],
    );
    assert!(matches!(
        blocked.pods[0].eviction.as_ref().unwrap().block,
        Some(Block::UnhealthyPod { .. })
    ));
    let always = PodDisruptionBudgetSpec {
        unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
        ..max_unavailable(1)
    };
    assert!(simple(&[p], &[pdb("web", "web", always, (0, 0, 0, 1))]).drains());
}

#[test]
fn a_shared_budget_lets_the_first_node_go_and_the_next_wait_for_it() {
    let pods = [
        pod("web-a", "web", "a", Some("ReplicaSet/web-1")),
        pod("web-b", "web", "b", Some("ReplicaSet/web-1")),
    ];
    let pdbs = [pdb("web", "web", max_unavailable(1), (1, 2, 1, 2))];
    let r = check(&["a", "b"], &pods, &pdbs, &Objects::default(), &[], &[]);
    assert!(r[0].drains());
    assert_eq!(r[1].drainable, Drainable::Blocked);
    assert_eq!(r[1].waits_for, vec!["a"]);
    assert!(
        r[1].why
            .as_deref()
            .unwrap()
            .contains("once node a is drained")
    );
    // On its own, each pod's eviction is allowed now (what --server-dry-run compares).
    assert_eq!(r[1].pods[0].eviction.as_ref().unwrap().code, 201);
    // In the other order, b goes first.
    let r = check(&["b", "a"], &pods, &pdbs, &Objects::default(), &[], &[]);
    assert!(r[0].drains() && !r[1].drains());
}

#[test]
fn a_node_that_needs_a_flag_uses_no_budget() {
    let pods = [
        pod("bare", "bare", "a", None),
        pod("web-a", "web", "a", Some("ReplicaSet/web-1")),
        pod("web-b", "web", "b", Some("ReplicaSet/web-1")),
    ];
    let pdbs = [pdb("web", "web", max_unavailable(1), (1, 2, 1, 2))];
    let r = check(&["a", "b"], &pods, &pdbs, &Objects::default(), &[], &[]);
    assert_eq!(r[0].drainable, Drainable::NeedsFlags);
    assert!(r[1].drains());
}

#[test]
fn a_strict_singleton_is_down_until_rescheduled() {
    let objects = Objects {
        statefulsets: vec![strict_statefulset("ledger")],
        deployments: vec![deployment("web", 3)],
        ..Objects::default()
    };
    let mut ledger = pod("ledger-0", "ledger", "a", Some("StatefulSet/ledger"));
    ledger
        .spec
        .as_mut()
        .unwrap()
        .termination_grace_period_seconds = Some(60);
    let pods = [ledger, pod("web-x", "web", "a", None)];
    let r = check(&["a"], &pods, &[], &objects, &[], &[Flag::Force]);
    assert_eq!(r[0].singletons, 1);
    let outage = r[0].pods[0].singleton.as_ref().unwrap();
    assert!(outage.must_not_run_twice && outage.replacement_waits_for_stop);
    assert!(
        outage.words().contains("up to 60s grace"),
        "{}",
        outage.words()
    );
    assert!(r[0].pods[1].singleton.is_none());
}

#[test]
fn a_lease_holder_is_a_leader_with_its_handover_command() {
    let p = pod("worker-0", "worker", "a", Some("StatefulSet/worker"));
    let now = Timestamp::now();
    let lock = LeaderLock {
        renew_time: Some(now),
        ..LeaderLock::sample(NS, "worker-lock", Some("worker-0"))
    };
    let report = LockReport::judge(lock, Some(HolderPod::Found(summarize(&p))), vec![], now);
    let expired = LockReport::judge(
        LeaderLock {
            renew_time: Some(now - SignedDuration::from_secs(60)),
            ..LeaderLock::sample(NS, "old-lock", Some("worker-0"))
        },
        Some(HolderPod::Found(summarize(&p))),
        vec![],
        now,
    );
    let r = check(
        &["a"],
        &[p],
        &[],
        &Objects::default(),
        &[report, expired],
        &[],
    );
    assert_eq!(r[0].leaders, 1);
    let lead = &r[0].pods[0].leader;
    assert_eq!(lead.len(), 1);
    assert_eq!(
        lead[0].handover,
        "kubectl singleton release worker-lock -n ns --evict"
    );
    assert!(lead[0].words().contains("failover waits up to 15s"));
}

#[test]
fn named_nodes_keep_their_order_and_unknown_names_are_said() {
    let listed = vec![node("a"), node("b"), node("c")];
    let picked = select(listed.clone(), &["c".into(), "a".into()]).unwrap();
    let names: Vec<_> = picked
        .iter()
        .map(|n| n.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["c", "a"]);
    assert_eq!(select(listed.clone(), &["x".into()]).unwrap_err(), "x");
    assert_eq!(select(listed, &[]).unwrap().len(), 3);
}
