//! `status --shards` over a fleet: every cluster read on its own connection at once, each
//! cluster's lease families judged against its own reports and clock; one table with a first
//! CONTEXT column and a summary line per cluster and for the fleet, `Context:` on each family's
//! detail, `context` on each item of `-o json|yaml` plus a `clusters` list; with `-w`, one
//! merged stream of shard lines naming their context.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::{BoxStream, SelectAll};
use jiff::Timestamp;
use regex::Regex;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands;
use crate::commands::status::fleet::{Read, breakdown};
use crate::commands::status::fleet_watch::{ending, name_failed, until_denied};
use crate::commands::status::shards::{self, FamilyItem, FamilyList};
use crate::commands::status::shards_watch::{Leaders, ShardEvent, Shards, describe, diff};
use crate::error::{Error, Result};
use crate::kube::Cluster;
use crate::kube::fleet::{self, Member};
use crate::lock::family::FamilyReport;
use crate::lock::model::{LeaderLock, LockKind};
use crate::lock::read::{self, Scope};
use crate::lock::watch::{self, Reading};
use crate::options::{Options, StatusFormat};
use crate::render;

/// One cluster's families, as its own read and clock give them.
struct View<'m> {
    context: &'m str,
    cluster: &'m Cluster,
    namespace: Option<&'m str>,
    now: Timestamp,
    withheld: &'m [LockKind],
    locks: Vec<LeaderLock>,
    families: Vec<FamilyReport<'m>>,
}

pub(super) async fn run(
    args: &StatusArgs,
    wanted: Option<&str>,
    regex: Option<Regex>,
    format: StatusFormat,
    options: &Options,
    out: &mut impl Write,
) -> Result<()> {
    let selector = args.selector.as_deref();
    let members = commands::read_fleet(options, |cluster, namespace| async move {
        let scope = Scope {
            namespace: namespace.as_deref(),
            selector,
            ..Scope::default()
        };
        let inventory = read::gather(&cluster, scope).await?;
        Ok((cluster, namespace, inventory))
    })
    .await?;
    let mut warnings = Vec::new();
    let mut views = Vec::new();
    for member in &members {
        let Ok((cluster, namespace, inventory)) = &member.outcome else {
            continue;
        };
        for notice in &inventory.notices {
            let warning = format!("context {}: {notice}", member.context);
            options.palette.warn(&warning);
            warnings.push(warning);
        }
        let (locks, families) = shards::families(inventory, regex.as_ref(), wanted);
        views.push(View {
            context: &member.context,
            cluster,
            namespace: namespace.as_deref(),
            now: inventory.now,
            withheld: &inventory.withheld,
            locks,
            families,
        });
    }
    if let Some(wanted) = wanted
        && !views.is_empty()
        && views.iter().all(|v| v.families.is_empty())
    {
        name_failed(&members);
        let read = format!(" in any of the {} clusters read", views.len());
        return Err(shards::no_family(wanted, views[0].namespace, &read));
    }

    let json = format == StatusFormat::Json;
    match format {
        StatusFormat::Json | StatusFormat::Yaml => {
            let doc = document(&views, warnings, &members);
            if args.watch {
                serde_json::to_writer(&mut *out, &doc).map_err(|e| Error::Output(e.into()))?;
                out.write_all(b"\n")?;
            } else {
                render::document(&doc, !json, out)?;
            }
        }
        _ if wanted.is_some() => {
            let text: Vec<String> = views
                .iter()
                .flat_map(|v| {
                    v.families
                        .iter()
                        .map(|f| shards::detail(f, v.now, Some(v.context), options))
                })
                .collect();
            out.write_all(text.join("\n").as_bytes())?;
        }
        _ => {
            let all_namespaces = options.namespaces == crate::options::Namespaces::All;
            let wide = format == StatusFormat::Wide;
            out.write_all(table(&views, all_namespaces, wide, options).as_bytes())?;
            out.write_all(summary(&views, &members).as_bytes())?;
        }
    }
    out.flush()?;
    if !args.watch {
        return fleet::failures(&members);
    }
    let watches = views
        .into_iter()
        .map(|v| {
            let shards = Shards {
                regex: regex.clone(),
                wanted: wanted.map(str::to_string),
                locks: v.locks.into_iter().map(|l| (watch::id(&l), l)).collect(),
            };
            let scope = Scope {
                namespace: v.namespace,
                selector,
                ..Scope::default()
            };
            let readings = watch::follow(v.cluster, scope, v.withheld);
            (v.context, v.cluster, shards, readings)
        })
        .collect();
    follow(watches, &members, json, out).await
}

fn table(views: &[View<'_>], all_namespaces: bool, wide: bool, options: &Options) -> String {
    let parts = views.iter().map(|view| {
        let parts = shards::table_parts(&view.families, all_namespaces, wide);
        (view.context, parts)
    });
    render::context_table(parts, options.no_headers, options.palette)
}

/// One line per cluster (failed ones too), then the fleet's: families and their states.
fn summary(views: &[View<'_>], members: &[Member<Read>]) -> String {
    let mut text = String::from("\n");
    let mut fleet_states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fleet_families = 0;
    for member in members {
        let Some(view) = views.iter().find(|v| v.context == member.context) else {
            text.push_str(&format!(
                "{}: not read (the error is on stderr)\n",
                member.context
            ));
            continue;
        };
        let mut states: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &view.families {
            *states.entry(f.health.as_str()).or_default() += 1;
            *fleet_states.entry(f.health.as_str()).or_default() += 1;
        }
        fleet_families += view.families.len();
        let scope = view
            .namespace
            .map_or("all namespaces".to_string(), |ns| format!("namespace {ns}"));
        text.push_str(&format!(
            "{}: {}{} in {scope}\n",
            view.context,
            counted(view.families.len()),
            breakdown(&states)
        ));
    }
    text.push_str(&format!(
        "fleet: {}{} in {} of {} clusters\n",
        counted(fleet_families),
        breakdown(&fleet_states),
        views.len(),
        members.len()
    ));
    text
}

fn counted(n: usize) -> String {
    format!("{n} {}", if n == 1 { "family" } else { "families" })
}

/// One `LeaseFamilyList` for the fleet: `serverTime` is the latest of the clusters' clocks,
/// each item judged by its own.
fn document(views: &[View<'_>], warnings: Vec<String>, members: &[Member<Read>]) -> FamilyList {
    let items = views
        .iter()
        .flat_map(|v| {
            v.families
                .iter()
                .map(|f| FamilyItem::new(f, v.now, Some(v.context)))
        })
        .collect();
    let now = views
        .iter()
        .map(|v| v.now)
        .max()
        .unwrap_or_else(Timestamp::now);
    FamilyList::fleet(items, now, warnings, fleet::cluster_entries(members))
}

/// A `-w -o json` shard line of a fleet: the single-cluster line with `context` first.
#[derive(Serialize)]
struct FleetShardEvent<'a> {
    context: &'a str,
    #[serde(flatten)]
    event: &'a ShardEvent<'a>,
}

struct Followed<'m> {
    context: &'m str,
    cluster: &'m Cluster,
    shards: Shards,
    before: Leaders,
}

type Watch<'m, S> = (&'m str, &'m Cluster, Shards, S);

/// `-w`: a line whenever a shard of a shown family, in any cluster, loses or regains its
/// leader, until Ctrl-C. A cluster whose Lease watch is refused is named and dropped; the
/// others go on, and the end is then exit 3.
async fn follow<S>(
    watches: Vec<Watch<'_, S>>,
    members: &[Member<Read>],
    json: bool,
    out: &mut impl Write,
) -> Result<()>
where
    S: futures::Stream<Item = Reading> + Send + 'static,
{
    let mut lost = name_failed(members);
    let mut streams: SelectAll<BoxStream<'static, (usize, Reading)>> = SelectAll::new();
    let mut followed: Vec<Option<Followed<'_>>> = Vec::new();
    for (i, (context, cluster, shards, readings)) in watches.into_iter().enumerate() {
        streams.push(until_denied(i, readings));
        let before = shards.leaders(cluster.server_now());
        followed.push(Some(Followed {
            context,
            cluster,
            shards,
            before,
        }));
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let dirty: Vec<usize> = tokio::select! {
            _ = &mut ctrl_c => break,
            _ = ticker.tick() => (0..followed.len()).collect(),
            reading = streams.next() => {
                let Some((i, reading)) = reading else { break };
                let Some(f) = followed[i].as_mut() else { continue };
                match reading {
                    Reading::Seen(lock) => {
                        f.shards.locks.insert(watch::id(&lock), lock);
                    }
                    Reading::Gone(key) => {
                        f.shards.locks.remove(&key);
                    }
                    Reading::Denied(LockKind::Lease, err) => {
                        eprintln!("error: context {}: {err}", f.context);
                        lost.push(f.context.to_string());
                        followed[i] = None;
                        continue;
                    }
                    Reading::Denied(..) => {}
                }
                vec![i]
            }
        };
        let mut printed = false;
        for i in dirty {
            let Some(f) = followed[i].as_mut() else {
                continue;
            };
            let now = f.cluster.server_now();
            let after = f.shards.leaders(now);
            for event in diff(&f.before, &after, now) {
                printed = true;
                if json {
                    let line = FleetShardEvent {
                        context: f.context,
                        event: &event,
                    };
                    serde_json::to_writer(&mut *out, &line).map_err(|e| Error::Output(e.into()))?;
                    out.write_all(b"\n")?;
                } else {
                    let time = now.strftime("%H:%M:%S");
                    writeln!(out, "{time}  {}  {}", f.context, describe(&event))?;
                }
            }
            f.before = after;
        }
        if printed {
            out.flush()?;
        }
    }
    out.flush()?;
    ending(&lost, members.len())
}
