//! The one read of the cluster `drain-check` judges: one paginated LIST each of nodes, pods,
//! PodDisruptionBudgets, the workloads the audit classifies (with the autoscalers and claims
//! that are evidence for it) and the leader-election locks, all in parallel, whatever the
//! number of nodes. And `--server-dry-run`: each eviction sent with `dryRun=All`.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{EvictParams, ListParams, PostParams};

use super::NodeReport;
use super::pod::ServerAnswer;
use crate::audit::objects::{Located, Objects};
use crate::error::{Result, tolerate_withheld};
use crate::kube::{Action, Cluster};
use crate::lock::read::{self as locks, Inventory, Scope};

/// Dry-run evictions in flight at once.
const EVICTION_CONCURRENCY: usize = 16;

/// What the cluster showed, and what it would not.
pub struct ClusterView {
    /// The nodes the selector chose, sorted by name.
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub pdbs: Vec<PodDisruptionBudget>,
    /// The workloads and the evidence the audit's classifier reads.
    pub objects: Objects,
    pub locks: Option<Inventory>,
    /// `singletons not judged: cannot list deployments ...`.
    pub notices: Vec<String>,
}

async fn list<K>(cluster: &Cluster, resource: &'static str) -> Result<Vec<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    cluster
        .list_all(
            &cluster.api::<K>(None),
            &ListParams::default(),
            Action::list(resource, None),
        )
        .await
}

/// Every item of a list that may be withheld; its absence said in `notices` as what it costs.
fn evidence<K>(notices: &mut Vec<String>, listed: Result<Vec<K>>, costs: &str) -> Result<Vec<K>> {
    Ok(match tolerate_withheld(listed)? {
        Ok(items) => items,
        Err(err) => {
            notices.push(format!("{costs}: {err}"));
            Vec::new()
        }
    })
}

fn located<K>(items: Vec<K>) -> Vec<Located<K>> {
    items
        .into_iter()
        .map(|object| Located {
            object,
            origin: None,
        })
        .collect()
}

/// Reads everything at once. Nodes, pods and budgets are needed; without a workload kind the
/// singletons are judged with less evidence, without the locks no leader is shown.
pub async fn read(cluster: &Cluster, node_selector: Option<&str>) -> Result<ClusterView> {
    let mut node_params = ListParams::default();
    if let Some(selector) = node_selector {
        node_params = node_params.labels(selector);
    }
    let nodes_api = cluster.cluster_api::<Node>();
    let (nodes, pods, pdbs, deployments, statefulsets, replicasets, hpas, pvcs, listed_locks) = futures::join!(
        cluster.list_all(&nodes_api, &node_params, Action::list("nodes", None)),
        list::<Pod>(cluster, "pods"),
        list::<PodDisruptionBudget>(cluster, "poddisruptionbudgets"),
        list::<Deployment>(cluster, "deployments"),
        list::<StatefulSet>(cluster, "statefulsets"),
        list::<ReplicaSet>(cluster, "replicasets"),
        list::<HorizontalPodAutoscaler>(cluster, "horizontalpodautoscalers"),
        list::<PersistentVolumeClaim>(cluster, "persistentvolumeclaims"),
        locks::list(cluster, Scope::default()),
    );
    let mut nodes = nodes?;
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let pods = pods?;
    let pdbs = pdbs?;
    let mut notices = Vec::new();
    let unjudged = "singletons not judged";
    let objects = Objects {
        deployments: located(evidence(&mut notices, deployments, unjudged)?),
        statefulsets: located(evidence(&mut notices, statefulsets, unjudged)?),
        replicasets: located(evidence(&mut notices, replicasets, unjudged)?),
        hpas: located(evidence(
            &mut notices,
            hpas,
            "autoscaled workloads not known",
        )?),
        pvcs: located(evidence(
            &mut notices,
            pvcs,
            "ReadWriteOnce claims not used as evidence of a singleton",
        )?),
        ..Objects::default()
    };
    // Holders are found among the pods just listed, not fetched one by one.
    let locks = match tolerate_withheld(listed_locks)? {
        Ok(listed) => Some(locks::judge(cluster, listed, Some(&pods)).await?),
        Err(err) => {
            notices.push(format!("leaders not shown: {err}"));
            None
        }
    };
    if let Some(inventory) = &locks {
        notices.extend(inventory.notices.iter().cloned());
    }
    Ok(ClusterView {
        nodes,
        pods,
        pdbs,
        objects,
        locks,
        notices,
    })
}

/// Asks the API server to evict every pod drain would evict, with `dryRun=All`: nothing is
/// evicted, and each answer is set beside the prediction.
pub async fn server_dry_run(cluster: &Cluster, reports: &mut [NodeReport]) -> Result<()> {
    let asks: Vec<(usize, usize, String, String)> = reports
        .iter()
        .enumerate()
        .flat_map(|(n, node)| {
            node.pods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.eviction.is_some())
                .map(move |(i, p)| (n, i, p.namespace.clone(), p.name.clone()))
        })
        .collect();
    let answers: Vec<(usize, usize, u16, Option<String>)> = futures::stream::iter(asks)
        .map(|(n, i, namespace, name)| async move {
            let (code, message) = dry_run_evict(cluster, &namespace, &name).await?;
            Ok::<_, crate::error::Error>((n, i, code, message))
        })
        .buffer_unordered(EVICTION_CONCURRENCY)
        .try_collect()
        .await?;
    for (n, i, code, message) in answers {
        let pod = &mut reports[n].pods[i];
        let predicted = pod.eviction.as_ref().map(|e| e.code);
        pod.server = Some(ServerAnswer {
            code,
            message,
            agrees: predicted == Some(code),
        });
    }
    Ok(())
}

/// The server's answer to one dry-run eviction: 201, or the code of its refusal (429, 500,
/// 404 for a pod gone meanwhile) with its message. Any other failure (RBAC, network) is an error.
async fn dry_run_evict(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<(u16, Option<String>)> {
    let params = EvictParams {
        delete_options: None,
        post_options: PostParams {
            dry_run: true,
            field_manager: None,
        },
    };
    let pods = cluster.api::<Pod>(Some(namespace));
    let action = Action::create("pods/eviction", Some(namespace)).named(name);
    match cluster.call(pods.evict(name, &params), action).await {
        Ok(_) => Ok((super::budget::EVICTED, None)),
        Err(err) if err.is_too_many_requests() => Ok((
            super::budget::TOO_MANY_REQUESTS,
            err.server_said().map(str::to_string),
        )),
        Err(err) if err.is_internal_error() => Ok((
            super::budget::INTERNAL_ERROR,
            err.server_said().map(str::to_string),
        )),
        Err(err) if err.is_not_found() => Ok((404, None)),
        Err(err) => Err(err),
    }
}
