//! The ClusterRoles under deploy/rbac are exactly what each command needs: run as a
//! ServiceAccount bound to the role, the command sees everything (no "forbidden" anywhere); with
//! any single verb taken away, it says which verb on which resource it is missing.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{TestCluster, cluster, eventually, stderr};

/// A namespace where every lookup a command can make has something to find.
struct Fixture {
    ns: String,
    user: String,
    locks: String,
}

fn fixture(c: &TestCluster, prefix: &str) -> Fixture {
    let ns = c.namespace(prefix);
    c.kubectl_ok(&["create", "serviceaccount", "operator", "-n", &ns]);
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, namespace: {ns}}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: app}}}}\n  template:\n    metadata: {{labels: {{app: app}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db, namespace: {ns}}}\nspec:\n  replicas: 1\n  serviceName: db\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata: {{labels: {{app: db}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: app-pdb, namespace: {ns}}}\nspec: {{minAvailable: 1, selector: {{matchLabels: {{app: app}}}}}}\n"
    ));
    let pod = c.wait_running_pod(&ns, "app=app", 60);
    let replicaset = pod.rsplit_once('-').unwrap().0;
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ");
    let lease = |name: &str, holder: &str, renewed: &str, extra: &str| {
        format!(
            "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{holderIdentity: '{holder}', leaseDurationSeconds: 300, renewTime: '{renewed}'{extra}}}\n---\n"
        )
    };
    let legacy = |kind: &str, name: &str| {
        format!(
            "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: '{{\"holderIdentity\":\"ghost\",\"leaseDurationSeconds\":15,\"renewTime\":\"2020-01-01T00:00:00Z\",\"leaderTransitions\":1}}'\n---\n"
        )
    };
    let old = "2020-01-01T00:00:00.000000Z";
    let locks = [
        lease("held", &pod, &now.to_string(), ""),
        // Its live holder stopped renewing: the audit asks whether it may (lease-rbac-denied).
        lease("stalled", &pod, old, ""),
        lease("expired", "ghost", old, ""),
        lease("orphan-rs", &format!("{replicaset}-zzzzz"), old, ""),
        lease("orphan-sts", "db-1", old, ""),
        lease(
            "coordinated",
            "ghost",
            &now.to_string(),
            ", strategy: OldestEmulationVersion",
        ),
        legacy("ConfigMap", "cm-lock"),
        legacy("Endpoints", "ep-lock"),
    ]
    .concat();
    c.apply(&locks);
    Fixture {
        user: format!("system:serviceaccount:{ns}:operator"),
        ns,
        locks,
    }
}

/// The role file as JSON, renamed for this test so tests never share a ClusterRole.
fn role(c: &TestCluster, command: &str, name: &str) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("deploy/rbac/{command}.yaml"));
    let text = c.kubectl_ok(&[
        "create",
        "--dry-run=client",
        "-o",
        "json",
        "-f",
        file.to_str().unwrap(),
    ]);
    let mut role: Value = serde_json::from_str(&text).unwrap();
    role["metadata"]["name"] = json!(name);
    role
}

/// Every (group, resource, verb) the role grants, one at a time.
fn grants(role: &Value) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for rule in role["rules"].as_array().unwrap() {
        for group in rule["apiGroups"].as_array().unwrap() {
            for resource in rule["resources"].as_array().unwrap() {
                for verb in rule["verbs"].as_array().unwrap() {
                    let s = |v: &Value| v.as_str().unwrap().to_string();
                    all.push((s(group), s(resource), s(verb)));
                }
            }
        }
    }
    all
}

/// The role with one grant taken away.
fn without(role: &Value, gone: &(String, String, String)) -> Value {
    let rules: Vec<Value> = grants(role)
        .into_iter()
        .filter(|g| g != gone)
        .map(|(group, resource, verb)| {
            json!({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
        })
        .collect();
    let mut role = role.clone();
    role["rules"] = json!(rules);
    role
}

fn apply_json(c: &TestCluster, value: &Value) {
    c.apply(&value.to_string());
}

/// Whether the user may do this now (RBAC changes reach the authorizer within moments).
fn can(c: &TestCluster, f: &Fixture, (group, resource, verb): &(String, String, String)) -> bool {
    let (resource, sub) = match resource.split_once('/') {
        Some((r, s)) => (r.to_string(), Some(s)),
        None => (resource.clone(), None),
    };
    let qualified = if group.is_empty() {
        resource
    } else {
        format!("{resource}.{group}")
    };
    let mut args = vec![
        "auth", "can-i", verb, &qualified, "-n", &f.ns, "--as", &f.user,
    ];
    if let Some(sub) = sub {
        args.extend(["--subresource", sub]);
    }
    c.kubectl(&args).status.success()
}

/// Runs `status -w` until it says something on stderr or 3 seconds pass.
fn watch_briefly(c: &TestCluster, args: &[&str]) -> String {
    use std::io::Read;
    let mut child = c
        .singleton_command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Binds the role, then checks it is enough and that every verb in it is needed.
fn check_least_privilege(command: &str, run: impl Fn(&TestCluster, &Fixture) -> Vec<Output>) {
    let c = cluster();
    let f = fixture(c, &format!("rbac-{command}"));
    let name = format!("kubectl-singleton-{command}-{}", f.ns);
    let full = role(c, command, &name);
    apply_json(c, &full);
    c.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        &name,
        &format!("--clusterrole={name}"),
        &format!("--serviceaccount={}:operator", f.ns),
    ]);
    let all = grants(&full);
    assert!(eventually(10, || can(c, &f, &all[0])));
    let said = |outs: &[Output]| outs.iter().map(stderr).collect::<Vec<_>>().join("\n");

    let enough = said(&run(c, &f));
    assert!(
        !enough.contains("forbidden"),
        "{command} with deploy/rbac/{command}.yaml still hit RBAC:\n{enough}"
    );
    for grant in &all {
        apply_json(c, &without(&full, grant));
        assert!(
            eventually(10, || !can(c, &f, grant)),
            "{grant:?} not revoked"
        );
        let (_, resource, verb) = grant;
        let text = said(&run(c, &f));
        assert!(
            text.contains(&format!("cannot {verb} {resource} ")) && !text.contains("panicked"),
            "{command} without {verb} on {resource}: the user is not told what is missing:\n{text}"
        );
        apply_json(c, &full);
        assert!(eventually(10, || can(c, &f, grant)));
    }
    c.kubectl_ok(&["delete", "clusterrolebinding", &name]);
    c.kubectl_ok(&["delete", "clusterrole", &name]);
    c.kubectl_ok(&["delete", "namespace", &f.ns, "--wait=false"]);
}

#[test]
fn status_needs_exactly_its_role() {
    check_least_privilege("status", |c, f| {
        let table = c.singleton(&["status", "-n", &f.ns, "--as", &f.user]);
        let watched = watch_briefly(c, &["status", "-n", &f.ns, "-w", "--as", &f.user]);
        let mut out = table;
        out.stderr.extend(b"\n");
        out.stderr.extend(watched.into_bytes());
        vec![out]
    });
}

#[test]
fn audit_needs_exactly_its_role() {
    check_least_privilege("audit", |c, f| {
        vec![c.singleton(&["audit", "-n", &f.ns, "--as", &f.user])]
    });
}

#[test]
fn release_needs_exactly_its_role() {
    check_least_privilege("release", |c, f| {
        // Each run starts from the same locks: a successful release changed them.
        c.apply(&f.locks);
        let release = |extra: &[&str]| {
            let mut args = vec!["release", "-n", &f.ns, "--as", &f.user, "-y", "--no-wait"];
            args.extend_from_slice(extra);
            c.singleton(&args)
        };
        vec![
            release(&["expired"]),
            release(&["orphan-rs", "--dry-run"]),
            release(&["orphan-sts", "--dry-run"]),
            release(&["cm-lock", "--kind", "configmap"]),
            release(&["ep-lock", "--kind", "endpoints"]),
            // Blocked by app-pdb: the eviction is tried and the PDB named, nothing changes.
            release(&["held", "--evict"]),
            release(&["coordinated", "--to", "someone"]),
        ]
    });
}

#[test]
fn drain_check_needs_exactly_its_role() {
    // A node of its own with one pod of the fixture, so the dry-run evictions touch nothing
    // other tests own.
    let node = std::sync::Mutex::new(None::<String>);
    check_least_privilege("drain-check", |c, f| {
        let name = format!("{}-node", f.ns);
        if node.lock().unwrap().is_none() {
            c.apply(&format!(
                "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok}}\nspec:\n  taints: [{{key: e2e-drain, value: only, effect: NoSchedule}}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: placed, namespace: {ns}, labels: {{app: app}}}}\nspec:\n  nodeName: {name}\n  containers: [{{name: c, image: example.invalid/x:1}}]\n",
                ns = f.ns
            ));
            *node.lock().unwrap() = Some(name.clone());
        }
        vec![c.singleton(&["drain-check", &name, "--server-dry-run", "--as", &f.user])]
    });
    if let Some(name) = node.lock().unwrap().take() {
        cluster().kubectl(&["delete", "node", &name, "--wait=false"]);
    }
}
