//! What `release` should do with a lock, decided from what was read — pure, so every branch of
//! the safety logic is unit-tested. DESIGN.md §3: releasing is not handing over; a live client-go
//! leader takes an emptied lease back, and one whose lease is given away keeps working until its
//! renewDeadline. So a live holder is never freed without the user choosing how.

use crate::lease::{Expiry, HolderPod, State};
use crate::locks::LockReport;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub evict: bool,
    pub force: bool,
    pub to: Option<String>,
    pub expect_holder: Option<String>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to do; say why, exit 0.
    Nothing(String),
    /// Refuse with this reason, exit 1.
    Refuse(String),
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
        if lock.strategy.is_some() {
            return Plan::Prefer(to.clone());
        }
        if request.force {
            return Plan::ForceHolder {
                holder: to.clone(),
                warning: format!(
                    "this lease is not coordinated: writing {to} as holder does not stop {} — a live client-go leader keeps working until its renewDeadline (two leaders for up to ~10s) and the candidates only learn of {to} at their next retry",
                    if holder.is_empty() { "anyone" } else { holder }
                ),
            };
        }
        return Plan::Refuse(format!(
            "--to needs a coordinated lease (spec.strategy set) to hand over without two leaders; on a plain lease add --force to write {to} as holder anyway"
        ));
    }
    if holder.is_empty() {
        return Plan::Nothing("the lock is already released (no holder)".to_string());
    }
    match (report.state, &report.holder_pod, report.expiry) {
        (State::Orphaned, Some(HolderPod::Gone { pod, owner }), _) => Plan::Free(format!(
            "the holder's pod {pod} is gone ({owner} still exists): freeing it so a standby can lead at once"
        )),
        (_, _, Expiry::Expired { .. }) => {
            Plan::Free("the lease has expired: no live leader holds it".to_string())
        }
        (_, Some(HolderPod::Found(pod)), _) if request.evict => Plan::Evict {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
        },
        _ if request.evict => Plan::Refuse(format!(
            "--evict needs the holder's pod, but {holder} maps to no pod in this cluster; only --force can free it (the leader may still be running)"
        )),
        _ if request.force => Plan::ForceFree(format!(
            "{holder} is alive: a client-go leader takes an emptied lease back at its next renew (~2s), or runs beside the next leader until its renewDeadline; prefer --evict"
        )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{LeaderLock, PodSummary};
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
        let state = crate::lease::state(expiry, pod.as_ref().unwrap_or(&HolderPod::Unmapped));
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
            Plan::Evict {
                namespace: "ns".into(),
                pod: "p-1".into()
            }
        );
        assert!(matches!(
            plan(&report("p-1", LIVE, alive(), None), &ask(false, true)),
            Plan::ForceFree(_)
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
            Plan::Free(_)
        ));
        let gone = Some(HolderPod::Gone {
            pod: "p-1".into(),
            owner: "ReplicaSet/p".into(),
        });
        assert!(
            matches!(plan(&report("p-1", LIVE, gone, None), &ask(false, false)), Plan::Free(r) if r.contains("gone"))
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
            Plan::Free(_)
        ));
    }

    #[test]
    fn to_prefers_on_coordinated_leases_and_needs_force_otherwise() {
        let to = |force| Request {
            to: Some("p-2".into()),
            force,
            ..Default::default()
        };
        assert_eq!(
            plan(
                &report("p-1", LIVE, alive(), Some("OldestEmulationVersion")),
                &to(false)
            ),
            Plan::Prefer("p-2".into())
        );
        assert!(
            matches!(plan(&report("p-1", LIVE, alive(), None), &to(false)), Plan::Refuse(r) if r.contains("coordinated"))
        );
        assert!(matches!(
            plan(&report("p-1", LIVE, alive(), None), &to(true)),
            Plan::ForceHolder { .. }
        ));
    }
}
