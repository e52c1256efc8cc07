//! Fleets: `status` across two real clusters (the shared e2e one and a second started beside it
//! with its own cluster name), a context whose server refuses connections and one whose server
//! accepts and never answers.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::harness::{cluster, eventually, stderr, stdout};

const SECOND: &str = "kubectl-singleton-fleet";

/// The second cluster's kubeconfig. cluster.sh up is idempotent, so a cluster already up is
/// reused; .ci/run stops it at the end like the first one.
pub(crate) fn second_kubeconfig() -> &'static PathBuf {
    static KUBECONFIG: OnceLock<PathBuf> = OnceLock::new();
    KUBECONFIG.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cluster/cluster.sh");
        let up = Command::new("bash")
            .arg(&script)
            .arg("up")
            .env("KUBECTL_SINGLETON_CLUSTER", SECOND)
            .output()
            .expect("cannot run cluster.sh");
        assert!(
            up.status.success(),
            "cluster.sh up ({SECOND}) failed:\n{}",
            String::from_utf8_lossy(&up.stderr)
        );
        PathBuf::from(
            String::from_utf8(up.stdout)
                .unwrap()
                .trim()
                .lines()
                .last()
                .unwrap(),
        )
    })
}

/// A port that accepts TCP connections and never says a word: the kernel completes the
/// handshake into the listen backlog, nobody ever reads or writes. Kept for the whole run.
fn hung_port() -> u16 {
    static LISTENER: OnceLock<std::net::TcpListener> = OnceLock::new();
    LISTENER
        .get_or_init(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .local_addr()
        .unwrap()
        .port()
}

/// A port nothing listens on (bound once, then closed).
fn refused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `KUBECONFIG` listing both clusters' files plus one with the `dead` and `hung` contexts.
pub(crate) fn fleet_kubeconfig() -> String {
    let extra = std::env::temp_dir().join(format!("ks-fleet-extra-{}.yaml", std::process::id()));
    std::fs::write(
        &extra,
        format!(
            "apiVersion: v1\nkind: Config\ncontexts:\n- name: dead\n  context: {{cluster: dead}}\n- name: hung\n  context: {{cluster: hung}}\nclusters:\n- name: dead\n  cluster: {{server: 'https://127.0.0.1:{}', insecure-skip-tls-verify: true}}\n- name: hung\n  cluster: {{server: 'https://127.0.0.1:{}', insecure-skip-tls-verify: true}}\nusers: []\n",
            refused_port(),
            hung_port()
        ),
    )
    .unwrap();
    format!(
        "{}:{}:{}",
        cluster().kubeconfig.display(),
        second_kubeconfig().display(),
        extra.display()
    )
}

pub(crate) const FIRST_CTX: &str = "kwok-kubectl-singleton-e2e";
pub(crate) const SECOND_CTX: &str = "kwok-kubectl-singleton-fleet";

fn fleet(args: &[&str]) -> Output {
    cluster()
        .singleton_command(args)
        .env("KUBECONFIG", fleet_kubeconfig())
        .output()
        .unwrap()
}

pub(crate) fn second_kubectl(args: &[&str]) -> String {
    let out = Command::new(cluster().kube_bin.join("kubectl"))
        .env("KUBECONFIG", second_kubeconfig())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "kubectl {args:?}: {}", stderr(&out));
    stdout(&out)
}

fn lease(ns: &str, holder: &str) -> String {
    format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: same\n  namespace: {ns}\nspec:\n  holderIdentity: {holder}\n  leaseDurationSeconds: 3600\n  renewTime: \"{}\"\n",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    )
}

/// The same namespace and lease name in both clusters, different holders.
fn plant() -> String {
    let c = cluster();
    let ns = c.namespace("fleet");
    c.apply(&lease(&ns, "first-holder"));
    second_kubectl(&["create", "namespace", &ns]);
    let file = std::env::temp_dir().join(format!("{ns}-second.yaml"));
    std::fs::write(&file, lease(&ns, "second-holder")).unwrap();
    second_kubectl(&["apply", "-f", file.to_str().unwrap()]);
    ns
}

#[test]
fn each_clusters_lease_appears_under_its_own_context_only() {
    let ns = plant();
    let contexts = format!("{FIRST_CTX},{SECOND_CTX}");
    let out = fleet(&["status", "-n", &ns, "--context", &contexts, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let items = doc["items"].as_array().unwrap();
    let holders: Vec<(&str, &str)> = items
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
        [(FIRST_CTX, "first-holder"), (SECOND_CTX, "second-holder")],
        "{doc:#}"
    );
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    for entry in clusters {
        assert!(entry["error"].is_null(), "{entry}");
        assert!(entry["serverTime"].is_string(), "{entry}");
        assert!(
            entry["server"]
                .as_str()
                .unwrap()
                .starts_with("https://127.0.0.1:")
        );
    }
    assert_ne!(clusters[0]["server"], clusters[1]["server"]);

    // The table: a first CONTEXT column, a summary line per cluster, then the fleet's.
    let out = fleet(&["status", "-n", &ns, "--context", &contexts]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("CONTEXT "), "{text}");
    let first = lines.iter().find(|l| l.starts_with(FIRST_CTX)).unwrap();
    let second = lines.iter().find(|l| l.starts_with(SECOND_CTX)).unwrap();
    assert!(
        first.contains("first-holder") && !first.contains("second-holder"),
        "{text}"
    );
    assert!(
        second.contains("second-holder") && !second.contains("first-holder"),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n{SECOND_CTX}: 1 lock (")),
        "{text}"
    );
    assert!(text.contains("fleet: 2 locks"), "{text}");
    assert!(text.contains("in 2 of 2 clusters"), "{text}");

    // One context is still the single-cluster output, byte for byte. Ages ("RENEWED 1s ago")
    // may tick between the two runs, so a pair taken across a second boundary is taken again.
    let (mut one, mut plain) = (String::new(), String::new());
    let same = eventually(20, || {
        one = stdout(&fleet(&["status", "-n", &ns, "--context", FIRST_CTX]));
        plain = stdout(&cluster().singleton(&["status", "-n", &ns]));
        one == plain
    });
    assert!(same, "one context:\n{one}\nsingle cluster:\n{plain}");
    cluster().kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
    second_kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn dead_and_hung_contexts_fail_alone_within_the_request_timeout() {
    let ns = plant();
    let started = std::time::Instant::now();
    let out = fleet(&[
        "status",
        "-n",
        &ns,
        "--all-contexts",
        "--request-timeout",
        "2s",
        "-o",
        "json",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Not a benchmark: a generous bound that only a cluster holding the others (the default
    // 60s timeout, or reading one after another forever) would break.
    assert!(took < std::time::Duration::from_secs(30), "took {took:?}");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let contexts: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, [FIRST_CTX, SECOND_CTX], "{doc:#}");
    let error_of = |name: &str| {
        doc["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["context"] == name)
            .unwrap()["error"]
            .as_str()
            .map(str::to_string)
    };
    assert!(
        error_of("dead").unwrap().contains("connection refused"),
        "{doc:#}"
    );
    assert!(error_of("hung").unwrap().contains("within 2s"), "{doc:#}");
    assert!(error_of(FIRST_CTX).is_none());
    let err = stderr(&out);
    assert!(err.contains("error: context dead: "), "{err}");
    assert!(err.contains("error: context hung: no answer"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("2 of 4 clusters could not be read: dead, hung"),
        "{err}"
    );

    // Valid against the documented schema.
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/status.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The regex picks the same two live clusters by name, and nothing else.
    let out = fleet(&[
        "status",
        "-n",
        &ns,
        "--context-regex",
        "kwok-.*",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 2, "{doc:#}");
    cluster().kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
    second_kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn acting_commands_refuse_more_than_one_context() {
    for args in [
        vec!["release", "-n", "default", "x", "--context", "a,b"],
        vec!["release", "-n", "default", "x", "--all-contexts"],
        vec![
            "scaffold",
            "deployment",
            "x",
            "--image",
            "i",
            "--context-regex",
            "a.*",
        ],
    ] {
        let out = fleet(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("pass a single --context"), "{err}");
    }
}
