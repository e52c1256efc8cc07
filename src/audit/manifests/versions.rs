//! Which apiVersions of each kind the audit reads, and how an older version becomes the one the
//! typed objects model: what the API server's defaulting and conversion do to the fields that
//! differ, so that a manifest written for an old cluster is judged as that cluster ran it.

use serde_json::{Map, Value, json};

/// The kinds the audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Deployment,
    StatefulSet,
    ReplicaSet,
    CronJob,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    Service,
    PersistentVolumeClaim,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    ScaledObject,
    ServiceMonitor,
    ConfigMap,
    ValidatingWebhookConfiguration,
    MutatingWebhookConfiguration,
}

impl Kind {
    const ALL: [Kind; 17] = [
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::ReplicaSet,
        Kind::CronJob,
        Kind::HorizontalPodAutoscaler,
        Kind::PodDisruptionBudget,
        Kind::Service,
        Kind::PersistentVolumeClaim,
        Kind::Role,
        Kind::ClusterRole,
        Kind::RoleBinding,
        Kind::ClusterRoleBinding,
        Kind::ScaledObject,
        Kind::ServiceMonitor,
        Kind::ConfigMap,
        Kind::ValidatingWebhookConfiguration,
        Kind::MutatingWebhookConfiguration,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::CronJob => "CronJob",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::Service => "Service",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::Role => "Role",
            Kind::ClusterRole => "ClusterRole",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::ScaledObject => "ScaledObject",
            Kind::ServiceMonitor => "ServiceMonitor",
            Kind::ConfigMap => "ConfigMap",
            Kind::ValidatingWebhookConfiguration => "ValidatingWebhookConfiguration",
            Kind::MutatingWebhookConfiguration => "MutatingWebhookConfiguration",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether a document of this kind at an apiVersion the audit cannot read is worth saying:
    /// its own API group, a group without a dot (a typo such as `app/v1`, or `v1` alone: custom
    /// resources' groups always have one), or a Kubernetes group. Another group with a dot is a
    /// custom resource that shares the name (a Knative `serving.knative.dev/v1` Service, a
    /// cloud provider's Role): not ours, skipped like every custom resource.
    pub(super) fn may_be_meant_at(self, api_version: &str) -> bool {
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        let own = match self {
            Kind::ScaledObject => "keda.sh",
            Kind::ServiceMonitor => "monitoring.coreos.com",
            _ => "",
        };
        group == own || !group.contains('.') || group.ends_with(".k8s.io")
    }
}

/// Whether the audit reads documents of this kind (or may, for lists).
pub(super) fn is_read(kind: &str) -> bool {
    kind == "List" || Kind::from_name(kind.strip_suffix("List").unwrap_or(kind)).is_some()
}

/// How a kind is read at one apiVersion.
pub(super) enum Reading {
    /// The version the typed object models.
    Current,
    /// An older version, made into the current one by `convert`, which does what the API server's
    /// defaulting and conversion do to the fields that differ.
    Older {
        read_as: &'static str,
        /// The Kubernetes release that stopped serving it; `None` while it is still served.
        removed_in: Option<&'static str>,
        convert: fn(&mut Value),
    },
}

/// How the audit reads `kind` at `api_version`, if it can. The versions and what changed in
/// them follow Kubernetes' own pkg/apis/*/<version>/defaults.go and conversion.go.
pub(super) fn reading(kind: Kind, api_version: &str) -> Option<Reading> {
    use Kind::*;
    let older = |read_as, removed_in, convert| {
        Some(Reading::Older {
            read_as,
            removed_in: Some(removed_in),
            convert,
        })
    };
    const RBAC: &str = "rbac.authorization.k8s.io/v1";
    match (kind, api_version) {
        (Deployment | StatefulSet | ReplicaSet, "apps/v1")
        | (CronJob, "batch/v1")
        | (HorizontalPodAutoscaler, "autoscaling/v2")
        | (PodDisruptionBudget, "policy/v1")
        | (Service | PersistentVolumeClaim | ConfigMap, "v1")
        | (Role | ClusterRole | RoleBinding | ClusterRoleBinding, RBAC)
        | (ScaledObject, "keda.sh/v1alpha1")
        | (ServiceMonitor, "monitoring.coreos.com/v1")
        | (
            ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
            "admissionregistration.k8s.io/v1",
        ) => Some(Reading::Current),
        (Deployment, "extensions/v1beta1") => older("apps/v1", "1.16", extensions_deployment),
        (Deployment, "apps/v1beta1") => older("apps/v1", "1.16", apps_v1beta1_deployment),
        (StatefulSet, "apps/v1beta1") => older("apps/v1", "1.16", apps_v1beta1_statefulset),
        (ReplicaSet, "extensions/v1beta1") => older("apps/v1", "1.16", selector_from_template),
        (Deployment | StatefulSet | ReplicaSet, "apps/v1beta2") => older("apps/v1", "1.16", same),
        (CronJob, "batch/v1beta1") => older("batch/v1", "1.25", same),
        // Never served by default; deleted in 1.21 (kubernetes#96987).
        (CronJob, "batch/v2alpha1") => older("batch/v1", "1.21", same),
        (HorizontalPodAutoscaler, "autoscaling/v2beta2") => older("autoscaling/v2", "1.26", same),
        (HorizontalPodAutoscaler, "autoscaling/v2beta1") => {
            older("autoscaling/v2", "1.25", hpa_v2beta1)
        }
        // Still served: read as autoscaling/v2, but not a removed version.
        (HorizontalPodAutoscaler, "autoscaling/v1") => Some(Reading::Older {
            read_as: "autoscaling/v2",
            removed_in: None,
            convert: hpa_v1,
        }),
        (PodDisruptionBudget, "policy/v1beta1") => older("policy/v1", "1.25", pdb_v1beta1),
        (
            Role | ClusterRole | RoleBinding | ClusterRoleBinding,
            "rbac.authorization.k8s.io/v1beta1" | "rbac.authorization.k8s.io/v1alpha1",
        ) => older(RBAC, "1.22", same),
        (
            ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
            "admissionregistration.k8s.io/v1beta1",
        ) => older("admissionregistration.k8s.io/v1", "1.22", same),
        _ => None,
    }
}

/// Versions whose fields the current one reads as they are.
fn same(_: &mut Value) {}

/// extensions/v1beta1 Deployments: the selector defaults to the pod template's labels, and a
/// rolling update to maxSurge 1 / maxUnavailable 1 (apps/v1's is 25% / 25%), with no progress
/// deadline and every old ReplicaSet kept.
fn extensions_deployment(value: &mut Value) {
    selector_from_template(value);
    let Some(spec) = spec(value) else {
        return;
    };
    let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
    if strategy.is_null() {
        *strategy = json!({});
    }
    if let Some(strategy) = strategy.as_object_mut() {
        if unset(strategy.get("type")) || strategy.get("type") == Some(&json!("")) {
            strategy.insert("type".into(), json!("RollingUpdate"));
        }
        if strategy.get("type") == Some(&json!("RollingUpdate"))
            || !unset(strategy.get("rollingUpdate"))
        {
            let rolling = strategy.entry("rollingUpdate").or_insert_with(|| json!({}));
            if rolling.is_null() {
                *rolling = json!({});
            }
            if let Some(rolling) = rolling.as_object_mut() {
                default(rolling, "maxUnavailable", json!(1));
                default(rolling, "maxSurge", json!(1));
            }
        }
    }
    default(spec, "progressDeadlineSeconds", json!(i32::MAX));
    default(spec, "revisionHistoryLimit", json!(i32::MAX));
}

/// apps/v1beta1 Deployments: the selector defaults to the template's labels; 2 old ReplicaSets
/// are kept (apps/v1: 10). The rolling update's 25% / 25% is apps/v1's.
fn apps_v1beta1_deployment(value: &mut Value) {
    selector_from_template(value);
    if let Some(spec) = spec(value) {
        default(spec, "revisionHistoryLimit", json!(2));
    }
}

/// apps/v1beta1 StatefulSets: the selector defaults to the template's labels; pods are replaced
/// only when deleted (apps/v1: a rolling update).
fn apps_v1beta1_statefulset(value: &mut Value) {
    selector_from_template(value);
    if let Some(spec) = spec(value) {
        let strategy = spec.entry("updateStrategy").or_insert_with(|| json!({}));
        if strategy.is_null() {
            *strategy = json!({});
        }
        if let Some(strategy) = strategy.as_object_mut()
            && (unset(strategy.get("type")) || strategy.get("type") == Some(&json!("")))
        {
            strategy.insert("type".into(), json!("OnDelete"));
        }
    }
}

/// The defaulting of extensions/v1beta1 and apps/v1beta1 workloads: when the pod template has
/// labels, a missing selector selects them, and missing object labels are them.
fn selector_from_template(value: &mut Value) {
    let Some(labels) = value
        .pointer("/spec/template/metadata/labels")
        .filter(|l| l.is_object())
        .cloned()
    else {
        return;
    };
    if let Some(spec) = spec(value)
        && unset(spec.get("selector"))
    {
        spec.insert("selector".into(), json!({ "matchLabels": labels.clone() }));
    }
    if let Some(object) = value.as_object_mut() {
        let metadata = object.entry("metadata").or_insert_with(|| json!({}));
        if metadata.is_null() {
            *metadata = json!({});
        }
        if let Some(metadata) = metadata.as_object_mut()
            && empty_map(metadata.get("labels"))
        {
            metadata.insert("labels".into(), labels);
        }
    }
}

/// autoscaling/v1: the CPU target becomes autoscaling/v2's resource metric, as the API server
/// converts it; the v1 status has another shape and the audit does not read it.
fn hpa_v1(value: &mut Value) {
    if let Some(spec) = spec(value)
        && let Some(cpu) = spec.remove("targetCPUUtilizationPercentage")
        && !cpu.is_null()
    {
        spec.insert(
            "metrics".into(),
            json!([{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            }]),
        );
    }
    drop_status(value);
}

/// autoscaling/v2beta1: its metrics (and status) have another shape than autoscaling/v2's; the
/// audit reads only the scale target and the replica bounds, so they are dropped rather than
/// converted.
fn hpa_v2beta1(value: &mut Value) {
    if let Some(spec) = spec(value) {
        spec.remove("metrics");
    }
    drop_status(value);
}

/// policy/v1beta1: an empty selector selects no pods, where in policy/v1 it selects every pod
/// of the namespace. The API server converts such a budget to a selector no pod matches (and
/// its stand-in for "every pod" back to the empty one); so does this.
fn pdb_v1beta1(value: &mut Value) {
    const KEY: &str = "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match";
    let Some(spec) = spec(value) else {
        return;
    };
    let Some(selector) = spec.get_mut("selector") else {
        return;
    };
    let only = |operator: &str| {
        empty_map(selector.get("matchLabels"))
            && selector
                .get("matchExpressions")
                .and_then(Value::as_array)
                .is_some_and(|e| {
                    matches!(e.as_slice(), [r] if r.get("key") == Some(&json!(KEY))
                    && r.get("operator") == Some(&json!(operator))
                    && r.get("values").and_then(Value::as_array).is_none_or(Vec::is_empty))
                })
    };
    if selector.is_object()
        && empty_map(selector.get("matchLabels"))
        && selector
            .get("matchExpressions")
            .is_none_or(|e| e.is_null() || e.as_array().is_some_and(Vec::is_empty))
    {
        *selector = json!({"matchExpressions": [{"key": KEY, "operator": "Exists"}]});
    } else if only("DoesNotExist") {
        *selector = json!({});
    }
}

fn spec(value: &mut Value) -> Option<&mut Map<String, Value>> {
    value.get_mut("spec")?.as_object_mut()
}

fn drop_status(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
}

/// Absent or null, as Go sees a nil pointer.
fn unset(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

/// Absent, null or `{}`, as Go sees an empty map.
fn empty_map(value: Option<&Value>) -> bool {
    unset(value) || value.and_then(Value::as_object).is_some_and(Map::is_empty)
}

fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if unset(map.get(key)) {
        map.insert(key.into(), value);
    }
}

#[cfg(test)]
mod tests;
