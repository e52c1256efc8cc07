//! `drain-check`: reads the cluster once, predicts every selected node's drain, optionally asks
//! the API server with dry-run evictions, prints, and exits 1 when a node cannot be drained.
//!
//! - `view`: the table and the per-node detail
//! - `fleet`: the same over several contexts

mod fleet;
mod view;

use std::io::Write;

use crate::audit::classify;
use crate::cli::DrainCheckArgs;
use crate::drain::pod::Flag;
use crate::drain::{self, NodeReport, read};
use crate::error::{Error, Result};
use crate::kube::{self, Cluster};
use crate::options::{DrainCheckFormat, Options};

pub async fn run(args: &DrainCheckArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    if options.fleet.is_fleet() {
        return fleet::run(args, options, out).await;
    }
    let format = options.output.drain_check()?;
    let cluster = kube::connect(&options.cluster).await?;
    let checked = check(&cluster, args, Missing::Error).await?;
    tracing::info!("{} requests", cluster.request_count());
    for notice in &checked.notices {
        options.palette.warn(notice);
    }
    let reports = checked.reports;
    let flags = flags(args);
    let detail = args.nodes.len() == 1;
    match format {
        DrainCheckFormat::Json | DrainCheckFormat::Yaml => view::document(
            &reports,
            &flags,
            args.server_dry_run,
            format == DrainCheckFormat::Yaml,
            out,
        )?,
        DrainCheckFormat::Table if detail => {
            out.write_all(view::detail(&reports[0], options).as_bytes())?;
        }
        DrainCheckFormat::Table => {
            out.write_all(view::table(&reports, args.server_dry_run, options).as_bytes())?;
        }
    }
    let stuck: Vec<&str> = reports
        .iter()
        .filter(|r| !r.drains())
        .map(|r| r.node.as_str())
        .collect();
    if !stuck.is_empty() {
        out.flush()?;
        return Err(Error::Refused(format!(
            "{} of {} node(s) cannot be drained now: {}",
            stuck.len(),
            reports.len(),
            stuck.join(", ")
        )));
    }
    Ok(())
}

/// What a node NAME that the cluster lacks means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    /// One cluster: the name must be there (exit 3), and some node must be selected.
    Error,
    /// A fleet: each cluster checks the names it has; the fleet judges what no cluster had.
    Skip,
}

/// One cluster's predictions and what RBAC withheld.
pub(super) struct Checked {
    pub reports: Vec<NodeReport>,
    pub notices: Vec<String>,
}

/// Reads one cluster, predicts every selected node's drain and, with `--server-dry-run`, asks
/// its API server too.
pub(super) async fn check(
    cluster: &Cluster,
    args: &DrainCheckArgs,
    missing: Missing,
) -> Result<Checked> {
    let cluster_view = read::read(cluster, args.selector.as_deref()).await?;
    let names: Vec<String> = match missing {
        Missing::Error => args.nodes.clone(),
        Missing::Skip => args
            .nodes
            .iter()
            .filter(|name| {
                cluster_view
                    .nodes
                    .iter()
                    .any(|n| n.metadata.name.as_ref() == Some(*name))
            })
            .cloned()
            .collect(),
    };
    // A fleet's cluster may have none of the names: it then checks no node.
    let nodes = if missing == Missing::Skip && !args.nodes.is_empty() && names.is_empty() {
        Vec::new()
    } else {
        drain::select(cluster_view.nodes, &names).map_err(|name| {
            let among = match &args.selector {
                Some(selector) => format!("among the nodes matching {selector}"),
                None => "in the cluster".to_string(),
            };
            Error::env(format!("node {name:?} not found {among}"))
        })?
    };
    if nodes.is_empty() && missing == Missing::Error {
        return Err(Error::env(match &args.selector {
            Some(selector) => format!("no node matches {selector}"),
            None => "the cluster has no nodes".to_string(),
        }));
    }
    let judged = classify::classify(&cluster_view.objects, args.assume_singleton);
    let locks = cluster_view
        .locks
        .as_ref()
        .map_or(&[][..], |l| &l.reports[..]);
    let flags = flags(args);
    let mut reports = drain::predict(&drain::Input {
        nodes: &nodes,
        pods: &cluster_view.pods,
        pdbs: &cluster_view.pdbs,
        judged: &judged,
        locks,
        flags: &flags,
    });
    if args.server_dry_run {
        read::server_dry_run(cluster, &mut reports).await?;
    }
    Ok(Checked {
        reports,
        notices: cluster_view.notices,
    })
}

/// The `kubectl drain` flags the prediction assumes, besides `--ignore-daemonsets`.
pub(super) fn flags(args: &DrainCheckArgs) -> Vec<Flag> {
    let mut flags = Vec::new();
    if args.force {
        flags.push(Flag::Force);
    }
    if args.delete_emptydir_data {
        flags.push(Flag::DeleteEmptydirData);
    }
    flags
}
