//! `status` over a fleet (`--context a,b`, `--all-contexts`, `--context-regex`): every cluster
//! read on its own connection at once, then one table with a first CONTEXT column, one summary
//! line per cluster and one for the fleet; `-o json|yaml` is one `LockList` whose items carry
//! their `context` and whose `clusters` list says what each cluster answered. With `-w`, one
//! merged stream of change lines follows (`fleet_watch`).

use std::collections::BTreeMap;
use std::io::Write;

use jiff::Timestamp;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands;
use crate::commands::status::fleet_watch;
use crate::commands::status::view::{self, LockItem};
use crate::error::{Error, Result};
use crate::kube::Cluster;
use crate::kube::fleet::{self, Member};
use crate::lock::read::{self, Inventory, Scope};
use crate::options::{Options, StatusFormat};
use crate::render;

pub async fn run(args: &StatusArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let format = options.output.status()?;
    if args.family.is_some() {
        return Err(Error::usage(
            "--family groups leases into shard families: use it with --shards",
        ));
    }
    if args.watch && matches!(format, StatusFormat::Yaml | StatusFormat::Name) {
        return Err(Error::usage(
            "status --watch prints a table or, with -o json, one JSON object per line",
        ));
    }
    let members = commands::read_fleet(options, |cluster, namespace| async move {
        let scope = Scope {
            namespace: namespace.as_deref(),
            name: args.name.as_deref(),
            selector: args.selector.as_deref(),
            all_leases: args.all_leases,
        };
        let inventory = read::gather(&cluster, scope).await?;
        Ok((cluster, namespace, inventory))
    })
    .await?;

    for member in &members {
        if let Ok((_, _, inventory)) = &member.outcome {
            for notice in &inventory.notices {
                options
                    .palette
                    .warn(&format!("context {}: {notice}", member.context));
            }
        }
    }
    if args.watch {
        let json = format == StatusFormat::Json;
        if json {
            serde_json::to_writer(&mut *out, &document(&members))
                .map_err(|e| Error::Output(e.into()))?;
            out.write_all(b"\n")?;
        } else {
            let wide = format == StatusFormat::Wide;
            let all_namespaces = options.namespaces == crate::options::Namespaces::All;
            out.write_all(table(&members, all_namespaces, wide, options).as_bytes())?;
            out.write_all(summary(&members).as_bytes())?;
        }
        out.flush()?;
        let scope = Scope {
            namespace: None,
            name: args.name.as_deref(),
            selector: args.selector.as_deref(),
            all_leases: args.all_leases,
        };
        return fleet_watch::follow(members, scope, json, options.palette, out).await;
    }
    match format {
        StatusFormat::Json | StatusFormat::Yaml => {
            render::document(&document(&members), format == StatusFormat::Yaml, out)?
        }
        StatusFormat::Name => {
            for member in &members {
                if let Ok((_, _, inventory)) = &member.outcome {
                    for report in &inventory.reports {
                        let lock = &report.lock;
                        writeln!(
                            out,
                            "{}\t{}/{}/{}",
                            member.context,
                            lock.kind.resource(),
                            lock.namespace,
                            lock.name
                        )?;
                    }
                }
            }
        }
        StatusFormat::Table | StatusFormat::Wide => {
            let wide = format == StatusFormat::Wide;
            let all_namespaces = options.namespaces == crate::options::Namespaces::All;
            out.write_all(table(&members, all_namespaces, wide, options).as_bytes())?;
            out.write_all(summary(&members).as_bytes())?;
        }
    }
    out.flush()?;
    fleet::failures(&members)
}

/// One cluster's read: its connection (kept for `-w`), the namespace it was read in (`None`:
/// all), and what it held.
pub(super) type Read = (Cluster, Option<String>, Inventory);

fn table(members: &[Member<Read>], all_namespaces: bool, wide: bool, options: &Options) -> String {
    let parts = members.iter().filter_map(|member| {
        let (_, _, inventory) = member.outcome.as_ref().ok()?;
        let parts = view::table_parts(inventory, all_namespaces, wide);
        Some((member.context.as_str(), parts))
    });
    render::context_table(parts, options.no_headers, options.palette)
}

/// One line per cluster, then the fleet's: how many locks and in which states.
fn summary(members: &[Member<Read>]) -> String {
    let mut text = String::from("\n");
    let mut fleet_states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fleet_locks = 0;
    let mut read_ok = 0;
    for member in members {
        match &member.outcome {
            Ok((_, namespace, inventory)) => {
                read_ok += 1;
                let mut states: BTreeMap<&str, usize> = BTreeMap::new();
                for report in &inventory.reports {
                    *states.entry(report.state.as_str()).or_default() += 1;
                    *fleet_states.entry(report.state.as_str()).or_default() += 1;
                }
                fleet_locks += inventory.reports.len();
                let scope = namespace
                    .as_deref()
                    .map_or("all namespaces".to_string(), |ns| format!("namespace {ns}"));
                text.push_str(&format!(
                    "{}: {}{} in {scope}\n",
                    member.context,
                    counted(inventory.reports.len()),
                    breakdown(&states)
                ));
            }
            Err(_) => text.push_str(&format!(
                "{}: not read (the error is on stderr)\n",
                member.context
            )),
        }
    }
    text.push_str(&format!(
        "fleet: {}{} in {read_ok} of {} clusters\n",
        counted(fleet_locks),
        breakdown(&fleet_states),
        members.len()
    ));
    text
}

fn counted(n: usize) -> String {
    format!("{n} lock{}", if n == 1 { "" } else { "s" })
}

/// ` (2 Held, 1 Expired)`: counts by state, in name order; empty when there are none.
pub(super) fn breakdown(states: &BTreeMap<&str, usize>) -> String {
    if states.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(" ({})", parts.join(", "))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FleetList<'a> {
    api_version: &'static str,
    kind: &'static str,
    /// The latest of the clusters' clocks (each cluster's own is in `clusters`).
    server_time: Timestamp,
    warnings: Vec<String>,
    items: Vec<FleetItem<'a>>,
    clusters: Vec<fleet::ClusterEntry>,
}

#[derive(Serialize)]
struct FleetItem<'a> {
    context: &'a str,
    #[serde(flatten)]
    item: LockItem,
}

/// One `LockList` for the whole fleet: items and warnings carry their context, `serverTime` is
/// the latest of the clusters' clocks, `clusters` says what each one answered.
fn document(members: &[Member<Read>]) -> FleetList<'_> {
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    let mut latest: Option<Timestamp> = None;
    for member in members {
        let Ok((_, _, inventory)) = &member.outcome else {
            continue;
        };
        latest = latest.max(Some(inventory.now));
        items.extend(inventory.reports.iter().map(|report| FleetItem {
            context: &member.context,
            item: LockItem::new(report),
        }));
        warnings.extend(
            inventory
                .notices
                .iter()
                .map(|w| format!("context {}: {w}", member.context)),
        );
    }
    FleetList {
        api_version: render::API_VERSION,
        kind: "LockList",
        server_time: latest.unwrap_or_else(Timestamp::now),
        warnings,
        items,
        clusters: fleet::cluster_entries(members),
    }
}
