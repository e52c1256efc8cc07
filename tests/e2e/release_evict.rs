//! `release --evict`: the holder's pod is evicted through the Eviction API, so its
//! PodDisruptionBudgets are honoured, and a standby takes over without two leaders at once.

use serde_json::Value;

use crate::harness::{TestCluster, assert_exit, cluster, eventually, stderr, stdout};
use crate::release::{lease, resource_version};

/// After a refused eviction: the lease `lock` still has `before` as its resourceVersion and the
/// pod still exists.
fn assert_eviction_changed_nothing(c: &TestCluster, ns: &str, before: &Value, pod: &str) {
    assert_eq!(&resource_version(c, ns, "lock"), before);
    assert!(
        c.kubectl(&["get", "pod", pod, "-n", ns]).status.success(),
        "the pod was evicted"
    );
}

/// When each peer led, from its own event log: (started_leading, stopped leading or exit).
fn leadership(events: &[Value]) -> Option<(String, Option<String>)> {
    let start = events.iter().find(|e| e["event"] == "started_leading")?["time"]
        .as_str()?
        .to_string();
    let end = events
        .iter()
        .find(|e| e["event"] == "stopped_leading" || e["event"] == "exited")
        .and_then(|e| e["time"].as_str())
        .map(str::to_string);
    Some((start, end))
}

#[test]
fn evict_hands_over_without_two_leaders() {
    let c = cluster();
    let ns = c.namespace("release-evict");
    let pods = c.deployment(&ns, "consumer", 3);
    let timings = [
        "--lease-duration=15s",
        "--renew-deadline=10s",
        "--retry-period=2s",
        "--release-on-cancel=false",
    ];
    let mut peers: Vec<_> = pods
        .iter()
        .map(|p| c.peer(&ns, "consumer", p, &timings))
        .collect();
    assert!(
        eventually(30, || peers.iter().any(|p| p.has_event("started_leading"))),
        "no leader"
    );
    let holder = || {
        c.lease_json(&ns, "consumer")["spec"]["holderIdentity"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let old = holder();

    let out = c.singleton(&[
        "release", "consumer", "-n", &ns, "--evict", "-y", "--wait", "60s",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains(&format!("evicted pod {ns}/{old}")), "{text}");
    assert!(text.contains("new leader "), "{text}");
    let new = holder();
    assert_ne!(new, old);

    // The peers' own logs: the old leader stopped before the new one started.
    let old_peer = pods.iter().position(|p| *p == old).unwrap();
    assert!(
        eventually(10, || peers[old_peer].exited()),
        "the evicted peer never exited"
    );
    let (_, old_end) = leadership(&peers[old_peer].events()).unwrap();
    let old_end = old_end.expect("the old leader never stopped");
    let new_peer = pods.iter().position(|p| *p == new).unwrap();
    let (new_start, _) = leadership(&peers[new_peer].events()).unwrap();
    let parse = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
    assert!(
        parse(&old_end) <= parse(&new_start),
        "two leaders: old until {old_end}, new from {new_start}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn evict_blocked_by_a_pdb_names_it_and_changes_nothing() {
    let c = cluster();
    let ns = c.namespace("release-pdb");
    let pods = c.deployment(&ns, "single", 1);
    c.apply(&format!(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: single-guard, namespace: {ns}}}\nspec: {{minAvailable: 1, selector: {{matchLabels: {{app: single}}}}}}\n"
    ));
    let allowed = || {
        c.kubectl_ok(&[
            "get",
            "pdb",
            "single-guard",
            "-n",
            &ns,
            "-o",
            "jsonpath={.status.observedGeneration}",
        ])
    };
    assert!(
        eventually(30, || !allowed().is_empty()),
        "the disruption controller never saw the PDB"
    );
    lease(c, &ns, "lock", &pods[0]);
    let before = resource_version(c, &ns, "lock");
    let out = c.singleton(&["release", "lock", "-n", &ns, "--evict", "-y"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("blocked by PodDisruptionBudget single-guard"),
        "{}",
        stderr(&out)
    );
    assert_eviction_changed_nothing(c, &ns, &before, &pods[0]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn evict_under_overlapping_pdbs_reports_the_api_servers_500_in_one_line() {
    let c = cluster();
    let ns = c.namespace("release-overlap");
    let pods = c.deployment(&ns, "single", 1);
    for name in ["guard-a", "guard-b"] {
        c.apply(&format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: single}}}}}}\n"
        ));
    }
    lease(c, &ns, "lock", &pods[0]);
    let before = resource_version(c, &ns, "lock");
    let out = c.singleton(&["release", "lock", "-n", &ns, "--evict", "-y"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{}{err}", stdout(&out));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("more than one PodDisruptionBudget (guard-a, guard-b)")
            && err.contains("pdb-overlap"),
        "{err}"
    );
    assert_eviction_changed_nothing(c, &ns, &before, &pods[0]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
