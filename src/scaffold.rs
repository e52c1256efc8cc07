//! Manifests for each singleton pattern, built as typed k8s-openapi objects (never string
//! templates), plus the validation of what the user asked for. Pure: no I/O.

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

use crate::audit::objects::MODE_ANNOTATION;

/// The singleton patterns `scaffold` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pattern {
    /// Strict at-most-one: a one-replica StatefulSet and its headless Service
    Statefulset,
    /// Stateless singleton: a one-replica Deployment that stops the old pod before starting the new
    Deployment,
    /// Scheduled singleton: a CronJob whose runs never overlap
    Cronjob,
    /// Several candidates, one active leader through a Lease
    LeaderElection,
}

/// Everything a scaffold needs, already validated.
#[derive(Debug, Clone)]
pub struct Spec {
    pub pattern: Pattern,
    pub name: String,
    pub namespace: String,
    pub image: String,
    pub port: Option<u16>,
    pub grace_period: i64,
    pub storage: Option<String>,
    pub schedule: Option<String>,
    pub replicas: i32,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

/// One generated object: its kind and name (for file names) and its serialised form.
pub struct Generated {
    pub kind: &'static str,
    pub name: String,
    pub value: Value,
}

fn labels(name: &str) -> BTreeMap<String, String> {
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
fn selector(name: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), name.to_string()),
            ("app.kubernetes.io/instance".to_string(), name.to_string()),
        ])),
        ..Default::default()
    }
}

fn meta(spec: &Spec, name: &str, mode: Option<&str>) -> ObjectMeta {
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

fn container(spec: &Spec) -> Container {
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

fn pod_template(
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

fn generated<T: serde::Serialize + k8s_openapi::Resource>(name: &str, object: &T) -> Generated {
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
pub fn go_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A DNS-1123 label (what Kubernetes requires of most names).
pub fn check_name(name: &str) -> Result<(), String> {
    crate::names::dns_label(name).map_err(|rule| format!("invalid NAME {name:?}: {rule}"))
}

/// An image reference: `[registry/]repository[:tag][@digest]`, no spaces or upper case in the repository.
pub fn check_image(image: &str) -> Result<(), String> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(|d| {
        d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    });
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (rest, None),
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !t.starts_with(['.', '-'])
    });
    let mut parts: Vec<&str> = repository.split('/').collect();
    // The first component is a registry host only when it looks like one (docker's rule).
    let registry_ok = match parts.first() {
        Some(first) if parts.len() > 1 && (first.contains(['.', ':']) || *first == "localhost") => {
            let host = parts.remove(0);
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        }
        _ => true,
    };
    let repo_ok = !repository.is_empty()
        && registry_ok
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if digest_ok && tag_ok && repo_ok {
        Ok(())
    } else {
        Err(format!(
            "invalid --image {image:?}: expected [registry/]repository[:tag][@sha256:digest]"
        ))
    }
}

/// A standard 5-field cron schedule (or a `@daily`-style macro), as the CronJob controller reads it.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    let err = |why: &str| Err(format!("invalid --schedule {schedule:?}: {why}"));
    let text = schedule.trim();
    if text.starts_with('@') {
        return match text {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            _ => err("unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)"),
        };
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return err("expected 5 fields: minute hour day-of-month month day-of-week");
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let ranges: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day-of-month", 1, 31, &[]),
        ("month", 1, 12, &MONTHS),
        ("day-of-week", 0, 7, &DAYS),
    ];
    for (field, (what, lo, hi, names)) in fields.iter().zip(ranges) {
        let value = |v: &str| -> Option<u32> {
            if let Some(i) = names.iter().position(|n| v.eq_ignore_ascii_case(n)) {
                return Some(i as u32 + lo);
            }
            v.parse().ok().filter(|n| (lo..=hi).contains(n))
        };
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            if step.is_some_and(|s| s.parse::<u32>().map_or(true, |n| n == 0)) {
                return err(&format!("bad step in the {what} field {field:?}"));
            }
            let ok = match range {
                "*" | "?" => true,
                _ => match range.split_once('-') {
                    Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                    None => value(range).is_some(),
                },
            };
            if !ok {
                return err(&format!(
                    "the {what} field {field:?} is out of range {lo}-{hi}"
                ));
            }
        }
    }
    Ok(())
}

/// A resource quantity such as `1Gi` or `500M`.
pub fn check_quantity(size: &str) -> Result<(), String> {
    let digits = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let (number, suffix) = size.split_at(digits);
    let number_ok = !number.is_empty() && number.parse::<f64>().is_ok_and(|n| n > 0.0);
    let suffix_ok = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
    ]
    .contains(&suffix);
    if number_ok && suffix_ok {
        Ok(())
    } else {
        Err(format!(
            "invalid --storage {size:?}: use a quantity such as 1Gi or 500Mi"
        ))
    }
}

/// client-go's own rule: leaseDuration > renewDeadline > 1.2 × retryPeriod.
pub fn check_timings(lease: Duration, renew: Duration, retry: Duration) -> Result<(), String> {
    if lease <= renew {
        return Err(format!(
            "--lease-duration ({}) must be longer than --renew-deadline ({})",
            go_duration(lease),
            go_duration(renew)
        ));
    }
    if renew.as_secs_f64() <= 1.2 * retry.as_secs_f64() {
        return Err(format!(
            "--renew-deadline ({}) must be longer than 1.2 × --retry-period ({})",
            go_duration(renew),
            go_duration(retry)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_dns_labels() {
        assert!(check_name("report-scheduler").is_ok());
        for bad in ["", "Report", "-x", "x-", "a_b", &"a".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn images() {
        for good in [
            "nginx",
            "nginx:1.27",
            "registry.example:5000/team/app:v1.2.3",
            "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(check_image(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:bad tag",
            "a//b",
            "nginx@sha256:xyz",
        ] {
            assert!(check_image(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn schedules() {
        for good in [
            "* * * * *",
            "*/5 0-6 1,15 jan-mar mon-fri",
            "0 3 * * 7",
            "@daily",
        ] {
            assert!(check_schedule(good).is_ok(), "{good}");
        }
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "@sometimes",
            "5-1 * * * *",
        ] {
            assert!(check_schedule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timings_follow_client_go() {
        let s = Duration::from_secs;
        assert!(check_timings(s(15), s(10), s(2)).is_ok());
        assert!(check_timings(s(10), s(10), s(2)).is_err());
        assert!(check_timings(s(15), s(10), s(9)).is_err());
    }

    #[test]
    fn quantities() {
        assert!(check_quantity("1Gi").is_ok());
        assert!(check_quantity("500M").is_ok());
        assert!(check_quantity("0").is_err());
        assert!(check_quantity("lots").is_err());
        assert!(check_quantity("1GB").is_err());
    }
}
