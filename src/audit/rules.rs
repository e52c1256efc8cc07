//! The static rules: pure functions over typed objects, so manifests and live objects are judged
//! by the same code.

use std::collections::HashMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::audit::catalog::{self, Severity};
use crate::audit::objects::{
    Mode, ObjectRef, Objects, Origin, Workload, by_namespace, reference, selects,
};
use crate::audit::pdb;

/// One violation: which rule, on which object, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub object: ObjectRef,
    pub origin: Option<Origin>,
    pub message: String,
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
        fix: fix.to_string(),
    }
}

/// Runs every static rule.
pub fn check(objects: &Objects) -> Vec<Finding> {
    let workloads = objects.workloads();
    let mut findings = Vec::new();
    for w in &workloads {
        rollout_surge(w, &mut findings);
        replicas_not_one(w, &mut findings);
        leader_no_standby(w, &mut findings);
        grace_period_zero(w, &mut findings);
    }
    hpa_scales_singleton(objects, &workloads, &mut findings);
    pdb_rules(objects, &workloads, &mut findings);
    cronjob_rules(objects, &mut findings);
    statefulset_service(objects, &mut findings);
    findings
}

fn rollout_surge(w: &Workload<'_>, out: &mut Vec<Finding>) {
    if w.reference.kind != "Deployment" || !w.single_instance() {
        return;
    }
    if w.strategy
        .and_then(|s| s.type_.as_deref())
        .is_some_and(|t| t == "Recreate")
    {
        return;
    }
    let surge_value = w
        .strategy
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.max_surge.clone())
        .unwrap_or(IntOrString::String("25%".into()));
    let surge = pdb::scaled_up(&surge_value, w.replicas.max(1)).unwrap_or(1);
    if surge >= 1 {
        let shown = match &surge_value {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::String(s) => format!("{s} (= {surge})"),
        };
        out.push(finding(
            "rollout-surge",
            w.reference.clone(),
            w.origin,
            format!("replicas {} with RollingUpdate maxSurge {shown}: a second pod runs during every rollout", w.replicas),
            "set spec.strategy.type: Recreate",
        ));
    }
}

fn replicas_not_one(w: &Workload<'_>, out: &mut Vec<Finding>) {
    if w.mode == Mode::Strict && w.replicas != 1 {
        out.push(finding(
            "replicas-not-one",
            w.reference.clone(),
            w.origin,
            format!(
                "annotated {}: strict but asks for {} replicas",
                crate::audit::objects::MODE_ANNOTATION,
                w.replicas
            ),
            "set spec.replicas: 1",
        ));
    }
}

fn leader_no_standby(w: &Workload<'_>, out: &mut Vec<Finding>) {
    if w.mode == Mode::LeaderElection && w.replicas < 2 {
        out.push(finding(
            "leader-no-standby",
            w.reference.clone(),
            w.origin,
            format!(
                "leader-elected with {} replica(s): no standby, failover waits for a new pod",
                w.replicas
            ),
            "set spec.replicas: 2 or more",
        ));
    }
}

fn grace_period_zero(w: &Workload<'_>, out: &mut Vec<Finding>) {
    let grace = w
        .template
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.termination_grace_period_seconds);
    if w.singleton() && grace == Some(0) {
        out.push(finding(
            "grace-period-zero",
            w.reference.clone(),
            w.origin,
            "terminationGracePeriodSeconds: 0 kills it without a chance to release its lease or finish work".into(),
            "set terminationGracePeriodSeconds to 30 or more",
        ));
    }
}

fn hpa_scales_singleton(objects: &Objects, workloads: &[Workload<'_>], out: &mut Vec<Finding>) {
    let by_ref: HashMap<(&str, &str, &str), &Workload<'_>> = workloads
        .iter()
        .map(|w| {
            let r = &w.reference;
            ((r.kind.as_str(), r.namespace.as_str(), r.name.as_str()), w)
        })
        .collect();
    for hpa in &objects.hpas {
        let Some(spec) = hpa.object.spec.as_ref() else {
            continue;
        };
        let namespace = reference("HorizontalPodAutoscaler", &hpa.object.metadata).namespace;
        let target = by_ref
            .get(&(
                spec.scale_target_ref.kind.as_str(),
                namespace.as_str(),
                spec.scale_target_ref.name.as_str(),
            ))
            .copied();
        if let Some(w) = target.filter(|w| w.single_instance())
            && spec.max_replicas > 1
        {
            out.push(finding(
                "hpa-scales-singleton",
                reference("HorizontalPodAutoscaler", &hpa.object.metadata),
                hpa.origin.as_ref(),
                format!(
                    "scales single-instance {} up to maxReplicas {}",
                    w.reference, spec.max_replicas
                ),
                "delete the HPA or set maxReplicas: 1",
            ));
        }
    }
}

fn pdb_rules(objects: &Objects, workloads: &[Workload<'_>], out: &mut Vec<Finding>) {
    // Which workloads each PDB covers (same namespace, selector matches the pod labels).
    let in_namespace = by_namespace(workloads, |w| w.reference.namespace.as_str());
    let covered: Vec<Vec<&Workload<'_>>> = objects
        .pdbs
        .iter()
        .map(|p| {
            let namespace = reference("PodDisruptionBudget", &p.object.metadata).namespace;
            let selector = p.object.spec.as_ref().and_then(|s| s.selector.as_ref());
            in_namespace
                .get(namespace.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|w| match (selector, w.pod_labels()) {
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
        let singles: Vec<&&Workload<'_>> = targets.iter().filter(|w| w.singleton()).collect();
        if singles.is_empty() {
            continue;
        }
        let expected: i32 = targets.iter().map(|w| w.replicas).sum();
        if targets.iter().any(|w| w.single_instance())
            && pdb::disruptions_allowed(spec, expected, expected) == Some(0)
        {
            let names: Vec<String> = singles.iter().map(|w| w.reference.to_string()).collect();
            out.push(finding(
                "pdb-blocks-drain",
                pdb_ref.clone(),
                p.origin.as_ref(),
                format!(
                    "{} over {} ({expected} pod(s)) allows 0 disruptions forever: drains of its node hang",
                    budget_words(spec),
                    names.join(", ")
                ),
                "delete the PDB, or set maxUnavailable: 1",
            ));
        }
        if spec.unhealthy_pod_eviction_policy.as_deref() != Some("AlwaysAllow") {
            out.push(finding(
                "pdb-unhealthy-eviction",
                pdb_ref,
                p.origin.as_ref(),
                format!(
                    "covers singleton {} without unhealthyPodEvictionPolicy: AlwaysAllow: a crash-looping pod blocks drains",
                    singles[0].reference
                ),
                "set spec.unhealthyPodEvictionPolicy: AlwaysAllow",
            ));
        }
    }

    // The budgets over each workload, from the coverage above (each budget once, even when the
    // input holds the same workload twice).
    let mut budgets_of: HashMap<&ObjectRef, Vec<usize>> = HashMap::new();
    for (i, targets) in covered.iter().enumerate() {
        for w in targets {
            let budgets = budgets_of.entry(&w.reference).or_default();
            if budgets.last() != Some(&i) {
                budgets.push(i);
            }
        }
    }
    for w in workloads {
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
            out.push(finding(
                "pdb-overlap",
                w.reference.clone(),
                w.origin,
                format!(
                    "its pods are selected by {} PDBs ({}): the eviction API refuses them",
                    budgets.len(),
                    budgets.join(", ")
                ),
                "keep one PodDisruptionBudget for these pods",
            ));
        }
    }
}

fn budget_words(spec: &k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec) -> String {
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
        let opted_out = Mode::of(meta.annotations.as_ref()) == Mode::None;
        let Some(spec) = c.object.spec.as_ref().filter(|_| !opted_out) else {
            continue;
        };
        let reference = reference("CronJob", meta);
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        if policy == "Allow" {
            out.push(finding(
                "cronjob-concurrency",
                reference.clone(),
                c.origin.as_ref(),
                "concurrencyPolicy Allow (the default): a run that outlasts its interval overlaps the next".into(),
                "set spec.concurrencyPolicy: Forbid",
            ));
        }
        if spec.starting_deadline_seconds.is_none() {
            out.push(finding(
                "cronjob-no-deadline",
                reference,
                c.origin.as_ref(),
                "no startingDeadlineSeconds: missed runs may start late, or stop scheduling after 100 misses".into(),
                "set spec.startingDeadlineSeconds (e.g. 300)",
            ));
        }
    }
}

fn statefulset_service(objects: &Objects, out: &mut Vec<Finding>) {
    for s in &objects.statefulsets {
        let sts = reference("StatefulSet", &s.object.metadata);
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
            .filter(|svc| reference("Service", &svc.object.metadata).namespace == sts.namespace)
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
            out.push(finding(
                "statefulset-service",
                sts,
                s.origin.as_ref(),
                format!("serviceName {service_name:?} {why}: its pod gets no stable DNS name"),
                "create a headless Service (clusterIP: None) with that name",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::manifests;

    fn audit(yaml: &str) -> Vec<(String, String)> {
        let objects = manifests::parse("test.yaml", yaml).unwrap();
        let mut out: Vec<(String, String)> = check(&objects)
            .into_iter()
            .map(|f| (f.rule.to_string(), f.object.to_string()))
            .collect();
        out.sort();
        out
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
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db, namespace: ns}}\nspec:\n  replicas: {replicas}\n  serviceName: db\n  selector: {{matchLabels: {{app: db}}}}\n  template:\n    metadata: {{labels: {{app: db}}}}\n    spec: {{terminationGracePeriodSeconds: 0, containers: [{{name: c, image: x}}]}}\n"
            )
        };
        assert_eq!(ids(&audit(&zero(1))), vec!["grace-period-zero"]);
        assert!(audit(&zero(3)).is_empty());
    }

    fn hpa(kind: &str, name: &str, max: u8) -> String {
        format!(
            "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: ns}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}\n  minReplicas: 1\n  maxReplicas: {max}\n"
        )
    }

    #[test]
    fn hpa_rule_matches_target_by_kind_and_name() {
        let base = deployment("  strategy: {type: Recreate}\n", "");
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
