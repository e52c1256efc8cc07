//! Reading a live cluster for the audit: one paginated LIST per kind, all in parallel. A kind
//! that RBAC withholds skips the rules that need it, with a notice; the rest still run.

use std::collections::BTreeSet;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::Api;
use kube::api::ListParams;

use crate::audit::objects::{Located, Objects, WebhookService};
use crate::audit::{elections, lease_access};
use crate::error::{Result, tolerate_withheld};
use crate::k8s::ObjectRef;
use crate::kube::{Action, Cluster};
use crate::lock::holder::HolderPod;
use crate::lock::read::{self as locks, Inventory, Scope};

/// What the cluster showed, and what it would not.
pub struct LiveView {
    pub objects: Objects,
    pub pods: Vec<Pod>,
    pub locks: Inventory,
    /// What the election-health rules need beyond locks and pods.
    pub elections: elections::Evidence,
    /// `rules X, Y skipped: cannot list hpa (forbidden)`.
    pub notices: Vec<String>,
}

/// Every object of one namespaced kind, or none and the notice saying which `rules` that skips.
async fn list<K>(
    cluster: &Cluster,
    namespace: Option<&str>,
    resource: &'static str,
    rules: &'static str,
) -> Result<(Vec<Located<K>>, Option<String>)>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    list_from(
        cluster,
        cluster.api::<K>(namespace),
        namespace,
        resource,
        rules,
    )
    .await
}

/// Every object of one cluster-scoped kind, or none and the notice.
async fn list_cluster<K>(
    cluster: &Cluster,
    resource: &'static str,
    rules: &'static str,
) -> Result<(Vec<Located<K>>, Option<String>)>
where
    K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    list_from(cluster, cluster.cluster_api::<K>(), None, resource, rules).await
}

async fn list_from<K>(
    cluster: &Cluster,
    api: Api<K>,
    namespace: Option<&str>,
    resource: &'static str,
    rules: &'static str,
) -> Result<(Vec<Located<K>>, Option<String>)>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let action = Action::list(resource, namespace);
    let listed = cluster.list_all(&api, &ListParams::default(), action).await;
    Ok(match tolerate_withheld(listed)? {
        Ok(items) => (
            items
                .into_iter()
                .map(|object| Located {
                    object,
                    origin: None,
                })
                .collect(),
            None,
        ),
        Err(err) => (Vec::new(), Some(format!("{rules} skipped: {err}"))),
    })
}

/// What the classifier loses without claims: ReadWriteOnce volumes as evidence of a singleton.
const CLAIM_EVIDENCE: &str = "evidence from ReadWriteOnce claims";
/// What it loses without webhook configurations: a Service that only answers the API server.
const WEBHOOK_EVIDENCE: &str =
    "evidence from admission webhooks (a Service they call serves no users)";
/// What it loses without RBAC: leases and writes as evidence of leader election or a controller.
const RBAC_EVIDENCE: &str = "evidence from RBAC (leader election, controllers)";

pub async fn read(cluster: &Cluster, namespace: Option<&str>) -> Result<LiveView> {
    let workload_rules =
        "rules rollout-surge, replicas-not-one, hpa-scales-singleton, pdb-*, duplicate-instances";
    let scope = Scope {
        namespace,
        ..Scope::default()
    };
    let (
        deployments,
        statefulsets,
        replicasets,
        cronjobs,
        hpas,
        pdbs,
        services,
        pods,
        listed_locks,
        (pvcs, roles, role_bindings, cluster_roles, cluster_role_bindings),
        (validating, mutating),
    ) = futures::join!(
        list::<Deployment>(cluster, namespace, "deployments", workload_rules),
        list::<StatefulSet>(cluster, namespace, "statefulsets", workload_rules),
        list::<ReplicaSet>(cluster, namespace, "replicasets", workload_rules),
        list::<CronJob>(
            cluster,
            namespace,
            "cronjobs",
            "rules cronjob-concurrency, cronjob-no-deadline"
        ),
        list::<HorizontalPodAutoscaler>(
            cluster,
            namespace,
            "horizontalpodautoscalers",
            "rules hpa-scales-singleton"
        ),
        list::<PodDisruptionBudget>(cluster, namespace, "poddisruptionbudgets", "rules pdb-*"),
        list::<Service>(cluster, namespace, "services", "rules statefulset-service"),
        list::<Pod>(
            cluster,
            namespace,
            "pods",
            "rules duplicate-instances, pdb-no-pods"
        ),
        locks::list(cluster, scope),
        async {
            futures::join!(
                list::<PersistentVolumeClaim>(
                    cluster,
                    namespace,
                    "persistentvolumeclaims",
                    CLAIM_EVIDENCE
                ),
                list::<Role>(cluster, namespace, "roles", RBAC_EVIDENCE),
                list::<RoleBinding>(cluster, namespace, "rolebindings", RBAC_EVIDENCE),
                list_cluster::<ClusterRole>(cluster, "clusterroles", RBAC_EVIDENCE),
                list_cluster::<ClusterRoleBinding>(cluster, "clusterrolebindings", RBAC_EVIDENCE),
            )
        },
        async {
            futures::join!(
                list_cluster::<ValidatingWebhookConfiguration>(
                    cluster,
                    "validatingwebhookconfigurations",
                    WEBHOOK_EVIDENCE
                ),
                list_cluster::<MutatingWebhookConfiguration>(
                    cluster,
                    "mutatingwebhookconfigurations",
                    WEBHOOK_EVIDENCE
                ),
            )
        },
    );
    let mut notices = Vec::new();
    let (services, services_notice) = services?;
    let services_complete = services_notice.is_none();
    notices.extend(services_notice);
    let deployments = take(&mut notices, deployments?);
    let statefulsets = take(&mut notices, statefulsets?);
    let replicasets = take(&mut notices, replicasets?);
    let cronjobs = take(&mut notices, cronjobs?);
    let hpas = take(&mut notices, hpas?);
    let pdbs = take(&mut notices, pdbs?);
    let pvcs = take(&mut notices, pvcs?);
    let roles = take(&mut notices, roles?);
    let role_bindings = take(&mut notices, role_bindings?);
    let cluster_roles = take(&mut notices, cluster_roles?);
    let cluster_role_bindings = take(&mut notices, cluster_role_bindings?);
    let webhook_services = take(&mut notices, validating?)
        .iter()
        .flat_map(|c| WebhookService::of_validating(&c.object))
        .chain(
            take(&mut notices, mutating?)
                .iter()
                .flat_map(|c| WebhookService::of_mutating(&c.object)),
        )
        .collect();
    let (pods, pods_notice) = pods?;
    let pods_listed = pods_notice.is_none();
    notices.extend(pods_notice);
    let pods: Vec<Pod> = pods.into_iter().map(|p| p.object).collect();
    // Holders are found among the pods just listed, not fetched again one by one.
    let mut candidates_read = false;
    let locks = match tolerate_withheld(listed_locks)? {
        Ok(listed) => {
            candidates_read = listed.candidates_read();
            locks::judge(cluster, listed, pods_listed.then_some(&pods[..])).await?
        }
        Err(err) => {
            notices.push(format!("rules lease-* and legacy-lock skipped: {err}"));
            Inventory {
                reports: Vec::new(),
                now: cluster.server_now(),
                notices: Vec::new(),
                withheld: Vec::new(),
            }
        }
    };
    let (denied, access_notice) = if pods_listed {
        lease_access::denied_updates(cluster, &locks.reports, &pods).await?
    } else {
        (Vec::new(), None)
    };
    notices.extend(access_notice);
    let objects = Objects {
        deployments,
        statefulsets,
        replicasets,
        cronjobs,
        hpas,
        pdbs,
        services,
        services_complete,
        lease_holders: lease_holders(&locks),
        pvcs,
        roles,
        role_bindings,
        cluster_roles,
        cluster_role_bindings,
        webhook_services,
        ..Objects::default()
    };
    notices.dedup();
    notices.extend(locks.notices.iter().cloned());
    Ok(LiveView {
        objects,
        pods,
        locks,
        elections: elections::Evidence {
            candidates_read,
            denied,
        },
        notices,
    })
}

/// The items of one list, its notice (if any) added to `notices`.
fn take<T>(notices: &mut Vec<String>, (items, notice): (Vec<T>, Option<String>)) -> Vec<T> {
    notices.extend(notice);
    items
}

/// The workloads whose pods hold a lease: leader-elected, annotated or not (DESIGN.md §5).
fn lease_holders(locks: &Inventory) -> BTreeSet<ObjectRef> {
    locks
        .reports
        .iter()
        .filter_map(|r| match &r.holder_pod {
            Some(HolderPod::Found(pod)) => {
                let workload = pod.workload.as_ref()?;
                Some(ObjectRef {
                    kind: workload.kind.clone(),
                    namespace: pod.namespace.clone(),
                    name: workload.name.clone(),
                })
            }
            _ => None,
        })
        .collect()
}
