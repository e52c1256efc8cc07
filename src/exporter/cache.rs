//! What the exporter's watches have seen: the locks, a summary of every pod (to judge holders
//! without a GET), each source's sync status, and the per-lock accounts. The watch tasks write
//! it; each scrape judges every lock from it at the server's clock. No I/O here.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use super::account::Account;
use super::owners::OwnerIndex;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::keyed::{Keyed, NameKey};
use super::trimmed_pod::TrimmedPod;

use crate::audit::rules::Finding;
use crate::k8s::{OwnerKind, WorkloadRef};
use crate::lock::holder::{self, HolderPod, PodSummary};
use crate::lock::model::{LeaderLock, LockKind, LockReport, State};
use crate::lock::watch::{LockId, id};

/// One watched resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Leases,
    ConfigMaps,
    Endpoints,
    Pods,
    LeaseCandidates,
    /// Metadata only: a gone holder's ReplicaSet or StatefulSet that still exists makes the lock
    /// Orphaned even when the controller has no pod left (as `status` judges it with a GET).
    ReplicaSets,
    StatefulSets,
    /// Names only, and PodDisruptionBudgets (trimmed): the drain check over the caches.
    Nodes,
    PodDisruptionBudgets,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::Leases,
        Source::ConfigMaps,
        Source::Endpoints,
        Source::Pods,
        Source::LeaseCandidates,
        Source::ReplicaSets,
        Source::StatefulSets,
        Source::Nodes,
        Source::PodDisruptionBudgets,
    ];

    /// The sources cached as names only (`namespace`, `name`).
    fn names_only(self) -> bool {
        matches!(
            self,
            Source::ReplicaSets | Source::StatefulSets | Source::Nodes
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Leases => "leases",
            Source::ConfigMaps => "configmaps",
            Source::Endpoints => "endpoints",
            Source::Pods => "pods",
            Source::LeaseCandidates => "leasecandidates",
            Source::ReplicaSets => "replicasets",
            Source::StatefulSets => "statefulsets",
            Source::Nodes => "nodes",
            Source::PodDisruptionBudgets => "poddisruptionbudgets",
        }
    }

    pub fn of(kind: LockKind) -> Self {
        match kind {
            LockKind::Lease => Source::Leases,
            LockKind::ConfigMap => Source::ConfigMaps,
            LockKind::Endpoints => Source::Endpoints,
        }
    }
}

/// How one watch is doing.
#[derive(Debug, Clone, Default)]
pub struct SourceStatus {
    /// A full list has been seen since start.
    pub synced: bool,
    /// When the latest full list completed (local clock: it is the exporter's own event).
    pub last_sync: Option<Timestamp>,
    /// Watch errors after which the watch was restarted (with backoff).
    pub restarts: u64,
    /// The latest error, until the next full list succeeds.
    pub error: Option<String>,
    pub objects: usize,
    /// The API server does not serve this resource (404): synced, with nothing in it.
    pub not_served: bool,
}

/// A pod as far as holders and the audit's election rules need it: its summary, its direct
/// controller, and the pod trimmed to what the rules and the drain check read.
#[derive(Debug, Clone)]
pub struct CachedPod {
    pub summary: PodSummary,
    /// `(kind, name)` of the controlling owner reference, e.g. `("ReplicaSet", "web-5d8f")`.
    pub owner: Option<(String, String)>,
    pub object: TrimmedPod,
}

/// A LeaseCandidate as the cache keeps it: `(namespace, candidate name)` → lease name.
pub type CandidateKey = (String, String);

type PodKey = (String, String);

#[derive(Debug, Default)]
pub struct Cache {
    locks: BTreeMap<LockId, LeaderLock>,
    pods: HashMap<PodKey, CachedPod>,
    by_owner: OwnerIndex,
    /// Objects of a re-list in progress, swapped in whole when it completes.
    relisting_locks: HashMap<Source, Vec<LeaderLock>>,
    relisting_pods: Option<Vec<CachedPod>>,
    sources: BTreeMap<Source, SourceStatus>,
    accounts: BTreeMap<LockId, Account>,
    candidates: HashMap<CandidateKey, String>,
    relisting_candidates: Option<HashMap<CandidateKey, String>>,
    /// Objects known by name only, per source (`Source::names_only`).
    names: HashMap<Source, Keyed<()>>,
    pdbs: Keyed<PodDisruptionBudget>,
    /// The latest audit over the cache (`exporter::audit`), and when it ran (local clock).
    pub findings: Vec<Finding>,
    pub audited_at: Option<Timestamp>,
    /// The latest audit's drain check: blocked nodes, and how many nodes it judged.
    pub drain_blocked: Vec<super::drain_blocked::Blocked>,
    pub drain_checked: Option<usize>,
}

impl Cache {
    pub fn new() -> Self {
        let mut cache = Cache::default();
        for source in Source::ALL {
            cache.sources.insert(source, SourceStatus::default());
        }
        cache
    }

    pub fn sources(&self) -> &BTreeMap<Source, SourceStatus> {
        &self.sources
    }

    pub fn accounts(&self) -> &BTreeMap<LockId, Account> {
        &self.accounts
    }

    /// Every source has completed a full list.
    pub fn ready(&self) -> bool {
        self.sources.values().all(|s| s.synced)
    }

    /// The sources that are not synced yet, with their latest error.
    pub fn not_ready(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter(|(_, s)| !s.synced)
            .map(|(source, s)| match &s.error {
                Some(err) => format!("{} not synced: {err}", source.as_str()),
                None => format!("{} not synced yet", source.as_str()),
            })
            .collect()
    }

    fn status(&mut self, source: Source) -> &mut SourceStatus {
        self.sources.entry(source).or_default()
    }

    pub fn watch_failed(&mut self, source: Source, error: String) {
        let status = self.status(source);
        status.restarts += 1;
        status.error = Some(error);
    }

    /// The resource is not served (404, e.g. LeaseCandidates before Kubernetes 1.33): nothing
    /// to wait for.
    pub fn not_served(&mut self, source: Source) {
        let status = self.status(source);
        status.synced = true;
        status.not_served = true;
        status.error = None;
        status.objects = 0;
    }

    pub fn candidate_seen(&mut self, key: CandidateKey, lease: String, initial: bool) {
        match self.relisting_candidates.as_mut() {
            Some(buffer) if initial => {
                buffer.insert(key, lease);
            }
            _ => {
                self.candidates.insert(key, lease);
            }
        }
        self.status(Source::LeaseCandidates).objects = self.candidates.len();
    }

    pub fn candidate_gone(&mut self, key: &CandidateKey) {
        self.candidates.remove(key);
        self.status(Source::LeaseCandidates).objects = self.candidates.len();
    }

    /// An object cached by name only was seen, in a re-list (`initial`) or a live event.
    pub fn name_seen(&mut self, source: Source, key: NameKey, initial: bool) {
        self.names.entry(source).or_default().seen(key, (), initial);
        self.status(source).objects = self.count(source);
    }

    pub fn name_gone(&mut self, source: Source, key: &NameKey) {
        if let Some(names) = self.names.get_mut(&source) {
            names.gone(key);
        }
        self.status(source).objects = self.count(source);
    }

    fn has_name(&self, source: Source, namespace: &str, name: &str) -> bool {
        self.names
            .get(&source)
            .is_some_and(|n| n.contains(namespace, name))
    }

    /// Every cached node name, sorted.
    pub fn node_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .names
            .get(&Source::Nodes)
            .into_iter()
            .flat_map(|n| n.iter().map(|((_, name), ())| name.clone()))
            .collect();
        names.sort();
        names
    }

    pub fn pdb_seen(&mut self, pdb: PodDisruptionBudget, initial: bool) {
        let key = (
            pdb.metadata.namespace.clone().unwrap_or_default(),
            pdb.metadata.name.clone().unwrap_or_default(),
        );
        self.pdbs.seen(key, pdb, initial);
        self.status(Source::PodDisruptionBudgets).objects = self.pdbs.len();
    }

    pub fn pdb_gone(&mut self, key: &NameKey) {
        self.pdbs.gone(key);
        self.status(Source::PodDisruptionBudgets).objects = self.pdbs.len();
    }

    /// Every cached PodDisruptionBudget, trimmed.
    pub fn pdb_objects(&self) -> Vec<PodDisruptionBudget> {
        self.pdbs.iter().map(|(_, p)| p.clone()).collect()
    }

    /// Every cached pod, trimmed (for the audit's election rules).
    pub fn pod_objects(&self) -> Vec<Pod> {
        self.pods.values().map(|p| p.object.to_pod()).collect()
    }

    /// Whether LeaseCandidates are known (listed, or not served so there are none).
    pub fn candidates_read(&self) -> bool {
        self.sources
            .get(&Source::LeaseCandidates)
            .is_some_and(|s| s.synced)
    }

    pub fn relist_started(&mut self, source: Source) {
        match source {
            Source::LeaseCandidates => self.relisting_candidates = Some(HashMap::new()),
            Source::Pods => self.relisting_pods = Some(Vec::new()),
            Source::PodDisruptionBudgets => self.pdbs.relist_started(),
            s if s.names_only() => self.names.entry(s).or_default().relist_started(),
            _ => {
                self.relisting_locks.insert(source, Vec::new());
            }
        }
    }

    /// A lock seen in a re-list (`initial`) or a live event.
    pub fn lock_seen(&mut self, lock: LeaderLock, initial: bool, now: Timestamp) {
        let source = Source::of(lock.kind);
        if initial && let Some(buffer) = self.relisting_locks.get_mut(&source) {
            buffer.push(lock);
            return;
        }
        self.observe(&lock, now);
        self.locks.insert(id(&lock), lock);
        self.status(source).objects = self.count(source);
    }

    /// An object that is no longer a lock (deleted, or its annotation removed).
    pub fn lock_gone(&mut self, lock: &LockId) {
        self.locks.remove(lock);
        self.accounts.remove(lock);
        let source = Source::of(lock.2);
        self.status(source).objects = self.count(source);
    }

    pub fn pod_seen(&mut self, pod: CachedPod, initial: bool) {
        if initial && let Some(buffer) = self.relisting_pods.as_mut() {
            buffer.push(pod);
            return;
        }
        let key = (pod.summary.namespace.clone(), pod.summary.name.clone());
        if let Some(old) = self.pods.remove(&key) {
            self.by_owner.remove(&old);
        }
        self.by_owner.add(&pod);
        self.pods.insert(key, pod);
        self.status(Source::Pods).objects = self.pods.len();
    }

    pub fn pod_gone(&mut self, namespace: &str, name: &str) {
        if let Some(old) = self.pods.remove(&(namespace.to_string(), name.to_string())) {
            self.by_owner.remove(&old);
        }
        self.status(Source::Pods).objects = self.pods.len();
    }

    /// A re-list completed: what it listed replaces what was cached for that source; locks it
    /// no longer shows are gone. Accounts carry over, so nothing is counted twice.
    pub fn relist_done(&mut self, source: Source, now: Timestamp, local_now: Timestamp) {
        if source == Source::LeaseCandidates {
            if let Some(candidates) = self.relisting_candidates.take() {
                self.candidates = candidates;
            }
        } else if source == Source::Pods {
            if let Some(pods) = self.relisting_pods.take() {
                self.pods = pods
                    .into_iter()
                    .map(|p| ((p.summary.namespace.clone(), p.summary.name.clone()), p))
                    .collect();
                self.by_owner = OwnerIndex::of(self.pods.values());
            }
        } else if source == Source::PodDisruptionBudgets {
            self.pdbs.relist_done();
        } else if source.names_only() {
            self.names.entry(source).or_default().relist_done();
        } else if let Some(locks) = self.relisting_locks.remove(&source) {
            let fresh: BTreeMap<LockId, LeaderLock> =
                locks.into_iter().map(|lock| (id(&lock), lock)).collect();
            let stale: Vec<LockId> = self
                .locks
                .keys()
                .filter(|k| Source::of(k.2) == source && !fresh.contains_key(*k))
                .cloned()
                .collect();
            for key in stale {
                self.lock_gone(&key);
            }
            for lock in fresh.into_values() {
                self.lock_seen(lock, false, now);
            }
        }
        let objects = self.count(source);
        let status = self.status(source);
        status.synced = true;
        status.last_sync = Some(local_now);
        status.error = None;
        status.not_served = false;
        status.objects = objects;
    }

    fn count(&self, source: Source) -> usize {
        match source {
            Source::Pods => self.pods.len(),
            Source::LeaseCandidates => self.candidates.len(),
            Source::PodDisruptionBudgets => self.pdbs.len(),
            s if s.names_only() => self.names.get(&s).map_or(0, Keyed::len),
            _ => self
                .locks
                .keys()
                .filter(|k| Source::of(k.2) == source)
                .count(),
        }
    }

    /// Every cached lock judged at `now`, sorted; each judgement is also fed to its account.
    /// Holders are judged only once the pods are synced: before that a missing pod proves nothing.
    pub fn evaluate(&mut self, now: Timestamp) -> Vec<LockReport> {
        let mut reports: Vec<LockReport> = self
            .locks
            .values()
            .map(|lock| self.judge(lock.clone(), now))
            .collect();
        reports.sort_by(|a, b| {
            (&a.lock.namespace, &a.lock.name, a.lock.kind).cmp(&(
                &b.lock.namespace,
                &b.lock.name,
                b.lock.kind,
            ))
        });
        for report in &reports {
            self.accounts.entry(id(&report.lock)).or_default().observe(
                report.lock.holder(),
                leaderless(report.state),
                now,
            );
        }
        reports
    }

    fn observe(&mut self, lock: &LeaderLock, now: Timestamp) {
        let report = self.judge(lock.clone(), now);
        self.accounts.entry(id(lock)).or_default().observe(
            lock.holder(),
            leaderless(report.state),
            now,
        );
    }

    fn judge(&self, lock: LeaderLock, now: Timestamp) -> LockReport {
        let holder = self.holder_of(&lock);
        let mut candidates: Vec<String> = if lock.kind == LockKind::Lease {
            self.candidates
                .iter()
                .filter(|((ns, _), lease)| *ns == lock.namespace && **lease == lock.name)
                .map(|((_, name), _)| name.clone())
                .collect()
        } else {
            Vec::new()
        };
        candidates.sort();
        LockReport::judge(lock, holder, candidates, now)
    }

    /// The holder's pod from the cache, as `lock::read` finds it with GETs: the pod itself, a
    /// node-hosted component's static pod `<lock name>-<node>`, or, when the pod is gone but a
    /// sibling of the same ReplicaSet/StatefulSet still runs or that controller still exists
    /// (with no pod left), `Gone`. `None` until pods synced.
    fn holder_of(&self, lock: &LeaderLock) -> Option<HolderPod> {
        if !self.sources.get(&Source::Pods).is_some_and(|s| s.synced) {
            return None;
        }
        let pod_name = holder::holder_pod_name(lock.holder()?)?;
        let namespace = &lock.namespace;
        if let Some(pod) = self.pods.get(&(namespace.clone(), pod_name.to_string())) {
            return Some(HolderPod::Found(pod.summary.clone()));
        }
        let static_pod = (namespace.clone(), format!("{}-{pod_name}", lock.name));
        if let Some(pod) = self.pods.get(&static_pod)
            && pod.summary.node.as_deref() == Some(pod_name)
        {
            return Some(HolderPod::Found(pod.summary.clone()));
        }
        // A node's name (a node-hosted component without its static pod): no owner to look for.
        if self.has_name(Source::Nodes, "", pod_name) {
            return Some(HolderPod::Unmapped);
        }
        for (kind, owner) in holder::owner_candidates(pod_name) {
            let sibling = self
                .by_owner
                .first(namespace, kind.as_str(), owner)
                .and_then(|key| self.pods.get(key));
            if let Some(sibling) = sibling {
                return Some(HolderPod::Gone {
                    pod: pod_name.to_string(),
                    // The sibling's workload names the Deployment behind a ReplicaSet.
                    owner: sibling
                        .summary
                        .workload
                        .clone()
                        .unwrap_or_else(|| WorkloadRef::new(kind.as_str(), owner)),
                });
            }
        }
        // No pod left, but the controller exists: as `lock::read` finds it with a GET.
        for (kind, owner) in holder::owner_candidates(pod_name) {
            let source = match kind {
                OwnerKind::ReplicaSet => Source::ReplicaSets,
                OwnerKind::StatefulSet => Source::StatefulSets,
            };
            if self.has_name(source, namespace, owner) {
                return Some(HolderPod::Gone {
                    pod: pod_name.to_string(),
                    owner: WorkloadRef::new(kind.as_str(), owner),
                });
            }
        }
        Some(HolderPod::Unmapped)
    }
}

/// No live leader: nobody holds the lock, the lease ran out, or the holder's pod is gone.
pub fn leaderless(state: State) -> bool {
    matches!(state, State::Expired | State::Released | State::Orphaned)
}

#[cfg(test)]
mod tests;
