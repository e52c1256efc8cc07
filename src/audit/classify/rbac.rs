//! What a workload's ServiceAccount may do, from the Roles, ClusterRoles and bindings in the
//! input: take a leader-election Lease, or write objects that reconcile cluster state.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};

use super::Index;
use crate::audit::objects::{Located, Workload, scope};
use crate::k8s::selects;

/// One grant of a role to a ServiceAccount.
pub(super) struct Grant<'o> {
    /// The subject's namespace (None: a group of every ServiceAccount).
    subject_namespace: Option<&'o str>,
    /// The binding's scope: a RoleBinding grants only in its own namespace.
    binding_scope: Option<String>,
    /// `Role x` or `ClusterRole y`.
    role: String,
    rules: Vec<&'o PolicyRule>,
}

impl<'o> Index<'o> {
    pub(super) fn add_grants(&mut self) {
        let objects = self.objects;
        let roles: HashMap<(String, &str), Vec<&PolicyRule>> = objects
            .roles
            .iter()
            .map(|r| {
                (
                    (
                        scope(&r.object.metadata, r.origin.as_ref()),
                        r.object.metadata.name.as_deref().unwrap_or_default(),
                    ),
                    r.object.rules.iter().flatten().collect(),
                )
            })
            .collect();
        let cluster_roles = cluster_role_rules(&objects.cluster_roles);
        let bindings = objects
            .role_bindings
            .iter()
            .map(|b| {
                let s = scope(&b.object.metadata, b.origin.as_ref());
                let rules = if b.object.role_ref.kind == "Role" {
                    roles.get(&(s.clone(), b.object.role_ref.name.as_str()))
                } else {
                    cluster_roles.get(b.object.role_ref.name.as_str())
                };
                (
                    Some(s),
                    &b.object.metadata,
                    &b.object.role_ref,
                    b.object.subjects.as_deref(),
                    rules,
                )
            })
            .chain(objects.cluster_role_bindings.iter().map(|b| {
                (
                    None,
                    &b.object.metadata,
                    &b.object.role_ref,
                    b.object.subjects.as_deref(),
                    cluster_roles.get(b.object.role_ref.name.as_str()),
                )
            }));
        for (binding_scope, meta, role_ref, subjects, rules) in bindings {
            let Some(rules) = rules else { continue };
            let role = format!("{} {}", role_ref.kind, role_ref.name);
            for subject in subjects.unwrap_or_default() {
                let namespace = subject
                    .namespace
                    .as_deref()
                    .or(meta.namespace.as_deref())
                    .filter(|n| !n.is_empty());
                let grant = |subject_namespace| Grant {
                    subject_namespace,
                    binding_scope: binding_scope.clone(),
                    role: role.clone(),
                    rules: rules.clone(),
                };
                match subject.kind.as_str() {
                    "ServiceAccount" => self
                        .grants
                        .entry(subject.name.as_str())
                        .or_default()
                        .push(grant(namespace)),
                    "Group" if subject.name == "system:serviceaccounts" => {
                        self.group_grants.push(grant(None))
                    }
                    "Group" => {
                        if let Some(ns) = subject.name.strip_prefix("system:serviceaccounts:") {
                            self.group_grants.push(grant(Some(ns)))
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The grants that reach a workload's ServiceAccount.
    fn grants_of<'w>(&'w self, w: &'w Workload<'_>) -> impl Iterator<Item = &'w Grant<'o>> + 'w {
        let account = service_account(w);
        let namespace = w.meta.namespace.as_deref().filter(|n| !n.is_empty());
        self.grants
            .get(account)
            .into_iter()
            .flatten()
            .chain(&self.group_grants)
            .filter(move |g| {
                // A RoleBinding grants only in its own namespace (or, namespace-less, its
                // directory); a subject names the ServiceAccount's namespace, which a
                // namespace-less workload takes from wherever it is installed.
                g.binding_scope.as_ref().is_none_or(|s| *s == w.scope)
                    && match (namespace, g.subject_namespace) {
                        (Some(ns), Some(subject)) => ns == subject,
                        _ => true,
                    }
            })
    }

    /// The role that lets a workload's ServiceAccount take a Lease.
    pub(super) fn lease_grant(&self, w: &Workload<'_>) -> Option<String> {
        self.grants_of(w)
            .find(|g| g.rules.iter().copied().any(grants_leases))
            .map(|g| g.role.clone())
    }

    /// What a workload's ServiceAccount may write that reconciles cluster state, and which role
    /// grants it.
    pub(super) fn write_grant(&self, w: &Workload<'_>) -> Option<(String, String)> {
        self.grants_of(w)
            .find_map(|g| writes(&g.rules).map(|what| (what, g.role.clone())))
    }
}

fn role_name(r: &Located<ClusterRole>) -> &str {
    r.object.metadata.name.as_deref().unwrap_or_default()
}

/// Every ClusterRole's rules by name. An aggregated ClusterRole (`aggregationRule`) holds the
/// rules of the ClusterRoles its selectors pick, as the API server's aggregation controller
/// fills it in (added to the rules it has); aggregation of aggregated roles is followed a few
/// levels deep. An empty selector would pick every ClusterRole: it picks none here, so no grant
/// is inferred from it.
fn cluster_role_rules(cluster_roles: &[Located<ClusterRole>]) -> HashMap<&str, Vec<&PolicyRule>> {
    let mut rules: HashMap<&str, Vec<&PolicyRule>> = cluster_roles
        .iter()
        .map(|r| (role_name(r), r.object.rules.iter().flatten().collect()))
        .collect();
    let aggregated: Vec<_> = cluster_roles
        .iter()
        .filter_map(|r| {
            let selectors = r
                .object
                .aggregation_rule
                .as_ref()?
                .cluster_role_selectors
                .as_ref()?;
            Some((role_name(r), selectors))
        })
        .collect();
    let unlabelled = BTreeMap::new();
    for _ in 0..3 {
        for (target, selectors) in &aggregated {
            // Its own rules stay: a live cluster's aggregated role already holds the union.
            let mut union: Vec<&PolicyRule> = rules.get(target).cloned().unwrap_or_default();
            for source in cluster_roles {
                let labels = source
                    .object
                    .metadata
                    .labels
                    .as_ref()
                    .unwrap_or(&unlabelled);
                let picked = role_name(source) != *target
                    && selectors.iter().any(|s| {
                        (s.match_labels.as_ref().is_some_and(|l| !l.is_empty())
                            || s.match_expressions.as_ref().is_some_and(|e| !e.is_empty()))
                            && selects(s, labels)
                    });
                if picked {
                    for rule in rules.get(role_name(source)).into_iter().flatten() {
                        if !union.contains(rule) {
                            union.push(rule);
                        }
                    }
                }
            }
            rules.insert(target, union);
        }
    }
    rules
}

pub(super) fn service_account<'w>(w: &Workload<'w>) -> &'w str {
    w.pod_spec()
        .and_then(|s| {
            s.service_account_name
                .as_deref()
                .or(s.service_account.as_deref())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
}

const WRITE_VERBS: &[&str] = &[
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
];

/// Resources whose writes are not reconciling cluster state: events, reviews that only ask the
/// API server a question, token requests, and leases (leader election, judged on its own).
const NOT_RECONCILING: &[&str] = &[
    "events",
    "leases",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "localsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "selfsubjectreviews",
    "serviceaccounts/token",
];

fn has_write_verb(rule: &PolicyRule) -> bool {
    rule.verbs.iter().any(|v| WRITE_VERBS.contains(&v.as_str()))
}

/// A rule that lets its subject take a leader-election Lease (named, not by a wildcard).
fn grants_leases(rule: &PolicyRule) -> bool {
    has_write_verb(rule)
        && rule
            .api_groups
            .iter()
            .flatten()
            .any(|g| g == "coordination.k8s.io" || g == "*")
        && rule.resources.iter().flatten().any(|r| r == "leases")
}

/// `write deployments`: the first resource these rules may write that reconciles cluster state.
/// A wildcard names the API groups it covers: `*` in `projectcalico.org` is not every resource.
fn writes(rules: &[&PolicyRule]) -> Option<String> {
    let mut written: Vec<&str> = rules
        .iter()
        .filter(|r| has_write_verb(r))
        .flat_map(|r| r.resources.iter().flatten())
        .map(String::as_str)
        .filter(|r| !NOT_RECONCILING.contains(r))
        .collect();
    written.sort_unstable();
    written.dedup();
    let first = *written.first()?;
    Some(match first {
        "*" => every_resource(rules),
        "pods/eviction" => "evict pods".to_string(),
        _ if written.len() > 1 => format!("write {first} and {} more", written.len() - 1),
        _ => format!("write {first}"),
    })
}

/// `write every resource`, or `write every resource in API group x, y` when the wildcard rules
/// name their groups.
fn every_resource(rules: &[&PolicyRule]) -> String {
    let mut groups: Vec<&str> = rules
        .iter()
        .filter(|r| has_write_verb(r) && r.resources.iter().flatten().any(|r| r == "*"))
        .flat_map(|r| r.api_groups.iter().flatten())
        .map(String::as_str)
        .collect();
    groups.sort_unstable();
    groups.dedup();
    if groups.is_empty() || groups.contains(&"*") {
        return "write every resource".to_string();
    }
    let groups: Vec<&str> = groups
        .into_iter()
        .map(|g| if g.is_empty() { "core" } else { g })
        .collect();
    let noun = if groups.len() == 1 { "group" } else { "groups" };
    format!("write every resource in API {noun} {}", groups.join(", "))
}
