//! `audit -f` and `audit explain` through the real binary, over the shipped examples and
//! tests/fixtures: exact rule IDs and objects, exit codes, formats.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// (rule, object) of every finding, sorted.
fn findings(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            (
                f["rule"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["namespace"].as_str().unwrap(),
                    o["name"].as_str().unwrap()
                ),
            )
        })
        .collect();
    out.sort();
    out
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_bad_examples_have_exactly_the_expected_findings_and_exit_1() {
    let out = bin(&["audit", "-f", "examples/bad-singletons.yaml", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["kind"], "AuditReport");
    assert_eq!(
        findings(&report),
        pairs(&[
            ("rollout-surge", "Deployment/billing/report-scheduler"),
            ("grace-period-zero", "Deployment/billing/report-scheduler"),
            (
                "hpa-scales-singleton",
                "HorizontalPodAutoscaler/billing/report-scheduler"
            ),
            (
                "pdb-blocks-drain",
                "PodDisruptionBudget/billing/report-scheduler"
            ),
            (
                "pdb-unhealthy-eviction",
                "PodDisruptionBudget/billing/report-scheduler"
            ),
            ("cronjob-concurrency", "CronJob/billing/invoice-export"),
            ("cronjob-no-deadline", "CronJob/billing/invoice-export"),
            ("statefulset-service", "StatefulSet/billing/ledger"),
        ])
    );
    assert_eq!(report["summary"]["errors"], 3);
    assert_eq!(report["summary"]["objects"], 6);
    let first = &report["findings"][0];
    assert_eq!(first["origin"]["file"], "examples/bad-singletons.yaml");
    assert_eq!(first["origin"]["line"], 4, "{first}");
    assert_eq!(
        first["evidence"],
        serde_json::json!(["annotated kubectl-singleton/mode: strict"])
    );
    assert!(
        report["notApplied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "duplicate-instances")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "error: 3 finding(s) at or above --fail-on error"
    );
}

#[test]
fn the_good_examples_are_clean_even_at_info() {
    let out = bin(&[
        "audit",
        "-f",
        "examples/good-singletons.yaml",
        "--fail-on",
        "info",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("0 errors, 0 warnings, 0 info in 6 objects")
    );
}

#[test]
fn fail_on_moves_the_exit_code() {
    let bad = "examples/bad-singletons.yaml";
    assert_eq!(
        bin(&["audit", "-f", bad, "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    // Only warnings and info in the (declared strict) CronJob: exit 0 at error, 1 at warning.
    let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: batch, annotations: {kubectl-singleton/mode: strict}}\nspec: {schedule: '* * * * *', jobTemplate: {}}\n";
    let run = |fail_on: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
            .args(["audit", "-f", "-", "--fail-on", fail_on])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), cron.as_bytes()).unwrap();
        child.wait().unwrap().code()
    };
    assert_eq!(run("error"), Some(0));
    assert_eq!(run("warning"), Some(1));
    assert_eq!(run("info"), Some(1));
}

#[test]
fn directories_lists_and_json_are_read_and_unknown_kinds_skipped() {
    let out = bin(&["audit", "-f", "tests/fixtures/list.json", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        findings(&json(&out)),
        pairs(&[("pdb-overlap", "Deployment/ops/dispatcher")])
    );
    // A directory is walked: both examples are read (12 objects).
    let dir = bin(&[
        "audit",
        "-f",
        "examples",
        "-o",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(json(&dir)["summary"]["objects"], 12);
}

#[test]
fn bad_input_is_one_line_with_file_and_line_and_exit_3() {
    // An unreadable document is skipped and named; the report of the rest is still printed.
    for (file, needle) in [
        (
            "tests/fixtures/broken.yaml",
            "tests/fixtures/broken.yaml:5: invalid YAML at column 7",
        ),
        (
            "tests/fixtures/wrong-type.yaml",
            "Deployment \"wrong\" does not match the Deployment schema",
        ),
    ] {
        let out = bin(&["audit", "-f", file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{file}: {err}");
        assert!(
            err.contains("(skipped; every other document was audited)"),
            "{err}"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .starts_with("0 errors, 0 warnings, 0 info in 0 objects"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // A file that cannot be read at all stops the audit before any report.
    assert_input_error(
        &bin(&["audit", "-f", "tests/fixtures/missing.yaml"]),
        "cannot read tests/fixtures/missing.yaml: no such file or directory",
    );
}

#[test]
fn one_unreadable_document_never_hides_the_others() {
    let out = bin(&[
        "audit",
        "-f",
        "tests/fixtures/partly-broken.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let report = json(&out);
    let skipped: Vec<u64> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{report}");
    // Both good CronJobs, around the bad documents, were audited.
    let cronjobs: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["kind"] == "CronJob")
        .map(|f| f["object"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        cronjobs,
        BTreeSet::from(["first".to_string(), "last".to_string()])
    );
    // A known kind at an unknown version is said, never skipped in silence.
    assert!(
        report["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("Deployment \"future\" has apiVersion apps/v2")),
        "{report}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("Warning: skipped tests/fixtures/partly-broken.yaml:")
            .count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("(skipped with 2 more named above; every other document was audited)"),
        "{err}"
    );
}

#[test]
fn removed_api_versions_are_audited_as_their_ga_version() {
    let out = bin(&[
        "audit",
        "-f",
        "tests/fixtures/old-versions.yaml",
        "-o",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let removed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "removed-api-version")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        removed
            .iter()
            .any(|m| m.starts_with("extensions/v1beta1 is not served since Kubernetes 1.16")),
        "{removed:?}"
    );
    assert!(
        removed.iter().any(|m| m.starts_with("batch/v1beta1")),
        "{removed:?}"
    );
    assert!(
        removed.iter().any(|m| m.starts_with("policy/v1beta1")),
        "{removed:?}"
    );
}

#[test]
fn wrong_formats_are_usage_errors() {
    let wide = bin(&["audit", "-f", "examples", "-o", "wide"]);
    assert_eq!(wide.status.code(), Some(2));
}

#[test]
fn explain_lists_every_rule_and_explains_one() {
    let list = bin(&["audit", "explain"]);
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8_lossy(&list.stdout);
    for id in [
        "rollout-surge",
        "pdb-blocks-drain",
        "duplicate-instances",
        "pdb-no-pods",
    ] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    let one = bin(&["audit", "explain", "pdb-blocks-drain"]);
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(
        text.starts_with("pdb-blocks-drain (error, static"),
        "{text}"
    );
    assert!(
        text.contains("Why:") && text.contains("Fix:") && text.contains("maxUnavailable: 1"),
        "{text}"
    );
    let unknown = bin(&["audit", "explain", "no-such-rule"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn sarif_has_rules_results_and_locations() {
    let out = bin(&["audit", "-f", "examples/bad-singletons.yaml", "-o", "sarif"]);
    let sarif = json(&out);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "examples/bad-singletons.yaml"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/bad-singletons.yaml")
            .exists()
    );
}

#[test]
fn sarif_validates_against_the_official_2_1_0_schema() {
    // tests/schemas/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 JSON schema, unmodified.
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    // The published `language` patterns (run, toolComponent) have a stray `]` that this
    // validator's meta-schema check rejects as a regex; use the pattern they mean (we never
    // emit `language`).
    let mut patched = 0;
    for definition in schema["definitions"].as_object_mut().unwrap().values_mut() {
        let Some(pattern) = definition.pointer_mut("/properties/language/pattern") else {
            continue;
        };
        if *pattern == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
            *pattern = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    let validator = jsonschema::validator_for(&schema).unwrap();
    for file in [
        "examples/bad-singletons.yaml",
        "examples/good-singletons.yaml",
        "tests/fixtures/list.json",
    ] {
        let sarif = json(&bin(&["audit", "-f", file, "-o", "sarif"]));
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
    // The schema really constrains: a result with an unknown level is rejected.
    let mut broken = json(&bin(&[
        "audit",
        "-f",
        "examples/bad-singletons.yaml",
        "-o",
        "sarif",
    ]));
    broken["runs"][0]["results"][0]["level"] = Value::from("catastrophic");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn json_reports_match_the_documented_schema_with_evidence_on_every_finding() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let report = json(&bin(&[
        "audit",
        "-f",
        "examples/",
        "-o",
        "json",
        "--fail-on",
        "never",
    ]));
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!report["findings"].as_array().unwrap().is_empty());
    let classes: Vec<(&str, &str)> = report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["object"]["name"].as_str().unwrap(),
                w["class"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        classes.contains(&("report-scheduler", "strict")),
        "{classes:?}"
    );
    assert!(
        classes.contains(&("queue-consumer", "leader-elected")),
        "{classes:?}"
    );
    // The schema really constrains: a finding without evidence is rejected.
    let mut bare = report.clone();
    bare["findings"][0]["evidence"] = serde_json::json!([]);
    assert!(!validator.is_valid(&bare));
    // The evidence is in SARIF too.
    let sarif = json(&bin(&[
        "audit",
        "-f",
        "examples/bad-singletons.yaml",
        "-o",
        "sarif",
    ]));
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["evidence"],
        serde_json::json!(["annotated kubectl-singleton/mode: strict"])
    );
}

#[test]
fn assume_singleton_restores_the_strict_reading() {
    let plain = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let run = |extra: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
            .args(["audit", "-f", "-", "-o", "json"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), plain.as_bytes()).unwrap();
        json(&child.wait_with_output().unwrap())
    };
    let unknown = run(&[]);
    assert_eq!(unknown["findings"][0]["rule"], "rollout-surge");
    assert_eq!(unknown["findings"][0]["severity"], "info");
    let assumed = run(&["--assume-singleton"]);
    assert_eq!(assumed["findings"][0]["severity"], "error");
    assert_eq!(
        assumed["findings"][0]["evidence"][0],
        "replicas 1 and --assume-singleton"
    );
}

/// A fresh folder in the system temp dir (world-traversable, unlike some CI checkouts).
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("audit-input-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One line on stderr containing `needle`, exit 3, nothing on stdout.
fn assert_input_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert!(
        !err.contains("panicked") && !err.contains("os error"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `audit -f -` fed `input`, with stdin closed once it is written.
fn audit_stdin(input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .args(["audit", "-f", "-"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn empty_binary_and_non_object_inputs_are_one_line_and_exit_3() {
    let dir = scratch("kinds");
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    std::fs::write(dir.join("comments.yaml"), "# nothing here\n---\n").unwrap();
    std::fs::write(
        dir.join("binary.yaml"),
        b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe",
    )
    .unwrap();
    std::fs::write(dir.join("text.yaml"), "just some text\n").unwrap();
    let path = |f: &str| dir.join(f).display().to_string();
    let run = |f: &str| bin(&["audit", "-f", &path(f)]);
    assert_input_error(&run("empty.yaml"), "no YAML or JSON documents in");
    assert_input_error(&run("comments.yaml"), "no YAML or JSON documents in");
    assert_input_error(&run("binary.yaml"), "binary.yaml: not a text file");
    // A document that is not an object is skipped and named like any unreadable document.
    let text = run("text.yaml");
    let err = String::from_utf8_lossy(&text.stderr);
    assert_eq!(text.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("text.yaml:1: not a Kubernetes object (a string)"),
        "{err}"
    );
    // An empty directory is no input either.
    let empty_dir = scratch("empty-dir");
    assert_input_error(
        &bin(&["audit", "-f", &empty_dir.display().to_string()]),
        "no YAML or JSON documents in",
    );
    // A device that never ends is bounded, not read until memory runs out.
    assert_input_error(&bin(&["audit", "-f", "/dev/zero"]), "more than 256 MiB");
}

#[test]
fn stdin_closed_early_is_one_line_and_exit_3() {
    assert_input_error(&audit_stdin(b""), "no YAML or JSON documents on stdin");
    // The writer died in the middle of a document: it is named, and the rest (nothing) reported.
    let cut = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: [1, 2";
    let out = audit_stdin(cut);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("<stdin>:4: invalid YAML at column"), "{err}");
}

#[test]
fn symlink_loops_dangling_links_and_unreadable_files_are_one_line_and_exit_3() {
    let dir = scratch("links");
    std::fs::copy("examples/good-singletons.yaml", dir.join("good.yaml")).unwrap();
    let loop_dir = scratch("links-loop");
    std::os::unix::fs::symlink("loop.yaml", loop_dir.join("loop.yaml")).unwrap();
    // A symlinked directory pointing at its parent is not followed: no endless walk.
    std::os::unix::fs::symlink(&dir, dir.join("again")).unwrap();
    let good = bin(&["audit", "-f", &dir.display().to_string(), "-o", "json"]);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(json(&good)["summary"]["objects"], 6);
    assert_input_error(
        &bin(&["audit", "-f", &loop_dir.display().to_string()]),
        "loop.yaml: too many levels of symbolic links",
    );
    let dangling = scratch("links-dangling");
    std::os::unix::fs::symlink("/nonexistent/x.yaml", dangling.join("gone.yaml")).unwrap();
    assert_input_error(
        &bin(&["audit", "-f", &dangling.display().to_string()]),
        "gone.yaml: no such file or directory",
    );

    // A file we may not read, in a directory with readable ones: the audit stops rather than
    // passing over it. Root reads anything, so as root the binary runs as nobody.
    let locked = scratch("locked");
    std::fs::copy("examples/good-singletons.yaml", locked.join("a.yaml")).unwrap();
    std::fs::write(locked.join("b.yaml"), "kind: Service\n").unwrap();
    let binary = locked.join("kubectl-singleton");
    std::fs::copy(env!("CARGO_BIN_EXE_kubectl-singleton"), &binary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for (path, mode) in [
        (&locked, 0o755),
        (&locked.join("a.yaml"), 0o644),
        (&locked.join("b.yaml"), 0o000),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let root = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let mut cmd = if root.trim() == "0" {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        c
    } else {
        Command::new(&binary)
    };
    let out = cmd
        .args(["audit", "-f"])
        .arg(&locked)
        .env_clear()
        .output()
        .unwrap();
    assert_input_error(&out, "b.yaml: permission denied");
}

#[test]
fn a_50_mb_file_is_read_whole() {
    // 49 ConfigMaps of 1 MiB each, then a singleton Deployment that rolls with a surge: the
    // finding at the end proves the whole file was read and its line counted right.
    let dir = scratch("big");
    let blob = "x".repeat(1 << 20);
    let mut text = String::new();
    for i in 0..49 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n  blob: {blob}\n"
        ));
    }
    let line = text.lines().count() + 2;
    text.push_str("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: last, namespace: big, annotations: {kubectl-singleton/mode: strict}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: last}}\n  template:\n    metadata: {labels: {app: last}}\n    spec: {containers: [{name: a, image: registry.example/a:1}]}\n");
    assert!(text.len() > 50_000_000);
    let file = dir.join("big.yaml");
    std::fs::write(&file, &text).unwrap();
    let out = bin(&["audit", "-f", &file.display().to_string(), "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(
        findings(&report),
        pairs(&[("rollout-surge", "Deployment/big/last")])
    );
    assert_eq!(report["findings"][0]["origin"]["line"], line, "{report}");
}
