//! The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit from PyPI
//! (tests/precommit/precommit.sh): pre-commit validates both hooks; in a throwaway git repository
//! the `language: system` hook, with this test build first on PATH, fails `pre-commit run` and
//! `git commit` on a bad Deployment and its PDB (rollout-surge, pdb-blocks-drain, from one audit of
//! every staged file), passes the fixed manifests and a GitHub Actions workflow, skips a Helm
//! template, fails on a YAML syntax error, and hands `args` to the binary.

use std::process::Command;

#[test]
fn pre_commit_runs_the_audit_hook_on_staged_manifests() {
    let scratch = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("precommit");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();

    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/precommit/precommit.sh"
        ))
        .arg(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .env("TMPDIR", &scratch)
        .output()
        .expect("bash runs tests/precommit/precommit.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "precommit.sh failed:\n{stderr}");
    for said in [
        "accepts .pre-commit-hooks.yaml",
        "fail on rollout-surge and pdb-blocks-drain",
        "fixed manifests: pre-commit run passes",
        "a GitHub Actions workflow alone: audited, passes",
        "excluded, skipped",
        "a YAML syntax error: fails",
        "turns the pdb-unhealthy-eviction warning into a failure",
        "ok: pre-commit",
    ] {
        assert!(
            stderr.contains(said),
            "precommit.sh succeeded without saying '{said}':\n{stderr}"
        );
    }
}
