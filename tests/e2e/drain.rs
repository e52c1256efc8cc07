//! `drain-check` against the real control plane, then the real `kubectl drain` on every node:
//! the prediction is checked against what kubectl actually does. Each case gets a kwok node of
//! its own (tainted, so no other test's pods land there); pods are placed with `nodeName`.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::Value;

use crate::harness::{TestCluster, cluster, eventually, stderr, stdout};

const TOLERATE: &str = "tolerations: [{key: e2e-drain, operator: Exists}]";

fn nodes(ns: &str, names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!(
                "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {ns}-{n}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok, e2e-drain: {ns}, kubernetes.io/hostname: {ns}-{n}}}\nspec:\n  taints: [{{key: e2e-drain, value: only, effect: NoSchedule}}]\nstatus:\n  allocatable: {{cpu: '32', memory: 256Gi, pods: '110'}}\n  capacity: {{cpu: '32', memory: 256Gi, pods: '110'}}\n"
            )
        })
        .collect()
}

/// A workload of one pod of `app` on node `placement` (a `nodeName: ...` or `nodeSelector: ...`
/// line), with `extra` lines in its pod spec.
fn workload(
    kind: &str,
    ns: &str,
    app: &str,
    placement: &str,
    extra: &str,
    annotations: &str,
) -> String {
    let service = if kind == "StatefulSet" {
        format!("  serviceName: {app}\n")
    } else {
        String::new()
    };
    format!(
        "---\napiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {app}, namespace: {ns}, annotations: {{{annotations}}}}}\nspec:\n  replicas: 1\n{service}  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}, group: {app}}}}}\n    spec:\n      {placement}\n      {TOLERATE}\n      terminationGracePeriodSeconds: 1\n      containers: [{{name: c, image: example.invalid/x:1}}]\n{extra}"
    )
}

fn pdb(ns: &str, name: &str, app: &str, budget: &str) -> String {
    format!(
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{{budget}, selector: {{matchLabels: {{app: {app}}}}}}}\n"
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

fn pods(c: &TestCluster, ns: &str) -> Value {
    serde_json::from_str(&c.kubectl_ok(&["get", "pods", "-n", ns, "-o", "json"])).unwrap()
}

/// Pod name → UID.
fn uids(c: &TestCluster, ns: &str) -> BTreeMap<String, String> {
    pods(c, ns)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p["metadata"][k].as_str().unwrap().to_string();
            (s("name"), s("uid"))
        })
        .collect()
}

fn pod_of(c: &TestCluster, ns: &str, app: &str) -> String {
    c.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        ns,
        "-l",
        &format!("app={app}"),
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ])
}

/// The budget as the disruption controller sees it: (observed, currentHealthy, disruptionsAllowed).
fn budget(c: &TestCluster, ns: &str, name: &str) -> (bool, i64, i64) {
    let p: Value =
        serde_json::from_str(&c.kubectl_ok(&["get", "pdb", name, "-n", ns, "-o", "json"])).unwrap();
    let status = &p["status"];
    (
        status["observedGeneration"] == p["metadata"]["generation"]
            && status["expectedPods"].as_i64().unwrap_or(0) > 0,
        status["currentHealthy"].as_i64().unwrap_or(0),
        status["disruptionsAllowed"].as_i64().unwrap_or(0),
    )
}

fn drain(c: &TestCluster, node: &str) -> Output {
    c.kubectl(&[
        "drain",
        node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=10s",
    ])
}

#[test]
fn drain_check_predicts_what_kubectl_drain_does() {
    let c = cluster();
    let ns = c.namespace("drain");
    let names = [
        "bare", "ds", "empty", "leader", "overlap", "s1", "s2", "sick", "single", "tolerant",
    ];
    c.apply(&nodes(&ns, &names));
    let on = |n: &str| format!("nodeName: {ns}-{n}");
    let volume = "      volumes: [{name: scratch, emptyDir: {}}]\n";
    let manifest = [
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: bare, namespace: {ns}, labels: {{app: bare}}}}\nspec:\n  {}\n  {TOLERATE}\n  terminationGracePeriodSeconds: 1\n  containers: [{{name: c, image: example.invalid/x:1}}]\n",
            on("bare")
        ),
        format!(
            "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec:\n      nodeSelector: {{kubernetes.io/hostname: {ns}-ds}}\n      {TOLERATE}\n      containers: [{{name: c, image: example.invalid/x:1}}]\n"
        ),
        workload("Deployment", &ns, "scratch", &on("empty"), volume, ""),
        workload("StatefulSet", &ns, "elect", &on("leader"), "", ""),
        workload("Deployment", &ns, "twice", &on("overlap"), "", ""),
        pdb(&ns, "twice-a", "twice", "maxUnavailable: 1"),
        pdb(&ns, "twice-b", "twice", "maxUnavailable: 1"),
        workload("Deployment", &ns, "shared-1", &format!("nodeSelector: {{kubernetes.io/hostname: {ns}-s1}}"), "", ""),
        workload("Deployment", &ns, "shared-2", &format!("nodeSelector: {{kubernetes.io/hostname: {ns}-s2}}"), "", ""),
        workload("Deployment", &ns, "sick", &on("sick"), "", ""),
        pdb(&ns, "sick", "sick", "maxUnavailable: 1"),
        workload("Deployment", &ns, "tolerant", &on("tolerant"), "", ""),
        pdb(&ns, "tolerant", "tolerant", "maxUnavailable: 1, unhealthyPodEvictionPolicy: AlwaysAllow"),
        workload("StatefulSet", &ns, "ledger", &on("single"), "", "kubectl-singleton/mode: strict"),
        pdb(&ns, "ledger", "ledger", "minAvailable: 1"),
    ]
    .concat();
    c.apply(&manifest);
    // Both shared pods carry one label a budget allowing one disruption selects.
    c.apply(&format!(
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: shared, namespace: {ns}}}\nspec: {{maxUnavailable: 1, selector: {{matchExpressions: [{{key: app, operator: In, values: [shared-1, shared-2]}}]}}}}\n"
    ));
    let apps = [
        "bare", "agent", "scratch", "elect", "twice", "shared-1", "shared-2", "sick", "tolerant",
        "ledger",
    ];
    assert!(
        eventually(90, || apps.iter().all(|a| {
            let pod = pod_of(c, &ns, a);
            !pod.is_empty() && c.pod_ready(&ns, &pod)
        })),
        "pods never Ready: {}",
        c.kubectl_ok(&["get", "pods", "-n", &ns, "-o", "wide"])
    );
    // Unready pods: under IfHealthyBudget (sick) and under AlwaysAllow (tolerant).
    for app in ["sick", "tolerant"] {
        c.kubectl_ok(&[
            "patch",
            "pod",
            &pod_of(c, &ns, app),
            "-n",
            &ns,
            "--subresource=status",
            "-p",
            r#"{"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#,
        ]);
    }
    let _peer = c.peer(&ns, "elect-lock", "elect-0", &[]);
    let settled = || {
        budget(c, &ns, "sick") == (true, 0, 0)
            && budget(c, &ns, "tolerant") == (true, 0, 0)
            && budget(c, &ns, "ledger") == (true, 1, 0)
            && budget(c, &ns, "shared") == (true, 2, 1)
            && budget(c, &ns, "twice-a").0
            && budget(c, &ns, "twice-b").0
            && c.kubectl_ok(&[
                "get",
                "lease",
                "elect-lock",
                "-n",
                &ns,
                "-o",
                "jsonpath={.spec.holderIdentity}",
            ]) == "elect-0"
    };
    assert!(
        eventually(60, settled),
        "budgets or the lease never settled"
    );

    let selector = format!("e2e-drain={ns}");
    // Without --delete-emptydir-data, the emptyDir node needs the flag.
    let plain = c.singleton(&["drain-check", "-l", &selector, "--no-color"]);
    assert_eq!(plain.status.code(), Some(1), "{}", stderr(&plain));
    let table = stdout(&plain);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{ns}-{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_string()
    };
    assert!(
        row("empty").contains("needs --delete-emptydir-data"),
        "{table}"
    );
    assert!(row("bare").contains("needs --force"), "{table}");
    assert!(
        row("single").contains("never allows a disruption"),
        "{table}"
    );
    assert!(
        row("leader").contains(&format!(
            "kubectl singleton release elect-lock -n {ns} --evict"
        )),
        "{table}"
    );
    assert!(
        stderr(&plain).contains("cannot be drained now"),
        "{}",
        stderr(&plain)
    );

    // With kubectl drain's flags, and the API server asked too (dry run: nothing evicted).
    let before = uids(c, &ns);
    let out = c.singleton(&[
        "drain-check",
        "-l",
        &selector,
        "--delete-emptydir-data",
        "--server-dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["kind"], "DrainCheckList");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/drain-check.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let item = |name: &str| -> Value {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["node"] == format!("{ns}-{name}"))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    let drainable = |name: &str| item(name)["drainable"].as_str().unwrap().to_string();
    let reason = |name: &str| item(name)["pods"][0]["eviction"]["block"]["reason"].clone();
    assert_eq!(drainable("ds"), "yes");
    assert_eq!(item("ds")["pods"][0]["skipped"], "DaemonSet");
    assert_eq!(drainable("bare"), "needs-flags");
    assert_eq!(item("bare")["needs"], serde_json::json!(["--force"]));
    assert_eq!(drainable("empty"), "yes");
    assert_eq!(drainable("leader"), "yes");
    assert_eq!(item("leader")["leaders"], 1);
    assert_eq!(drainable("overlap"), "blocked");
    assert_eq!(reason("overlap"), "several-budgets");
    assert_eq!(item("overlap")["pods"][0]["eviction"]["code"], 500);
    assert_eq!(drainable("sick"), "blocked");
    assert_eq!(reason("sick"), "unhealthy-pod");
    assert_eq!(drainable("tolerant"), "yes");
    assert_eq!(drainable("single"), "blocked");
    assert_eq!(reason("single"), "never-allows");
    assert_eq!(item("single")["singletons"], 1);
    assert_eq!(drainable("s1"), "yes");
    assert_eq!(drainable("s2"), "blocked");
    assert_eq!(
        item("s2")["waitsFor"],
        serde_json::json!([format!("{ns}-s1")])
    );
    // The server answers every eviction as predicted for the pod on its own.
    for node in doc["items"].as_array().unwrap() {
        for pod in node["pods"].as_array().unwrap() {
            if pod["eviction"].is_object() {
                assert_eq!(pod["server"]["agrees"], true, "{pod}");
            }
        }
    }
    assert_eq!(uids(c, &ns), before, "a dry run changed pods");

    // One node in detail.
    let detail = c.singleton(&["drain-check", &format!("{ns}-single"), "--no-color"]);
    let text = stdout(&detail);
    assert!(text.contains("Drainable:   blocked"), "{text}");
    assert!(
        text.contains("ledger-0") && text.contains("down until rescheduled"),
        "{text}"
    );

    // The real kubectl drain, in the predicted order (s1 before s2), others side by side.
    let predicted: BTreeMap<String, bool> = names
        .iter()
        .map(|n| (n.to_string(), drainable(n) == "yes"))
        .collect();
    let outcomes: BTreeMap<String, Output> = std::thread::scope(|s| {
        let handles: Vec<_> = [
            vec!["bare"],
            vec!["ds"],
            vec!["empty"],
            vec!["leader"],
            vec!["overlap"],
            vec!["s1", "s2"],
            vec!["sick"],
            vec!["single"],
            vec!["tolerant"],
        ]
        .into_iter()
        .map(|group| {
            let ns = &ns;
            s.spawn(move || {
                group
                    .into_iter()
                    .map(|n| (n.to_string(), drain(c, &format!("{ns}-{n}"))))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for (name, out) in &outcomes {
        assert_eq!(
            out.status.success(),
            predicted[name],
            "kubectl drain of {name} disagrees with the prediction:\n{}",
            stderr(out)
        );
    }
    let said = |name: &str| stderr(&outcomes[name]);
    assert!(
        said("bare").contains("--force") && said("bare").contains("bare"),
        "{}",
        said("bare")
    );
    assert!(
        said("overlap").contains("more than one PodDisruptionBudget"),
        "{}",
        said("overlap")
    );
    for (name, pod) in [
        ("sick", "sick-"),
        ("single", "ledger-0"),
        ("s2", "shared-2-"),
    ] {
        assert!(
            said(name).contains("disruption budget") && said(name).contains(pod),
            "{name}: {}",
            said(name)
        );
    }

    for n in names {
        c.kubectl(&["uncordon", &format!("{ns}-{n}")]);
        c.kubectl(&["delete", "node", &format!("{ns}-{n}"), "--wait=false"]);
    }
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
