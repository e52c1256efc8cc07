//! The shared real cluster and helpers to run our binary — directly or through kubectl's plugin
//! discovery — with a scrubbed environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The cluster started by `tests/cluster/cluster.sh up`, shared by every test of this run.
pub struct TestCluster {
    pub kubeconfig: PathBuf,
    /// Folder with kubectl (and the control plane) of the cluster's version.
    pub kube_bin: PathBuf,
    /// The client-go leader-election peer.
    pub lepeer: PathBuf,
    /// A folder whose only entry is `kubectl-singleton`, for kubectl's plugin discovery.
    plugin_dir: PathBuf,
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Starts the cluster once per test binary (the script is idempotent and locked, so a cluster
/// already up is reused). A cluster that cannot start fails the test: the e2e suite never skips.
pub fn cluster() -> &'static TestCluster {
    static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let script = repo_root().join("tests/cluster/cluster.sh");
        let up = Command::new("bash")
            .arg(&script)
            .arg("up")
            .output()
            .expect("cannot run cluster.sh");
        assert!(
            up.status.success(),
            "tests/cluster/cluster.sh up failed:\n{}",
            String::from_utf8_lossy(&up.stderr)
        );
        let env = Command::new("bash")
            .arg(&script)
            .arg("env")
            .output()
            .expect("cannot run cluster.sh env");
        let env = String::from_utf8(env.stdout).unwrap();
        let get = |key: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("cluster.sh env printed no {key}"))
        };
        let plugin_dir =
            std::env::temp_dir().join(format!("kubectl-singleton-plugin-{}", std::process::id()));
        std::fs::create_dir_all(&plugin_dir).unwrap();
        let link = plugin_dir.join("kubectl-singleton");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-singleton"), &link).unwrap();
        // The completion helper kubectl looks for on PATH, as shipped.
        let complete = plugin_dir.join("kubectl_complete-singleton");
        let _ = std::fs::remove_file(&complete);
        std::os::unix::fs::symlink(
            repo_root().join("completions/kubectl_complete-singleton"),
            &complete,
        )
        .unwrap();
        TestCluster {
            kubeconfig: get("KUBECONFIG"),
            kube_bin: get("KUBE_BIN"),
            lepeer: get("LEPEER"),
            plugin_dir,
        }
    })
}

impl TestCluster {
    /// A command with only what it needs in its environment: no NO_COLOR, no user kubeconfig.
    fn scrubbed(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            self.plugin_dir.display(),
            self.kube_bin.display()
        );
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", std::env::temp_dir())
            .env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    /// Our binary, run directly.
    pub fn singleton(&self, args: &[&str]) -> Output {
        self.singleton_command(args).output().unwrap()
    }

    /// Our binary as a command to spawn (for `--watch`).
    pub fn singleton_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.scrubbed(Path::new(env!("CARGO_BIN_EXE_kubectl-singleton")));
        cmd.args(args);
        cmd
    }

    /// Our binary on a pseudo-terminal (util-linux `script`), for prompts: write answers to the
    /// child's stdin; everything the terminal shows collects in the returned buffer.
    pub fn singleton_on_terminal(
        &self,
        args: &[&str],
    ) -> (
        std::process::Child,
        std::sync::Arc<std::sync::Mutex<String>>,
    ) {
        use std::io::Read;
        let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_kubectl-singleton"))
            .chain(args.iter().copied())
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect();
        let mut child = self
            .scrubbed(Path::new("/usr/bin/script"))
            .args(["-qfec", &quoted.join(" "), "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot run script(1) from util-linux");
        let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pty = child.stdout.take().unwrap();
        let shown = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pty.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        (child, screen)
    }

    /// The real kubectl of the cluster's version (so `kubectl singleton ...` goes through
    /// kubectl's plugin discovery on PATH).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.scrubbed(&self.kube_bin.join("kubectl"))
            .args(args)
            .output()
            .unwrap()
    }

    /// kubectl that must succeed; returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Whether a pod's Ready condition is True now.
    pub fn pod_ready(&self, namespace: &str, pod: &str) -> bool {
        self.kubectl_ok(&[
            "get",
            "pod",
            pod,
            "-n",
            namespace,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ]) == "True"
    }

    /// The names of the Running pods labelled `selector` in a namespace.
    pub fn running_pods(&self, namespace: &str, selector: &str) -> Vec<String> {
        self.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            namespace,
            "-l",
            selector,
            "--field-selector=status.phase=Running",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
        .split_whitespace()
        .map(str::to_string)
        .collect()
    }

    /// Waits up to `secs` for a Running pod labelled `selector`, and gives the first one's name.
    pub fn wait_running_pod(&self, namespace: &str, selector: &str, secs: u64) -> String {
        let mut found = Vec::new();
        assert!(
            eventually(secs, || {
                found = self.running_pods(namespace, selector);
                !found.is_empty()
            }),
            "no Running pod labelled {selector} in {namespace} within {secs}s"
        );
        found.swap_remove(0)
    }

    /// kubectl apply of an inline manifest, which must succeed.
    pub fn apply(&self, manifest: &str) {
        let out = self.try_apply(manifest, &[]);
        assert!(
            out.status.success(),
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// kubectl apply of an inline manifest with extra flags (e.g. `--dry-run=server`).
    pub fn try_apply(&self, manifest: &str, extra: &[&str]) -> Output {
        use std::io::Write;
        let mut child = self
            .scrubbed(&self.kube_bin.join("kubectl"))
            .args(["apply", "-f", "-"])
            .args(extra)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(manifest.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// A fresh namespace for one test, so tests never see each other's objects.
    ///
    /// Returns once kube-controller-manager has made the namespace's `default` ServiceAccount:
    /// until then the ServiceAccount admission plugin refuses every pod there. That is a few
    /// milliseconds normally, but seconds just after an API server restart, while the
    /// controller manager re-syncs (the soak tests restart it).
    pub fn namespace(&self, prefix: &str) -> String {
        let name = format!("{prefix}-{}", unique_suffix());
        self.kubectl_ok(&["create", "namespace", &name]);
        assert!(
            eventually(120, || self
                .kubectl(&[
                    "get",
                    "serviceaccount",
                    "default",
                    "-n",
                    &name,
                    "-o",
                    "name"
                ])
                .status
                .success()),
            "namespace {name} got no default ServiceAccount within 120s"
        );
        name
    }

    /// Starts a client-go leader-election peer; it is killed when the guard drops.
    pub fn peer(&self, namespace: &str, lease: &str, identity: &str, extra: &[&str]) -> Peer {
        self.spawn_peer(None, (namespace, lease), identity, extra)
    }

    /// A peer as `peer` starts it, against the cluster of another kubeconfig.
    pub fn peer_on(
        &self,
        kubeconfig: &Path,
        (namespace, lease): (&str, &str),
        identity: &str,
        extra: &[&str],
    ) -> Peer {
        self.spawn_peer(Some(kubeconfig), (namespace, lease), identity, extra)
    }

    fn spawn_peer(
        &self,
        kubeconfig: Option<&Path>,
        (namespace, lease): (&str, &str),
        identity: &str,
        extra: &[&str],
    ) -> Peer {
        let log = std::env::temp_dir().join(format!("lepeer-{namespace}-{identity}.jsonl"));
        let mut command = self.scrubbed(&self.lepeer);
        if let Some(kubeconfig) = kubeconfig {
            command.env("KUBECONFIG", kubeconfig);
        }
        let child = command
            .args([
                "--namespace",
                namespace,
                "--name",
                lease,
                "--identity",
                identity,
            ])
            .args(extra)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Peer { child, log }
    }
}

/// A running leader-election peer; its JSON event lines go to `log`.
pub struct Peer {
    child: std::process::Child,
    pub log: PathBuf,
}

impl Peer {
    pub fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn has_event(&self, kind: &str) -> bool {
        self.events().iter().any(|e| e["event"] == kind)
    }

    /// SIGKILL: the peer dies without releasing, like a crashed process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process has exited by itself.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed when dropped, so a failed assertion never leaks it (a leaked child
/// holding the test's stdout pipe keeps `cargo test | tail` waiting forever).
pub struct KillOnDrop(pub std::process::Child);

impl KillOnDrop {
    /// Kills the process now and reaps it.
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `check` every 200 ms until it is true or `secs` pass; returns whether it became true.
pub fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    check()
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:x}{}", nanos % 0xfffff, N.fetch_add(1, Ordering::Relaxed))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A TCP proxy in front of the API server whose connections a test can cut, and which can
/// refuse new ones for a while: a network outage under a running `--watch`.
pub struct CuttableProxy {
    pub port: u16,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    blocked: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Connections dropped at once while blocked: proof the client tried to come back.
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CuttableProxy {
    pub fn to(upstream: std::net::SocketAddr) -> Self {
        Self::start(upstream, u64::MAX)
    }

    /// A proxy that cuts each connection once the server has sent `limit` bytes on it: a
    /// stream dropped in the middle of a response.
    pub fn truncating(upstream: std::net::SocketAddr, limit: u64) -> Self {
        Self::start(upstream, limit)
    }

    fn start(upstream: std::net::SocketAddr, limit: u64) -> Self {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let blocked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (conns, refusing, refusals) = (open.clone(), blocked.clone(), refused.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if refusing.load(Ordering::SeqCst) {
                    refusals.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(upstream) else {
                    continue;
                };
                let mut list = conns.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (from, mut to, most) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        u64::MAX,
                    ),
                    (server, client, limit),
                ] {
                    std::thread::spawn(move || {
                        use std::io::Read;
                        let _ = std::io::copy(&mut from.try_clone().unwrap().take(most), &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                        let _ = from.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        CuttableProxy {
            port,
            open,
            blocked,
            refused,
        }
    }

    /// Drops every open connection (returns how many sockets); while `refuse_new`, new ones
    /// are dropped at once too.
    pub fn cut(&self, refuse_new: bool) -> usize {
        self.blocked
            .store(refuse_new, std::sync::atomic::Ordering::SeqCst);
        let mut open = self.open.lock().unwrap();
        for conn in open.iter() {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        let count = open.len();
        open.clear();
        count
    }

    pub fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn restore(&self) {
        self.blocked
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl TestCluster {
    /// The API server's address, from the kubeconfig.
    pub fn apiserver_addr(&self) -> std::net::SocketAddr {
        let text = std::fs::read_to_string(&self.kubeconfig).unwrap();
        let server = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .unwrap();
        server.trim_start_matches("https://").parse().unwrap()
    }

    /// A copy of the kubeconfig that reaches the API server through `port` on 127.0.0.1.
    pub fn kubeconfig_via(&self, port: u16) -> PathBuf {
        let text = std::fs::read_to_string(&self.kubeconfig).unwrap();
        let rewritten = text.replace(
            &format!("https://{}", self.apiserver_addr()),
            &format!("https://127.0.0.1:{port}"),
        );
        let path = std::env::temp_dir().join(format!("kubeconfig-via-{port}.yaml"));
        std::fs::write(&path, rewritten).unwrap();
        path
    }
}

/// The network to the API server goes away (`proxy` cuts every connection and refuses new
/// ones) while `before`, the client-go leader of `lease` in `ns`, dies and a standby `after`
/// takes over; the network comes back once the watchers behind the proxy have tried to
/// reconnect. Returns the new leader. Shared by the `status -w` and exporter fault tests.
pub fn takeover_while_cut(
    c: &TestCluster,
    proxy: &CuttableProxy,
    (ns, lease): (&str, &str),
    before: &mut Peer,
    after: &str,
    timings: &[&str],
) -> Peer {
    assert!(
        proxy.cut(true) > 0,
        "nothing was connected through the proxy"
    );
    let standby = c.peer(ns, lease, after, timings);
    before.kill();
    let holder = || {
        c.kubectl_ok(&[
            "get",
            "lease",
            lease,
            "-n",
            ns,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
    };
    assert!(
        eventually(30, || holder() == after),
        "standby {after} never took over"
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        proxy.refused() > 0,
        "nothing tried to reconnect during the outage"
    );
    proxy.restore();
    standby
}

/// Now as a Kubernetes MicroTime, the form of a lease's renewTime and acquireTime.
pub fn now_micro() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// Fails unless `out` exited with `code`, showing everything it printed.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(out),
        stderr(out)
    );
}

/// What a process on a pseudo-terminal has shown so far (see `singleton_on_terminal`).
pub type Screen = std::sync::Arc<std::sync::Mutex<String>>;

/// Answers `y` to a process waiting at its prompt, and waits for it to exit.
pub fn confirm(child: &mut std::process::Child) -> std::process::ExitStatus {
    use std::io::Write;
    child.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    child.wait().unwrap()
}

impl TestCluster {
    /// A Lease as the API server returns it.
    pub fn lease_json(&self, namespace: &str, name: &str) -> serde_json::Value {
        serde_json::from_str(
            &self.kubectl_ok(&["get", "lease", name, "-n", namespace, "-o", "json"]),
        )
        .unwrap()
    }

    /// A Deployment `name` of `replicas` pods labelled `app={name}`, whose pods never start a
    /// container (kwok runs them); waits until all are Running and gives their names.
    pub fn deployment(&self, namespace: &str, name: &str, replicas: u8) -> Vec<String> {
        self.apply(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
        ));
        let selector = format!("app={name}");
        let mut pods = Vec::new();
        assert!(
            eventually(60, || {
                pods = self.running_pods(namespace, &selector);
                pods.len() == replicas as usize
            }),
            "pods: {pods:?}"
        );
        pods
    }

    /// `singleton_on_terminal`, once it shows its `Proceed? [y/N]` prompt.
    pub fn singleton_at_prompt(&self, args: &[&str]) -> (std::process::Child, Screen) {
        let (child, screen) = self.singleton_on_terminal(args);
        assert!(
            eventually(30, || screen.lock().unwrap().contains("Proceed? [y/N]")),
            "no prompt: {}",
            screen.lock().unwrap()
        );
        (child, screen)
    }
}
