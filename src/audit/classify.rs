//! Which workloads are singletons, decided from evidence (DESIGN.md §5), never from
//! `replicas: 1` alone: most single-replica workloads are merely small. One classifier for
//! manifests and live clusters; every class comes with the evidence that decided it, and the
//! rules fire by class.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Container, EnvVarSource, Service, ServicePort};
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::audit::objects::{
    Located, MODE_ANNOTATION, Mode, ObjectRef, Objects, Workload, scope, selects,
};

/// What a workload is, for the rules about running twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Must never run twice: declared, or its storage allows one writer (a ReadWriteOnce claim).
    Strict,
    /// Strict by inference: it writes cluster objects and shows no leader election, so two copies
    /// reconcile at once during a rollout.
    Controller,
    /// Several instances may run; a lease keeps one active.
    LeaderElected,
    /// Meant to run several pods: replicas > 1, or an autoscaler owns its replica count.
    Scaled,
    /// One replica and no evidence that it must stay one.
    SingleReplica,
    /// `kubectl-singleton/mode: none`.
    OptedOut,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Strict => "strict",
            Class::Controller => "controller",
            Class::LeaderElected => "leader-elected",
            Class::Scaled => "scaled",
            Class::SingleReplica => "single-replica",
            Class::OptedOut => "opted-out",
        }
    }

    /// Must never run twice (declared or inferred).
    pub fn must_not_run_twice(self) -> bool {
        matches!(self, Class::Strict | Class::Controller)
    }
}

/// How many pods a workload runs: its replicas, or its autoscaler's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodRange {
    pub min: i32,
    pub max: i32,
}

impl PodRange {
    /// Exactly `n` pods.
    pub fn of(n: i32) -> Self {
        PodRange { min: n, max: n }
    }
}

impl std::fmt::Display for PodRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let noun = if self.max == 1 { "pod" } else { "pods" };
        if self.min == self.max {
            write!(f, "{} {noun}", self.min)
        } else {
            write!(f, "{}–{} {noun}", self.min, self.max)
        }
    }
}

/// A workload's class and the evidence for it.
#[derive(Debug, Clone)]
pub struct Classification {
    pub class: Class,
    /// Short phrases, strongest first: `flag --leader-elect`, `serves traffic through Service web`.
    pub evidence: Vec<String>,
    /// Evidence that it is meant to run twice during a rollout (a server behind a Service):
    /// running-twice rules say nothing, not even at info, about such a workload of unknown intent.
    pub evidence_against: bool,
    pub pods: PodRange,
    /// Its pod mounts a ReadWriteOnce/ReadWriteOncePod claim (named), for the messages.
    pub exclusive_claim: Option<String>,
    /// The autoscaler that sets its replica count, if any, and the range it may set.
    pub autoscaler: Option<(ObjectRef, PodRange)>,
    /// Leader-elected only because its ServiceAccount may take a lease, while it also writes
    /// cluster objects: many controllers ship lease RBAC with election off by default, so
    /// running-twice rules still say so, at info.
    pub election_unconfirmed: bool,
}

/// A workload with its classification.
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    pub workload: Workload<'a>,
    pub class: Classification,
}

/// Every workload of `objects`, classified. `assume_singleton` restores the strict reading:
/// every single-replica workload must never run twice.
pub fn classify(objects: &Objects, assume_singleton: bool) -> Vec<Judged<'_>> {
    let index = Index::new(objects);
    objects
        .workloads()
        .into_iter()
        .map(|workload| {
            let class = index.classify(&workload, assume_singleton);
            Judged { workload, class }
        })
        .collect()
}

/// A workload's autoscaler: an HPA or a KEDA ScaledObject.
struct Autoscaler {
    reference: ObjectRef,
    min: i32,
    max: i32,
}

/// One grant of a role to a ServiceAccount.
struct Grant<'o> {
    /// The subject's namespace (None: a group of every ServiceAccount).
    subject_namespace: Option<&'o str>,
    /// The binding's scope: a RoleBinding grants only in its own namespace.
    binding_scope: Option<String>,
    /// `Role x` or `ClusterRole y`.
    role: String,
    rules: &'o [PolicyRule],
}

/// The input, indexed once for every workload's lookups.
struct Index<'o> {
    objects: &'o Objects,
    services: HashMap<String, Vec<&'o Located<Service>>>,
    autoscalers: HashMap<(String, String, String), Autoscaler>,
    /// Claims by (scope, name): whether one writer at a time is all their access modes allow.
    exclusive_claims: HashMap<(String, String), bool>,
    /// Grants by ServiceAccount name.
    grants: HashMap<&'o str, Vec<Grant<'o>>>,
    /// Grants to every ServiceAccount (group `system:serviceaccounts[:ns]`).
    group_grants: Vec<Grant<'o>>,
}

impl<'o> Index<'o> {
    fn new(objects: &'o Objects) -> Self {
        let mut services: HashMap<String, Vec<&Located<Service>>> = HashMap::new();
        for s in &objects.services {
            services
                .entry(scope(&s.object.metadata, s.origin.as_ref()))
                .or_default()
                .push(s);
        }
        let mut autoscalers = HashMap::new();
        for h in &objects.hpas {
            let Some(spec) = &h.object.spec else { continue };
            let key = (
                scope(&h.object.metadata, h.origin.as_ref()),
                spec.scale_target_ref.kind.clone(),
                spec.scale_target_ref.name.clone(),
            );
            autoscalers.insert(
                key,
                Autoscaler {
                    reference: crate::audit::objects::reference(
                        "HorizontalPodAutoscaler",
                        &h.object.metadata,
                    ),
                    min: spec.min_replicas.unwrap_or(1),
                    max: spec.max_replicas,
                },
            );
        }
        for s in &objects.scaled_objects {
            let target = &s.object.spec.scale_target_ref;
            let key = (
                scope(&s.object.metadata, s.origin.as_ref()),
                target.kind.clone().unwrap_or_else(|| "Deployment".into()),
                target.name.clone(),
            );
            autoscalers.insert(
                key,
                Autoscaler {
                    reference: crate::audit::objects::reference("ScaledObject", &s.object.metadata),
                    min: s.object.spec.min_replica_count.unwrap_or(0),
                    max: s.object.spec.max_replica_count.unwrap_or(100),
                },
            );
        }
        let exclusive_claims = objects
            .pvcs
            .iter()
            .map(|c| {
                let modes = c
                    .object
                    .spec
                    .as_ref()
                    .and_then(|s| s.access_modes.as_deref())
                    .unwrap_or_default();
                let exclusive = !modes.is_empty()
                    && modes
                        .iter()
                        .all(|m| m == "ReadWriteOnce" || m == "ReadWriteOncePod");
                (
                    (
                        scope(&c.object.metadata, c.origin.as_ref()),
                        c.object.metadata.name.clone().unwrap_or_default(),
                    ),
                    exclusive,
                )
            })
            .collect();
        let mut index = Index {
            objects,
            services,
            autoscalers,
            exclusive_claims,
            grants: HashMap::new(),
            group_grants: Vec::new(),
        };
        index.add_grants();
        index
    }

    fn add_grants(&mut self) {
        let objects = self.objects;
        let roles: HashMap<(String, &str), &[PolicyRule]> = objects
            .roles
            .iter()
            .map(|r| {
                (
                    (
                        scope(&r.object.metadata, r.origin.as_ref()),
                        r.object.metadata.name.as_deref().unwrap_or_default(),
                    ),
                    r.object.rules.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        let cluster_roles: HashMap<&str, &[PolicyRule]> = objects
            .cluster_roles
            .iter()
            .map(|r| {
                (
                    r.object.metadata.name.as_deref().unwrap_or_default(),
                    r.object.rules.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        let bindings = objects
            .role_bindings
            .iter()
            .map(|b| {
                let s = scope(&b.object.metadata, b.origin.as_ref());
                let rules = if b.object.role_ref.kind == "Role" {
                    roles
                        .get(&(s.clone(), b.object.role_ref.name.as_str()))
                        .copied()
                } else {
                    cluster_roles.get(b.object.role_ref.name.as_str()).copied()
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
                    cluster_roles.get(b.object.role_ref.name.as_str()).copied(),
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
                    rules,
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

    fn classify(&self, w: &Workload<'_>, assume_singleton: bool) -> Classification {
        let pods = PodRange::of(w.replicas);
        let mut c = Classification {
            class: Class::SingleReplica,
            evidence: Vec::new(),
            evidence_against: false,
            pods,
            exclusive_claim: None,
            autoscaler: None,
            election_unconfirmed: false,
        };
        let autoscaler = self.autoscalers.get(&(
            w.scope.clone(),
            w.reference.kind.clone(),
            w.reference.name.clone(),
        ));
        if let Some(a) = autoscaler {
            let range = PodRange {
                min: a.min,
                max: a.max.max(a.min),
            };
            c.pods = range;
            c.autoscaler = Some((a.reference.clone(), range));
        }
        // A workload that must never run twice is judged at the count it declares; an
        // autoscaler over it is its own finding (hpa-scales-singleton).
        let declared = pods;
        match w.mode {
            Mode::Strict => {
                c.class = Class::Strict;
                c.pods = declared;
                c.evidence
                    .push(format!("annotated {MODE_ANNOTATION}: strict"));
                return c;
            }
            Mode::None => {
                c.class = Class::OptedOut;
                c.evidence
                    .push(format!("annotated {MODE_ANNOTATION}: none"));
                return c;
            }
            Mode::LeaderElection => {
                c.class = Class::LeaderElected;
                c.evidence
                    .push(format!("annotated {MODE_ANNOTATION}: leader-election"));
            }
            Mode::Unspecified => {}
        }
        if c.class == Class::LeaderElected {
            return c;
        }

        // Leader election: a lock held live, flags or environment, RBAC on leases.
        if self.objects.lease_holders.contains(&w.reference) {
            c.class = Class::LeaderElected;
            c.evidence
                .push("its pod holds a leader-election lock".into());
            return c;
        }
        let election = leader_election(w, |from| self.env_value(w, from));
        match &election {
            Election::Enabled(why) => {
                c.class = Class::LeaderElected;
                c.evidence.push(why.clone());
                return c;
            }
            Election::Disabled(why) | Election::Unknown(why) => c.evidence.push(why.clone()),
            Election::Unset => {}
        }
        let token = w.pod_spec().and_then(|s| s.automount_service_account_token) != Some(false);
        let account = service_account(w);
        let writes = if token { self.write_grant(w) } else { None };
        if let Some(role) = self
            .lease_grant(w)
            .filter(|_| token && election == Election::Unset)
        {
            c.class = Class::LeaderElected;
            c.evidence.push(format!(
                "ServiceAccount {account} may write leases ({role})"
            ));
            if let Some((what, role)) = writes {
                c.election_unconfirmed = true;
                c.evidence.push(format!(
                    "ServiceAccount {account} may {what} ({role}); no flag says leader election is on"
                ));
            }
            return c;
        }

        // One replica from here on, unless something scales it.
        if w.replicas > 1 && autoscaler.is_none() {
            c.class = Class::Scaled;
            c.evidence.insert(0, format!("replicas {}", w.replicas));
            return c;
        }
        if let Some(claim) = self.exclusive_claim(w) {
            c.class = Class::Strict;
            c.evidence.insert(
                0,
                format!("mounts ReadWriteOnce PersistentVolumeClaim {claim}"),
            );
            c.exclusive_claim = Some(claim);
            c.pods = declared;
            return c;
        }
        if assume_singleton && w.replicas == 1 {
            c.class = Class::Strict;
            c.evidence
                .insert(0, "replicas 1 and --assume-singleton".into());
            c.pods = declared;
            return c;
        }
        if let Some(a) = autoscaler {
            c.class = Class::Scaled;
            c.evidence.insert(
                0,
                format!(
                    "scaled by {} {}/{}",
                    a.reference.kind, a.reference.name, c.pods
                ),
            );
            return c;
        }
        if w.replicas < 1 {
            c.class = Class::Scaled;
            c.evidence.insert(0, format!("replicas {}", w.replicas));
            return c;
        }
        c.evidence.insert(0, "replicas 1".into());
        let traffic = self.traffic_service(w);
        if !token {
            c.evidence
                .push("automountServiceAccountToken: false (no API access)".into());
        }
        if let Some(service) = &traffic {
            c.evidence_against = true;
            c.evidence.push(service.clone());
        }
        match (writes, &traffic, &election) {
            (Some((what, role)), None, Election::Unset | Election::Disabled(_)) => {
                c.class = Class::Controller;
                c.evidence.push(format!(
                    "ServiceAccount {account} may {what} ({role}) with no leader election"
                ));
            }
            (Some((what, role)), _, _) => c
                .evidence
                .push(format!("ServiceAccount {account} may {what} ({role})")),
            (None, _, _) if token => c
                .evidence
                .push(format!("no RBAC seen lets ServiceAccount {account} write")),
            (None, _, _) => {}
        }
        c
    }

    /// The role that lets a workload's ServiceAccount take a Lease.
    fn lease_grant(&self, w: &Workload<'_>) -> Option<String> {
        self.grants_of(w)
            .find(|g| g.rules.iter().any(grants_leases))
            .map(|g| g.role.clone())
    }

    /// What a workload's ServiceAccount may write that reconciles cluster state, and which role
    /// grants it.
    fn write_grant(&self, w: &Workload<'_>) -> Option<(String, String)> {
        self.grants_of(w)
            .find_map(|g| writes(g.rules).map(|what| (what, g.role.clone())))
    }

    /// What an environment variable taken from a ConfigMap resolves to, when the ConfigMap is in
    /// the input.
    fn env_value(&self, w: &Workload<'_>, from: &EnvVarSource) -> EnvValue {
        let Some(key_ref) = &from.config_map_key_ref else {
            return EnvValue::Unknown;
        };
        let found = self.objects.config_maps.iter().find(|c| {
            c.object.metadata.name.as_deref() == Some(key_ref.name.as_str())
                && scope(&c.object.metadata, c.origin.as_ref()) == w.scope
        });
        match found {
            None => EnvValue::Unknown,
            Some(c) => match c.object.data.as_ref().and_then(|d| d.get(&key_ref.key)) {
                Some(value) => EnvValue::Set(value.clone()),
                None => EnvValue::Absent,
            },
        }
    }

    /// The ReadWriteOnce claim its pods mount, when the claim is in the input.
    fn exclusive_claim(&self, w: &Workload<'_>) -> Option<String> {
        if w.reference.kind == "StatefulSet" {
            // Claims from volumeClaimTemplates are per pod; a StatefulSet never surges.
            return None;
        }
        w.pod_spec()?
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| v.persistent_volume_claim.as_ref())
            .find(|claim| {
                !claim.read_only.unwrap_or(false)
                    && self
                        .exclusive_claims
                        .get(&(w.scope.clone(), claim.claim_name.clone()))
                        .copied()
                        .unwrap_or(false)
            })
            .map(|claim| claim.claim_name.clone())
    }

    /// `serves traffic through Service web (ports 80, 443)` for the first Service that selects
    /// its pods with a port that is not only scraped for metrics.
    fn traffic_service(&self, w: &Workload<'_>) -> Option<String> {
        let labels = w.pod_labels()?;
        self.services
            .get(&w.scope)
            .into_iter()
            .flatten()
            .filter(|s| selects_pods(s, labels))
            .find_map(|s| {
                let ports: Vec<String> = s
                    .object
                    .spec
                    .iter()
                    .flat_map(|sp| sp.ports.iter().flatten())
                    .filter(|p| !self.metrics_port(s, p))
                    .map(|p| p.name.clone().unwrap_or_else(|| p.port.to_string()))
                    .collect();
                (!ports.is_empty()).then(|| {
                    format!(
                        "serves traffic through Service {} (port {})",
                        s.object.metadata.name.as_deref().unwrap_or_default(),
                        ports.join(", ")
                    )
                })
            })
    }

    /// A port that serves no users: scraped for metrics (named so, or by a ServiceMonitor), or
    /// called by the API server for an admission webhook.
    fn metrics_port(&self, service: &Located<Service>, port: &ServicePort) -> bool {
        let metricsy = |name: &str| {
            let name = name.to_ascii_lowercase();
            ["metric", "prometheus", "telemetry", "webhook"]
                .iter()
                .any(|word| name.contains(word))
        };
        let service_name = service.object.metadata.name.as_deref().unwrap_or_default();
        let namespace = service.object.metadata.namespace.as_deref();
        if self.objects.webhook_services.iter().any(|w| {
            w.name == service_name
                && (namespace.is_none()
                    || w.namespace.is_none()
                    || w.namespace.as_deref() == namespace)
        }) {
            return true;
        }
        if port.name.as_deref().is_some_and(metricsy) {
            return true;
        }
        if let Some(IntOrString::String(target)) = &port.target_port
            && metricsy(target)
        {
            return true;
        }
        let service_labels = service.object.metadata.labels.clone().unwrap_or_default();
        let service_namespace = service.object.metadata.namespace.as_deref();
        self.objects.service_monitors.iter().any(|m| {
            let spec = &m.object.spec;
            let namespace_ok = match &spec.namespace_selector {
                Some(ns) if ns.any => true,
                Some(ns) if !ns.match_names.is_empty() => {
                    service_namespace.is_none_or(|s| ns.match_names.iter().any(|n| n == s))
                }
                _ => {
                    scope(&m.object.metadata, m.origin.as_ref())
                        == scope(&service.object.metadata, service.origin.as_ref())
                }
            };
            namespace_ok
                && !spec
                    .selector
                    .match_labels
                    .as_ref()
                    .is_none_or(|l| l.is_empty())
                && selects(&spec.selector, &service_labels)
                && spec.endpoints.iter().any(|e| {
                    e.port.is_some() && e.port == port.name
                        || e.target_port.is_some() && e.target_port == port.target_port
                })
        })
    }
}

/// A Service whose selector picks these pod labels (a Service without a selector picks none).
fn selects_pods(service: &Located<Service>, labels: &BTreeMap<String, String>) -> bool {
    service
        .object
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

fn service_account<'w>(w: &Workload<'w>) -> &'w str {
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
fn writes(rules: &[PolicyRule]) -> Option<String> {
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
        "*" => "write every resource".to_string(),
        "pods/eviction" => "evict pods".to_string(),
        _ if written.len() > 1 => format!("write {first} and {} more", written.len() - 1),
        _ => format!("write {first}"),
    })
}

/// An environment variable's value taken from elsewhere.
enum EnvValue {
    Set(String),
    /// Its ConfigMap is in the input and lacks the key: the variable is not set.
    Absent,
    /// From a ConfigMap or Secret the input does not show.
    Unknown,
}

/// What the containers' command lines and environment say about leader election.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Election {
    Unset,
    /// `flag --leader-elect`, `flag --election-id=…`, `env ENABLE_LEADER_ELECTION=true`.
    Enabled(String),
    /// `flag --leader-elect=false`.
    Disabled(String),
    /// Set from a ConfigMap or Secret the input does not show.
    Unknown(String),
}

/// Flag names (lower-case, without `-` and `_`) that switch leader election on or off.
const SWITCHES: &[&str] = &[
    "leaderelect",
    "leaderelection",
    "enableleaderelection",
    "enableleaderelect",
    "leaderelectionenabled",
    "leaderelectenabled",
];

/// `ENABLE_LEADER_ELECTION`, `--leader-elect`, `APPSET_ENABLE_LEADER_ELECTION`: a switch, not a
/// setting such as `--leader-election-namespace`.
fn is_switch(normalised: &str) -> bool {
    SWITCHES.iter().any(|s| normalised.ends_with(s))
}

fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a (normalised) flag or variable name is about leader election at all.
fn about_election(name: &str) -> bool {
    name.contains("leaderelect") || name.ends_with("electionid")
}

fn truth(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn leader_election(w: &Workload<'_>, resolve: impl Fn(&EnvVarSource) -> EnvValue) -> Election {
    let Some(spec) = w.pod_spec() else {
        return Election::Unset;
    };
    let containers: Vec<&Container> = spec.containers.iter().collect();
    let mut found = Election::Unset;
    for c in containers {
        let words: Vec<&str> = c
            .command
            .iter()
            .flatten()
            .chain(c.args.iter().flatten())
            .flat_map(|a| a.split_whitespace())
            .collect();
        for (i, word) in words.iter().enumerate() {
            let Some(flag) = word.strip_prefix('-') else {
                continue;
            };
            let flag = flag.trim_start_matches('-');
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            let key = normalised(name);
            if !about_election(&key) {
                continue;
            }
            if is_switch(&key) {
                // A separate `true`/`false` word is the value for parsers that take one.
                let value = value.or_else(|| {
                    words
                        .get(i + 1)
                        .filter(|next| truth(next).is_some() && !next.is_empty())
                        .copied()
                });
                match value.map_or(Some(true), truth) {
                    Some(true) => return Election::Enabled(format!("flag {word}")),
                    Some(false) => return Election::Disabled(format!("flag {word}")),
                    None => found = Election::Unknown(format!("flag {word}")),
                }
            } else if found == Election::Unset {
                // `--election-id`, `--leader-election-namespace`: configured, so in use unless
                // a switch says otherwise (checked on).
                found =
                    Election::Enabled(format!("flag {}", word.split('=').next().unwrap_or(word)));
            }
        }
        for env in c.env.iter().flatten() {
            let key = normalised(&env.name);
            if !about_election(&key) {
                continue;
            }
            let resolved;
            let value = match (&env.value, &env.value_from) {
                (_, Some(from)) => match resolve(from) {
                    EnvValue::Set(v) => {
                        resolved = v;
                        Some(resolved.as_str())
                    }
                    EnvValue::Absent => continue,
                    EnvValue::Unknown => {
                        if !matches!(found, Election::Enabled(_)) {
                            found = Election::Unknown(format!(
                                "env {} set from outside the input",
                                env.name
                            ))
                        }
                        continue;
                    }
                },
                (value, None) => value.as_deref(),
            };
            let Some(value) = value else { continue };
            match (is_switch(&key), truth(value)) {
                (true, Some(true)) => {
                    return Election::Enabled(format!("env {}={value}", env.name));
                }
                (true, Some(false)) => {
                    return Election::Disabled(format!("env {}={value}", env.name));
                }
                _ if found == Election::Unset => {
                    found = Election::Enabled(format!("env {}", env.name))
                }
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::manifests;

    /// (name, class, evidence) of every workload.
    fn classes(yaml: &str) -> Vec<(String, Class, Vec<String>)> {
        let objects = manifests::parse("dir/test.yaml", yaml).unwrap();
        classify(&objects, false)
            .into_iter()
            .map(|j| {
                (
                    j.workload.reference.name.clone(),
                    j.class.class,
                    j.class.evidence,
                )
            })
            .collect()
    }

    fn class_of(yaml: &str) -> Class {
        classes(yaml)[0].1
    }

    fn deployment(replicas: u8, extra_pod: &str, container: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, namespace: ns}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: app}}}}\n  template:\n    metadata: {{labels: {{app: app}}}}\n    spec:\n      serviceAccountName: app\n{extra_pod}      containers:\n      - name: c\n        image: x\n{container}"
        )
    }

    fn rbac(kind: &str, rules: &str) -> String {
        let binding = if kind == "Role" {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: app, namespace: ns}}\nrules: {rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {binding}\nmetadata: {{name: app, namespace: ns}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: app}}\nsubjects: [{{kind: ServiceAccount, name: app, namespace: ns}}]\n"
        )
    }

    const WRITES_PODS: &str = "[{apiGroups: [''], resources: [pods], verbs: [get, list, delete]}]";
    const READS_ONLY: &str = "[{apiGroups: ['*'], resources: ['*'], verbs: [get, list, watch]}]";
    const LEASES: &str =
        "[{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}]";

    #[test]
    fn one_replica_alone_is_intent_unknown() {
        let c = &classes(&deployment(1, "", ""))[0];
        assert_eq!(c.1, Class::SingleReplica);
        assert_eq!(c.2[0], "replicas 1");
    }

    #[test]
    fn the_annotation_decides_first() {
        let strict = deployment(1, "", "").replace(
            "metadata: {name: app, namespace: ns}",
            "metadata: {name: app, namespace: ns, annotations: {kubectl-singleton/mode: strict}}",
        );
        assert_eq!(class_of(&strict), Class::Strict);
        let none = strict.replace("mode: strict", "mode: none");
        assert_eq!(class_of(&none), Class::OptedOut);
    }

    #[test]
    fn leader_election_flags_and_env_with_false_respected() {
        for (args, expected) in [
            ("        args: [--leader-elect]\n", Class::LeaderElected),
            (
                "        args: [--leader-elect=true]\n",
                Class::LeaderElected,
            ),
            (
                "        args: ['--election-id=ingress-nginx-leader']\n",
                Class::LeaderElected,
            ),
            (
                "        args: [--enable-leader-election]\n",
                Class::LeaderElected,
            ),
            (
                "        command: [sh, -c, 'exec manager --leader-elect --v=2']\n",
                Class::LeaderElected,
            ),
            (
                "        args: [--leader-elect=false]\n",
                Class::SingleReplica,
            ),
            (
                "        args: [--leader-election-namespace=x, --leader-elect=false]\n",
                Class::SingleReplica,
            ),
            (
                "        env: [{name: ENABLE_LEADER_ELECTION, value: 'true'}]\n",
                Class::LeaderElected,
            ),
            (
                "        env: [{name: LEADER_ELECT, value: 'false'}]\n",
                Class::SingleReplica,
            ),
            ("        args: [--elect-nothing]\n", Class::SingleReplica),
        ] {
            assert_eq!(class_of(&deployment(1, "", args)), expected, "{args}");
        }
    }

    #[test]
    fn lease_rbac_is_leader_election_unless_a_flag_turns_it_off() {
        let with = format!("{}{}", deployment(1, "", ""), rbac("Role", LEASES));
        let c = &classes(&with)[0];
        assert_eq!(c.1, Class::LeaderElected);
        assert_eq!(c.2, vec!["ServiceAccount app may write leases (Role app)"]);
        let off = format!(
            "{}{}",
            deployment(1, "", "        args: [--leader-elect=false]\n"),
            rbac("ClusterRole", LEASES)
        );
        assert_eq!(class_of(&off), Class::SingleReplica);
    }

    #[test]
    fn a_writer_without_leader_election_or_service_is_a_controller() {
        let c = &classes(&format!(
            "{}{}",
            deployment(1, "", ""),
            rbac("ClusterRole", WRITES_PODS)
        ))[0];
        assert_eq!(c.1, Class::Controller);
        assert_eq!(
            c.2,
            vec![
                "replicas 1",
                "ServiceAccount app may write pods (ClusterRole app) with no leader election"
            ]
        );
        // Read-only RBAC, or no API token at all: intent unknown.
        let reader = format!(
            "{}{}",
            deployment(1, "", ""),
            rbac("ClusterRole", READS_ONLY)
        );
        assert_eq!(class_of(&reader), Class::SingleReplica);
        let no_token = format!(
            "{}{}",
            deployment(1, "      automountServiceAccountToken: false\n", ""),
            rbac("ClusterRole", WRITES_PODS)
        );
        assert_eq!(class_of(&no_token), Class::SingleReplica);
    }

    fn service(ports: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: app, namespace: ns, labels: {{svc: app}}}}\nspec: {{selector: {{app: app}}, ports: {ports}}}\n"
        )
    }

    #[test]
    fn a_writer_serving_traffic_is_a_server_but_metrics_ports_are_not_traffic() {
        let server = format!(
            "{}{}{}",
            deployment(1, "", ""),
            rbac("Role", WRITES_PODS),
            service("[{name: http, port: 80}]")
        );
        let c = &classes(&server)[0];
        assert_eq!(c.1, Class::SingleReplica);
        assert!(
            c.2.contains(&"serves traffic through Service app (port http)".to_string()),
            "{:?}",
            c.2
        );
        let metrics = format!(
            "{}{}{}",
            deployment(1, "", ""),
            rbac("Role", WRITES_PODS),
            service("[{name: http-metrics, port: 8080}]")
        );
        assert_eq!(class_of(&metrics), Class::Controller);
        let monitored = format!(
            "{}{}{}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {{name: app, namespace: ns}}\nspec: {{selector: {{matchLabels: {{svc: app}}}}, endpoints: [{{port: https}}]}}\n",
            deployment(1, "", ""),
            rbac("Role", WRITES_PODS),
            service("[{name: https, port: 8443}]")
        );
        assert_eq!(class_of(&monitored), Class::Controller);
    }

    #[test]
    fn read_write_once_claims_are_strict_and_autoscalers_scale() {
        let claim = |mode: &str| {
            format!(
                "{}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data, namespace: ns}}\nspec: {{accessModes: [{mode}]}}\n",
                deployment(
                    1,
                    "      volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n",
                    ""
                )
            )
        };
        assert_eq!(class_of(&claim("ReadWriteOnce")), Class::Strict);
        assert_eq!(class_of(&claim("ReadWriteMany")), Class::SingleReplica);
        let hpa = format!(
            "{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: ns}}\nspec: {{scaleTargetRef: {{kind: Deployment, name: app}}, minReplicas: 2, maxReplicas: 5}}\n",
            deployment(1, "", "")
        );
        let c = &classes(&hpa)[0];
        assert_eq!(c.1, Class::Scaled);
        assert_eq!(c.2[0], "scaled by HorizontalPodAutoscaler h/2–5 pods");
        assert_eq!(class_of(&deployment(3, "", "")), Class::Scaled);
    }

    #[test]
    fn namespace_less_documents_match_only_within_their_directory() {
        let doc = deployment(1, "", "").replace("{name: app, namespace: ns}", "{name: app}");
        let rules = rbac("ClusterRole", WRITES_PODS).replace(", namespace: ns}", "}");
        let mut objects = manifests::parse("a/deploy.yaml", &doc).unwrap();
        objects.extend(manifests::parse("a/rbac.yaml", &rules).unwrap());
        assert_eq!(classify(&objects, false)[0].class.class, Class::Controller);
        let mut apart = manifests::parse("a/deploy.yaml", &doc).unwrap();
        apart.extend(
            manifests::parse(
                "b/rbac.yaml",
                &rules.replace("kind: ClusterRoleBinding", "kind: RoleBinding"),
            )
            .unwrap(),
        );
        assert_eq!(classify(&apart, false)[0].class.class, Class::SingleReplica);
    }

    #[test]
    fn assume_singleton_is_the_strict_reading() {
        let objects = manifests::parse("t.yaml", &deployment(1, "", "")).unwrap();
        assert_eq!(classify(&objects, true)[0].class.class, Class::Strict);
    }
}
