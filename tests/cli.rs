//! The real binary, run the way a user runs it, with no cluster: flags, exit codes, one-line
//! errors, and requests bounded by --request-timeout.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"));
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", scratch("home"));
    cmd
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ks-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn kubeconfig(name: &str, server: &str) -> PathBuf {
    let path = scratch("kubeconfigs").join(name);
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\ncontexts:\n- name: test\n  context: {{cluster: test, user: test, namespace: team-a}}\nclusters:\n- name: test\n  cluster: {{server: '{server}', insecure-skip-tls-verify: true}}\nusers:\n- name: test\n  user: {{token: secret-token-do-not-print}}\n"
        ),
    )
    .unwrap();
    path
}

/// Exactly one line on stderr, nothing on stdout, the given exit code.
fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "more than one line: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("secret-token-do-not-print"),
        "credential leaked: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn help_lists_every_command_and_exits_0() {
    let out = bin().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["status", "audit", "scaffold", "release", "completion"] {
        assert!(
            text.contains(&format!("  {command} ")),
            "{command} missing:\n{text}"
        );
    }
    assert!(text.contains("Usage: kubectl singleton"), "{text}");
    assert!(text.contains("Examples:"), "{text}");
}

#[test]
fn version_matches_the_crate() {
    let out = bin().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let prefix = format!("kubectl-singleton {}", env!("CARGO_PKG_VERSION"));
    // Built from git (as tests always are here): the commit follows the version.
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .unwrap();
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    assert!(
        text.starts_with(&format!("{prefix} (git {commit}")),
        "{text}"
    );
}

#[test]
fn bad_flags_are_usage_errors_in_one_line() {
    assert_one_line_error(
        &bin().args(["status", "--bogus"]).output().unwrap(),
        2,
        "unexpected argument '--bogus'",
    );
    assert_one_line_error(
        &bin().args(["status", "-o", "xml"]).output().unwrap(),
        2,
        "invalid value 'xml'",
    );
    assert_one_line_error(
        &bin()
            .args(["status", "--request-timeout", "soon"])
            .output()
            .unwrap(),
        2,
        "--request-timeout",
    );
    assert_one_line_error(
        &bin().args(["status", "-n", "a", "-A"]).output().unwrap(),
        2,
        "cannot be used with",
    );
    assert_one_line_error(
        &bin()
            .args(["release", "lock", "--evict", "--force"])
            .output()
            .unwrap(),
        2,
        "'--evict' cannot be used with '--force'",
    );
    // Names are checked before any kubeconfig is read: the kubeconfig here does not exist.
    for (args, needle) in [
        (&["release", "Bad_Name"][..], "use a DNS-1123 subdomain"),
        (&["status", "leader/x"][..], "use a DNS-1123 subdomain"),
        (&["status", "-n", "Bad_NS"][..], "use a DNS-1123 label"),
        (&["audit", "--namespace=team-"][..], "use a DNS-1123 label"),
        (
            &["release", "lock", "--wait", "5parsecs"][..],
            "unknown unit",
        ),
        (&["status", "--family", "x"][..], "use it with --shards"),
        (
            &["status", "--shards", "--family", "("][..],
            "invalid --family \"(\"",
        ),
        (
            &["status", "--shards", "-o", "name"][..],
            "status --shards prints a table",
        ),
        (
            &["status", "--shards", "lock", "-w", "-o", "yaml"][..],
            "one JSON object per line",
        ),
    ] {
        let out = bin()
            .args(args)
            .args(["--kubeconfig", "/nonexistent"])
            .output()
            .unwrap();
        assert_one_line_error(&out, 2, needle);
    }
    let sarif = bin()
        .args(["status", "-o", "sarif", "--kubeconfig", "/nonexistent"])
        .output()
        .unwrap();
    assert_one_line_error(&sarif, 2, "status cannot print -o sarif");
}

#[test]
fn a_missing_kubeconfig_is_exit_3() {
    let out = bin()
        .args(["status", "--kubeconfig", "/nonexistent/config"])
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        3,
        "cannot read kubeconfig /nonexistent/config: no such file",
    );
    let out = bin().arg("status").output().unwrap();
    assert_one_line_error(&out, 3, "no kubeconfig found");
    let out = bin()
        .arg("status")
        .env("KUBECONFIG", "/nope/a:/nope/b")
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        3,
        "none of the files in KUBECONFIG exists (/nope/a, /nope/b)",
    );
}

#[test]
fn an_empty_or_broken_kubeconfig_is_exit_3() {
    let empty = scratch("kc").join("empty");
    std::fs::write(&empty, "").unwrap();
    assert_one_line_error(
        &bin()
            .args(["status", "--kubeconfig"])
            .arg(&empty)
            .output()
            .unwrap(),
        3,
        "is empty",
    );
    let broken = scratch("kc").join("broken");
    std::fs::write(&broken, "clusters: [unclosed\n").unwrap();
    assert_one_line_error(
        &bin()
            .args(["status", "--kubeconfig"])
            .arg(&broken)
            .output()
            .unwrap(),
        3,
        "is not a valid kubeconfig",
    );
}

/// `status` with this kubeconfig and extra flags.
fn status_with(kubeconfig: &Path, args: &[&str]) -> Output {
    bin()
        .arg("status")
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .output()
        .unwrap()
}

#[test]
fn an_unknown_context_is_exit_3() {
    let kc = kubeconfig("unknown-context", "https://127.0.0.1:1");
    for (args, needle) in [
        (
            ["--context", "prod"],
            "context \"prod\" not found in kubeconfig",
        ),
        (
            ["--cluster", "elsewhere"],
            "cluster \"elsewhere\" not found",
        ),
        (
            ["--user", "ghost"],
            "user \"ghost\" named by --user not found",
        ),
    ] {
        assert_one_line_error(&status_with(&kc, &args), 3, needle);
    }
    // A context naming a user the file lacks (kube alone would go on without credentials).
    let text = std::fs::read_to_string(&kc)
        .unwrap()
        .replace("user: test, namespace", "user: ghost, namespace");
    let orphan = scratch("kubeconfigs").join("missing-user");
    std::fs::write(&orphan, text).unwrap();
    assert_one_line_error(
        &status_with(&orphan, &[]),
        3,
        "user \"ghost\" named by context \"test\" not found in kubeconfig",
    );
}

#[test]
fn a_refused_connection_is_exit_3() {
    // Bind then drop: the port is closed, so the connection is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = kubeconfig("refused", &format!("https://127.0.0.1:{port}"));
    let out = bin()
        .args(["status", "--kubeconfig"])
        .arg(&kc)
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        3,
        &format!("cannot reach the API server at https://127.0.0.1:{port} to list leases"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("connection refused; is the cluster running") && !err.contains("os error"),
        "{err}"
    );
}

#[test]
fn request_timeout_bounds_a_server_that_never_answers() {
    // Accepts TCP connections (the kernel's backlog) but never speaks.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let kc = kubeconfig("silent", &format!("https://127.0.0.1:{port}"));
    let started = std::time::Instant::now();
    let out = bin()
        .args(["status", "--request-timeout", "1s", "--kubeconfig"])
        .arg(&kc)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_one_line_error(&out, 3, "within 1s");
    // Generous bound: the point is that it ends, not how fast the machine is.
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
    drop(silent);
}

#[test]
fn the_contexts_namespace_is_the_default() {
    // The error names the namespace we would have listed: the context's, not "default".
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let kc = kubeconfig(
        "ns",
        &format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port()),
    );
    let out = bin()
        .args(["status", "--request-timeout", "1s", "--kubeconfig"])
        .arg(&kc)
        .output()
        .unwrap();
    assert_one_line_error(&out, 3, "in namespace team-a");
}

#[test]
fn completion_scripts_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = bin().args(["completion", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("kubectl-singleton"),
            "{shell}"
        );
    }
}

#[test]
fn committed_completion_scripts_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "kubectl-singleton.bash"),
        ("zsh", "_kubectl-singleton"),
        ("fish", "kubectl-singleton.fish"),
        ("powershell", "kubectl-singleton.ps1"),
    ] {
        let fresh = bin().args(["completion", shell]).output().unwrap().stdout;
        let committed = std::fs::read(dir.join(file)).unwrap_or_default();
        assert!(
            fresh == committed,
            "completions/{file} is stale: run `cargo run -q -- completion {shell} > completions/{file}`"
        );
    }
}

#[test]
fn a_closed_stdout_pipe_exits_0_quietly() {
    // The reader is gone before the program starts (like `| head -0`), so its first write
    // fails with EPIPE every time, not only when the race goes that way.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = bin()
        .args(["completion", "bash"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(out.stderr.is_empty(), "{err}");
}

#[test]
fn verbose_logs_never_show_credentials() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let kc = kubeconfig(
        "verbose",
        &format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port()),
    );
    let out = bin()
        .args(["status", "-v=9", "--request-timeout", "1s", "--kubeconfig"])
        .arg(&kc)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("request #1: GET /apis/coordination.k8s.io/v1/namespaces/team-a/leases"),
        "{err}"
    );
    assert!(
        !err.contains("secret-token-do-not-print"),
        "token leaked: {err}"
    );
    assert!(!err.to_lowercase().contains("authorization"), "{err}");
}
