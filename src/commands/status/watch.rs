//! `status --watch`: after the table, one line per change until Ctrl-C. kube's watcher resumes
//! from the last resourceVersion after a dropped connection (re-listing when it must); every
//! reading is diffed against what we last saw, so a resume neither repeats nor loses a change.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use futures::{Stream, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints};
use kube::Api;
use kube::api::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde::Serialize;

use crate::cluster::{Action, Cluster};
use crate::error::{Error, Result};
use crate::lease::{self, LeaderLock, LockKind};
use crate::locks::{self, Inventory, Scope};
use crate::watch::{Change, Tracked};

type LockId = (String, String, LockKind);

fn id(lock: &LeaderLock) -> LockId {
    (lock.namespace.clone(), lock.name.clone(), lock.kind)
}

/// One reading from any of the watched kinds.
enum Reading {
    Seen(LeaderLock),
    Gone(LockId),
    /// RBAC forbids watching this kind; retrying will not fix it.
    Denied(LockKind, String),
}

/// kube's watcher retries every error with backoff; a 403 will not pass by itself, so it becomes
/// a reading the loop reports. Other errors (dropped connections, 410 Gone) are retried.
fn denial(err: &watcher::Error, kind: LockKind, namespace: Option<&str>) -> Option<Reading> {
    let (watcher::Error::InitialListFailed(kube::Error::Api(status))
    | watcher::Error::WatchStartFailed(kube::Error::Api(status))
    | watcher::Error::WatchFailed(kube::Error::Api(status))) = err
    else {
        return None;
    };
    let verb = match err {
        watcher::Error::InitialListFailed(_) => "list",
        _ => "watch",
    };
    (status.code == 403).then(|| {
        let action = Action {
            verb,
            resource: kind.plural(),
            namespace,
            name: None,
        };
        Reading::Denied(kind, action.forbidden())
    })
}

/// A JSON line of `-w -o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventLine<'a> {
    time: Timestamp,
    kind: &'static str,
    namespace: &'a str,
    name: &'a str,
    #[serde(flatten)]
    change: &'a Change,
}

pub async fn follow(
    cluster: &Cluster,
    scope: Scope<'_>,
    inventory: Inventory,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let inventory_withheld = inventory.withheld;
    let mut tracked: BTreeMap<LockId, Tracked> = inventory
        .reports
        .into_iter()
        .map(|r| (id(&r.lock), Tracked::new(r.lock)))
        .collect();
    // What was already true when the table was printed is not news.
    let started = inventory.now;
    for t in tracked.values_mut() {
        while t.tick(started).is_some() {}
    }
    // The same selectors as the LIST that printed the table.
    let config = |kind: LockKind| {
        let (labels, fields) = locks::selectors(scope, kind);
        let mut config = watcher::Config::default();
        if let Some(labels) = labels {
            config = config.labels(&labels);
        }
        if let Some(fields) = fields {
            config = config.fields(&fields);
        }
        config
    };
    let show_all = locks::shows_all_leases(scope);
    let namespace = scope.namespace.map(str::to_string);
    let leases = watcher::watcher(
        cluster.api::<Lease>(scope.namespace),
        config(LockKind::Lease),
    )
    .default_backoff()
    .flat_map(move |event| {
        futures::stream::iter(match event {
            Ok(event) => readings(event, LockKind::Lease, |lease: &Lease| {
                (show_all || lease::is_leader_election_lease(lease))
                    .then(|| LeaderLock::from_lease(lease))
            }),
            Err(err) => denial(&err, LockKind::Lease, namespace.as_deref())
                .into_iter()
                .collect(),
        })
    })
    .boxed();
    let mut streams: Vec<std::pin::Pin<Box<dyn Stream<Item = Reading> + Send>>> = vec![leases];
    if !inventory_withheld.contains(&LockKind::ConfigMap) {
        streams.push(legacy::<ConfigMap>(
            cluster,
            scope,
            config(LockKind::ConfigMap),
            LockKind::ConfigMap,
        ));
    }
    if !inventory_withheld.contains(&LockKind::Endpoints) {
        streams.push(legacy::<Endpoints>(
            cluster,
            scope,
            config(LockKind::Endpoints),
            LockKind::Endpoints,
        ));
    }
    let mut readings = futures::stream::select_all(streams);
    let mut denied = std::collections::BTreeSet::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);

    loop {
        let mut changes: Vec<(LockId, Change)> = Vec::new();
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            _ = ticker.tick() => {
                let now = cluster.server_now();
                for (key, t) in tracked.iter_mut() {
                    if let Some(change) = t.tick(now) {
                        changes.push((key.clone(), change));
                    }
                }
            }
            reading = readings.next() => match reading {
                Some(Reading::Seen(lock)) => {
                    let key = id(&lock);
                    match tracked.get_mut(&key) {
                        Some(t) => changes.extend(t.update(lock).into_iter().map(|c| (key.clone(), c))),
                        None => {
                            let holder = lock.holder().map(str::to_string);
                            let mut fresh = Tracked::new(lock);
                            while fresh.tick(cluster.server_now()).is_some() {}
                            tracked.insert(key.clone(), fresh);
                            changes.push((key, Change::Created { holder }));
                        }
                    }
                }
                Some(Reading::Gone(key)) => {
                    if tracked.remove(&key).is_some() {
                        changes.push((key, Change::Deleted));
                    }
                }
                // Without the Lease watch there is nothing to follow; a legacy kind is said once.
                Some(Reading::Denied(LockKind::Lease, message)) => {
                    return Err(Error::Api {
                        status: 403,
                        server_said: message.clone(),
                        message,
                    });
                }
                Some(Reading::Denied(kind, message)) => {
                    if denied.insert(kind) {
                        crate::render::warn(&format!("legacy {} locks not followed: {message}", kind.as_str()));
                    }
                }
                None => return Ok(()),
            },
        }
        let now = cluster.server_now();
        for ((namespace, name, kind), change) in &changes {
            if json {
                let line = EventLine {
                    time: now,
                    kind: kind.as_str(),
                    namespace,
                    name,
                    change,
                };
                serde_json::to_writer(&mut *out, &line)
                    .map_err(|e| crate::error::Error::Output(e.into()))?;
                out.write_all(b"\n")?;
            } else {
                let stamp = now.strftime("%H:%M:%S");
                writeln!(
                    out,
                    "{stamp}  {}/{namespace}/{name}  {}",
                    kind.resource(),
                    change.describe(now)
                )?;
            }
        }
        if !changes.is_empty() {
            out.flush()?;
        }
    }
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

fn legacy<K>(
    cluster: &Cluster,
    scope: Scope<'_>,
    config: watcher::Config,
    kind: LockKind,
) -> std::pin::Pin<Box<dyn Stream<Item = Reading> + Send>>
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
    watcher::watcher(api, config)
        .default_backoff()
        .flat_map(move |event| {
            futures::stream::iter(match event {
                Ok(event) => readings(event, kind, |obj: &PartialObjectMeta<K>| {
                    LeaderLock::from_legacy(kind, &obj.metadata)
                }),
                Err(err) => denial(&err, kind, namespace.as_deref())
                    .into_iter()
                    .collect(),
            })
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_event_lines_are_flat_objects() {
        let change = Change::Acquired {
            holder: "p-1".into(),
        };
        let line = EventLine {
            time: "2026-01-01T00:00:00Z".parse().unwrap(),
            kind: "Lease",
            namespace: "ns",
            name: "l",
            change: &change,
        };
        let value = serde_json::to_value(&line).unwrap();
        assert_eq!(value["type"], "Acquired");
        assert_eq!(value["holder"], "p-1");
        assert_eq!(value["namespace"], "ns");
    }
}
