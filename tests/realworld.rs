//! The audit on manifests nobody here wrote (tests/realworld/, with provenance in its README):
//! every finding is compared with a committed snapshot, every error and warning has a verdict
//! judged by hand (tests/realworld/judged.tsv), and precision and recall of what the audit says
//! at warning or above stay at the bar the README quotes.
//!
//! After a deliberate change: `UPDATE_SNAPSHOT=1 cargo test --test realworld`, then judge every
//! new error or warning by hand in judged.tsv; `python3 tests/realworld/score.py` prints the
//! numbers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld")
}

/// Every corpus file (`project/file.yaml`). Each is audited on its own: each holds one
/// application (the files of one component, concatenated with their provenance), and the
/// linters' test data reuse names across files that were never meant to be applied together.
fn corpus_files() -> Vec<String> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(corpus()).unwrap() {
        let dir = dir.unwrap();
        if !dir.file_type().unwrap().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
                files.push(format!("{}/{name}", dir.file_name().to_string_lossy()));
            }
        }
    }
    files.sort();
    files
}

/// `severity rule Kind/ns/name file:line` for every finding of every project, sorted.
fn findings() -> Vec<String> {
    let mut lines = Vec::new();
    for file in corpus_files() {
        let out = Command::new(env!("CARGO_BIN_EXE_kubectl-singleton"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .args(["audit", "-o", "json", "--fail-on", "never", "-f"])
            .arg(format!("tests/realworld/{file}"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: every document of a real project must be read: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        for f in report["findings"].as_array().unwrap() {
            let o = &f["object"];
            let origin = &f["origin"];
            lines.push(format!(
                "{}\t{}\t{}/{}/{}\t{}:{}",
                f["severity"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["namespace"].as_str().unwrap(),
                o["name"].as_str().unwrap(),
                origin["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("tests/realworld/"),
                origin["line"]
            ));
        }
    }
    lines.sort();
    lines
}

fn read_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(corpus().join(name))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_audit_of_real_manifests_matches_the_judged_snapshot() {
    let found = findings();
    let snapshot = corpus().join("snapshot.tsv");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        let header = "# severity\trule\tobject\tfile:line — written by UPDATE_SNAPSHOT=1 cargo test --test realworld\n";
        std::fs::write(&snapshot, format!("{header}{}\n", found.join("\n"))).unwrap();
    }
    let expected = read_lines("snapshot.tsv");
    let missing: Vec<&String> = expected.iter().filter(|l| !found.contains(l)).collect();
    let new: Vec<&String> = found.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && new.is_empty(),
        "the audit of tests/realworld changed.\nno longer found:\n{missing:#?}\nnew:\n{new:#?}\n\
         If deliberate: UPDATE_SNAPSHOT=1 cargo test --test realworld, and judge the new errors and warnings in judged.tsv"
    );
}

/// (verdict, rule, object, file) from judged.tsv.
fn verdicts() -> Vec<(String, String, String, String)> {
    read_lines("judged.tsv")
        .into_iter()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(
                f.len() >= 4,
                "judged.tsv: {l:?} needs verdict, rule, object, file"
            );
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

#[test]
fn every_error_and_warning_is_judged_and_precision_and_recall_hold() {
    let judged = verdicts();
    let key = |rule: &str, object: &str, file: &str| format!("{rule} {object} {file}");
    let mut reported = BTreeSet::new();
    let (mut right, mut wrong) = (0, 0);
    for line in read_lines("snapshot.tsv") {
        let f: Vec<&str> = line.split('\t').collect();
        if f[0] == "info" {
            continue;
        }
        let file = f[3].rsplit_once(':').unwrap().0;
        let k = key(f[1], f[2], file);
        let verdict = judged
            .iter()
            .find(|(v, r, o, fl)| (v == "true" || v == "false") && key(r, o, fl) == k)
            .unwrap_or_else(|| panic!("not judged in judged.tsv: {line}"));
        match verdict.0.as_str() {
            "true" => right += 1,
            "false" => wrong += 1,
            other => panic!("judged.tsv: verdict {other:?} for {line} (true or false)"),
        }
        reported.insert(k);
    }
    // True problems reported only at info must really be reported at info.
    let infos: BTreeSet<String> = read_lines("snapshot.tsv")
        .iter()
        .filter(|l| l.starts_with("info\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            key(f[1], f[2], f[3].rsplit_once(':').unwrap().0)
        })
        .collect();
    for (verdict, rule, object, file) in &judged {
        let k = key(rule, object, file);
        match verdict.as_str() {
            // A verdict for a finding the audit no longer makes is stale.
            "true" | "false" => assert!(
                reported.contains(&k),
                "judged.tsv judges {k}, which the audit does not report at warning or above"
            ),
            "info" => assert!(
                infos.contains(&k),
                "judged.tsv: {k} is not reported at info"
            ),
            "missed" => assert!(
                !infos.contains(&k) && !reported.contains(&k),
                "{k} is reported"
            ),
            other => panic!("judged.tsv: verdict {other:?} for {k}"),
        }
    }
    let count = |v: &str| judged.iter().filter(|(verdict, ..)| verdict == v).count() as f64;
    let (info, missed) = (count("info"), count("missed"));
    let (right, wrong) = (f64::from(right), f64::from(wrong));
    let precision = right / (right + wrong).max(1.0);
    let problems = (right + info + missed).max(1.0);
    let recall = (right + info) / problems;
    eprintln!(
        "realworld: errors and warnings {right} true, {wrong} false (precision {:.1}%); true problems reported {:.1}% ({:.1}% at warning or above, {info} at info only, {missed} missed)",
        precision * 100.0,
        recall * 100.0,
        right / problems * 100.0
    );
    assert!(right > 0.0, "nothing reported at warning or above");
    assert!(precision >= 0.95, "precision {precision:.3} below 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} below 0.95");
}
