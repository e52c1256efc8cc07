//! The holder of a lock as a pod: which pod name a holder identity points at, which controller
//! such a pod would belong to, and what `status` shows of the pod once found. Pure: the
//! lookups themselves are in `lock::read`.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

use super::model::UNKNOWN_LEADER;
use crate::k8s::{OwnerKind, WorkloadRef};

/// The pod behind a holder identity, as far as it can be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderPod {
    /// The identity names an existing pod.
    Found(PodSummary),
    /// The identity has the pod-name shape of a controller that still exists (`owner`, e.g.
    /// `ReplicaSet/web-5d8f`), but no such pod exists any more.
    Gone { pod: String, owner: WorkloadRef },
    /// Nothing the identity could name exists: a random id, or a process outside the cluster.
    Unmapped,
}

/// What `status` shows about a holder pod.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodSummary {
    pub namespace: String,
    pub name: String,
    pub phase: Option<String>,
    pub ready: bool,
    pub node: Option<String>,
    pub restarts: i32,
    pub started: Option<Timestamp>,
    /// The controlling workload: `Deployment/web`, `StatefulSet/db`, `DaemonSet/x`, `Job/y`.
    pub workload: Option<WorkloadRef>,
}

/// The pod name an identity points at: client-go identities are the pod name, or
/// `<hostname>_<uuid>` (kube-controller-manager, kube-scheduler, controller-runtime), and a pod's
/// hostname is its name. `None` for the multilock's "unknown" marker.
pub fn holder_pod_name(identity: &str) -> Option<&str> {
    if identity.is_empty() || identity == UNKNOWN_LEADER {
        return None;
    }
    match identity.rsplit_once('_') {
        Some((host, suffix)) if is_uuid(suffix) && !host.is_empty() => Some(host),
        _ => Some(identity),
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Controllers whose pods would carry this name: `<replicaset>-<5 chars>` (ReplicaSet pods,
/// suffix from Kubernetes' safe alphabet) and `<statefulset>-<ordinal>`. Pure guesswork until
/// the cluster confirms the controller exists.
pub fn owner_candidates(pod_name: &str) -> Vec<(OwnerKind, &str)> {
    const SAFE: &str = "bcdfghjklmnpqrstvwxz2456789";
    let mut out = Vec::new();
    if let Some((prefix, suffix)) = pod_name.rsplit_once('-') {
        if !prefix.is_empty() && suffix.len() == 5 && suffix.chars().all(|c| SAFE.contains(c)) {
            out.push((OwnerKind::ReplicaSet, prefix));
        }
        if !prefix.is_empty() && !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_digit()) {
            out.push((OwnerKind::StatefulSet, prefix));
        }
    }
    out
}

/// What `status` shows of a pod, including the workload that owns it.
pub fn summarize(pod: &Pod) -> PodSummary {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        });
    let restarts = status
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |statuses| statuses.iter().map(|c| c.restart_count).sum());
    PodSummary {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: status.and_then(|s| s.phase.clone()),
        ready,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        restarts,
        started: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
        workload: workload_of(pod),
    }
}

/// The controlling workload. A ReplicaSet named `<deployment>-<pod-template-hash>` belongs to that
/// Deployment (the naming the Deployment controller guarantees), so no extra request is needed.
fn workload_of(pod: &Pod) -> Option<WorkloadRef> {
    let owner = pod
        .metadata
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))?;
    if owner.kind == "ReplicaSet"
        && let Some(hash) = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"))
        && let Some(deployment) = owner.name.strip_suffix(&format!("-{hash}"))
    {
        return Some(WorkloadRef::new("Deployment", deployment));
    }
    Some(WorkloadRef::new(&owner.kind, &owner.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ContainerStatus, PodCondition, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
    use std::collections::BTreeMap;

    #[test]
    fn identities_map_to_pod_names() {
        assert_eq!(
            holder_pod_name("web-5d8f9c7b6-x2k4q"),
            Some("web-5d8f9c7b6-x2k4q")
        );
        assert_eq!(
            holder_pod_name("node-1_8c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5b"),
            Some("node-1")
        );
        // an underscore without a uuid is part of the name
        assert_eq!(holder_pod_name("my_worker"), Some("my_worker"));
        assert_eq!(
            holder_pod_name("x_8c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5"),
            Some("x_8c3f0b1e-4a4d-4f5e-9a7b-0c1d2e3f4a5")
        );
        assert_eq!(holder_pod_name(UNKNOWN_LEADER), None);
        assert_eq!(holder_pod_name(""), None);
    }

    #[test]
    fn controller_pod_name_shapes() {
        assert_eq!(
            owner_candidates("web-5d8f9c7b6-x2k4q"),
            vec![(OwnerKind::ReplicaSet, "web-5d8f9c7b6")]
        );
        assert_eq!(
            owner_candidates("db-0"),
            vec![(OwnerKind::StatefulSet, "db")]
        );
        assert!(owner_candidates("standalone").is_empty());
        // 'a', 'e', '1' are not in the ReplicaSet suffix alphabet
        assert!(owner_candidates("web-abcde").is_empty());
    }

    fn pod(owner_kind: &str, owner: &str, hash: Option<&str>, ready: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("ns".into()),
                labels: hash
                    .map(|h| BTreeMap::from([("pod-template-hash".to_string(), h.to_string())])),
                owner_references: Some(vec![OwnerReference {
                    kind: owner_kind.into(),
                    name: owner.into(),
                    controller: Some(true),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("n1".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    ..Default::default()
                }]),
                container_statuses: Some(vec![
                    ContainerStatus {
                        restart_count: 2,
                        ..Default::default()
                    },
                    ContainerStatus {
                        restart_count: 1,
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn summaries_name_the_deployment_behind_a_replicaset() {
        let summary = summarize(&pod(
            "ReplicaSet",
            "web-5d8f9c7b6",
            Some("5d8f9c7b6"),
            "True",
        ));
        assert_eq!(
            summary
                .workload
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("Deployment/web")
        );
        assert!(summary.ready);
        assert_eq!(summary.restarts, 3);
        assert_eq!(summary.node.as_deref(), Some("n1"));
    }

    #[test]
    fn other_owners_are_named_as_they_are() {
        let summary = summarize(&pod("StatefulSet", "db", None, "False"));
        assert_eq!(
            summary
                .workload
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("StatefulSet/db")
        );
        assert!(!summary.ready);
        // A ReplicaSet without the Deployment naming stays a ReplicaSet.
        let bare = summarize(&pod("ReplicaSet", "standalone", Some("abc"), "True"));
        assert_eq!(
            bare.workload.as_ref().map(ToString::to_string).as_deref(),
            Some("ReplicaSet/standalone")
        );
    }
}
