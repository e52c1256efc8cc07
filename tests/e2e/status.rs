use serde_json::Value;

use crate::harness::{TestCluster, cluster, eventually, now_micro, stderr, stdout};

/// Holder of every lease in `kubectl get lease -o json` output, by name.
fn holders(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["metadata"]["name"].as_str().unwrap().to_string(),
                item["spec"]["holderIdentity"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn status_through_kubectl_lists_the_control_plane_leaders() {
    let c = cluster();
    let out = c.kubectl(&["singleton", "status", "-A", "-o", "json"]);
    assert!(
        out.status.success(),
        "kubectl singleton failed: {}",
        stderr(&out)
    );
    let ours: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let theirs: Value =
        serde_json::from_str(&c.kubectl_ok(&["get", "lease", "-n", "kube-system", "-o", "json"]))
            .unwrap();
    assert_eq!(ours["kind"], "LockList");

    for component in ["kube-controller-manager", "kube-scheduler"] {
        let item = ours["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["namespace"] == "kube-system" && i["name"] == component)
            .unwrap_or_else(|| panic!("{component} lease missing from {ours}"));
        let (_, expected) = holders(&theirs)
            .into_iter()
            .find(|(name, _)| name == component)
            .unwrap();
        assert!(!expected.is_empty(), "{component} has no leader yet");
        assert_eq!(item["holderIdentity"], expected.as_str(), "{component}");
        assert_eq!(item["expiry"], "Live", "{component}: {item}");
        // Their identities are `<hostname>_<uuid>` of a process, not of a pod: unmapped, still Held.
        assert_eq!(item["state"], "Held", "{component}: {item}");
        assert_eq!(item["holderPodStatus"], "Unmapped", "{component}: {item}");
    }
    // Node heartbeats are not leader election: hidden unless asked for.
    let items = ours["items"].as_array().unwrap();
    assert!(
        items.iter().all(|i| i["namespace"] != "kube-node-lease"),
        "{ours}"
    );
    let all = c.singleton(&["status", "-A", "--all-leases", "-o", "json"]);
    let all: Value = serde_json::from_str(&stdout(&all)).unwrap();
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["namespace"] == "kube-node-lease")
    );
}

#[test]
fn status_table_shows_holder_and_expiry_in_words() {
    let c = cluster();
    let out = c.singleton(&["status", "-n", "kube-system", "--no-color"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("NAME"), "{text}");
    for column in ["HOLDER", "RENEWED", "EXPIRES", "TRANSITIONS", "AGE"] {
        assert!(header.contains(column), "{column} missing: {header}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("kube-scheduler "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(" ago") && row.contains(" in "), "{row}");
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn a_client_go_peer_takes_over_when_the_leaders_pod_is_deleted() {
    let c = cluster();
    let ns = c.namespace("handover");
    for pod in ["peer-a", "peer-b"] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {pod}, namespace: {ns}}}\nspec:\n  containers: [{{name: c, image: example.invalid/x:1}}]\n"
        ));
    }
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
    ];
    let mut a = c.peer(&ns, "worker", "peer-a", &timings);
    assert!(
        eventually(30, || a.has_event("started_leading")),
        "peer-a never led: {:?}",
        a.events()
    );
    let _b = c.peer(&ns, "worker", "peer-b", &timings);

    let holder = |c: &crate::harness::TestCluster| -> String {
        let out = c.singleton(&["status", "worker", "-n", &ns, "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        doc["items"][0]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(holder(c), "peer-a");

    // Deleting the leader's pod stands in for the kubelet's SIGTERM: the peer releases and exits.
    c.kubectl_ok(&["delete", "pod", "peer-a", "-n", &ns, "--wait=false"]);
    assert!(
        eventually(30, || a.exited()),
        "peer-a did not exit: {:?}",
        a.events()
    );
    assert!(
        eventually(30, || holder(c) == "peer-b"),
        "peer-b never took over; holder {:?}",
        holder(c)
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn impersonating_a_user_without_rbac_is_refused_in_one_line() {
    let c = cluster();
    let out = c.singleton(&[
        "status",
        "-A",
        "--as",
        "system:serviceaccount:default:nobody",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot list leases at cluster scope (forbidden)"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_missing_lease_is_not_found_with_exit_3() {
    let c = cluster();
    let out = c.singleton(&["status", "no-such-lease", "-n", "kube-system"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out)
            .contains("no leader-election lock named \"no-such-lease\" in namespace kube-system"),
        "{}",
        stderr(&out)
    );
}

/// The lock of `name` in `ns` from `status -o json`.
fn lock_json(c: &TestCluster, ns: &str, name: &str) -> Value {
    let out = c.singleton(&["status", "-n", ns, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

fn lease_yaml(ns: &str, name: &str, holder: &str, duration: u32) -> String {
    format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  holderIdentity: '{holder}'\n  leaseDurationSeconds: {duration}\n  renewTime: '{now}'\n  acquireTime: '{now}'\n  leaseTransitions: 1\n",
        now = now_micro()
    )
}

fn pod_yaml(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  containers: [{{name: c, image: example.invalid/x:1}}]\n"
    )
}

#[test]
fn sigkilled_leader_shows_expired_then_the_standby_takes_over() {
    let c = cluster();
    let ns = c.namespace("expiry");
    c.apply(&pod_yaml(&ns, "leader-pod"));
    c.apply(&pod_yaml(&ns, "standby-pod"));
    let mut leader = c.peer(
        &ns,
        "jobs",
        "leader-pod",
        &[
            "--lease-duration=3s",
            "--renew-deadline=2s",
            "--retry-period=500ms",
        ],
    );
    assert!(
        eventually(30, || leader.has_event("started_leading")),
        "{:?}",
        leader.events()
    );
    // A slow standby (retry ~5s) leaves a visible window in which nobody leads.
    let standby = c.peer(
        &ns,
        "jobs",
        "standby-pod",
        &[
            "--lease-duration=15s",
            "--renew-deadline=10s",
            "--retry-period=5s",
        ],
    );
    let before = lock_json(c, &ns, "jobs");
    assert_eq!(before["state"], "Held", "{before}");
    assert_eq!(before["holderPod"]["name"], "leader-pod", "{before}");
    assert_eq!(before["holderPod"]["ready"], true, "{before}");
    let transitions = before["leaseTransitions"].as_i64().unwrap();

    leader.kill();
    assert!(
        eventually(20, || lock_json(c, &ns, "jobs")["state"] == "Expired"),
        "never Expired: {}",
        lock_json(c, &ns, "jobs")
    );
    assert!(
        eventually(30, || lock_json(c, &ns, "jobs")["holderIdentity"]
            == "standby-pod"),
        "{:?}",
        standby.events()
    );
    let after = lock_json(c, &ns, "jobs");
    assert_eq!(after["state"], "Held", "{after}");
    assert_eq!(
        after["leaseTransitions"].as_i64().unwrap(),
        transitions + 1,
        "{after}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn orphaned_unready_released_and_legacy_locks() {
    let c = cluster();
    let ns = c.namespace("states");
    // Orphaned: the holder was a pod of a ReplicaSet that still exists.
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: worker, namespace: {ns}}}\nspec:\n  replicas: 1\n  strategy: {{type: Recreate}}\n  selector: {{matchLabels: {{app: worker}}}}\n  template:\n    metadata: {{labels: {{app: worker}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/w:1}}]}}\n"
    ));
    let first_pod = || {
        c.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            &ns,
            "-l",
            "app=worker",
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ])
    };
    assert!(eventually(30, || !first_pod().is_empty()), "no worker pod");
    let worker = first_pod();
    c.apply(&lease_yaml(&ns, "worker-lock", &worker, 300));
    let held = lock_json(c, &ns, "worker-lock");
    assert_eq!(held["state"], "Held", "{held}");
    assert_eq!(held["holderPod"]["workload"], "Deployment/worker", "{held}");
    c.kubectl_ok(&[
        "delete",
        "pod",
        &worker,
        "-n",
        &ns,
        "--wait=true",
        "--timeout=60s",
    ]);
    let orphaned = lock_json(c, &ns, "worker-lock");
    assert_eq!(orphaned["state"], "Orphaned", "{orphaned}");
    assert_eq!(orphaned["holderPodStatus"], "Gone", "{orphaned}");
    assert!(
        orphaned["holderPod"]["owner"]
            .as_str()
            .unwrap()
            .starts_with("ReplicaSet/worker-"),
        "{orphaned}"
    );

    // Unready: the holder pod exists but is not Ready.
    c.apply(&pod_yaml(&ns, "zombie"));
    assert!(
        eventually(30, || c.pod_ready(&ns, "zombie")),
        "zombie never became Ready"
    );
    c.kubectl_ok(&[
        "patch",
        "pod",
        "zombie",
        "-n",
        &ns,
        "--subresource=status",
        "-p",
        r#"{"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#,
    ]);
    c.apply(&lease_yaml(&ns, "zombie-lock", "zombie", 300));
    assert_eq!(lock_json(c, &ns, "zombie-lock")["state"], "Unready");

    // Released: empty holder.
    c.apply(&lease_yaml(&ns, "free-lock", "", 1));
    let free = lock_json(c, &ns, "free-lock");
    assert_eq!(free["state"], "Released", "{free}");
    assert_eq!(free["holderIdentity"], Value::Null, "{free}");

    // Legacy annotation locks on a ConfigMap and on Endpoints.
    let record = format!(
        r#"{{"holderIdentity":"legacy-0","leaseDurationSeconds":300,"acquireTime":"{t}","renewTime":"{t}","leaderTransitions":7}}"#,
        t = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    for kind in ["ConfigMap", "Endpoints"] {
        c.apply(&format!(
            "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: legacy-{lower}\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: '{record}'\n",
            lower = kind.to_lowercase()
        ));
    }
    let out = c.singleton(&["status", "-n", &ns, "-o", "wide", "--no-color"]);
    let table = stdout(&out);
    for (name, kind) in [
        ("legacy-configmap", "ConfigMap"),
        ("legacy-endpoints", "Endpoints"),
    ] {
        let row = table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{table}"));
        assert!(
            row.contains(kind) && row.contains("legacy-0") && row.contains(" 7 "),
            "{row}"
        );
    }
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("worker-lock ") && l.contains("Orphaned")),
        "{table}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn node_heartbeat_leases_are_hidden_unless_asked_for() {
    let c = cluster();
    let nodes: String = (0..200)
        .map(|i| {
            format!(
                "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: e2e-heartbeat-{i}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok}}\nspec:\n  taints: [{{key: e2e/no-schedule, effect: NoSchedule}}]\n"
            )
        })
        .collect();
    c.apply(&nodes);
    let node_leases = || {
        c.kubectl_ok(&["get", "leases", "-n", "kube-node-lease", "-o", "name"])
            .lines()
            .filter(|l| l.contains("e2e-heartbeat-"))
            .count()
    };
    assert!(
        eventually(120, || node_leases() >= 200),
        "kwok made {} node leases",
        node_leases()
    );

    let hidden: Value =
        serde_json::from_str(&stdout(&c.singleton(&["status", "-A", "-o", "json"]))).unwrap();
    assert!(
        hidden["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["namespace"] != "kube-node-lease")
    );
    let shown: Value = serde_json::from_str(&stdout(&c.singleton(&[
        "status",
        "-A",
        "--all-leases",
        "-o",
        "json",
    ])))
    .unwrap();
    let count = shown["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["namespace"] == "kube-node-lease")
        .count();
    assert!(count >= 200, "only {count} node leases shown");
}

#[test]
fn coordinated_leases_show_strategy_and_candidates() {
    let c = cluster();
    let doc = lock_json(c, "kube-system", "kube-scheduler");
    assert_eq!(doc["strategy"], "OldestEmulationVersion", "{doc}");
    let candidates = doc["candidates"].as_array().unwrap();
    assert!(
        candidates.iter().any(|cand| cand == &doc["holderIdentity"]),
        "{doc}"
    );
    let out = c.singleton(&["status", "kube-scheduler", "-n", "kube-system"]);
    let text = stdout(&out);
    assert!(
        text.contains("Strategy:") && text.contains("OldestEmulationVersion"),
        "{text}"
    );
    assert!(text.contains("a new leader can take over in ≤"), "{text}");
}

#[test]
fn watch_prints_the_leader_change_and_json_lines() {
    use std::io::BufRead;
    let c = cluster();
    let ns = c.namespace("watch");
    for pod in ["first", "second"] {
        c.apply(&pod_yaml(&ns, pod));
    }
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
    ];
    let mut first = c.peer(&ns, "dispatcher", "first", &timings);
    assert!(
        eventually(30, || first.has_event("started_leading")),
        "{:?}",
        first.events()
    );

    let spawn_watch = |json: bool| {
        let mut args = vec!["status", "-w", "-n", ns.as_str()];
        if json {
            args.extend(["-o", "json"]);
        }
        let mut child = c
            .singleton_command(&args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (crate::harness::KillOnDrop(child), rx)
    };
    let (mut table_watch, table_lines) = spawn_watch(false);
    let (mut json_watch, json_lines) = spawn_watch(true);
    // The table comes first; wait for it before forcing the change.
    let header = table_lines
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    assert!(header.starts_with("NAME"), "{header}");
    let snapshot: Value = serde_json::from_str(
        &json_lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(snapshot["kind"], "LockList");

    let _second = c.peer(&ns, "dispatcher", "second", &timings);
    first.kill();

    let wait_for = |rx: &std::sync::mpsc::Receiver<String>, needle: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
                let done = line.contains(needle);
                seen.push(line);
                if done {
                    return seen;
                }
            }
        }
        panic!("never saw {needle:?}; saw {seen:#?}");
    };
    let lines = wait_for(&table_lines, "leader changed: first → second");
    let change = lines.last().unwrap();
    assert!(
        change.contains(&format!("lease/{ns}/dispatcher")),
        "{change}"
    );
    assert!(change.contains("no live leader for"), "{change}");
    let json = wait_for(&json_lines, "\"LeaderChanged\"");
    let event: Value = serde_json::from_str(json.last().unwrap()).unwrap();
    assert_eq!(event["type"], "LeaderChanged");
    assert_eq!(event["from"], "first");
    assert_eq!(event["to"], "second");
    assert_eq!(event["namespace"], ns.as_str());
    // Every line of -w -o json is one JSON object.
    for line in &json {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    table_watch.stop();
    json_watch.stop();
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn json_output_validates_against_the_documented_schema() {
    let c = cluster();
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/status.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let ns = c.namespace("schema");
    // Some of every shape: a held lease with a pod, a released lease, a legacy lock.
    c.apply(&pod_yaml(&ns, "holder"));
    c.apply(&lease_yaml(&ns, "held", "holder", 300));
    c.apply(&lease_yaml(&ns, "free", "", 1));
    c.apply(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: 'not json'\n"
    ));
    for args in [
        vec!["status", "-A", "-o", "json"],
        vec!["status", "-n", ns.as_str(), "-o", "json"],
    ] {
        let out = c.singleton(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
    let doc: Value =
        serde_json::from_str(&stdout(&c.singleton(&["status", "-n", &ns, "-o", "json"]))).unwrap();
    let legacy = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "legacy")
        .unwrap();
    assert!(
        legacy["problem"]
            .as_str()
            .unwrap()
            .contains("not a leader-election record"),
        "{legacy}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn watch_resumes_after_a_dropped_connection_without_losing_or_repeating_a_change() {
    use std::io::BufRead;
    let c = cluster();
    let ns = c.namespace("resume");
    for pod in ["before", "after"] {
        c.apply(&pod_yaml(&ns, pod));
    }
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
    ];
    let mut before = c.peer(&ns, "indexer", "before", &timings);
    assert!(
        eventually(30, || before.has_event("started_leading")),
        "{:?}",
        before.events()
    );

    let proxy = crate::harness::CuttableProxy::to(c.apiserver_addr());
    let kubeconfig = c.kubeconfig_via(proxy.port);
    let mut watch = crate::harness::KillOnDrop(
        c.singleton_command(&["status", "-w", "-n", &ns])
            .env("KUBECONFIG", &kubeconfig)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = watch.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let header = lines
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    assert!(header.starts_with("NAME"), "{header}");
    std::thread::sleep(std::time::Duration::from_secs(1));

    // The network goes away; meanwhile the leader dies and the standby takes over.
    let _after = crate::harness::takeover_while_cut(
        c,
        &proxy,
        (&ns, "indexer"),
        &mut before,
        "after",
        &timings,
    );

    let mut seen: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline && !seen.iter().any(|l| l.contains("leader changed"))
    {
        if let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(500)) {
            seen.push(line);
        }
    }
    // Let any duplicate a re-list could cause arrive before judging.
    let settle = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < settle {
        if let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    watch.stop();
    let changes: Vec<&String> = seen
        .iter()
        .filter(|l| l.contains("leader changed"))
        .collect();
    assert_eq!(
        changes.len(),
        1,
        "exactly one leader change expected: {seen:#?}"
    );
    assert!(changes[0].contains("before → after"), "{seen:#?}");
    // Without the timestamp, no line may repeat.
    let mut messages: Vec<&str> = seen
        .iter()
        .map(|l| l.split_once("  ").map_or(l.as_str(), |(_, m)| m))
        .collect();
    let total = messages.len();
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), total, "repeated lines: {seen:#?}");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn without_configmap_access_the_lease_view_still_works_with_a_notice() {
    let c = cluster();
    let ns = c.namespace("rbac-status");
    c.apply(&format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: viewer, namespace: {ns}}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: viewer, namespace: {ns}}}\nrules:\n- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  verbs: [get, list]\n- apiGroups: ['']\n  resources: [pods, endpoints]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: viewer, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: viewer}}\nsubjects: [{{kind: ServiceAccount, name: viewer, namespace: {ns}}}]\n"
    ));
    c.apply(&lease_yaml(&ns, "visible", "someone", 300));
    let user = format!("system:serviceaccount:{ns}:viewer");
    let out = c.singleton(&["status", "-n", &ns, "--as", &user, "--no-color"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).lines().any(|l| l.starts_with("visible ")),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "Warning: legacy ConfigMap locks not shown: cannot list configmaps in namespace"
        ),
        "{err}"
    );
    // A Role cannot grant nodes: the unmapped holder says why it could not be mapped.
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.lines()
            .nth(1)
            .unwrap()
            .contains("cannot get nodes at cluster scope"),
        "{err}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn label_selector_and_no_headers_filter_the_view() {
    let c = cluster();
    let ns = c.namespace("selector");
    for (name, team) in [("alpha", "a"), ("beta", "b")] {
        c.apply(&format!(
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}, labels: {{team: {team}}}}}\nspec: {{holderIdentity: someone, leaseDurationSeconds: 300, renewTime: '{}'}}\n",
            now_micro()
        ));
    }
    let out = c.singleton(&["status", "-n", &ns, "-l", "team=a", "-o", "name"]);
    assert_eq!(
        stdout(&out),
        format!("lease/{ns}/alpha\n"),
        "{}",
        stderr(&out)
    );
    let table = stdout(&c.singleton(&[
        "status",
        "-n",
        &ns,
        "-l",
        "team in (a,b)",
        "--no-headers",
        "--no-color",
    ]));
    let names: Vec<&str> = table
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"], "{table}");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
