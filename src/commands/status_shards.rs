//! `status --shards [FAMILY]`: lease families of elected shards (`lock::family`), one row per
//! family or one family's shards in detail; `-o json|yaml` as `LeaseFamilyList`; with `-w`, one
//! line whenever a shard loses or regains its leader. Reads exactly what `status` reads.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use regex::Regex;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::error::{Error, Result};
use crate::kube::{self, Cluster};
use crate::lock::family::{self, FamilyReport, Health, Pattern};
use crate::lock::model::{Expiry, LeaderLock, LockKind, LockReport, State};
use crate::lock::read::{self, Scope};
use crate::lock::watch::{self, LockId, Reading};
use crate::options::{Options, StatusFormat};
use crate::render::{self, ExpiryText, HolderPodText, TableCell, Tone};

pub async fn run(
    args: &StatusArgs,
    wanted: Option<&str>,
    options: &Options,
    out: &mut impl Write,
) -> Result<()> {
    let format = options.output.status()?;
    if format == StatusFormat::Name {
        return Err(Error::usage(
            "status --shards prints a table (-o wide adds columns), -o json or -o yaml",
        ));
    }
    if args.watch && format == StatusFormat::Yaml {
        return Err(Error::usage(
            "status --shards --watch prints a table or, with -o json, one JSON object per line",
        ));
    }
    let regex = args
        .family
        .as_deref()
        .map(|r| {
            family::anchored(r).map_err(|e| {
                Error::usage(format!(
                    "invalid --family {r:?}: {}",
                    e.to_string().lines().last().unwrap_or("not a regex")
                ))
            })
        })
        .transpose()?;
    let cluster = kube::connect(&options.cluster).await?;
    let namespace = cluster.scope(&options.namespaces);
    let scope = Scope {
        namespace: namespace.as_deref(),
        selector: args.selector.as_deref(),
        ..Scope::default()
    };
    let inventory = read::gather(&cluster, scope).await?;
    for notice in &inventory.notices {
        options.palette.warn(notice);
    }
    let locks: Vec<LeaderLock> = inventory.reports.iter().map(|r| r.lock.clone()).collect();
    let mut families: Vec<FamilyReport<'_>> = family::detect(&locks, regex.as_ref())
        .into_iter()
        .filter(|f| wanted.is_none_or(|w| f.is_named(w)))
        .map(|f| FamilyReport::judge(f, &inventory.reports))
        .collect();
    if let Some(wanted) = wanted
        && families.is_empty()
    {
        return Err(Error::env(format!(
            "no lease family {wanted:?} {}: `kubectl singleton status --shards` lists them",
            match &namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "in any namespace".to_string(),
            }
        )));
    }
    families.sort_by(|a, b| {
        (&a.family.namespace, &a.family.name).cmp(&(&b.family.namespace, &b.family.name))
    });
    let now = inventory.now;
    let all_namespaces = namespace.is_none();
    let json = format == StatusFormat::Json;
    match format {
        StatusFormat::Json if args.watch => {
            serde_json::to_writer(
                &mut *out,
                &FamilyList::new(&families, now, &inventory.notices),
            )
            .map_err(|e| Error::Output(e.into()))?;
            out.write_all(b"\n")?;
        }
        StatusFormat::Json | StatusFormat::Yaml => {
            return render::document(
                &FamilyList::new(&families, now, &inventory.notices),
                !json,
                out,
            );
        }
        _ if wanted.is_some() => {
            let text: Vec<String> = families.iter().map(|f| detail(f, now, options)).collect();
            out.write_all(text.join("\n").as_bytes())?;
        }
        _ if families.is_empty() => match &namespace {
            Some(ns) => eprintln!("No lease families found in {ns} namespace."),
            None => eprintln!("No lease families found."),
        },
        _ => {
            let wide = format == StatusFormat::Wide;
            out.write_all(table(&families, all_namespaces, wide, options).as_bytes())?;
        }
    }
    if !args.watch {
        return Ok(());
    }
    out.flush()?;
    let shards = Shards {
        regex,
        wanted: wanted.map(str::to_string),
        locks: locks.into_iter().map(|l| (watch::id(&l), l)).collect(),
    };
    drop(families);
    follow(&cluster, scope, &inventory.withheld, shards, json, out).await
}

fn leaderless_names(f: &FamilyReport<'_>) -> String {
    let mut names: Vec<String> = f.leaderless().map(|r| r.lock.name.clone()).collect();
    names.extend(
        f.missing
            .iter()
            .map(|&i| format!("{} (no lease)", missing_name(f, i))),
    );
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(",")
    }
}

/// The lease a missing Knative bucket would have.
fn missing_name(f: &FamilyReport<'_>, index: u32) -> String {
    format!(
        "{}.{index}-of-{}",
        f.family.stem,
        f.family.total.unwrap_or_default()
    )
}

fn most(f: &FamilyReport<'_>) -> String {
    match f.per_holder.first() {
        Some((holder, n)) => format!("{n} ({holder})"),
        None => "-".to_string(),
    }
}

fn health_cell(health: Health) -> TableCell {
    let tone = match health {
        Health::Healthy => Tone::Good,
        Health::Degraded | Health::Leaderless => Tone::Bad,
    };
    TableCell::toned(health.as_str(), tone)
}

/// One row per family; `wide` adds how it was recognised and the holders by name.
fn table(
    families: &[FamilyReport<'_>],
    all_namespaces: bool,
    wide: bool,
    options: &Options,
) -> String {
    let mut headers = Vec::new();
    if all_namespaces {
        headers.push("namespace");
    }
    headers.extend([
        "family",
        "shards",
        "leaderless",
        "holders",
        "most per holder",
        "state",
    ]);
    if wide {
        headers.extend(["pattern", "led by"]);
    }
    let rows = families
        .iter()
        .map(|f| {
            let mut row: Vec<TableCell> = Vec::new();
            if all_namespaces {
                row.push(f.family.namespace.clone().into());
            }
            row.push(f.family.name.clone().into());
            row.push(format!("{}/{}", f.led, f.expected).into());
            row.push(leaderless_names(f).into());
            row.push(f.per_holder.len().to_string().into());
            row.push(most(f).into());
            row.push(health_cell(f.health));
            if wide {
                row.push(f.family.pattern.as_str().into());
                let by: Vec<String> = f
                    .per_holder
                    .iter()
                    .map(|(h, n)| format!("{h}={n}"))
                    .collect();
                row.push(
                    if by.is_empty() {
                        "-".into()
                    } else {
                        by.join(",")
                    }
                    .into(),
                );
            }
            row
        })
        .collect();
    render::table(&headers, rows, options.no_headers, options.palette)
}

fn shard_state(report: &LockReport) -> TableCell {
    let tone = match report.state {
        State::Held => Tone::Good,
        _ => Tone::Bad,
    };
    TableCell::toned(report.state.as_str(), tone)
}

/// `status --shards FAMILY`: the family's summary, then one row per shard (missing ones too).
fn detail(f: &FamilyReport<'_>, now: Timestamp, options: &Options) -> String {
    let holders: Vec<String> = f
        .per_holder
        .iter()
        .map(|(h, n)| format!("{h} ({n})"))
        .collect();
    let fields = [
        ("Family", f.family.name.clone()),
        ("Namespace", f.family.namespace.clone()),
        ("Pattern", f.family.pattern.as_str().to_string()),
        ("Shards", format!("{} of {} led", f.led, f.expected)),
        ("State", f.health.as_str().to_string()),
        (
            "Holders",
            if holders.is_empty() {
                "-".to_string()
            } else {
                holders.join(", ")
            },
        ),
    ];
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 2;
    let mut text: String = fields
        .iter()
        .map(|(k, v)| format!("{:width$}{v}\n", format!("{k}:")))
        .collect();
    text.push('\n');
    let mut rows: Vec<(Option<u32>, Vec<TableCell>)> = f
        .members
        .iter()
        .map(|(index, report)| {
            let lock = &report.lock;
            let without = family::leaderless_for(report, now).map_or("-".to_string(), |d| {
                render::age(d.max(jiff::SignedDuration::ZERO))
            });
            (
                *index,
                vec![
                    index.map_or("-".to_string(), |i| i.to_string()).into(),
                    lock.name.clone().into(),
                    lock.holder().unwrap_or("<none>").into(),
                    HolderPodText(report.holder_pod.as_ref()).cell().into(),
                    shard_state(report),
                    ExpiryText(report.expiry).cell(),
                    without.into(),
                ],
            )
        })
        .collect();
    for &i in &f.missing {
        rows.push((
            Some(i),
            vec![
                i.to_string().into(),
                missing_name(f, i).into(),
                "<none>".into(),
                "-".into(),
                TableCell::toned("Missing", Tone::Bad),
                "-".into(),
                "-".into(),
            ],
        ));
    }
    rows.sort_by_key(|(i, _)| *i);
    let headers = [
        "index",
        "lease",
        "holder",
        "pod",
        "state",
        "expires",
        "leaderless for",
    ];
    text.push_str(&render::table(
        &headers,
        rows.into_iter().map(|(_, r)| r).collect(),
        options.no_headers,
        options.palette,
    ));
    text
}

/// `-o json|yaml` schema, `kind: LeaseFamilyList` (docs/shards.md; fields are only added).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FamilyList {
    api_version: &'static str,
    kind: &'static str,
    server_time: Timestamp,
    /// Parts of the view RBAC or the cluster withheld.
    warnings: Vec<String>,
    items: Vec<FamilyItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FamilyItem {
    namespace: String,
    family: String,
    pattern: Pattern,
    state: &'static str,
    expected: u32,
    led: u32,
    leaderless: Vec<String>,
    /// Indexes of a known total that have no lease.
    missing: Vec<u32>,
    /// Shards led per holder pod, most first.
    holders: BTreeMap<String, u32>,
    most_per_holder: u32,
    shards: Vec<ShardItem>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShardItem {
    index: Option<u32>,
    name: String,
    holder_identity: Option<String>,
    state: &'static str,
    expiry: &'static str,
    expire_time: Option<Timestamp>,
    /// Seconds without a leader, when it has none and the lease says since when.
    leaderless_seconds: Option<i64>,
}

impl FamilyList {
    fn new(families: &[FamilyReport<'_>], now: Timestamp, warnings: &[String]) -> Self {
        FamilyList {
            api_version: render::API_VERSION,
            kind: "LeaseFamilyList",
            server_time: now,
            warnings: warnings.to_vec(),
            items: families
                .iter()
                .map(|f| FamilyItem {
                    namespace: f.family.namespace.clone(),
                    family: f.family.name.clone(),
                    pattern: f.family.pattern,
                    state: f.health.as_str(),
                    expected: f.expected,
                    led: f.led,
                    leaderless: f.leaderless().map(|r| r.lock.name.clone()).collect(),
                    missing: f.missing.clone(),
                    holders: f.per_holder.iter().cloned().collect(),
                    most_per_holder: f.per_holder.first().map_or(0, |(_, n)| *n),
                    shards: f
                        .members
                        .iter()
                        .map(|(index, r)| ShardItem {
                            index: *index,
                            name: r.lock.name.clone(),
                            holder_identity: r.lock.holder().map(str::to_string),
                            state: r.state.as_str(),
                            expiry: r.expiry.as_str(),
                            expire_time: r.lock.expires_at(),
                            leaderless_seconds: family::leaderless_for(r, now)
                                .map(|d| d.as_secs().max(0)),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// What `-w` tracks: every Lease in scope, and which families to show.
struct Shards {
    regex: Option<Regex>,
    wanted: Option<String>,
    locks: BTreeMap<LockId, LeaderLock>,
}

/// (namespace, family, shard lease) → its leader, if it has a working one.
type Leaders = BTreeMap<(String, String, String), Option<String>>;

impl Shards {
    /// Each family member's leader at `now`: a holder whose lease has not expired.
    fn leaders(&self, now: Timestamp) -> Leaders {
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
struct ShardEvent<'a> {
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
fn diff<'a>(before: &'a Leaders, after: &'a Leaders, now: Timestamp) -> Vec<ShardEvent<'a>> {
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

fn describe(e: &ShardEvent<'_>) -> String {
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
async fn follow(
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
