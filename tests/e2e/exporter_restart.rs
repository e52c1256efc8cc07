//! The exporter under an API server restart, on a control plane of its own
//! (`KUBECTL_SINGLETON_CLUSTER=kubectl-singleton-exporter-fault`, taken down on drop): the
//! API server stops, the leader dies meanwhile, a standby waits, the API server comes back and
//! the standby takes over. The exporter survives, stays ready, counts the watch restarts, and
//! counts the leader change exactly once.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::exporter::{http_get, start_exporter};
use crate::harness::{cluster, eventually};

const NAME: &str = "kubectl-singleton-exporter-fault";

fn cluster_sh(args: &[&str]) -> Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/cluster.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .env("KUBECTL_SINGLETON_CLUSTER", NAME)
        .env("KUBECTL_SINGLETON_NODES", "0")
        .output()
        .expect("cannot run cluster.sh");
    assert!(
        out.status.success(),
        "cluster.sh {args:?} ({NAME}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The cluster of this test; `cluster.sh down` when dropped, even after a failed assertion.
struct FaultCluster(PathBuf);

impl FaultCluster {
    fn up() -> Self {
        let out = cluster_sh(&["up"]);
        let path = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        FaultCluster(PathBuf::from(path))
    }
}

impl Drop for FaultCluster {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/cluster.sh");
        // Components started again by `cluster.sh start` are stopped one by one first: `down`
        // alone left a restarted API server, controller-manager and scheduler running.
        for args in [
            &["stop", "apiserver"][..],
            &["stop", "controller-manager"],
            &["stop", "scheduler"],
            &["down"],
        ] {
            let _ = Command::new("bash")
                .arg(&script)
                .args(args)
                .env("KUBECTL_SINGLETON_CLUSTER", NAME)
                .output();
        }
    }
}

fn scraped(addr: std::net::SocketAddr, prefix: &str) -> Option<f64> {
    let (_, text) = http_get(addr, "/metrics", None)?;
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn an_api_server_restart_neither_loses_nor_double_counts_the_leader_change() {
    let c = cluster();
    let fault = FaultCluster::up();
    let kubeconfig = fault.0.clone();
    assert!(
        kubeconfig.exists(),
        "cluster.sh up printed no kubeconfig: {kubeconfig:?}"
    );
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
        "--pod=",
    ];
    let lease = ("default", "indexer");
    let mut before = c.peer_on(&kubeconfig, lease, "restart-before", &timings);
    assert!(
        eventually(60, || before.has_event("started_leading")),
        "{:?}",
        before.events()
    );
    let (mut exporter, addr) = start_exporter(&[], Some(&kubeconfig));
    let series = "{namespace=\"default\",name=\"indexer\",kind=\"Lease\"";
    let info = format!("singleton_lock_info{series},holder=");
    let changes = format!("singleton_leader_changes_total{series}}}");
    assert!(
        eventually(60, || http_get(addr, "/metrics", None).is_some_and(
            |(_, t)| t.contains(&format!("{info}\"restart-before\""))
        )),
        "the exporter never saw the first leader"
    );
    assert_eq!(scraped(addr, &changes), Some(0.0));

    // The API server goes down; the leader dies meanwhile; a standby waits for it to come back.
    cluster_sh(&["stop", "apiserver"]);
    before.kill();
    let after = c.peer_on(&kubeconfig, lease, "restart-after", &timings);
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        exporter.0.try_wait().unwrap().is_none(),
        "the exporter exited while the API server was down"
    );
    cluster_sh(&["start", "apiserver"]);
    assert!(
        eventually(60, || after.has_event("started_leading")),
        "the standby never led: {:?}",
        after.events()
    );

    assert!(
        eventually(60, || http_get(addr, "/metrics", None).is_some_and(
            |(_, t)| t.contains(&format!("{info}\"restart-after\""))
        )),
        "the exporter never saw the new leader after the restart"
    );
    assert!(
        eventually(30, || scraped(addr, &changes) == Some(1.0)),
        "{:?}",
        scraped(addr, &changes)
    );
    // Every resumed watch and re-list delivers what it will; the count stays one.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(scraped(addr, &changes), Some(1.0), "counted twice");
    let restarts = scraped(
        addr,
        "singleton_exporter_watch_restarts_total{resource=\"leases\"}",
    );
    assert!(restarts.is_some_and(|r| r >= 1.0), "{restarts:?}");
    assert_eq!(
        http_get(addr, "/readyz", None).map(|(code, _)| code),
        Some(200)
    );
    assert!(
        exporter.0.try_wait().unwrap().is_none(),
        "the exporter exited"
    );
    exporter.stop();
}
