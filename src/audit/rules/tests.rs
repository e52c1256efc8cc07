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
fn severity_of(yaml: &str, rule: RuleId) -> Option<Severity> {
    findings(yaml)
        .into_iter()
        .find(|f| f.rule == rule)
        .map(|f| f.severity)
}

#[test]
fn rollout_surge_severity_follows_the_evidence() {
    let plain = deployment("", "");
    assert_eq!(
        severity_of(&plain, RuleId::RolloutSurge),
        Some(Severity::Info)
    );
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
    assert_eq!(
        severity_of(&strict, RuleId::RolloutSurge),
        Some(Severity::Error)
    );
    let elected = deployment("", "kubectl-singleton/mode: leader-election");
    assert_eq!(severity_of(&elected, RuleId::RolloutSurge), None);
    let server = format!(
        "{plain}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: ns}}\nspec: {{selector: {{app: web}}, ports: [{{name: http, port: 80}}]}}\n"
    );
    assert_eq!(severity_of(&server, RuleId::RolloutSurge), None);
    let other = deployment(
        "  strategy: {type: Other}\n",
        "kubectl-singleton/mode: strict",
    );
    assert_eq!(severity_of(&other, RuleId::RolloutSurge), None);
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
    assert_eq!(blocked[0].rule, RuleId::PdbBlocksDrain);
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
    // minAvailable 6 blocks at 5 and 6 pods (from where the autoscaler idles) but not at 7.
    let idle = findings(&format!(
        "{base}{hpa}{}",
        pdb(
            "p",
            "minAvailable: 6",
            "unhealthyPodEvictionPolicy: AlwaysAllow"
        )
    ));
    assert!(
        idle[0].message.contains("while it runs 5–6 pods"),
        "{}",
        idle[0].message
    );
    let floor = findings(&format!(
        "{base}{hpa}{}",
        pdb(
            "p",
            "minAvailable: 5",
            "unhealthyPodEvictionPolicy: AlwaysAllow"
        )
    ));
    assert!(
        floor[0].message.contains("while it runs its minimum of 5"),
        "{}",
        floor[0].message
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
        severity_of(&cronjob(""), RuleId::CronjobConcurrency),
        Some(Severity::Info)
    );
    let strict = cronjob("").replace(
        "metadata: {name: nightly, namespace: ns}",
        "metadata: {name: nightly, namespace: ns, annotations: {kubectl-singleton/mode: strict}}",
    );
    assert_eq!(
        severity_of(&strict, RuleId::CronjobConcurrency),
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
