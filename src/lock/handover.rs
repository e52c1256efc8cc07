//! What `release` should do with a lock, decided from what was read — pure, so every branch of
//! the safety logic is unit-tested. DESIGN.md §3: releasing is not handing over; a live client-go
//! leader takes an emptied lease back, and one whose lease is given away keeps working until its
//! renewDeadline. So a live holder is never freed without the user choosing how.

use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;

use super::holder::HolderPod;
use super::model::{Expiry, LockReport, State};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub evict: bool,
    pub force: bool,
    pub to: Option<String>,
    pub expect_holder: Option<String>,
    /// The lease's live LeaseCandidates, read when `--to` names a coordinated lease.
    pub candidates: Vec<Candidate>,
}

/// What the API server's coordinated election weighs of a LeaseCandidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub emulation_version: String,
    pub binary_version: String,
    pub created: jiff::Timestamp,
}

impl Candidate {
    /// The candidate a LeaseCandidate names, if it stands for `lease`.
    pub fn of_lease(candidate: LeaseCandidate, lease: &str) -> Option<Self> {
        let spec = candidate.spec?;
        (spec.lease_name == lease).then(|| Candidate {
            name: candidate.metadata.name.unwrap_or_default(),
            emulation_version: spec.emulation_version.unwrap_or_default(),
            binary_version: spec.binary_version,
            created: candidate
                .metadata
                .creation_timestamp
                .map_or(jiff::Timestamp::MAX, |t| t.0),
        })
    }
}

/// The strategy the API server itself elects by; any other strategy is a third party's.
pub const OLDEST_EMULATION_VERSION: &str = "OldestEmulationVersion";

/// The candidate the API server's OldestEmulationVersion election picks: the lowest emulation
/// version, then the lowest binary version, then the oldest candidate. Candidates whose versions
/// do not parse are not eligible, as on the server.
pub fn elect(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates
        .iter()
        .filter_map(|c| {
            Some((
                version(&c.emulation_version)?,
                version(&c.binary_version)?,
                c,
            ))
        })
        .min_by(|(e1, b1, c1), (e2, b2, c2)| {
            e1.cmp(e2)
                .then(b1.cmp(b2))
                .then(c1.created.cmp(&c2.created))
        })
        .map(|(_, _, c)| c)
}

/// A version as the server's tolerant semver parse reads it: an optional `v`, missing minor or
/// patch taken as 0. A pre-release sorts before its release.
fn version(text: &str) -> Option<(u64, u64, u64, bool, String)> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.split('+').next().unwrap_or_default();
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let mut parts = core.split('.');
    let mut number = |required: bool| -> Option<u64> {
        match parts.next() {
            Some(p) => p.parse().ok(),
            None if !required => Some(0),
            None => None,
        }
    };
    let (major, minor, patch) = (number(true)?, number(false)?, number(false)?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        major,
        minor,
        patch,
        pre.is_none(),
        pre.unwrap_or_default().to_string(),
    ))
}

/// The plan: nothing to do, a refusal, or a step that changes the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to do; say why, exit 0.
    Nothing(String),
    /// Refuse with this reason, exit 1.
    Refuse(String),
    /// Change the lock (or stop its holder) this way.
    Act(Step),
}

impl From<Step> for Plan {
    fn from(step: Step) -> Self {
        Plan::Act(step)
    }
}

/// What `release` does to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Free the lock now (what client-go's ReleaseOnCancel writes); the reason is printed.
    Free(String),
    /// Free a live holder's lock anyway; the warning is printed.
    ForceFree(String),
    /// Evict this pod through the Eviction API, wait until it is gone, then free the lock if its
    /// old holder still has it.
    Evict { namespace: String, pod: String },
    /// Coordinated leader election: set spec.preferredHolder and let the leader yield.
    Prefer(String),
    /// Write this holder directly (plain lease, `--to` with `--force`); the warning is printed.
    ForceHolder { holder: String, warning: String },
}

/// Decides what to do with one lock.
pub fn plan(report: &LockReport, request: &Request) -> Plan {
    let lock = &report.lock;
    let holder = lock.holder().unwrap_or_default();
    if let Some(expected) = &request.expect_holder
        && expected != holder
    {
        let actual = if holder.is_empty() { "nobody" } else { holder };
        return Plan::Refuse(format!(
            "the lock is held by {actual}, not {expected} (--expect-holder): nothing changed"
        ));
    }
    if let Some(to) = &request.to {
        if to == holder {
            return Plan::Nothing(format!("{to} already holds the lock"));
        }
        if lock.strategy.as_deref() == Some(OLDEST_EMULATION_VERSION) {
            return prefer_elected(to, holder, &request.candidates);
        }
        if lock.strategy.is_some() {
            // A third party's strategy: its controller reads preferredHolder and elects, among
            // the lease's LeaseCandidates when it has any; one they do not name stalls it.
            if !request.candidates.is_empty() && !request.candidates.iter().any(|c| c.name == *to) {
                return not_a_candidate(to, &request.candidates);
            }
            return Step::Prefer(to.clone()).into();
        }
        if request.force {
            return Step::ForceHolder {
                holder: to.clone(),
                warning: format!(
                    "this lease is not coordinated: writing {to} as holder does not stop {} — a live client-go leader keeps working until its renewDeadline (two leaders for up to ~10s) and the candidates only learn of {to} at their next retry",
                    if holder.is_empty() { "anyone" } else { holder }
                ),
            }
            .into();
        }
        return Plan::Refuse(format!(
            "--to needs a coordinated lease (spec.strategy set) to hand over without two leaders; on a plain lease add --force to write {to} as holder anyway"
        ));
    }
    if holder.is_empty() {
        return Plan::Nothing("the lock is already released (no holder)".to_string());
    }
    match (report.state, &report.holder_pod, report.expiry) {
        (State::Orphaned, Some(HolderPod::Gone { pod, owner }), _) => Step::Free(format!(
            "the holder's pod {pod} is gone ({owner} still exists): freeing it so a standby can lead at once"
        ))
        .into(),
        (_, _, Expiry::Expired { .. }) => {
            Step::Free("the lease has expired: no live leader holds it".to_string()).into()
        }
        (_, Some(HolderPod::Found(pod)), _) if request.evict => Step::Evict {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
        }
        .into(),
        _ if request.evict => Plan::Refuse(format!(
            "--evict needs the holder's pod, but {holder} maps to no pod in this cluster; only --force can free it (the leader may still be running)"
        )),
        _ if request.force => Step::ForceFree(format!(
            "{holder} is alive: a client-go leader takes an emptied lease back at its next renew (~2s), or runs beside the next leader until its renewDeadline; prefer --evict"
        ))
        .into(),
        (_, Some(HolderPod::Found(pod)), _) => Plan::Refuse(format!(
            "{holder} is alive (pod {} is {}): freeing its lease would not stop it — it would take the lease back or run beside the next leader. Use --evict to stop it first (respects PodDisruptionBudgets), or --force",
            pod.name,
            if pod.ready { "Ready" } else { "not Ready" }
        )),
        _ => Plan::Refuse(format!(
            "{holder} holds a live lease and maps to no pod here, so it may be a running leader outside this view: refusing. Use --force if you know it is dead"
        )),
    }
}

/// `--to` names nobody standing for the lease: a preferredHolder nobody answers to stalls the
/// handover (the leader steps down for no one).
fn not_a_candidate(to: &str, candidates: &[Candidate]) -> Plan {
    let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
    Plan::Refuse(format!(
        "{to} is not a LeaseCandidate for this lease (candidates: {}): nothing changed",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// On an OldestEmulationVersion lease the API server elects, and it elects by versions and age
/// alone: preferredHolder only ends the current term, after which the server picks its electee
/// again. So `--to` can only name the candidate the server would elect; anything else would
/// just interrupt the leader.
fn prefer_elected(to: &str, holder: &str, candidates: &[Candidate]) -> Plan {
    if !candidates.iter().any(|c| c.name == to) {
        return not_a_candidate(to, candidates);
    }
    match elect(candidates) {
        Some(electee) if electee.name == to => Step::Prefer(to.to_string()).into(),
        Some(electee) => Plan::Refuse(format!(
            "the API server elects this lease by {OLDEST_EMULATION_VERSION} and picks {} (emulation version {}, binary version {}; the oldest candidate among equals), not {to}: preferredHolder would only end {}'s term and the election would pick {} again. Nothing changed",
            electee.name,
            electee.emulation_version,
            electee.binary_version,
            if holder.is_empty() { "the leader" } else { holder },
            electee.name
        )),
        None => Plan::Refuse(
            "no LeaseCandidate of this lease has versions the API server can compare, so its election would pick nobody: nothing changed".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
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
        assert!(
            matches!(plan(&report("p-1", LIVE, alive(), None), &to(false)), Plan::Refuse(r) if r.contains("coordinated"))
        );
        assert!(matches!(
            plan(&report("p-1", LIVE, alive(), None), &to(true)),
            Plan::Act(Step::ForceHolder { .. })
        ));
    }
}
