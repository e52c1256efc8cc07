//! Lease families of elected shards and the election-health audit rules, against real
//! client-go peers (tests/cluster/lepeer) running Knative-style bucket elections.

use serde_json::Value;

use crate::harness::{KillOnDrop, Peer, TestCluster, cluster, eventually, stderr, stdout};

/// Short leases, so expiry and takeover happen within seconds.
const TIMINGS: [&str; 3] = [
    "--lease-duration=3s",
    "--renew-deadline=2s",
    "--retry-period=500ms",
];

fn families(c: &TestCluster, ns: &str) -> Value {
    let out = c.singleton(&["status", "--shards", "-n", ns, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// `status --shards -o json` as documented in docs/shards.schema.json.
fn assert_valid(doc: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/shards.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc}");
}

/// The family's item, or Null.
fn family(c: &TestCluster, ns: &str, name: &str) -> Value {
    families(c, ns)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// (rule, object name) of every audit finding in `ns`.
fn findings(c: &TestCluster, ns: &str) -> Vec<Value> {
    let out = c.singleton(&["audit", "-n", ns, "-o", "json"]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

fn has(findings: &[Value], rule: &str, object: &str) -> bool {
    findings
        .iter()
        .any(|f| f["rule"] == rule && f["object"]["name"] == object)
}

fn deployment(c: &TestCluster, ns: &str, name: &str, replicas: u32, extra_spec: &str) {
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]{extra_spec}}}\n"
    ));
}

fn bucket_peer(c: &TestCluster, ns: &str, pod: &str, indexes: &str, extra: &[&str]) -> Peer {
    let mut args: Vec<&str> = TIMINGS.to_vec();
    args.extend(["--buckets", "4"]);
    if !indexes.is_empty() {
        args.extend(["--bucket-indexes", indexes]);
    }
    args.extend_from_slice(extra);
    c.peer(ns, "bucket", pod, &args)
}

#[test]
fn buckets_across_peers_leaderless_then_taken_over_then_all_on_one_peer() {
    let c = cluster();
    let ns = c.namespace("shards");
    deployment(c, &ns, "worker", 3, "");
    assert!(eventually(60, || c.running_pods(&ns, "app=worker").len() == 3));
    let pods = c.running_pods(&ns, "app=worker");
    let (p0, p1, p2) = (&pods[0], &pods[1], &pods[2]);
    // 4 buckets across 3 peers; the first one's pod, when deleted, leaves its leases held.
    let mut a = bucket_peer(c, &ns, p0, "0,1", &["--release-on-cancel=false"]);
    let mut b = bucket_peer(c, &ns, p1, "2", &[]);
    let mut cc = bucket_peer(c, &ns, p2, "3", &[]);
    assert!(
        eventually(30, || family(c, &ns, "bucket.*-of-4")["led"] == 4),
        "{}",
        families(c, &ns)
    );
    let table = stdout(&c.singleton(&["status", "--shards", "-n", &ns]));
    assert!(
        table.contains("bucket.*-of-4") && table.contains("4/4") && table.contains("Healthy"),
        "{table}"
    );
    assert!(
        !findings(c, &ns)
            .iter()
            .any(|f| f["rule"].as_str().unwrap().starts_with("shard-")),
        "a healthy family has no shard findings"
    );

    // Follow the family while a pod dies.
    let log = std::env::temp_dir().join(format!("shards-watch-{ns}.log"));
    let mut watch = KillOnDrop(
        c.singleton_command(&["status", "--shards", "-n", &ns, "-w"])
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );

    c.kubectl_ok(&["delete", "pod", p0, "-n", &ns, "--wait=false"]);
    assert!(eventually(30, || a.exited()), "{:?}", a.events());
    assert!(
        eventually(30, || {
            let found = findings(c, &ns);
            has(&found, "shard-leaderless", "bucket.0-of-4")
                && has(&found, "shard-leaderless", "bucket.1-of-4")
        }),
        "{:?}",
        findings(c, &ns)
    );
    assert_valid(&families(c, &ns));
    let degraded = family(c, &ns, "bucket.*-of-4");
    assert_eq!(degraded["state"], "Degraded", "{degraded}");
    assert_eq!(degraded["led"], 2, "{degraded}");
    let leaderless = findings(c, &ns);
    let one = leaderless
        .iter()
        .find(|f| f["rule"] == "shard-leaderless")
        .unwrap();
    assert_eq!(one["severity"], "error");
    assert!(
        one["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "family bucket.*-of-4: 2 of 4 shards led"),
        "{one}"
    );

    // The replacement pod's peer takes the two buckets: the finding clears.
    assert!(eventually(60, || c.running_pods(&ns, "app=worker").len() == 3));
    let p3 = c
        .running_pods(&ns, "app=worker")
        .into_iter()
        .find(|p| p != p1 && p != p2)
        .unwrap();
    let mut d = bucket_peer(c, &ns, &p3, "0,1", &[]);
    assert!(
        eventually(30, || family(c, &ns, "bucket.*-of-4")["led"] == 4),
        "{}",
        families(c, &ns)
    );
    assert!(
        !findings(c, &ns)
            .iter()
            .any(|f| f["rule"] == "shard-leaderless"),
        "{:?}",
        findings(c, &ns)
    );
    watch.stop();
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(
        lines.contains(&format!("shard bucket.0-of-4: no leader (was {p0})"))
            && lines.contains(&format!("shard bucket.0-of-4: led by {p3}")),
        "{lines}"
    );

    // Every bucket on one peer while three pods are Ready: a hotspot.
    b.kill();
    cc.kill();
    d.kill();
    let _all = bucket_peer(c, &ns, &p3, "", &[]);
    assert!(
        eventually(30, || family(c, &ns, "bucket.*-of-4")["mostPerHolder"] == 4),
        "{}",
        families(c, &ns)
    );
    let found = findings(c, &ns);
    let hotspot = found
        .iter()
        .find(|f| f["rule"] == "shard-hotspot")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(hotspot["severity"], "warning");
    assert_eq!(hotspot["object"]["name"], "bucket.*-of-4");
    assert!(
        hotspot["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{p3} leads 4 of 4 shards while 3 candidates")),
        "{hotspot}"
    );
    let detail = stdout(&c.singleton(&["status", "--shards", "bucket", "-n", &ns]));
    assert!(
        detail.contains("Shards:    4 of 4 led") && detail.contains(&format!("{p3} (4)")),
        "{detail}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn a_workload_that_may_not_update_its_lease_is_reported_with_the_review() {
    let c = cluster();
    let ns = c.namespace("lease-rbac");
    c.kubectl_ok(&["create", "serviceaccount", "elector", "-n", &ns]);
    c.kubectl_ok(&[
        "create",
        "role",
        "elector",
        "-n",
        &ns,
        "--verb=get,list,watch,create",
        "--resource=leases.coordination.k8s.io",
    ]);
    c.kubectl_ok(&[
        "create",
        "rolebinding",
        "elector",
        "-n",
        &ns,
        "--role=elector",
        &format!("--serviceaccount={ns}:elector"),
    ]);
    deployment(c, &ns, "elector", 1, ", serviceAccountName: elector");
    assert!(eventually(60, || c.running_pods(&ns, "app=elector").len() == 1));
    let pod = c.running_pods(&ns, "app=elector").remove(0);
    // The peer runs with exactly the ServiceAccount's RBAC: it creates the lease, then cannot renew.
    let user = format!("system:serviceaccount:{ns}:elector");
    let peer = c.peer(
        &ns,
        "elector-lock",
        &pod,
        &[
            "--lease-duration=2s",
            "--renew-deadline=1s",
            "--retry-period=300ms",
            "--pod=",
            "--as",
            &user,
        ],
    );
    assert!(
        eventually(30, || peer.has_event("started_leading")),
        "{:?}",
        peer.events()
    );
    assert!(
        eventually(30, || has(
            &findings(c, &ns),
            "lease-rbac-denied",
            "elector"
        )),
        "{:?}",
        findings(c, &ns)
    );
    let found = findings(c, &ns);
    let denied = found
        .iter()
        .find(|f| f["rule"] == "lease-rbac-denied")
        .unwrap();
    assert_eq!(denied["severity"], "error");
    assert_eq!(denied["object"]["kind"], "Deployment");
    let evidence: Vec<&str> = denied["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(
            &format!("SubjectAccessReview: {user} may not update leases/elector-lock in {ns}")
                .as_str()
        ),
        "{evidence:?}"
    );

    // Granted update, the peer renews again and the finding is gone.
    c.kubectl_ok(&[
        "create",
        "role",
        "elector-update",
        "-n",
        &ns,
        "--verb=update",
        "--resource=leases.coordination.k8s.io",
    ]);
    c.kubectl_ok(&[
        "create",
        "rolebinding",
        "elector-update",
        "-n",
        &ns,
        "--role=elector-update",
        &format!("--serviceaccount={ns}:elector"),
    ]);
    assert!(
        eventually(30, || !has(
            &findings(c, &ns),
            "lease-rbac-denied",
            "elector"
        )),
        "{:?}",
        findings(c, &ns)
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn split_legacy_lock_churn_and_a_gone_preferred_holder() {
    let c = cluster();
    let ns = c.namespace("election-health");
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ");
    let lease = |name: &str, holder: &str, extra: &str| {
        format!(
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{holderIdentity: {holder}, leaseDurationSeconds: 300, renewTime: '{now}'{extra}}}\n---\n"
        )
    };
    let configmap_lock = |name: &str, holder: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: '{{\"holderIdentity\":\"{holder}\",\"leaseDurationSeconds\":300,\"renewTime\":\"{now}\",\"leaderTransitions\":1}}'\n---\n"
        )
    };
    c.apply(
        &[
            // A MultiLock migration with a skipped step: two live holders.
            lease("migrating", "new-0", ""),
            configmap_lock("migrating", "old-0"),
            // The multilock at work: both locks name one holder.
            lease("migrated", "same-0", ""),
            configmap_lock("migrated", "same-0"),
            lease("churning", "a-0", ", leaseTransitions: 40"),
            lease("steady", "a-0", ", leaseTransitions: 2"),
            lease(
                "coordinated",
                "peer-a",
                ", strategy: OldestEmulationVersion, preferredHolder: peer-gone",
            ),
        ]
        .concat(),
    );
    let found = findings(c, &ns);
    let rules: Vec<(&str, &str)> = found
        .iter()
        .filter(|f| f["rule"] != "legacy-lock")
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("legacy-lock-split", "migrating")),
        "{rules:?}"
    );
    assert!(rules.contains(&("leader-churn", "churning")), "{rules:?}");
    assert!(
        rules.contains(&("preferred-holder-gone", "coordinated")),
        "{rules:?}"
    );
    assert_eq!(rules.len(), 3, "{rules:?}");
    let by = |rule: &str| found.iter().find(|f| f["rule"] == rule).unwrap();
    assert_eq!(by("legacy-lock-split")["severity"], "error");
    assert_eq!(by("leader-churn")["severity"], "warning");
    assert!(
        by("leader-churn")["message"]
            .as_str()
            .unwrap()
            .contains("per hour"),
        "{}",
        by("leader-churn")
    );
    assert_eq!(by("preferred-holder-gone")["severity"], "warning");
    assert!(
        by("preferred-holder-gone")["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "LeaseCandidates for coordinated: none"),
        "{}",
        by("preferred-holder-gone")
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
