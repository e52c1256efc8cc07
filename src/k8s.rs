//! Kubernetes object helpers shared across domains: references to workloads and the kinds of
//! controller a pod's name can point at. Parsed once, at the edge, into types.

use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_show_as_kind_slash_name() {
        assert_eq!(
            WorkloadRef::new("Deployment", "web").to_string(),
            "Deployment/web"
        );
        assert_eq!(OwnerKind::StatefulSet.resource(), "statefulsets");
    }
}
