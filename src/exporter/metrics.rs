//! The metric families, built from judged lock reports and the cache's own status. Pure. The
//! names, types and labels are a contract (README, docs/exporter.md): alerts depend on them.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::account::Account;
use super::cache::{Source, SourceStatus};
use super::encode::{Family, Type};
use crate::lock::holder::HolderPod;
use crate::lock::model::{LockReport, State};
use crate::lock::watch::{LockId, id};

const STATES: [State; 5] = [
    State::Held,
    State::Expired,
    State::Released,
    State::Orphaned,
    State::Unready,
];

fn lock_labels(report: &LockReport) -> Vec<(&'static str, String)> {
    vec![
        ("namespace", report.lock.namespace.clone()),
        ("name", report.lock.name.clone()),
        ("kind", report.lock.kind.as_str().to_string()),
    ]
}

/// The per-lock families: info, state, expiry, transitions, leader changes, leaderless time.
pub fn lock_families(
    reports: &[LockReport],
    accounts: &BTreeMap<LockId, Account>,
    now: Timestamp,
) -> Vec<Family> {
    let mut info = Family::new(
        "singleton_lock_info",
        Type::Gauge,
        "One series per leader-election lock, with its holder identity, holder pod and workload.",
    );
    let mut state = Family::new(
        "singleton_lock_state",
        Type::Gauge,
        "1 for the lock's current state (Held, Expired, Released, Orphaned, Unready), 0 for the others.",
    );
    let mut expiry = Family::new(
        "singleton_lock_expiry_seconds",
        Type::Gauge,
        "Seconds until the lock expires by the API server's clock; negative once expired. Absent when released or unknown.",
    );
    let mut transitions = Family::new(
        "singleton_lock_transitions",
        Type::Gauge,
        "The lock's leaseTransitions (leaderTransitions for legacy locks).",
    );
    let mut changes = Family::new(
        "singleton_leader_changes_total",
        Type::Counter,
        "Leader changes observed by this exporter (a new non-empty holder).",
    );
    let mut leaderless = Family::new(
        "singleton_leaderless_seconds_total",
        Type::Counter,
        "Seconds observed with no live leader (Expired, Released or Orphaned).",
    );
    for report in reports {
        let labels = lock_labels(report);
        let (holder_pod, workload) = match &report.holder_pod {
            Some(HolderPod::Found(pod)) => (
                pod.name.clone(),
                pod.workload.as_ref().map(ToString::to_string),
            ),
            Some(HolderPod::Gone { pod, owner }) => (pod.clone(), Some(owner.to_string())),
            _ => (String::new(), None),
        };
        let mut info_labels = labels.clone();
        info_labels.push(("holder", report.lock.holder().unwrap_or("").to_string()));
        info_labels.push(("holder_pod", holder_pod));
        info_labels.push(("workload", workload.unwrap_or_default()));
        info.push(info_labels, 1.0);
        for s in STATES {
            let mut l = labels.clone();
            l.push(("state", s.as_str().to_string()));
            state.push(l, if s == report.state { 1.0 } else { 0.0 });
        }
        if report.lock.holder().is_some()
            && let Some(at) = report.lock.expires_at()
        {
            let seconds = at.duration_since(now).as_secs_f64();
            expiry.push(labels.clone(), (seconds * 1000.0).round() / 1000.0);
        }
        if let Some(t) = report.lock.transitions {
            transitions.push(labels.clone(), f64::from(t));
        }
        let account = accounts.get(&id(&report.lock)).cloned().unwrap_or_default();
        #[allow(clippy::cast_precision_loss)] // a count of leader changes fits a float exactly
        changes.push(labels.clone(), account.leader_changes as f64);
        leaderless.push(
            labels,
            (account.leaderless_seconds * 1000.0).round() / 1000.0,
        );
    }
    vec![info, state, expiry, transitions, changes, leaderless]
}

/// The exporter's own health: per watched resource.
pub fn self_families(sources: &BTreeMap<Source, SourceStatus>) -> Vec<Family> {
    let mut restarts = Family::new(
        "singleton_exporter_watch_restarts_total",
        Type::Counter,
        "Watch errors after which the exporter restarted the watch (with backoff), per resource.",
    );
    let mut synced = Family::new(
        "singleton_exporter_synced",
        Type::Gauge,
        "1 once the resource's watch has completed a full list, 0 before (e.g. RBAC withholds it).",
    );
    let mut last_sync = Family::new(
        "singleton_exporter_last_sync_timestamp_seconds",
        Type::Gauge,
        "Unix time of the resource's latest completed full list. Absent before the first.",
    );
    let mut objects = Family::new(
        "singleton_exporter_objects_cached",
        Type::Gauge,
        "Objects held in the exporter's cache per resource (locks for leases/configmaps/endpoints, all pods).",
    );
    for (source, status) in sources {
        let labels = vec![("resource", source.as_str().to_string())];
        #[allow(clippy::cast_precision_loss)]
        restarts.push(labels.clone(), status.restarts as f64);
        synced.push(labels.clone(), if status.synced { 1.0 } else { 0.0 });
        if let Some(at) = status.last_sync {
            let secs = at.as_millisecond() as f64 / 1000.0;
            last_sync.push(labels.clone(), secs);
        }
        #[allow(clippy::cast_precision_loss)]
        objects.push(labels, status.objects as f64);
    }
    vec![restarts, synced, last_sync, objects]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::WorkloadRef;
    use crate::lock::holder::PodSummary;
    use crate::lock::model::LeaderLock;
    use jiff::SignedDuration;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    fn sample(family: &Family, name: &str, extra: Option<(&str, &str)>) -> Option<f64> {
        family
            .samples
            .iter()
            .find(|s| {
                s.labels.iter().any(|(k, v)| *k == "name" && v == name)
                    && extra
                        .is_none_or(|(ek, ev)| s.labels.iter().any(|(k, v)| *k == ek && v == ev))
            })
            .map(|s| s.value)
    }

    #[test]
    fn families_from_reports() {
        let renewed = now() - SignedDuration::from_secs(5);
        let live = LeaderLock {
            renew_time: Some(renewed),
            transitions: Some(3),
            ..LeaderLock::sample("ns", "live", Some("web-7c9d8f-abcde"))
        };
        let expired = LeaderLock {
            renew_time: Some(now() - SignedDuration::from_secs(20)),
            ..LeaderLock::sample("ns", "dead", Some("peer-a"))
        };
        let released = LeaderLock::sample("ns", "free", None);
        let pod = PodSummary {
            namespace: "ns".into(),
            name: "web-7c9d8f-abcde".into(),
            ready: true,
            workload: Some(WorkloadRef::new("Deployment", "web")),
            ..PodSummary::default()
        };
        let reports = vec![
            LockReport::judge(live, Some(HolderPod::Found(pod)), vec![], now()),
            LockReport::judge(expired, Some(HolderPod::Unmapped), vec![], now()),
            LockReport::judge(released, None, vec![], now()),
        ];
        let mut accounts = BTreeMap::new();
        let mut account = Account::default();
        account.observe(Some("peer-b"), false, now() - SignedDuration::from_secs(60));
        account.observe(Some("peer-a"), true, now() - SignedDuration::from_secs(5));
        account.observe(Some("peer-a"), true, now());
        accounts.insert(id(&reports[1].lock), account);

        let families = lock_families(&reports, &accounts, now());
        let by = |n: &str| families.iter().find(|f| f.name == n).unwrap();
        let info = by("singleton_lock_info");
        assert_eq!(info.samples.len(), 3);
        assert_eq!(
            sample(info, "live", Some(("workload", "Deployment/web"))),
            Some(1.0)
        );
        assert_eq!(
            sample(info, "live", Some(("holder_pod", "web-7c9d8f-abcde"))),
            Some(1.0)
        );
        let state = by("singleton_lock_state");
        assert_eq!(state.samples.len(), 15, "one series per state per lock");
        assert_eq!(sample(state, "live", Some(("state", "Held"))), Some(1.0));
        assert_eq!(sample(state, "live", Some(("state", "Expired"))), Some(0.0));
        assert_eq!(sample(state, "dead", Some(("state", "Expired"))), Some(1.0));
        assert_eq!(
            sample(state, "free", Some(("state", "Released"))),
            Some(1.0)
        );
        let expiry = by("singleton_lock_expiry_seconds");
        assert_eq!(sample(expiry, "live", None), Some(10.0));
        assert_eq!(sample(expiry, "dead", None), Some(-5.0));
        assert_eq!(sample(expiry, "free", None), None, "released: no expiry");
        assert_eq!(
            sample(by("singleton_lock_transitions"), "live", None),
            Some(3.0)
        );
        assert_eq!(sample(by("singleton_lock_transitions"), "dead", None), None);
        assert_eq!(
            sample(by("singleton_leader_changes_total"), "dead", None),
            Some(1.0)
        );
        assert_eq!(
            sample(by("singleton_leader_changes_total"), "live", None),
            Some(0.0)
        );
        assert_eq!(
            sample(by("singleton_leaderless_seconds_total"), "dead", None),
            Some(5.0)
        );
    }

    #[test]
    fn self_metrics_per_source() {
        let mut sources = BTreeMap::new();
        sources.insert(
            Source::Pods,
            SourceStatus {
                synced: false,
                restarts: 2,
                error: Some("forbidden".into()),
                ..SourceStatus::default()
            },
        );
        let families = self_families(&sources);
        assert_eq!(families[0].samples[0].value, 2.0);
        assert_eq!(families[1].samples[0].value, 0.0);
        assert!(families[2].samples.is_empty(), "never synced: no timestamp");
    }
}
