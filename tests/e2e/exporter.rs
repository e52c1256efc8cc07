//! `exporter` as a process against the real control plane, scraped by a real Prometheus (built
//! by tests/cluster/prometheus.sh from the Go module proxy) every second; every assertion on the
//! metrics reads them back through Prometheus' HTTP API, not from our own endpoint.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{KillOnDrop, cluster, eventually};

/// Where prometheus and promtool are (built once, then cached).
pub(crate) fn prometheus_dir() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/prometheus.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg("dir")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tests/cluster/prometheus.sh dir failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 GET with `Connection: close`: (status code, body).
pub(crate) fn http_get(
    addr: SocketAddr,
    target: &str,
    accept: Option<&str>,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The values of an instant query's result series, as read back from Prometheus.
pub(crate) fn query(prometheus: SocketAddr, promql: &str) -> Vec<f64> {
    let target = format!("/api/v1/query?query={}", percent_encode(promql));
    let Some((200, body)) = http_get(prometheus, &target, None) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    json["data"]["result"]
        .as_array()
        .map(|series| {
            series
                .iter()
                .filter_map(|s| s["value"][1].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn prometheus_sees_the_lock_expire_and_the_leader_change() {
    let c = cluster();
    let bin = prometheus_dir();
    let ns = c.namespace("exporter");
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
        "--pod=",
    ];
    let mut first = c.peer(&ns, "worker", "peer-a", &timings);
    assert!(
        eventually(30, || first.has_event("started_leading")),
        "peer-a never led: {:?}",
        first.events()
    );

    // The exporter on a free port it picks itself; its first stdout line names it.
    let (mut exporter, exporter_addr) = start_exporter(&[], None);
    assert!(
        eventually(60, || http_get(exporter_addr, "/readyz", None)
            .is_some_and(|(code, _)| code == 200)),
        "exporter never ready: {:?}",
        http_get(exporter_addr, "/readyz", None)
    );
    assert_eq!(
        http_get(exporter_addr, "/healthz", None).map(|(code, _)| code),
        Some(200)
    );

    // promtool's own lint of a scrape, in the Prometheus text format.
    let (code, scrape) = http_get(exporter_addr, "/metrics", None).unwrap();
    assert_eq!(code, 200);
    assert!(scrape.contains(&format!(
        "singleton_lock_info{{namespace=\"{ns}\",name=\"worker\",kind=\"Lease\",holder=\"peer-a\""
    )));
    let mut check = Command::new(bin.join("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let (_, openmetrics) = http_get(
        exporter_addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0"),
    )
    .unwrap();
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");

    // A real Prometheus scraping the exporter every second.
    let prometheus = Prometheus::scraping(&ns, exporter_addr);
    let prometheus_addr = prometheus.addr;
    let series = |name: &str, extra: &str| {
        format!("{name}{{namespace=\"{ns}\",name=\"worker\",kind=\"Lease\"{extra}}}")
    };
    let log = || prometheus.log();
    assert!(
        eventually(60, || query(
            prometheus_addr,
            &series("singleton_lock_state", ",state=\"Held\"")
        ) == [1.0]),
        "Prometheus never read the lock as Held; its log:\n{}",
        log()
    );
    assert_eq!(
        query(
            prometheus_addr,
            &series("singleton_leader_changes_total", "")
        ),
        [0.0]
    );

    // The leader dies without releasing: Prometheus must read the lease as Expired.
    first.kill();
    assert!(
        eventually(30, || query(
            prometheus_addr,
            &series("singleton_lock_state", ",state=\"Expired\"")
        ) == [1.0]),
        "Prometheus never read the lock as Expired: {:?}",
        query(prometheus_addr, &series("singleton_lock_state", "==1"))
    );
    assert!(
        eventually(10, || query(
            prometheus_addr,
            &series("singleton_lock_expiry_seconds", "")
        )
        .first()
        .is_some_and(|v| *v < 0.0)),
        "expiry never negative"
    );

    // A new leader takes over: the change counter increases, as Prometheus reads it.
    let second = c.peer(&ns, "worker", "peer-b", &timings);
    assert!(
        eventually(30, || second.has_event("started_leading")),
        "peer-b never led: {:?}",
        second.events()
    );
    let increase = format!(
        "increase({}[5m]) > 0",
        series("singleton_leader_changes_total", "")
    );
    assert!(
        eventually(30, || !query(prometheus_addr, &increase).is_empty()),
        "no increase of singleton_leader_changes_total: {:?}",
        query(
            prometheus_addr,
            &series("singleton_leader_changes_total", "")
        )
    );
    assert!(
        eventually(10, || query(
            prometheus_addr,
            &series("singleton_lock_state", ",state=\"Held\"")
        ) == [1.0]),
        "never Held again"
    );
    assert_eq!(
        query(
            prometheus_addr,
            &series("singleton_leader_changes_total", "")
        ),
        [1.0],
        "one takeover is one change"
    );
    let leaderless = query(
        prometheus_addr,
        &series("singleton_leaderless_seconds_total", ""),
    );
    assert!(
        leaderless.first().is_some_and(|v| *v > 0.0),
        "{leaderless:?}"
    );

    // SIGTERM: the exporter exits by itself, with 0.
    let pid = exporter.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(
        eventually(10, || matches!(exporter.0.try_wait(), Ok(Some(_)))),
        "exporter still running after SIGTERM"
    );
    assert!(exporter.0.wait().unwrap().success());
}

/// A real Prometheus (tests/cluster/prometheus.sh) scraping one exporter every second on
/// 127.0.0.1; killed and its data removed on drop.
pub(crate) struct Prometheus {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    process: KillOnDrop,
}

impl Prometheus {
    pub(crate) fn scraping(name: &str, exporter: SocketAddr) -> Self {
        let bin = prometheus_dir();
        let dir = std::env::temp_dir().join(format!("kubectl-singleton-prom-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("prometheus.yml"),
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
                 scrape_configs:\n  - job_name: singleton\n    static_configs:\n      - targets: ['{exporter}']\n"
            ),
        )
        .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let process = KillOnDrop(
            Command::new(bin.join("prometheus"))
                .arg(format!(
                    "--config.file={}",
                    dir.join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
                .spawn()
                .unwrap(),
        );
        Prometheus { addr, dir, process }
    }

    /// Its log, for failure messages.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.process.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The shipped alert rules load, and every alert fires and stays silent exactly as its
/// `promtool test rules` cases say (deploy/exporter/alerts_test.yaml).
#[test]
fn alert_rules_pass_promtool() {
    let promtool = prometheus_dir().join("promtool");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/exporter");
    for args in [
        ["check", "rules", "alerts.yaml"],
        ["test", "rules", "alerts_test.yaml"],
    ] {
        let out = Command::new(&promtool)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Starts the exporter on a free port (with `extra` args and, when given, another kubeconfig);
/// returns the guard and its address.
pub(crate) fn start_exporter(
    extra: &[&str],
    kubeconfig: Option<&Path>,
) -> (KillOnDrop, SocketAddr) {
    let c = cluster();
    let mut args = vec!["exporter", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut cmd = c.singleton_command(&args);
    if let Some(kubeconfig) = kubeconfig {
        cmd.env("KUBECONFIG", kubeconfig);
    }
    let mut child = KillOnDrop(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("exporter printed no address: {line:?}"));
    (child, addr)
}

/// The value of the first sample of our own scrape whose line starts with `prefix`.
fn scraped(exporter: SocketAddr, prefix: &str) -> Option<f64> {
    let (_, text) = http_get(exporter, "/metrics", None)?;
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// The watch connection is cut and refused while the leader changes: once it is back, the
/// change is counted exactly once, and the restarts show in the self-metrics.
#[test]
fn a_cut_watch_neither_loses_nor_double_counts_the_leader_change() {
    let c = cluster();
    let ns = c.namespace("exporter-cut");
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
        "--pod=",
    ];
    let mut before = c.peer(&ns, "indexer", "before", &timings);
    assert!(
        eventually(30, || before.has_event("started_leading")),
        "{:?}",
        before.events()
    );
    let proxy = crate::harness::CuttableProxy::to(c.apiserver_addr());
    let kubeconfig = c.kubeconfig_via(proxy.port);
    let (_exporter, addr) = start_exporter(&[], Some(&kubeconfig));
    let lock = format!("{{namespace=\"{ns}\",name=\"indexer\",kind=\"Lease\"");
    let info = format!("singleton_lock_info{lock},holder=");
    let changes = format!("singleton_leader_changes_total{lock}}}");
    assert!(
        eventually(60, || http_get(addr, "/metrics", None)
            .is_some_and(|(_, t)| t.contains(&format!("{info}\"before\"")))),
        "the exporter never saw the first leader"
    );
    assert_eq!(scraped(addr, &changes), Some(0.0));

    // The network goes away; meanwhile the leader dies and the standby takes over.
    let _after = crate::harness::takeover_while_cut(
        c,
        &proxy,
        (&ns, "indexer"),
        &mut before,
        "after",
        &timings,
    );

    assert!(
        eventually(60, || http_get(addr, "/metrics", None)
            .is_some_and(|(_, t)| t.contains(&format!("{info}\"after\"")))),
        "the exporter never saw the new leader after the outage"
    );
    assert!(
        eventually(30, || scraped(addr, &changes) == Some(1.0)),
        "{:?}",
        scraped(addr, &changes)
    );
    // Let every re-list and resumed watch deliver what it will, then judge again.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(scraped(addr, &changes), Some(1.0), "counted twice");
    let restarts = scraped(
        addr,
        "singleton_exporter_watch_restarts_total{resource=\"leases\"}",
    );
    assert!(restarts.is_some_and(|r| r >= 1.0), "{restarts:?}");
}

/// RBAC that withholds pods: the exporter keeps running, `/readyz` says which resource and why,
/// and the self-metrics show it; nothing crashes.
#[test]
fn rbac_withholding_pods_shows_in_readyz_and_self_metrics() {
    let c = cluster();
    let ns = c.namespace("exporter-rbac");
    c.kubectl_ok(&["create", "serviceaccount", "exporter", "-n", &ns]);
    let role = format!("singleton-exporter-{ns}");
    c.apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {role}}}\nrules:\n\
         - {{apiGroups: [coordination.k8s.io], resources: [leases, leasecandidates], verbs: [list, watch]}}\n\
         - {{apiGroups: [''], resources: [configmaps, endpoints], verbs: [list, watch]}}\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {role}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n\
         subjects: [{{kind: ServiceAccount, name: exporter, namespace: {ns}}}]\n"
    ));
    let who = format!("system:serviceaccount:{ns}:exporter");
    let (mut exporter, addr) = start_exporter(&["--as", &who], None);
    let synced = |resource: &str| {
        scraped(
            addr,
            &format!("singleton_exporter_synced{{resource=\"{resource}\"}}"),
        )
    };
    assert!(
        eventually(30, || synced("leases") == Some(1.0)),
        "leases never synced"
    );
    assert!(
        eventually(30, || scraped(
            addr,
            "singleton_exporter_watch_restarts_total{resource=\"pods\"}"
        )
        .is_some_and(|r| r >= 1.0)),
        "the refused pod watch was not counted"
    );
    assert_eq!(synced("pods"), Some(0.0));
    let (code, text) = http_get(addr, "/readyz", None).unwrap();
    assert_eq!(code, 503, "{text}");
    assert!(
        text.contains("pods not synced") && text.contains("forbidden"),
        "{text}"
    );
    // Not ready, so no lock series: a half-filled cache must not read as "no such lock".
    let (_, metrics) = http_get(addr, "/metrics", None).unwrap();
    assert!(!metrics.contains("singleton_lock_info{"), "{metrics}");
    assert_eq!(
        http_get(addr, "/healthz", None).map(|(code, _)| code),
        Some(200)
    );
    assert!(
        exporter.0.try_wait().unwrap().is_none(),
        "the exporter exited"
    );
    exporter.stop();
    let _ = c.kubectl(&["delete", "clusterrolebinding,clusterrole", &role]);
}
