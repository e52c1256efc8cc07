//! The rules over PodDisruptionBudgets: a budget that blocks every drain at the pod count its
//! workloads run, one over a single pod that a crash loop would block, and budgets that select
//! the same pods (which the eviction API refuses).

use std::collections::HashMap;

use super::{Finding, finding};
use crate::audit::catalog::{RuleId, Severity};
use crate::audit::classify::{Class, Judged, PodRange};
use crate::audit::objects::{Objects, by_namespace, scope};
use crate::audit::pdb;
use crate::k8s::{ObjectRef, selects};

pub(super) fn pdb_rules(objects: &Objects, judged: &[Judged<'_>], out: &mut Vec<Finding>) {
    // Which workloads each PDB covers (same scope, selector matches the pod labels); opted-out
    // workloads are in no rule.
    let in_scope = by_namespace(
        judged.iter().filter(|j| j.class.class != Class::OptedOut),
        |j| j.workload.scope.as_str(),
    );
    let covered: Vec<Vec<&Judged<'_>>> = objects
        .pdbs
        .iter()
        .map(|p| {
            let scope = scope(&p.object.metadata, p.origin.as_ref());
            let selector = p.object.spec.as_ref().and_then(|s| s.selector.as_ref());
            in_scope
                .get(scope.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|j| match (selector, j.workload.pod_labels()) {
                    (Some(sel), Some(labels)) => selects(sel, labels),
                    _ => false,
                })
                .collect()
        })
        .collect();

    for (p, targets) in objects.pdbs.iter().zip(&covered) {
        let pdb_ref = ObjectRef::of("PodDisruptionBudget", &p.object.metadata);
        let Some(spec) = p.object.spec.as_ref() else {
            continue;
        };
        if targets.is_empty() {
            continue;
        }
        let pods = PodRange {
            min: targets.iter().map(|j| j.class.pods.min).sum::<i32>().max(1),
            max: targets.iter().map(|j| j.class.pods.max).sum::<i32>().max(1),
        };
        let over: Vec<String> = targets.iter().map(|j| pods_of(j)).collect();
        let evidence = format!(
            "{} over {pods}: {}",
            pdb::budget_words(spec),
            over.join(", ")
        );
        let blocked = |n: i32| pdb::disruptions_allowed(spec, n, n) == Some(0);
        if blocked(pods.min) {
            // Blocked at every count: an error. Blocked only while an autoscaler idles at its
            // minimum: a warning, since more load lifts it.
            let (when, severity) = if blocked(pods.max) {
                ("whatever the pods do".to_string(), Severity::Error)
            } else {
                // The largest count it still blocks at: `minAvailable: 80%` blocks at 1–4 pods.
                let top = (pods.min..pods.max)
                    .take_while(|n| blocked(*n))
                    .last()
                    .unwrap_or(pods.min);
                let when = if top == pods.min {
                    format!("while it runs its minimum of {}", pods.min)
                } else {
                    format!("while it runs {}–{top} pods", pods.min)
                };
                (when, Severity::Warning)
            };
            out.push(
                finding(
                    RuleId::PdbBlocksDrain,
                    pdb_ref.clone(),
                    p.origin.as_ref(),
                    format!(
                        "{} over {pods} allows 0 disruptions {when}: drains of their nodes hang",
                        pdb::budget_words(spec)
                    ),
                    "delete the PDB, or set maxUnavailable: 1",
                )
                .because([evidence.clone()])
                .at(severity),
            );
        }
        if pods.max == 1 && spec.unhealthy_pod_eviction_policy.as_deref() != Some("AlwaysAllow") {
            out.push(
                finding(
                    RuleId::PdbUnhealthyEviction,
                    pdb_ref,
                    p.origin.as_ref(),
                    format!(
                        "covers {} without unhealthyPodEvictionPolicy: AlwaysAllow: if that one pod crash-loops, it blocks drains",
                        targets[0].workload.reference
                    ),
                    "set spec.unhealthyPodEvictionPolicy: AlwaysAllow",
                )
                .because([evidence, "unhealthyPodEvictionPolicy unset (IfHealthyBudget)".into()]),
            );
        }
    }

    // The budgets over each workload, from the coverage above (each budget once, even when the
    // input holds the same workload twice).
    let mut budgets_of: HashMap<&ObjectRef, Vec<usize>> = HashMap::new();
    for (i, targets) in covered.iter().enumerate() {
        for j in targets {
            let budgets = budgets_of.entry(&j.workload.reference).or_default();
            if budgets.last() != Some(&i) {
                budgets.push(i);
            }
        }
    }
    same_selector_overlap(objects, &covered, out);
    for j in judged {
        let w = &j.workload;
        let Some(budgets) = budgets_of.get(&w.reference) else {
            continue;
        };
        if budgets.len() > 1 {
            let budgets: Vec<String> = budgets
                .iter()
                .map(|&i| {
                    objects.pdbs[i]
                        .object
                        .metadata
                        .name
                        .clone()
                        .unwrap_or_default()
                })
                .collect();
            out.push(
                finding(
                    RuleId::PdbOverlap,
                    w.reference.clone(),
                    w.origin,
                    format!(
                        "its pods are selected by {} PDBs ({}): the eviction API refuses them",
                        budgets.len(),
                        budgets.join(", ")
                    ),
                    "keep one PodDisruptionBudget for these pods",
                )
                .because(
                    budgets
                        .iter()
                        .map(|b| format!("PodDisruptionBudget {b} selects its pods")),
                ),
            );
        }
    }
}

/// PDBs with the same selector in the same scope select the same pods, whatever pods there are:
/// said once, on the later budget, when no workload in the input shows the overlap already.
fn same_selector_overlap(objects: &Objects, covered: &[Vec<&Judged<'_>>], out: &mut Vec<Finding>) {
    let mut seen: HashMap<(String, String), &str> = HashMap::new();
    for (p, targets) in objects.pdbs.iter().zip(covered) {
        let Some(selector) = p.object.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
            continue;
        };
        let empty = selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && selector
                .match_expressions
                .as_ref()
                .is_none_or(|e| e.is_empty());
        if empty || !targets.is_empty() {
            continue;
        }
        let Ok(canonical) = serde_json::to_string(selector) else {
            continue;
        };
        let name = p.object.metadata.name.as_deref().unwrap_or_default();
        let key = (scope(&p.object.metadata, p.origin.as_ref()), canonical);
        match seen.get(&key) {
            Some(first) => out.push(
                finding(
                    RuleId::PdbOverlap,
                    ObjectRef::of("PodDisruptionBudget", &p.object.metadata),
                    p.origin.as_ref(),
                    format!(
                        "has the same selector as PodDisruptionBudget {first}: the eviction API refuses every pod they select"
                    ),
                    "keep one PodDisruptionBudget for these pods",
                )
                .because([
                    format!("PodDisruptionBudget {first} selects {}", key.1),
                    format!("PodDisruptionBudget {name} selects {}", key.1),
                ]),
            ),
            None => {
                seen.insert(key, name);
            }
        }
    }
}

/// `Deployment/ns/web: replicas 1`, `Deployment/ns/api: HorizontalPodAutoscaler api 2–5 pods`.
fn pods_of(j: &Judged<'_>) -> String {
    match &j.class.autoscaler {
        Some((a, _)) if j.class.pods != PodRange::of(j.workload.replicas) => format!(
            "{} ({} {} {})",
            j.workload.reference, a.kind, a.name, j.class.pods
        ),
        _ => format!(
            "{} (replicas {})",
            j.workload.reference, j.workload.replicas
        ),
    }
}
