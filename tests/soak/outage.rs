//! A `release` interrupted by losing the API server exits 3 with one line: the state it left
//! and what to run next.

use std::time::Duration;

use crate::harness::{TestCluster, eventually};
use crate::{Paused, cluster_sh, freeze_apiserver, own_cluster, restart_apiserver};

fn holder(c: &TestCluster, ns: &str) -> String {
    let out = c.kubectl(&[
        "get",
        "lease",
        "lock",
        "-n",
        ns,
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn one_line(err: &str) -> &str {
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    err.trim_end()
}

#[test]
#[ignore = "stops the API server of its own cluster: .ci/run runs it (see tests/soak/main.rs)"]
fn api_server_lost_between_the_eviction_and_the_wait_exits_3_saying_what_was_done() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let c = own_cluster();
    let ns = c.namespace("outage-evict");
    c.apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: leader, namespace: {ns}}}\nspec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    assert!(
        eventually(60, || c.pod_ready(&ns, "leader")),
        "the pod never got Ready"
    );
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: leader\n  leaseDurationSeconds: 300\n  renewTime: '{now}'\n  acquireTime: '{now}'\n"
    ));
    let release = Paused::spawn(
        c,
        &[
            "release", "lock", "-n", &ns, "--evict", "-y", "--wait", "30s",
        ],
        "after-eviction",
        "evict",
    );
    assert!(
        eventually(60, || release.reached()),
        "release never evicted"
    );
    cluster_sh(&["kill", "apiserver"]);
    release.resume();
    let (code, out, err) = release.finish();
    restart_apiserver();
    assert_eq!(code, Some(3), "{out}{err}");
    let line = one_line(&err);
    assert!(
        line.contains(&format!(
            "release stopped, done: evicted pod {ns}/leader; not done: waiting for pod {ns}/leader to be gone"
        )),
        "{line}"
    );
    assert!(
        line.contains(&format!(
            "next: see who holds it with `kubectl singleton status lock -n {ns}`"
        )),
        "{line}"
    );
    // The state it names is the state left: the pod evicted, the lease untouched.
    assert_eq!(holder(c, &ns), "leader");
    assert!(
        eventually(60, || !c
            .kubectl(&["get", "pod", "leader", "-n", &ns])
            .status
            .success()),
        "the evicted pod is still there"
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
#[ignore = "stops the API server of its own cluster: .ci/run runs it (see tests/soak/main.rs)"]
fn api_server_lost_during_the_guarded_write_exits_3_saying_the_write_is_unknown() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let c = own_cluster();
    let ns = c.namespace("outage-write");
    // An expired lease of a pod that never existed: release frees it.
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: lock, namespace: {ns}}}\nspec:\n  holderIdentity: ghost\n  leaseDurationSeconds: 15\n  renewTime: '2020-01-01T00:00:00.000000Z'\n"
    ));
    let rv = c.kubectl_ok(&[
        "get",
        "lease",
        "lock",
        "-n",
        &ns,
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    let release = Paused::spawn(
        c,
        &["release", "lock", "-n", &ns, "-y", "--no-wait"],
        "before-write",
        "write",
    );
    assert!(
        eventually(60, || release.reached()),
        "release never planned the write"
    );
    // The write leaves while the API server is frozen, and the server dies before answering.
    freeze_apiserver();
    release.resume();
    std::thread::sleep(Duration::from_secs(2));
    cluster_sh(&["kill", "apiserver"]);
    let (code, out, err) = release.finish();
    restart_apiserver();
    assert_eq!(code, Some(3), "{out}{err}");
    let line = one_line(&err);
    assert!(
        line.contains(&format!(
            "release stopped, nothing done; unknown: whether the request to free the lock (resourceVersion {rv}) was applied (sent, never answered)"
        )),
        "{line}"
    );
    assert!(line.contains("next: "), "{line}");
    // It was not applied: the server was frozen before reading it.
    assert_eq!(holder(c, &ns), "ghost");
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
