//! Changing one lock on the cluster. Every write carries the resourceVersion that was read, so
//! the API server refuses it (409) if someone else changed the lock in between: the caller
//! re-reads and re-decides, never overwrites. Also the ways `release` stops a holder: eviction
//! through the Eviction API (PodDisruptionBudgets respected) and waiting for what follows.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{EvictParams, ListParams, PostParams};

use super::model::{LEGACY_LOCK_ANNOTATION, LeaderLock, LockKind};
use crate::error::{Error, Result};
use crate::k8s::selects;
use crate::kube::{Action, Cluster};

/// Where one lock lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockAddress {
    pub kind: LockKind,
    pub namespace: String,
    pub name: String,
}

/// The lock object as read, kept whole so the write carries its resourceVersion.
#[derive(Debug, Clone)]
pub enum LockObject {
    Lease(Lease),
    ConfigMap(ConfigMap),
    Endpoints(Endpoints),
}

impl LockObject {
    fn meta(&self) -> &ObjectMeta {
        match self {
            LockObject::Lease(o) => &o.metadata,
            LockObject::ConfigMap(o) => &o.metadata,
            LockObject::Endpoints(o) => &o.metadata,
        }
    }

    pub fn kind(&self) -> LockKind {
        match self {
            LockObject::Lease(_) => LockKind::Lease,
            LockObject::ConfigMap(_) => LockKind::ConfigMap,
            LockObject::Endpoints(_) => LockKind::Endpoints,
        }
    }

    /// Where this lock lives.
    pub fn address(&self) -> LockAddress {
        let meta = self.meta();
        LockAddress {
            kind: self.kind(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }

    /// The holder this object names.
    pub fn holder(&self) -> Option<String> {
        let lock = match self {
            LockObject::Lease(l) => Some(LeaderLock::from_lease(l)),
            other => LeaderLock::from_legacy(other.kind(), other.meta()),
        };
        lock.and_then(|l| l.holder).filter(|h| !h.is_empty())
    }

    /// The resourceVersion every write of this object is guarded by.
    pub fn resource_version(&self) -> String {
        self.meta().resource_version.clone().unwrap_or_default()
    }

    /// This lock with `holder` written in, times set to `now` and transitions kept; an empty
    /// holder is the record client-go's ReleaseOnCancel leaves (no holder, 1s duration).
    pub fn with_holder(&self, now: Timestamp, holder: &str) -> LockObject {
        let mut object = self.clone();
        match &mut object {
            LockObject::Lease(lease) => {
                let spec = lease.spec.get_or_insert_with(Default::default);
                spec.holder_identity = Some(holder.to_string());
                spec.lease_duration_seconds = Some(if holder.is_empty() {
                    1
                } else {
                    spec.lease_duration_seconds.unwrap_or(15)
                });
                spec.acquire_time = Some(MicroTime(now));
                spec.renew_time = Some(MicroTime(now));
            }
            LockObject::ConfigMap(ConfigMap { metadata, .. })
            | LockObject::Endpoints(Endpoints { metadata, .. }) => {
                let annotations = metadata.annotations.get_or_insert_with(Default::default);
                let mut record: serde_json::Value = annotations
                    .get(LEGACY_LOCK_ANNOTATION)
                    .and_then(|raw| serde_json::from_str(raw).ok())
                    .unwrap_or_else(|| serde_json::json!({}));
                let stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
                record["holderIdentity"] = serde_json::Value::from(holder);
                if holder.is_empty() {
                    record["leaseDurationSeconds"] = serde_json::Value::from(1);
                }
                record["acquireTime"] = serde_json::Value::from(stamp.clone());
                record["renewTime"] = serde_json::Value::from(stamp);
                annotations.insert(LEGACY_LOCK_ANNOTATION.to_string(), record.to_string());
            }
        }
        object
    }

    /// This lease with spec.preferredHolder set; `None` for legacy locks, which have no such field.
    pub fn with_preferred_holder(&self, to: &str) -> Option<LockObject> {
        let LockObject::Lease(lease) = self else {
            return None;
        };
        let mut lease = lease.clone();
        lease
            .spec
            .get_or_insert_with(Default::default)
            .preferred_holder = Some(to.to_string());
        Some(LockObject::Lease(lease))
    }

    /// The lock record as it would be written: a Lease's spec, or a legacy lock's annotation.
    pub fn record(&self) -> String {
        match self {
            LockObject::Lease(l) => serde_json::to_string(&l.spec).unwrap_or_default(),
            LockObject::ConfigMap(ConfigMap { metadata, .. })
            | LockObject::Endpoints(Endpoints { metadata, .. }) => metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(LEGACY_LOCK_ANNOTATION))
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// Reads one lock: the object (for a guarded write) and the lock it carries.
pub async fn read(cluster: &Cluster, at: &LockAddress) -> Result<(LockObject, LeaderLock)> {
    let (namespace, name) = (at.namespace.as_str(), at.name.as_str());
    let action = Action::get(at.kind.plural(), Some(namespace)).named(name);
    match at.kind {
        LockKind::Lease => {
            let lease = cluster
                .call(cluster.api::<Lease>(Some(namespace)).get(name), action)
                .await?;
            let lock = LeaderLock::from_lease(&lease);
            Ok((LockObject::Lease(lease), lock))
        }
        LockKind::ConfigMap => {
            let cm = cluster
                .call(cluster.api::<ConfigMap>(Some(namespace)).get(name), action)
                .await?;
            let lock = LeaderLock::from_legacy(at.kind, &cm.metadata)
                .ok_or_else(|| Error::env(format!("configmap {name:?} in namespace {namespace} carries no {LEGACY_LOCK_ANNOTATION} lock")))?;
            Ok((LockObject::ConfigMap(cm), lock))
        }
        LockKind::Endpoints => {
            let ep = cluster
                .call(cluster.api::<Endpoints>(Some(namespace)).get(name), action)
                .await?;
            let lock = LeaderLock::from_legacy(at.kind, &ep.metadata)
                .ok_or_else(|| Error::env(format!("endpoints {name:?} in namespace {namespace} carry no {LEGACY_LOCK_ANNOTATION} lock")))?;
            Ok((LockObject::Endpoints(ep), lock))
        }
    }
}

/// Writes the object back. replace (PUT) sends metadata.resourceVersion: the API server
/// rejects it with 409 if the lock changed since it was read.
pub async fn write(cluster: &Cluster, object: &LockObject) -> Result<()> {
    let params = PostParams::default();
    let at = object.address();
    let (namespace, name) = (at.namespace.as_str(), at.name.as_str());
    let action = Action::update(at.kind.plural(), Some(namespace)).named(name);
    match object {
        LockObject::Lease(o) => cluster
            .call(
                cluster
                    .api::<Lease>(Some(namespace))
                    .replace(name, &params, o),
                action,
            )
            .await
            .map(drop),
        LockObject::ConfigMap(o) => cluster
            .call(
                cluster
                    .api::<ConfigMap>(Some(namespace))
                    .replace(name, &params, o),
                action,
            )
            .await
            .map(drop),
        LockObject::Endpoints(o) => cluster
            .call(
                cluster
                    .api::<Endpoints>(Some(namespace))
                    .replace(name, &params, o),
                action,
            )
            .await
            .map(drop),
    }
}

/// Evicts a pod through the Eviction API. A budget's refusal is a refusal (exit 1) that names
/// the budget, never something to retry past.
pub async fn evict(cluster: &Cluster, namespace: &str, pod: &str) -> Result<()> {
    let pods = cluster.api::<Pod>(Some(namespace));
    let action = Action::create("pods/eviction", Some(namespace)).named(pod);
    match cluster
        .call(pods.evict(pod, &EvictParams::default()), action)
        .await
    {
        Ok(_) => Ok(()),
        Err(err) if err.is_too_many_requests() => {
            let names = match covering_pdbs(cluster, namespace, pod).await {
                Ok(blocking) if !blocking.is_empty() => {
                    format!("PodDisruptionBudget {}", blocking.join(", "))
                }
                Ok(_) => "a PodDisruptionBudget".to_string(),
                Err(err) => format!("a PodDisruptionBudget (which one is not known: {err})"),
            };
            Err(Error::Refused(format!(
                "eviction of pod {namespace}/{pod} blocked by {names} (it allows no disruption now): nothing changed"
            )))
        }
        // The Eviction API answers 500 when several budgets select the pod: not a server fault
        // to retry, a configuration it refuses to judge.
        Err(err) if err.is_internal_error() => match covering_pdbs(cluster, namespace, pod).await {
            Ok(budgets) if budgets.len() > 1 => Err(Error::Refused(format!(
                "eviction of pod {namespace}/{pod} refused: it is selected by more than one PodDisruptionBudget ({}), which the Eviction API does not support; make one budget cover it (kubectl singleton audit explain pdb-overlap): nothing changed",
                budgets.join(", ")
            ))),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}

async fn covering_pdbs(cluster: &Cluster, namespace: &str, pod: &str) -> Result<Vec<String>> {
    let pod = cluster
        .call(
            cluster.api::<Pod>(Some(namespace)).get(pod),
            Action::get("pods", Some(namespace)).named(pod),
        )
        .await?;
    let labels = pod.metadata.labels.unwrap_or_default();
    let pdbs = cluster
        .list_all(
            &cluster.api::<PodDisruptionBudget>(Some(namespace)),
            &ListParams::default(),
            Action::list("poddisruptionbudgets", Some(namespace)),
        )
        .await?;
    Ok(pdbs
        .into_iter()
        .filter(|p| {
            p.spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| selects(s, &labels))
        })
        .filter_map(|p| p.metadata.name)
        .collect())
}

/// How often a wait reads again.
const POLL: Duration = Duration::from_millis(200);

/// Waits until an evicted pod is gone, or `deadline` passes (its grace period can be long):
/// true when it is gone.
pub async fn wait_pod_gone(
    cluster: &Cluster,
    namespace: &str,
    pod: &str,
    deadline: Instant,
) -> Result<bool> {
    let pods = cluster.api::<Pod>(Some(namespace));
    loop {
        let action = Action::get("pods", Some(namespace)).named(pod);
        if cluster.call(pods.get_opt(pod), action).await?.is_none() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// How waiting for a new holder ended, with the lock as last read.
#[derive(Debug)]
pub enum Waited {
    /// Someone other than the old holder holds it.
    Taken(LeaderLock),
    /// The deadline passed first.
    TimedOut(LeaderLock),
}

/// Reads the lock until someone other than `old_holder` holds it, or `deadline` passes.
pub async fn wait_for_new_holder(
    cluster: &Cluster,
    at: &LockAddress,
    old_holder: &str,
    deadline: Instant,
) -> Result<Waited> {
    loop {
        let (_, lock) = read(cluster, at).await?;
        if lock.holder().is_some_and(|h| h != old_holder) {
            return Ok(Waited::Taken(lock));
        }
        if Instant::now() >= deadline {
            return Ok(Waited::TimedOut(lock));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::coordination::v1::LeaseSpec;

    fn lease(holder: &str) -> LockObject {
        LockObject::Lease(Lease {
            metadata: ObjectMeta {
                name: Some("l".into()),
                namespace: Some("ns".into()),
                resource_version: Some("42".into()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.into()),
                lease_duration_seconds: Some(15),
                lease_transitions: Some(3),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn freeing_writes_what_release_on_cancel_leaves_and_keeps_transitions() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let freed = lease("p-1").with_holder(now, "");
        let LockObject::Lease(freed) = &freed else {
            panic!("not a lease")
        };
        let spec = freed.spec.as_ref().unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some(""));
        assert_eq!(spec.lease_duration_seconds, Some(1));
        assert_eq!(spec.lease_transitions, Some(3));
        assert_eq!(freed.metadata.resource_version.as_deref(), Some("42"));
        assert_eq!(lease("p-1").holder().as_deref(), Some("p-1"));
        assert!(lease("p-1").with_holder(now, "").holder().is_none());
    }

    #[test]
    fn legacy_records_keep_their_other_fields() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let cm = LockObject::ConfigMap(ConfigMap {
            metadata: ObjectMeta {
                annotations: Some(
                    [(
                        LEGACY_LOCK_ANNOTATION.to_string(),
                        r#"{"holderIdentity":"a","leaderTransitions":4}"#.to_string(),
                    )]
                    .into(),
                ),
                ..Default::default()
            },
            ..Default::default()
        });
        let record: serde_json::Value =
            serde_json::from_str(&cm.with_holder(now, "b").record()).unwrap();
        assert_eq!(record["holderIdentity"], "b");
        assert_eq!(record["leaderTransitions"], 4);
        assert_eq!(record["renewTime"], "2026-01-01T00:00:00Z");
        assert!(cm.with_preferred_holder("b").is_none());
    }
}
