//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, grown by `scripts/fuzz.sh` campaigns) and
//! every input that once crashed a target (`fuzz/regressions/<target>/`) on stable, doing what
//! the target in `fuzz/fuzz_targets/<target>.rs` does: an error is fine, a panic is a bug.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The fuzz targets' own checks, so a replay does exactly what the target does.
#[path = "../fuzz/checks.rs"]
mod checks;

/// Every input of a target as text. The targets skip input that is not UTF-8; replaying it
/// lossily still feeds the parser something.
fn inputs(target: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let files = |dir: PathBuf| -> Vec<PathBuf> {
        match std::fs::read_dir(&dir) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    };
    let corpus = files(root.join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is empty or missing: restore it from git"
    );
    let mut paths = corpus;
    paths.extend(files(root.join("regressions").join(target)));
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p, text)
        })
        .collect()
}

/// Runs `check` on every input of `target`; fails naming each input that panicked.
fn replay(target: &str, check: impl Fn(&str)) {
    let panicked: Vec<String> = inputs(target)
        .iter()
        .filter(|(_, text)| catch_unwind(AssertUnwindSafe(|| check(text))).is_err())
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(panicked.is_empty(), "{target} panicked on: {panicked:#?}");
}

#[test]
fn manifest_loader_survives_the_corpus() {
    replay("manifests", checks::manifests);
}

#[test]
fn legacy_lock_records_survive_the_corpus() {
    replay("lock_record", checks::lock_record);
}

#[test]
fn duration_parser_survives_the_corpus() {
    replay("duration", checks::duration);
}
