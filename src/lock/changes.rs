//! The pure half of `status --watch`: what changed between two readings of a lock, and what
//! the passage of time alone reveals (expiry, stalled renewals). No I/O here.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::model::LeaderLock;

/// One thing worth a line in the watch stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Change {
    /// A lock appeared after the watch started.
    Created {
        holder: Option<String>,
    },
    Deleted,
    /// Someone took a free lock.
    Acquired {
        holder: String,
    },
    /// The holder emptied the lock (client-go's ReleaseOnCancel).
    Released {
        holder: String,
    },
    /// The holder changed; `no_leader_for` is how long nobody held a live lease in between.
    LeaderChanged {
        from: String,
        to: String,
        no_leader_for: Option<SignedDuration>,
    },
    /// The lease passed its expiry without a renewal.
    Expired {
        holder: String,
        expired_at: Timestamp,
    },
    /// No renewal for more than half the lease duration: the leader may be stuck.
    RenewalsStopped {
        holder: String,
        last_renewed: Timestamp,
    },
    /// The holder renewed again after its renewals stopped or its lease expired.
    RenewalsResumed {
        holder: String,
    },
}

impl Change {
    /// The human line for this change.
    pub fn describe(&self, now: Timestamp) -> String {
        let ago = |t: Timestamp| crate::render::age(now.duration_since(t));
        match self {
            Change::Created { holder: Some(h) } => format!("created, held by {h}"),
            Change::Created { holder: None } => "created, not held".to_string(),
            Change::Deleted => "deleted".to_string(),
            Change::Acquired { holder } => format!("acquired by {holder}"),
            Change::Released { holder } => format!("released by {holder}"),
            Change::LeaderChanged {
                from,
                to,
                no_leader_for,
            } => match no_leader_for {
                Some(gap) if gap.is_positive() => {
                    format!(
                        "leader changed: {from} → {to} (no live leader for {})",
                        seconds(*gap)
                    )
                }
                _ => format!("leader changed: {from} → {to} (no gap)"),
            },
            Change::Expired { holder, expired_at } => {
                format!(
                    "lease expired: {holder} stopped renewing ({} ago)",
                    ago(*expired_at)
                )
            }
            Change::RenewalsStopped {
                holder,
                last_renewed,
            } => {
                format!(
                    "renewals stopped: {holder} last renewed {} ago",
                    ago(*last_renewed)
                )
            }
            Change::RenewalsResumed { holder } => format!("renewals resumed by {holder}"),
        }
    }
}

/// `2.8s`, with one decimal.
fn seconds(d: SignedDuration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// What a watcher remembers of one lock between events.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub lock: LeaderLock,
    expired_reported: bool,
    stalled_reported: bool,
}

impl Tracked {
    pub fn new(lock: LeaderLock) -> Self {
        Tracked {
            lock,
            expired_reported: false,
            stalled_reported: false,
        }
    }

    /// Takes a new reading of the lock and returns what changed. Re-reading an unchanged lock
    /// (a watch that resumed and re-listed) returns nothing, so nothing is reported twice.
    pub fn update(&mut self, new: LeaderLock) -> Vec<Change> {
        let old = std::mem::replace(&mut self.lock, new);
        let new = &self.lock;
        let mut changes = Vec::new();
        match (old.holder(), new.holder()) {
            (None, Some(to)) => changes.push(Change::Acquired {
                holder: to.to_string(),
            }),
            (Some(from), None) => changes.push(Change::Released {
                holder: from.to_string(),
            }),
            (Some(from), Some(to)) if from != to => {
                let gap = match (old.expires_at(), new.acquire_time.or(new.renew_time)) {
                    (Some(expired), Some(acquired)) => {
                        Some(acquired.duration_since(expired).max(SignedDuration::ZERO))
                    }
                    _ => None,
                };
                changes.push(Change::LeaderChanged {
                    from: from.to_string(),
                    to: to.to_string(),
                    no_leader_for: gap,
                });
            }
            (Some(holder), Some(_)) if new.renew_time > old.renew_time => {
                if self.expired_reported || self.stalled_reported {
                    changes.push(Change::RenewalsResumed {
                        holder: holder.to_string(),
                    });
                }
            }
            _ => return changes,
        }
        self.expired_reported = false;
        self.stalled_reported = false;
        changes
    }

    /// What time alone reveals: each is reported once per stall.
    pub fn tick(&mut self, now: Timestamp) -> Option<Change> {
        let holder = self.lock.holder()?.to_string();
        let renewed = self.lock.renew_time?;
        let expires = self.lock.expires_at()?;
        if now >= expires {
            if self.expired_reported {
                return None;
            }
            self.expired_reported = true;
            self.stalled_reported = true;
            return Some(Change::Expired {
                holder,
                expired_at: expires,
            });
        }
        let half = self.lock.lease_duration? / 2;
        if !self.stalled_reported && now.duration_since(renewed) > half {
            self.stalled_reported = true;
            return Some(Change::RenewalsStopped {
                holder,
                last_renewed: renewed,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lock(holder: &str, acquired: &str, renewed: &str) -> LeaderLock {
        LeaderLock {
            lease_duration: Some(SignedDuration::from_secs(10)),
            acquire_time: Some(ts(acquired)),
            renew_time: Some(ts(renewed)),
            transitions: Some(0),
            ..LeaderLock::sample("ns", "l", Some(holder))
        }
    }

    #[test]
    fn a_handover_reports_the_gap_without_a_leader() {
        let mut t = Tracked::new(lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"));
        let changes = t.update(lock(
            "b",
            "2026-01-01T00:00:17.500Z",
            "2026-01-01T00:00:17.500Z",
        ));
        assert_eq!(
            changes,
            vec![Change::LeaderChanged {
                from: "a".into(),
                to: "b".into(),
                no_leader_for: Some(SignedDuration::from_millis(2500))
            }]
        );
        assert_eq!(
            changes[0].describe(ts("2026-01-01T00:00:18Z")),
            "leader changed: a → b (no live leader for 2.5s)"
        );
    }

    #[test]
    fn json_names_the_type_and_gives_the_gap_as_an_iso_duration() {
        let change = Change::LeaderChanged {
            from: "a".into(),
            to: "b".into(),
            no_leader_for: Some(SignedDuration::from_millis(1900)),
        };
        let value = serde_json::to_value(&change).unwrap();
        assert_eq!(value["type"], "LeaderChanged");
        assert_eq!(value["noLeaderFor"], "PT1.9S");
    }

    #[test]
    fn rereading_an_unchanged_lock_reports_nothing() {
        let reading = lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z");
        let mut t = Tracked::new(reading.clone());
        assert!(t.update(reading).is_empty());
        // an ordinary renewal is not news either
        assert!(
            t.update(lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:07Z"))
                .is_empty()
        );
    }

    #[test]
    fn release_and_acquire_are_reported() {
        let mut t = Tracked::new(lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"));
        let mut free = lock("", "2026-01-01T00:00:06Z", "2026-01-01T00:00:06Z");
        free.holder = Some(String::new());
        assert_eq!(
            t.update(free),
            vec![Change::Released { holder: "a".into() }]
        );
        assert_eq!(
            t.update(lock("b", "2026-01-01T00:00:07Z", "2026-01-01T00:00:07Z")),
            vec![Change::Acquired { holder: "b".into() }]
        );
    }

    #[test]
    fn stalls_and_expiry_are_reported_once_then_cleared_by_a_renewal() {
        let mut t = Tracked::new(lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"));
        assert_eq!(t.tick(ts("2026-01-01T00:00:04Z")), None);
        assert!(matches!(
            t.tick(ts("2026-01-01T00:00:06Z")),
            Some(Change::RenewalsStopped { .. })
        ));
        assert_eq!(t.tick(ts("2026-01-01T00:00:07Z")), None);
        assert!(matches!(
            t.tick(ts("2026-01-01T00:00:10Z")),
            Some(Change::Expired { .. })
        ));
        assert_eq!(t.tick(ts("2026-01-01T00:00:11Z")), None);
        assert_eq!(
            t.update(lock("a", "2026-01-01T00:00:00Z", "2026-01-01T00:00:12Z")),
            vec![Change::RenewalsResumed { holder: "a".into() }]
        );
        assert_eq!(t.tick(ts("2026-01-01T00:00:13Z")), None);
    }
}
