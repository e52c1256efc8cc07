//! What `release` should do with a lock, decided from what was read — pure, so every branch of
//! the safety logic is unit-tested. DESIGN.md §3: releasing is not handing over; a live client-go
//! leader takes an emptied lease back, and one whose lease is given away keeps working until its
//! renewDeadline. So a live holder is never freed without the user choosing how.

use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;

use super::holder::HolderPod;
use super::model::{Expiry, LockReport, State};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub evict: bool,
    pub force: bool,
    pub to: Option<String>,
    pub expect_holder: Option<String>,
    /// The lease's live LeaseCandidates, read when `--to` names a coordinated lease.
    pub candidates: Vec<Candidate>,
}

/// What the API server's coordinated election weighs of a LeaseCandidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub emulation_version: String,
    pub binary_version: String,
    pub created: jiff::Timestamp,
    /// The API server pinged it (`pingTime`) after its last renewal (`renewTime`): it has not
    /// answered, so it is not a live candidate.
    pub unanswered_ping: bool,
}

impl Candidate {
    /// The candidate a LeaseCandidate names, if it stands for `lease`.
    pub fn of_lease(candidate: LeaseCandidate, lease: &str) -> Option<Self> {
        let spec = candidate.spec?;
        (spec.lease_name == lease).then(|| Candidate {
            name: candidate.metadata.name.unwrap_or_default(),
            emulation_version: spec.emulation_version.unwrap_or_default(),
            binary_version: spec.binary_version,
            created: candidate
                .metadata
                .creation_timestamp
                .map_or(jiff::Timestamp::MAX, |t| t.0),
            unanswered_ping: match (&spec.ping_time, &spec.renew_time) {
                (Some(ping), Some(renew)) => ping.0 > renew.0,
                (Some(_), None) => true,
                _ => false,
            },
        })
    }
}

/// The strategy the API server itself elects by; any other strategy is a third party's.
pub const OLDEST_EMULATION_VERSION: &str = "OldestEmulationVersion";

/// The candidate the API server's OldestEmulationVersion election picks: the lowest emulation
/// version, then the lowest binary version, then the oldest candidate. Candidates whose versions
/// do not parse are not eligible, as on the server.
pub fn elect(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates
        .iter()
        .filter_map(|c| {
            Some((
                version(&c.emulation_version)?,
                version(&c.binary_version)?,
                c,
            ))
        })
        .min_by(|(e1, b1, c1), (e2, b2, c2)| {
            e1.cmp(e2)
                .then(b1.cmp(b2))
                .then(c1.created.cmp(&c2.created))
        })
        .map(|(_, _, c)| c)
}

/// A version as the server's tolerant semver parse reads it: an optional `v`, missing minor or
/// patch taken as 0. A pre-release sorts before its release.
fn version(text: &str) -> Option<(u64, u64, u64, bool, String)> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.split('+').next().unwrap_or_default();
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let mut parts = core.split('.');
    let mut number = |required: bool| -> Option<u64> {
        match parts.next() {
            Some(p) => p.parse().ok(),
            None if !required => Some(0),
            None => None,
        }
    };
    let (major, minor, patch) = (number(true)?, number(false)?, number(false)?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        major,
        minor,
        patch,
        pre.is_none(),
        pre.unwrap_or_default().to_string(),
    ))
}

/// The plan: nothing to do, a refusal, or a step that changes the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to do; say why, exit 0.
    Nothing(String),
    /// Refuse with this reason, exit 1.
    Refuse(String),
    /// Change the lock (or stop its holder) this way.
    Act(Step),
}

impl From<Step> for Plan {
    fn from(step: Step) -> Self {
        Plan::Act(step)
    }
}

/// What `release` does to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Free the lock now (what client-go's ReleaseOnCancel writes); the reason is printed.
    Free(String),
    /// Free a live holder's lock anyway; the warning is printed.
    ForceFree(String),
    /// Evict this pod through the Eviction API, wait until it is gone, then free the lock if its
    /// old holder still has it.
    Evict { namespace: String, pod: String },
    /// Coordinated leader election: set spec.preferredHolder and let the leader yield.
    Prefer(String),
    /// Write this holder directly (plain lease, `--to` with `--force`); the warning is printed.
    ForceHolder { holder: String, warning: String },
}

/// Decides what to do with one lock.
pub fn plan(report: &LockReport, request: &Request) -> Plan {
    let lock = &report.lock;
    let holder = lock.holder().unwrap_or_default();
    if let Some(expected) = &request.expect_holder
        && expected != holder
    {
        let actual = if holder.is_empty() { "nobody" } else { holder };
        return Plan::Refuse(format!(
            "the lock is held by {actual}, not {expected} (--expect-holder): nothing changed"
        ));
    }
    if let Some(to) = &request.to {
        if to == holder {
            return Plan::Nothing(format!("{to} already holds the lock"));
        }
        // Someone (another release, the election's controller) already asked for `to`: writing
        // it again would be a second write for one handover.
        if lock.strategy.is_some() && lock.preferred_holder.as_deref() == Some(to.as_str()) {
            return Plan::Nothing(format!(
                "spec.preferredHolder is already {to}: the handover to it is under way (the leader yields at the end of its term); nothing changed"
            ));
        }
        if lock.strategy.as_deref() == Some(OLDEST_EMULATION_VERSION) {
            return prefer_elected(to, holder, &request.candidates);
        }
        if lock.strategy.is_some() {
            // A third party's strategy: its controller reads preferredHolder and elects, among
            // the lease's LeaseCandidates when it has any; one they do not name stalls it.
            if !request.candidates.is_empty() && !request.candidates.iter().any(|c| c.name == *to) {
                return not_a_candidate(to, &request.candidates);
            }
            if let Some(refusal) = not_live(to, &request.candidates) {
                return refusal;
            }
            return Step::Prefer(to.clone()).into();
        }
        if request.force {
            return Step::ForceHolder {
                holder: to.clone(),
                warning: format!(
                    "this lease is not coordinated: writing {to} as holder does not stop {} — a live client-go leader keeps working until its renewDeadline (two leaders for up to ~10s) and the candidates only learn of {to} at their next retry",
                    if holder.is_empty() { "anyone" } else { holder }
                ),
            }
            .into();
        }
        return Plan::Refuse(format!(
            "--to needs a coordinated lease (spec.strategy set) to hand over without two leaders; on a plain lease add --force to write {to} as holder anyway"
        ));
    }
    if holder.is_empty() {
        return Plan::Nothing("the lock is already released (no holder)".to_string());
    }
    match (report.state, &report.holder_pod, report.expiry) {
        (State::Orphaned, Some(HolderPod::Gone { pod, owner }), _) => Step::Free(format!(
            "the holder's pod {pod} is gone ({owner} still exists): freeing it so a standby can lead at once"
        ))
        .into(),
        (_, _, Expiry::Expired { .. }) => {
            Step::Free("the lease has expired: no live leader holds it".to_string()).into()
        }
        (_, Some(HolderPod::Found(pod)), _) if request.evict => Step::Evict {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
        }
        .into(),
        _ if request.evict => Plan::Refuse(format!(
            "--evict needs the holder's pod, but {holder} maps to no pod in this cluster; only --force can free it (the leader may still be running)"
        )),
        _ if request.force => Step::ForceFree(format!(
            "{holder} is alive: a client-go leader takes an emptied lease back at its next renew (~2s), or runs beside the next leader until its renewDeadline; prefer --evict"
        ))
        .into(),
        (_, Some(HolderPod::Found(pod)), _) => Plan::Refuse(format!(
            "{holder} is alive (pod {} is {}): freeing its lease would not stop it — it would take the lease back or run beside the next leader. Use --evict to stop it first (respects PodDisruptionBudgets), or --force",
            pod.name,
            if pod.ready { "Ready" } else { "not Ready" }
        )),
        _ => Plan::Refuse(format!(
            "{holder} holds a live lease and maps to no pod here, so it may be a running leader outside this view: refusing. Use --force if you know it is dead"
        )),
    }
}

/// `--to` names nobody standing for the lease: a preferredHolder nobody answers to stalls the
/// handover (the leader steps down for no one).
fn not_a_candidate(to: &str, candidates: &[Candidate]) -> Plan {
    let names: Vec<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
    Plan::Refuse(format!(
        "{to} is not a LeaseCandidate for this lease (candidates: {}): nothing changed",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// `--to` names a LeaseCandidate that has not answered the API server's last ping: a process
/// that no longer runs (or has not renewed yet); either way nobody would take the lease now.
fn not_live(to: &str, candidates: &[Candidate]) -> Option<Plan> {
    candidates
        .iter()
        .any(|c| c.name == to && c.unanswered_ping)
        .then(|| {
            Plan::Refuse(format!(
                "LeaseCandidate {to} has not answered the API server's last ping (pingTime after its renewTime): it is not a live candidate; nothing changed"
            ))
        })
}

/// On an OldestEmulationVersion lease the API server elects, and it elects by versions and age
/// alone: preferredHolder only ends the current term, after which the server picks its electee
/// again. So `--to` can only name the candidate the server would elect; anything else would
/// just interrupt the leader.
fn prefer_elected(to: &str, holder: &str, candidates: &[Candidate]) -> Plan {
    if !candidates.iter().any(|c| c.name == to) {
        return not_a_candidate(to, candidates);
    }
    if let Some(refusal) = not_live(to, candidates) {
        return refusal;
    }
    match elect(candidates) {
        Some(electee) if electee.name == to => Step::Prefer(to.to_string()).into(),
        Some(electee) => Plan::Refuse(format!(
            "the API server elects this lease by {OLDEST_EMULATION_VERSION} and picks {} (emulation version {}, binary version {}; the oldest candidate among equals), not {to}: preferredHolder would only end {}'s term and the election would pick {} again. Nothing changed",
            electee.name,
            electee.emulation_version,
            electee.binary_version,
            if holder.is_empty() { "the leader" } else { holder },
            electee.name
        )),
        None => Plan::Refuse(
            "no LeaseCandidate of this lease has versions the API server can compare, so its election would pick nobody: nothing changed".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests;
