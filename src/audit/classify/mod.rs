//! Which workloads are singletons, decided from evidence (DESIGN.md §5), never from
//! `replicas: 1` alone: most single-replica workloads are merely small. One classifier for
//! manifests and live clusters; every class comes with the evidence that decided it, and the
//! rules fire by class.
//!
//! The class is decided here, from the annotation down to the replica count; the evidence comes
//! from `election` (flags and environment), `rbac` (what the ServiceAccount may write) and
//! `traffic` (a Service that serves users).

mod election;
mod rbac;
mod traffic;

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Service;
use serde::Serialize;

use self::election::{Election, leader_election};
use self::rbac::{Grant, service_account};
use crate::audit::objects::{Located, Objects, Workload, scope};
use crate::k8s::{MODE_ANNOTATION, Mode, ObjectRef};

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
                    reference: ObjectRef::of("HorizontalPodAutoscaler", &h.object.metadata),
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
                    reference: ObjectRef::of("ScaledObject", &s.object.metadata),
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
        let election = leader_election(
            w,
            |from| self.env_value(w, from),
            |from| self.env_from(w, from),
        );
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
}

#[cfg(test)]
mod tests;
