//! `singleton_node_drain_blocked{node,reason}`: drain-check's judgement (`crate::drain`, called,
//! not copied) over the exporter's caches at each audit. Each node is judged on its own, as if it
//! were the one drained now (a fresh budget ledger per node), assuming `kubectl drain
//! --ignore-daemonsets --force --delete-emptydir-data`: a node is blocked when an eviction would
//! be refused or wait, i.e. the drain would hang, not when kubectl merely wants a flag. Pure.
//!
//! Cardinality: only blocked nodes have a series (value 1), with one `reason` from a fixed set
//! of five, so a 2,000-node cluster adds a series per blocked node, not 2,000; the number of nodes
//! judged is `singleton_exporter_drain_checked_nodes`, so "no series" reads as "none blocked".

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::encode::{Family, Type};
use crate::drain::budget::Block;
use crate::drain::pod::Flag;
use crate::drain::{self, NodeReport};
use crate::lock::model::LockReport;

/// The flags assumed given: what is judged is whether evictions get through.
const ASSUMED: [Flag; 2] = [Flag::Force, Flag::DeleteEmptydirData];

/// One blocked node and its worst blocker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub node: String,
    /// `never-allows`, `several-budgets`, `unhealthy-pod`, `exhausted` or `not-observed`
    /// (`crate::drain::budget::Block`); `waits` only if drain-check ever blocks a node alone on
    /// a budget used by another node, which a node judged on its own does not.
    pub reason: &'static str,
}

/// Judges every node in `nodes` on its own; returns the blocked ones, sorted by node.
pub fn judge(
    nodes: &[String],
    pods: Vec<Pod>,
    pdbs: &[PodDisruptionBudget],
    locks: &[LockReport],
) -> Vec<Blocked> {
    let mut by_node: HashMap<String, Vec<Pod>> = HashMap::new();
    for pod in pods {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
            by_node.entry(node).or_default().push(pod);
        }
    }
    let mut blocked = Vec::new();
    for name in nodes {
        let Some(pods) = by_node.get(name) else {
            continue;
        };
        let node = Node {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                ..ObjectMeta::default()
            },
            ..Node::default()
        };
        let reports = drain::predict(&drain::Input {
            nodes: std::slice::from_ref(&node),
            pods,
            pdbs,
            judged: &[],
            locks,
            flags: &ASSUMED,
        });
        if let Some(reason) = reports.first().and_then(reason) {
            blocked.push(Blocked {
                node: name.clone(),
                reason,
            });
        }
    }
    blocked
}

/// The worst refused eviction's kind, else `waits`; none when the node drains.
fn reason(report: &NodeReport) -> Option<&'static str> {
    if report.drains() {
        return None;
    }
    let worst = report
        .pods
        .iter()
        .filter_map(|p| p.eviction.as_ref()?.block.as_ref())
        .min_by_key(|b| b.rank());
    Some(match worst {
        Some(Block::NeverAllows { .. }) => "never-allows",
        Some(Block::SeveralBudgets { .. }) => "several-budgets",
        Some(Block::UnhealthyPod { .. }) => "unhealthy-pod",
        Some(Block::Exhausted { .. }) => "exhausted",
        Some(Block::NotObserved { .. }) => "not-observed",
        None => "waits",
    })
}

/// `singleton_node_drain_blocked` and `singleton_exporter_drain_checked_nodes` (absent before
/// the first audit).
pub fn families(blocked: &[Blocked], checked: Option<usize>) -> Vec<Family> {
    let mut family = Family::new(
        "singleton_node_drain_blocked",
        Type::Gauge,
        "1 for a node whose drain would hang now (an eviction refused or waiting on a PodDisruptionBudget), by its worst reason; nodes that drain have no series. Judged at each audit.",
    );
    for b in blocked {
        family.push(
            vec![("node", b.node.clone()), ("reason", b.reason.to_string())],
            1.0,
        );
    }
    let mut checked_family = Family::new(
        "singleton_exporter_drain_checked_nodes",
        Type::Gauge,
        "Nodes the latest audit judged for singleton_node_drain_blocked. Absent before the first.",
    );
    if let Some(n) = checked {
        #[allow(clippy::cast_precision_loss)]
        checked_family.push(Vec::new(), n as f64);
    }
    vec![family, checked_family]
}

#[cfg(test)]
mod tests;
