//! What `kubectl drain --ignore-daemonsets` does with one pod (kubectl/pkg/drain/filters.go):
//! DaemonSet and mirror pods are skipped; a pod without a controller needs `--force` and is
//! lost; emptyDir data needs `--delete-emptydir-data` and is lost (finished pods need neither).
//! And what evicting it costs: a singleton is down until its replacement is Ready, a leader's
//! lease must run out before a standby takes over.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Pod, PodSpec};
use serde::Serialize;

use super::budget::{Eviction, Wait};
use crate::audit::classify::{Class, Judged};
use crate::lock::holder::{self, HolderPod};
use crate::lock::model::{Expiry, LockKind, LockReport};

/// The annotation the kubelet puts on a static pod's mirror.
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Without `terminationGracePeriodSeconds`, Kubernetes gives a pod 30s to stop.
const DEFAULT_GRACE_SECONDS: i64 = 30;

/// A `kubectl drain` flag a pod may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Flag {
    #[serde(rename = "--force")]
    Force,
    #[serde(rename = "--delete-emptydir-data")]
    DeleteEmptydirData,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Force => "--force",
            Flag::DeleteEmptydirData => "--delete-emptydir-data",
        }
    }
}

/// Why drain leaves a pod alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Skip {
    /// Controlled by a DaemonSet (`--ignore-daemonsets`): it would only come back.
    DaemonSet,
    /// The API's mirror of a static pod: the kubelet runs it, not the API.
    Mirror,
}

/// One pod on a node, and what draining the node does with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodReport {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `Deployment/web`, `StatefulSet/db`; none for a bare pod.
    pub workload: Option<String>,
    /// The audit's class of its workload, when the workload was read.
    pub class: Option<Class>,
    pub ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<Skip>,
    /// The drain flags it needs (whether or not they were assumed given).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Flag>,
    /// Its emptyDir volumes: their data is lost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_dir_volumes: Vec<String>,
    /// The Eviction API's answer if asked now, on its own (none for skipped pods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eviction: Option<Eviction>,
    /// Allowed on its own, but an earlier eviction used up its budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits: Option<Wait>,
    /// The only pod of a single-instance workload: down until rescheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub singleton: Option<Outage>,
    /// Live leader-election locks it holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leader: Vec<Leadership>,
    /// With `--server-dry-run`: what the API server answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerAnswer>,
}

impl PodReport {
    /// `namespace/name`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Its eviction is refused now, or waits for a node drained before.
    pub fn blocks(&self) -> bool {
        self.eviction.as_ref().is_some_and(|e| e.block.is_some())
            || self.waits.as_ref().is_some_and(|w| w.blocks)
    }

    /// One word for the detail view and the summary.
    pub fn verdict(&self) -> &'static str {
        if self.skipped.is_some() {
            "skipped"
        } else if self.eviction.as_ref().is_some_and(|e| e.block.is_some()) {
            "blocked"
        } else if self.waits.as_ref().is_some_and(|w| w.blocks) {
            "waits"
        } else {
            "evicted"
        }
    }
}

/// How long a singleton is down once evicted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outage {
    pub workload: String,
    /// Strict or controller: it must never run twice (the SINGLETONS column counts these).
    pub must_not_run_twice: bool,
    /// terminationGracePeriodSeconds: how long the old pod may take to stop.
    pub grace_period_seconds: i64,
    /// The longest readiness-probe initial delay: the least time a new pod needs to be Ready.
    pub ready_after_seconds: i64,
    /// A StatefulSet starts the replacement only once the old pod is gone.
    pub replacement_waits_for_stop: bool,
}

impl Outage {
    pub fn words(&self) -> String {
        let ready = match self.ready_after_seconds {
            0 => "is Ready".to_string(),
            s => format!("passes readiness (at least {s}s)"),
        };
        if self.replacement_waits_for_stop {
            format!(
                "{} is down until rescheduled: the replacement starts only after this pod stops (up to {}s grace) and {ready}",
                self.workload, self.grace_period_seconds
            )
        } else {
            format!(
                "{} is down until rescheduled: the replacement is created at once and serves once scheduled and {ready}",
                self.workload
            )
        }
    }
}

/// A live leader-election lock held by the pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leadership {
    pub kind: LockKind,
    pub namespace: String,
    pub name: String,
    pub lease_duration_seconds: Option<i64>,
    /// The command that hands it over cleanly before the drain.
    pub handover: String,
}

impl Leadership {
    pub fn words(&self) -> String {
        let wait = match self.lease_duration_seconds {
            Some(s) => format!("up to {s}s"),
            None => "until the lease expires".to_string(),
        };
        format!(
            "leads {} {}/{}: failover waits {wait} unless handed over first: {}",
            self.kind.as_str(),
            self.namespace,
            self.name,
            self.handover
        )
    }
}

/// The API server's answer to a dry-run eviction, beside the prediction.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAnswer {
    /// 201, 429, 500; 404 when the pod was gone.
    pub code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether it is the answer predicted for this pod on its own.
    pub agrees: bool,
}

/// The words for a flag a pod needs.
pub fn needs_words(pod: &PodReport, flag: Flag) -> String {
    let reference = pod.reference();
    match flag {
        Flag::Force => format!(
            "{reference} has no controller: drain refuses the node without --force, and the pod is lost for good; fix: run it under a Deployment or StatefulSet, or drain with --force"
        ),
        Flag::DeleteEmptydirData => format!(
            "{reference} keeps emptyDir data ({}): drain refuses the node without --delete-emptydir-data, and the data is lost",
            pod.empty_dir_volumes.join(", ")
        ),
    }
}

/// The classification and the locks, indexed for the pods.
pub struct Context<'a> {
    classes: HashMap<(&'a str, &'a str, &'a str), &'a Judged<'a>>,
    leads: HashMap<(&'a str, &'a str), Vec<&'a LockReport>>,
}

impl<'a> Context<'a> {
    pub fn new(judged: &'a [Judged<'a>], locks: &'a [LockReport]) -> Self {
        let classes = judged
            .iter()
            .map(|j| {
                let r = &j.workload.reference;
                ((r.namespace.as_str(), r.kind.as_str(), r.name.as_str()), j)
            })
            .collect();
        let mut leads: HashMap<(&str, &str), Vec<&LockReport>> = HashMap::new();
        for report in locks {
            let live = matches!(report.expiry, Expiry::Live { .. } | Expiry::Unknown);
            if let (true, Some(HolderPod::Found(pod))) = (live, &report.holder_pod) {
                leads
                    .entry((pod.namespace.as_str(), pod.name.as_str()))
                    .or_default()
                    .push(report);
            }
        }
        Context { classes, leads }
    }

    /// What drain does with `pod` (its eviction is judged by `budget`).
    pub fn report(&self, pod: &Pod) -> PodReport {
        let summary = holder::summarize(pod);
        let spec = pod.spec.clone().unwrap_or_default();
        let controller = pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        let mirror = pod
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(MIRROR_ANNOTATION));
        let skipped = if mirror {
            Some(Skip::Mirror)
        } else if controller.is_some_and(|c| c.kind == "DaemonSet") {
            Some(Skip::DaemonSet)
        } else {
            None
        };
        let finished = matches!(summary.phase.as_deref(), Some("Succeeded" | "Failed"));
        let empty_dir_volumes: Vec<String> = spec
            .volumes
            .iter()
            .flatten()
            .filter(|v| v.empty_dir.is_some())
            .map(|v| v.name.clone())
            .collect();
        let mut needs = Vec::new();
        if skipped.is_none() && !finished {
            if controller.is_none() {
                needs.push(Flag::Force);
            }
            if !empty_dir_volumes.is_empty() {
                needs.push(Flag::DeleteEmptydirData);
            }
        }
        let judged = summary.workload.as_ref().and_then(|w| {
            self.classes
                .get(&(summary.namespace.as_str(), w.kind.as_str(), w.name.as_str()))
                .copied()
        });
        let singleton = judged
            .filter(|_| skipped.is_none())
            .and_then(|j| outage(j, &spec));
        let leader = self
            .leads
            .get(&(summary.namespace.as_str(), summary.name.as_str()))
            .into_iter()
            .flatten()
            .map(|r| leadership(r))
            .collect();
        PodReport {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            workload: summary.workload.as_ref().map(ToString::to_string),
            class: judged.map(|j| j.class.class),
            ready: summary.ready,
            skipped,
            needs,
            empty_dir_volumes,
            eviction: None,
            waits: None,
            singleton,
            leader,
            server: None,
            namespace: summary.namespace,
            name: summary.name,
        }
    }
}

/// The outage of evicting the only pod of a single-instance workload; none for workloads that
/// run several pods, elect a leader, or opted out.
fn outage(j: &Judged<'_>, spec: &PodSpec) -> Option<Outage> {
    let single = matches!(
        j.class.class,
        Class::Strict | Class::Controller | Class::SingleReplica
    );
    if !single || j.class.pods.max > 1 {
        return None;
    }
    let ready_after_seconds = spec
        .containers
        .iter()
        .filter_map(|c| c.readiness_probe.as_ref())
        .filter_map(|p| p.initial_delay_seconds)
        .max()
        .map_or(0, i64::from);
    Some(Outage {
        workload: j.workload.reference.to_string(),
        must_not_run_twice: j.class.class.must_not_run_twice(),
        grace_period_seconds: spec
            .termination_grace_period_seconds
            .unwrap_or(DEFAULT_GRACE_SECONDS),
        ready_after_seconds,
        replacement_waits_for_stop: j.workload.reference.kind == "StatefulSet",
    })
}

fn leadership(r: &LockReport) -> Leadership {
    let lock = &r.lock;
    let kind = match lock.kind {
        LockKind::Lease => String::new(),
        other => format!(" --kind {}", other.resource()),
    };
    Leadership {
        kind: lock.kind,
        namespace: lock.namespace.clone(),
        name: lock.name.clone(),
        lease_duration_seconds: lock.lease_duration.map(|d| d.as_secs()),
        handover: format!(
            "kubectl singleton release {} -n {}{kind} --evict",
            lock.name, lock.namespace
        ),
    }
}
