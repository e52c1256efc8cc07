//! `scaffold` through the real binary: golden output per pattern, every combination audit-clean,
//! validation errors, and --out-dir file handling.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const GOLDEN: [(&str, &[&str]); 5] = [
    (
        "statefulset",
        &[
            "scaffold",
            "statefulset",
            "ledger",
            "--image",
            "registry.example/ledger:5.2",
            "--port",
            "7000",
            "--storage",
            "10Gi",
            "-n",
            "billing",
        ],
    ),
    (
        "deployment",
        &[
            "scaffold",
            "deployment",
            "report-scheduler",
            "--image",
            "registry.example/report-scheduler:2.3.1",
            "-n",
            "billing",
        ],
    ),
    (
        "cronjob",
        &[
            "scaffold",
            "cronjob",
            "invoice-export",
            "--image",
            "registry.example/invoice-export:1.0.0",
            "--schedule",
            "*/10 * * * *",
            "-n",
            "billing",
        ],
    ),
    (
        "leader-election",
        &[
            "scaffold",
            "leader-election",
            "queue-consumer",
            "--image",
            "registry.example/queue-consumer:3.0.0",
            "--port",
            "8080",
            "--replicas",
            "3",
            "-n",
            "billing",
        ],
    ),
    (
        "exporter",
        &[
            "scaffold",
            "exporter",
            "singleton-exporter",
            "--image",
            "registry.example/kubectl-singleton:0.1.0",
            "--service-monitor",
            "--alerts",
            "-n",
            "monitoring",
        ],
    ),
];

/// Snapshots in tests/golden/; `UPDATE_GOLDEN=1 cargo test --test scaffold` rewrites them.
#[test]
fn output_matches_the_golden_files() {
    for (name, args) in GOLDEN {
        let out = bin(args, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/golden/scaffold-{name}.yaml"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, text(&out)).unwrap();
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            golden == text(&out),
            "{name} differs from {}; rerun with UPDATE_GOLDEN=1 if intended:\n{}",
            path.display(),
            text(&out)
        );
    }
}

#[test]
fn every_pattern_and_flag_combination_audits_clean() {
    let image = ["--image", "nginx:1.27"];
    let combos: Vec<Vec<&str>> = vec![
        vec!["statefulset", "s1"],
        vec![
            "statefulset",
            "s2",
            "--port",
            "80",
            "--storage",
            "1Gi",
            "--grace-period",
            "120",
        ],
        vec!["deployment", "d1"],
        vec!["deployment", "d2", "--port", "8080", "-n", "team-a"],
        vec!["cronjob", "c1", "--schedule", "0 3 * * *"],
        vec![
            "cronjob",
            "c2",
            "--schedule",
            "@hourly",
            "--grace-period",
            "5",
        ],
        vec!["leader-election", "l1"],
        vec!["exporter", "e1"],
        vec!["exporter", "e2", "-n", "monitoring"],
        vec![
            "leader-election",
            "l2",
            "--replicas",
            "5",
            "--port",
            "9090",
            "--lease-duration",
            "30s",
            "--renew-deadline",
            "20s",
            "--retry-period",
            "4s",
        ],
    ];
    for combo in combos {
        let mut args = vec!["scaffold"];
        args.extend(&combo);
        args.extend(image);
        let manifest = bin(&args, None);
        assert_eq!(
            manifest.status.code(),
            Some(0),
            "{combo:?}: {}",
            String::from_utf8_lossy(&manifest.stderr)
        );
        for format in [None, Some("json")] {
            let input = match format {
                None => text(&manifest),
                Some(_) => {
                    let mut json_args = args.clone();
                    json_args.extend(["-o", "json"]);
                    text(&bin(&json_args, None))
                }
            };
            let audit = bin(
                &["audit", "-f", "-", "--fail-on", "warning", "-o", "json"],
                Some(&input),
            );
            let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
            assert_eq!(
                audit.status.code(),
                Some(0),
                "{combo:?} {format:?}: {report}"
            );
            assert_eq!(report["summary"]["errors"], 0, "{combo:?}: {report}");
            assert_eq!(report["summary"]["warnings"], 0, "{combo:?}: {report}");
            assert!(
                report["summary"]["objects"].as_u64().unwrap() >= 1,
                "{combo:?}: nothing audited"
            );
        }
    }
}

#[test]
fn invalid_requests_are_one_line_usage_errors() {
    let cases: [(&[&str], &str); 13] = [
        (
            &["scaffold", "deployment", "Bad_Name", "--image", "x"],
            "invalid NAME",
        ),
        (
            &["scaffold", "deployment", "ok", "--image", "x", "--alerts"],
            "applies only to scaffold exporter",
        ),
        (
            &["scaffold", "exporter", "ok", "--image", "x", "--port", "80"],
            "--port does not apply",
        ),
        (
            &["scaffold", "exporter", "ok", "--image", "x", "--force"],
            "--force applies only with --out-dir or --alerts-file",
        ),
        (
            &["scaffold", "deployment", "ok", "--image", "Bad Image"],
            "invalid --image",
        ),
        (
            &["scaffold", "cronjob", "ok", "--image", "x"],
            "needs --schedule",
        ),
        (
            &[
                "scaffold",
                "cronjob",
                "ok",
                "--image",
                "x",
                "--schedule",
                "61 * * * *",
            ],
            "invalid --schedule",
        ),
        (
            &[
                "scaffold",
                "statefulset",
                "ok",
                "--image",
                "x",
                "--storage",
                "lots",
            ],
            "invalid --storage",
        ),
        (
            &[
                "scaffold",
                "deployment",
                "ok",
                "--image",
                "x",
                "--schedule",
                "* * * * *",
            ],
            "--schedule applies only to scaffold cronjob",
        ),
        (
            &[
                "scaffold",
                "leader-election",
                "ok",
                "--image",
                "x",
                "--replicas",
                "1",
            ],
            "--replicas of 2 or more",
        ),
        (
            &[
                "scaffold",
                "leader-election",
                "ok",
                "--image",
                "x",
                "--lease-duration",
                "5s",
                "--renew-deadline",
                "10s",
            ],
            "must be longer than --renew-deadline",
        ),
        (
            &[
                "scaffold",
                "leader-election",
                "ok",
                "--image",
                "x",
                "--retry-period",
                "9s",
            ],
            "1.2 × --retry-period",
        ),
        (
            &["scaffold", "deployment", "ok", "--image", "x", "-o", "wide"],
            "use -o yaml or json",
        ),
    ];
    for (args, needle) in cases {
        let out = bin(args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ks-scaffold-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn out_dir_writes_one_file_per_object_and_never_overwrites_without_force() {
    let dir = scratch("out");
    let dir_arg = dir.to_str().unwrap();
    let args = [
        "scaffold",
        "leader-election",
        "worker",
        "--image",
        "nginx:1.27",
        "--out-dir",
        dir_arg,
    ];
    let out = bin(&args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "deployment-worker.yaml",
            "poddisruptionbudget-worker.yaml",
            "role-worker.yaml",
            "rolebinding-worker.yaml",
            "serviceaccount-worker.yaml"
        ]
    );
    // Existing files: refused (exit 1), nothing changed.
    std::fs::write(dir.join("role-worker.yaml"), "mine\n").unwrap();
    let again = bin(&args, None);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force to overwrite"));
    assert_eq!(
        std::fs::read_to_string(dir.join("role-worker.yaml")).unwrap(),
        "mine\n"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(bin(&forced, None).status.code(), Some(0));
    assert!(
        std::fs::read_to_string(dir.join("role-worker.yaml"))
            .unwrap()
            .contains("kind: Role")
    );
    // The written files audit clean as a directory.
    let audit = bin(&["audit", "-f", dir_arg, "--fail-on", "warning"], None);
    assert_eq!(audit.status.code(), Some(0), "{}", text(&audit));
    std::fs::remove_dir_all(&dir).unwrap();
}
