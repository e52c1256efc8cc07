use super::*;
use crate::lock::holder::HolderPod;

fn lease(ns: &str, name: &str) -> LeaderLock {
    LeaderLock::sample(ns, name, Some("p"))
}

fn names(families: &[Family]) -> Vec<(&str, &str, Pattern, usize)> {
    families
        .iter()
        .map(|f| {
            (
                f.namespace.as_str(),
                f.name.as_str(),
                f.pattern,
                f.members.len(),
            )
        })
        .collect()
}

#[test]
fn knative_buckets_form_a_family_that_knows_its_total() {
    let locks = [
        lease("ns", "autoscaler.bucket.0-of-4"),
        lease("ns", "autoscaler.bucket.2-of-4"),
        // Another total is another family; an index past the total is no bucket.
        lease("ns", "autoscaler.bucket.0-of-2"),
        lease("ns", "autoscaler.bucket.4-of-4"),
    ];
    let families = detect(&locks, None);
    assert_eq!(
        names(&families),
        vec![
            ("ns", "autoscaler.bucket.*-of-2", Pattern::Knative, 1),
            ("ns", "autoscaler.bucket.*-of-4", Pattern::Knative, 2),
        ]
    );
    let four = &families[1];
    assert_eq!(four.total, Some(4));
    assert_eq!(four.stem, "autoscaler.bucket");
    assert_eq!(four.members, vec![(Some(0), 0), (Some(2), 1)]);
    assert!(four.is_named("autoscaler.bucket") && four.is_named("autoscaler.bucket.*-of-4"));
}

#[test]
fn numbered_names_need_two_members_and_the_same_namespace() {
    let locks = [
        lease("ns", "leader-election-shard-0"),
        lease("ns", "leader-election-shard-1"),
        lease("ns", "leader-election-shard-2"),
        // A single `<base>-0` is not a family.
        lease("ns", "cache-0"),
        // Nor is the same base split over namespaces.
        lease("a", "sharding-1"),
        lease("b", "sharding-2"),
        // Not numbers: signs, letters, nothing.
        lease("ns", "web-+1"),
        lease("ns", "web-1a"),
        lease("ns", "web-"),
        lease("ns", "-1"),
    ];
    assert_eq!(
        names(&detect(&locks, None)),
        vec![("ns", "leader-election-shard-*", Pattern::Numbered, 3)]
    );
}

#[test]
fn two_apps_that_only_look_like_a_family_are_still_one() {
    // `web-1` beside `web-2` with different holders: the names say family; the view shows
    // both holders, and nothing here guesses intent.
    let locks = [
        LeaderLock::sample("ns", "web-1", Some("a")),
        LeaderLock::sample("ns", "web-2", Some("b")),
    ];
    assert_eq!(
        names(&detect(&locks, None)),
        vec![("ns", "web-*", Pattern::Numbered, 2)]
    );
}

#[test]
fn the_controller_ring_label_and_a_regex_take_precedence() {
    let ringed = |name: &str| LeaderLock {
        controller_ring: Some("operator".into()),
        ..lease("ns", name)
    };
    let locks = [
        ringed("operator-7d9f-abcde"),
        ringed("operator-7d9f-fghij"),
        lease("ns", "sharding-0"),
        lease("ns", "sharding-1"),
        lease("ns", "unrelated"),
    ];
    assert_eq!(
        names(&detect(&locks, None)),
        vec![
            ("ns", "operator", Pattern::ControllerRing, 2),
            ("ns", "sharding-*", Pattern::Numbered, 2),
        ]
    );
    let regex = anchored(r"shard(?P<index>\d+)\.lock").unwrap();
    let custom = [
        lease("ns", "shard0.lock"),
        lease("ns", "shard1.lock"),
        lease("ns", "xshard1.lock"),
    ];
    let families = detect(&custom, Some(&regex));
    assert_eq!(
        names(&families),
        vec![("ns", "shard*.lock", Pattern::Custom, 2)]
    );
    assert_eq!(families[0].members, vec![(Some(0), 0), (Some(1), 1)]);
    // The regex must match the whole name; without a group the regex names the family.
    let plain = anchored("a|ab").unwrap();
    let families = detect(
        &[lease("ns", "a"), lease("ns", "ab"), lease("ns", "abc")],
        Some(&plain),
    );
    assert_eq!(names(&families), vec![("ns", "a|ab", Pattern::Custom, 2)]);
    assert!(anchored("(").is_err());
}

#[test]
fn legacy_locks_are_not_family_members() {
    let cm = |name: &str| LeaderLock {
        kind: LockKind::ConfigMap,
        ..lease("ns", name)
    };
    assert!(detect(&[cm("x-0"), cm("x-1")], None).is_empty());
}

#[test]
fn twenty_thousand_leases_form_two_thousand_families() {
    // 20 000 leases in 2 000 families: a pairwise comparison would take 4×10⁸ steps.
    let locks: Vec<LeaderLock> = (0..20_000)
        .map(|i| lease("ns", &format!("family{}-shard-{}", i / 10, i % 10)))
        .collect();
    // Detection is one hash-map pass; its speed is measured in bench/extra/shards.sh, not here.
    let families = detect(&locks, None);
    assert_eq!(families.len(), 2_000);
    assert!(families.iter().all(|f| f.members.len() == 10));
}

fn report(name: &str, holder: Option<&str>, state: State) -> LockReport {
    LockReport {
        lock: LeaderLock::sample("ns", name, holder),
        expiry: Expiry::Unknown,
        holder_pod: Some(HolderPod::Unmapped),
        state,
        candidates: vec![],
    }
}

#[test]
fn a_family_is_judged_by_its_led_shards() {
    let reports = vec![
        report(
            "b.0-of-4",
            Some("pod-a_8c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5b"),
            State::Held,
        ),
        report(
            "b.1-of-4",
            Some("pod-a_1c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5b"),
            State::Held,
        ),
        report("b.3-of-4", None, State::Released),
    ];
    let locks: Vec<LeaderLock> = reports.iter().map(|r| r.lock.clone()).collect();
    let family = detect(&locks, None).remove(0);
    let judged = FamilyReport::judge(family, &reports);
    assert_eq!(judged.expected, 4);
    assert_eq!(judged.led, 2);
    assert_eq!(judged.missing, vec![2]);
    // Two identities of one pod count as one holder.
    assert_eq!(judged.per_holder, vec![("pod-a".to_string(), 2)]);
    assert_eq!(judged.health, Health::Degraded);
    assert_eq!(
        judged
            .leaderless()
            .map(|r| r.lock.name.as_str())
            .collect::<Vec<_>>(),
        vec!["b.3-of-4"]
    );

    let none = vec![
        report("x-0", None, State::Released),
        report("x-1", Some("gone"), State::Expired),
    ];
    let locks: Vec<LeaderLock> = none.iter().map(|r| r.lock.clone()).collect();
    let judged = FamilyReport::judge(detect(&locks, None).remove(0), &none);
    assert_eq!(judged.health, Health::Leaderless);
    assert_eq!((judged.expected, judged.led), (2, 0));

    let all = vec![
        report("x-0", Some("a"), State::Held),
        report("x-1", Some("b"), State::Unready),
    ];
    let locks: Vec<LeaderLock> = all.iter().map(|r| r.lock.clone()).collect();
    let judged = FamilyReport::judge(detect(&locks, None).remove(0), &all);
    assert_eq!(judged.health, Health::Healthy);
}

#[test]
fn leaderless_since_is_the_expiry_or_the_release() {
    let ts = |s: &str| -> Timestamp { s.parse().unwrap() };
    let lock = LeaderLock {
        renew_time: Some(ts("2026-01-01T00:00:00Z")),
        ..LeaderLock::sample("ns", "x-0", Some("a"))
    };
    let expired = LockReport::judge(lock.clone(), None, vec![], ts("2026-01-01T00:01:00Z"));
    assert_eq!(expired.state, State::Expired);
    assert_eq!(leaderless_since(&expired), Some(ts("2026-01-01T00:00:15Z")));
    assert_eq!(
        leaderless_for(&expired, ts("2026-01-01T00:01:00Z")),
        Some(SignedDuration::from_secs(45))
    );
    let live = LockReport::judge(lock.clone(), None, vec![], ts("2026-01-01T00:00:05Z"));
    assert_eq!(leaderless_since(&live), None);
    let released = LockReport::judge(
        LeaderLock {
            holder: None,
            ..lock
        },
        None,
        vec![],
        ts("2026-01-01T00:01:00Z"),
    );
    assert_eq!(
        leaderless_since(&released),
        Some(ts("2026-01-01T00:00:00Z"))
    );
}
