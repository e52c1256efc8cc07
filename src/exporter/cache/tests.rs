use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::lock::holder::PodSummary;

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

/// A cache where every source has completed its first list with what `fill` put in it.
fn synced(fill: impl FnOnce(&mut Cache)) -> Cache {
    let mut cache = Cache::new();
    for source in Source::ALL {
        cache.relist_started(source);
    }
    fill(&mut cache);
    for source in Source::ALL {
        cache.relist_done(source, now(), now());
    }
    cache
}

fn held_by(holder: &str) -> LeaderLock {
    LeaderLock {
        renew_time: Some(now() - SignedDuration::from_secs(2)),
        ..LeaderLock::sample("ns", "lock", Some(holder))
    }
}

fn state(cache: &mut Cache) -> (State, Option<HolderPod>) {
    let report = cache.evaluate(now()).remove(0);
    (report.state, report.holder_pod)
}

#[test]
fn a_gone_holder_whose_controller_has_no_pod_left_is_orphaned() {
    // The Deployment scaled to 0: its ReplicaSet exists, no pod of it does.
    let mut cache = synced(|c| {
        c.lock_seen(held_by("web-5d8f9c7b6-x2k4q"), true, now());
        c.name_seen(
            Source::ReplicaSets,
            ("ns".into(), "web-5d8f9c7b6".into()),
            true,
        );
        c.name_seen(Source::StatefulSets, ("ns".into(), "db".into()), true);
    });
    let (s, holder) = state(&mut cache);
    assert_eq!(s, State::Orphaned);
    assert_eq!(
        holder,
        Some(HolderPod::Gone {
            pod: "web-5d8f9c7b6-x2k4q".into(),
            owner: WorkloadRef::new("ReplicaSet", "web-5d8f9c7b6"),
        })
    );

    // A StatefulSet's pod, the StatefulSet left with none: also Orphaned.
    cache.lock_seen(held_by("db-0"), false, now());
    assert_eq!(state(&mut cache).0, State::Orphaned);

    // The ReplicaSet is deleted too: nothing says whose pod it was.
    cache.lock_seen(held_by("web-5d8f9c7b6-x2k4q"), false, now());
    cache.name_gone(Source::ReplicaSets, &("ns".into(), "web-5d8f9c7b6".into()));
    assert_eq!(state(&mut cache), (State::Held, Some(HolderPod::Unmapped)));
    assert_eq!(cache.sources()[&Source::ReplicaSets].objects, 0);
}

#[test]
fn a_controller_in_another_namespace_or_a_relist_without_it_proves_nothing() {
    let mut cache = synced(|c| {
        c.lock_seen(held_by("web-5d8f9c7b6-x2k4q"), true, now());
        c.name_seen(
            Source::ReplicaSets,
            ("other".into(), "web-5d8f9c7b6".into()),
            true,
        );
    });
    assert_eq!(state(&mut cache).0, State::Held);

    // A re-list that shows the ReplicaSet replaces the names whole.
    cache.relist_started(Source::ReplicaSets);
    cache.name_seen(
        Source::ReplicaSets,
        ("ns".into(), "web-5d8f9c7b6".into()),
        true,
    );
    assert_eq!(
        state(&mut cache).0,
        State::Held,
        "not until the re-list is done"
    );
    cache.relist_done(Source::ReplicaSets, now(), now());
    assert_eq!(state(&mut cache).0, State::Orphaned);
    assert_eq!(cache.sources()[&Source::ReplicaSets].objects, 1);
}

#[test]
fn a_running_holder_is_found_before_its_controller_is_looked_at() {
    let mut cache = synced(|c| {
        c.lock_seen(held_by("web-5d8f9c7b6-x2k4q"), true, now());
        c.name_seen(
            Source::ReplicaSets,
            ("ns".into(), "web-5d8f9c7b6".into()),
            true,
        );
        c.pod_seen(
            CachedPod {
                summary: PodSummary {
                    namespace: "ns".into(),
                    name: "web-5d8f9c7b6-x2k4q".into(),
                    ready: true,
                    ..PodSummary::default()
                },
                owner: Some(("ReplicaSet".into(), "web-5d8f9c7b6".into())),
                object: TrimmedPod::default(),
            },
            true,
        );
    });
    assert_eq!(state(&mut cache).0, State::Held);
}
