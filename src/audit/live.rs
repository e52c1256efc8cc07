//! Reading a live cluster for the audit: one paginated LIST per kind, all in parallel. A kind
//! that RBAC withholds skips the rules that need it, with a notice; the rest still run.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::ListParams;

use crate::audit::objects::{Located, MODE_ANNOTATION, Objects};
use crate::cluster::{Action, Cluster};
use crate::error::Result;
use crate::locks::{self, Inventory, Scope};

/// What the cluster showed, and what it would not.
pub struct LiveView {
    pub objects: Objects,
    pub pods: Vec<Pod>,
    pub locks: Inventory,
    /// `rules X, Y skipped: cannot list hpa (forbidden)`.
    pub notices: Vec<String>,
}

async fn list<K>(
    cluster: &Cluster,
    namespace: Option<&str>,
    resource: &'static str,
    rules: &'static str,
    notices: &mut Vec<String>,
) -> Result<Vec<Located<K>>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let action = Action {
        verb: "list",
        resource,
        namespace,
        name: None,
    };
    match cluster
        .list_all(&cluster.api::<K>(namespace), &ListParams::default(), action)
        .await
    {
        Ok(items) => Ok(items
            .into_iter()
            .map(|object| Located {
                object,
                origin: None,
            })
            .collect()),
        Err(err) if err.is_withheld() => {
            notices.push(format!("rules {rules} skipped: {err}"));
            Ok(Vec::new())
        }
        Err(err) => Err(err),
    }
}

pub async fn read(cluster: &Cluster, namespace: Option<&str>) -> Result<LiveView> {
    let (mut n1, mut n2, mut n3, mut n4, mut n5, mut n6, mut n7, mut n8) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let workload_rules =
        "rollout-surge, replicas-not-one, hpa-scales-singleton, pdb-*, duplicate-instances";
    let (deployments, statefulsets, replicasets, cronjobs, hpas, pdbs, services, pods, inventory) = futures::join!(
        list::<Deployment>(cluster, namespace, "deployments", workload_rules, &mut n1),
        list::<StatefulSet>(cluster, namespace, "statefulsets", workload_rules, &mut n2),
        list::<ReplicaSet>(cluster, namespace, "replicasets", workload_rules, &mut n3),
        list::<CronJob>(
            cluster,
            namespace,
            "cronjobs",
            "cronjob-concurrency, cronjob-no-deadline",
            &mut n4
        ),
        list::<HorizontalPodAutoscaler>(
            cluster,
            namespace,
            "horizontalpodautoscalers",
            "hpa-scales-singleton",
            &mut n5
        ),
        list::<PodDisruptionBudget>(cluster, namespace, "poddisruptionbudgets", "pdb-*", &mut n6),
        list::<Service>(
            cluster,
            namespace,
            "services",
            "statefulset-service",
            &mut n7
        ),
        list::<Pod>(
            cluster,
            namespace,
            "pods",
            "duplicate-instances, pdb-no-pods",
            &mut n8
        ),
        locks::gather(
            cluster,
            Scope {
                namespace,
                ..Scope::default()
            }
        ),
    );
    let services = services?;
    let services_complete = n7.is_empty();
    let mut objects = Objects {
        services,
        services_complete,
        deployments: deployments?,
        statefulsets: statefulsets?,
        replicasets: replicasets?,
        cronjobs: cronjobs?,
        hpas: hpas?,
        pdbs: pdbs?,
    };
    let pods: Vec<Pod> = pods?.into_iter().map(|p| p.object).collect();
    let locks = match inventory {
        Ok(inventory) => inventory,
        Err(err) if err.is_withheld() => {
            n8.push(format!("rules lease-* and legacy-lock skipped: {err}"));
            Inventory {
                reports: Vec::new(),
                now: cluster.server_now(),
                notices: Vec::new(),
            }
        }
        Err(err) => return Err(err),
    };
    mark_leader_elected(&mut objects, &locks);
    let mut notices: Vec<String> = [n1, n2, n3, n4, n5, n6, n7, n8].concat();
    notices.dedup();
    notices.extend(locks.notices.iter().cloned());
    Ok(LiveView {
        objects,
        pods,
        locks,
        notices,
    })
}

/// Workloads whose pods hold a lease are leader-elected, annotated or not (DESIGN.md §5).
fn mark_leader_elected(objects: &mut Objects, locks: &Inventory) {
    let holders: Vec<(String, String)> = locks
        .reports
        .iter()
        .filter_map(|r| match &r.holder_pod {
            Some(crate::lease::HolderPod::Found(pod)) => {
                pod.workload.clone().map(|w| (pod.namespace.clone(), w))
            }
            _ => None,
        })
        .collect();
    let mark =
        |kind: &str, meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            let key = (
                meta.namespace.clone().unwrap_or_default(),
                format!("{kind}/{}", meta.name.clone().unwrap_or_default()),
            );
            if holders.contains(&key) {
                meta.annotations
                    .get_or_insert_with(Default::default)
                    .entry(MODE_ANNOTATION.to_string())
                    .or_insert_with(|| "leader-election".to_string());
            }
        };
    for d in &mut objects.deployments {
        mark("Deployment", &mut d.object.metadata);
    }
    for s in &mut objects.statefulsets {
        mark("StatefulSet", &mut s.object.metadata);
    }
}
