//! Lease families: the leases of elected shards, one leader per slice of the work. Found from
//! their names and labels alone — pure, one pass with a hash map (no pairwise comparison):
//!
//! - Knative buckets, `<base>.<i>-of-<n>`, which also say how many shards there should be;
//! - a shared base with a numeric suffix, `<base>-<i>` or `<base>-shard-<i>` (Flux, Rancher
//!   Fleet, KubeVela), once two or more leases share the base;
//! - the controller-ring label of timebertt/kubernetes-controller-sharding (one lease per pod);
//! - a user's `--family REGEX`, for any other naming.
//!
//! Only Leases form families: sharded elections predate no legacy lock.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use regex::Regex;
use serde::Serialize;

use super::holder::holder_pod_name;
use super::model::{Expiry, LeaderLock, LockKind, LockReport, State};

/// The label timebertt/kubernetes-controller-sharding puts on each shard's lease.
pub const CONTROLLER_RING_LABEL: &str = "alpha.sharding.timebertt.dev/controllerring";

/// How a family was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// `<base>.<i>-of-<n>`: knows its total.
    Knative,
    /// `<base>-<i>` / `<base>-shard-<i>`, two or more members.
    Numbered,
    /// The controller-ring label.
    ControllerRing,
    /// `--family REGEX`.
    Custom,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Knative => "knative",
            Pattern::Numbered => "numbered",
            Pattern::ControllerRing => "controller-ring",
            Pattern::Custom => "custom",
        }
    }
}

/// One family: its members are indexes into the locks it was detected from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub namespace: String,
    /// As shown: `bucket.*-of-4`, `leader-election-shard-*`, the ring's name, or the name with
    /// the regex's index replaced by `*`.
    pub name: String,
    /// The name without its index placeholder (`leader-election-shard`), also accepted as FAMILY.
    pub stem: String,
    pub pattern: Pattern,
    /// How many shards there should be, when the names say so (Knative).
    pub total: Option<u32>,
    /// `(shard index if any, position in the input)`, by index then name.
    pub members: Vec<(Option<u32>, usize)>,
}

impl Family {
    /// Whether `wanted` names this family (its shown name or its stem).
    pub fn is_named(&self, wanted: &str) -> bool {
        self.name == wanted || self.stem == wanted
    }
}

/// `<base>.<i>-of-<n>` → `(base, i, n)`, with `i < n`.
fn knative(name: &str) -> Option<(&str, u32, u32)> {
    let (base, tail) = name.rsplit_once('.')?;
    let (index, total) = tail.split_once("-of-")?;
    let (index, total) = (number(index)?, number(total)?);
    (!base.is_empty() && index < total).then_some((base, index, total))
}

/// `<base>-<i>` → `(base, i)`; `<base>-shard-<i>` keeps `-shard` in the base.
fn numbered(name: &str) -> Option<(&str, u32)> {
    let (base, index) = name.rsplit_once('-')?;
    Some((base, number(index)?)).filter(|(base, _)| !base.is_empty())
}

/// Plain decimal digits only (no sign, no spaces), as a shard index.
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A `--family REGEX`, compiled to match whole lease names.
pub fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

/// What a `--family REGEX` (compiled by [`anchored`]) makes of one name: the family's shown name and the shard index. The
/// index is the capture group named `index`, else the first group; its text is replaced by `*`
/// in the family's name. Without a group, the family is named by the regex itself.
fn custom(regex: &Regex, name: &str) -> Option<(String, Option<u32>)> {
    let captures = regex.captures(name)?;
    let whole = captures.get(0)?;
    if whole.start() != 0 || whole.end() != name.len() {
        return None;
    }
    let group = captures.name("index").or_else(|| captures.get(1));
    Some(match group {
        Some(m) => (
            format!("{}*{}", &name[..m.start()], &name[m.end()..]),
            number(m.as_str()),
        ),
        None => {
            let source = regex.as_str();
            let user = source
                .strip_prefix("^(?:")
                .and_then(|s| s.strip_suffix(")$"))
                .unwrap_or(source);
            (user.to_string(), None)
        }
    })
}

/// The families among `locks` (each lock in at most one): `--family` first, then the ring
/// label, then Knative names, then numbered names with two or more members.
pub fn detect(locks: &[LeaderLock], custom_regex: Option<&Regex>) -> Vec<Family> {
    type Key = (String, String, Pattern, Option<u32>);
    let mut groups: HashMap<Key, Vec<(Option<u32>, usize)>> = HashMap::new();
    for (at, lock) in locks.iter().enumerate() {
        if lock.kind != LockKind::Lease {
            continue;
        }
        let ns = lock.namespace.clone();
        let key_member =
            if let Some((name, index)) = custom_regex.and_then(|r| custom(r, &lock.name)) {
                ((ns, name, Pattern::Custom, None), index)
            } else if let Some(ring) = lock.controller_ring.clone().filter(|r| !r.is_empty()) {
                ((ns, ring, Pattern::ControllerRing, None), None)
            } else if let Some((base, index, total)) = knative(&lock.name) {
                (
                    (ns, base.to_string(), Pattern::Knative, Some(total)),
                    Some(index),
                )
            } else if let Some((base, index)) = numbered(&lock.name) {
                ((ns, base.to_string(), Pattern::Numbered, None), Some(index))
            } else {
                continue;
            };
        let (key, index) = key_member;
        groups.entry(key).or_default().push((index, at));
    }
    let mut families: Vec<Family> = groups
        .into_iter()
        .filter(|((_, _, pattern, _), members)| *pattern != Pattern::Numbered || members.len() >= 2)
        .map(|((namespace, stem, pattern, total), mut members)| {
            members.sort_by(|a, b| (a.0, &locks[a.1].name).cmp(&(b.0, &locks[b.1].name)));
            let name = match (pattern, total) {
                (Pattern::Knative, Some(n)) => format!("{stem}.*-of-{n}"),
                (Pattern::Numbered, _) => format!("{stem}-*"),
                _ => stem.clone(),
            };
            let stem = match pattern {
                Pattern::Custom => stem
                    .trim_end_matches('*')
                    .trim_end_matches(['-', '.'])
                    .to_string(),
                _ => stem,
            };
            Family {
                namespace,
                name,
                stem,
                pattern,
                total,
                members,
            }
        })
        .collect();
    families.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    families
}

/// Whether a family member has a working leader: held, and the lease live (or of unknown expiry).
pub fn led(report: &LockReport) -> bool {
    matches!(report.state, State::Held | State::Unready)
}

/// Since when a member has had no leader, if it has none: for a held lease, its expiry; for a
/// released one, its last renewal (client-go writes renewTime when it releases).
pub fn leaderless_since(report: &LockReport) -> Option<Timestamp> {
    let lock = &report.lock;
    match (report.state, report.expiry) {
        (State::Released, _) => lock.renew_time.or(lock.acquire_time).or(lock.created),
        (State::Expired, _) | (State::Orphaned, Expiry::Expired { .. }) => lock.expires_at(),
        // Its pod is gone but the lease is still live: leaderless from its last renewal.
        (State::Orphaned, _) => lock.renew_time,
        _ => None,
    }
}

/// Who holds a shard, counted per pod: client-go identities `<pod>_<uuid>` of one process
/// differ per election but name the same pod.
pub fn holder_key(lock: &LeaderLock) -> Option<&str> {
    let holder = lock.holder()?;
    Some(holder_pod_name(holder).unwrap_or(holder))
}

/// How a family stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Health {
    /// Every shard expected has a leader.
    Healthy,
    /// Some shard has no leader, or no lease.
    Degraded,
    /// No shard has a leader.
    Leaderless,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Degraded => "Degraded",
            Health::Leaderless => "Leaderless",
        }
    }
}

/// A family judged from its members' reports.
#[derive(Debug, Clone)]
pub struct FamilyReport<'r> {
    pub family: Family,
    pub members: Vec<(Option<u32>, &'r LockReport)>,
    /// Shards there should be: the Knative total, else the members found.
    pub expected: u32,
    pub led: u32,
    /// Indexes of a known total without a lease.
    pub missing: Vec<u32>,
    /// Shards led per holder pod, most first (then by name).
    pub per_holder: Vec<(String, u32)>,
    pub health: Health,
}

impl<'r> FamilyReport<'r> {
    pub fn judge(family: Family, reports: &'r [LockReport]) -> Self {
        let members: Vec<(Option<u32>, &LockReport)> = family
            .members
            .iter()
            .map(|&(i, at)| (i, &reports[at]))
            .collect();
        let led_count = members.iter().filter(|(_, r)| led(r)).count() as u32;
        let missing = match family.total {
            Some(total) => {
                let mut present = vec![false; total as usize];
                for (i, _) in &members {
                    if let Some(slot) = i.and_then(|i| present.get_mut(i as usize)) {
                        *slot = true;
                    }
                }
                (0..total).filter(|&i| !present[i as usize]).collect()
            }
            None => Vec::new(),
        };
        let expected = family
            .total
            .unwrap_or(members.len() as u32)
            .max(members.len() as u32);
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for (_, r) in members.iter().filter(|(_, r)| led(r)) {
            if let Some(holder) = holder_key(&r.lock) {
                *counts.entry(holder).or_default() += 1;
            }
        }
        let mut per_holder: Vec<(String, u32)> = counts
            .into_iter()
            .map(|(h, n)| (h.to_string(), n))
            .collect();
        per_holder.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let health = if led_count == 0 {
            Health::Leaderless
        } else if led_count < expected {
            Health::Degraded
        } else {
            Health::Healthy
        };
        FamilyReport {
            family,
            members,
            expected,
            led: led_count,
            missing,
            per_holder,
            health,
        }
    }

    /// The members without a leader, by name.
    pub fn leaderless(&self) -> impl Iterator<Item = &'r LockReport> + '_ {
        self.members.iter().map(|(_, r)| *r).filter(|r| !led(r))
    }
}

/// How long a member has been without a leader at `now`, if it has none.
pub fn leaderless_for(report: &LockReport, now: Timestamp) -> Option<SignedDuration> {
    leaderless_since(report).map(|t| now.duration_since(t))
}

#[cfg(test)]
mod tests;
