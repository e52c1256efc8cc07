//! `status`: the leader-election locks, who holds them, and how long their hold lasts by the
//! API server's clock.

use std::io::Write;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use crate::cli::{OutputFormat, StatusArgs};
use crate::cluster::{self, Action, Cluster, SKEW_WARNING};
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::lease::{self, Expiry, LeaderLock};
use crate::render::{self, TableCell, Tone};

pub async fn run(args: &StatusArgs, ctx: &Context, out: &mut impl Write) -> Result<()> {
    let format = ctx.global.output.unwrap_or(OutputFormat::Table);
    if format == OutputFormat::Sarif {
        return Err(Error::usage(
            "status cannot print -o sarif: use -o table, wide, json, yaml or name",
        ));
    }
    if args.name.is_some() && ctx.global.all_namespaces {
        return Err(Error::usage(
            "a lock NAME lives in one namespace: use -n NAMESPACE instead of -A",
        ));
    }
    let cluster = cluster::connect(&ctx.global).await?;
    let scope = if ctx.global.all_namespaces {
        None
    } else {
        Some(cluster.namespace(&ctx.global).to_string())
    };
    let mut locks = fetch_locks(&cluster, scope.as_deref(), args).await?;
    locks.sort_by(|a, b| (&a.namespace, &a.name, a.kind).cmp(&(&b.namespace, &b.name, b.kind)));
    let now = cluster.server_now();
    tracing::info!("{} requests", cluster.request_count());

    if let Some(skew) = cluster.clock_skew().filter(|s| s.abs() > SKEW_WARNING) {
        render::warn(
            &format!(
                "the local clock is {} {} the API server's; times below use the server's clock",
                render::age(skew.abs()),
                if skew.is_negative() {
                    "behind"
                } else {
                    "ahead of"
                }
            ),
            false,
        );
    }

    match format {
        OutputFormat::Json | OutputFormat::Yaml => render::document(
            &LockList::new(&locks, now),
            format == OutputFormat::Yaml,
            out,
        ),
        OutputFormat::Name => {
            for lock in &locks {
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
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Sarif => {
            if locks.is_empty() {
                match &scope {
                    Some(ns) => eprintln!("No leader-election locks found in {ns} namespace."),
                    None => eprintln!("No leader-election locks found."),
                }
                return Ok(());
            }
            let wide = format == OutputFormat::Wide;
            let text = locks_table(&locks, now, scope.is_none(), wide, ctx);
            out.write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

async fn fetch_locks(
    cluster: &Cluster,
    namespace: Option<&str>,
    args: &StatusArgs,
) -> Result<Vec<LeaderLock>> {
    let api: Api<Lease> = match namespace {
        Some(ns) => Api::namespaced(cluster.client.clone(), ns),
        None => Api::all(cluster.client.clone()),
    };
    if let Some(name) = &args.name {
        let action = Action {
            verb: "get",
            resource: "lease",
            namespace,
            name: Some(name),
        };
        let lease = cluster.call(api.get(name), action).await?;
        return Ok(vec![LeaderLock::from_lease(&lease)]);
    }
    let mut params = ListParams::default();
    if let Some(selector) = &args.selector {
        params = params.labels(selector);
    }
    let action = Action {
        verb: "list",
        resource: "leases",
        namespace,
        name: None,
    };
    let leases = cluster.list_all(&api, &params, action).await?;
    Ok(leases
        .iter()
        .filter(|l| args.all_leases || lease::is_leader_election_lease(l))
        .map(LeaderLock::from_lease)
        .collect())
}

fn locks_table(
    locks: &[LeaderLock],
    now: Timestamp,
    all_namespaces: bool,
    wide: bool,
    ctx: &Context,
) -> String {
    let mut headers = Vec::new();
    if all_namespaces {
        headers.push("namespace");
    }
    headers.extend(["name", "holder", "renewed", "expires", "transitions", "age"]);
    if wide {
        headers.extend(["kind", "duration", "acquired"]);
    }
    let since = |t: Option<Timestamp>| {
        t.map_or("-".to_string(), |t| render::relative(now.duration_since(t)))
    };
    let rows = locks
        .iter()
        .map(|lock| {
            let mut row: Vec<TableCell> = Vec::new();
            if all_namespaces {
                row.push(lock.namespace.clone().into());
            }
            row.push(lock.name.clone().into());
            row.push(lock.holder().unwrap_or("<none>").into());
            row.push(since(lock.renew_time).into());
            row.push(match lock.expiry(now) {
                Expiry::Released => "-".into(),
                Expiry::Unknown => "-".into(),
                Expiry::Live { remaining } => {
                    TableCell::toned(format!("in {}", render::age(remaining)), Tone::Good)
                }
                Expiry::Expired { ago } => {
                    TableCell::toned(format!("expired {} ago", render::age(ago)), Tone::Bad)
                }
            });
            row.push(
                lock.transitions
                    .map_or("-".to_string(), |t| t.to_string())
                    .into(),
            );
            row.push(
                lock.created
                    .map_or("-".to_string(), |t| render::age(now.duration_since(t)))
                    .into(),
            );
            if wide {
                row.push(lock.kind.as_str().into());
                row.push(
                    lock.lease_duration
                        .map_or("-".to_string(), render::age)
                        .into(),
                );
                row.push(since(lock.acquire_time).into());
            }
            row
        })
        .collect();
    render::table(&headers, rows, ctx.global.no_headers, ctx.palette)
}

/// `-o json|yaml` schema, `kind: LockList` (documented in the README; fields only ever added).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LockList {
    api_version: &'static str,
    kind: &'static str,
    /// "Now" as the API server's clock had it, which every expiry below is judged against.
    server_time: Timestamp,
    items: Vec<LockItem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LockItem {
    kind: &'static str,
    namespace: String,
    name: String,
    holder_identity: Option<String>,
    lease_duration_seconds: Option<i64>,
    acquire_time: Option<Timestamp>,
    renew_time: Option<Timestamp>,
    expire_time: Option<Timestamp>,
    /// `Released`, `Live`, `Expired` or `Unknown` (holder set but renewTime/duration missing).
    expiry: &'static str,
    lease_transitions: Option<i32>,
    creation_timestamp: Option<Timestamp>,
}

impl LockList {
    fn new(locks: &[LeaderLock], now: Timestamp) -> Self {
        LockList {
            api_version: render::API_VERSION,
            kind: "LockList",
            server_time: now,
            items: locks
                .iter()
                .map(|lock| LockItem {
                    kind: lock.kind.as_str(),
                    namespace: lock.namespace.clone(),
                    name: lock.name.clone(),
                    holder_identity: lock.holder().map(str::to_string),
                    lease_duration_seconds: lock.lease_duration.map(|d| d.as_secs()),
                    acquire_time: lock.acquire_time,
                    renew_time: lock.renew_time,
                    expire_time: lock.expires_at(),
                    expiry: match lock.expiry(now) {
                        Expiry::Released => "Released",
                        Expiry::Live { .. } => "Live",
                        Expiry::Expired { .. } => "Expired",
                        Expiry::Unknown => "Unknown",
                    },
                    lease_transitions: lock.transitions,
                    creation_timestamp: lock.created,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::LockKind;
    use jiff::SignedDuration;

    fn lock(name: &str, holder: Option<&str>, renew: &str) -> LeaderLock {
        LeaderLock {
            kind: LockKind::Lease,
            namespace: "kube-system".into(),
            name: name.into(),
            holder: holder.map(Into::into),
            lease_duration: Some(SignedDuration::from_secs(15)),
            acquire_time: None,
            renew_time: Some(renew.parse().unwrap()),
            transitions: Some(2),
            created: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn json_items_carry_expiry_by_the_server_clock() {
        let now: Timestamp = "2026-01-01T01:00:10Z".parse().unwrap();
        let locks = [
            lock("live", Some("a_1"), "2026-01-01T01:00:00Z"),
            lock("dead", Some("b"), "2026-01-01T00:00:00Z"),
            lock("free", Some(""), "2026-01-01T00:00:00Z"),
        ];
        let doc = serde_json::to_value(LockList::new(&locks, now)).unwrap();
        assert_eq!(doc["kind"], "LockList");
        assert_eq!(doc["serverTime"], "2026-01-01T01:00:10Z");
        assert_eq!(doc["items"][0]["expiry"], "Live");
        assert_eq!(doc["items"][0]["expireTime"], "2026-01-01T01:00:15Z");
        assert_eq!(doc["items"][1]["expiry"], "Expired");
        assert_eq!(doc["items"][2]["expiry"], "Released");
        assert_eq!(doc["items"][2]["holderIdentity"], serde_json::Value::Null);
    }
}
