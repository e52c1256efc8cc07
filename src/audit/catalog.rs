//! The rule catalog: stable IDs (a contract), severities, and what `audit explain` says.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How bad a finding is; ordered so that `Error > Warning > Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Whether a rule needs a live cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Static,
    Runtime,
}

/// A rule's stable ID: a contract, shown, serialised and parsed as its kebab-case name
/// (`rollout-surge`). Declared in catalog order; a new rule goes at the end, here and in
/// [`RuleId::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleId {
    RolloutSurge,
    ReplicasNotOne,
    HpaScalesSingleton,
    PdbBlocksDrain,
    PdbUnhealthyEviction,
    PdbOverlap,
    CronjobConcurrency,
    CronjobNoDeadline,
    StatefulsetService,
    LeaderNoStandby,
    GracePeriodZero,
    DuplicateInstances,
    LeaseExpired,
    LeaseOrphaned,
    LeaseHolderUnready,
    LeaseClockSkew,
    LegacyLock,
    RemovedApiVersion,
    PdbNoPods,
    ShardLeaderless,
    ShardMissing,
    ShardHotspot,
    LegacyLockSplit,
    LeaseRbacDenied,
    LeaderChurn,
    PreferredHolderGone,
}

impl RuleId {
    /// Every rule, in catalog order: the order of `audit explain` and of SARIF's `rules`.
    pub const ALL: [RuleId; 26] = [
        RuleId::RolloutSurge,
        RuleId::ReplicasNotOne,
        RuleId::HpaScalesSingleton,
        RuleId::PdbBlocksDrain,
        RuleId::PdbUnhealthyEviction,
        RuleId::PdbOverlap,
        RuleId::CronjobConcurrency,
        RuleId::CronjobNoDeadline,
        RuleId::StatefulsetService,
        RuleId::LeaderNoStandby,
        RuleId::GracePeriodZero,
        RuleId::DuplicateInstances,
        RuleId::LeaseExpired,
        RuleId::LeaseOrphaned,
        RuleId::LeaseHolderUnready,
        RuleId::LeaseClockSkew,
        RuleId::LegacyLock,
        RuleId::RemovedApiVersion,
        RuleId::PdbNoPods,
        RuleId::ShardLeaderless,
        RuleId::ShardMissing,
        RuleId::ShardHotspot,
        RuleId::LegacyLockSplit,
        RuleId::LeaseRbacDenied,
        RuleId::LeaderChurn,
        RuleId::PreferredHolderGone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::RolloutSurge => "rollout-surge",
            RuleId::ReplicasNotOne => "replicas-not-one",
            RuleId::HpaScalesSingleton => "hpa-scales-singleton",
            RuleId::PdbBlocksDrain => "pdb-blocks-drain",
            RuleId::PdbUnhealthyEviction => "pdb-unhealthy-eviction",
            RuleId::PdbOverlap => "pdb-overlap",
            RuleId::CronjobConcurrency => "cronjob-concurrency",
            RuleId::CronjobNoDeadline => "cronjob-no-deadline",
            RuleId::StatefulsetService => "statefulset-service",
            RuleId::LeaderNoStandby => "leader-no-standby",
            RuleId::GracePeriodZero => "grace-period-zero",
            RuleId::DuplicateInstances => "duplicate-instances",
            RuleId::LeaseExpired => "lease-expired",
            RuleId::LeaseOrphaned => "lease-orphaned",
            RuleId::LeaseHolderUnready => "lease-holder-unready",
            RuleId::LeaseClockSkew => "lease-clock-skew",
            RuleId::LegacyLock => "legacy-lock",
            RuleId::RemovedApiVersion => "removed-api-version",
            RuleId::PdbNoPods => "pdb-no-pods",
            RuleId::ShardLeaderless => "shard-leaderless",
            RuleId::ShardMissing => "shard-missing",
            RuleId::ShardHotspot => "shard-hotspot",
            RuleId::LegacyLockSplit => "legacy-lock-split",
            RuleId::LeaseRbacDenied => "lease-rbac-denied",
            RuleId::LeaderChurn => "leader-churn",
            RuleId::PreferredHolderGone => "preferred-holder-gone",
        }
    }

    /// Its position in the catalog ([`RuleId::ALL`]): SARIF's `ruleIndex`.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A name that is no rule's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRule;

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(id: &str) -> Result<Self, UnknownRule> {
        RuleId::ALL
            .into_iter()
            .find(|r| r.as_str() == id)
            .ok_or(UnknownRule)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that table columns (`{:<24}`) line up.
        f.pad(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What the catalog says about one rule.
pub struct Rule {
    pub severity: Severity,
    pub kind: RuleKind,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// Why it exists and what breaks.
    pub rationale: &'static str,
    /// The fix, as a YAML snippet.
    pub fix: &'static str,
    pub references: &'static [&'static str],
}

const PDB_DOCS: &str = "https://kubernetes.io/docs/tasks/run-application/configure-pdb/";
const DEPLOY_DOCS: &str =
    "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy";
const CRON_DOCS: &str = "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/";
const LEASE_DOCS: &str = "https://kubernetes.io/docs/concepts/architecture/leases/";
const SHARDS_DOCS: &str =
    "https://github.com/kubectl-singleton/kubectl-singleton/blob/main/docs/shards.md";

/// The catalog's entry for a rule: every ID has one.
pub fn rule(id: RuleId) -> &'static Rule {
    match id {
        RuleId::RolloutSurge => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Static,
            summary: "a Deployment that must never run twice rolls out with maxSurge ≥ 1",
            rationale: "A RollingUpdate starts the new pod before the old one stops. The default maxSurge of 25% rounds up to 1, so a `replicas: 1` Deployment runs two copies during every rollout: two schedulers, two consumers, two writers. An error for a declared singleton (kubectl-singleton/mode: strict) or one whose ReadWriteOnce claim allows one writer; a warning for a controller that writes cluster objects without leader election; info for a single replica of unknown intent; nothing for a server behind a Service or a leader-elected workload, where surging is what keeps it available.",
            fix: "spec:\n  strategy:\n    type: Recreate   # stop the old pod before starting the new one",
            references: &[DEPLOY_DOCS],
        },
        RuleId::ReplicasNotOne => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Static,
            summary: "a workload annotated kubectl-singleton/mode: strict has replicas ≠ 1",
            rationale: "The workload says it must run exactly once, but asks for a different number of replicas.",
            fix: "spec:\n  replicas: 1",
            references: &[],
        },
        RuleId::HpaScalesSingleton => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Static,
            summary: "an HPA or ScaledObject can scale a workload that must never run twice above one",
            rationale: "A HorizontalPodAutoscaler with maxReplicas > 1 adds replicas under load: the singleton runs several times exactly when it is busiest.",
            fix: "# delete the HorizontalPodAutoscaler, or cap it:\nspec:\n  maxReplicas: 1",
            references: &[
                "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
            ],
        },
        RuleId::PdbBlocksDrain => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Static,
            summary: "a PDB allows no disruption at the pod count its workloads run (their replicas, or an autoscaler's minimum)",
            rationale: "minAvailable ≥ the pods (e.g. minAvailable: 1 over one replica), 100%, or maxUnavailable 0 leaves disruptionsAllowed at 0: `kubectl drain`, node upgrades and cluster autoscaler scale-down wait on these pods indefinitely. With an autoscaler the pods are its minReplicas..maxReplicas: a budget that blocks at the minimum blocks every drain while the workload idles.",
            fix: "# for a singleton, prefer no PDB; if you keep one, allow the disruption:\nspec:\n  maxUnavailable: 1",
            references: &[PDB_DOCS],
        },
        RuleId::PdbUnhealthyEviction => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Static,
            summary: "a PDB over a single pod lacks unhealthyPodEvictionPolicy: AlwaysAllow",
            rationale: "With the default policy (IfHealthyBudget) an unready pod may be evicted only while the budget has healthy pods to spare; over one pod it never has, so a crash-looping single pod blocks every drain of its node.",
            fix: "spec:\n  unhealthyPodEvictionPolicy: AlwaysAllow",
            references: &[
                "https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy",
            ],
        },
        RuleId::PdbOverlap => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Static,
            summary: "more than one PDB selects the same pods",
            rationale: "The eviction API refuses pods covered by several budgets (500 Internal Server Error: \"This pod has more than one PodDisruptionBudget\"), so drains of their nodes fail.",
            fix: "# keep one PodDisruptionBudget per set of pods; narrow or delete the others",
            references: &[PDB_DOCS],
        },
        RuleId::CronjobConcurrency => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Static,
            summary: "a CronJob keeps the default concurrencyPolicy: Allow",
            rationale: "When a run outlasts its schedule interval the next run starts anyway: two copies of the job overlap. A warning when the CronJob is declared strict; info otherwise, since many jobs may overlap harmlessly.",
            fix: "spec:\n  concurrencyPolicy: Forbid   # or Replace",
            references: &[CRON_DOCS],
        },
        RuleId::CronjobNoDeadline => &Rule {
            severity: Severity::Info,
            kind: RuleKind::Static,
            summary: "a CronJob has no startingDeadlineSeconds",
            rationale: "After controller downtime a CronJob without a deadline may start a missed run late, and after 100 missed schedules it stops scheduling altogether.",
            fix: "spec:\n  startingDeadlineSeconds: 300",
            references: &[CRON_DOCS],
        },
        RuleId::StatefulsetService => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Static,
            summary: "a StatefulSet's serviceName names no headless Service",
            rationale: "A StatefulSet's pods get stable DNS names only through the headless Service named in serviceName; without it clients cannot reach the one instance by name.",
            fix: "apiVersion: v1\nkind: Service\nmetadata:\n  name: <serviceName>\nspec:\n  clusterIP: None\n  selector: <the StatefulSet's pod labels>",
            references: &[
                "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#limitations",
            ],
        },
        RuleId::LeaderNoStandby => &Rule {
            severity: Severity::Info,
            kind: RuleKind::Static,
            summary: "a leader-elected workload runs one replica",
            rationale: "Leader election only helps with a standby: with one replica, failover waits for a new pod to be scheduled and started.",
            fix: "spec:\n  replicas: 2",
            references: &[LEASE_DOCS],
        },
        RuleId::GracePeriodZero => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Static,
            summary: "a singleton's terminationGracePeriodSeconds is 0",
            rationale: "With no grace period the process is killed at once: it cannot release its lease or finish its work, so the next instance waits for the lease to expire or finds half-done work.",
            fix: "spec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 30",
            references: &[
                "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination",
            ],
        },
        RuleId::DuplicateInstances => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Runtime,
            summary: "a workload that must never run twice has more than one pod running or not yet gone",
            rationale: "Two pods of a singleton are alive at once: after a force-delete, a node partition, or a surge rollout.",
            fix: "# find the extra pod and why it exists:\n#   kubectl get pods -l <selector> -o wide",
            references: &[
                "https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/",
            ],
        },
        RuleId::LeaseExpired => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a lease has a holder but is past expiry",
            rationale: "Nobody is leading: the holder stopped renewing and no standby has taken over.",
            fix: "# see who should lead:  kubectl singleton status NAME -n NS",
            references: &[LEASE_DOCS],
        },
        RuleId::LeaseOrphaned => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a lease's holder maps to no existing pod",
            rationale: "The leader's pod is gone; until the lease expires nobody else may lead.",
            fix: "# free it safely:  kubectl singleton release NAME -n NS",
            references: &[LEASE_DOCS],
        },
        RuleId::LeaseHolderUnready => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "the holder pod exists but is not Ready",
            rationale: "A leader that renews its lease but is not Ready may be a zombie: holding leadership while doing no work.",
            fix: "# inspect it:  kubectl describe pod <holder> -n NS",
            references: &[LEASE_DOCS],
        },
        RuleId::LeaseClockSkew => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a lease's renewTime is ahead of the server clock",
            rationale: "The holder's clock runs ahead: its lease looks live longer than it is, and peers may wait too long or take over too early.",
            fix: "# fix time sync (NTP/chrony) on the holder's node",
            references: &[LEASE_DOCS],
        },
        RuleId::LegacyLock => &Rule {
            severity: Severity::Info,
            kind: RuleKind::Runtime,
            summary: "leader election still uses a ConfigMap/Endpoints annotation lock",
            rationale: "client-go removed ConfigMap and Endpoints locks; upgrading the client forces a migration to Leases.",
            fix: "# migrate to a coordination.k8s.io/v1 Lease lock",
            references: &[LEASE_DOCS],
        },
        RuleId::RemovedApiVersion => &Rule {
            severity: Severity::Info,
            kind: RuleKind::Static,
            summary: "an object uses an API version that current Kubernetes no longer serves",
            rationale: "extensions/v1beta1 and apps/v1beta1/2 workloads (removed in 1.16), batch/v1beta1 CronJobs, policy/v1beta1 PodDisruptionBudgets and autoscaling/v2beta1 HorizontalPodAutoscalers (1.25), autoscaling/v2beta2 (1.26) and rbac v1beta1 (1.22) are refused by current API servers. The audit reads them as their GA version so their singleton problems are still found, but the manifest will not apply as written.",
            fix: "# move to the GA version, e.g.\napiVersion: apps/v1   # Deployment, StatefulSet, ReplicaSet\napiVersion: batch/v1  # CronJob\napiVersion: policy/v1 # PodDisruptionBudget (an empty selector now selects every pod)",
            references: &["https://kubernetes.io/docs/reference/using-api/deprecation-guide/"],
        },
        RuleId::PdbNoPods => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a PDB selects no pods",
            rationale: "A budget that selects nothing protects nothing: usually a selector typo.",
            fix: "# fix spec.selector to match the workload's pod labels",
            references: &[PDB_DOCS],
        },
        RuleId::ShardLeaderless => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Runtime,
            summary: "a shard of a lease family has had no leader for longer than its lease duration",
            rationale: "In sharded leader election (Knative buckets, `<name>-shard-N`, a controller ring) each lease's leader does one slice of the work. A member that is expired, released or orphaned for longer than a whole lease duration was not taken over by any standby: its slice is not being worked on (argoproj/argo-cd#20965, #24147). A handover in progress (shorter than the lease duration) is not reported.",
            fix: "# see which shards lack a leader and who could take them:\n#   kubectl singleton status --shards FAMILY -n NS\n# check that every replica campaigns for every shard, and that they can reach the API server",
            references: &[SHARDS_DOCS, LEASE_DOCS],
        },
        RuleId::ShardMissing => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a Knative-style lease family (`<name>.<i>-of-<n>`) has no lease for an index",
            rationale: "A bucket lease is created by the first replica that campaigns for it. With no lease for an index of a known total, no replica ever campaigned for that bucket: the keys it owns are handled by nobody (e.g. replicas started with different bucket counts).",
            fix: "# make every replica use the same bucket count, and check its logs for the bucket's election",
            references: &[SHARDS_DOCS],
        },
        RuleId::ShardHotspot => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "one pod leads far more shards of a family than its share while other candidates are ready",
            rationale: "Elected shards spread work only if their leaders spread: a pod that leads at least twice its fair share (and three shards or more) while its workload has other Ready pods (or the lease has other LeaseCandidates) carries the family's load alone and takes every shard down when it fails (argoproj/argo-cd#6125, timebertt/thesis-controller-sharding#1). Usually the first pod to start took every lease and the others never get one, since client-go leaders keep what they hold.",
            fix: "# spread the leaders: restart the hot pod so the others acquire its shards, or\n# cap the shards one replica campaigns for (e.g. Knative's buckets per replica)",
            references: &[SHARDS_DOCS],
        },
        RuleId::LegacyLockSplit => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Runtime,
            summary: "a legacy ConfigMap/Endpoints lock and a Lease of the same name are held live by different holders",
            rationale: "client-go's MultiLock migrates a ConfigMap or Endpoints lock to a Lease by writing both. If a step is skipped (one version of the workload takes only the old lock, another only the new one) both locks are held at once by different pods: two leaders (kubernetes/kubernetes#107454, openkruise/kruise#1407, cert-manager/cert-manager#4935).",
            fix: "# run every replica with the same lock type: first the multilock (configmapsleases /\n# endpointsleases) everywhere, then leases only",
            references: &[
                "https://github.com/kubernetes/kubernetes/issues/107454",
                LEASE_DOCS,
            ],
        },
        RuleId::LeaseRbacDenied => &Rule {
            severity: Severity::Error,
            kind: RuleKind::Runtime,
            summary: "a leader-elected workload's ServiceAccount may not update the lease it holds",
            rationale: "A client-go leader renews by updating its Lease. Created but not renewable, the lease expires and the workload loses leadership, crash-loops or never leads again (cert-manager/cert-manager#8476). The audit asks the API server with a SubjectAccessReview for each lease that is not being renewed; when the audit itself may not create SubjectAccessReviews it says so and skips the rule.",
            fix: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nrules:\n- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  verbs: [get, create, update]",
            references: &[
                "https://github.com/cert-manager/cert-manager/issues/8476",
                LEASE_DOCS,
            ],
        },
        RuleId::LeaderChurn => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a lease changes leader far more often than normal over its life",
            rationale: "leaseTransitions counts leader changes since the lease was created. Rollouts and restarts add a few; renewals that fail under API-server load or slow networks add many (kubernetes/kubernetes#74340, Kong/kubernetes-ingress-controller#3124), and each change stops and restarts the leader's work. Reported at 10 transitions or more and more than 6 per hour of the lease's life (one every 10 minutes), with the rate in the message.",
            fix: "# find out why renewals fail: API-server latency, CPU throttling of the leader, or a renewDeadline too close to leaseDuration",
            references: &[
                "https://github.com/kubernetes/kubernetes/issues/74340",
                LEASE_DOCS,
            ],
        },
        RuleId::PreferredHolderGone => &Rule {
            severity: Severity::Warning,
            kind: RuleKind::Runtime,
            summary: "a coordinated lease's preferredHolder names no LeaseCandidate, or one whose pod is gone",
            rationale: "In coordinated leader election the current leader yields when preferredHolder names someone else. If that candidate is gone the handover stalls: the leader steps down for nobody (kubernetes/kubernetes#138066). Gone: no LeaseCandidate of the lease names it (judged only when candidates could be read), or its pod is missing while other pods of the workload its name points at still run (a node-hosted identity never counts).",
            fix: "# clear spec.preferredHolder, or let the coordinated election controller set it again:\n#   kubectl patch lease NAME -n NS --type merge -p '{\"spec\":{\"preferredHolder\":null}}'",
            references: &[
                "https://kubernetes.io/docs/concepts/cluster-administration/coordinated-leader-election/",
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RuleId::ALL.len());
    }

    #[test]
    fn ids_read_back_and_index_the_catalog_in_order() {
        for (i, id) in RuleId::ALL.into_iter().enumerate() {
            assert_eq!(id.index(), i, "{id}");
            assert_eq!(id.as_str().parse::<RuleId>(), Ok(id));
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str());
        }
        assert_eq!(format!("{:<15}|", RuleId::PdbOverlap), "pdb-overlap    |");
        assert_eq!("rollout_surge".parse::<RuleId>(), Err(UnknownRule));
    }
}
