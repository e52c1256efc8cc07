use serde_json::Value;

use crate::harness::{cluster, eventually, stderr, stdout};

fn example(name: &str, namespace: &str) -> String {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
    )
    .unwrap();
    text.replace(
        "namespace: billing-fixed",
        &format!("namespace: {namespace}"),
    )
    .replace("namespace: billing", &format!("namespace: {namespace}"))
}

/// (rule, kind/name) of every finding, sorted.
fn findings(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}",
                    f["object"]["kind"].as_str().unwrap(),
                    f["object"]["name"].as_str().unwrap()
                ),
            )
        })
        .collect();
    out.sort();
    out
}

fn audit_json(args: &[&str]) -> (Option<i32>, Value) {
    let out = cluster().singleton(args);
    let doc = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&out), stderr(&out)));
    (out.status.code(), doc)
}

#[test]
fn live_audit_finds_exactly_the_violations_and_nothing_in_correct_workloads() {
    let c = cluster();
    let bad = c.namespace("audit-bad");
    c.apply(&example("bad-singletons.yaml", &bad));
    // Two PDBs over one (three-replica) Deployment.
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: {bad}}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/api:1}}]}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: api-a, namespace: {bad}}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: api}}}}}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: api-b, namespace: {bad}}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: api}}}}}}\n"
    ));
    // A replicas-1 RollingUpdate Deployment caught mid-rollout: the new pod can never schedule,
    // so the old one keeps running beside it.
    let migrator = |selector: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: migrator, namespace: {bad}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: migrator}}}}\n  template:\n    metadata: {{labels: {{app: migrator}}}}\n    spec: {{{selector}containers: [{{name: c, image: example.invalid/m:1}}]}}\n"
        )
    };
    c.apply(&migrator(""));
    c.wait_running_pod(&bad, "app=migrator", 60);
    c.apply(&migrator("nodeSelector: {e2e/nowhere: 'true'}, "));
    let count = || {
        c.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            &bad,
            "-l",
            "app=migrator",
            "-o",
            "name",
        ])
        .lines()
        .count()
    };
    assert!(
        eventually(60, || count() == 2),
        "rollout never started a second pod"
    );

    let expected: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = [
            ("rollout-surge", "Deployment/report-scheduler"),
            ("grace-period-zero", "Deployment/report-scheduler"),
            (
                "hpa-scales-singleton",
                "HorizontalPodAutoscaler/report-scheduler",
            ),
            ("pdb-blocks-drain", "PodDisruptionBudget/report-scheduler"),
            (
                "pdb-unhealthy-eviction",
                "PodDisruptionBudget/report-scheduler",
            ),
            ("cronjob-concurrency", "CronJob/invoice-export"),
            ("cronjob-no-deadline", "CronJob/invoice-export"),
            ("statefulset-service", "StatefulSet/ledger"),
            ("pdb-overlap", "Deployment/api"),
            ("rollout-surge", "Deployment/migrator"),
            ("duplicate-instances", "Deployment/migrator"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        v.sort();
        v
    };
    // The disruption controller (kube-controller-manager) computes the PDB status a moment later.
    let blocks_drain_message = |doc: &Value| -> String {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "pdb-blocks-drain")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut last = Value::Null;
    let settled = eventually(60, || {
        let (code, doc) = audit_json(&["audit", "-n", &bad, "-o", "json"]);
        let ok = code == Some(1)
            && findings(&doc) == expected
            && blocks_drain_message(&doc).contains("status.disruptionsAllowed: 0");
        last = doc;
        ok
    });
    assert!(
        settled,
        "expected {expected:#?}\ngot {:#?}\n{last}",
        findings(&last)
    );

    // The rule's claim, proven: draining the node of the guarded pod cannot evict it.
    let node = c.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        &bad,
        "-l",
        "app=report-scheduler",
        "-o",
        "jsonpath={.items[0].spec.nodeName}",
    ]);
    assert!(!node.is_empty(), "report-scheduler has no node");
    let selector = "--pod-selector=app=report-scheduler";
    let drain = c.kubectl(&[
        "drain",
        &node,
        selector,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=8s",
    ]);
    c.kubectl_ok(&["uncordon", &node]);
    assert!(!drain.status.success(), "drain succeeded despite the PDB");
    let why = stderr(&drain) + &stdout(&drain);
    assert!(why.contains("disruption budget"), "{why}");

    // -A sees the same namespace among all the others.
    let (_, everywhere) = audit_json(&["audit", "-A", "-o", "json", "--fail-on", "never"]);
    let in_bad = everywhere["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["namespace"] == bad.as_str())
        .count();
    assert_eq!(in_bad, expected.len(), "{everywhere}");

    // The same manifests offline give the same static findings.
    let offline = c.singleton(&["audit", "-f", "examples/bad-singletons.yaml", "-o", "json"]);
    let offline: Value = serde_json::from_str(&stdout(&offline)).unwrap();
    for f in findings(&offline) {
        assert!(expected.contains(&f), "offline finding {f:?} missing live");
    }

    let good = c.namespace("audit-good");
    c.apply(&example("good-singletons.yaml", &good));
    let consumers = || {
        c.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            &good,
            "-l",
            "app=queue-consumer",
            "-o",
            "name",
        ])
        .lines()
        .count()
    };
    assert!(
        eventually(60, || consumers() == 2),
        "queue-consumer pods never appeared"
    );
    let out = c.singleton(&["audit", "-n", &good, "--fail-on", "warning"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("0 errors, 0 warnings, 0 info in "),
        "{}",
        stdout(&out)
    );

    c.kubectl_ok(&["delete", "namespace", &bad, &good, "--wait=false"]);
}

#[test]
fn live_audit_degrades_when_rbac_withholds_a_kind() {
    let c = cluster();
    let ns = c.namespace("audit-rbac");
    // A ServiceAccount that may list everything the audit reads except HPAs.
    c.apply(&format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: auditor, namespace: {ns}}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: auditor, namespace: {ns}}}\nrules:\n- apiGroups: ['', apps, batch, policy, coordination.k8s.io]\n  resources: [pods, services, configmaps, endpoints, deployments, statefulsets, replicasets, cronjobs, poddisruptionbudgets, leases]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: auditor, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: auditor}}\nsubjects: [{{kind: ServiceAccount, name: auditor, namespace: {ns}}}]\n"
    ));
    c.apply(&format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly, namespace: {ns}}}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec: {{restartPolicy: Never, containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    let user = format!("system:serviceaccount:{ns}:auditor");
    let out = c.singleton(&[
        "audit",
        "-n",
        &ns,
        "--as",
        &user,
        "-o",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let warnings = doc["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with(
            "rules hpa-scales-singleton skipped: cannot list horizontalpodautoscalers"
        )),
        "{doc}"
    );
    assert!(
        stderr(&out).contains("Warning: rules hpa-scales-singleton skipped"),
        "{}",
        stderr(&out)
    );
    // The rest still ran.
    assert!(
        findings(&doc).contains(&(
            "cronjob-concurrency".to_string(),
            "CronJob/nightly".to_string()
        )),
        "{doc}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn live_audit_judges_leases_by_the_pods_it_listed() {
    let c = cluster();
    let ns = c.namespace("audit-leases");
    // One replica with the default RollingUpdate would be rollout-surge, but its pod holds a
    // lease: the workload is leader-elected, so only leader-no-standby applies.
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: elected, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: elected}}}}\n  template:\n    metadata: {{labels: {{app: elected}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/e:1}}]}}\n"
    ));
    let holder = c.wait_running_pod(&ns, "app=elected", 60);
    let replicaset = c.kubectl_ok(&[
        "get",
        "rs",
        "-n",
        &ns,
        "-l",
        "app=elected",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let micro = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let now = micro(jiff::Timestamp::now());
    let old = micro(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2));
    let lease = |name: &str, holder: &str, renewed: &str, duration: u32| {
        format!(
            "---\napiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{holderIdentity: '{holder}', leaseDurationSeconds: {duration}, renewTime: '{renewed}', acquireTime: '{old}'}}\n"
        )
    };
    c.apply(
        &[
            // Held by the running pod.
            lease("live", &holder, &now, 3600),
            // A pod of the same ReplicaSet that no longer exists.
            lease("orphan", &format!("{replicaset}-zzzzz"), &now, 3600),
            // Nobody renewed it for two hours; the holder maps to no pod.
            lease("stale", "somewhere-else", &old, 15),
        ]
        .concat(),
    );

    let (code, doc) = audit_json(&["audit", "-n", &ns, "-o", "json", "--fail-on", "never"]);
    assert_eq!(code, Some(0), "{doc}");
    let expected: Vec<(String, String)> = [
        ("leader-no-standby", "Deployment/elected"),
        ("lease-orphaned", "Lease/orphan"),
        ("lease-expired", "Lease/stale"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect::<std::collections::BTreeSet<_>>()
    .into_iter()
    .collect();
    assert_eq!(findings(&doc), expected, "{doc}");
    // The holders came from the pod list: no pod was fetched by name.
    let out = c.singleton(&["audit", "-n", &ns, "--fail-on", "never", "-v"]);
    let log = stderr(&out);
    assert!(
        log.contains(&format!("/namespaces/{ns}/pods?"))
            && !log.contains(&format!("/pods/{holder}")),
        "{log}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn live_audit_classifies_workloads_from_their_evidence() {
    let c = cluster();
    let ns = c.namespace("audit-classes");
    let deployment = |name: &str, account: &str, args: &str| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{serviceAccountName: {account}, containers: [{{name: c, image: example.invalid/{name}:1{args}}}]}}\n"
        )
    };
    let account = |name: &str| {
        format!(
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        )
    };
    // A Role with these rules, bound to the ServiceAccount of the same name.
    let role = |name: &str, rules: &str| {
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\nrules: {rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}\nsubjects: [{{kind: ServiceAccount, name: {name}, namespace: {ns}}}]\n"
        )
    };
    c.apply(
        &[
            // A stateless server behind a Service: surging keeps it up during a rollout.
            account("web"),
            deployment("web", "web", ""),
            format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec: {{selector: {{app: web}}, ports: [{{name: http, port: 80}}]}}\n"),
            // Leader-elected, known only from the RBAC that lets it take a lease.
            account("elector"),
            deployment("elector", "elector", ""),
            role(
                "elector",
                "[{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}]",
            ),
            // A controller that writes Deployments cluster-wide and never elects a leader.
            account("reconciler"),
            deployment("reconciler", "reconciler", ", args: [--sync-period=1m]"),
            format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {ns}-reconciler}}\nrules: [{{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, update]}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {ns}-reconciler}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {ns}-reconciler}}\nsubjects: [{{kind: ServiceAccount, name: reconciler, namespace: {ns}}}]\n"),
            // A controller whose only Service answers an admission webhook: no users to keep up.
            account("hooked"),
            deployment("hooked", "hooked", ""),
            role(
                "hooked",
                "[{apiGroups: [''], resources: [configmaps], verbs: [get, update]}]",
            ),
            format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: hooked-webhook, namespace: {ns}}}\nspec: {{selector: {{app: hooked}}, ports: [{{port: 443, targetPort: 9443}}]}}\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: {ns}-hooked}}\nwebhooks:\n- name: hooked.example.invalid\n  clientConfig: {{service: {{namespace: {ns}, name: hooked-webhook}}}}\n  rules: [{{apiGroups: [example.invalid], apiVersions: [v1], operations: [CREATE], resources: [widgets]}}]\n  failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n"),
            // One replica in its spec, but an HPA owns the count (2–4), and a PDB over it that
            // blocks drains whenever the HPA idles at its minimum.
            account("scaled"),
            deployment("scaled", "scaled", ""),
            format!("---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: scaled, namespace: {ns}}}\nspec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: scaled}}, minReplicas: 2, maxReplicas: 4, metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}}}]}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: scaled, namespace: {ns}}}\nspec: {{minAvailable: 2, unhealthyPodEvictionPolicy: AlwaysAllow, selector: {{matchLabels: {{app: scaled}}}}}}\n"),
        ]
        .concat(),
    );
    let (code, doc) = audit_json(&["audit", "-n", &ns, "-o", "json", "--fail-on", "warning"]);
    // Only the controllers' surges and the PDB at the HPA's minimum are warnings: exit 1 at
    // --fail-on warning.
    assert_eq!(code, Some(1), "{doc}");
    let class_of = |name: &str| -> (String, Vec<String>) {
        let w = doc["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["object"]["name"] == name)
            .unwrap_or_else(|| panic!("no workload {name}: {doc}"));
        (
            w["class"].as_str().unwrap().to_string(),
            w["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect(),
        )
    };
    let (web, why) = class_of("web");
    assert_eq!(web, "single-replica");
    assert!(
        why.contains(&"serves traffic through Service web (port http)".to_string()),
        "{why:?}"
    );
    let (elector, why) = class_of("elector");
    assert_eq!(elector, "leader-elected");
    assert_eq!(
        why,
        vec!["ServiceAccount elector may write leases (Role elector)"]
    );
    let (reconciler, why) = class_of("reconciler");
    assert_eq!(reconciler, "controller");
    assert!(
        why.contains(&format!(
            "ServiceAccount reconciler may write deployments (ClusterRole {ns}-reconciler) with no leader election"
        )),
        "{why:?}"
    );
    let (hooked, why) = class_of("hooked");
    assert_eq!(hooked, "controller", "{why:?}");
    let (scaled, why) = class_of("scaled");
    assert_eq!(scaled, "scaled");
    assert_eq!(why[0], "scaled by HorizontalPodAutoscaler scaled/2–4 pods");

    let by_rule: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("leader-no-standby", "elector", "info"),
        ("pdb-blocks-drain", "scaled", "warning"),
        ("rollout-surge", "hooked", "warning"),
        ("rollout-surge", "reconciler", "warning"),
    ]
    .iter()
    .map(|(a, b, s)| (a.to_string(), b.to_string(), s.to_string()))
    .collect();
    assert_eq!(by_rule, expected, "{doc}");
    let pdb = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "pdb-blocks-drain")
        .unwrap();
    assert!(
        pdb["message"].as_str().unwrap().contains(
            "minAvailable 2 over 2–4 pods allows 0 disruptions while it runs its minimum of 2"
        ),
        "{pdb}"
    );
    // The table says why in one line under each finding.
    let table = stdout(&c.singleton(&["audit", "-n", &ns, "--fail-on", "never"]));
    assert!(
        table.contains("why: replicas 1; ServiceAccount reconciler may write deployments"),
        "{table}"
    );
    c.kubectl_ok(&[
        "delete",
        "clusterrole,clusterrolebinding",
        &format!("{ns}-reconciler"),
    ]);
    c.kubectl_ok(&[
        "delete",
        "validatingwebhookconfiguration",
        &format!("{ns}-hooked"),
    ]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
