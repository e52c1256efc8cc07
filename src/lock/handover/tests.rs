use super::*;
use crate::lock::holder::PodSummary;
use crate::lock::model::LeaderLock;
use jiff::SignedDuration;

fn report(
    holder: &str,
    expiry: Expiry,
    pod: Option<HolderPod>,
    strategy: Option<&str>,
) -> LockReport {
    let lock = LeaderLock {
        transitions: Some(1),
        strategy: strategy.map(Into::into),
        ..LeaderLock::sample("ns", "l", Some(holder))
    };
    let state = crate::lock::model::state(expiry, pod.as_ref().unwrap_or(&HolderPod::Unmapped));
    LockReport {
        lock,
        expiry,
        holder_pod: pod,
        state,
        candidates: vec![],
    }
}

const LIVE: Expiry = Expiry::Live {
    remaining: SignedDuration::from_secs(10),
};
const DEAD: Expiry = Expiry::Expired {
    ago: SignedDuration::from_secs(3),
};

fn alive() -> Option<HolderPod> {
    Some(HolderPod::Found(PodSummary {
        namespace: "ns".into(),
        name: "p-1".into(),
        ready: true,
        ..Default::default()
    }))
}

fn ask(evict: bool, force: bool) -> Request {
    Request {
        evict,
        force,
        ..Default::default()
    }
}

#[test]
fn a_live_holder_is_refused_without_a_flag() {
    assert!(
        matches!(plan(&report("p-1", LIVE, alive(), None), &ask(false, false)), Plan::Refuse(r) if r.contains("--evict"))
    );
    assert!(matches!(
        plan(
            &report("x", LIVE, Some(HolderPod::Unmapped), None),
            &ask(false, false)
        ),
        Plan::Refuse(_)
    ));
}

#[test]
fn evict_stops_the_pod_and_force_frees_with_a_warning() {
    assert_eq!(
        plan(&report("p-1", LIVE, alive(), None), &ask(true, false)),
        Plan::Act(Step::Evict {
            namespace: "ns".into(),
            pod: "p-1".into()
        })
    );
    assert!(matches!(
        plan(&report("p-1", LIVE, alive(), None), &ask(false, true)),
        Plan::Act(Step::ForceFree(_))
    ));
    // An unmapped holder has no pod to evict.
    assert!(matches!(
        plan(
            &report("x", LIVE, Some(HolderPod::Unmapped), None),
            &ask(true, false)
        ),
        Plan::Refuse(_)
    ));
}

#[test]
fn expired_or_orphaned_locks_are_freed_and_empty_ones_left_alone() {
    assert!(matches!(
        plan(&report("p-1", DEAD, alive(), None), &ask(false, false)),
        Plan::Act(Step::Free(_))
    ));
    let gone = Some(HolderPod::Gone {
        pod: "p-1".into(),
        owner: crate::k8s::WorkloadRef::new("ReplicaSet", "p"),
    });
    assert!(
        matches!(plan(&report("p-1", LIVE, gone, None), &ask(false, false)), Plan::Act(Step::Free(r)) if r.contains("gone"))
    );
    assert!(matches!(
        plan(&report("", LIVE, None, None), &ask(false, false)),
        Plan::Nothing(_)
    ));
}

#[test]
fn expect_holder_guards_every_plan() {
    let request = Request {
        force: true,
        expect_holder: Some("someone-else".into()),
        ..Default::default()
    };
    assert!(
        matches!(plan(&report("p-1", DEAD, alive(), None), &request), Plan::Refuse(r) if r.contains("not someone-else"))
    );
    let matching = Request {
        expect_holder: Some("p-1".into()),
        ..Default::default()
    };
    assert!(matches!(
        plan(&report("p-1", DEAD, alive(), None), &matching),
        Plan::Act(Step::Free(_))
    ));
}

fn candidate(name: &str, emulation: &str, binary: &str, created_secs: i64) -> Candidate {
    Candidate {
        name: name.into(),
        emulation_version: emulation.into(),
        binary_version: binary.into(),
        created: jiff::Timestamp::from_second(created_secs).unwrap(),
        unanswered_ping: false,
    }
}

#[test]
fn the_election_picks_the_lowest_versions_then_the_oldest() {
    let pick = |cs: &[Candidate]| elect(cs).map(|c| c.name.clone());
    // Equal versions: the oldest candidate.
    let equal = [
        candidate("b", "1.36.0", "1.36.0", 20),
        candidate("a", "1.36.0", "1.36.0", 10),
    ];
    assert_eq!(pick(&equal), Some("a".into()));
    // Emulation version first, then binary version; `v` and a missing patch are tolerated.
    let versions = [
        candidate("new", "1.36.0", "1.36.0", 1),
        candidate("old-emu", "v1.35", "1.36.0", 5),
        candidate("old-bin", "1.35.0", "1.35.9", 9),
    ];
    assert_eq!(pick(&versions), Some("old-bin".into()));
    let emulation_first = [
        candidate("old-bin", "1.36.0", "1.35.0", 1),
        candidate("old-emu", "1.34.0", "1.37.0", 2),
    ];
    assert_eq!(pick(&emulation_first), Some("old-emu".into()));
    // Numeric, not textual, comparison; a pre-release sorts before its release.
    let numeric = [
        candidate("ten", "1.10.0", "1.10.0", 1),
        candidate("nine", "1.9.0", "1.9.0", 2),
    ];
    assert_eq!(pick(&numeric), Some("nine".into()));
    let pre = [
        candidate("rel", "1.36.0", "1.36.0", 1),
        candidate("rc", "1.36.0-rc.1", "1.36.0", 2),
    ];
    assert_eq!(pick(&pre), Some("rc".into()));
    // Unparsable versions are not eligible.
    let broken = [
        candidate("junk", "latest", "1.36.0", 1),
        candidate("ok", "1.37.0", "1.37.0", 2),
    ];
    assert_eq!(pick(&broken), Some("ok".into()));
    assert_eq!(pick(&[candidate("junk", "1.2.3.4", "x", 1)]), None);
}

#[test]
fn to_on_a_server_elected_lease_names_only_the_electee() {
    let oldest = Some(OLDEST_EMULATION_VERSION);
    let to = |who: &str| Request {
        to: Some(who.into()),
        candidates: vec![
            candidate("p-1", "1.36.0", "1.36.0", 10),
            candidate("p-2", "1.36.0", "1.36.0", 20),
            candidate("p-3", "1.35.0", "1.36.0", 30),
        ],
        ..Default::default()
    };
    // p-3 has the oldest emulation version: the server would elect it, so --to may ask.
    assert_eq!(
        plan(&report("p-1", LIVE, alive(), oldest), &to("p-3")),
        Plan::Act(Step::Prefer("p-3".into()))
    );
    // p-2 would only interrupt p-1: the election picks p-3 again.
    assert!(
        matches!(plan(&report("p-1", LIVE, alive(), oldest), &to("p-2")), Plan::Refuse(r) if r.contains("picks p-3") && r.contains("not p-2"))
    );
    assert!(
        matches!(plan(&report("p-1", LIVE, alive(), oldest), &to("stranger")), Plan::Refuse(r) if r.contains("not a LeaseCandidate") && r.contains("p-1, p-2, p-3"))
    );
    assert!(matches!(
        plan(&report("p-1", LIVE, alive(), oldest), &to("p-1")),
        Plan::Nothing(_)
    ));
}

#[test]
fn to_prefers_on_third_party_strategies_and_needs_force_on_plain_leases() {
    let to = |force| Request {
        to: Some("p-2".into()),
        force,
        ..Default::default()
    };
    assert_eq!(
        plan(
            &report("p-1", LIVE, alive(), Some("example.com/by-zone")),
            &to(false)
        ),
        Plan::Act(Step::Prefer("p-2".into()))
    );
    // With LeaseCandidates, only one of them.
    let among = |names: &[&str]| Request {
        candidates: names
            .iter()
            .map(|n| candidate(n, "1.36.0", "1.36.0", 1))
            .collect(),
        ..to(false)
    };
    let third = report("p-1", LIVE, alive(), Some("example.com/by-zone"));
    assert!(
        matches!(plan(&third, &among(&["p-1", "p-3"])), Plan::Refuse(r) if r.contains("p-2 is not a LeaseCandidate"))
    );
    assert_eq!(
        plan(&third, &among(&["p-1", "p-2"])),
        Plan::Act(Step::Prefer("p-2".into()))
    );
    // A candidate that did not answer the server's last ping is not live.
    let mut silent = among(&["p-1", "p-2"]);
    silent.candidates[1].unanswered_ping = true;
    assert!(matches!(plan(&third, &silent), Plan::Refuse(r) if r.contains("not a live candidate")));
    assert!(
        matches!(plan(&report("p-1", LIVE, alive(), None), &to(false)), Plan::Refuse(r) if r.contains("coordinated"))
    );
    assert!(matches!(
        plan(&report("p-1", LIVE, alive(), None), &to(true)),
        Plan::Act(Step::ForceHolder { .. })
    ));
}

#[test]
fn to_a_candidate_already_preferred_writes_nothing_again() {
    let mut preferred = report("a", LIVE, alive(), Some("example.com/Preferred"));
    preferred.lock.preferred_holder = Some("b".into());
    let to = |name: &str| Request {
        to: Some(name.into()),
        ..Default::default()
    };
    assert!(
        matches!(plan(&preferred, &to("b")), Plan::Nothing(why) if why.contains("already b")),
        "{:?}",
        plan(&preferred, &to("b"))
    );
    // Another name is a new request: it is written (guarded by the resourceVersion).
    assert_eq!(
        plan(&preferred, &to("c")),
        Plan::Act(Step::Prefer("c".into()))
    );
    // A plain lease has no election to prefer anyone: a stale preferredHolder changes nothing.
    let mut plain = report("a", LIVE, alive(), None);
    plain.lock.preferred_holder = Some("b".into());
    assert!(matches!(plan(&plain, &to("b")), Plan::Refuse(_)));
}
