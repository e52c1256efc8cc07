//! `status --shards -w`: after the view, one line whenever a shard of a shown family loses or
//! regains its leader, judged from the watched leases alone (no pod lookups while following).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use regex::Regex;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::kube::Cluster;
use crate::lock::family;
use crate::lock::model::{Expiry, LeaderLock, LockKind};
use crate::lock::read::Scope;
use crate::lock::watch::{self, LockId, Reading};

/// What `-w` tracks: every Lease in scope, and which families to show.
pub(super) struct Shards {
    pub(super) regex: Option<Regex>,
    pub(super) wanted: Option<String>,
    pub(super) locks: BTreeMap<LockId, LeaderLock>,
}

/// (namespace, family, shard lease) → its leader, if it has a working one.
pub(super) type Leaders = BTreeMap<(String, String, String), Option<String>>;

impl Shards {
    /// Each family member's leader at `now`: a holder whose lease has not expired.
    pub(super) fn leaders(&self, now: Timestamp) -> Leaders {
        let locks: Vec<LeaderLock> = self
            .locks
            .values()
            .filter(|l| l.kind == LockKind::Lease)
            .cloned()
            .collect();
        let mut leaders = Leaders::new();
        for f in family::detect(&locks, self.regex.as_ref()) {
            if self.wanted.as_deref().is_some_and(|w| !f.is_named(w)) {
                continue;
            }
            for &(_, at) in &f.members {
                let lock = &locks[at];
                let leader = match lock.expiry(now) {
                    Expiry::Live { .. } | Expiry::Unknown => lock.holder().map(str::to_string),
                    _ => None,
                };
                leaders.insert(
                    (f.namespace.clone(), f.name.clone(), lock.name.clone()),
                    leader,
                );
            }
        }
        leaders
    }
}

/// One `-w -o json` line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShardEvent<'a> {
    time: Timestamp,
    namespace: &'a str,
    family: &'a str,
    shard: &'a str,
    /// `lost-leader`, `led`, `leader-changed` or `gone`.
    event: &'static str,
    holder: Option<&'a str>,
    previous_holder: Option<&'a str>,
}

/// The change lines between two readings of the families' leaders.
pub(super) fn diff<'a>(
    before: &'a Leaders,
    after: &'a Leaders,
    now: Timestamp,
) -> Vec<ShardEvent<'a>> {
    let mut events = Vec::new();
    for (key, was) in before {
        let (namespace, family, shard) = key;
        let event = |event, holder: Option<&'a str>| ShardEvent {
            time: now,
            namespace,
            family,
            shard,
            event,
            holder,
            previous_holder: was.as_deref(),
        };
        match (was.as_deref(), after.get(key)) {
            (_, None) => events.push(event("gone", None)),
            (Some(_), Some(None)) => events.push(event("lost-leader", None)),
            (None, Some(Some(now))) => events.push(event("led", Some(now))),
            (Some(a), Some(Some(b))) if a != b => events.push(event("leader-changed", Some(b))),
            _ => {}
        }
    }
    for (key, leader) in after {
        if !before.contains_key(key) {
            let (namespace, family, shard) = key;
            events.push(ShardEvent {
                time: now,
                namespace,
                family,
                shard,
                event: if leader.is_some() {
                    "led"
                } else {
                    "lost-leader"
                },
                holder: leader.as_deref(),
                previous_holder: None,
            });
        }
    }
    events
}

pub(super) fn describe(e: &ShardEvent<'_>) -> String {
    let shard = format!("{}/{} shard {}", e.namespace, e.family, e.shard);
    match (e.event, e.holder, e.previous_holder) {
        ("gone", _, _) => format!("{shard}: lease deleted"),
        ("lost-leader", _, Some(was)) => format!("{shard}: no leader (was {was})"),
        ("lost-leader", _, None) => format!("{shard}: no leader"),
        ("leader-changed", Some(now), Some(was)) => format!("{shard}: leader {was} → {now}"),
        (_, Some(now), _) => format!("{shard}: led by {now}"),
        _ => shard,
    }
}

/// `-w`: a line whenever a shard loses or regains its leader, until Ctrl-C.
pub(super) async fn follow(
    cluster: &Cluster,
    scope: Scope<'_>,
    withheld: &[LockKind],
    mut shards: Shards,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut readings = std::pin::pin!(watch::follow(cluster, scope, withheld));
    let mut before = shards.leaders(cluster.server_now());
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            _ = ticker.tick() => {}
            reading = readings.next() => match reading {
                Some(Reading::Seen(lock)) => {
                    shards.locks.insert(watch::id(&lock), lock);
                }
                Some(Reading::Gone(key)) => {
                    shards.locks.remove(&key);
                }
                Some(Reading::Denied(LockKind::Lease, err)) => return Err(err),
                Some(Reading::Denied(..)) => {}
                None => return Ok(()),
            },
        }
        let now = cluster.server_now();
        let after = shards.leaders(now);
        let events = diff(&before, &after, now);
        for event in &events {
            if json {
                serde_json::to_writer(&mut *out, event).map_err(|e| Error::Output(e.into()))?;
                out.write_all(b"\n")?;
            } else {
                writeln!(out, "{}  {}", now.strftime("%H:%M:%S"), describe(event))?;
            }
        }
        if !events.is_empty() {
            out.flush()?;
        }
        before = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaders(entries: &[(&str, Option<&str>)]) -> Leaders {
        entries
            .iter()
            .map(|(shard, leader)| {
                (
                    ("ns".into(), "b.*-of-4".into(), shard.to_string()),
                    leader.map(str::to_string),
                )
            })
            .collect()
    }

    #[test]
    fn a_shard_losing_or_regaining_its_leader_is_a_change_line() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let before = leaders(&[
            ("b.0-of-4", Some("a")),
            ("b.1-of-4", Some("a")),
            ("b.2-of-4", None),
        ]);
        let after = leaders(&[
            ("b.0-of-4", None),
            ("b.1-of-4", Some("c")),
            ("b.2-of-4", Some("b")),
            ("b.3-of-4", Some("b")),
        ]);
        let lines: Vec<String> = diff(&before, &after, now).iter().map(describe).collect();
        assert_eq!(
            lines,
            vec![
                "ns/b.*-of-4 shard b.0-of-4: no leader (was a)",
                "ns/b.*-of-4 shard b.1-of-4: leader a → c",
                "ns/b.*-of-4 shard b.2-of-4: led by b",
                "ns/b.*-of-4 shard b.3-of-4: led by b",
            ]
        );
        assert!(diff(&after, &after, now).is_empty());
        let none = leaders(&[]);
        let gone = diff(&after, &none, now);
        assert!(gone.iter().all(|e| e.event == "gone"));
    }
}
