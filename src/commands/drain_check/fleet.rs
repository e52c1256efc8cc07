//! `drain-check` over a fleet (`--context a,b`, `--all-contexts`, `--context-regex`): every
//! cluster read and predicted on its own connection at once, then one node table with a first
//! CONTEXT column (or, for one node NAME, its pods in each cluster that has it), one summary
//! line per cluster and one for the fleet. `-o json|yaml` is one `DrainCheckList` whose items
//! carry their `context` and whose `clusters` list says what each cluster answered.
//!
//! Node NAMEs apply to every cluster: a cluster without a name checks the names it has, and
//! only a name no cluster has is an error (exit 3), as one cluster without it would be.

use std::io::Write;

use serde::Serialize;

use crate::cli::DrainCheckArgs;
use crate::commands;
use crate::commands::drain_check::view;
use crate::commands::drain_check::{self, Checked, Missing};
use crate::drain::NodeReport;
use crate::drain::pod::Flag;
use crate::error::{Error, Result};
use crate::kube::fleet::{self, ClusterEntry, Member};
use crate::options::{DrainCheckFormat, Options};
use crate::render;

pub async fn run(args: &DrainCheckArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let format = options.output.drain_check()?;
    let members = commands::read_fleet(options, |cluster, _| async move {
        drain_check::check(&cluster, args, Missing::Skip).await
    })
    .await?;
    for (context, checked) in read(&members) {
        for notice in &checked.notices {
            options
                .palette
                .warn(&format!("context {context}: {notice}"));
        }
    }
    let flags = drain_check::flags(args);
    match format {
        DrainCheckFormat::Json | DrainCheckFormat::Yaml => render::document(
            &document(&members, &flags, args.server_dry_run),
            format == DrainCheckFormat::Yaml,
            out,
        )?,
        DrainCheckFormat::Table if args.nodes.len() == 1 => {
            out.write_all(details(&members, options).as_bytes())?;
            out.write_all(summary(&members).as_bytes())?;
        }
        DrainCheckFormat::Table => {
            out.write_all(table(&members, args.server_dry_run, options).as_bytes())?;
            out.write_all(summary(&members).as_bytes())?;
        }
    }
    out.flush()?;
    fleet::failures(&members)?;
    nothing_missing(args, &members)?;
    let nodes: Vec<(&str, &NodeReport)> = read(&members)
        .flat_map(|(context, c)| c.reports.iter().map(move |r| (context, r)))
        .collect();
    let stuck: Vec<String> = nodes
        .iter()
        .filter(|(_, r)| !r.drains())
        .map(|(context, r)| format!("{context}/{}", r.node))
        .collect();
    if !stuck.is_empty() {
        return Err(Error::Refused(format!(
            "{} of {} node(s) in the fleet cannot be drained now: {}",
            stuck.len(),
            nodes.len(),
            stuck.join(", ")
        )));
    }
    Ok(())
}

/// The clusters that were read, with their context.
fn read(members: &[Member<Checked>]) -> impl Iterator<Item = (&str, &Checked)> {
    members
        .iter()
        .filter_map(|m| m.outcome.as_ref().ok().map(|c| (m.context.as_str(), c)))
}

/// Every cluster was read: a NAME no cluster has, or no node selected anywhere, is exit 3.
fn nothing_missing(args: &DrainCheckArgs, members: &[Member<Checked>]) -> Result<()> {
    let has = |name: &str| read(members).any(|(_, c)| c.reports.iter().any(|r| r.node == name));
    let missing: Vec<&str> = args
        .nodes
        .iter()
        .map(String::as_str)
        .filter(|name| !has(name))
        .collect();
    let among = match &args.selector {
        Some(selector) => format!("among the nodes matching {selector} "),
        None => String::new(),
    };
    if !missing.is_empty() {
        return Err(Error::env(format!(
            "node(s) {} not found {among}in any of the {} clusters",
            missing.join(", "),
            members.len()
        )));
    }
    if read(members).all(|(_, c)| c.reports.is_empty()) {
        return Err(Error::env(match &args.selector {
            Some(selector) => format!("no node matches {selector} in any of the clusters"),
            None => "none of the clusters has nodes".to_string(),
        }));
    }
    Ok(())
}

fn table(members: &[Member<Checked>], server_dry_run: bool, options: &Options) -> String {
    let parts = read(members)
        .map(|(context, checked)| (context, view::table_parts(&checked.reports, server_dry_run)));
    render::context_table(parts, options.no_headers, options.palette)
}

/// One node NAME: its pods in every cluster that has it, each under a `Context:` line.
fn details(members: &[Member<Checked>], options: &Options) -> String {
    let mut text = String::new();
    for (context, checked) in read(members) {
        for report in &checked.reports {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("Context:     {context}\n"));
            text.push_str(&view::detail(report, options));
        }
    }
    text
}

/// One line per cluster, then the fleet's: how many nodes, and which cannot be drained.
fn summary(members: &[Member<Checked>]) -> String {
    let mut text = String::from("\n");
    let (mut nodes, mut stuck) = (0, 0);
    for member in members {
        let Ok(checked) = &member.outcome else {
            text.push_str(&format!(
                "{}: not read (the error is on stderr)\n",
                member.context
            ));
            continue;
        };
        let blocked: Vec<&str> = checked
            .reports
            .iter()
            .filter(|r| !r.drains())
            .map(|r| r.node.as_str())
            .collect();
        nodes += checked.reports.len();
        stuck += blocked.len();
        let which = if blocked.is_empty() {
            String::new()
        } else {
            format!(": {}", blocked.join(", "))
        };
        text.push_str(&format!(
            "{}: {} node(s), {} cannot be drained now{which}\n",
            member.context,
            checked.reports.len(),
            blocked.len()
        ));
    }
    text.push_str(&format!(
        "fleet: {nodes} node(s), {stuck} cannot be drained now, in {} of {} clusters\n",
        read(members).count(),
        members.len()
    ));
    text
}

/// `-o json|yaml`: one `DrainCheckList` for the fleet (docs/drain-check.schema.json).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FleetList<'a> {
    api_version: &'static str,
    kind: &'static str,
    assumed_flags: &'a [Flag],
    server_dry_run: bool,
    items: Vec<InContext<'a>>,
    clusters: Vec<ClusterEntry>,
}

/// A node of one cluster, `context` first.
#[derive(Serialize)]
struct InContext<'a> {
    context: &'a str,
    #[serde(flatten)]
    item: &'a NodeReport,
}

fn document<'a>(
    members: &'a [Member<Checked>],
    flags: &'a [Flag],
    server_dry_run: bool,
) -> FleetList<'a> {
    FleetList {
        api_version: render::API_VERSION,
        kind: "DrainCheckList",
        assumed_flags: flags,
        server_dry_run,
        items: read(members)
            .flat_map(|(context, c)| {
                c.reports
                    .iter()
                    .map(move |item| InContext { context, item })
            })
            .collect(),
        clusters: fleet::cluster_entries(members),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drain::Drainable;

    fn node(name: &str, drainable: Drainable) -> NodeReport {
        NodeReport {
            node: name.into(),
            unschedulable: false,
            drainable,
            needs: Vec::new(),
            blocked_pods: 0,
            singletons: 0,
            leaders: 0,
            waits_for: Vec::new(),
            why: None,
            pods: Vec::new(),
        }
    }

    fn member(context: &str, outcome: Result<Vec<NodeReport>>) -> Member<Checked> {
        Member {
            context: context.into(),
            server: None,
            server_time: None,
            outcome: outcome.map(|reports| Checked {
                reports,
                notices: Vec::new(),
            }),
        }
    }

    fn args(nodes: &[&str]) -> DrainCheckArgs {
        DrainCheckArgs {
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
            selector: None,
            force: false,
            delete_emptydir_data: false,
            server_dry_run: false,
            assume_singleton: false,
        }
    }

    #[test]
    fn summary_counts_each_cluster_and_the_fleet() {
        let members = [
            member("east", Ok(vec![node("n1", Drainable::Yes)])),
            member(
                "west",
                Ok(vec![
                    node("n1", Drainable::Blocked),
                    node("n2", Drainable::Yes),
                ]),
            ),
            member("dead", Err(Error::env("connection refused"))),
        ];
        assert_eq!(
            summary(&members),
            "\neast: 1 node(s), 0 cannot be drained now\n\
             west: 2 node(s), 1 cannot be drained now: n1\n\
             dead: not read (the error is on stderr)\n\
             fleet: 3 node(s), 1 cannot be drained now, in 2 of 3 clusters\n"
        );
    }

    #[test]
    fn a_name_is_missing_only_when_no_cluster_has_it() {
        let members = [
            member("east", Ok(vec![node("n1", Drainable::Yes)])),
            member("west", Ok(Vec::new())),
        ];
        assert!(nothing_missing(&args(&["n1"]), &members).is_ok());
        let err = nothing_missing(&args(&["n1", "n9"]), &members).unwrap_err();
        assert_eq!(
            err.to_string(),
            "node(s) n9 not found in any of the 2 clusters"
        );
        let empty = [member("west", Ok(Vec::new()))];
        assert_eq!(
            nothing_missing(&args(&[]), &empty).unwrap_err().to_string(),
            "none of the clusters has nodes"
        );
    }
}
