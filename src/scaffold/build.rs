//! The objects of each singleton pattern, and the comment that explains them.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSecurityContext, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service, ServiceAccount,
    ServicePort, ServiceSpec, TCPSocketAction, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use serde_json::Value;

use super::{Generated, Pattern, Spec};

use crate::k8s::MODE_ANNOTATION;

pub(super) fn labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), name.to_string()),
        ("app.kubernetes.io/instance".to_string(), name.to_string()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "kubectl-singleton".to_string(),
        ),
    ])
}

/// Pods are selected by the two labels that never change for the life of the workload.
pub(super) fn selector(name: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), name.to_string()),
            ("app.kubernetes.io/instance".to_string(), name.to_string()),
        ])),
        ..Default::default()
    }
}

pub(super) fn meta(spec: &Spec, name: &str, mode: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(&spec.name)),
        annotations: mode.map(|m| BTreeMap::from([(MODE_ANNOTATION.to_string(), m.to_string())])),
        ..Default::default()
    }
}

fn mode(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::LeaderElection => "leader-election",
        _ => "strict",
    }
}

pub(super) fn container(spec: &Spec) -> Container {
    let quantity = |q: &str| Quantity(q.to_string());
    let probe = spec.port.map(|port| Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            ..Default::default()
        }),
        period_seconds: Some(10),
        ..Default::default()
    });
    let mut env = Vec::new();
    if spec.pattern == Pattern::LeaderElection {
        let field = |path: &str| EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        };
        env.push(EnvVar {
            name: "POD_NAME".into(),
            value_from: Some(field("metadata.name")),
            ..Default::default()
        });
        env.push(EnvVar {
            name: "POD_NAMESPACE".into(),
            value_from: Some(field("metadata.namespace")),
            ..Default::default()
        });
        for (key, value) in [
            ("LEASE_NAME", spec.name.clone()),
            ("LEASE_DURATION", go_duration(spec.lease_duration)),
            ("RENEW_DEADLINE", go_duration(spec.renew_deadline)),
            ("RETRY_PERIOD", go_duration(spec.retry_period)),
        ] {
            env.push(EnvVar {
                name: key.into(),
                value: Some(value),
                ..Default::default()
            });
        }
    }
    Container {
        name: spec.name.clone(),
        image: Some(spec.image.clone()),
        ports: spec.port.map(|p| {
            vec![ContainerPort {
                container_port: i32::from(p),
                name: Some("main".into()),
                ..Default::default()
            }]
        }),
        env: (!env.is_empty()).then_some(env),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), quantity("100m")),
                ("memory".to_string(), quantity("128Mi")),
            ])),
            limits: Some(BTreeMap::from([("memory".to_string(), quantity("256Mi"))])),
            ..Default::default()
        }),
        readiness_probe: probe.clone(),
        liveness_probe: probe,
        volume_mounts: spec.storage.as_ref().map(|_| {
            vec![VolumeMount {
                name: "data".into(),
                mount_path: "/data".into(),
                ..Default::default()
            }]
        }),
        // Everything the Pod Security "restricted" profile demands.
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            run_as_non_root: Some(true),
            read_only_root_filesystem: Some(true),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(super) fn pod_template(
    spec: &Spec,
    restart_policy: Option<&str>,
    service_account: Option<&str>,
) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(&spec.name)),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container(spec)],
            restart_policy: restart_policy.map(str::to_string),
            service_account_name: service_account.map(str::to_string),
            automount_service_account_token: Some(service_account.is_some()),
            termination_grace_period_seconds: Some(spec.grace_period),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

pub(super) fn generated<T: serde::Serialize + k8s_openapi::Resource>(
    name: &str,
    object: &T,
) -> Generated {
    // k8s-openapi writes apiVersion and kind from the type; serialising a typed object cannot fail.
    let value = serde_json::to_value(object).unwrap_or(Value::Null);
    Generated {
        kind: T::KIND,
        name: name.to_string(),
        value,
    }
}

/// The objects for a validated spec, in apply order.
pub fn build(spec: &Spec) -> Vec<Generated> {
    let name = spec.name.as_str();
    match spec.pattern {
        Pattern::Statefulset => {
            let service = Service {
                metadata: meta(spec, name, None),
                spec: Some(ServiceSpec {
                    cluster_ip: Some("None".into()),
                    selector: selector(name).match_labels,
                    ports: spec.port.map(|p| {
                        vec![ServicePort {
                            name: Some("main".into()),
                            port: i32::from(p),
                            ..Default::default()
                        }]
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let claims = spec.storage.as_ref().map(|size| {
                vec![PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some("data".into()),
                        ..Default::default()
                    },
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec!["ReadWriteOnce".into()]),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some(BTreeMap::from([(
                                "storage".to_string(),
                                Quantity(size.clone()),
                            )])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]
            });
            let sts = StatefulSet {
                metadata: meta(spec, name, Some(mode(spec.pattern))),
                spec: Some(StatefulSetSpec {
                    replicas: Some(1),
                    service_name: Some(name.to_string()),
                    pod_management_policy: Some("OrderedReady".into()),
                    selector: selector(name),
                    template: pod_template(spec, None, None),
                    volume_claim_templates: claims,
                    ..Default::default()
                }),
                ..Default::default()
            };
            vec![generated(name, &service), generated(name, &sts)]
        }
        Pattern::Deployment => {
            let deployment = Deployment {
                metadata: meta(spec, name, Some(mode(spec.pattern))),
                spec: Some(DeploymentSpec {
                    replicas: Some(1),
                    strategy: Some(DeploymentStrategy {
                        type_: Some("Recreate".into()),
                        ..Default::default()
                    }),
                    selector: selector(name),
                    template: pod_template(spec, None, None),
                    ..Default::default()
                }),
                ..Default::default()
            };
            vec![generated(name, &deployment)]
        }
        Pattern::Exporter => super::exporter::build(spec),
        Pattern::Cronjob => {
            let cronjob = CronJob {
                metadata: meta(spec, name, Some(mode(spec.pattern))),
                spec: Some(CronJobSpec {
                    schedule: spec.schedule.clone().unwrap_or_default(),
                    concurrency_policy: Some("Forbid".into()),
                    starting_deadline_seconds: Some(60),
                    successful_jobs_history_limit: Some(3),
                    failed_jobs_history_limit: Some(3),
                    job_template: JobTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(labels(name)),
                            ..Default::default()
                        }),
                        spec: Some(JobSpec {
                            backoff_limit: Some(2),
                            active_deadline_seconds: Some(3600),
                            parallelism: Some(1),
                            completions: Some(1),
                            template: pod_template(spec, Some("Never"), None),
                            ..Default::default()
                        }),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            };
            vec![generated(name, &cronjob)]
        }
        Pattern::LeaderElection => {
            let account = ServiceAccount {
                metadata: meta(spec, name, None),
                ..Default::default()
            };
            let role = Role {
                metadata: meta(spec, name, None),
                rules: Some(vec![PolicyRule {
                    api_groups: Some(vec!["coordination.k8s.io".into()]),
                    resources: Some(vec!["leases".into()]),
                    verbs: ["get", "list", "watch", "create", "update", "patch"]
                        .map(String::from)
                        .to_vec(),
                    ..Default::default()
                }]),
            };
            let binding = RoleBinding {
                metadata: meta(spec, name, None),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name: name.into(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: name.into(),
                    namespace: Some(spec.namespace.clone()),
                    ..Default::default()
                }]),
            };
            let deployment = Deployment {
                metadata: meta(spec, name, Some(mode(spec.pattern))),
                spec: Some(DeploymentSpec {
                    replicas: Some(spec.replicas),
                    selector: selector(name),
                    template: pod_template(spec, None, Some(name)),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let pdb = PodDisruptionBudget {
                metadata: meta(spec, name, None),
                spec: Some(PodDisruptionBudgetSpec {
                    min_available: Some(IntOrString::Int(1)),
                    unhealthy_pod_eviction_policy: Some("AlwaysAllow".into()),
                    selector: Some(selector(name)),
                    ..Default::default()
                }),
                ..Default::default()
            };
            vec![
                generated(name, &account),
                generated(name, &role),
                generated(name, &binding),
                generated(name, &deployment),
                generated(name, &pdb),
            ]
        }
    }
}

/// What the leading YAML comment says for each pattern.
pub fn preface(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::Statefulset => {
            "# Strict at-most-one: a StatefulSet never starts a replacement pod before the old one is gone.\n\
             # No PodDisruptionBudget on purpose: over one replica any budget either deadlocks drains\n\
             # (minAvailable: 1) or protects nothing; a drain restarts this pod elsewhere instead.\n"
        }
        Pattern::Deployment => {
            "# Stateless singleton: strategy Recreate stops the old pod before the new one starts, so a\n\
             # rollout never runs two (a RollingUpdate would). At-least-once caveat: a node partition or\n\
             # a force-delete can still run two; use the statefulset or leader-election pattern if that matters.\n"
        }
        Pattern::Exporter => super::exporter::PREFACE,
        Pattern::Cronjob => {
            "# Scheduled singleton: concurrencyPolicy Forbid skips a run while the previous one is still going.\n"
        }
        Pattern::LeaderElection => {
            "# Leader election: several candidates, one active leader holding the Lease named in LEASE_NAME.\n\
             # The app must run client-go leaderelection (or equivalent) with POD_NAME as its identity and the\n\
             # timings in LEASE_DURATION / RENEW_DEADLINE / RETRY_PERIOD. The PDB keeps one candidate up\n\
             # while still letting drains through.\n"
        }
    }
}

/// Go's duration format, as client-go flags expect (`15s`, `2500ms`).
pub(super) fn go_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
