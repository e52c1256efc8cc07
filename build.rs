//! Records the git commit the binary was built from, for `--version`. Outside a git checkout
//! (a crates.io package, a source archive) the version stands alone.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .is_some_and(|out| !out.stdout.is_empty());
    let version = match commit {
        Some(commit) if dirty => format!("{} (git {commit}, modified)", env!("CARGO_PKG_VERSION")),
        Some(commit) => format!("{} (git {commit})", env!("CARGO_PKG_VERSION")),
        None => env!("CARGO_PKG_VERSION").to_string(),
    };
    println!("cargo:rustc-env=KUBECTL_SINGLETON_VERSION={version}");
    // Rebuild when HEAD moves or the index changes (commit, checkout).
    for path in [".git/HEAD", ".git/index", ".git/logs/HEAD"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
