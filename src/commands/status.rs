//! `status`: every leader-election lock in scope — who holds it, the holder's pod, its state,
//! and how long the hold lasts by the API server's clock; with `--watch`, one line per change
//! until Ctrl-C.
//!
//! - `view`: tables, detail and the JSON/YAML `LockList`
//! - `fleet`, `fleet_watch`: the same over several contexts, and its merged `-w` stream
//! - `shards`, `shards_watch`, `shards_fleet`: `--shards`, its `-w`, and over a fleet

mod fleet;
mod fleet_watch;
mod shards;
mod shards_fleet;
mod shards_watch;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use futures::StreamExt;

use crate::cli::StatusArgs;
use crate::error::{Error, Result};
use crate::kube::{self, Cluster, SKEW_WARNING};
use crate::lock::changes::{Change, Tracked};
use crate::lock::model::LockKind;
use crate::lock::read::{self, Inventory, Scope};
use crate::lock::watch::{self, LockId, Reading};
use crate::options::{Namespaces, Options, StatusFormat};
use crate::render::{self, Palette};
use view::LockList;

pub async fn run(args: &StatusArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    if let Some(family) = &args.shards {
        return shards::run(args, family.as_deref(), options, out).await;
    }
    if options.fleet.is_fleet() {
        return fleet::run(args, options, out).await;
    }
    if args.family.is_some() {
        return Err(Error::usage(
            "--family groups leases into shard families: use it with --shards",
        ));
    }
    let format = options.output.status()?;
    if args.name.is_some() && options.namespaces == Namespaces::All {
        return Err(Error::usage(
            "a lock NAME lives in one namespace: use -n NAMESPACE instead of -A",
        ));
    }
    if args.watch && matches!(format, StatusFormat::Yaml | StatusFormat::Name) {
        return Err(Error::usage(
            "status --watch prints a table or, with -o json, one JSON object per line",
        ));
    }
    let cluster = kube::connect(&options.cluster).await?;
    let namespace = cluster.scope(&options.namespaces);
    let scope = Scope {
        namespace: namespace.as_deref(),
        name: args.name.as_deref(),
        selector: args.selector.as_deref(),
        all_leases: args.all_leases,
    };
    // Nothing is printed until everything is read: no half-drawn tables.
    let inventory = read::gather(&cluster, scope).await.map_err(|err| {
        // Only the label selector comes from the user in these LISTs: a 400 is about it.
        match (&args.selector, err.server_said()) {
            (Some(selector), Some(said)) if err.is_bad_request() => Error::usage(format!(
                "invalid -l/--selector {selector:?}: the API server could not parse it ({said})"
            )),
            _ => err,
        }
    })?;
    tracing::info!("{} requests", cluster.request_count());

    let palette = options.palette;
    for notice in &inventory.notices {
        palette.warn(notice);
    }
    if let Some(skew) = cluster.clock_skew().filter(|s| s.abs() > SKEW_WARNING) {
        palette.warn(&format!(
            "the local clock is {} {} the API server's; times shown use the server's clock",
            render::age(skew.abs()),
            if skew.is_negative() {
                "behind"
            } else {
                "ahead of"
            }
        ));
    }
    let all_namespaces = namespace.is_none();

    if args.watch {
        let json = format == StatusFormat::Json;
        if json {
            serde_json::to_writer(&mut *out, &LockList::new(&inventory))
                .map_err(|e| Error::Output(e.into()))?;
            out.write_all(b"\n")?;
        } else if !inventory.reports.is_empty() {
            let wide = format == StatusFormat::Wide;
            let text = view::table(&inventory, all_namespaces, wide, options);
            out.write_all(text.as_bytes())?;
        }
        out.flush()?;
        return follow(&cluster, scope, inventory, json, palette, out).await;
    }

    match format {
        StatusFormat::Json | StatusFormat::Yaml => render::document(
            &LockList::new(&inventory),
            format == StatusFormat::Yaml,
            out,
        ),
        StatusFormat::Name => {
            for report in &inventory.reports {
                let lock = &report.lock;
                writeln!(
                    out,
                    "{}/{}/{}",
                    lock.kind.resource(),
                    lock.namespace,
                    lock.name
                )?;
            }
            Ok(())
        }
        StatusFormat::Table | StatusFormat::Wide => {
            if args.name.is_some() {
                let text = inventory
                    .reports
                    .iter()
                    .map(|report| view::detail(report, inventory.now))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.write_all(text.as_bytes())?;
                return Ok(());
            }
            if inventory.reports.is_empty() {
                match &namespace {
                    Some(ns) => eprintln!("No leader-election locks found in {ns} namespace."),
                    None => eprintln!("No leader-election locks found."),
                }
                return Ok(());
            }
            let wide = format == StatusFormat::Wide;
            let text = view::table(&inventory, all_namespaces, wide, options);
            out.write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

/// `--watch`: after the table, one line per change until Ctrl-C. Every reading is diffed
/// against what we last saw, so a watch that resumes neither repeats nor loses a change.
async fn follow(
    cluster: &Cluster,
    scope: Scope<'_>,
    inventory: Inventory,
    json: bool,
    palette: Palette,
    out: &mut impl Write,
) -> Result<()> {
    let mut readings = std::pin::pin!(watch::follow(cluster, scope, &inventory.withheld));
    let mut tracked: BTreeMap<LockId, Tracked> = inventory
        .reports
        .into_iter()
        .map(|r| (watch::id(&r.lock), Tracked::new(r.lock)))
        .collect();
    // What was already true when the table was printed is not news.
    let started = inventory.now;
    for t in tracked.values_mut() {
        while t.tick(started).is_some() {}
    }
    let mut denied = BTreeSet::new();
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
                    let key = watch::id(&lock);
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
                Some(Reading::Denied(LockKind::Lease, err)) => return Err(err),
                Some(Reading::Denied(kind, err)) => {
                    if denied.insert(kind) {
                        palette.warn(&format!("legacy {} locks not followed: {err}", kind.as_str()));
                    }
                }
                None => return Ok(()),
            },
        }
        let now = cluster.server_now();
        for (id, change) in &changes {
            view::write_change(&mut *out, json, None, now, id, change)?;
        }
        if !changes.is_empty() {
            out.flush()?;
        }
    }
}
