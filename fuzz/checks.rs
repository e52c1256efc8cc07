//! What each fuzz target does with its input, in one place: the targets in fuzz_targets/ call
//! these under libFuzzer, and tests/fuzz_corpus.rs calls them on stable for every corpus and
//! regression input. An error is fine; a panic, abort, timeout or running out of memory is a bug.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubectl_singleton::lock::holder;
use kubectl_singleton::lock::model::{LEGACY_LOCK_ANNOTATION, LeaderLock, LockKind};

/// Any text, read as a YAML file and as a JSON file.
pub fn manifests(text: &str) {
    let _ = kubectl_singleton::audit::manifests::parse("fuzz.yaml", text);
    let _ = kubectl_singleton::audit::manifests::parse("fuzz.json", text);
}

/// Any text as a legacy ConfigMap lock's annotation (client-go's LeaderElectionRecord JSON),
/// then everything `status` derives from it: expiry, holder, holder pod and its owner.
pub fn lock_record(text: &str) {
    let meta = ObjectMeta {
        annotations: Some([(LEGACY_LOCK_ANNOTATION.to_string(), text.to_string())].into()),
        ..ObjectMeta::default()
    };
    let lock = LeaderLock::from_legacy(LockKind::ConfigMap, &meta)
        .expect("a lock annotation always gives a lock");
    // The extremes of the clock as well as now: expiry arithmetic must not overflow.
    for now in [
        jiff::Timestamp::now(),
        jiff::Timestamp::MIN,
        jiff::Timestamp::MAX,
    ] {
        let _ = lock.expiry(now);
    }
    let _ = lock.expires_at();
    if let Some(pod) = lock.holder().and_then(holder::holder_pod_name) {
        let _ = holder::owner_candidates(pod);
    }
}

/// Any text as a `--request-timeout`-style duration.
pub fn duration(text: &str) {
    let _ = kubectl_singleton::duration::parse(text);
}
