//! Fleets under `-w` and `--shards`: the shared e2e cluster and the second real cluster of
//! tests/e2e/fleet.rs, real client-go peers electing a leader in the second one only.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fleet::{FIRST_CTX, SECOND_CTX, fleet_kubeconfig, second_kubeconfig, second_kubectl};
use crate::harness::{KillOnDrop, cluster, eventually, stderr, stdout};

/// Our binary over the fleet kubeconfig, its stdout lines sent to a channel as they come.
fn spawn_fleet(args: &[&str]) -> (KillOnDrop, Receiver<String>) {
    let mut child = KillOnDrop(
        cluster()
            .singleton_command(args)
            .env("KUBECONFIG", fleet_kubeconfig())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Lines until one contains `needle` (within 60 s), all of them.
fn lines_until(rx: &Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            let done = line.contains(needle);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }
    panic!("never saw {needle:?}; saw {seen:#?}");
}

/// Ctrl-C to a watch; its exit code and its stderr when piped.
fn interrupt(watch: &mut KillOnDrop) -> (Option<i32>, String) {
    let pid = watch.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while watch.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the watch ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut err = String::new();
    if let Some(mut piped) = watch.0.stderr.take() {
        std::io::Read::read_to_string(&mut piped, &mut err).unwrap();
    }
    (watch.0.wait().unwrap().code(), err)
}

fn lease(ns: &str, name: &str, holder: &str) -> String {
    format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  holderIdentity: \"{holder}\"\n  leaseDurationSeconds: 3600\n  renewTime: \"{}\"\n",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    )
}

fn second_apply(ns: &str, manifest: &str) {
    let file = std::env::temp_dir().join(format!("{ns}-{}.yaml", manifest.len()));
    std::fs::write(&file, manifest).unwrap();
    second_kubectl(&["apply", "-f", file.to_str().unwrap()]);
}

/// A namespace of the same name in both clusters.
fn namespace_in_both(prefix: &str) -> String {
    let ns = cluster().namespace(prefix);
    second_kubectl(&["create", "namespace", &ns]);
    ns
}

fn delete_in_both(ns: &str) {
    cluster().kubectl_ok(&["delete", "namespace", ns, "--wait=false"]);
    second_kubectl(&["delete", "namespace", ns, "--wait=false"]);
}

/// A client-go leader-election peer in the second cluster (no pod stands for it).
fn second_peer(ns: &str, identity: &str) -> KillOnDrop {
    let log = std::env::temp_dir().join(format!("lepeer-{ns}-{identity}.jsonl"));
    KillOnDrop(
        Command::new(&cluster().lepeer)
            .env_clear()
            .env("KUBECONFIG", second_kubeconfig())
            .args([
                "--namespace",
                ns,
                "--name",
                "dispatcher",
                "--identity",
                identity,
            ])
            .args([
                "--pod=",
                "--lease-duration=4s",
                "--renew-deadline=3s",
                "--retry-period=500ms",
            ])
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn second_holder(ns: &str) -> String {
    let out = Command::new(cluster().kube_bin.join("kubectl"))
        .env("KUBECONFIG", second_kubeconfig())
        .args(["get", "lease", "dispatcher", "-n", ns])
        .args(["-o", "jsonpath={.spec.holderIdentity}"])
        .output()
        .unwrap();
    stdout(&out)
}

#[test]
fn watch_shows_a_leader_change_in_the_second_cluster_under_its_context_only() {
    let ns = namespace_in_both("fleetw");
    // The first cluster has a lease of the same name whose holder never changes.
    cluster().apply(&lease(&ns, "dispatcher", "first-holder"));
    let mut west_a = second_peer(&ns, "west-a");
    assert!(
        eventually(60, || second_holder(&ns) == "west-a"),
        "west-a never led"
    );

    let contexts = format!("{FIRST_CTX},{SECOND_CTX}");
    let (mut json_watch, json) = spawn_fleet(&[
        "status",
        "-w",
        "-o",
        "json",
        "-n",
        &ns,
        "--context",
        &contexts,
    ]);
    let (mut table_watch, table) =
        spawn_fleet(&["status", "-w", "-n", &ns, "--context", &contexts]);
    // The first line is the fleet's LockList; the table comes with its CONTEXT column.
    let first = json.recv_timeout(Duration::from_secs(60)).unwrap();
    let snapshot: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(snapshot["kind"], "LockList", "{first}");
    let holders: Vec<(&str, &str)> = snapshot["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["context"].as_str().unwrap(),
                i["holderIdentity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        holders,
        [(FIRST_CTX, "first-holder"), (SECOND_CTX, "west-a")],
        "{first}"
    );
    let header = table.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(header.starts_with("CONTEXT "), "{header}");
    lines_until(&table, "fleet: 2 locks");

    // A standby starts in the second cluster and the leader dies.
    let _west_b = second_peer(&ns, "west-b");
    std::thread::sleep(Duration::from_secs(1));
    west_a.stop();

    let seen = lines_until(&json, "\"LeaderChanged\"");
    let events: Vec<Value> = seen
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let change = events.last().unwrap();
    assert_eq!(change["context"], SECOND_CTX, "{change}");
    assert_eq!(change["from"], "west-a", "{change}");
    assert_eq!(change["to"], "west-b", "{change}");
    assert_eq!(change["namespace"], ns.as_str(), "{change}");
    assert_eq!(change["name"], "dispatcher", "{change}");
    // Every line names its context, and nothing happened under the first cluster's.
    for event in &events {
        assert_eq!(event["context"], SECOND_CTX, "{event}");
    }
    let lines = lines_until(&table, "leader changed: west-a → west-b");
    let line = lines.last().unwrap();
    assert!(
        line.contains(&format!(
            "  {SECOND_CTX}  lease/{ns}/dispatcher  leader changed"
        )),
        "{line}"
    );
    assert!(!lines.iter().any(|l| l.contains(FIRST_CTX)), "{lines:#?}");

    // Ctrl-C ends a watch of healthy clusters with 0.
    let (code, err) = interrupt(&mut json_watch);
    assert_eq!(code, Some(0), "{err}");
    table_watch.stop();
    delete_in_both(&ns);
}

#[test]
fn a_dead_context_is_named_while_the_others_are_watched_and_the_end_is_exit_3() {
    let ns = namespace_in_both("fleetd");
    second_apply(&ns, &lease(&ns, "dispatcher", "west-a"));
    let contexts = format!("{SECOND_CTX},dead,hung");
    let (mut watch, lines) = spawn_fleet(&[
        "status",
        "-w",
        "-n",
        &ns,
        "--context",
        &contexts,
        "--request-timeout",
        "3s",
    ]);
    let view = lines_until(&lines, "fleet: 1 lock (1 Held) in 1 of 3 clusters");
    assert!(view[0].starts_with("CONTEXT "), "{view:#?}");
    for name in ["dead", "hung"] {
        let line = format!("{name}: not read (the error is on stderr)");
        assert!(view.contains(&line), "{view:#?}");
    }
    // The live cluster is still followed: a new holder there is a change line.
    second_apply(&ns, &lease(&ns, "dispatcher", "west-b"));
    let changed = lines_until(&lines, "leader changed: west-a → west-b");
    assert!(changed.last().unwrap().contains(SECOND_CTX), "{changed:#?}");

    let (code, err) = interrupt(&mut watch);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("error: context dead: cannot reach the API server"),
        "{err}"
    );
    assert!(
        err.contains("error: context hung: no answer from the API server at ")
            && err.contains(" within 3s "),
        "{err}"
    );
    assert!(
        err.trim_end()
            .ends_with("error: 2 of 3 clusters could not be watched: dead, hung"),
        "{err}"
    );
    delete_in_both(&ns);
}

/// A context on the second cluster acting as a ServiceAccount that may list leases in `ns` but
/// not watch them: its first read works, its Lease watch is refused.
fn no_watch_kubeconfig(ns: &str) -> String {
    second_apply(
        ns,
        &format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: nowatch, namespace: {ns}}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: nowatch, namespace: {ns}}}\nrules:\n- apiGroups: [coordination.k8s.io]\n  resources: [leases, leasecandidates]\n  verbs: [get, list]\n- apiGroups: ['']\n  resources: [configmaps, endpoints, pods]\n  verbs: [get, list, watch]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: nowatch, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: nowatch}}\nsubjects: [{{kind: ServiceAccount, name: nowatch, namespace: {ns}}}]\n"
        ),
    );
    let admin = std::fs::read_to_string(second_kubeconfig()).unwrap();
    let field = |key: &str| {
        admin
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in the second kubeconfig"))
            .trim()
            .to_string()
    };
    let file = std::env::temp_dir().join(format!("{ns}-nowatch.yaml"));
    std::fs::write(
        &file,
        format!(
            "apiVersion: v1\nkind: Config\ncontexts:\n- name: nowatch\n  context: {{cluster: {SECOND_CTX}, user: nowatch}}\nusers:\n- name: nowatch\n  user: {{client-certificate: '{}', client-key: '{}', as: 'system:serviceaccount:{ns}:nowatch'}}\nclusters: []\n",
            field("client-certificate:"),
            field("client-key:")
        ),
    )
    .unwrap();
    format!("{}:{}", fleet_kubeconfig(), file.display())
}

#[test]
fn a_refused_lease_watch_is_named_and_the_other_cluster_is_still_followed() {
    let ns = namespace_in_both("fleetr");
    cluster().apply(&lease(&ns, "dispatcher", "east-a"));
    second_apply(&ns, &lease(&ns, "dispatcher", "west-a"));
    let kubeconfig = no_watch_kubeconfig(&ns);
    let errors = std::env::temp_dir().join(format!("{ns}-watch.err"));
    let contexts = format!("{FIRST_CTX},nowatch");
    let mut watch = KillOnDrop(
        cluster()
            .singleton_command(&["status", "-w", "-n", &ns, "--context", &contexts])
            .env("KUBECONFIG", &kubeconfig)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&errors).unwrap())
            .spawn()
            .unwrap(),
    );
    let out = watch.0.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Its first read worked: the view shows both holders.
    let view = lines_until(&lines, "fleet: 2 locks (2 Held) in 2 of 2 clusters");
    assert!(
        view.iter()
            .any(|l| l.starts_with("nowatch ") && l.contains("west-a")),
        "{view:#?}"
    );
    let stderr_text = || std::fs::read_to_string(&errors).unwrap_or_default();
    assert!(
        eventually(30, || stderr_text()
            .contains("error: context nowatch: cannot watch leases")),
        "{}",
        stderr_text()
    );
    // The first cluster is still followed after the other's watch was refused.
    cluster().apply(&lease(&ns, "dispatcher", "east-b"));
    let changed = lines_until(&lines, "leader changed: east-a → east-b");
    assert!(
        changed
            .last()
            .unwrap()
            .contains(&format!("  {FIRST_CTX}  lease/{ns}/dispatcher")),
        "{changed:#?}"
    );
    let (code, _) = interrupt(&mut watch);
    assert_eq!(code, Some(3));
    let err = stderr_text();
    assert_eq!(err.matches("error: context nowatch:").count(), 1, "{err}");
    assert!(
        err.trim_end()
            .ends_with("error: 1 of 2 clusters could not be watched: nowatch"),
        "{err}"
    );
    delete_in_both(&ns);
}

#[test]
fn shards_across_two_contexts_validate_and_each_family_stays_under_its_context() {
    let ns = namespace_in_both("fleets");
    for i in 0..3 {
        cluster().apply(&lease(&ns, &format!("bucket.{i}-of-3"), "first-holder"));
        let holder = if i == 2 { "" } else { "second-holder" };
        second_apply(&ns, &lease(&ns, &format!("bucket.{i}-of-3"), holder));
    }
    let contexts = format!("{FIRST_CTX},{SECOND_CTX}");
    let out = cluster()
        .singleton_command(&[
            "status",
            "--shards",
            "-n",
            &ns,
            "--context",
            &contexts,
            "-o",
            "json",
        ])
        .env("KUBECONFIG", fleet_kubeconfig())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/shards.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    let families: Vec<(&str, &str, &str, u64)> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["context"].as_str().unwrap(),
                f["family"].as_str().unwrap(),
                f["state"].as_str().unwrap(),
                f["led"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        families,
        [
            (FIRST_CTX, "bucket.*-of-3", "Healthy", 3),
            (SECOND_CTX, "bucket.*-of-3", "Degraded", 2)
        ],
        "{doc:#}"
    );
    let holders = |i: usize| doc["items"][i]["holders"].as_object().unwrap().clone();
    assert_eq!(holders(0).keys().collect::<Vec<_>>(), ["first-holder"]);
    assert_eq!(holders(1).keys().collect::<Vec<_>>(), ["second-holder"]);
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2, "{doc:#}");
    assert!(clusters.iter().all(|c| c["error"].is_null()), "{doc:#}");

    // One context stays the single-cluster document: no context, no clusters.
    let one = cluster()
        .singleton_command(&[
            "status",
            "--shards",
            "-n",
            &ns,
            "--context",
            FIRST_CTX,
            "-o",
            "json",
        ])
        .env("KUBECONFIG", fleet_kubeconfig())
        .output()
        .unwrap();
    let one: Value = serde_json::from_str(&stdout(&one)).unwrap();
    assert!(one.get("clusters").is_none(), "{one:#}");
    assert!(one["items"][0].get("context").is_none(), "{one:#}");

    // -w: a shard led again in the second cluster is a line under its context.
    let (mut watch, lines) = spawn_fleet(&[
        "status",
        "--shards",
        "-w",
        "-o",
        "json",
        "-n",
        &ns,
        "--context",
        &contexts,
    ]);
    let first: Value =
        serde_json::from_str(&lines.recv_timeout(Duration::from_secs(60)).unwrap()).unwrap();
    assert_eq!(first["kind"], "LeaseFamilyList");
    second_apply(&ns, &lease(&ns, "bucket.2-of-3", "second-standby"));
    let seen = lines_until(&lines, "\"led\"");
    let event: Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    assert_eq!(event["context"], SECOND_CTX, "{event}");
    assert_eq!(event["shard"], "bucket.2-of-3", "{event}");
    assert_eq!(event["holder"], "second-standby", "{event}");
    let (code, err) = interrupt(&mut watch);
    assert_eq!(code, Some(0), "{err}");
    delete_in_both(&ns);
}
