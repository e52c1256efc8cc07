//! The audit, re-evaluated from the caches every `--audit-interval` (no fresh LISTs): the live
//! audit's lock rules (`audit::runtime`: lease-orphaned, lease-expired, lease-holder-unready,
//! lease-clock-skew, legacy-lock) and its election rules (`audit::elections`: shard-leaderless,
//! shard-missing, shard-hotspot, legacy-lock-split, leader-churn, preferred-holder-gone), over
//! the cached locks, pods and LeaseCandidates. Rules that need objects the exporter does not
//! watch (workloads, webhooks, SubjectAccessReviews) are left to `kubectl singleton audit`.
//! The same pass runs drain-check's judgement per node (`drain_blocked`) over the cached
//! nodes, pods and PodDisruptionBudgets.

use std::collections::BTreeMap;

use jiff::Timestamp;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::cache::Cache;
use super::drain_blocked::{self, Blocked};
use super::encode::{Family, Type};
use crate::audit::elections::{self, Evidence, Inputs};
use crate::audit::objects::Objects;
use crate::audit::rules::Finding;
use crate::audit::runtime;
use crate::lock::model::LockReport;

/// What one audit reads, copied out of the cache so the rules and the drain check run without
/// holding its lock (scrapes are not kept waiting).
pub struct Snapshot {
    reports: Vec<LockReport>,
    pods: Vec<Pod>,
    pdbs: Vec<PodDisruptionBudget>,
    nodes: Vec<String>,
    candidates_read: bool,
}

/// The audit's results, stored back into the cache.
pub struct Outcome {
    findings: Vec<Finding>,
    blocked: Vec<Blocked>,
    checked_nodes: usize,
}

pub fn snapshot(cache: &mut Cache, now: Timestamp) -> Snapshot {
    Snapshot {
        reports: cache.evaluate(now),
        pods: cache.pod_objects(),
        pdbs: cache.pdb_objects(),
        nodes: cache.node_names(),
        candidates_read: cache.candidates_read(),
    }
}

/// The cached-object rules and the drain check at the server's `now`.
pub fn judge(snapshot: Snapshot, now: Timestamp) -> Outcome {
    let Snapshot {
        reports,
        pods,
        pdbs,
        nodes,
        candidates_read,
    } = snapshot;
    let evidence = Evidence {
        candidates_read,
        denied: Vec::new(),
    };
    let mut findings = runtime::check(&Objects::default(), &[], &pods, &reports, now);
    findings.extend(elections::check(&Inputs {
        locks: &reports,
        pods: &pods,
        evidence: &evidence,
        now,
    }));
    let blocked = drain_blocked::judge(&nodes, pods, &pdbs, &reports);
    Outcome {
        findings,
        blocked,
        checked_nodes: nodes.len(),
    }
}

pub fn store(cache: &mut Cache, outcome: Outcome, local_now: Timestamp) {
    cache.findings = outcome.findings;
    cache.drain_blocked = outcome.blocked;
    cache.drain_checked = Some(outcome.checked_nodes);
    cache.audited_at = Some(local_now);
}

/// Snapshot, judge and store in one go (the lock held throughout): for tests.
#[cfg(test)]
pub fn run(cache: &mut Cache, now: Timestamp, local_now: Timestamp) {
    let outcome = judge(snapshot(cache, now), now);
    store(cache, outcome, local_now);
}

/// `singleton_audit_findings{rule,severity,namespace,kind,name}`: how many findings of that rule
/// the latest audit made on that object (usually 1); objects without findings have no series.
/// Also `singleton_exporter_last_audit_timestamp_seconds`.
pub fn families(findings: &[Finding], audited_at: Option<Timestamp>) -> Vec<Family> {
    let mut counts: BTreeMap<(&str, &str, &str, &str, &str), u32> = BTreeMap::new();
    for f in findings {
        *counts
            .entry((
                f.rule.as_str(),
                f.severity.as_str(),
                f.object.namespace.as_str(),
                f.object.kind.as_str(),
                f.object.name.as_str(),
            ))
            .or_default() += 1;
    }
    let mut family = Family::new(
        "singleton_audit_findings",
        Type::Gauge,
        "Findings of the latest audit over the exporter's caches, per rule, severity and object.",
    );
    for ((rule, severity, namespace, kind, name), n) in counts {
        family.push(
            vec![
                ("rule", rule.to_string()),
                ("severity", severity.to_string()),
                ("namespace", namespace.to_string()),
                ("kind", kind.to_string()),
                ("name", name.to_string()),
            ],
            f64::from(n),
        );
    }
    let mut last = Family::new(
        "singleton_exporter_last_audit_timestamp_seconds",
        Type::Gauge,
        "Unix time of the latest audit over the caches. Absent before the first.",
    );
    if let Some(at) = audited_at {
        #[allow(clippy::cast_precision_loss)]
        last.push(Vec::new(), at.as_millisecond() as f64 / 1000.0);
    }
    vec![family, last]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::catalog::RuleId;
    use crate::k8s::ObjectRef;
    use crate::lock::model::LeaderLock;
    use jiff::SignedDuration;

    #[test]
    fn an_expired_lease_is_a_finding_from_the_cache() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut cache = Cache::new();
        for source in super::super::cache::Source::ALL {
            cache.relist_started(source);
        }
        let dead = LeaderLock {
            renew_time: Some(now - SignedDuration::from_secs(600)),
            ..LeaderLock::sample("ns", "dead", Some("peer-a"))
        };
        cache.lock_seen(dead, true, now);
        for source in super::super::cache::Source::ALL {
            cache.relist_done(source, now, now);
        }
        run(&mut cache, now, now);
        let rules: Vec<&str> = cache.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"lease-expired"), "{rules:?}");
        let fams = families(&cache.findings, cache.audited_at);
        let s = &fams[0].samples[0];
        assert!(s.labels.contains(&("name", "dead".to_string())));
        assert!(
            s.labels.contains(&("severity", "error".to_string()))
                || s.labels.contains(&("severity", "warning".to_string()))
        );
        assert_eq!(fams[1].samples[0].value, 1_800_000_000.0);
    }

    #[test]
    fn candidates_join_their_lease_and_an_unserved_api_counts_as_synced() {
        use super::super::cache::Source;
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut cache = Cache::new();
        for source in Source::ALL {
            cache.relist_started(source);
        }
        cache.lock_seen(LeaderLock::sample("ns", "kcm", Some("a")), true, now);
        cache.candidate_seen(("ns".into(), "b".into()), "kcm".into(), true);
        cache.candidate_seen(("ns".into(), "a".into()), "kcm".into(), true);
        cache.candidate_seen(("ns".into(), "x".into()), "other".into(), true);
        cache.candidate_seen(("other".into(), "c".into()), "kcm".into(), true);
        for source in Source::ALL {
            cache.relist_done(source, now, now);
        }
        let reports = cache.evaluate(now);
        assert_eq!(reports[0].candidates, ["a", "b"]);
        cache.candidate_gone(&("ns".into(), "b".into()));
        assert_eq!(cache.evaluate(now)[0].candidates, ["a"]);

        let mut fresh = Cache::new();
        for source in Source::ALL
            .into_iter()
            .filter(|s| *s != Source::LeaseCandidates)
        {
            fresh.relist_started(source);
            fresh.relist_done(source, now, now);
        }
        assert!(!fresh.ready(), "LeaseCandidates not listed yet");
        fresh.not_served(Source::LeaseCandidates);
        assert!(fresh.ready() && fresh.candidates_read());
    }

    #[test]
    fn findings_are_counted_per_rule_and_object() {
        let object = ObjectRef {
            kind: "Lease".into(),
            namespace: "ns".into(),
            name: "a".into(),
        };
        let f = crate::audit::rules::finding(RuleId::LeaseExpired, object, None, "m".into(), "fix");
        let fams = families(&[f.clone(), f], None);
        assert_eq!(fams[0].samples.len(), 1);
        assert_eq!(fams[0].samples[0].value, 2.0);
        assert!(fams[1].samples.is_empty());
    }
}
