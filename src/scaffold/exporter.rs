//! `scaffold exporter`: `kubectl singleton exporter` in its own Deployment. Strict (one replica,
//! strategy Recreate), not leader-elected: two exporters would serve every series twice and each
//! count the same leader changes, and Prometheus cannot tell the copies apart; a rollout's gap of
//! a few seconds only shows as `up == 0`, and `increase()` already handles the counter reset.
//! Read-only RBAC: list and watch of exactly the kinds the exporter watches, no Secrets.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    ContainerPort, HTTPGetAction, Probe, ResourceRequirements, Service, ServiceAccount,
    ServicePort, ServiceSpec,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::build::{container, generated, labels, meta, pod_template, selector};
use super::{Generated, Spec};

/// The port `--listen :9477` serves on (the default port of `kubectl singleton exporter`).
pub const PORT: u16 = 9477;

/// The alerting rules, as a plain Prometheus rules file (`groups:`), unit-tested by
/// `promtool test rules` against deploy/exporter/alerts_test.yaml.
pub const ALERTS: &str = include_str!("../../deploy/exporter/alerts.yaml");

/// The ClusterRole's rules: what `exporter::watch` lists and watches, nothing else.
fn read_only_rules() -> Vec<PolicyRule> {
    let rule = |group: &str, resources: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| (*r).to_string()).collect()),
        verbs: vec!["list".into(), "watch".into()],
        ..Default::default()
    };
    vec![
        rule("coordination.k8s.io", &["leases", "leasecandidates"]),
        rule("", &["configmaps", "endpoints", "pods", "nodes"]),
        rule("apps", &["replicasets", "statefulsets"]),
        rule("policy", &["poddisruptionbudgets"]),
    ]
}

/// Cluster-scoped objects carry no namespace.
fn cluster_meta(spec: &Spec) -> ObjectMeta {
    ObjectMeta {
        namespace: None,
        ..meta(spec, &spec.name, None)
    }
}

pub fn build(spec: &Spec) -> Vec<Generated> {
    let name = spec.name.as_str();
    let account = ServiceAccount {
        metadata: meta(spec, name, None),
        ..Default::default()
    };
    let role = ClusterRole {
        metadata: cluster_meta(spec),
        rules: Some(read_only_rules()),
        ..Default::default()
    };
    let binding = ClusterRoleBinding {
        metadata: cluster_meta(spec),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: name.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(spec.namespace.clone()),
            ..Default::default()
        }]),
    };
    let http = |path: &str, period: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("metrics".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        ..Default::default()
    };
    let mut main = container(spec);
    main.args = Some(
        ["exporter", "--listen", &format!(":{PORT}")]
            .map(String::from)
            .to_vec(),
    );
    main.ports = Some(vec![ContainerPort {
        container_port: i32::from(PORT),
        name: Some("metrics".into()),
        ..Default::default()
    }]);
    // Ready once every watch has synced; alive as long as it answers.
    main.readiness_probe = Some(http("/readyz", 10));
    main.liveness_probe = Some(http("/healthz", 20));
    let quantity = |q: &str| Quantity(q.to_string());
    main.resources = Some(ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), quantity("20m")),
            ("memory".to_string(), quantity("64Mi")),
        ])),
        limits: Some(BTreeMap::from([("memory".to_string(), quantity("256Mi"))])),
        ..Default::default()
    });
    let mut template = pod_template(spec, None, Some(name));
    if let Some(pod) = template.spec.as_mut() {
        pod.containers = vec![main];
    }
    let deployment = Deployment {
        metadata: meta(spec, name, Some("strict")),
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                ..Default::default()
            }),
            selector: selector(name),
            template,
            ..Default::default()
        }),
        ..Default::default()
    };
    let service = Service {
        metadata: meta(spec, name, None),
        spec: Some(ServiceSpec {
            selector: selector(name).match_labels,
            ports: Some(vec![ServicePort {
                name: Some("metrics".into()),
                port: i32::from(PORT),
                target_port: Some(IntOrString::String("metrics".into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut objects = vec![
        generated(name, &account),
        generated(name, &role),
        generated(name, &binding),
        generated(name, &deployment),
        generated(name, &service),
    ];
    if spec.service_monitor {
        objects.push(custom(
            "ServiceMonitor",
            spec,
            json!({
                "selector": { "matchLabels": selector(name).match_labels },
                "endpoints": [{ "port": "metrics", "path": "/metrics", "interval": "30s" }],
            }),
        ));
    }
    if spec.alerts {
        objects.push(custom("PrometheusRule", spec, alert_groups()));
    }
    objects
}

/// A prometheus-operator object (monitoring.coreos.com/v1): no typed struct exists for it.
fn custom(kind: &'static str, spec: &Spec, body: Value) -> Generated {
    let metadata = json!({
        "name": spec.name,
        "namespace": spec.namespace,
        "labels": labels(&spec.name),
    });
    Generated {
        kind,
        name: spec.name.clone(),
        value: json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": kind,
            "metadata": metadata,
            "spec": body,
        }),
    }
}

/// The rules file's `groups`, as a PrometheusRule's spec. The file is compiled in and tested, so
/// a parse failure is a build defect; it still degrades to no groups rather than a panic.
fn alert_groups() -> Value {
    crate::yaml::documents(ALERTS)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .map_or_else(|| json!({ "groups": [] }), |doc| doc.value)
}

pub const PREFACE: &str = "\
# kubectl singleton exporter: one replica, strategy Recreate (strict), not leader-elected: two\n\
# exporters would serve every series twice and count each leader change twice; a rollout's few\n\
# seconds without one show as up == 0 and counters restarting, which increase() absorbs.\n\
# Read-only ClusterRole: list/watch of leases, leasecandidates, configmaps, endpoints, pods, nodes, replicasets, statefulsets, poddisruptionbudgets; no Secrets.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alerts_file_parses_into_groups() {
        let groups = alert_groups();
        let names: Vec<&str> = groups["groups"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["alert"].as_str())
            .collect();
        assert!(names.contains(&"SingletonLeaderless"), "{names:?}");
        assert!(names.contains(&"SingletonZombieLeader"), "{names:?}");
        assert!(names.contains(&"NodeDrainBlocked"), "{names:?}");
    }

    #[test]
    fn the_role_reads_only_what_is_watched() {
        for rule in read_only_rules() {
            assert_eq!(rule.verbs, ["list", "watch"]);
            assert!(!rule.resources.unwrap().contains(&"secrets".to_string()));
        }
    }
}
