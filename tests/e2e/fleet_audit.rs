//! Fleets: live `audit` and `drain-check` across the shared e2e cluster and the second real
//! cluster of `fleet.rs`, plus a context whose server refuses connections. Each cluster gets a
//! violation the other lacks; each must show under its own context only.

use std::process::Output;

use serde_json::Value;

use crate::fleet::{FIRST_CTX, SECOND_CTX, fleet_kubeconfig, second_kubectl};
use crate::harness::{cluster, eventually, stderr, stdout};

fn fleet(args: &[&str]) -> Output {
    cluster()
        .singleton_command(args)
        .env("KUBECONFIG", fleet_kubeconfig())
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

/// Validates `doc` against a schema file of the repository.
fn assert_valid(doc: &Value, schema: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(schema);
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The OASIS SARIF schema's `language` patterns have a stray `]` this validator rejects as a
    // regex; use the pattern they mean, as tests/audit.rs does (we never emit `language`).
    if let Some(definitions) = schema.get_mut("definitions").and_then(Value::as_object_mut) {
        for definition in definitions.values_mut() {
            if let Some(pattern) = definition.pointer_mut("/properties/language/pattern") {
                *pattern = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
            }
        }
    }
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn second_apply(ns: &str, name: &str, manifest: &str) {
    let file = std::env::temp_dir().join(format!("{ns}-{name}.yaml"));
    std::fs::write(&file, manifest).unwrap();
    second_kubectl(&["apply", "-f", file.to_str().unwrap()]);
}

/// The same namespace in both clusters: a strict Deployment that surges on rollout
/// (rollout-surge, error) only in the first, a CronJob that may overlap itself
/// (cronjob-concurrency, info: nothing says its runs must not overlap) only in the second.
fn plant() -> String {
    let c = cluster();
    let ns = c.namespace("fleet-audit");
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: first-only, namespace: {ns}, annotations: {{kubectl-singleton/mode: strict}}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: first-only}}}}\n  template:\n    metadata: {{labels: {{app: first-only}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    second_kubectl(&["create", "namespace", &ns]);
    second_apply(
        &ns,
        "cronjob",
        &format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: second-only, namespace: {ns}}}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec: {{restartPolicy: Never, containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
        ),
    );
    ns
}

fn cleanup(ns: &str) {
    cluster().kubectl_ok(&["delete", "namespace", ns, "--wait=false"]);
    second_kubectl(&["delete", "namespace", ns, "--wait=false"]);
}

/// (context, rule, object name) of every finding.
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["context"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn audit_findings_appear_under_their_own_context_only() {
    let ns = plant();
    let contexts = format!("{FIRST_CTX},{SECOND_CTX}");
    let out = fleet(&["audit", "-n", &ns, "--context", &contexts, "-o", "json"]);
    // rollout-surge is an error: exit 1, as for one cluster.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(&doc, "docs/audit.schema.json");
    let found = findings(&doc);
    assert!(
        found.contains(&(
            FIRST_CTX.into(),
            "rollout-surge".into(),
            "first-only".into()
        )),
        "{doc:#}"
    );
    assert!(
        found.contains(&(
            SECOND_CTX.into(),
            "cronjob-concurrency".into(),
            "second-only".into()
        )),
        "{doc:#}"
    );
    for (context, _, name) in &found {
        match name.as_str() {
            "first-only" => assert_eq!(context, FIRST_CTX, "{doc:#}"),
            "second-only" => assert_eq!(context, SECOND_CTX, "{doc:#}"),
            other => panic!("unexpected finding on {other}: {doc:#}"),
        }
    }
    let workloads: Vec<(&str, &str)> = doc["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["context"].as_str().unwrap(),
                w["object"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(workloads, [(FIRST_CTX, "first-only")], "{doc:#}");
    assert_eq!(doc["summary"]["errors"], 1, "{doc:#}");
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2, "{doc:#}");
    assert!(clusters.iter().all(|c| c["error"].is_null()), "{doc:#}");

    // The table: each object's title after its context, a line per cluster, the fleet's.
    let out = fleet(&["audit", "-n", &ns, "--context", &contexts]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let title = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!("/{name}")) && !l.starts_with(' '))
            .unwrap_or_else(|| panic!("no title for {name}:\n{text}"))
            .to_string()
    };
    assert!(
        title("first-only").starts_with(&format!("{FIRST_CTX} ")),
        "{text}"
    );
    assert!(
        title("second-only").starts_with(&format!("{SECOND_CTX} ")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\n{FIRST_CTX}: 1 error, 0 warnings, 0 info in 2 objects in namespace {ns}\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\n{SECOND_CTX}: 0 errors, 0 warnings, 2 info in 1 object"
        )),
        "{text}"
    );
    assert!(
        text.ends_with("fleet: 1 error, 0 warnings, 2 info in 3 objects in 2 of 2 clusters\n"),
        "{text}"
    );

    // SARIF: one run; each result names its context in its properties, its logical location
    // and its message.
    let out = fleet(&["audit", "-n", &ns, "--context", &contexts, "-o", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif = json(&out);
    assert_valid(&sarif, "tests/schemas/sarif-schema-2.1.0.json");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let result = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "cronjob-concurrency")
        .unwrap();
    assert_eq!(result["properties"]["context"], SECOND_CTX, "{result:#}");
    let fqn = format!("{SECOND_CTX}/CronJob/{ns}/second-only");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], fqn,
        "{result:#}"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{fqn}: ")),
        "{result:#}"
    );
    assert_eq!(runs[0]["invocations"][0]["executionSuccessful"], true);

    // One context is the single-cluster output, byte for byte.
    let one = fleet(&["audit", "-n", &ns, "--context", FIRST_CTX]);
    let plain = cluster().singleton(&["audit", "-n", &ns]);
    assert_eq!(stdout(&one), stdout(&plain));
    assert_eq!(one.status.code(), plain.status.code());

    // Files are not clusters.
    let out = fleet(&["audit", "-f", "-", "--context", &contexts]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("audit -f judges files"),
        "{}",
        stderr(&out)
    );
    cleanup(&ns);
}

#[test]
fn audit_with_a_dead_context_still_prints_the_live_ones_and_exits_3() {
    let ns = plant();
    let contexts = format!("{FIRST_CTX},dead,{SECOND_CTX}");
    let out = fleet(&[
        "audit",
        "-n",
        &ns,
        "--context",
        &contexts,
        "--request-timeout",
        "5s",
        "-o",
        "json",
    ]);
    // 3 outranks the findings' 1.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(&doc, "docs/audit.schema.json");
    let found = findings(&doc);
    assert!(
        found
            .iter()
            .any(|f| f.0 == FIRST_CTX && f.2 == "first-only"),
        "{doc:#}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.0 == SECOND_CTX && f.2 == "second-only"),
        "{doc:#}"
    );
    assert!(found.iter().all(|f| f.0 != "dead"), "{doc:#}");
    let dead = doc["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == "dead")
        .unwrap();
    assert!(
        dead["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{dead}"
    );
    let err = stderr(&out);
    assert!(err.contains("error: context dead: "), "{err}");
    assert!(
        err.trim_end()
            .ends_with("1 of 3 clusters could not be read: dead"),
        "{err}"
    );

    // The table says so too; SARIF reports the failed cluster as a notification.
    let out = fleet(&["audit", "-n", &ns, "--context", &contexts]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("\ndead: not read (the error is on stderr)\n"),
        "{text}"
    );
    assert!(text.contains(" in 2 of 3 clusters\n"), "{text}");
    let out = fleet(&["audit", "-n", &ns, "--context", &contexts, "-o", "sarif"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let sarif = json(&out);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{invocation:#}");
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("context dead: "),
        "{invocation:#}"
    );
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
    cleanup(&ns);
}

fn node(name: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok, e2e-fleet: '{name}', kubernetes.io/hostname: {name}}}\nspec:\n  taints: [{{key: e2e-fleet, value: only, effect: NoSchedule}}]\nstatus:\n  allocatable: {{cpu: '32', memory: 256Gi, pods: '110'}}\n  capacity: {{cpu: '32', memory: 256Gi, pods: '110'}}\n"
    )
}

#[test]
fn drain_check_names_each_nodes_cluster() {
    let c = cluster();
    let ns = c.namespace("fleet-drain");
    let name = format!("{ns}-n");
    // The same node name in both clusters; only the second runs a strict singleton on it
    // behind a PDB that never allows a disruption.
    c.apply(&node(&name));
    second_kubectl(&["create", "namespace", &ns]);
    second_apply(
        &ns,
        "drain",
        &format!(
            "{}---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: ledger, namespace: {ns}, annotations: {{kubectl-singleton/mode: strict}}}}\nspec:\n  replicas: 1\n  serviceName: ledger\n  selector: {{matchLabels: {{app: ledger}}}}\n  template:\n    metadata: {{labels: {{app: ledger}}}}\n    spec:\n      nodeName: {name}\n      tolerations: [{{key: e2e-fleet, operator: Exists}}]\n      terminationGracePeriodSeconds: 1\n      containers: [{{name: c, image: example.invalid/x:1}}]\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: ledger, namespace: {ns}}}\nspec: {{minAvailable: 1, selector: {{matchLabels: {{app: ledger}}}}}}\n",
            node(&name)
        ),
    );
    assert!(
        eventually(60, || second_kubectl(&[
            "get",
            "pods",
            "-n",
            &ns,
            "--field-selector=status.phase=Running",
            "-o",
            "name"
        ])
        .contains("ledger-0")),
        "ledger-0 never ran in the second cluster"
    );
    let contexts = format!("{FIRST_CTX},{SECOND_CTX}");
    let out = fleet(&["drain-check", &name, "--context", &contexts, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(&doc, "docs/drain-check.schema.json");
    let items: Vec<(&str, &str, &str)> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["context"].as_str().unwrap(),
                i["node"].as_str().unwrap(),
                i["drainable"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            (FIRST_CTX, name.as_str(), "yes"),
            (SECOND_CTX, name.as_str(), "blocked")
        ],
        "{doc:#}"
    );
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 2, "{doc:#}");
    assert!(
        stderr(&out).contains(&format!(
            "1 of 2 node(s) in the fleet cannot be drained now: {SECOND_CTX}/{name}"
        )),
        "{}",
        stderr(&out)
    );

    // The table with a selector: a first CONTEXT column and the summary lines.
    let selector = format!("e2e-fleet={name}");
    let out = fleet(&["drain-check", "-l", &selector, "--context", &contexts]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("CONTEXT "), "{text}");
    let row = |context: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{context} ")))
            .unwrap_or_else(|| panic!("no row for {context}:\n{text}"))
            .to_string()
    };
    assert!(row(FIRST_CTX).contains(" yes "), "{text}");
    assert!(row(SECOND_CTX).contains(" blocked "), "{text}");
    assert!(
        text.contains(&format!(
            "\n{SECOND_CTX}: 1 node(s), 1 cannot be drained now: {name}\n"
        )),
        "{text}"
    );

    // A name no cluster has is exit 3; a dead cluster is exit 3 with the others printed.
    let out = fleet(&["drain-check", "no-such-node", "--context", &contexts]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-node"), "{}", stderr(&out));
    let out = fleet(&[
        "drain-check",
        "-l",
        &selector,
        "--context",
        &format!("{contexts},dead"),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(&doc, "docs/drain-check.schema.json");
    assert_eq!(doc["items"].as_array().unwrap().len(), 2, "{doc:#}");
    assert!(doc["clusters"][2]["error"].is_string(), "{doc:#}");

    c.kubectl_ok(&["delete", "node", &name, "--wait=false"]);
    second_kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    second_kubectl(&["delete", "node", &name, "--wait=false"]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
