//! The static rules: pure functions over typed, classified objects, so manifests and live
//! objects are judged by the same code. Rules about running twice fire by class
//! (`classify`): errors and warnings only where the evidence says the workload must never run
//! twice, at most info where its intent is unknown.

use std::collections::HashMap;

use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::audit::catalog::{self, Severity};
use crate::audit::classify::{Class, Judged, PodRange};
use crate::audit::objects::{
    MODE_ANNOTATION, Mode, ObjectRef, Objects, Origin, reference, scope, selects,
};
use crate::audit::pdb;

/// One violation: which rule, on which object, what is wrong, why we think so, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub object: ObjectRef,
    pub origin: Option<Origin>,
    pub message: String,
    /// Short phrases: what the finding was decided from (`replicas 1`, `flag --leader-elect`).
    pub evidence: Vec<String>,
    pub fix: String,
}

pub(crate) fn finding(
    rule: &'static str,
    object: ObjectRef,
    origin: Option<&Origin>,
    message: String,
    fix: &str,
) -> Finding {
    let severity = catalog::rule(rule).map_or(Severity::Error, |r| r.severity);
    Finding {
        rule,
        severity,
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
        rollout_surge(j, &mut findings);
        replicas_not_one(j, &mut findings);
        leader_no_standby(j, &mut findings);
        grace_period_zero(j, &mut findings);
    }
    hpa_scales_singleton(objects, judged, &mut findings);
    pdb_rules(objects, judged, &mut findings);
    cronjob_rules(objects, &mut findings);
    statefulset_service(objects, &mut findings);
    removed_versions(objects, &mut findings);
    findings
}

fn rollout_surge(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    if w.reference.kind != "Deployment" {
        return;
    }
    let Some(severity) = running_twice_severity(j, Severity::Error) else {
        return;
    };
    let strategy = w.strategy.and_then(|s| s.type_.as_deref());
    if strategy.is_some_and(|t| t != "RollingUpdate") {
        // Recreate, or a type the API server would refuse: nothing surges.
        return;
    }
    let surge_value = w
        .strategy
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.max_surge.clone())
        .unwrap_or(IntOrString::String("25%".into()));
    let surge = pdb::scaled_up(&surge_value, w.replicas.max(1)).unwrap_or(1);
    if surge < 1 {
        return;
    }
    let shown = match &surge_value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => format!("{s} (= {surge})"),
    };
    let consequence = match &j.class.exclusive_claim {
        Some(claim) => format!(
            "a second pod starts during every rollout and shares ReadWriteOnce claim {claim} (or waits on Multi-Attach on another node)"
        ),
        None => "a second pod runs during every rollout".to_string(),
    };
    let fix = match (severity, j.class.class) {
        (Severity::Info, Class::LeaderElected) => {
            "if its leader election is off, turn it on, or set spec.strategy.type: Recreate; if it is on, annotate kubectl-singleton/mode: leader-election"
        }
        (Severity::Info, _) => DECLARE,
        _ => "set spec.strategy.type: Recreate",
    };
    out.push(
        finding(
            "rollout-surge",
            w.reference.clone(),
            w.origin,
            format!(
                "replicas {} with RollingUpdate maxSurge {shown}: {consequence}",
                w.replicas
            ),
            fix,
        )
        .because(j.class.evidence.iter().cloned())
        .at(severity),
    );
}

fn replicas_not_one(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    if w.mode == Mode::Strict && w.replicas != 1 {
        out.push(
            finding(
                "replicas-not-one",
                w.reference.clone(),
                w.origin,
                format!(
                    "annotated {MODE_ANNOTATION}: strict but asks for {} replicas",
                    w.replicas
                ),
                "set spec.replicas: 1",
            )
            .because([format!("replicas {}", w.replicas)]),
        );
    }
}

fn leader_no_standby(j: &Judged<'_>, out: &mut Vec<Finding>) {
    if j.class.class == Class::LeaderElected && j.class.pods.min < 2 {
        let w = &j.workload;
        out.push(
            finding(
                "leader-no-standby",
                w.reference.clone(),
                w.origin,
                format!(
                    "leader-elected with {}: no standby, failover waits for a new pod",
                    j.class.pods
                ),
                "set spec.replicas: 2 or more",
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

fn grace_period_zero(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    let grace = w
        .pod_spec()
        .and_then(|s| s.termination_grace_period_seconds);
    // A lease to release or work to finish: declared or leader-elected singletons. An inferred
    // controller reconciles from the cluster state again wherever it was stopped.
    let stateful = matches!(j.class.class, Class::Strict | Class::LeaderElected);
    if stateful && grace == Some(0) {
        out.push(
            finding(
                "grace-period-zero",
                w.reference.clone(),
                w.origin,
                "terminationGracePeriodSeconds: 0 kills it without a chance to release its lease or finish work".into(),
                "set terminationGracePeriodSeconds to 30 or more",
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

fn hpa_scales_singleton(objects: &Objects, judged: &[Judged<'_>], out: &mut Vec<Finding>) {
    let autoscalers = objects
        .hpas
        .iter()
        .map(|h| {
            (
                reference("HorizontalPodAutoscaler", &h.object.metadata),
                h.origin.as_ref(),
            )
        })
        .chain(objects.scaled_objects.iter().map(|s| {
            (
                reference("ScaledObject", &s.object.metadata),
                s.origin.as_ref(),
            )
        }));
    let origins: HashMap<ObjectRef, Option<&Origin>> = autoscalers.collect();
    for j in judged {
        let Some((autoscaler, range)) = &j.class.autoscaler else {
            continue;
        };
        if !j.class.class.must_not_run_twice() || range.max <= 1 {
            continue;
        }
        out.push(
            finding(
                "hpa-scales-singleton",
                autoscaler.clone(),
                origins.get(autoscaler).copied().flatten(),
                format!(
                    "scales {} {}, which must never run twice, to {}",
                    j.class.class.as_str(),
                    j.workload.reference,
                    range
                ),
                "delete the autoscaler or set maxReplicas: 1",
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

fn pdb_rules(objects: &Objects, judged: &[Judged<'_>], out: &mut Vec<Finding>) {
    // Which workloads each PDB covers (same scope, selector matches the pod labels); opted-out
    // workloads are in no rule.
    let in_scope = crate::audit::objects::by_namespace(
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
        let pdb_ref = reference("PodDisruptionBudget", &p.object.metadata);
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
        let evidence = format!("{} over {pods}: {}", budget_words(spec), over.join(", "));
        let blocked = |n: i32| pdb::disruptions_allowed(spec, n, n) == Some(0);
        if blocked(pods.min) {
            // Blocked at every count: an error. Blocked only while an autoscaler idles at its
            // minimum: a warning, since more load lifts it.
            let (when, severity) = if blocked(pods.max) {
                ("whatever the pods do".to_string(), Severity::Error)
            } else {
                (
                    format!("while it runs its minimum of {}", pods.min),
                    Severity::Warning,
                )
            };
            out.push(
                finding(
                    "pdb-blocks-drain",
                    pdb_ref.clone(),
                    p.origin.as_ref(),
                    format!(
                        "{} over {pods} allows 0 disruptions {when}: drains of their nodes hang",
                        budget_words(spec)
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
                    "pdb-unhealthy-eviction",
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
                    "pdb-overlap",
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
                    "pdb-overlap",
                    reference("PodDisruptionBudget", &p.object.metadata),
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

fn budget_words(spec: &PodDisruptionBudgetSpec) -> String {
    let show = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    match (&spec.max_unavailable, &spec.min_available) {
        (Some(max), _) => format!("maxUnavailable {}", show(max)),
        (None, Some(min)) => format!("minAvailable {}", show(min)),
        (None, None) => "an empty budget".to_string(),
    }
}

fn cronjob_rules(objects: &Objects, out: &mut Vec<Finding>) {
    for c in &objects.cronjobs {
        let meta = &c.object.metadata;
        let Some(spec) = c.object.spec.as_ref() else {
            continue;
        };
        let template_mode = spec
            .job_template
            .spec
            .as_ref()
            .and_then(|j| j.template.metadata.as_ref())
            .map_or(Mode::Unspecified, |m| Mode::of(m.annotations.as_ref()));
        let mode = match Mode::of(meta.annotations.as_ref()) {
            Mode::Unspecified => template_mode,
            mode => mode,
        };
        if mode == Mode::None {
            continue;
        }
        let reference = reference("CronJob", meta);
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        if policy == "Allow" {
            let declared = if spec.concurrency_policy.is_some() {
                "concurrencyPolicy: Allow".to_string()
            } else {
                "concurrencyPolicy unset (Allow)".to_string()
            };
            let (severity, evidence, fix) = if mode == Mode::Strict {
                (
                    Severity::Warning,
                    vec![format!("annotated {MODE_ANNOTATION}: strict"), declared],
                    "set spec.concurrencyPolicy: Forbid",
                )
            } else {
                (
                    Severity::Info,
                    vec![
                        declared,
                        "no evidence that runs must not overlap".to_string(),
                    ],
                    "if runs must not overlap, set spec.concurrencyPolicy: Forbid (and annotate kubectl-singleton/mode: strict); if they may, annotate kubectl-singleton/mode: none",
                )
            };
            out.push(
                finding(
                    "cronjob-concurrency",
                    reference.clone(),
                    c.origin.as_ref(),
                    "a run that outlasts its interval overlaps the next".into(),
                    fix,
                )
                .because(evidence)
                .at(severity),
            );
        }
        if spec.starting_deadline_seconds.is_none() {
            out.push(
                finding(
                    "cronjob-no-deadline",
                    reference,
                    c.origin.as_ref(),
                    "no startingDeadlineSeconds: missed runs may start late, or stop scheduling after 100 misses".into(),
                    "set spec.startingDeadlineSeconds (e.g. 300)",
                )
                .because(["startingDeadlineSeconds unset".to_string()]),
            );
        }
    }
}

fn statefulset_service(objects: &Objects, out: &mut Vec<Finding>) {
    for s in &objects.statefulsets {
        let sts = reference("StatefulSet", &s.object.metadata);
        let sts_scope = scope(&s.object.metadata, s.origin.as_ref());
        let Some(service_name) = s
            .object
            .spec
            .as_ref()
            .and_then(|sp| sp.service_name.as_deref())
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let in_namespace: Vec<_> = objects
            .services
            .iter()
            .filter(|svc| scope(&svc.object.metadata, svc.origin.as_ref()) == sts_scope)
            .collect();
        // Only judge what we can see: a bundle without any Service in this namespace may ship it elsewhere.
        if in_namespace.is_empty() && !objects.services_complete {
            continue;
        }
        let named = in_namespace
            .iter()
            .find(|svc| svc.object.metadata.name.as_deref() == Some(service_name));
        let headless = named.is_some_and(|svc| {
            svc.object
                .spec
                .as_ref()
                .and_then(|sp| sp.cluster_ip.as_deref())
                == Some("None")
        });
        if !headless {
            let why = if named.is_some() {
                "is not headless (clusterIP: None)"
            } else {
                "does not exist"
            };
            out.push(
                finding(
                    "statefulset-service",
                    sts,
                    s.origin.as_ref(),
                    format!("serviceName {service_name:?} {why}: its pods get no stable DNS names"),
                    "create a headless Service (clusterIP: None) with that name",
                )
                .because([
                    format!("serviceName {service_name}"),
                    format!("Service {service_name} {why}"),
                ]),
            );
        }
    }
}

fn removed_versions(objects: &Objects, out: &mut Vec<Finding>) {
    for r in &objects.removed_versions {
        out.push(
            finding(
                "removed-api-version",
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
mod tests {
    use super::*;
    use crate::audit::manifests;

    fn findings(yaml: &str) -> Vec<Finding> {
        let objects = manifests::parse("test.yaml", yaml).unwrap();
        let judged = crate::audit::classify::classify(&objects, false);
        check(&objects, &judged)
    }

    fn audit(yaml: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = findings(yaml)
            .into_iter()
            .map(|f| (f.rule.to_string(), f.object.to_string()))
            .collect();
        out.sort();
        out
    }

    /// (rule, severity) of the one finding about `rule`, if any.
    fn severity_of(yaml: &str, rule: &str) -> Option<Severity> {
        findings(yaml)
            .into_iter()
            .find(|f| f.rule == rule)
            .map(|f| f.severity)
    }

    #[test]
    fn rollout_surge_severity_follows_the_evidence() {
        let plain = deployment("", "");
        assert_eq!(severity_of(&plain, "rollout-surge"), Some(Severity::Info));
        let info = findings(&plain).remove(0);
        assert_eq!(
            info.evidence,
            vec![
                "replicas 1",
                "no RBAC seen lets ServiceAccount default write"
            ]
        );
        assert!(
            info.fix.contains("kubectl-singleton/mode: strict"),
            "{}",
            info.fix
        );
        let strict = deployment("", "kubectl-singleton/mode: strict");
        assert_eq!(severity_of(&strict, "rollout-surge"), Some(Severity::Error));
        let elected = deployment("", "kubectl-singleton/mode: leader-election");
        assert_eq!(severity_of(&elected, "rollout-surge"), None);
        let server = format!(
            "{plain}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: ns}}\nspec: {{selector: {{app: web}}, ports: [{{name: http, port: 80}}]}}\n"
        );
        assert_eq!(severity_of(&server, "rollout-surge"), None);
        let other = deployment(
            "  strategy: {type: Other}\n",
            "kubectl-singleton/mode: strict",
        );
        assert_eq!(severity_of(&other, "rollout-surge"), None);
    }

    #[test]
    fn pdbs_judge_the_autoscaled_pod_count() {
        let base = deployment("  replicas: 5\n", "");
        let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: ns}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 5\n  maxReplicas: 7\n";
        let blocked = findings(&format!(
            "{base}{hpa}{}",
            pdb(
                "p",
                "minAvailable: 10",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert_eq!(blocked.len(), 1, "{blocked:?}");
        assert_eq!(blocked[0].rule, "pdb-blocks-drain");
        assert!(
            blocked[0].message.contains("over 5–7 pods"),
            "{}",
            blocked[0].message
        );
        assert_eq!(
            blocked[0].evidence,
            vec![
                "minAvailable 10 over 5–7 pods: Deployment/ns/web (HorizontalPodAutoscaler h 5–7 pods)"
            ]
        );
        assert!(
            blocked[0].message.contains("whatever the pods do"),
            "{}",
            blocked[0].message
        );
        // minAvailable 6 blocks at 5 pods (where the autoscaler idles) but not at 7.
        let idle = findings(&format!(
            "{base}{hpa}{}",
            pdb(
                "p",
                "minAvailable: 6",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert!(
            idle[0].message.contains("while it runs its minimum of 5"),
            "{}",
            idle[0].message
        );
        // minAvailable 4 leaves one disruption even at 5 pods.
        assert!(
            audit(&format!(
                "{base}{hpa}{}",
                pdb(
                    "p",
                    "minAvailable: 4",
                    "unhealthyPodEvictionPolicy: AlwaysAllow"
                )
            ))
            .is_empty()
        );
    }

    #[test]
    fn cronjob_overlap_is_a_warning_only_when_declared_strict() {
        assert_eq!(
            severity_of(&cronjob(""), "cronjob-concurrency"),
            Some(Severity::Info)
        );
        let strict = cronjob("").replace(
            "metadata: {name: nightly, namespace: ns}",
            "metadata: {name: nightly, namespace: ns, annotations: {kubectl-singleton/mode: strict}}",
        );
        assert_eq!(
            severity_of(&strict, "cronjob-concurrency"),
            Some(Severity::Warning)
        );
    }

    fn deployment(extra_spec: &str, annotations: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ns\n  annotations: {{{annotations}}}\nspec:\n{extra_spec}  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    }

    fn ids(findings: &[(String, String)]) -> Vec<&str> {
        findings.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn rollout_surge_fires_on_the_default_strategy_with_replicas_unset() {
        assert_eq!(ids(&audit(&deployment("", ""))), vec!["rollout-surge"]);
    }

    #[test]
    fn rollout_surge_respects_recreate_zero_surge_and_int_surge() {
        assert!(audit(&deployment("  strategy: {type: Recreate}\n", "")).is_empty());
        let zero =
            "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n";
        assert!(audit(&deployment(zero, "")).is_empty());
        let one = "  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n";
        assert_eq!(ids(&audit(&deployment(one, ""))), vec!["rollout-surge"]);
        let pct = "  strategy: {rollingUpdate: {maxSurge: '0%', maxUnavailable: 1}}\n";
        assert!(audit(&deployment(pct, "")).is_empty());
    }

    #[test]
    fn several_replicas_are_not_a_singleton_unless_declared() {
        assert!(audit(&deployment("  replicas: 3\n", "")).is_empty());
        let strict = audit(&deployment(
            "  replicas: 3\n  strategy: {type: Recreate}\n",
            "kubectl-singleton/mode: strict",
        ));
        assert_eq!(ids(&strict), vec!["replicas-not-one"]);
    }

    #[test]
    fn mode_none_opts_out_and_leader_election_skips_run_twice_rules() {
        assert!(audit(&deployment("", "kubectl-singleton/mode: none")).is_empty());
        let le = audit(&deployment(
            "  replicas: 1\n",
            "kubectl-singleton/mode: leader-election",
        ));
        assert_eq!(ids(&le), vec!["leader-no-standby"]);
        assert!(
            audit(&deployment(
                "  replicas: 2\n",
                "kubectl-singleton/mode: leader-election"
            ))
            .is_empty()
        );
    }

    #[test]
    fn grace_period_zero_fires_for_singletons_only() {
        let zero = |replicas: u8| {
            format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db, namespace: ns, annotations: {{kubectl-singleton/mode: leader-election}}}}\nspec:\n  replicas: {replicas}\n  serviceName: db\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata: {{labels: {{app: db}}}}\n    spec: {{terminationGracePeriodSeconds: 0, containers: [{{name: c, image: x}}]}}\n"
            )
        };
        assert_eq!(
            ids(&audit(&zero(1))),
            vec!["grace-period-zero", "leader-no-standby"]
        );
        assert_eq!(ids(&audit(&zero(3))), vec!["grace-period-zero"]);
        // One replica and nothing known about it: not a singleton, nothing said.
        let unknown = zero(1).replace(
            ", annotations: {kubectl-singleton/mode: leader-election}",
            "",
        );
        assert!(audit(&unknown).is_empty());
    }

    fn hpa(kind: &str, name: &str, max: u8) -> String {
        format!(
            "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: ns}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}\n  minReplicas: 1\n  maxReplicas: {max}\n"
        )
    }

    #[test]
    fn hpa_rule_matches_target_by_kind_and_name() {
        let base = deployment(
            "  strategy: {type: Recreate}\n",
            "kubectl-singleton/mode: strict",
        );
        assert_eq!(
            audit(&format!("{base}{}", hpa("Deployment", "web", 3))),
            vec![(
                "hpa-scales-singleton".to_string(),
                "HorizontalPodAutoscaler/ns/h".to_string()
            )]
        );
        assert!(audit(&format!("{base}{}", hpa("Deployment", "web", 1))).is_empty());
        assert!(audit(&format!("{base}{}", hpa("StatefulSet", "web", 3))).is_empty());
        assert!(audit(&format!("{base}{}", hpa("Deployment", "other", 3))).is_empty());
    }

    fn pdb(name: &str, budget: &str, policy: &str) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  {budget}\n  {policy}\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    }

    #[test]
    fn pdb_deadlock_and_unhealthy_policy() {
        let base = deployment("  strategy: {type: Recreate}\n", "");
        let stuck = audit(&format!(
            "{base}{}",
            pdb(
                "p",
                "minAvailable: 1",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert_eq!(ids(&stuck), vec!["pdb-blocks-drain"]);
        let pct = audit(&format!(
            "{base}{}",
            pdb(
                "p",
                "minAvailable: '100%'",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert_eq!(ids(&pct), vec!["pdb-blocks-drain"]);
        let ok = audit(&format!(
            "{base}{}",
            pdb(
                "p",
                "maxUnavailable: 1",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert!(ok.is_empty(), "{ok:?}");
        let unhealthy = audit(&format!("{base}{}", pdb("p", "maxUnavailable: 1", "")));
        assert_eq!(ids(&unhealthy), vec!["pdb-unhealthy-eviction"]);
        // Two replicas under leader election with minAvailable 1 may lose one: fine.
        let le = deployment("  replicas: 2\n", "kubectl-singleton/mode: leader-election");
        let le_ok = audit(&format!(
            "{le}{}",
            pdb(
                "p",
                "minAvailable: 1",
                "unhealthyPodEvictionPolicy: AlwaysAllow"
            )
        ));
        assert!(le_ok.is_empty(), "{le_ok:?}");
    }

    #[test]
    fn two_pdbs_with_one_selector_overlap_without_a_workload() {
        let both = format!(
            "{}{}",
            pdb("a", "maxUnavailable: 1", ""),
            pdb("b", "maxUnavailable: 1", "")
        );
        assert_eq!(
            audit(&both),
            vec![(
                "pdb-overlap".to_string(),
                "PodDisruptionBudget/ns/b".to_string()
            )]
        );
        let apart = format!(
            "{}{}",
            pdb("a", "maxUnavailable: 1", ""),
            pdb("b", "maxUnavailable: 1", "").replace("app: web", "app: api")
        );
        assert!(audit(&apart).is_empty());
    }

    #[test]
    fn two_pdbs_over_one_workload_overlap() {
        let base = deployment("  replicas: 3\n", "");
        let both = format!(
            "{base}{}{}",
            pdb("a", "maxUnavailable: 1", ""),
            pdb("b", "maxUnavailable: 1", "")
        );
        assert_eq!(
            audit(&both),
            vec![("pdb-overlap".to_string(), "Deployment/ns/web".to_string())]
        );
        assert!(audit(&format!("{base}{}", pdb("a", "maxUnavailable: 1", ""))).is_empty());
    }

    fn cronjob(spec: &str) -> String {
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly, namespace: ns}}\nspec:\n  schedule: '0 3 * * *'\n{spec}  jobTemplate:\n    spec:\n      template:\n        spec: {{restartPolicy: Never, containers: [{{name: c, image: x}}]}}\n"
        )
    }

    #[test]
    fn cronjob_rules_fire_on_defaults_only() {
        assert_eq!(
            ids(&audit(&cronjob(""))),
            vec!["cronjob-concurrency", "cronjob-no-deadline"]
        );
        assert!(
            audit(&cronjob(
                "  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 300\n"
            ))
            .is_empty()
        );
        assert_eq!(
            ids(&audit(&cronjob(
                "  concurrencyPolicy: Allow\n  startingDeadlineSeconds: 60\n"
            ))),
            vec!["cronjob-concurrency"]
        );
    }

    #[test]
    fn statefulset_service_is_judged_only_when_services_are_in_the_input() {
        let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: ns}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c, image: x}]}\n";
        let svc = |name: &str, ip: &str| {
            format!(
                "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: ns}}\nspec: {{clusterIP: {ip}, selector: {{app: db}}}}\n"
            )
        };
        assert!(audit(sts).is_empty());
        assert!(audit(&format!("{sts}{}", svc("db", "None"))).is_empty());
        assert_eq!(
            ids(&audit(&format!("{sts}{}", svc("db", "10.0.0.1")))),
            vec!["statefulset-service"]
        );
        assert_eq!(
            ids(&audit(&format!("{sts}{}", svc("other", "None")))),
            vec!["statefulset-service"]
        );
    }
}
