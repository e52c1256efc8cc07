//! Kubernetes object helpers shared across domains: references to objects and workloads, the
//! kinds of controller a pod's name can point at, label selectors, and the annotation that
//! declares how a workload stays single. Parsed once, at the edge, into types.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Serialize;

/// Annotation that declares how a workload stays single (DESIGN.md §5).
pub const MODE_ANNOTATION: &str = "kubectl-singleton/mode";

/// The controllers whose pods are named after them, so a holder identity that is a pod name
/// can be traced back to one: `<replicaset>-<5 chars>` and `<statefulset>-<ordinal>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OwnerKind {
    ReplicaSet,
    StatefulSet,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::ReplicaSet => "ReplicaSet",
            OwnerKind::StatefulSet => "StatefulSet",
        }
    }

    /// The resource as RBAC and error messages name it.
    pub fn resource(self) -> &'static str {
        match self {
            OwnerKind::ReplicaSet => "replicasets",
            OwnerKind::StatefulSet => "statefulsets",
        }
    }
}

/// A workload in a namespace the context already gives: its kind (any controller kind, custom
/// ones too) and name. Shown as `Kind/name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadRef {
    pub kind: String,
    pub name: String,
}

impl WorkloadRef {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        WorkloadRef {
            kind: kind.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// `kind/namespace/name` of an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// The object of this kind that `meta` describes; without a namespace it is in `default`.
    pub fn of(kind: &str, meta: &ObjectMeta) -> Self {
        ObjectRef {
            kind: kind.to_string(),
            namespace: meta
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// How a workload declares it stays single.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No annotation: judged by its replicas.
    Unspecified,
    /// Exactly one instance, always.
    Strict,
    /// Several replicas, one active through a lease.
    LeaderElection,
    /// Opted out of every rule.
    None,
}

impl Mode {
    pub fn of(annotations: Option<&BTreeMap<String, String>>) -> Self {
        match annotations
            .and_then(|a| a.get(MODE_ANNOTATION))
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("strict") => Mode::Strict,
            Some("leader-election") => Mode::LeaderElection,
            Some("none") => Mode::None,
            _ => Mode::Unspecified,
        }
    }
}

/// Whether a label selector selects these labels (matchLabels and matchExpressions). An empty
/// selector selects everything, as in policy/v1.
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_match = selector
        .match_labels
        .as_ref()
        .is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let expressions_match = selector.match_expressions.as_ref().is_none_or(|exprs| {
        exprs.iter().all(|e| {
            let value = labels.get(&e.key);
            let values = e.values.as_deref().unwrap_or_default();
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
    });
    labels_match && expressions_match
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["a".into(), "b".into()]),
            }]),
        };
        assert!(selects(&sel, &labels(&[("app", "web"), ("tier", "a")])));
        assert!(!selects(&sel, &labels(&[("app", "web"), ("tier", "c")])));
        assert!(!selects(&sel, &labels(&[("app", "db"), ("tier", "a")])));
        assert!(selects(&LabelSelector::default(), &labels(&[("x", "y")])));
    }

    #[test]
    fn modes_come_from_the_workload_or_its_pod_template() {
        assert_eq!(
            Mode::of(Some(&labels(&[(MODE_ANNOTATION, "Strict")]))),
            Mode::Strict
        );
        assert_eq!(
            Mode::of(Some(&labels(&[(MODE_ANNOTATION, "none")]))),
            Mode::None
        );
        assert_eq!(Mode::of(None), Mode::Unspecified);
    }

    #[test]
    fn workloads_show_as_kind_slash_name() {
        assert_eq!(
            WorkloadRef::new("Deployment", "web").to_string(),
            "Deployment/web"
        );
        assert_eq!(OwnerKind::StatefulSet.resource(), "statefulsets");
    }
}
