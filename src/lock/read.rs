//! Reading every leader-election lock in scope, with its holder's pod and candidates: one LIST
//! per source kind (in parallel), then each distinct holder looked up (`lock::lookup`), from the
//! caller's pod list when it has one. Shared by `status`, `release`, `audit` and `drain-check`.

use std::collections::HashMap;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Pod};
use kube::api::ListParams;

use super::handover::Candidate;
use super::lookup::{Freshness, HolderKey, resolve_holders};
use super::model::{self, LeaderLock, LockKind, LockReport};
use crate::error::{Error, Result, tolerate_withheld};
use crate::kube::{Action, Cluster, Selectors};

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
/// with one GET each (served from the API server's watch cache: a read-only view of many
/// holders; a pod missing there is confirmed from etcd).
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
    let (holders, holder_notice) =
        resolve_holders(cluster, &locks, known.as_ref(), Freshness::Cached).await?;
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

/// The report for one lock already read (holder pod looked up from etcd, current: `release`
/// judges by it before it writes; state judged now), and a notice
/// when RBAC kept part of the holder lookup from us (the holder then shows as unmapped).
pub async fn report(cluster: &Cluster, lock: LeaderLock) -> Result<(LockReport, Option<String>)> {
    let (mut holders, notice) = resolve_holders(
        cluster,
        std::slice::from_ref(&lock),
        None,
        Freshness::Current,
    )
    .await?;
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
