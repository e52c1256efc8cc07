//! `release` racing others on the same lease: a standby taking the lock between the read after
//! an eviction and the guarded write, and two `release --to` processes at once. The races are
//! lined up with the debug build's test pause (`KUBECTL_SINGLETON_TEST_PAUSE`, see
//! src/commands/release/pause.rs): the peers, the leases and the API server are all real.

use std::path::PathBuf;

use crate::harness::{KillOnDrop, TestCluster, cluster, confirm, eventually, now_micro, stderr};

/// The lease's holder; empty while there is none (or no lease yet).
fn holder(c: &TestCluster, ns: &str, name: &str) -> String {
    let out = c.kubectl(&[
        "get",
        "lease",
        name,
        "-n",
        ns,
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A pause point for one release process: the file it waits for, and the one it leaves when
/// it gets there.
struct Pause {
    file: PathBuf,
}

impl Pause {
    fn new(ns: &str) -> Self {
        let file = std::env::temp_dir().join(format!("release-pause-{ns}.go"));
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(Self::reached_of(&file));
        Pause { file }
    }

    fn reached_of(file: &std::path::Path) -> PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(".reached");
        PathBuf::from(name)
    }

    fn env(&self, point: &str) -> String {
        format!("{point}={}", self.file.display())
    }

    fn reached(&self) -> bool {
        Self::reached_of(&self.file).exists()
    }

    fn resume(&self) {
        std::fs::write(&self.file, "go").unwrap();
    }
}

impl Drop for Pause {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_file(Self::reached_of(&self.file));
        let _ = std::fs::remove_file(self.file.with_extension("out"));
        let _ = std::fs::remove_file(self.file.with_extension("err"));
    }
}

#[test]
fn a_conflict_after_the_eviction_never_evicts_the_new_leader() {
    let c = cluster();
    let ns = c.namespace("release-evict-race");
    let pods = c.deployment(&ns, "app", 2);
    // Short terms, and no release on the way out: the evicted leader's lease stays until it
    // expires, when the standby takes it.
    let timings = [
        "--lease-duration=3s",
        "--renew-deadline=2s",
        "--retry-period=500ms",
        "--release-on-cancel=false",
    ];
    let peers: Vec<_> = pods
        .iter()
        .map(|p| c.peer(&ns, "lock", p, &timings))
        .collect();
    assert!(
        eventually(30, || !holder(c, &ns, "lock").is_empty()),
        "no leader"
    );
    let old = holder(c, &ns, "lock");
    let standby = pods.iter().position(|p| *p != old).unwrap();
    let new = pods[standby].clone();

    // release stops after the evicted pod is gone and the lease is read again (still naming
    // the evicted pod), just before its guarded write.
    let pause = Pause::new(&ns);
    let mut release = KillOnDrop(
        c.singleton_command(&[
            "release", "lock", "-n", &ns, "--evict", "-y", "--wait", "20s",
        ])
        .env(
            "KUBECTL_SINGLETON_TEST_PAUSE",
            pause.env("free-after-eviction"),
        )
        .stdout(std::fs::File::create(pause.file.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(pause.file.with_extension("err")).unwrap())
        .spawn()
        .unwrap(),
    );
    assert!(
        eventually(60, || pause.reached()),
        "release never got to the write after the eviction"
    );
    // Meanwhile the evicted leader's lease expires and the standby's client-go takes it.
    assert!(
        eventually(30, || holder(c, &ns, "lock") == new),
        "the standby never took the lease: holder {}",
        holder(c, &ns, "lock")
    );
    pause.resume();
    let status = release.0.wait().unwrap();
    let text = std::fs::read_to_string(pause.file.with_extension("out")).unwrap();
    let err = std::fs::read_to_string(pause.file.with_extension("err")).unwrap();
    assert!(text.contains("409 Conflict"), "{text}{err}");
    assert!(
        !text.contains(&format!("evict pod {ns}/{new}")),
        "a second eviction, of the new leader: {text}{err}"
    );
    assert!(
        c.kubectl(&["get", "pod", &new, "-n", &ns]).status.success()
            && c.kubectl_ok(&[
                "get",
                "pod",
                &new,
                "-n",
                &ns,
                "-o",
                "jsonpath={.metadata.deletionTimestamp}"
            ])
            .is_empty(),
        "the new leader's pod was evicted: {text}{err}"
    );
    assert!(
        !peers[standby].has_event("stopped_leading"),
        "the new leader was stopped: {:?}",
        peers[standby].events()
    );
    // The new leader renews its lease all along: it must still hold it, never freed by us.
    assert_eq!(
        holder(c, &ns, "lock"),
        new,
        "the new leader's lease was overwritten: {text}"
    );
    assert_eq!(status.code(), Some(0), "{text}{err}");
    assert!(text.contains(&format!("new leader {new}")), "{text}{err}");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn two_releases_to_the_same_candidate_write_once_and_the_second_reports_the_handover_under_way() {
    let c = cluster();
    let ns = c.namespace("release-to-race");
    // A coordinated lease under a third party's strategy, held by `a`: `--to b` sets
    // preferredHolder, which that party's controller acts on.
    let now = now_micro();
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: a\n  leaseDurationSeconds: 300\n  renewTime: '{now}'\n  acquireTime: '{now}'\n  leaseTransitions: 1\n  strategy: example.com/Preferred\n"
    ));
    let args = ["release", "lock", "-n", &ns, "--to", "b", "--no-wait"];
    let (mut first, first_screen) = c.singleton_at_prompt(&args);
    let (mut second, second_screen) = c.singleton_at_prompt(&args);
    // Both read the same resourceVersion and plan the same write; confirm one, then the other.
    assert_eq!(
        confirm(&mut first).code(),
        Some(0),
        "{}",
        first_screen.lock().unwrap()
    );
    let preferred = c.lease_json(&ns, "lock");
    assert_eq!(preferred["spec"]["preferredHolder"], "b", "{preferred}");
    let status = confirm(&mut second);
    let first_text = first_screen.lock().unwrap().clone();
    let second_text = second_screen.lock().unwrap().clone();
    assert!(
        first_text.contains("set preferredHolder to b"),
        "{first_text}"
    );
    assert_eq!(status.code(), Some(0), "{second_text}");
    assert!(second_text.contains("409 Conflict"), "{second_text}");
    assert!(
        second_text.contains("preferredHolder is already b"),
        "the loser must re-read and report the handover already asked for: {second_text}"
    );
    assert!(
        !second_text.contains("set preferredHolder to b"),
        "{second_text}"
    );
    assert_eq!(
        c.lease_json(&ns, "lock")["metadata"]["resourceVersion"],
        preferred["metadata"]["resourceVersion"],
        "the second release wrote too: {second_text}"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn an_evicted_pod_still_terminating_when_wait_runs_out_leaves_the_lock_as_it_is() {
    let c = cluster();
    let ns = c.namespace("release-slow-pod");
    // A finalizer nobody removes: the evicted pod stays Terminating.
    c.apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: leader, namespace: {ns}, finalizers: [example.com/hold]}}\nspec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    assert!(eventually(60, || c.pod_ready(&ns, "leader")), "never Ready");
    let now = now_micro();
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: leader\n  leaseDurationSeconds: 300\n  renewTime: '{now}'\n  acquireTime: '{now}'\n"
    ));
    let before = c.lease_json(&ns, "lock")["metadata"]["resourceVersion"].clone();
    let out = c.singleton(&[
        "release", "lock", "-n", &ns, "--evict", "-y", "--wait", "3s",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "pod {ns}/leader was evicted but is still terminating after --wait"
        )) && err.contains("the lock is left as it is"),
        "{err}"
    );
    assert_eq!(
        c.lease_json(&ns, "lock")["metadata"]["resourceVersion"],
        before
    );
    c.kubectl_ok(&[
        "patch",
        "pod",
        "leader",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
