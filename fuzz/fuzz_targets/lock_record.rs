//! Any text as a legacy ConfigMap lock's annotation (client-go's LeaderElectionRecord JSON),
//! then everything `status` derives from it: expiry, holder, holder pod and its owner.
#![no_main]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubectl_singleton::lease::{self, LEGACY_LOCK_ANNOTATION, LeaderLock, LockKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
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
    if let Some(pod) = lock.holder().and_then(lease::holder_pod_name) {
        let _ = lease::owner_candidates(pod);
    }
});
