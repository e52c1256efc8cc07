//! The static rules: pure functions over typed, classified objects, so manifests and live
//! objects are judged by the same code. Rules about running twice fire by class
//! (`classify`): errors and warnings only where the evidence says the workload must never run
//! twice, at most info where its intent is unknown.
//!
//! Here: the finding, the severity of a running-twice rule by class, and `check`, which runs
//! every rule. The rules themselves: `workload` (Deployments, StatefulSets, ReplicaSets and their
//! autoscalers), `budgets` (PodDisruptionBudgets), `cronjob`; `removed-api-version` is below.

mod budgets;
mod cronjob;
mod workload;

use serde::Serialize;

use crate::audit::catalog::{self, RuleId, Severity};
use crate::audit::classify::{Class, Judged};
use crate::audit::objects::{Objects, Origin};
use crate::k8s::ObjectRef;

/// One violation: which rule, on which object, what is wrong, why we think so, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub object: ObjectRef,
    pub origin: Option<Origin>,
    pub message: String,
    /// Short phrases: what the finding was decided from (`replicas 1`, `flag --leader-elect`).
    pub evidence: Vec<String>,
    pub fix: String,
}

pub(crate) fn finding(
    rule: RuleId,
    object: ObjectRef,
    origin: Option<&Origin>,
    message: String,
    fix: &str,
) -> Finding {
    Finding {
        rule,
        severity: catalog::rule(rule).severity,
        object,
        origin: origin.cloned(),
        message,
        evidence: Vec::new(),
        fix: fix.to_string(),
    }
}

impl Finding {
    /// The evidence it was decided from.
    pub(crate) fn because(mut self, evidence: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(evidence);
        self
    }

    /// At another severity than the rule's own (lower where the evidence is weaker).
    pub(crate) fn at(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// How to say what a workload of unknown intent is, for info findings.
pub(crate) const DECLARE: &str = "if it must never run twice, annotate it kubectl-singleton/mode: strict; if it may, kubectl-singleton/mode: none";

/// The severity of a running-twice rule for a workload of this class; `None`: say nothing.
pub(crate) fn running_twice_severity(judged: &Judged<'_>, rule: Severity) -> Option<Severity> {
    match judged.class.class {
        Class::Strict => Some(rule),
        // Inferred from RBAC rather than declared: a warning, never an error.
        Class::Controller => Some(rule.min(Severity::Warning)),
        Class::SingleReplica if !judged.class.evidence_against => Some(Severity::Info),
        Class::LeaderElected if judged.class.election_unconfirmed && judged.class.pods.max == 1 => {
            Some(Severity::Info)
        }
        _ => None,
    }
}

/// Runs every static rule over classified workloads.
pub fn check(objects: &Objects, judged: &[Judged<'_>]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for j in judged {
        workload::rollout_surge(j, &mut findings);
        workload::replicas_not_one(j, &mut findings);
        workload::leader_no_standby(j, &mut findings);
        workload::grace_period_zero(j, &mut findings);
    }
    workload::hpa_scales_singleton(objects, judged, &mut findings);
    budgets::pdb_rules(objects, judged, &mut findings);
    cronjob::cronjob_rules(objects, &mut findings);
    workload::statefulset_service(objects, &mut findings);
    removed_versions(objects, &mut findings);
    findings
}

fn removed_versions(objects: &Objects, out: &mut Vec<Finding>) {
    for r in &objects.removed_versions {
        out.push(
            finding(
                RuleId::RemovedApiVersion,
                r.object.clone(),
                r.origin.as_ref(),
                format!(
                    "{} is not served since Kubernetes {}: audited as {}",
                    r.api_version, r.removed_in, r.read_as
                ),
                &format!(
                    "set apiVersion: {} (and check the fields that changed)",
                    r.read_as
                ),
            )
            .because([format!("apiVersion {}", r.api_version)]),
        );
    }
}

#[cfg(test)]
mod tests;
