//! The exporter's drain check (`singleton_node_drain_blocked`) and a lock Orphaned by a
//! Deployment scaled to zero (no pod of its ReplicaSet left), read back from a real Prometheus.
//! Each node here is a kwok node of this test's own, tainted so no other test's pods land there.

use crate::exporter::{Prometheus, query, start_exporter};
use crate::harness::{TestCluster, cluster, eventually};

const TOLERATE: &str = "tolerations: [{key: e2e-exporter-drain, operator: Exists}]";

fn node(ns: &str, name: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {ns}-{name}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok, kubernetes.io/hostname: {ns}-{name}}}\nspec:\n  taints: [{{key: e2e-exporter-drain, value: only, effect: NoSchedule}}]\nstatus:\n  allocatable: {{cpu: '32', memory: 256Gi, pods: '110'}}\n  capacity: {{cpu: '32', memory: 256Gi, pods: '110'}}\n"
    )
}

/// A Deployment of one pod of `app` placed on node `{ns}-{on}`, and a PDB over it.
fn guarded(ns: &str, app: &str, on: &str, budget: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      nodeName: {ns}-{on}\n      {TOLERATE}\n      terminationGracePeriodSeconds: 1\n      containers: [{{name: c, image: example.invalid/x:1}}]\n\
         ---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {app}, namespace: {ns}}}\nspec: {{{budget}, selector: {{matchLabels: {{app: {app}}}}}}}\n"
    )
}

/// The PDB as the disruption controller reports it: observed, and its disruptionsAllowed.
fn allowed(c: &TestCluster, ns: &str, name: &str) -> Option<i64> {
    let p: serde_json::Value =
        serde_json::from_str(&c.kubectl_ok(&["get", "pdb", name, "-n", ns, "-o", "json"])).ok()?;
    let status = &p["status"];
    let observed = status["observedGeneration"] == p["metadata"]["generation"]
        && status["expectedPods"].as_i64().unwrap_or(0) > 0;
    observed.then(|| status["disruptionsAllowed"].as_i64().unwrap_or(0))
}

fn pods_of(c: &TestCluster, ns: &str, app: &str) -> String {
    c.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        ns,
        "-l",
        &format!("app={app}"),
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ])
}

#[test]
fn prometheus_reads_a_blocked_node_and_a_lock_orphaned_with_no_pod_left() {
    let c = cluster();
    let ns = c.namespace("exporter-drain");
    c.apply(&format!("{}{}", node(&ns, "blocked"), node(&ns, "free")));
    // minAvailable 1 over the only pod: its eviction is refused forever. maxUnavailable 1: fine.
    c.apply(&guarded(&ns, "solo", "blocked", "minAvailable: 1"));
    c.apply(&guarded(&ns, "spare", "free", "maxUnavailable: 1"));
    assert!(
        eventually(60, || allowed(c, &ns, "solo") == Some(0)
            && allowed(c, &ns, "spare") == Some(1)),
        "the disruption controller never settled: solo {:?}, spare {:?}",
        allowed(c, &ns, "solo"),
        allowed(c, &ns, "spare")
    );

    // A lease held by the only pod of a Deployment that is then scaled to 0: its ReplicaSet
    // remains, with no pod, so the holder is gone and the lock Orphaned.
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: worker, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: worker}}}}\n  template:\n    metadata: {{labels: {{app: worker}}}}\n    spec:\n      nodeName: {ns}-free\n      {TOLERATE}\n      terminationGracePeriodSeconds: 1\n      containers: [{{name: c, image: example.invalid/w:1}}]\n"
    ));
    assert!(
        eventually(30, || !pods_of(c, &ns, "worker").is_empty()),
        "no worker pod"
    );
    let worker = pods_of(c, &ns, "worker");
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        .to_string();
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: worker-lock, namespace: {ns}}}\nspec: {{holderIdentity: '{worker}', leaseDurationSeconds: 300, renewTime: '{now}', acquireTime: '{now}'}}\n"
    ));
    c.kubectl_ok(&["scale", "deployment", "worker", "-n", &ns, "--replicas=0"]);
    assert!(
        eventually(60, || pods_of(c, &ns, "worker").is_empty()),
        "the worker pod never went away"
    );
    let status = c.singleton(&["status", "worker-lock", "-n", &ns, "-o", "json"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("\"Orphaned\""), "status itself: {text}");

    let (_exporter, addr) = start_exporter(&["--audit-interval", "1s"], None);
    let prometheus = Prometheus::scraping(&ns, addr);
    let blocked = |node: &str| {
        query(
            prometheus.addr,
            &format!("singleton_node_drain_blocked{{node=\"{ns}-{node}\"}}"),
        )
    };
    assert!(
        eventually(60, || query(
            prometheus.addr,
            &format!(
                "singleton_node_drain_blocked{{node=\"{ns}-blocked\",reason=\"never-allows\"}}"
            )
        ) == [1.0]),
        "Prometheus never read {ns}-blocked as blocked: {:?}; its log:\n{}",
        blocked("blocked"),
        prometheus.log()
    );
    assert_eq!(
        blocked("free"),
        Vec::<f64>::new(),
        "a node that drains has no series"
    );
    let orphaned = format!(
        "singleton_lock_state{{namespace=\"{ns}\",name=\"worker-lock\",kind=\"Lease\",state=\"Orphaned\"}}"
    );
    assert!(
        eventually(30, || query(prometheus.addr, &orphaned) == [1.0]),
        "Prometheus never read worker-lock as Orphaned: {:?}",
        query(
            prometheus.addr,
            &format!("singleton_lock_state{{namespace=\"{ns}\",name=\"worker-lock\"}} == 1")
        )
    );

    // The budget goes: the next audit finds the node drains, and its series leaves the scrape.
    c.kubectl_ok(&["delete", "pdb", "solo", "-n", &ns]);
    assert!(
        eventually(30, || blocked("blocked").is_empty()),
        "still blocked after the PDB was deleted: {:?}",
        blocked("blocked")
    );
    let _ = c.kubectl(&[
        "delete",
        "node",
        &format!("{ns}-blocked"),
        &format!("{ns}-free"),
    ]);
}
