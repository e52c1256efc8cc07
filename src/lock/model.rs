//! The lock model: a `coordination.k8s.io/v1` Lease (or a legacy ConfigMap/Endpoints
//! annotation) read as one `LeaderLock`, the pure arithmetic of expiry judged by the server's
//! clock (DESIGN.md §3), and the state a lock is in given its holder's pod. No I/O here.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::holder::HolderPod;

/// Namespace of the kubelets' node heartbeat leases: not leader election.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
/// Label on the API servers' identity leases: not leader election.
pub const APISERVER_IDENTITY_LABEL: &str = "apiserver.kubernetes.io/identity";

/// Annotation that carries a legacy ConfigMap/Endpoints lock (client-go before Leases).
pub const LEGACY_LOCK_ANNOTATION: &str = "control-plane.alpha.kubernetes.io/leader";
/// Holder client-go's multilock writes when its two locks disagree.
pub const UNKNOWN_LEADER: &str = "leaderelection.k8s.io/unknown";

/// Which object carries the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum LockKind {
    Lease,
    ConfigMap,
    Endpoints,
}

impl LockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockKind::Lease => "Lease",
            LockKind::ConfigMap => "ConfigMap",
            LockKind::Endpoints => "Endpoints",
        }
    }

    /// The resource name kubectl uses (`lease/ns/name` in `-o name`).
    pub fn resource(self) -> &'static str {
        match self {
            LockKind::Lease => "lease",
            LockKind::ConfigMap => "configmap",
            LockKind::Endpoints => "endpoints",
        }
    }

    /// The resource as RBAC names it.
    pub fn plural(self) -> &'static str {
        match self {
            LockKind::Lease => "leases",
            LockKind::ConfigMap => "configmaps",
            LockKind::Endpoints => "endpoints",
        }
    }
}

/// One leader-election lock, whatever object it lives in. Missing fields stay `None`:
/// a half-written lock is shown with `-`, never dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderLock {
    pub kind: LockKind,
    pub namespace: String,
    pub name: String,
    /// `None` or empty: released.
    pub holder: Option<String>,
    pub lease_duration: Option<SignedDuration>,
    pub acquire_time: Option<Timestamp>,
    pub renew_time: Option<Timestamp>,
    pub transitions: Option<i32>,
    pub created: Option<Timestamp>,
    /// Coordinated leader election: the strategy the apiserver picks leaders by.
    pub strategy: Option<String>,
    /// Coordinated leader election: who the leader should yield to.
    pub preferred_holder: Option<String>,
    /// Set when the lock could not be read completely (e.g. a legacy annotation that is not JSON).
    pub problem: Option<String>,
    /// The controller ring a sharded controller's lease belongs to (`lock::family`).
    pub controller_ring: Option<String>,
}

/// The JSON client-go writes into a legacy lock's annotation (`LeaderElectionRecord`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LegacyRecord {
    holder_identity: Option<String>,
    lease_duration_seconds: Option<i64>,
    acquire_time: Option<Timestamp>,
    renew_time: Option<Timestamp>,
    leader_transitions: Option<i32>,
}

/// Where a lock stands in time, by the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No holder.
    Released,
    /// Held and live for this much longer.
    Live { remaining: SignedDuration },
    /// Held, but the holder stopped renewing this long ago.
    Expired { ago: SignedDuration },
    /// Held, but without renewTime or leaseDurationSeconds nobody can tell.
    Unknown,
}

impl Expiry {
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Released => "Released",
            Expiry::Live { .. } => "Live",
            Expiry::Expired { .. } => "Expired",
            Expiry::Unknown => "Unknown",
        }
    }
}

impl LeaderLock {
    pub fn from_lease(lease: &Lease) -> Self {
        let spec = lease.spec.as_ref();
        LeaderLock {
            kind: LockKind::Lease,
            namespace: lease.metadata.namespace.clone().unwrap_or_default(),
            name: lease.metadata.name.clone().unwrap_or_default(),
            holder: spec.and_then(|s| s.holder_identity.clone()),
            lease_duration: spec
                .and_then(|s| s.lease_duration_seconds)
                .map(|secs| SignedDuration::from_secs(i64::from(secs))),
            acquire_time: spec.and_then(|s| s.acquire_time.as_ref()).map(|t| t.0),
            renew_time: spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0),
            transitions: spec.and_then(|s| s.lease_transitions),
            created: lease.metadata.creation_timestamp.as_ref().map(|t| t.0),
            strategy: spec.and_then(|s| s.strategy.clone()),
            preferred_holder: spec
                .and_then(|s| s.preferred_holder.clone())
                .filter(|p| !p.is_empty()),
            problem: None,
            controller_ring: lease
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(super::family::CONTROLLER_RING_LABEL))
                .cloned(),
        }
    }

    /// A ConfigMap/Endpoints lock from its object metadata; `None` when the object carries no
    /// lock annotation. An annotation that is not a leader-election record still yields a lock
    /// (with `problem` set), so it is shown rather than silently dropped.
    pub fn from_legacy(kind: LockKind, meta: &ObjectMeta) -> Option<Self> {
        let raw = meta.annotations.as_ref()?.get(LEGACY_LOCK_ANNOTATION)?;
        let (record, problem) = match serde_json::from_str::<LegacyRecord>(raw) {
            Ok(record) => (record, None),
            Err(e) => (
                LegacyRecord::default(),
                Some(format!(
                    "annotation {LEGACY_LOCK_ANNOTATION} is not a leader-election record: {e}"
                )),
            ),
        };
        Some(LeaderLock {
            kind,
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            holder: record.holder_identity,
            lease_duration: record.lease_duration_seconds.map(SignedDuration::from_secs),
            acquire_time: record.acquire_time,
            renew_time: record.renew_time,
            transitions: record.leader_transitions,
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            strategy: None,
            preferred_holder: None,
            problem,
            controller_ring: None,
        })
    }

    /// The holder identity, if somebody holds the lock.
    pub fn holder(&self) -> Option<&str> {
        self.holder.as_deref().filter(|h| !h.is_empty())
    }

    /// `renewTime + leaseDurationSeconds`: the instant the lock stops protecting its holder.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.renew_time?.checked_add(self.lease_duration?).ok()
    }

    pub fn expiry(&self, now: Timestamp) -> Expiry {
        if self.holder().is_none() {
            return Expiry::Released;
        }
        match self.expires_at() {
            Some(at) if at > now => Expiry::Live {
                remaining: at.duration_since(now),
            },
            Some(at) => Expiry::Expired {
                ago: now.duration_since(at),
            },
            None => Expiry::Unknown,
        }
    }
}

#[cfg(test)]
impl LeaderLock {
    /// A Lease lock for tests: `namespace/name` held by `holder` with a 15s duration and
    /// everything else unset; override fields with struct-update syntax.
    pub fn sample(namespace: &str, name: &str, holder: Option<&str>) -> Self {
        LeaderLock {
            kind: LockKind::Lease,
            namespace: namespace.into(),
            name: name.into(),
            holder: holder.map(Into::into),
            lease_duration: Some(SignedDuration::from_secs(15)),
            acquire_time: None,
            renew_time: None,
            transitions: None,
            created: None,
            strategy: None,
            preferred_holder: None,
            problem: None,
            controller_ring: None,
        }
    }
}

/// The state `status` shows for a lock (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    /// Holder set, lease live, holder pod Ready (or the holder is not mappable to a pod).
    Held,
    /// Holder set, lease past expiry: no active leader right now.
    Expired,
    /// Holder empty.
    Released,
    /// The holder is recognisably a pod of a controller that still exists, but that pod is gone.
    Orphaned,
    /// The holder pod exists but is not Ready (zombie-leader suspect).
    Unready,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Held => "Held",
            State::Expired => "Expired",
            State::Released => "Released",
            State::Orphaned => "Orphaned",
            State::Unready => "Unready",
        }
    }
}

/// The state of a lock, given what is known of its holder's pod. A gone holder is reported as
/// `Orphaned` even once the lease has expired: that names the cause, not just the symptom.
pub fn state(expiry: Expiry, holder: &HolderPod) -> State {
    match (expiry, holder) {
        (Expiry::Released, _) => State::Released,
        (_, HolderPod::Gone { .. }) => State::Orphaned,
        (Expiry::Expired { .. }, _) => State::Expired,
        (_, HolderPod::Found(pod)) if !pod.ready => State::Unready,
        _ => State::Held,
    }
}

/// One lock and everything `status` says about it, judged at one server instant.
#[derive(Debug, Clone)]
pub struct LockReport {
    pub lock: LeaderLock,
    pub expiry: Expiry,
    pub holder_pod: Option<HolderPod>,
    pub state: State,
    /// Coordinated leader election: the LeaseCandidates naming this lease.
    pub candidates: Vec<String>,
}

impl LockReport {
    /// Judges `lock` at `now`, given what was found of its holder's pod.
    pub fn judge(
        lock: LeaderLock,
        holder_pod: Option<HolderPod>,
        candidates: Vec<String>,
        now: jiff::Timestamp,
    ) -> Self {
        let expiry = lock.expiry(now);
        let state = state(expiry, holder_pod.as_ref().unwrap_or(&HolderPod::Unmapped));
        LockReport {
            lock,
            expiry,
            holder_pod,
            state,
            candidates,
        }
    }
}

/// Node heartbeats and API-server identities use Leases too, but elect nobody; they are
/// hidden unless the user asks for every lease.
pub fn is_leader_election_lease(lease: &Lease) -> bool {
    let in_node_lease_ns = lease.metadata.namespace.as_deref() == Some(NODE_LEASE_NAMESPACE);
    let apiserver_identity = lease
        .metadata
        .labels
        .as_ref()
        .is_some_and(|labels| labels.contains_key(APISERVER_IDENTITY_LABEL));
    !in_node_lease_ns && !apiserver_identity
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::WorkloadRef;
    use crate::lock::holder::PodSummary;
    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
    use std::collections::BTreeMap;

    fn lease(ns: &str, holder: Option<&str>, renew: Option<&str>, duration: Option<i32>) -> Lease {
        Lease {
            metadata: ObjectMeta {
                name: Some("lock".into()),
                namespace: Some(ns.into()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: holder.map(Into::into),
                renew_time: renew.map(|t| MicroTime(t.parse().unwrap())),
                lease_duration_seconds: duration,
                lease_transitions: Some(3),
                ..Default::default()
            }),
        }
    }

    fn pod(ready: bool) -> HolderPod {
        HolderPod::Found(PodSummary {
            name: "p".into(),
            ready,
            ..Default::default()
        })
    }

    #[test]
    fn states_follow_the_design() {
        let live = Expiry::Live {
            remaining: SignedDuration::from_secs(5),
        };
        let expired = Expiry::Expired {
            ago: SignedDuration::from_secs(5),
        };
        let gone = HolderPod::Gone {
            pod: "web-1".into(),
            owner: WorkloadRef::new("StatefulSet", "web"),
        };
        assert_eq!(state(live, &pod(true)), State::Held);
        assert_eq!(state(live, &HolderPod::Unmapped), State::Held);
        assert_eq!(state(live, &pod(false)), State::Unready);
        assert_eq!(state(live, &gone), State::Orphaned);
        assert_eq!(state(expired, &gone), State::Orphaned);
        assert_eq!(state(expired, &pod(true)), State::Expired);
        assert_eq!(state(expired, &HolderPod::Unmapped), State::Expired);
        assert_eq!(state(Expiry::Released, &gone), State::Released);
        assert_eq!(state(Expiry::Unknown, &pod(true)), State::Held);
    }

    #[test]
    fn legacy_annotation_locks_are_read() {
        let meta = |value: &str| ObjectMeta {
            name: Some("old-controller".into()),
            namespace: Some("ops".into()),
            annotations: Some(BTreeMap::from([(
                LEGACY_LOCK_ANNOTATION.to_string(),
                value.to_string(),
            )])),
            ..Default::default()
        };
        let lock = LeaderLock::from_legacy(
            LockKind::ConfigMap,
            &meta(r#"{"holderIdentity":"old-0","leaseDurationSeconds":15,"acquireTime":"2026-01-01T00:00:00Z","renewTime":"2026-01-01T00:00:10Z","leaderTransitions":4}"#),
        )
        .unwrap();
        assert_eq!(lock.holder(), Some("old-0"));
        assert_eq!(lock.expires_at(), Some(ts("2026-01-01T00:00:25Z")));
        assert_eq!(lock.transitions, Some(4));
        assert!(lock.problem.is_none());

        let broken = LeaderLock::from_legacy(LockKind::Endpoints, &meta("not json")).unwrap();
        assert!(
            broken
                .problem
                .unwrap()
                .contains("not a leader-election record")
        );
        assert!(LeaderLock::from_legacy(LockKind::ConfigMap, &ObjectMeta::default()).is_none());
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_renewed_lease_is_live_until_renew_plus_duration() {
        let lock = LeaderLock::from_lease(&lease(
            "a",
            Some("p-1"),
            Some("2026-01-01T00:00:00Z"),
            Some(15),
        ));
        assert_eq!(lock.expires_at(), Some(ts("2026-01-01T00:00:15Z")));
        assert_eq!(
            lock.expiry(ts("2026-01-01T00:00:05Z")),
            Expiry::Live {
                remaining: SignedDuration::from_secs(10)
            }
        );
        assert_eq!(
            lock.expiry(ts("2026-01-01T00:01:15Z")),
            Expiry::Expired {
                ago: SignedDuration::from_secs(60)
            }
        );
        assert_eq!(lock.transitions, Some(3));
    }

    #[test]
    fn the_exact_expiry_instant_is_already_expired() {
        let lock = LeaderLock::from_lease(&lease(
            "a",
            Some("p-1"),
            Some("2026-01-01T00:00:00Z"),
            Some(15),
        ));
        assert_eq!(
            lock.expiry(ts("2026-01-01T00:00:15Z")),
            Expiry::Expired {
                ago: SignedDuration::ZERO
            }
        );
    }

    #[test]
    fn empty_or_absent_holder_is_released() {
        let now = ts("2026-01-01T00:00:00Z");
        assert_eq!(
            LeaderLock::from_lease(&lease("a", Some(""), None, Some(1))).expiry(now),
            Expiry::Released
        );
        assert_eq!(
            LeaderLock::from_lease(&lease("a", None, None, None)).expiry(now),
            Expiry::Released
        );
    }

    #[test]
    fn missing_fields_are_unknown_not_a_crash() {
        let now = ts("2026-01-01T00:00:00Z");
        let no_renew = LeaderLock::from_lease(&lease("a", Some("p"), None, Some(15)));
        assert_eq!(no_renew.expiry(now), Expiry::Unknown);
        let no_spec = LeaderLock::from_lease(&Lease::default());
        assert_eq!(no_spec.expiry(now), Expiry::Released);
        assert_eq!(no_spec.name, "");
    }

    #[test]
    fn node_and_apiserver_identity_leases_are_not_leader_election() {
        assert!(is_leader_election_lease(&lease(
            "kube-system",
            None,
            None,
            None
        )));
        assert!(!is_leader_election_lease(&lease(
            NODE_LEASE_NAMESPACE,
            None,
            None,
            None
        )));
        let mut identity = lease("kube-system", None, None, None);
        identity.metadata.labels = Some(BTreeMap::from([(
            APISERVER_IDENTITY_LABEL.to_string(),
            "kube-apiserver".to_string(),
        )]));
        assert!(!is_leader_election_lease(&identity));
    }
}
