//! `release` under fire, on its own control plane: the API server is killed and restarted in
//! the middle of handovers between real client-go peers. Every test here stops the API server
//! of the cluster named by KUBECTL_SINGLETON_CLUSTER, so they are ignored by default and
//! `.ci/run` runs them on their own cluster after the e2e suite:
//!
//!     KUBECTL_SINGLETON_CLUSTER=kubectl-singleton-soak cargo test --test soak -- --ignored --test-threads=1

mod handovers;
#[path = "../e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
mod outage;

use std::process::Command;

use harness::TestCluster;

/// The tests stop the one API server in turn, never at once.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The cluster these tests may break: never the shared e2e one.
fn own_cluster() -> &'static TestCluster {
    let name = std::env::var("KUBECTL_SINGLETON_CLUSTER").unwrap_or_default();
    assert!(
        !name.is_empty() && name != "kubectl-singleton-e2e",
        "the soak stops API servers: run it with KUBECTL_SINGLETON_CLUSTER=<its own cluster>, e.g. kubectl-singleton-soak"
    );
    harness::cluster()
}

/// `tests/cluster/cluster.sh ARGS...` on this cluster (the name is inherited); must succeed.
fn cluster_sh(args: &[&str]) {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/cluster/cluster.sh"
        ))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the API server again, then `up`: a controller-manager or scheduler that lost its
/// lease in the outage (and exited, as they do) is started again, and the cluster is whole
/// before the next handover.
fn restart_apiserver() {
    cluster_sh(&["start", "apiserver"]);
    cluster_sh(&["up"]);
}

/// The API server's pid, from `cluster.sh ps`.
fn apiserver_pid() -> String {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/cluster/cluster.sh"
        ))
        .arg("ps")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("kube-apiserver "))
        .expect("no kube-apiserver line in cluster.sh ps")
        .trim()
        .to_string()
}

/// Freezes the API server (SIGSTOP): a request sent now is never answered. Kill it after
/// (`cluster.sh kill apiserver`) and the client's connection is reset with the request on the wire.
fn freeze_apiserver() {
    let pid = apiserver_pid();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// A `release` held at one test pause point (see src/commands/release/pause.rs).
struct Paused {
    file: std::path::PathBuf,
    child: harness::KillOnDrop,
}

impl Paused {
    fn spawn(c: &TestCluster, args: &[&str], point: &str, tag: &str) -> Self {
        let file = std::env::temp_dir().join(format!("soak-pause-{tag}-{}", std::process::id()));
        for f in [
            file.clone(),
            Self::with(&file, "reached"),
            Self::with(&file, "out"),
            Self::with(&file, "err"),
        ] {
            let _ = std::fs::remove_file(f);
        }
        let child = c
            .singleton_command(args)
            .env(
                "KUBECTL_SINGLETON_TEST_PAUSE",
                format!("{point}={}", file.display()),
            )
            .stdout(std::fs::File::create(Self::with(&file, "out")).unwrap())
            .stderr(std::fs::File::create(Self::with(&file, "err")).unwrap())
            .spawn()
            .unwrap();
        Paused {
            file,
            child: harness::KillOnDrop(child),
        }
    }

    fn with(file: &std::path::Path, ext: &str) -> std::path::PathBuf {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".{ext}"));
        name.into()
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.0.try_wait(), Ok(Some(_)))
    }

    fn reached(&self) -> bool {
        Self::with(&self.file, "reached").exists()
    }

    fn resume(&self) {
        std::fs::write(&self.file, "go").unwrap();
    }

    /// Waits for the exit: (code, stdout, stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        let status = self.child.0.wait().unwrap();
        let read = |ext| std::fs::read_to_string(Self::with(&self.file, ext)).unwrap_or_default();
        let result = (status.code(), read("out"), read("err"));
        for ext in ["reached", "out", "err"] {
            let _ = std::fs::remove_file(Self::with(&self.file, ext));
        }
        let _ = std::fs::remove_file(&self.file);
        result
    }
}
