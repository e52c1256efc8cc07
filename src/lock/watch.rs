//! Every lock in scope as it changes: one kube watcher per lock kind, with the same selectors
//! as the LIST before it. kube's watcher resumes from the last resourceVersion after a dropped
//! connection (re-listing when it must); `lock::changes` diffs each reading against the last.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints};
use kube::Api;
use kube::api::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use super::model::{self, LeaderLock, LockKind};
use super::read::Scope;
use crate::error::Error;
use crate::kube::{Action, Cluster};

/// A lock's identity across readings.
pub type LockId = (String, String, LockKind);

pub fn id(lock: &LeaderLock) -> LockId {
    (lock.namespace.clone(), lock.name.clone(), lock.kind)
}

/// One reading from any of the watched kinds.
// Most readings are `Seen`, each moved once from the watcher to the caller: boxing the lock
// would add an allocation per reading to save nothing.
#[allow(clippy::large_enum_variant)]
pub enum Reading {
    Seen(LeaderLock),
    Gone(LockId),
    /// RBAC forbids watching this kind; retrying will not fix it.
    Denied(LockKind, Error),
}

type Readings = Pin<Box<dyn Stream<Item = Reading> + Send>>;

/// Readings of every lock in scope until the streams end; legacy kinds in `withheld` (which
/// could not be listed) are not watched either.
pub fn follow(
    cluster: &Cluster,
    scope: Scope<'_>,
    withheld: &[LockKind],
) -> impl Stream<Item = Reading> + use<> {
    let show_all = scope.shows_all_leases();
    let namespace = scope.namespace.map(str::to_string);
    let leases = watcher::watcher(
        cluster.api::<Lease>(scope.namespace),
        scope.selectors(LockKind::Lease).watcher_config(),
    )
    .default_backoff()
    .flat_map(move |event| {
        futures::stream::iter(match event {
            Ok(event) => readings(event, LockKind::Lease, |lease: &Lease| {
                (show_all || model::is_leader_election_lease(lease))
                    .then(|| LeaderLock::from_lease(lease))
            }),
            Err(err) => denial(err, LockKind::Lease, namespace.as_deref())
                .into_iter()
                .collect(),
        })
    })
    .boxed();
    let mut streams: Vec<Readings> = vec![leases];
    if !withheld.contains(&LockKind::ConfigMap) {
        streams.push(legacy::<ConfigMap>(cluster, scope, LockKind::ConfigMap));
    }
    if !withheld.contains(&LockKind::Endpoints) {
        streams.push(legacy::<Endpoints>(cluster, scope, LockKind::Endpoints));
    }
    futures::stream::select_all(streams)
}

/// kube's watcher retries every error with backoff; a 403 will not pass by itself, so it becomes
/// a reading the caller reports. Other errors (dropped connections, 410 Gone) are retried.
fn denial(err: watcher::Error, kind: LockKind, namespace: Option<&str>) -> Option<Reading> {
    let (verb, status) = match err {
        watcher::Error::InitialListFailed(kube::Error::Api(status)) => ("list", status),
        watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => ("watch", status),
        _ => return None,
    };
    (status.code == 403).then(|| {
        let action = match verb {
            "list" => Action::list(kind.plural(), namespace),
            _ => Action::watch(kind.plural(), namespace),
        };
        let message = action.forbidden();
        Reading::Denied(kind, Error::Api { message, status })
    })
}

/// Turns a watcher event into readings; `to_lock` returns `None` for objects that are not locks.
fn readings<K: kube::Resource>(
    event: Event<K>,
    kind: LockKind,
    to_lock: impl Fn(&K) -> Option<LeaderLock>,
) -> Vec<Reading> {
    let gone = |obj: &K| {
        let meta = obj.meta();
        Some(Reading::Gone((
            meta.namespace.clone()?,
            meta.name.clone()?,
            kind,
        )))
    };
    match event {
        Event::Apply(obj) | Event::InitApply(obj) => match to_lock(&obj) {
            Some(lock) => vec![Reading::Seen(lock)],
            // An object that stopped being a lock (annotation removed) is gone as a lock.
            None => gone(&obj).into_iter().collect(),
        },
        Event::Delete(obj) => gone(&obj).into_iter().collect(),
        Event::Init | Event::InitDone => Vec::new(),
    }
}

fn legacy<K>(cluster: &Cluster, scope: Scope<'_>, kind: LockKind) -> Readings
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
    <K as kube::Resource>::DynamicType: Default,
{
    // Metadata-only: the annotation is all we need, never the data.
    let api: Api<PartialObjectMeta<K>> = cluster.api(scope.namespace);
    let namespace = scope.namespace.map(str::to_string);
    watcher::watcher(api, scope.selectors(kind).watcher_config())
        .default_backoff()
        .flat_map(move |event| {
            futures::stream::iter(match event {
                Ok(event) => readings(event, kind, |obj: &PartialObjectMeta<K>| {
                    LeaderLock::from_legacy(kind, &obj.metadata)
                }),
                Err(err) => denial(err, kind, namespace.as_deref())
                    .into_iter()
                    .collect(),
            })
        })
        .boxed()
}
