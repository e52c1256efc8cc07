//! A pod as the exporter caches it: only what the audit's election rules and the drain check
//! read (metadata, node, service account, emptyDir volumes, phase, conditions), in a struct of
//! its own. A `Pod` keeps every field of its spec and status inline even when empty (about 2 KiB
//! each); 3,500 of them were most of the exporter's live heap. The rules still read `Pod`s: the
//! audit rebuilds them (`to_pod`) for its pass, and they are freed with it. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, Pod, PodCondition, PodSpec, PodStatus, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

// The drain check skips static pods' mirrors: the one annotation kept.
use crate::drain::pod::MIRROR_ANNOTATION;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrimmedPod {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerReference>>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    /// The value of the mirror annotation, the only annotation kept.
    mirror: Option<String>,
    node_name: Option<String>,
    service_account_name: Option<String>,
    /// Draining loses emptyDir data: the drain check names them.
    empty_dirs: Vec<(String, EmptyDirVolumeSource)>,
    phase: Option<String>,
    conditions: Option<Vec<PodCondition>>,
    start_time: Option<Time>,
}

impl TrimmedPod {
    pub fn of(pod: &Pod) -> Self {
        let meta = &pod.metadata;
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        TrimmedPod {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            labels: meta.labels.clone(),
            owner_references: meta.owner_references.clone(),
            creation_timestamp: meta.creation_timestamp.clone(),
            deletion_timestamp: meta.deletion_timestamp.clone(),
            mirror: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get(MIRROR_ANNOTATION))
                .cloned(),
            node_name: spec.and_then(|s| s.node_name.clone()),
            service_account_name: spec.and_then(|s| s.service_account_name.clone()),
            empty_dirs: spec
                .and_then(|s| s.volumes.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|v| Some((v.name.clone(), v.empty_dir.clone()?)))
                .collect(),
            phase: status.and_then(|s| s.phase.clone()),
            conditions: status.and_then(|s| s.conditions.clone()),
            start_time: status.and_then(|s| s.start_time.clone()),
        }
    }

    /// The pod with only the kept fields set, as the shared rules read it.
    pub fn to_pod(&self) -> Pod {
        let volumes: Vec<Volume> = self
            .empty_dirs
            .iter()
            .map(|(name, empty_dir)| Volume {
                name: name.clone(),
                empty_dir: Some(empty_dir.clone()),
                ..Volume::default()
            })
            .collect();
        Pod {
            metadata: ObjectMeta {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                labels: self.labels.clone(),
                owner_references: self.owner_references.clone(),
                creation_timestamp: self.creation_timestamp.clone(),
                deletion_timestamp: self.deletion_timestamp.clone(),
                annotations: self
                    .mirror
                    .as_ref()
                    .map(|v| [(MIRROR_ANNOTATION.to_string(), v.clone())].into()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                node_name: self.node_name.clone(),
                service_account_name: self.service_account_name.clone(),
                volumes: (!volumes.is_empty()).then_some(volumes),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: self.phase.clone(),
                conditions: self.conditions.clone(),
                start_time: self.start_time.clone(),
                ..PodStatus::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerStatus, EnvVar, HostPathVolumeSource};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    fn time(s: &str) -> Time {
        Time(s.parse().unwrap())
    }

    fn full_pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web-5d8f9c7b6-x2k4q".into()),
                namespace: Some("ns".into()),
                uid: Some("0c1d".into()),
                resource_version: Some("42".into()),
                labels: Some([("app".to_string(), "web".to_string())].into()),
                annotations: Some(
                    [
                        (MIRROR_ANNOTATION.to_string(), "abc".to_string()),
                        (
                            "kubectl.kubernetes.io/last-applied-configuration".to_string(),
                            "{}".to_string(),
                        ),
                    ]
                    .into(),
                ),
                owner_references: Some(vec![OwnerReference {
                    kind: "ReplicaSet".into(),
                    name: "web-5d8f9c7b6".into(),
                    controller: Some(true),
                    ..OwnerReference::default()
                }]),
                creation_timestamp: Some(time("2026-01-01T00:00:00Z")),
                deletion_timestamp: Some(time("2026-01-02T00:00:00Z")),
                managed_fields: Some(vec![ManagedFieldsEntry::default()]),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                node_name: Some("node-1".into()),
                service_account_name: Some("web".into()),
                containers: vec![Container {
                    name: "web".into(),
                    args: Some(vec!["--leader-elect".into()]),
                    env: Some(vec![EnvVar {
                        name: "A".into(),
                        ..EnvVar::default()
                    }]),
                    ..Container::default()
                }],
                volumes: Some(vec![
                    Volume {
                        name: "scratch".into(),
                        empty_dir: Some(EmptyDirVolumeSource {
                            medium: Some("Memory".into()),
                            ..EmptyDirVolumeSource::default()
                        }),
                        ..Volume::default()
                    },
                    Volume {
                        name: "host".into(),
                        host_path: Some(HostPathVolumeSource {
                            path: "/var".into(),
                            ..HostPathVolumeSource::default()
                        }),
                        ..Volume::default()
                    },
                ]),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    last_transition_time: Some(time("2026-01-01T00:01:00Z")),
                    ..PodCondition::default()
                }]),
                start_time: Some(time("2026-01-01T00:00:30Z")),
                pod_ip: Some("10.0.0.1".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "web".into(),
                    restart_count: 3,
                    ..ContainerStatus::default()
                }]),
                ..PodStatus::default()
            }),
        }
    }

    #[test]
    fn keeps_what_the_rules_read_and_drops_the_rest() {
        let pod = TrimmedPod::of(&full_pod()).to_pod();
        let meta = &pod.metadata;
        assert_eq!(meta.name.as_deref(), Some("web-5d8f9c7b6-x2k4q"));
        assert_eq!(meta.namespace.as_deref(), Some("ns"));
        assert_eq!(meta.labels, full_pod().metadata.labels);
        assert_eq!(meta.owner_references, full_pod().metadata.owner_references);
        assert_eq!(meta.creation_timestamp, Some(time("2026-01-01T00:00:00Z")));
        assert_eq!(meta.deletion_timestamp, Some(time("2026-01-02T00:00:00Z")));
        assert_eq!(
            meta.annotations,
            Some([(MIRROR_ANNOTATION.to_string(), "abc".to_string())].into()),
            "only the mirror annotation is kept"
        );
        assert_eq!(
            (meta.uid.as_ref(), meta.managed_fields.as_ref()),
            (None, None)
        );
        assert_eq!(meta.resource_version, None);

        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("node-1"));
        assert_eq!(spec.service_account_name.as_deref(), Some("web"));
        assert!(spec.containers.is_empty(), "containers are dropped");
        assert_eq!(
            spec.volumes,
            Some(vec![Volume {
                name: "scratch".into(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    ..EmptyDirVolumeSource::default()
                }),
                ..Volume::default()
            }]),
            "only emptyDir volumes are kept"
        );

        let status = pod.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.conditions, full_pod().status.unwrap().conditions);
        assert_eq!(status.start_time, Some(time("2026-01-01T00:00:30Z")));
        assert_eq!(
            (status.pod_ip.as_ref(), status.container_statuses.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn an_empty_pod_stays_empty() {
        let pod = TrimmedPod::of(&Pod::default()).to_pod();
        assert_eq!(pod.metadata, ObjectMeta::default());
        assert_eq!(
            pod.spec,
            Some(PodSpec::default()),
            "no volumes: None, not Some(vec![])"
        );
        assert_eq!(pod.status, Some(PodStatus::default()));
    }
}
