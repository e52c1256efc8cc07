//! Test-only pauses, compiled into debug builds only (the tests' build; never a release build).
//! `KUBECTL_SINGLETON_TEST_PAUSE=POINT=FILE` makes `release` stop at POINT, create `FILE.reached`
//! and go on once FILE exists. The e2e and soak tests use it to line a real peer's or a real API
//! server's action up with one exact step — a lease taken between the read and the guarded write,
//! an API server stopped while a write is on the wire — which timing alone would hit by chance.

/// Where `release` can be held: after the eviction, between reading the lease again and the
/// guarded write that frees it.
pub const FREE_AFTER_EVICTION: &str = "free-after-eviction";
/// Just before the guarded write of a plan (free, force, preferredHolder) is sent.
pub const BEFORE_WRITE: &str = "before-write";
/// After the eviction was accepted, before waiting for the pod to be gone.
pub const AFTER_EVICTION: &str = "after-eviction";

#[cfg(debug_assertions)]
pub async fn at(point: &str) {
    let Ok(spec) = std::env::var("KUBECTL_SINGLETON_TEST_PAUSE") else {
        return;
    };
    let Some((wanted, file)) = spec.split_once('=') else {
        return;
    };
    if wanted != point {
        return;
    }
    let _ = std::fs::write(format!("{file}.reached"), point);
    while !std::path::Path::new(file).exists() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[cfg(not(debug_assertions))]
pub async fn at(_point: &str) {}
