//! `drain-check`'s prediction: for each node, what `kubectl drain --ignore-daemonsets` would
//! meet, pod by pod, and which nodes must wait for which when they are drained in order (a
//! budget one node uses up is gone for the next). Pure: it judges typed objects read once
//! (`read`), so it is tested with hand-built objects.
//!
//! - `pod`: what drain does with one pod (skips it, needs a flag, evicts it), and what evicting
//!   it costs (a singleton down, a leader's lease to wait out)
//! - `budget`: the Eviction API's answer for one pod now, and the budgets nodes share in order
//! - `read`: the one read of the cluster, and `--server-dry-run`'s evictions

pub mod budget;
pub mod pod;
pub mod read;

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde::Serialize;

use crate::audit::classify::Judged;
use crate::lock::model::LockReport;
use budget::Ledger;
use pod::{Flag, PodReport};

/// Everything the prediction reads, from one read of the cluster.
pub struct Input<'a> {
    /// The nodes to drain, in the order they would be drained.
    pub nodes: &'a [Node],
    /// Every pod of the cluster.
    pub pods: &'a [Pod],
    pub pdbs: &'a [PodDisruptionBudget],
    /// The audit's classification of every workload.
    pub judged: &'a [Judged<'a>],
    pub locks: &'a [LockReport],
    /// The `kubectl drain` flags assumed given (besides `--ignore-daemonsets`).
    pub flags: &'a [Flag],
}

/// Whether `kubectl drain` gets through a node now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drainable {
    Yes,
    /// An eviction is refused (a budget, several budgets) or waits for a node drained before.
    Blocked,
    /// kubectl refuses the node before evicting anything, unless given the flags in `needs`.
    NeedsFlags,
}

/// The prediction for one node.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    pub node: String,
    /// Already cordoned (`spec.unschedulable`).
    pub unschedulable: bool,
    pub drainable: Drainable,
    /// Flags kubectl drain would need for this node (`--force`, `--delete-emptydir-data`).
    pub needs: Vec<Flag>,
    /// Pods whose eviction is refused now or waits for an earlier node.
    pub blocked_pods: usize,
    /// Pods of workloads that must never run twice (the audit's strict and controller classes):
    /// down until rescheduled.
    pub singletons: usize,
    /// Pods holding a live leader-election lock.
    pub leaders: usize,
    /// Nodes drained before this one whose evictions used up a budget this one needs.
    pub waits_for: Vec<String>,
    /// The first blocker in words, and its fix.
    pub why: Option<String>,
    pub pods: Vec<PodReport>,
}

impl NodeReport {
    /// Whether `kubectl drain` with the assumed flags would drain it now.
    pub fn drains(&self) -> bool {
        self.drainable == Drainable::Yes
    }
}

/// The nodes to check: those named, in the order given, else every node listed (by name).
/// A name that is not among `listed` is the error.
pub fn select(listed: Vec<Node>, names: &[String]) -> Result<Vec<Node>, String> {
    if names.is_empty() {
        return Ok(listed);
    }
    let mut by_name: HashMap<String, Node> = listed
        .into_iter()
        .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
        .collect();
    names
        .iter()
        .map(|name| by_name.remove(name).ok_or_else(|| name.clone()))
        .collect()
}

/// Predicts every node of `input.nodes`, in their order: budgets used by one node's evictions
/// are not there for the next.
pub fn predict(input: &Input<'_>) -> Vec<NodeReport> {
    let by_node = pods_by_node(input.pods);
    let budgets = budget::Budgets::new(input.pdbs);
    let context = pod::Context::new(input.judged, input.locks);
    let mut ledger = Ledger::default();
    input
        .nodes
        .iter()
        .map(|node| {
            let name = node.metadata.name.clone().unwrap_or_default();
            let on_node = by_node.get(name.as_str()).cloned().unwrap_or_default();
            predict_node(
                node,
                name,
                &on_node,
                &budgets,
                &context,
                input.flags,
                &mut ledger,
            )
        })
        .collect()
}

fn pods_by_node(pods: &[Pod]) -> HashMap<&str, Vec<&Pod>> {
    let mut by_node: HashMap<&str, Vec<&Pod>> = HashMap::new();
    for p in pods {
        if let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            by_node.entry(node).or_default().push(p);
        }
    }
    for pods in by_node.values_mut() {
        pods.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
    }
    by_node
}

fn predict_node(
    node: &Node,
    name: String,
    pods: &[&Pod],
    budgets: &budget::Budgets<'_>,
    context: &pod::Context<'_>,
    flags: &[Flag],
    ledger: &mut Ledger,
) -> NodeReport {
    let mut reports: Vec<PodReport> = pods
        .iter()
        .map(|p| {
            let mut report = context.report(p);
            if report.skipped.is_none() {
                report.eviction = Some(budgets.answer(p, report.ready));
            }
            report
        })
        .collect();
    let mut needs: Vec<Flag> = reports
        .iter()
        .flat_map(|r| r.needs.iter().copied())
        .filter(|f| !flags.contains(f))
        .collect();
    needs.sort();
    needs.dedup();
    // kubectl refuses a node that needs a flag before it evicts anything: no budget is used.
    if needs.is_empty() {
        for report in &mut reports {
            if let Some(eviction) = &report.eviction {
                report.waits = ledger.take(eviction, &name);
            }
        }
    }
    let blocked_pods = reports.iter().filter(|r| r.blocks()).count();
    let mut waits_for: Vec<String> = reports
        .iter()
        .filter_map(|r| r.waits.as_ref())
        .flat_map(|w| w.nodes.iter().filter(|n| **n != name).cloned())
        .collect();
    waits_for.sort();
    waits_for.dedup();
    let drainable = if !needs.is_empty() {
        Drainable::NeedsFlags
    } else if blocked_pods > 0 {
        Drainable::Blocked
    } else {
        Drainable::Yes
    };
    let why = first_blocker(&reports, &needs);
    NodeReport {
        unschedulable: node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false),
        drainable,
        needs,
        blocked_pods,
        singletons: reports
            .iter()
            .filter(|r| r.singleton.as_ref().is_some_and(|s| s.must_not_run_twice))
            .count(),
        leaders: reports.iter().filter(|r| !r.leader.is_empty()).count(),
        waits_for,
        why,
        pods: reports,
        node: name,
    }
}

/// The first thing that stops the drain, in words with its fix: a missing flag first (kubectl
/// refuses before evicting), then the worst refused eviction, then a wait for an earlier node.
fn first_blocker(reports: &[PodReport], needs: &[Flag]) -> Option<String> {
    if let Some(flag) = needs.first() {
        let r = reports.iter().find(|r| r.needs.contains(flag))?;
        return Some(pod::needs_words(r, *flag));
    }
    let refused = reports
        .iter()
        .filter_map(|r| Some((r, r.eviction.as_ref()?.block.as_ref()?)))
        .min_by_key(|(_, block)| block.rank());
    if let Some((r, block)) = refused {
        return Some(block.words(&r.reference()));
    }
    reports
        .iter()
        .find_map(|r| Some((r, r.waits.as_ref().filter(|w| w.blocks)?)))
        .map(|(r, w)| w.words(&r.reference()))
}

#[cfg(test)]
mod tests;
