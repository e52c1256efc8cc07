use serde_json::Value;

use crate::harness::{TestCluster, cluster, eventually, stderr, stdout};

fn now_micro() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn lease(c: &TestCluster, ns: &str, name: &str, holder: &str) {
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  holderIdentity: '{holder}'\n  leaseDurationSeconds: 300\n  renewTime: '{now}'\n  acquireTime: '{now}'\n  leaseTransitions: 4\n",
        now = now_micro()
    ));
}

fn lease_json(c: &TestCluster, ns: &str, name: &str) -> Value {
    serde_json::from_str(&c.kubectl_ok(&["get", "lease", name, "-n", ns, "-o", "json"])).unwrap()
}

fn deployment(c: &TestCluster, ns: &str, name: &str, replicas: u8) -> Vec<String> {
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    let pods = || {
        c.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            ns,
            "-l",
            &format!("app={name}"),
            "--field-selector=status.phase=Running",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
    };
    assert!(
        eventually(60, || pods().split_whitespace().count()
            == replicas as usize),
        "pods: {}",
        pods()
    );
    pods().split_whitespace().map(str::to_string).collect()
}

/// After a refused eviction: the lease `lock` still has `before` as its resourceVersion and the
/// pod still exists.
fn assert_eviction_changed_nothing(c: &TestCluster, ns: &str, before: &Value, pod: &str) {
    assert_eq!(
        &lease_json(c, ns, "lock")["metadata"]["resourceVersion"],
        before
    );
    assert!(
        c.kubectl(&["get", "pod", pod, "-n", ns]).status.success(),
        "the pod was evicted"
    );
}

#[test]
fn a_live_holder_is_refused_and_nothing_changes_without_consent() {
    let c = cluster();
    let ns = c.namespace("release-refuse");
    let pods = deployment(c, &ns, "app", 1);
    lease(c, &ns, "lock", &pods[0]);
    let rv = || lease_json(c, &ns, "lock")["metadata"]["resourceVersion"].clone();
    let before = rv();

    let refused = c.singleton(&["release", "lock", "-n", &ns, "-y"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("is alive"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(rv(), before, "a refused release changed the lease");

    let dry = c.singleton(&["release", "lock", "-n", &ns, "--force", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("plan: FORCE") && stdout(&dry).contains("--dry-run: nothing changed"),
        "{}",
        stdout(&dry)
    );
    assert!(
        stdout(&dry).contains(&format!(
            "if resourceVersion is still {}",
            before.as_str().unwrap()
        )),
        "{}",
        stdout(&dry)
    );
    assert_eq!(rv(), before);

    let no_tty = c.singleton(&["release", "lock", "-n", &ns, "--force"]);
    assert_eq!(no_tty.status.code(), Some(1));
    assert!(
        stderr(&no_tty).contains("not a terminal and no -y"),
        "{}",
        stderr(&no_tty)
    );
    assert_eq!(rv(), before);

    let wrong = c.singleton(&[
        "release",
        "lock",
        "-n",
        &ns,
        "--force",
        "-y",
        "--expect-holder",
        "someone-else",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(rv(), before);

    let forced = c.singleton(&["release", "lock", "-n", &ns, "--force", "-y", "--no-wait"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stderr(&forced).contains("Warning:"), "{}", stderr(&forced));
    let spec = &lease_json(c, &ns, "lock")["spec"];
    assert_eq!(spec["holderIdentity"], "", "{spec}");
    assert_eq!(spec["leaseDurationSeconds"], 1, "{spec}");
    assert_eq!(spec["leaseTransitions"], 4, "transitions are kept: {spec}");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn an_orphaned_lease_is_freed_and_a_standby_leads_before_it_would_have_expired() {
    let c = cluster();
    let ns = c.namespace("release-orphan");
    let pods = deployment(c, &ns, "workers", 2);
    let timings = [
        "--lease-duration=15s",
        "--renew-deadline=10s",
        "--retry-period=500ms",
        "--release-on-cancel=false",
    ];
    let mut leader = c.peer(&ns, "jobs", &pods[0], &timings);
    assert!(
        eventually(30, || leader.has_event("started_leading")),
        "{:?}",
        leader.events()
    );
    let standby = c.peer(&ns, "jobs", &pods[1], &timings);
    leader.kill();
    c.kubectl_ok(&[
        "delete",
        "pod",
        &pods[0],
        "-n",
        &ns,
        "--wait=true",
        "--timeout=60s",
    ]);
    let renewed: jiff::Timestamp = lease_json(c, &ns, "jobs")["spec"]["renewTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let out = c.singleton(&["release", "jobs", "-n", &ns, "-y", "--wait", "30s"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("state Orphaned") && text.contains("freed the lock"),
        "{text}"
    );
    assert!(text.contains(&format!("new leader {}", pods[1])), "{text}");
    let acquired: jiff::Timestamp = lease_json(c, &ns, "jobs")["spec"]["acquireTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        acquired < renewed + jiff::SignedDuration::from_secs(15),
        "the standby only led after the old lease would have expired anyway ({acquired} vs {renewed} + 15s)"
    );
    assert!(standby.has_event("started_leading"));
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
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
    let pods = deployment(c, &ns, "consumer", 3);
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
    let old = lease_json(c, &ns, "consumer")["spec"]["holderIdentity"]
        .as_str()
        .unwrap()
        .to_string();

    let out = c.singleton(&[
        "release", "consumer", "-n", &ns, "--evict", "-y", "--wait", "60s",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains(&format!("evicted pod {ns}/{old}")), "{text}");
    assert!(text.contains("new leader "), "{text}");
    let new = lease_json(c, &ns, "consumer")["spec"]["holderIdentity"]
        .as_str()
        .unwrap()
        .to_string();
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
    let pods = deployment(c, &ns, "single", 1);
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
    let before = lease_json(c, &ns, "lock")["metadata"]["resourceVersion"].clone();
    let out = c.singleton(&["release", "lock", "-n", &ns, "--evict", "-y"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("blocked by PodDisruptionBudget single-guard"),
        "{}",
        stderr(&out)
    );
    assert_eviction_changed_nothing(c, &ns, &before, &pods[0]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn an_expired_legacy_configmap_lock_is_freed_in_its_annotation() {
    let c = cluster();
    let ns = c.namespace("release-legacy");
    let stale = "2026-01-01T00:00:00Z";
    c.apply(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old-controller\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: '{{\"holderIdentity\":\"old-controller-0\",\"leaseDurationSeconds\":15,\"acquireTime\":\"{stale}\",\"renewTime\":\"{stale}\",\"leaderTransitions\":6}}'\n"
    ));
    let out = c.singleton(&[
        "release",
        "old-controller",
        "-n",
        &ns,
        "--kind",
        "configmap",
        "-y",
        "--no-wait",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("the lease has expired"),
        "{}",
        stdout(&out)
    );
    let raw = c.kubectl_ok(&[
        "get",
        "configmap",
        "old-controller",
        "-n",
        &ns,
        "-o",
        "jsonpath={.metadata.annotations.control-plane\\.alpha\\.kubernetes\\.io/leader}",
    ]);
    let record: Value = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
    assert_eq!(record["holderIdentity"], "", "{record}");
    assert_eq!(record["leaseDurationSeconds"], 1, "{record}");
    assert_eq!(record["leaderTransitions"], 6, "{record}");
    assert_ne!(record["renewTime"], stale, "{record}");
    // Without --kind the lease of that name is looked for, and there is none.
    let lease = c.singleton(&["release", "old-controller", "-n", &ns, "-y"]);
    assert_eq!(lease.status.code(), Some(3), "{}", stderr(&lease));
    assert!(
        stderr(&lease).contains("leases \"old-controller\" not found"),
        "{}",
        stderr(&lease)
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn a_lease_changed_while_the_user_confirms_is_reread_and_never_overwritten() {
    use std::io::Write;
    let c = cluster();
    let ns = c.namespace("release-conflict");
    let pods = deployment(c, &ns, "app", 1);
    // An expired lease of a pod that never existed: release would free it.
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: ghost\n  leaseDurationSeconds: 15\n  renewTime: '2020-01-01T00:00:00.000000Z'\n  leaseTransitions: 2\n"
    ));
    let (mut child, screen) = c.singleton_on_terminal(&["release", "lock", "-n", &ns, "--no-wait"]);
    assert!(
        eventually(30, || screen.lock().unwrap().contains("Proceed? [y/N]")),
        "no prompt: {}",
        screen.lock().unwrap()
    );
    // While the user reads the plan, the live pod takes the lease.
    c.kubectl_ok(&[
        "patch",
        "lease",
        "lock",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        &format!(
            r#"{{"spec":{{"holderIdentity":"{}","renewTime":"{}","leaseDurationSeconds":300}}}}"#,
            pods[0],
            now_micro()
        ),
    ]);
    let taken = lease_json(c, &ns, "lock");
    child.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    let status = child.wait().unwrap();
    let text = screen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("409 Conflict"), "{text}");
    assert!(
        text.contains(&format!("holder {}", pods[0])) && text.contains("is alive"),
        "the second decision must see the new holder and refuse: {text}"
    );
    assert_eq!(
        lease_json(c, &ns, "lock")["metadata"]["resourceVersion"],
        taken["metadata"]["resourceVersion"],
        "the new holder's lease was overwritten: {text}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn to_on_a_server_elected_lease_names_only_the_candidate_the_election_picks() {
    let c = cluster();
    let ns = c.namespace("release-to");
    for pod in ["first", "second"] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {pod}, namespace: {ns}}}\nspec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
        ));
    }
    let timings = [
        "--coordinated",
        "--lease-duration=6s",
        "--renew-deadline=4s",
        "--retry-period=1s",
    ];
    let first = c.peer(&ns, "sched", "first", &timings);
    assert!(eventually(30, || first.has_event("started_leading")));
    let _second = c.peer(&ns, "sched", "second", &timings);
    let candidates = || {
        c.kubectl_ok(&["get", "leasecandidates", "-n", &ns, "-o", "name"])
            .lines()
            .count()
    };
    assert!(eventually(30, || candidates() == 2));
    assert_eq!(
        lease_json(c, &ns, "sched")["spec"]["strategy"],
        "OldestEmulationVersion"
    );

    // Equal versions: the API server elects the oldest candidate, `first`. Asking for `second`
    // would only end first's term (the server then elects first again), so it is refused.
    let refused = c.singleton(&["release", "sched", "-n", &ns, "--to", "second", "-y"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("picks first") && stderr(&refused).contains("not second"),
        "{}",
        stderr(&refused)
    );
    let spec = &lease_json(c, &ns, "sched")["spec"];
    assert!(spec["preferredHolder"].is_null(), "{spec}");
    assert_eq!(spec["holderIdentity"], "first", "{spec}");

    let stranger = c.singleton(&["release", "sched", "-n", &ns, "--to", "nobody", "-y"]);
    assert_eq!(stranger.status.code(), Some(1));
    assert!(
        stderr(&stranger).contains("not a LeaseCandidate"),
        "{}",
        stderr(&stranger)
    );

    let already = c.singleton(&["release", "sched", "-n", &ns, "--to", "first", "-y"]);
    assert_eq!(already.status.code(), Some(0), "{}", stderr(&already));
    assert!(stdout(&already).contains("first already holds the lock"));
    assert!(
        !first.has_event("stopped_leading"),
        "the leader was interrupted: {:?}",
        first.events()
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn evict_under_overlapping_pdbs_reports_the_api_servers_500_in_one_line() {
    let c = cluster();
    let ns = c.namespace("release-overlap");
    let pods = deployment(c, &ns, "single", 1);
    for name in ["guard-a", "guard-b"] {
        c.apply(&format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: single}}}}}}\n"
        ));
    }
    lease(c, &ns, "lock", &pods[0]);
    let before = lease_json(c, &ns, "lock")["metadata"]["resourceVersion"].clone();
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

#[test]
fn two_releases_at_once_one_writes_the_other_sees_the_conflict_and_reports_what_it_found() {
    use std::io::Write;
    let c = cluster();
    let ns = c.namespace("release-race");
    // An expired lease of a pod that never existed: both processes plan to free it.
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: ghost\n  leaseDurationSeconds: 15\n  renewTime: '2020-01-01T00:00:00.000000Z'\n  leaseTransitions: 2\n"
    ));
    let args = ["release", "lock", "-n", &ns, "--no-wait"];
    let (mut first, first_screen) = c.singleton_on_terminal(&args);
    let (mut second, second_screen) = c.singleton_on_terminal(&args);
    for screen in [&first_screen, &second_screen] {
        assert!(
            eventually(30, || screen.lock().unwrap().contains("Proceed? [y/N]")),
            "no prompt: {}",
            screen.lock().unwrap()
        );
    }
    // Both have read the same resourceVersion and hold the same plan; confirm one, then the other.
    first.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    assert_eq!(
        first.wait().unwrap().code(),
        Some(0),
        "{}",
        first_screen.lock().unwrap()
    );
    let freed = lease_json(c, &ns, "lock");
    second.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    let status = second.wait().unwrap();
    let first_text = first_screen.lock().unwrap().clone();
    let second_text = second_screen.lock().unwrap().clone();
    assert!(first_text.contains("freed the lock"), "{first_text}");
    assert!(!first_text.contains("409"), "{first_text}");
    assert_eq!(status.code(), Some(0), "{second_text}");
    assert!(second_text.contains("409 Conflict"), "{second_text}");
    assert!(
        second_text.contains("holder <none>")
            && second_text.contains("already released (no holder)"),
        "the loser must re-read and report the freed lock: {second_text}"
    );
    assert!(!second_text.contains("freed the lock"), "{second_text}");
    assert_eq!(
        lease_json(c, &ns, "lock")["metadata"]["resourceVersion"],
        freed["metadata"]["resourceVersion"],
        "the second release wrote too"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn ctrl_c_during_the_wait_exits_130_saying_what_was_done_and_what_was_not() {
    let c = cluster();
    let ns = c.namespace("release-sigint");
    // An expired lease nobody else wants: release frees it, then waits for a leader in vain.
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: ghost\n  leaseDurationSeconds: 15\n  renewTime: '2020-01-01T00:00:00.000000Z'\n  leaseTransitions: 2\n"
    ));
    let child = c
        .singleton_command(&["release", "lock", "-n", &ns, "-y", "--wait", "5m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        eventually(30, || lease_json(c, &ns, "lock")["spec"]["holderIdentity"]
            .as_str()
            .is_none_or(str::is_empty)),
        "the lease was never freed"
    );
    let freed = lease_json(c, &ns, "lock");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("freed the lock"), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "interrupted (Ctrl-C): done: freed the lock; not done: waiting for a new leader"
        ),
        "{err}"
    );
    assert_eq!(
        lease_json(c, &ns, "lock")["metadata"]["resourceVersion"],
        freed["metadata"]["resourceVersion"],
        "nothing may change after Ctrl-C"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
