//! The typed objects the audit reads, from manifests or a cluster, and the workload view the
//! rules share: which workloads are singletons, and how they run.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStrategy, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PodTemplateSpec, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

use crate::k8s::{Mode, ObjectRef};

/// Where an object came from, for messages and SARIF locations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: u64,
}

/// One object with its origin (`None` for live objects).
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub object: T,
    pub origin: Option<Origin>,
}

/// Everything the static rules look at.
#[derive(Debug, Default, Clone)]
pub struct Objects {
    pub deployments: Vec<Located<Deployment>>,
    pub statefulsets: Vec<Located<StatefulSet>>,
    pub replicasets: Vec<Located<ReplicaSet>>,
    pub cronjobs: Vec<Located<CronJob>>,
    pub hpas: Vec<Located<HorizontalPodAutoscaler>>,
    pub pdbs: Vec<Located<PodDisruptionBudget>>,
    pub services: Vec<Located<Service>>,
    /// True when these are every Service in scope (a live list), so a missing one is missing;
    /// manifests may ship their Services elsewhere.
    pub services_complete: bool,
    /// Workloads whose pods hold a lease (live only): leader-elected even without the annotation.
    pub lease_holders: BTreeSet<ObjectRef>,
    /// Claims, for the access mode of the volumes a workload mounts.
    pub pvcs: Vec<Located<PersistentVolumeClaim>>,
    /// RBAC, for what a workload's ServiceAccount may write (leases, or cluster objects).
    pub roles: Vec<Located<Role>>,
    pub cluster_roles: Vec<Located<ClusterRole>>,
    pub role_bindings: Vec<Located<RoleBinding>>,
    pub cluster_role_bindings: Vec<Located<ClusterRoleBinding>>,
    /// KEDA ScaledObjects (keda.sh/v1alpha1): like an HPA, they own a workload's replica count.
    pub scaled_objects: Vec<Located<ScaledObject>>,
    /// prometheus-operator ServiceMonitors (monitoring.coreos.com/v1): the Service ports they
    /// scrape serve metrics, not traffic.
    pub service_monitors: Vec<Located<ServiceMonitor>>,
    /// ConfigMaps, for environment variables a workload takes from them (`valueFrom`).
    pub config_maps: Vec<Located<k8s_openapi::api::core::v1::ConfigMap>>,
    /// Services that admission webhooks call (from Validating/MutatingWebhookConfigurations):
    /// their ports answer the API server, not users.
    pub webhook_services: Vec<WebhookService>,
    /// Objects read from an API version that current clusters no longer serve.
    pub removed_versions: Vec<RemovedVersion>,
    /// Documents of a kind the audit reads at an apiVersion it does not know: audited as nothing,
    /// and said so.
    pub unknown_versions: Vec<UnknownVersion>,
    /// Documents that could not be read at all (bad YAML, wrong types): the rest is audited and
    /// the exit code says input was skipped.
    pub unreadable: Vec<Unreadable>,
}

/// A Service named in a webhook's `clientConfig.service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookService {
    pub namespace: Option<String>,
    pub name: String,
}

impl WebhookService {
    /// The Services a webhook configuration calls.
    pub fn of_validating(
        c: &k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
    ) -> Vec<WebhookService> {
        Self::of(c.webhooks.iter().flatten().map(|w| &w.client_config))
    }

    pub fn of_mutating(
        c: &k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    ) -> Vec<WebhookService> {
        Self::of(c.webhooks.iter().flatten().map(|w| &w.client_config))
    }

    fn of<'c>(
        configs: impl Iterator<
            Item = &'c k8s_openapi::api::admissionregistration::v1::WebhookClientConfig,
        >,
    ) -> Vec<WebhookService> {
        configs
            .filter_map(|c| c.service.as_ref())
            .map(|s| WebhookService {
                namespace: Some(s.namespace.clone()).filter(|n| !n.is_empty()),
                name: s.name.clone(),
            })
            .collect()
    }
}

/// An object whose apiVersion is removed from current Kubernetes, read as its GA version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedVersion {
    pub object: ObjectRef,
    pub origin: Option<Origin>,
    /// As written, e.g. `extensions/v1beta1`.
    pub api_version: String,
    /// The version it was read as, e.g. `apps/v1`.
    pub read_as: &'static str,
    /// The Kubernetes release that stopped serving it, e.g. `1.16`.
    pub removed_in: &'static str,
}

/// A document of a kind the audit knows at an apiVersion it cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVersion {
    pub object: ObjectRef,
    pub origin: Option<Origin>,
    pub api_version: String,
}

/// A document that was skipped: where, and the one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub origin: Origin,
    pub reason: String,
}

/// The fields of a KEDA ScaledObject the audit reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScaledObject {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ScaledObjectSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    #[serde(default)]
    pub scale_target_ref: ScaleTarget,
    /// KEDA's default is 0.
    pub min_replica_count: Option<i32>,
    /// KEDA's default is 100.
    pub max_replica_count: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTarget {
    #[serde(default)]
    pub name: String,
    /// KEDA's default is Deployment.
    pub kind: Option<String>,
}

/// The fields of a prometheus-operator ServiceMonitor the audit reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceMonitor {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ServiceMonitorSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    #[serde(default)]
    pub selector: LabelSelector,
    pub namespace_selector: Option<NamespaceSelector>,
    #[serde(default)]
    pub endpoints: Vec<ScrapeEndpoint>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    #[serde(default)]
    pub any: bool,
    #[serde(default)]
    pub match_names: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeEndpoint {
    /// A Service port's name.
    pub port: Option<String>,
    /// A container port (name or number), the older way to name it.
    pub target_port: Option<IntOrString>,
}

impl Objects {
    /// The objects the rules judge (what the summary counts); claims, RBAC, ConfigMaps, webhook
    /// configurations and ServiceMonitors are evidence, read but not judged.
    pub fn count(&self) -> usize {
        self.deployments.len()
            + self.statefulsets.len()
            + self.replicasets.len()
            + self.cronjobs.len()
            + self.hpas.len()
            + self.pdbs.len()
            + self.services.len()
            + self.scaled_objects.len()
    }

    /// Adds another input's objects after these.
    pub fn extend(&mut self, other: Objects) {
        self.deployments.extend(other.deployments);
        self.statefulsets.extend(other.statefulsets);
        self.replicasets.extend(other.replicasets);
        self.cronjobs.extend(other.cronjobs);
        self.hpas.extend(other.hpas);
        self.pdbs.extend(other.pdbs);
        self.services.extend(other.services);
        self.lease_holders.extend(other.lease_holders);
        self.pvcs.extend(other.pvcs);
        self.roles.extend(other.roles);
        self.cluster_roles.extend(other.cluster_roles);
        self.role_bindings.extend(other.role_bindings);
        self.cluster_role_bindings
            .extend(other.cluster_role_bindings);
        self.scaled_objects.extend(other.scaled_objects);
        self.service_monitors.extend(other.service_monitors);
        self.config_maps.extend(other.config_maps);
        self.webhook_services.extend(other.webhook_services);
        self.removed_versions.extend(other.removed_versions);
        self.unknown_versions.extend(other.unknown_versions);
        self.unreadable.extend(other.unreadable);
    }

    /// Deployments, StatefulSets and ReplicaSets that no Deployment owns, as workloads.
    pub fn workloads(&self) -> Vec<Workload<'_>> {
        let mut out = Vec::new();
        for d in &self.deployments {
            let spec = d.object.spec.as_ref();
            let mut workload = Workload::new(
                "Deployment",
                &d.object.metadata,
                spec.and_then(|s| s.replicas),
                spec.map(|s| &s.template),
                spec.map(|s| &s.selector),
                d.origin.as_ref(),
            );
            workload.strategy = spec.and_then(|s| s.strategy.as_ref());
            out.push(workload);
        }
        for s in &self.statefulsets {
            let spec = s.object.spec.as_ref();
            out.push(Workload::new(
                "StatefulSet",
                &s.object.metadata,
                spec.and_then(|s| s.replicas),
                spec.map(|s| &s.template),
                spec.map(|s| &s.selector),
                s.origin.as_ref(),
            ));
        }
        for r in &self.replicasets {
            let owned = r
                .object
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| !o.is_empty());
            if owned {
                continue;
            }
            let spec = r.object.spec.as_ref();
            out.push(Workload::new(
                "ReplicaSet",
                &r.object.metadata,
                spec.and_then(|s| s.replicas),
                spec.and_then(|s| s.template.as_ref()),
                spec.map(|s| &s.selector),
                r.origin.as_ref(),
            ));
        }
        out
    }
}

/// A pod-owning workload, as the rules see it.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub reference: ObjectRef,
    /// Which objects it can be matched with (see [`scope`]).
    pub scope: String,
    pub origin: Option<&'a Origin>,
    pub meta: &'a ObjectMeta,
    /// `spec.replicas`, unset meaning 1.
    pub replicas: i32,
    /// The annotation on the workload, else on its pod template.
    pub mode: Mode,
    pub template: Option<&'a PodTemplateSpec>,
    pub selector: Option<&'a LabelSelector>,
    /// Deployments only: how it rolls out (`None` = the default RollingUpdate).
    pub strategy: Option<&'a DeploymentStrategy>,
}

impl<'a> Workload<'a> {
    fn new(
        kind: &str,
        meta: &'a ObjectMeta,
        replicas: Option<i32>,
        template: Option<&'a PodTemplateSpec>,
        selector: Option<&'a LabelSelector>,
        origin: Option<&'a Origin>,
    ) -> Self {
        let workload_mode = Mode::of(meta.annotations.as_ref());
        let template_mode = Mode::of(
            template
                .and_then(|t| t.metadata.as_ref())
                .and_then(|m| m.annotations.as_ref()),
        );
        Workload {
            reference: ObjectRef::of(kind, meta),
            scope: scope(meta, origin),
            origin,
            meta,
            replicas: replicas.unwrap_or(1),
            mode: if workload_mode == Mode::Unspecified {
                template_mode
            } else {
                workload_mode
            },
            template,
            selector,
            strategy: None,
        }
    }

    /// The labels its pods carry.
    pub fn pod_labels(&self) -> Option<&'a BTreeMap<String, String>> {
        self.template?.metadata.as_ref()?.labels.as_ref()
    }

    /// Its pod template's spec.
    pub fn pod_spec(&self) -> Option<&'a k8s_openapi::api::core::v1::PodSpec> {
        self.template?.spec.as_ref()
    }
}

/// Which objects of an input can refer to each other. A namespaced object is matched within its
/// namespace. A document without a namespace is installed into whatever namespace `kubectl apply`
/// is given, so it is matched only with other namespace-less documents of the same directory
/// (one directory, or stdin, is one application); documents of unrelated files are never
/// mistaken for one app.
pub fn scope(meta: &ObjectMeta, origin: Option<&Origin>) -> String {
    match (&meta.namespace, origin) {
        (Some(namespace), _) if !namespace.is_empty() => namespace.clone(),
        (_, Some(origin)) => {
            let dir = std::path::Path::new(&origin.file)
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!("\0{dir}")
        }
        _ => "default".to_string(),
    }
}

/// Items grouped by namespace, so that a rule matching selectors looks only at one namespace's
/// objects: cluster-wide, every PDB against every pod would be quadratic.
pub fn by_namespace<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    namespace: impl Fn(&'a T) -> &'a str,
) -> HashMap<&'a str, Vec<&'a T>> {
    let mut groups: HashMap<&str, Vec<&T>> = HashMap::new();
    for item in items {
        groups.entry(namespace(item)).or_default().push(item);
    }
    groups
}
