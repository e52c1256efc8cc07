//! `status --shards [FAMILY]`: lease families of elected shards (`lock::family`), one row per
//! family or one family's shards in detail; `-o json|yaml` as `LeaseFamilyList`; with `-w`, one
//! line whenever a shard loses or regains its leader. Reads exactly what `status` reads.

use std::collections::BTreeMap;
use std::io::Write;

use jiff::Timestamp;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands::status::shards_fleet;
use crate::commands::status::shards_watch::{Shards, follow};
use crate::error::{Error, Result};
use crate::kube;
use crate::kube::fleet::ClusterEntry;
use crate::lock::family::{self, FamilyReport, Health, Pattern};
use crate::lock::model::{LeaderLock, LockReport, State};
use crate::lock::read::{self, Inventory, Scope};
use crate::lock::watch;
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
    if options.fleet.is_fleet() {
        return shards_fleet::run(args, wanted, regex, format, options, out).await;
    }
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
    let (locks, families) = families(&inventory, regex.as_ref(), wanted);
    if let Some(wanted) = wanted
        && families.is_empty()
    {
        return Err(no_family(wanted, namespace.as_deref(), ""));
    }
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
            let text: Vec<String> = families
                .iter()
                .map(|f| detail(f, now, None, options))
                .collect();
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

/// The families among an inventory's locks (only `wanted` when given), sorted by namespace and
/// name, judged against the inventory's reports; and the locks they were detected in.
pub(super) fn families<'r>(
    inventory: &'r Inventory,
    regex: Option<&regex::Regex>,
    wanted: Option<&str>,
) -> (Vec<LeaderLock>, Vec<FamilyReport<'r>>) {
    let locks: Vec<LeaderLock> = inventory.reports.iter().map(|r| r.lock.clone()).collect();
    let mut families: Vec<FamilyReport<'r>> = family::detect(&locks, regex)
        .into_iter()
        .filter(|f| wanted.is_none_or(|w| f.is_named(w)))
        .map(|f| FamilyReport::judge(f, &inventory.reports))
        .collect();
    families.sort_by(|a, b| {
        (&a.family.namespace, &a.family.name).cmp(&(&b.family.namespace, &b.family.name))
    });
    (locks, families)
}

/// `FAMILY` was not found; `where_else` adds where else it was looked for (a fleet's clusters).
pub(super) fn no_family(wanted: &str, namespace: Option<&str>, where_else: &str) -> Error {
    Error::env(format!(
        "no lease family {wanted:?} {}{where_else}: `kubectl singleton status --shards` lists them",
        match namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "in any namespace".to_string(),
        }
    ))
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
    let (headers, rows) = table_parts(families, all_namespaces, wide);
    render::table(&headers, rows, options.no_headers, options.palette)
}

/// The family table's headers and rows, before rendering (a fleet prefixes a CONTEXT column).
pub(super) fn table_parts(
    families: &[FamilyReport<'_>],
    all_namespaces: bool,
    wide: bool,
) -> (Vec<&'static str>, Vec<Vec<TableCell>>) {
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
    (headers, rows)
}

fn shard_state(report: &LockReport) -> TableCell {
    let tone = match report.state {
        State::Held => Tone::Good,
        _ => Tone::Bad,
    };
    TableCell::toned(report.state.as_str(), tone)
}

/// `status --shards FAMILY`: the family's summary (led by its context in a fleet), then one row
/// per shard (missing ones too).
pub(super) fn detail(
    f: &FamilyReport<'_>,
    now: Timestamp,
    context: Option<&str>,
    options: &Options,
) -> String {
    let holders: Vec<String> = f
        .per_holder
        .iter()
        .map(|(h, n)| format!("{h} ({n})"))
        .collect();
    let mut fields = vec![
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
    if let Some(context) = context {
        fields.insert(0, ("Context", context.to_string()));
    }
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
/// A fleet's adds `context` to each item and a `clusters` list; one cluster's has neither.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FamilyList {
    api_version: &'static str,
    kind: &'static str,
    /// The API server's clock; in a fleet the latest of the clusters' (each item was judged by
    /// its own cluster's).
    server_time: Timestamp,
    /// Parts of the view RBAC or the cluster withheld.
    warnings: Vec<String>,
    items: Vec<FamilyItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clusters: Option<Vec<ClusterEntry>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FamilyItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<String>,
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
                .map(|f| FamilyItem::new(f, now, None))
                .collect(),
            clusters: None,
        }
    }

    /// A fleet's list: items already carry their context.
    pub(super) fn fleet(
        items: Vec<FamilyItem>,
        now: Timestamp,
        warnings: Vec<String>,
        clusters: Vec<ClusterEntry>,
    ) -> Self {
        FamilyList {
            api_version: render::API_VERSION,
            kind: "LeaseFamilyList",
            server_time: now,
            warnings,
            items,
            clusters: Some(clusters),
        }
    }
}

impl FamilyItem {
    /// One family as judged at `now` (its cluster's clock).
    pub(super) fn new(f: &FamilyReport<'_>, now: Timestamp, context: Option<&str>) -> Self {
        FamilyItem {
            context: context.map(str::to_string),
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
                    leaderless_seconds: family::leaderless_for(r, now).map(|d| d.as_secs().max(0)),
                })
                .collect(),
        }
    }
}
