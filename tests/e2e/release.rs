//! `release` of a lease or a legacy lock: what it refuses without consent, what it frees, a
//! lease changed while the user confirms, `--to`, and Ctrl-C. `--evict` is in release_evict.rs,
//! races lined up with the test pause in release_races.rs.

use serde_json::Value;

use crate::harness::{
    TestCluster, assert_exit, cluster, confirm, eventually, now_micro, stderr, stdout,
};

/// A lease held by `holder`, renewed just now for 300 s, after four transitions.
pub(crate) fn lease(c: &TestCluster, ns: &str, name: &str, holder: &str) {
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  holderIdentity: '{holder}'\n  leaseDurationSeconds: 300\n  renewTime: '{now}'\n  acquireTime: '{now}'\n  leaseTransitions: 4\n",
        now = now_micro()
    ));
}

/// The lease `lock`, expired long ago, of `ghost`, a pod that never existed: release frees it.
fn expired_ghost_lease(c: &TestCluster, ns: &str) {
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: ghost\n  leaseDurationSeconds: 15\n  renewTime: '2020-01-01T00:00:00.000000Z'\n  leaseTransitions: 2\n"
    ));
}

/// The resourceVersion of the lease `name`: it changes with every write.
pub(crate) fn resource_version(c: &TestCluster, ns: &str, name: &str) -> Value {
    c.lease_json(ns, name)["metadata"]["resourceVersion"].clone()
}

#[test]
fn a_live_holder_is_refused_and_nothing_changes_without_consent() {
    let c = cluster();
    let ns = c.namespace("release-refuse");
    let pods = c.deployment(&ns, "app", 1);
    lease(c, &ns, "lock", &pods[0]);
    let rv = || resource_version(c, &ns, "lock");
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
    let spec = &c.lease_json(&ns, "lock")["spec"];
    assert_eq!(spec["holderIdentity"], "", "{spec}");
    assert_eq!(spec["leaseDurationSeconds"], 1, "{spec}");
    assert_eq!(spec["leaseTransitions"], 4, "transitions are kept: {spec}");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn an_orphaned_lease_is_freed_and_a_standby_leads_before_it_would_have_expired() {
    let c = cluster();
    let ns = c.namespace("release-orphan");
    let pods = c.deployment(&ns, "workers", 2);
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
    let renewed: jiff::Timestamp = c.lease_json(&ns, "jobs")["spec"]["renewTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let out = c.singleton(&["release", "jobs", "-n", &ns, "-y", "--wait", "30s"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("state Orphaned") && text.contains("freed the lock"),
        "{text}"
    );
    assert!(text.contains(&format!("new leader {}", pods[1])), "{text}");
    let acquired: jiff::Timestamp = c.lease_json(&ns, "jobs")["spec"]["acquireTime"]
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
    assert_exit(&out, 0);
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
    let c = cluster();
    let ns = c.namespace("release-conflict");
    let pods = c.deployment(&ns, "app", 1);
    expired_ghost_lease(c, &ns);
    let (mut child, screen) = c.singleton_at_prompt(&["release", "lock", "-n", &ns, "--no-wait"]);
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
    let taken = c.lease_json(&ns, "lock");
    let status = confirm(&mut child);
    let text = screen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("409 Conflict"), "{text}");
    assert!(
        text.contains(&format!("holder {}", pods[0])) && text.contains("is alive"),
        "the second decision must see the new holder and refuse: {text}"
    );
    assert_eq!(
        resource_version(c, &ns, "lock"),
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
        c.lease_json(&ns, "sched")["spec"]["strategy"],
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
    let spec = &c.lease_json(&ns, "sched")["spec"];
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
fn two_releases_at_once_one_writes_the_other_sees_the_conflict_and_reports_what_it_found() {
    let c = cluster();
    let ns = c.namespace("release-race");
    // Both processes plan to free it.
    expired_ghost_lease(c, &ns);
    let args = ["release", "lock", "-n", &ns, "--no-wait"];
    let (mut first, first_screen) = c.singleton_at_prompt(&args);
    let (mut second, second_screen) = c.singleton_at_prompt(&args);
    // Both have read the same resourceVersion and hold the same plan; confirm one, then the other.
    assert_eq!(
        confirm(&mut first).code(),
        Some(0),
        "{}",
        first_screen.lock().unwrap()
    );
    let freed = c.lease_json(&ns, "lock");
    let status = confirm(&mut second);
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
        resource_version(c, &ns, "lock"),
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
    expired_ghost_lease(c, &ns);
    let child = c
        .singleton_command(&["release", "lock", "-n", &ns, "-y", "--wait", "5m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        eventually(30, || c.lease_json(&ns, "lock")["spec"]["holderIdentity"]
            .as_str()
            .is_none_or(str::is_empty)),
        "the lease was never freed"
    );
    let freed = c.lease_json(&ns, "lock");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 130);
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
        resource_version(c, &ns, "lock"),
        freed["metadata"]["resourceVersion"],
        "nothing may change after Ctrl-C"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
