use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::audit::manifests::parse;
use crate::audit::manifests::tests::lines;
use crate::audit::objects::Objects;

#[test]
fn the_old_versions_fixture_is_read_with_the_defaults_of_each_version() {
    let objects = parse(
        "old-versions.yaml",
        include_str!("../../../../tests/fixtures/old-versions.yaml"),
    )
    .unwrap();
    assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    let removed: Vec<(String, &str)> = objects
        .removed_versions
        .iter()
        .map(|r| (r.object.to_string(), r.api_version.as_str()))
        .collect();
    assert_eq!(
        removed,
        vec![
            ("Deployment/old/legacy".to_string(), "extensions/v1beta1"),
            (
                "PodDisruptionBudget/old/legacy".to_string(),
                "policy/v1beta1"
            ),
            (
                "PodDisruptionBudget/old/empty".to_string(),
                "policy/v1beta1"
            ),
            (
                "HorizontalPodAutoscaler/old/legacy".to_string(),
                "autoscaling/v2beta1"
            ),
            ("CronJob/old/legacy".to_string(), "batch/v1beta1"),
        ]
    );
    let spec = objects.deployments[0].object.spec.as_ref().unwrap();
    assert_eq!(
        spec.selector.match_labels.as_ref().unwrap()["app"],
        "legacy"
    );
    let rolling = spec
        .strategy
        .as_ref()
        .unwrap()
        .rolling_update
        .as_ref()
        .unwrap();
    assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));
    assert_eq!(lines(&objects.deployments), vec![6]);
}
#[test]
fn older_versions_are_read_as_current_and_recorded() {
    let text = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c, namespace: ns}\nspec: {schedule: '* * * * *', jobTemplate: {}}\n---\napiVersion: batch/v2alpha1\nkind: CronJob\nmetadata: {name: d}\nspec: {schedule: '* * * * *', jobTemplate: {}}\n---\napiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: r}\n---\napiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3, metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]}\n";
    let objects = parse("x.yaml", text).unwrap();
    assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    assert_eq!(objects.cronjobs.len(), 2);
    assert_eq!(objects.cluster_roles.len(), 1);
    assert_eq!(objects.hpas.len(), 1);
    let removed: Vec<(String, &str, &str, &str, u64)> = objects
        .removed_versions
        .iter()
        .map(|r| {
            (
                r.object.to_string(),
                r.api_version.as_str(),
                r.read_as,
                r.removed_in,
                r.origin.as_ref().unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        removed,
        vec![
            (
                "CronJob/ns/c".to_string(),
                "batch/v1beta1",
                "batch/v1",
                "1.25",
                1
            ),
            (
                "CronJob/default/d".to_string(),
                "batch/v2alpha1",
                "batch/v1",
                "1.21",
                6
            ),
            (
                "ClusterRole/default/r".to_string(),
                "rbac.authorization.k8s.io/v1beta1",
                "rbac.authorization.k8s.io/v1",
                "1.22",
                11
            ),
            (
                "HorizontalPodAutoscaler/default/h".to_string(),
                "autoscaling/v2beta2",
                "autoscaling/v2",
                "1.26",
                15
            ),
        ]
    );
}

#[test]
fn old_hpas_keep_their_target_and_bounds() {
    let text = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}\nstatus: {currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 10}\n---\napiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata: {name: b}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: cpu, targetAverageUtilization: 80}\n  - type: Pods\n    pods: {metricName: qps, targetAverageValue: 10}\nstatus: {currentReplicas: 1, desiredReplicas: 1, currentMetrics: [{type: Resource, resource: {name: cpu, currentAverageUtilization: 3}}]}\n";
    let objects = parse("x.yaml", text).unwrap();
    assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    let v1 = objects.hpas[0].object.spec.as_ref().unwrap();
    assert_eq!(
        (
            v1.scale_target_ref.name.as_str(),
            v1.min_replicas,
            v1.max_replicas
        ),
        ("web", Some(2), 4)
    );
    let cpu = &v1.metrics.as_ref().unwrap()[0];
    assert_eq!(
        cpu.resource.as_ref().unwrap().target.average_utilization,
        Some(70)
    );
    let v2beta1 = objects.hpas[1].object.spec.as_ref().unwrap();
    assert_eq!(
        (v2beta1.scale_target_ref.name.as_str(), v2beta1.max_replicas),
        ("web", 5)
    );
    // autoscaling/v1 is still served: read as v2, not a removed version.
    let removed: Vec<&str> = objects
        .removed_versions
        .iter()
        .map(|r| r.api_version.as_str())
        .collect();
    assert_eq!(removed, vec!["autoscaling/v2beta1"]);
}

fn deployment_at(api_version: &str, spec: &str) -> Objects {
    let text = format!(
        "apiVersion: {api_version}\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  template:\n    metadata: {{labels: {{app: a}}}}\n    spec: {{containers: []}}\n{spec}"
    );
    let objects = parse("x.yaml", &text).unwrap();
    assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    objects
}

#[test]
fn old_deployments_get_the_defaults_of_their_version() {
    let objects = deployment_at("extensions/v1beta1", "");
    let d = &objects.deployments[0].object;
    let spec = d.spec.as_ref().unwrap();
    // The selector and the labels default to the template's labels.
    let app = BTreeMap::from([("app".to_string(), "a".to_string())]);
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&app));
    assert_eq!(d.metadata.labels.as_ref(), Some(&app));
    // A rolling update of 1 and 1, not apps/v1's 25% and 25%.
    let strategy = spec.strategy.as_ref().unwrap();
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    let rolling = strategy.rolling_update.as_ref().unwrap();
    assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));
    assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(1)));
    assert_eq!(spec.progress_deadline_seconds, Some(i32::MAX));
    assert_eq!(objects.removed_versions[0].removed_in, "1.16");
    // What is written stays.
    let objects = deployment_at(
        "extensions/v1beta1",
        "  selector: {matchLabels: {app: b}}\n  strategy: {rollingUpdate: {maxSurge: 0}}\n",
    );
    let spec = objects.deployments[0].object.spec.as_ref().unwrap();
    assert_eq!(spec.selector.match_labels.as_ref().unwrap()["app"], "b");
    let rolling = spec
        .strategy
        .as_ref()
        .unwrap()
        .rolling_update
        .as_ref()
        .unwrap();
    assert_eq!(
        (rolling.max_surge.clone(), rolling.max_unavailable.clone()),
        (Some(IntOrString::Int(0)), Some(IntOrString::Int(1)))
    );
    let objects = deployment_at("extensions/v1beta1", "  strategy: {type: Recreate}\n");
    let strategy = objects.deployments[0]
        .object
        .spec
        .as_ref()
        .unwrap()
        .strategy
        .clone()
        .unwrap();
    assert_eq!(
        (strategy.type_.as_deref(), strategy.rolling_update),
        (Some("Recreate"), None)
    );
    // apps/v1beta1: the selector defaults too; the rolling update is apps/v1's (left unset).
    let objects = deployment_at("apps/v1beta1", "");
    let spec = objects.deployments[0].object.spec.as_ref().unwrap();
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&app));
    assert_eq!(spec.strategy, None);
    assert_eq!(spec.revision_history_limit, Some(2));
    // apps/v1beta2 has no such default, as apps/v1.
    let text = "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {metadata: {labels: {app: a}}}}\n";
    let objects = parse("x.yaml", text).unwrap();
    let spec = objects.deployments[0].object.spec.as_ref().unwrap();
    assert_eq!(spec.selector.match_labels, None);
}

#[test]
fn old_statefulsets_and_replicasets() {
    let text = "apiVersion: apps/v1beta1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: s, template: {metadata: {labels: {app: s}}}}\n---\napiVersion: extensions/v1beta1\nkind: ReplicaSet\nmetadata: {name: r}\nspec: {template: {metadata: {labels: {app: r}}}}\n---\napiVersion: apps/v1beta2\nkind: StatefulSet\nmetadata: {name: t}\nspec: {serviceName: t, selector: {matchLabels: {app: t}}, template: {}}\n---\napiVersion: extensions/v1beta1\nkind: StatefulSet\nmetadata: {name: never}\n";
    let objects = parse("x.yaml", text).unwrap();
    assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    let s = objects.statefulsets[0].object.spec.as_ref().unwrap();
    assert_eq!(s.selector.match_labels.as_ref().unwrap()["app"], "s");
    assert_eq!(
        s.update_strategy.as_ref().unwrap().type_.as_deref(),
        Some("OnDelete")
    );
    assert_eq!(objects.statefulsets.len(), 2);
    let r = objects.replicasets[0].object.spec.as_ref().unwrap();
    assert_eq!(r.selector.match_labels.as_ref().unwrap()["app"], "r");
    assert_eq!(objects.removed_versions.len(), 3);
    // extensions/v1beta1 never served StatefulSets.
    assert_eq!(
        objects.unknown_versions[0].api_version,
        "extensions/v1beta1"
    );
}

#[test]
fn a_v1beta1_budget_with_an_empty_selector_selects_nothing() {
    let pdb = |api_version: &str, selector: &str| {
        let text = format!(
            "apiVersion: {api_version}\nkind: PodDisruptionBudget\nmetadata: {{name: p}}\nspec: {{minAvailable: 1{selector}}}\n"
        );
        let objects = parse("x.yaml", &text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        objects.pdbs[0].object.spec.clone().unwrap().selector
    };
    let labels = BTreeMap::from([("app".to_string(), "a".to_string())]);
    let selects = |selector: Option<LabelSelector>| {
        selector.is_some_and(|s| crate::k8s::selects(&s, &labels))
    };
    assert!(selects(pdb("policy/v1", ", selector: {}")));
    for empty in [
        ", selector: {}",
        ", selector: {matchLabels: {}}",
        ", selector: {matchExpressions: []}",
    ] {
        assert!(!selects(pdb("policy/v1beta1", empty)), "{empty}");
    }
    assert!(!selects(pdb("policy/v1beta1", "")));
    assert!(selects(pdb(
        "policy/v1beta1",
        ", selector: {matchLabels: {app: a}}"
    )));
    // The API server's own stand-in for "every pod" in policy/v1beta1.
    assert!(selects(pdb(
        "policy/v1beta1",
        ", selector: {matchExpressions: [{key: pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match, operator: DoesNotExist}]}"
    )));
}

#[test]
fn a_kind_the_audit_reads_at_a_version_it_does_not_know_is_recorded() {
    let text = "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: a, namespace: ns}\n---\napiVersion: policy/v2\nkind: PodDisruptionBudget\nmetadata: {name: p}\n---\napiVersion: app/v1\nkind: Deployment\nmetadata: {name: typo}\n---\nkind: Service\nmetadata: {name: s}\n---\napiVersion: keda.sh/v1beta1\nkind: ScaledObject\nmetadata: {name: so}\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: knative}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: c}\n";
    let objects = parse("x.yaml", text).unwrap();
    let unknown: Vec<(String, &str, u64)> = objects
        .unknown_versions
        .iter()
        .map(|u| {
            (
                u.object.to_string(),
                u.api_version.as_str(),
                u.origin.as_ref().unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("Deployment/ns/a".to_string(), "apps/v2", 1),
            ("PodDisruptionBudget/default/p".to_string(), "policy/v2", 5),
            ("Deployment/default/typo".to_string(), "app/v1", 9),
            ("Service/default/s".to_string(), "", 13),
            ("ScaledObject/default/so".to_string(), "keda.sh/v1beta1", 16),
        ]
    );
    assert_eq!(objects.count(), 0);
    assert!(objects.unreadable.is_empty());
}
