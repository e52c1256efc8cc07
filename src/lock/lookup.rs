//! Finding each lock's holder: the pod its identity names, else the node (a hostNetwork
//! component, mapped to its static pod), else the controller whose pod it was (`Gone`), else
//! `Unmapped`. One lookup per distinct holder, with bounded concurrency; from the caller's pod
//! list when it has one.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::GetParams;

use super::holder::{self, HolderPod, PodSummary};
use super::model::LeaderLock;
use crate::error::Result;
use crate::k8s::{OwnerKind, WorkloadRef};
use crate::kube::{Action, Cluster};

/// Holder lookups in flight at once: small GETs sharing one HTTP/2 connection
/// (`kube::transport`), or one HTTP/1.1 connection each where the server or a proxy has no
/// HTTP/2. Measured with 303 holders over HTTP/1.1 (bench/run.sh): 8 in flight took longer than
/// `kubectl get leases -A` altogether; 32 keeps the API server far below its default 400
/// requests in flight and hides a slow link's latency.
const HOLDER_LOOKUP_CONCURRENCY: usize = 32;

/// How current a holder's pod must be when it is looked up with a GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Freshness {
    /// Read from etcd: what `release` judges a holder by before it writes.
    Current,
    /// Read from the API server's watch cache (`resourceVersion=0`), which trails etcd by the
    /// time a watch event takes to arrive: cheaper for the server, and what a read-only view of
    /// hundreds of holders (`status`) is measured against. A pod the cache does not have is asked
    /// for again from etcd, so no holder is called gone on the cache's word alone.
    Cached,
}

/// (namespace, pod name the identity points at)
pub(super) type HolderKey = (String, String);

fn holder_key(lock: &LeaderLock) -> Option<HolderKey> {
    let pod = lock.holder().and_then(holder::holder_pod_name)?;
    Some((lock.namespace.clone(), pod.to_string()))
}

/// What one holder identity turned out to be.
#[derive(Debug, Clone)]
enum Lookup {
    Pod(HolderPod),
    /// The identity is a node's name: a hostNetwork control-plane component on that node.
    Node,
    /// RBAC kept us from looking.
    Withheld(String),
}

/// Looks up each distinct holder once; `None` for locks without a holder.
pub(super) async fn resolve_holders(
    cluster: &Cluster,
    locks: &[LeaderLock],
    known: Option<&HashMap<HolderKey, &Pod>>,
    freshness: Freshness,
) -> Result<(Vec<Option<HolderPod>>, Option<String>)> {
    let mut keys: Vec<HolderKey> = locks.iter().filter_map(holder_key).collect();
    keys.sort();
    keys.dedup();
    let lookups: HashMap<HolderKey, Lookup> = futures::stream::iter(keys)
        .map(|key| async move {
            lookup(cluster, known, freshness, &key.0, &key.1)
                .await
                .map(|found| (key, found))
        })
        .buffer_unordered(HOLDER_LOOKUP_CONCURRENCY)
        .try_collect()
        .await?;

    // Node-hosted holders map to the component's static pod, `<lock name>-<node>`.
    let mut static_pods: Vec<(String, String)> = locks
        .iter()
        .filter_map(|lock| {
            let key = holder_key(lock)?;
            matches!(lookups.get(&key), Some(Lookup::Node))
                .then(|| (key.0, format!("{}-{}", lock.name, key.1)))
        })
        .collect();
    static_pods.sort();
    static_pods.dedup();
    let static_found: HashMap<(String, String), Option<PodSummary>> =
        futures::stream::iter(static_pods)
            .map(|(namespace, name)| async move {
                let summary = match find_pod(cluster, known, freshness, &namespace, &name).await {
                    Ok(summary) => summary,
                    Err(err) if err.is_withheld() => None,
                    Err(err) => return Err(err),
                };
                Ok(((namespace, name), summary))
            })
            .buffer_unordered(HOLDER_LOOKUP_CONCURRENCY)
            .try_collect()
            .await?;

    let mut notice = None;
    let resolved = locks
        .iter()
        .map(|lock| {
            let key = holder_key(lock)?;
            Some(match lookups.get(&key)? {
                Lookup::Pod(pod) => pod.clone(),
                Lookup::Node => {
                    let static_pod = (key.0.clone(), format!("{}-{}", lock.name, key.1));
                    match static_found.get(&static_pod).cloned().flatten() {
                        Some(summary) => HolderPod::Found(summary),
                        None => HolderPod::Unmapped,
                    }
                }
                Lookup::Withheld(why) => {
                    notice.get_or_insert_with(|| why.clone());
                    HolderPod::Unmapped
                }
            })
        })
        .collect();
    Ok((resolved, notice))
}

async fn get_pod(
    cluster: &Cluster,
    freshness: Freshness,
    namespace: &str,
    name: &str,
) -> Result<Option<Pod>> {
    let pods = cluster.api::<Pod>(Some(namespace));
    let action = Action::get("pods", Some(namespace));
    if freshness == Freshness::Cached {
        let cached = async {
            match pods.get_with(name, &GetParams::any()).await {
                Ok(pod) => Ok(Some(pod)),
                Err(kube::Error::Api(status)) if status.is_not_found() => Ok(None),
                Err(err) => Err(err),
            }
        };
        if let Some(pod) = cluster.call(cached, action).await? {
            return Ok(Some(pod));
        }
    }
    cluster.call(pods.get_opt(name), action).await
}

/// A pod by name: from `known` when the caller listed every pod in scope, else one GET.
async fn find_pod(
    cluster: &Cluster,
    known: Option<&HashMap<HolderKey, &Pod>>,
    freshness: Freshness,
    namespace: &str,
    name: &str,
) -> Result<Option<PodSummary>> {
    Ok(match known {
        Some(pods) => pods
            .get(&(namespace.to_string(), name.to_string()))
            .map(|pod| holder::summarize(pod)),
        None => get_pod(cluster, freshness, namespace, name)
            .await?
            .map(|pod| holder::summarize(&pod)),
    })
}

/// Finds what a holder's pod name refers to: the pod itself, else a node of that name, else a
/// controller whose pod it was.
async fn lookup(
    cluster: &Cluster,
    known: Option<&HashMap<HolderKey, &Pod>>,
    freshness: Freshness,
    namespace: &str,
    pod_name: &str,
) -> Result<Lookup> {
    match find_pod(cluster, known, freshness, namespace, pod_name).await {
        Ok(Some(pod)) => return Ok(Lookup::Pod(HolderPod::Found(pod))),
        Ok(None) => {}
        Err(err) if err.is_withheld() => {
            return Ok(Lookup::Withheld(format!("holder pods not shown: {err}")));
        }
        Err(err) => return Err(err),
    }
    // Nodes and owners are looked up as far as RBAC lets us; what it withholds is said once.
    let mut withheld = None;
    let nodes = cluster.cluster_api::<Node>();
    match cluster
        .call(nodes.get_metadata_opt(pod_name), Action::get("nodes", None))
        .await
    {
        Ok(Some(_)) => return Ok(Lookup::Node),
        Ok(None) => {}
        Err(err) if err.is_withheld() => withheld = Some(err),
        Err(err) => return Err(err),
    }
    for (kind, owner) in holder::owner_candidates(pod_name) {
        let exists = match kind {
            OwnerKind::ReplicaSet => {
                cluster
                    .exists::<ReplicaSet>(namespace, owner, kind.resource())
                    .await
            }
            OwnerKind::StatefulSet => {
                cluster
                    .exists::<StatefulSet>(namespace, owner, kind.resource())
                    .await
            }
        };
        match exists {
            Ok(true) => {
                let gone = HolderPod::Gone {
                    pod: pod_name.to_string(),
                    owner: WorkloadRef::new(kind.as_str(), owner),
                };
                return Ok(Lookup::Pod(gone));
            }
            Ok(false) => {}
            Err(err) if err.is_withheld() => {
                withheld.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    Ok(match withheld {
        Some(err) => Lookup::Withheld(format!(
            "holders not fully resolved (a node or a gone pod's workload shows as <unmapped>): {err}"
        )),
        None => Lookup::Pod(HolderPod::Unmapped),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_keyed_by_pod_name_without_uuid() {
        let lock = LeaderLock::sample(
            "kube-system",
            "kube-scheduler",
            Some("cp-1_8c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5b"),
        );
        assert_eq!(
            holder_key(&lock),
            Some(("kube-system".into(), "cp-1".into()))
        );
    }
}
