//! The lock model: a `coordination.k8s.io/v1` Lease read as one `LeaderLock`, and the pure
//! arithmetic of expiry judged by the server's clock (DESIGN.md §3).

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::Lease;
use serde::Serialize;

/// Namespace of the kubelets' node heartbeat leases: not leader election.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
/// Label on the API servers' identity leases: not leader election.
pub const APISERVER_IDENTITY_LABEL: &str = "apiserver.kubernetes.io/identity";

/// Which object carries the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum LockKind {
    Lease,
}

impl LockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LockKind::Lease => "Lease",
        }
    }

    /// The resource name kubectl uses (`lease/ns/name` in `-o name`).
    pub fn resource(self) -> &'static str {
        match self {
            LockKind::Lease => "lease",
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
        }
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
