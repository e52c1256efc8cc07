//! `status -w` over a fleet: one watcher per cluster, each on that cluster's own connection
//! (the one its first read used), merged into one stream of change lines that name their
//! context. A cluster that could not be read, or whose Lease watch is refused, is named on
//! stderr when it happens and the others go on; the exit code at the end (Ctrl-C, or every
//! watch over) is then 3.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use futures::stream::{BoxStream, SelectAll};
use futures::{Stream, StreamExt};

use crate::commands::status::fleet::Read;
use crate::commands::status::view;
use crate::error::{Error, Result};
use crate::kube::Cluster;
use crate::kube::fleet::Member;
use crate::lock::changes::{Change, Tracked};
use crate::lock::model::LockKind;
use crate::lock::read::Scope;
use crate::lock::watch::{self, LockId, Reading};
use crate::render::Palette;

/// One cluster's readings, tagged with its place in the fleet. The stream ends after a refused
/// Lease watch: kube's watcher would retry a 403 forever, and retrying cannot fix it.
pub(super) fn until_denied(
    index: usize,
    readings: impl Stream<Item = Reading> + Send + 'static,
) -> BoxStream<'static, (usize, Reading)> {
    readings
        .scan(false, move |denied, reading| {
            let item = (!*denied).then_some((index, reading));
            if let Some((_, Reading::Denied(LockKind::Lease, _))) = &item {
                *denied = true;
            }
            futures::future::ready(item)
        })
        .boxed()
}

/// The `error: context NAME: ...` line of each cluster that could not be read; their names.
pub(super) fn name_failed<T>(members: &[Member<T>]) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| {
            let err = m.error()?;
            eprintln!("error: context {}: {err}", m.context);
            Some(m.context.clone())
        })
        .collect()
}

/// How a fleet watch ends: 0 when every cluster was watched to the end, else 3 naming the
/// clusters that were not.
pub(super) fn ending(lost: &[String], total: usize) -> Result<()> {
    if lost.is_empty() {
        return Ok(());
    }
    Err(Error::env(format!(
        "{} of {total} clusters could not be watched: {}",
        lost.len(),
        lost.join(", ")
    )))
}

/// What the watch remembers of one cluster.
struct Watched {
    context: String,
    cluster: Cluster,
    tracked: BTreeMap<LockId, Tracked>,
    /// Legacy kinds whose watch was refused, each said once.
    denied: BTreeSet<LockKind>,
}

/// `-w` after the fleet's view: one line per change in any cluster until Ctrl-C. `scope` is
/// the view's, its namespace replaced by each cluster's own.
pub(super) async fn follow(
    members: Vec<Member<Read>>,
    scope: Scope<'_>,
    json: bool,
    palette: Palette,
    out: &mut impl Write,
) -> Result<()> {
    let total = members.len();
    let mut lost = name_failed(&members);
    let mut streams: SelectAll<BoxStream<'static, (usize, Reading)>> = SelectAll::new();
    let mut watched: Vec<Option<Watched>> = Vec::new();
    for member in members {
        let Ok((cluster, namespace, inventory)) = member.outcome else {
            watched.push(None);
            continue;
        };
        let scope = Scope {
            namespace: namespace.as_deref(),
            ..scope
        };
        streams.push(until_denied(
            watched.len(),
            watch::follow(&cluster, scope, &inventory.withheld),
        ));
        let mut tracked: BTreeMap<LockId, Tracked> = inventory
            .reports
            .into_iter()
            .map(|r| (watch::id(&r.lock), Tracked::new(r.lock)))
            .collect();
        // What was already true when the view was printed is not news.
        for t in tracked.values_mut() {
            while t.tick(inventory.now).is_some() {}
        }
        watched.push(Some(Watched {
            context: member.context,
            cluster,
            tracked,
            denied: BTreeSet::new(),
        }));
    }

    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let mut changes: Vec<(usize, LockId, Change)> = Vec::new();
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = ticker.tick() => {
                for (i, w) in watched.iter_mut().enumerate() {
                    let Some(w) = w else { continue };
                    let now = w.cluster.server_now();
                    for (key, t) in w.tracked.iter_mut() {
                        if let Some(change) = t.tick(now) {
                            changes.push((i, key.clone(), change));
                        }
                    }
                }
            }
            reading = streams.next() => {
                let Some((i, reading)) = reading else { break };
                let Some(w) = watched[i].as_mut() else { continue };
                match reading {
                    Reading::Seen(lock) => {
                        let key = watch::id(&lock);
                        match w.tracked.get_mut(&key) {
                            Some(t) => changes.extend(t.update(lock).into_iter().map(|c| (i, key.clone(), c))),
                            None => {
                                let holder = lock.holder().map(str::to_string);
                                let mut fresh = Tracked::new(lock);
                                while fresh.tick(w.cluster.server_now()).is_some() {}
                                w.tracked.insert(key.clone(), fresh);
                                changes.push((i, key, Change::Created { holder }));
                            }
                        }
                    }
                    Reading::Gone(key) => {
                        if w.tracked.remove(&key).is_some() {
                            changes.push((i, key, Change::Deleted));
                        }
                    }
                    // Without the Lease watch this cluster has nothing to follow: it is named
                    // now, the others go on, and the exit code will say so.
                    Reading::Denied(LockKind::Lease, err) => {
                        eprintln!("error: context {}: {err}", w.context);
                        lost.push(w.context.clone());
                        watched[i] = None;
                    }
                    Reading::Denied(kind, err) => {
                        if w.denied.insert(kind) {
                            palette.warn(&format!(
                                "context {}: legacy {} locks not followed: {err}",
                                w.context,
                                kind.as_str()
                            ));
                        }
                    }
                }
            }
        }
        for (i, id, change) in &changes {
            let Some(w) = &watched[*i] else { continue };
            let now = w.cluster.server_now();
            view::write_change(&mut *out, json, Some(&w.context), now, id, change)?;
        }
        if !changes.is_empty() {
            out.flush()?;
        }
    }
    out.flush()?;
    ending(&lost, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::model::LeaderLock;
    use view::EventLine;

    #[test]
    fn a_clusters_readings_end_after_its_lease_watch_is_refused() {
        let denied = |kind| Reading::Denied(kind, Error::env("forbidden"));
        let readings = futures::stream::iter(vec![
            Reading::Seen(LeaderLock::sample("ns", "a", Some("p"))),
            denied(LockKind::ConfigMap),
            denied(LockKind::Lease),
            Reading::Seen(LeaderLock::sample("ns", "b", Some("p"))),
            denied(LockKind::Lease),
        ]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let seen: Vec<(usize, Reading)> = runtime.block_on(until_denied(7, readings).collect());
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|(i, _)| *i == 7));
        assert!(matches!(seen[2].1, Reading::Denied(LockKind::Lease, _)));
    }

    #[test]
    fn json_lines_carry_their_context_first() {
        let change = Change::LeaderChanged {
            from: "a".into(),
            to: "b".into(),
            no_leader_for: None,
        };
        let line = EventLine {
            context: Some("prod-eu"),
            time: "2026-01-01T00:00:00Z".parse().unwrap(),
            kind: "Lease",
            namespace: "ns",
            name: "l",
            change: &change,
        };
        let text = serde_json::to_string(&line).unwrap();
        assert!(
            text.starts_with(r#"{"context":"prod-eu","time":"#),
            "{text}"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "LeaderChanged");
        assert_eq!(value["to"], "b");
    }

    #[test]
    fn the_end_is_exit_3_only_when_a_cluster_was_not_watched() {
        assert!(ending(&[], 2).is_ok());
        let err = ending(&["dead".into(), "hung".into()], 4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 of 4 clusters could not be watched: dead, hung"
        );
    }
}
