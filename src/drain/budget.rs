//! What the Eviction API answers for one pod now, as the API server decides it
//! (pkg/registry/core/pod/storage/eviction.go), and the budgets nodes drained in order share.
//!
//! The server's order: a pod that is finished, Pending or already deleting is evicted whatever
//! its budgets; several budgets over a pod are answered 500; an unready pod passes when its
//! budget says `AlwaysAllow`, or under `IfHealthyBudget` when the budget is satisfied without
//! it; a budget the disruption controller has not observed yet, or with no disruption left, is
//! answered 429. `disruptionsAllowed` is the budget's own `status`, which the server reads too.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use serde::Serialize;

use crate::audit::pdb;
use crate::k8s::selects;

/// HTTP status of an eviction the server accepts.
pub const EVICTED: u16 = 201;
/// A budget allows no disruption now.
pub const TOO_MANY_REQUESTS: u16 = 429;
/// Several budgets select the pod.
pub const INTERNAL_ERROR: u16 = 500;

/// The Eviction API's answer for one pod if asked now, on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Eviction {
    /// 201, 429 or 500.
    pub code: u16,
    /// `namespace/name` of every budget that selects the pod.
    pub budgets: Vec<String>,
    /// Why it is refused, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Block>,
    /// The disruption the eviction takes from its budget, when it takes one.
    #[serde(skip)]
    pub uses: Option<Use>,
}

/// An eviction that takes one of a budget's allowed disruptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub budget: String,
    /// The budget's `status.disruptionsAllowed` when read.
    pub allowed: i32,
}

/// Why an eviction is refused now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Block {
    /// The budget allows no disruption even with every pod healthy: blocked forever (the
    /// audit's `pdb-blocks-drain`).
    #[serde(rename_all = "camelCase")]
    NeverAllows {
        budget: String,
        /// `minAvailable 1 over 1 pod`.
        rule: String,
    },
    /// Several budgets select the pod: the server answers 500.
    SeveralBudgets { budgets: Vec<String> },
    /// The pod is not Ready and its budget keeps the default `IfHealthyBudget`.
    #[serde(rename_all = "camelCase")]
    UnhealthyPod { budget: String },
    /// No disruption left now; it comes back when enough pods are Ready again.
    #[serde(rename_all = "camelCase")]
    Exhausted {
        budget: String,
        current_healthy: i32,
        desired_healthy: i32,
    },
    /// The disruption controller has not observed the budget's latest generation yet.
    #[serde(rename_all = "camelCase")]
    NotObserved { budget: String },
}

impl Block {
    /// Worst first: what never clears, then what needs a configuration change, then waits.
    pub fn rank(&self) -> u8 {
        match self {
            Block::NeverAllows { .. } => 0,
            Block::SeveralBudgets { .. } => 1,
            Block::UnhealthyPod { .. } => 2,
            Block::Exhausted { .. } => 3,
            Block::NotObserved { .. } => 4,
        }
    }

    /// The blocker in words, with its fix, for the pod `pod` (`namespace/name`).
    pub fn words(&self, pod: &str) -> String {
        match self {
            Block::NeverAllows { budget, rule } => format!(
                "PDB {budget} ({rule}) never allows a disruption: the eviction of {pod} waits forever; fix: delete the PDB or set maxUnavailable: 1"
            ),
            Block::SeveralBudgets { budgets } => format!(
                "{pod} is selected by {} PDBs ({}): the Eviction API answers 500; fix: keep one PDB for these pods",
                budgets.len(),
                budgets.join(", ")
            ),
            Block::UnhealthyPod { budget } => format!(
                "{pod} is not Ready and PDB {budget} keeps IfHealthyBudget: its eviction waits until it is Ready; fix: set unhealthyPodEvictionPolicy: AlwaysAllow"
            ),
            Block::Exhausted {
                budget,
                current_healthy,
                desired_healthy,
            } => format!(
                "PDB {budget} allows 0 disruptions now ({current_healthy} healthy, {desired_healthy} wanted): {pod} waits until more of its pods are Ready"
            ),
            Block::NotObserved { budget } => format!(
                "PDB {budget} is not yet observed by the disruption controller: {pod} waits until it is"
            ),
        }
    }
}

/// The budgets of the cluster by namespace, for the pods each selects.
pub struct Budgets<'a> {
    by_namespace: HashMap<&'a str, Vec<&'a PodDisruptionBudget>>,
}

impl<'a> Budgets<'a> {
    pub fn new(pdbs: &'a [PodDisruptionBudget]) -> Self {
        let mut by_namespace: HashMap<&str, Vec<&PodDisruptionBudget>> = HashMap::new();
        for p in pdbs {
            by_namespace
                .entry(p.metadata.namespace.as_deref().unwrap_or_default())
                .or_default()
                .push(p);
        }
        for budgets in by_namespace.values_mut() {
            budgets.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        }
        Budgets { by_namespace }
    }

    /// The budgets whose selector selects the pod (a budget without a selector selects none,
    /// an empty one selects every pod of its namespace, as in policy/v1).
    fn covering(&self, pod: &Pod) -> Vec<&'a PodDisruptionBudget> {
        let empty = Default::default();
        let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
        self.by_namespace
            .get(pod.metadata.namespace.as_deref().unwrap_or_default())
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| {
                p.spec
                    .as_ref()
                    .and_then(|s| s.selector.as_ref())
                    .is_some_and(|s| selects(s, labels))
            })
            .collect()
    }

    /// The server's answer to evicting `pod` now.
    pub fn answer(&self, pod: &Pod, ready: bool) -> Eviction {
        let covering = self.covering(pod);
        let budgets: Vec<String> = covering.iter().map(|p| reference(p)).collect();
        let allowed = |uses| Eviction {
            code: EVICTED,
            budgets: budgets.clone(),
            block: None,
            uses,
        };
        let refused = |code, block| Eviction {
            code,
            budgets: budgets.clone(),
            block: Some(block),
            uses: None,
        };
        if ignores_budgets(pod) {
            return allowed(None);
        }
        let budget = match covering.as_slice() {
            [] => return allowed(None),
            [one] => *one,
            _ => {
                return refused(
                    INTERNAL_ERROR,
                    Block::SeveralBudgets {
                        budgets: budgets.clone(),
                    },
                );
            }
        };
        let name = reference(budget);
        let spec = budget.spec.clone().unwrap_or_default();
        let status = budget.status.clone().unwrap_or_default();
        if !ready {
            if spec.unhealthy_pod_eviction_policy.as_deref() == Some("AlwaysAllow") {
                return allowed(None);
            }
            if status.current_healthy >= status.desired_healthy && status.desired_healthy > 0 {
                return allowed(None);
            }
        }
        let observed = status.observed_generation.unwrap_or(0);
        if observed < budget.metadata.generation.unwrap_or(0) || budget.status.is_none() {
            return refused(TOO_MANY_REQUESTS, Block::NotObserved { budget: name });
        }
        if status.disruptions_allowed > 0 {
            return allowed(Some(Use {
                budget: name,
                allowed: status.disruptions_allowed,
            }));
        }
        let block = if !ready {
            Block::UnhealthyPod { budget: name }
        } else if never_allows(&spec, status.expected_pods) {
            Block::NeverAllows {
                budget: name,
                rule: format!(
                    "{} over {} pod{}",
                    pdb::budget_words(&spec),
                    status.expected_pods.max(1),
                    if status.expected_pods > 1 { "s" } else { "" }
                ),
            }
        } else {
            Block::Exhausted {
                budget: name,
                current_healthy: status.current_healthy,
                desired_healthy: status.desired_healthy,
            }
        };
        refused(TOO_MANY_REQUESTS, block)
    }
}

/// Finished, Pending and deleting pods are evicted whatever their budgets say.
fn ignores_budgets(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    matches!(phase, Some("Succeeded" | "Failed" | "Pending"))
        || pod.metadata.deletion_timestamp.is_some()
}

/// The audit's `pdb-blocks-drain` arithmetic: no disruption even with all `expected` pods healthy.
fn never_allows(spec: &PodDisruptionBudgetSpec, expected: i32) -> bool {
    let expected = expected.max(1);
    pdb::disruptions_allowed(spec, expected, expected) == Some(0)
}

fn reference(p: &PodDisruptionBudget) -> String {
    format!(
        "{}/{}",
        p.metadata.namespace.as_deref().unwrap_or_default(),
        p.metadata.name.as_deref().unwrap_or_default()
    )
}

/// A pod whose eviction is allowed on its own, but whose budget earlier evictions used up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Wait {
    pub budget: String,
    /// The nodes whose evictions used the budget (this node too when it evicts several pods).
    pub nodes: Vec<String>,
    /// True when other nodes used it: this node's drain waits until their pods are Ready
    /// elsewhere. False when only this node did: kubectl evicts its pods one after another.
    pub blocks: bool,
}

impl Wait {
    pub fn words(&self, pod: &str) -> String {
        format!(
            "PDB {} has no disruption left once node {} is drained: {pod} waits until those pods are Ready elsewhere; fix: drain {} first and wait for its pods",
            self.budget,
            self.nodes.join(", "),
            self.nodes.join(", ")
        )
    }
}

/// Disruptions left per budget as nodes are drained one after another.
#[derive(Debug, Default)]
pub struct Ledger(HashMap<String, Spent>);

#[derive(Debug)]
struct Spent {
    left: i32,
    by: Vec<String>,
}

impl Ledger {
    /// Takes the disruption `eviction` needs, for a pod on `node`; the wait when none is left.
    pub fn take(&mut self, eviction: &Eviction, node: &str) -> Option<Wait> {
        let used = eviction.uses.as_ref()?;
        let spent = self.0.entry(used.budget.clone()).or_insert(Spent {
            left: used.allowed,
            by: Vec::new(),
        });
        if spent.left > 0 {
            spent.left -= 1;
            if !spent.by.iter().any(|n| n == node) {
                spent.by.push(node.to_string());
            }
            return None;
        }
        let others: Vec<String> = spent.by.iter().filter(|n| *n != node).cloned().collect();
        Some(Wait {
            budget: used.budget.clone(),
            blocks: !others.is_empty(),
            nodes: if others.is_empty() {
                vec![node.to_string()]
            } else {
                others
            },
        })
    }
}
