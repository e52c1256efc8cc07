//! The krew packaging, checked with the real krew (tests/krew/krew.sh): krew-index's manifest
//! validator accepts krew-manifest.yaml, the committed manifest is exactly what scripts/dist.sh
//! renders, and `kubectl krew install --manifest --archive` into a throwaway KREW_ROOT installs a
//! plugin that `kubectl singleton --version` runs. The archive is packed from the binary this test
//! run built (never a nested release build: that alone takes many minutes on two cores).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn krew_validates_the_manifest_installs_the_archive_and_runs_the_plugin() {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("krew");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    // A debug binary carries ~100 MB of debug info that krew would hash and copy around; the
    // release profile strips it too.
    let binary = scratch.join("kubectl-singleton");
    let strip = Command::new("strip")
        .arg("-o")
        .arg(&binary)
        .arg(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .output()
        .expect("strip (binutils) is needed to pack the test binary");
    assert!(
        strip.status.success(),
        "strip failed: {}",
        String::from_utf8_lossy(&strip.stderr)
    );

    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/krew/krew.sh"))
        .env("DIST_BINARY", &binary)
        .env("TMPDIR", &scratch)
        .output()
        .expect("bash runs tests/krew/krew.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "krew.sh failed:\n{stderr}");
    assert!(
        stderr.contains("krew's validator accepts the manifest")
            && stderr.contains("kubectl singleton --version says"),
        "krew.sh succeeded without saying what it checked:\n{stderr}"
    );
}
