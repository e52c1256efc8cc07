//! The exporter's watches: kube-runtime watchers over Leases (node heartbeats filtered out on
//! the server, as `status` does), legacy lock ConfigMaps and Endpoints (metadata only), pods, and
//! ReplicaSets/StatefulSets (metadata, names kept: a holder whose controller has no pod left).
//! Each runs as its own task feeding the shared cache; kube's watcher resumes from the last
//! resourceVersion after a dropped connection and re-lists when it must (a re-list replaces that
//! source's cache whole). Errors, including RBAC refusals, are retried with backoff and counted.

use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Node, Pod};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use super::cache::{Cache, CachedPod, Source};
use super::trimmed_pod::TrimmedPod;
use crate::kube::Cluster;
use crate::lock::holder;
use crate::lock::model::{self, LeaderLock, LockKind};
use crate::lock::read::Scope;

pub type Shared = Arc<Mutex<Cache>>;

pub fn lock(cache: &Shared) -> std::sync::MutexGuard<'_, Cache> {
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts every watch on the current runtime; they run until the runtime stops.
pub fn spawn_all(cluster: &Cluster, cache: &Shared) {
    let scope = Scope::default();
    let leases = watcher::watcher(
        cluster.api::<Lease>(None),
        scope.selectors(LockKind::Lease).watcher_config(),
    )
    .default_backoff();
    tokio::spawn(feed_locks(
        leases,
        Source::Leases,
        cluster.clone(),
        cache.clone(),
        |l: &Lease| model::is_leader_election_lease(l).then(|| LeaderLock::from_lease(l)),
    ));
    let configmaps: Api<PartialObjectMeta<ConfigMap>> = cluster.api(None);
    tokio::spawn(feed_locks(
        watcher::watcher(configmaps, watcher::Config::default()).default_backoff(),
        Source::ConfigMaps,
        cluster.clone(),
        cache.clone(),
        |o: &PartialObjectMeta<ConfigMap>| {
            LeaderLock::from_legacy(LockKind::ConfigMap, &o.metadata)
        },
    ));
    let endpoints: Api<PartialObjectMeta<Endpoints>> = cluster.api(None);
    tokio::spawn(feed_locks(
        watcher::watcher(endpoints, watcher::Config::default()).default_backoff(),
        Source::Endpoints,
        cluster.clone(),
        cache.clone(),
        |o: &PartialObjectMeta<Endpoints>| {
            LeaderLock::from_legacy(LockKind::Endpoints, &o.metadata)
        },
    ));
    let pods =
        watcher::watcher(cluster.api::<Pod>(None), watcher::Config::default()).default_backoff();
    tokio::spawn(feed_pods(pods, cache.clone()));
    let replicasets: Api<PartialObjectMeta<ReplicaSet>> = cluster.api(None);
    tokio::spawn(feed_names(
        watcher::watcher(replicasets, watcher::Config::default()).default_backoff(),
        Source::ReplicaSets,
        cache.clone(),
    ));
    let statefulsets: Api<PartialObjectMeta<StatefulSet>> = cluster.api(None);
    tokio::spawn(feed_names(
        watcher::watcher(statefulsets, watcher::Config::default()).default_backoff(),
        Source::StatefulSets,
        cache.clone(),
    ));
    let nodes: Api<PartialObjectMeta<Node>> = cluster.cluster_api();
    tokio::spawn(feed_names(
        watcher::watcher(nodes, watcher::Config::default()).default_backoff(),
        Source::Nodes,
        cache.clone(),
    ));
    let pdbs: Api<PodDisruptionBudget> = cluster.api(None);
    tokio::spawn(feed_pdbs(
        watcher::watcher(pdbs, watcher::Config::default()).default_backoff(),
        cache.clone(),
    ));
    let candidates: Api<LeaseCandidate> = cluster.api(None);
    tokio::spawn(feed_candidates(
        watcher::watcher(candidates, watcher::Config::default()).default_backoff(),
        cache.clone(),
    ));
}

async fn feed_candidates<S>(stream: S, cache: Shared)
where
    S: Stream<Item = Result<Event<LeaseCandidate>, watcher::Error>>,
{
    let source = Source::LeaseCandidates;
    let key = |c: &LeaseCandidate| {
        (
            c.metadata.namespace.clone().unwrap_or_default(),
            c.metadata.name.clone().unwrap_or_default(),
        )
    };
    let lease = |c: &LeaseCandidate| c.spec.as_ref().map(|s| s.lease_name.clone());
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let mut cache = lock(&cache);
        match event {
            Ok(Event::Init) => cache.relist_started(source),
            Ok(Event::InitApply(c)) => {
                if let Some(lease) = lease(&c) {
                    cache.candidate_seen(key(&c), lease, true);
                }
            }
            Ok(Event::InitDone) => {
                let now = jiff::Timestamp::now();
                cache.relist_done(source, now, now);
            }
            Ok(Event::Apply(c)) => {
                if let Some(lease) = lease(&c) {
                    cache.candidate_seen(key(&c), lease, false);
                }
            }
            Ok(Event::Delete(c)) => cache.candidate_gone(&key(&c)),
            Err(err) if not_found(&err) => cache.not_served(source),
            Err(err) => {
                tracing::info!("leasecandidates watch failed, retrying: {err}");
                cache.watch_failed(source, describe(&err));
            }
        }
    }
}

async fn feed_pdbs<S>(stream: S, cache: Shared)
where
    S: Stream<Item = Result<Event<PodDisruptionBudget>, watcher::Error>>,
{
    let source = Source::PodDisruptionBudgets;
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let mut cache = lock(&cache);
        match event {
            Ok(Event::Init) => cache.relist_started(source),
            Ok(Event::InitApply(p)) => cache.pdb_seen(trimmed_pdb(p), true),
            Ok(Event::InitDone) => {
                let now = jiff::Timestamp::now();
                cache.relist_done(source, now, now);
            }
            Ok(Event::Apply(p)) => cache.pdb_seen(trimmed_pdb(p), false),
            Ok(Event::Delete(p)) => cache.pdb_gone(&(
                p.metadata.namespace.clone().unwrap_or_default(),
                p.metadata.name.clone().unwrap_or_default(),
            )),
            Err(err) => {
                tracing::info!("poddisruptionbudgets watch failed, retrying: {err}");
                cache.watch_failed(source, describe(&err));
            }
        }
    }
}

/// What the drain check reads of a budget: its name, generation, spec and status counts
/// (conditions and managed fields dropped).
fn trimmed_pdb(pdb: PodDisruptionBudget) -> PodDisruptionBudget {
    let meta = pdb.metadata;
    PodDisruptionBudget {
        metadata: ObjectMeta {
            name: meta.name,
            namespace: meta.namespace,
            generation: meta.generation,
            ..ObjectMeta::default()
        },
        spec: pdb.spec,
        status: pdb.status.map(|s| PodDisruptionBudgetStatus {
            conditions: None,
            disrupted_pods: None,
            ..s
        }),
    }
}

/// A watch over metadata whose cache keeps only `(namespace, name)`.
async fn feed_names<K, S>(stream: S, source: Source, cache: Shared)
where
    K: kube::Resource,
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let key = |o: &K| {
        let meta = o.meta();
        (
            meta.namespace.clone().unwrap_or_default(),
            meta.name.clone().unwrap_or_default(),
        )
    };
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let mut cache = lock(&cache);
        match event {
            Ok(Event::Init) => cache.relist_started(source),
            Ok(Event::InitApply(o)) => cache.name_seen(source, key(&o), true),
            Ok(Event::InitDone) => {
                let now = jiff::Timestamp::now();
                cache.relist_done(source, now, now);
            }
            Ok(Event::Apply(o)) => cache.name_seen(source, key(&o), false),
            Ok(Event::Delete(o)) => cache.name_gone(source, &key(&o)),
            Err(err) => {
                tracing::info!("{} watch failed, retrying: {err}", source.as_str());
                cache.watch_failed(source, describe(&err));
            }
        }
    }
}

/// The API server does not serve the resource (coordination.k8s.io/v1beta1 is off by default
/// before some releases): there are no LeaseCandidates to wait for.
fn not_found(err: &watcher::Error) -> bool {
    matches!(
        err,
        watcher::Error::InitialListFailed(kube::Error::Api(status))
            | watcher::Error::WatchStartFailed(kube::Error::Api(status))
            if status.code == 404
    )
}

async fn feed_locks<K, S>(
    stream: S,
    source: Source,
    cluster: Cluster,
    cache: Shared,
    to_lock: impl Fn(&K) -> Option<LeaderLock>,
) where
    K: kube::Resource,
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let now = cluster.server_now();
        let mut cache = lock(&cache);
        match event {
            Ok(Event::Init) => cache.relist_started(source),
            Ok(Event::InitApply(obj)) => {
                if let Some(l) = to_lock(&obj) {
                    cache.lock_seen(l, true, now);
                }
            }
            Ok(Event::InitDone) => cache.relist_done(source, now, jiff::Timestamp::now()),
            Ok(Event::Apply(obj)) => match to_lock(&obj) {
                Some(l) => cache.lock_seen(l, false, now),
                None => {
                    if let Some(key) = key_of(&obj, source) {
                        cache.lock_gone(&key);
                    }
                }
            },
            Ok(Event::Delete(obj)) => {
                if let Some(key) = key_of(&obj, source) {
                    cache.lock_gone(&key);
                }
            }
            Err(err) => {
                tracing::info!("{} watch failed, retrying: {err}", source.as_str());
                cache.watch_failed(source, describe(&err));
            }
        }
    }
}

fn key_of<K: kube::Resource>(obj: &K, source: Source) -> Option<crate::lock::watch::LockId> {
    let kind = match source {
        Source::Leases => LockKind::Lease,
        Source::ConfigMaps => LockKind::ConfigMap,
        Source::Endpoints => LockKind::Endpoints,
        _ => return None,
    };
    let meta = obj.meta();
    Some((meta.namespace.clone()?, meta.name.clone()?, kind))
}

async fn feed_pods<S>(stream: S, cache: Shared)
where
    S: Stream<Item = Result<Event<Pod>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let mut cache = lock(&cache);
        match event {
            Ok(Event::Init) => cache.relist_started(Source::Pods),
            Ok(Event::InitApply(pod)) => cache.pod_seen(cached(&pod), true),
            Ok(Event::InitDone) => {
                let now = jiff::Timestamp::now();
                cache.relist_done(Source::Pods, now, now);
            }
            Ok(Event::Apply(pod)) => cache.pod_seen(cached(&pod), false),
            Ok(Event::Delete(pod)) => cache.pod_gone(
                pod.metadata.namespace.as_deref().unwrap_or_default(),
                pod.metadata.name.as_deref().unwrap_or_default(),
            ),
            Err(err) => {
                tracing::info!("pods watch failed, retrying: {err}");
                cache.watch_failed(Source::Pods, describe(&err));
            }
        }
    }
}

fn cached(pod: &Pod) -> CachedPod {
    let owner = pod
        .metadata
        .owner_references
        .as_ref()
        .and_then(|refs| refs.iter().find(|o| o.controller == Some(true)))
        .map(|o| (o.kind.clone(), o.name.clone()));
    CachedPod {
        summary: holder::summarize(pod),
        owner,
        object: TrimmedPod::of(pod),
    }
}

/// One line for /readyz: the API's own message for refusals (e.g. RBAC), else the error.
fn describe(err: &watcher::Error) -> String {
    match err {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => {
            format!("{} ({})", status.message, status.code)
        }
        other => other.to_string(),
    }
}
