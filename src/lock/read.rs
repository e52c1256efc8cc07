//! Reading every leader-election lock in scope, with its holder's pod and candidates: one LIST
//! per source kind (in parallel), then one GET per distinct holder pod (bounded concurrency), or
//! none when the caller already listed the pods. Shared by `status`, `release` and `audit`.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Node, Pod};
use kube::api::ListParams;

use super::handover::Candidate;
use super::holder::{self, HolderPod, PodSummary};
use super::model::{self, LeaderLock, LockKind, LockReport};
use crate::error::{Error, Result, tolerate_withheld};
use crate::k8s::{OwnerKind, WorkloadRef};
use crate::kube::{Action, Cluster, Selectors};

/// Holder lookups in flight at once. Each is one small GET on its own HTTP/1.1 connection
/// (kube's client speaks no HTTP/2), so this bounds connections too. Measured with 303 holders
/// (bench/run.sh): 8 in flight took longer than `kubectl get leases -A` altogether; 32 keeps
/// the API server far below its default 400 requests in flight and hides a slow link's latency.
const HOLDER_LOOKUP_CONCURRENCY: usize = 32;

/// What to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// `None` = every namespace.
    pub namespace: Option<&'a str>,
    /// One lock by name (any kind).
    pub name: Option<&'a str>,
    pub selector: Option<&'a str>,
    /// Include node heartbeat and API-server identity leases.
    pub all_leases: bool,
}

impl Scope<'_> {
    /// The server-side label and field selectors for one lock kind. Node heartbeats are one
    /// lease per node, so unless asked for they are filtered out on the server and never
    /// decoded. Shared by the LIST here and the WATCH of `status -w`.
    pub fn selectors(&self, kind: LockKind) -> Selectors {
        let fields = match self.name {
            Some(name) => Some(format!("metadata.name={name}")),
            None if kind == LockKind::Lease && self.namespace.is_none() && !self.all_leases => {
                Some(format!(
                    "metadata.namespace!={}",
                    model::NODE_LEASE_NAMESPACE
                ))
            }
            None => None,
        };
        Selectors {
            labels: self.selector.map(str::to_string),
            fields,
        }
    }

    /// Whether Leases that elect nobody (node heartbeats, API-server identities) are shown too:
    /// when every lease was asked for, or one was named.
    pub fn shows_all_leases(&self) -> bool {
        self.all_leases || self.name.is_some()
    }
}

/// Every lock in scope, judged at one server instant, plus what could not be read.
#[derive(Debug)]
pub struct Inventory {
    pub reports: Vec<LockReport>,
    pub now: Timestamp,
    /// One-line notices for parts of the view that RBAC or the cluster withheld.
    pub notices: Vec<String>,
    /// Legacy lock kinds that could not be listed (so `--watch` does not watch them either).
    pub withheld: Vec<LockKind>,
}

/// Every lock in scope with its holder looked up: one LIST per kind, then one GET per holder.
pub async fn gather(cluster: &Cluster, scope: Scope<'_>) -> Result<Inventory> {
    let listed = list(cluster, scope).await?;
    judge(cluster, listed, None).await
}

/// The locks in scope as listed, before their holders are looked up.
pub struct Listed {
    locks: Vec<LeaderLock>,
    candidates: HashMap<(String, String), Vec<String>>,
    /// Whether every LeaseCandidate in scope was read (none exist where the API is not served).
    candidates_read: bool,
    notices: Vec<String>,
    withheld: Vec<LockKind>,
}

impl Listed {
    /// Whether a lease without candidates here has none in the cluster.
    pub fn candidates_read(&self) -> bool {
        self.candidates_read
    }
}

/// One LIST per lock kind, in parallel.
pub async fn list(cluster: &Cluster, scope: Scope<'_>) -> Result<Listed> {
    let mut notices = Vec::new();
    let mut withheld = Vec::new();
    let (leases, configmaps, endpoints, candidates) = futures::join!(
        list_leases(cluster, scope),
        list_legacy::<ConfigMap>(cluster, scope, LockKind::ConfigMap),
        list_legacy::<Endpoints>(cluster, scope, LockKind::Endpoints),
        candidates_by_lease(cluster, scope.namespace),
    );
    let mut locks = leases?;
    for (kind, legacy) in [
        (LockKind::ConfigMap, configmaps),
        (LockKind::Endpoints, endpoints),
    ] {
        match tolerate_withheld(legacy)? {
            Ok(found) => locks.extend(found),
            Err(err) => {
                notices.push(format!("legacy {} locks not shown: {err}", kind.as_str()));
                withheld.push(kind);
            }
        }
    }
    let mut candidates_read = true;
    let candidates = match tolerate_withheld(candidates)? {
        Ok(found) => found,
        // Clusters without coordinated leader election do not serve the API.
        Err(err) if err.is_not_found() => HashMap::new(),
        Err(err) => {
            candidates_read = false;
            let notice = format!("lease candidates not shown: {err}");
            // Candidates only matter for coordinated leases; don't nag everyone else.
            if locks.iter().any(|l| l.strategy.is_some()) {
                notices.push(notice);
            } else {
                tracing::info!("{notice}");
            }
            HashMap::new()
        }
    };
    if let Some(name) = scope.name
        && locks.is_empty()
    {
        return Err(Error::env(format!(
            "no leader-election lock named {name:?} {} (looked at leases, configmaps and endpoints)",
            scope_words(scope.namespace)
        )));
    }
    locks.sort_by(|a, b| (&a.namespace, &a.name, a.kind).cmp(&(&b.namespace, &b.name, b.kind)));
    Ok(Listed {
        locks,
        candidates,
        candidates_read,
        notices,
        withheld,
    })
}

/// Looks up each lock's holder and judges its state at one server instant. `pods`, when given,
/// is every pod of the scope already listed by the caller: holders are found there instead of
/// with one GET each.
pub async fn judge(cluster: &Cluster, listed: Listed, pods: Option<&[Pod]>) -> Result<Inventory> {
    let Listed {
        locks,
        candidates,
        candidates_read: _,
        mut notices,
        withheld,
    } = listed;
    let known = pods.map(|pods| {
        pods.iter()
            .map(|p| {
                let key = (
                    p.metadata.namespace.clone().unwrap_or_default(),
                    p.metadata.name.clone().unwrap_or_default(),
                );
                (key, p)
            })
            .collect::<HashMap<HolderKey, &Pod>>()
    });
    let (holders, holder_notice) = resolve_holders(cluster, &locks, known.as_ref()).await?;
    notices.extend(holder_notice);
    let now = cluster.server_now();
    let reports = locks
        .into_iter()
        .zip(holders)
        .map(|(lock, holder_pod)| {
            let mut names = candidates
                .get(&(lock.namespace.clone(), lock.name.clone()))
                .cloned()
                .unwrap_or_default();
            names.sort();
            LockReport::judge(lock, holder_pod, names, now)
        })
        .collect();
    Ok(Inventory {
        reports,
        now,
        notices,
        withheld,
    })
}

/// The report for one lock already read (holder pod looked up, state judged now), and a notice
/// when RBAC kept part of the holder lookup from us (the holder then shows as unmapped).
pub async fn report(cluster: &Cluster, lock: LeaderLock) -> Result<(LockReport, Option<String>)> {
    let (mut holders, notice) = resolve_holders(cluster, std::slice::from_ref(&lock), None).await?;
    let holder_pod = holders.pop().flatten();
    let report = LockReport::judge(lock, holder_pod, Vec::new(), cluster.server_now());
    Ok((report, notice))
}

fn scope_words(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "in any namespace".to_string(),
    }
}

async fn list_leases(cluster: &Cluster, scope: Scope<'_>) -> Result<Vec<LeaderLock>> {
    let action = Action::list("leases", scope.namespace);
    let params = scope.selectors(LockKind::Lease).list_params();
    let leases = cluster
        .list_all(&cluster.api::<Lease>(scope.namespace), &params, action)
        .await?;
    Ok(leases
        .iter()
        .filter(|l| scope.shows_all_leases() || model::is_leader_election_lease(l))
        .map(LeaderLock::from_lease)
        .collect())
}

/// Legacy annotation locks, from metadata-only lists.
async fn list_legacy<K>(
    cluster: &Cluster,
    scope: Scope<'_>,
    kind: LockKind,
) -> Result<Vec<LeaderLock>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let items = cluster
        .list_all_metadata(
            &cluster.api::<K>(scope.namespace),
            &scope.selectors(kind).list_params(),
            Action::list(kind.plural(), scope.namespace),
        )
        .await?;
    Ok(items
        .iter()
        .filter_map(|item| LeaderLock::from_legacy(kind, &item.metadata))
        .collect())
}

/// Every LeaseCandidate in a namespace, or in all (`None`).
async fn lease_candidates(
    cluster: &Cluster,
    namespace: Option<&str>,
) -> Result<Vec<LeaseCandidate>> {
    let api = cluster.api::<LeaseCandidate>(namespace);
    cluster
        .list_all(
            &api,
            &ListParams::default(),
            Action::list("leasecandidates", namespace),
        )
        .await
}

/// LeaseCandidate names by (namespace, lease name).
async fn candidates_by_lease(
    cluster: &Cluster,
    namespace: Option<&str>,
) -> Result<HashMap<(String, String), Vec<String>>> {
    let mut by_lease: HashMap<(String, String), Vec<String>> = HashMap::new();
    for candidate in lease_candidates(cluster, namespace).await? {
        let namespace = candidate.metadata.namespace.clone().unwrap_or_default();
        let lease_name = candidate
            .spec
            .as_ref()
            .map(|s| s.lease_name.clone())
            .unwrap_or_default();
        by_lease
            .entry((namespace, lease_name))
            .or_default()
            .push(candidate.metadata.name.unwrap_or_default());
    }
    Ok(by_lease)
}

/// The LeaseCandidates of one lease, as the API server's election weighs them.
pub async fn candidates_of(
    cluster: &Cluster,
    namespace: &str,
    lease: &str,
) -> Result<Vec<Candidate>> {
    Ok(lease_candidates(cluster, Some(namespace))
        .await?
        .into_iter()
        .filter_map(|c| Candidate::of_lease(c, lease))
        .collect())
}

/// (namespace, pod name the identity points at)
type HolderKey = (String, String);

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
async fn resolve_holders(
    cluster: &Cluster,
    locks: &[LeaderLock],
    known: Option<&HashMap<HolderKey, &Pod>>,
) -> Result<(Vec<Option<HolderPod>>, Option<String>)> {
    let mut keys: Vec<HolderKey> = locks.iter().filter_map(holder_key).collect();
    keys.sort();
    keys.dedup();
    let lookups: HashMap<HolderKey, Lookup> = futures::stream::iter(keys)
        .map(|key| async move {
            lookup(cluster, known, &key.0, &key.1)
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
                let summary = match find_pod(cluster, known, &namespace, &name).await {
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

async fn get_pod(cluster: &Cluster, namespace: &str, name: &str) -> Result<Option<Pod>> {
    let pods = cluster.api::<Pod>(Some(namespace));
    cluster
        .call(pods.get_opt(name), Action::get("pods", Some(namespace)))
        .await
}

/// A pod by name: from `known` when the caller listed every pod in scope, else one GET.
async fn find_pod(
    cluster: &Cluster,
    known: Option<&HashMap<HolderKey, &Pod>>,
    namespace: &str,
    name: &str,
) -> Result<Option<PodSummary>> {
    Ok(match known {
        Some(pods) => pods
            .get(&(namespace.to_string(), name.to_string()))
            .map(|pod| holder::summarize(pod)),
        None => get_pod(cluster, namespace, name)
            .await?
            .map(|pod| holder::summarize(&pod)),
    })
}

/// Finds what a holder's pod name refers to: the pod itself, else a node of that name, else a
/// controller whose pod it was.
async fn lookup(
    cluster: &Cluster,
    known: Option<&HashMap<HolderKey, &Pod>>,
    namespace: &str,
    pod_name: &str,
) -> Result<Lookup> {
    match find_pod(cluster, known, namespace, pod_name).await {
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
