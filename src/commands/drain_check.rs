//! `drain-check`: reads the cluster once, predicts every selected node's drain, optionally asks
//! the API server with dry-run evictions, prints, and exits 1 when a node cannot be drained.

use std::io::Write;

use crate::audit::classify;
use crate::cli::DrainCheckArgs;
use crate::commands::drain_check_view as view;
use crate::drain::pod::Flag;
use crate::drain::{self, read};
use crate::error::{Error, Result};
use crate::kube;
use crate::options::{DrainCheckFormat, Options};

pub async fn run(args: &DrainCheckArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let format = options.output.drain_check()?;
    let cluster = kube::connect(&options.cluster).await?;
    let cluster_view = read::read(&cluster, args.selector.as_deref()).await?;
    tracing::info!("{} requests", cluster.request_count());
    for notice in &cluster_view.notices {
        options.palette.warn(notice);
    }
    let nodes = drain::select(cluster_view.nodes, &args.nodes).map_err(|name| {
        let among = match &args.selector {
            Some(selector) => format!("among the nodes matching {selector}"),
            None => "in the cluster".to_string(),
        };
        Error::env(format!("node {name:?} not found {among}"))
    })?;
    if nodes.is_empty() {
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
    let mut flags = Vec::new();
    if args.force {
        flags.push(Flag::Force);
    }
    if args.delete_emptydir_data {
        flags.push(Flag::DeleteEmptydirData);
    }
    let mut reports = drain::predict(&drain::Input {
        nodes: &nodes,
        pods: &cluster_view.pods,
        pdbs: &cluster_view.pdbs,
        judged: &judged,
        locks,
        flags: &flags,
    });
    if args.server_dry_run {
        read::server_dry_run(&cluster, &mut reports).await?;
    }
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
