//! Leader changes and leaderless time per lock, as observed. Pure: callers feed each reading
//! (from a watch event or a periodic evaluation) with the server-clock instant it was judged at.
//!
//! The account is keyed by lock and survives watch restarts: a re-list that shows the same
//! holder again counts nothing, and a change that happened while the watch was down is counted
//! once, when the re-list shows the new holder.

use jiff::Timestamp;

/// What is counted for one lock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    /// The last non-empty holder seen: a release followed by the same holder re-acquiring is
    /// not a change.
    last_leader: Option<String>,
    pub leader_changes: u64,
    pub leaderless_seconds: f64,
    /// When the lock was last seen without a live leader (that interval is still open).
    leaderless_at: Option<Timestamp>,
    /// The latest instant observed, so late or out-of-order readings never count twice.
    latest: Option<Timestamp>,
}

impl Account {
    /// Records one reading: `holder` is the lock's holder identity (`None` when released),
    /// `leaderless` whether there is no live leader at `now` (Expired, Released, Orphaned).
    pub fn observe(&mut self, holder: Option<&str>, leaderless: bool, now: Timestamp) {
        if let Some(holder) = holder.filter(|h| !h.is_empty()) {
            if self
                .last_leader
                .as_deref()
                .is_some_and(|last| last != holder)
            {
                self.leader_changes += 1;
            }
            if self.last_leader.as_deref() != Some(holder) {
                self.last_leader = Some(holder.to_string());
            }
        }
        // Time only moves forward: a reading judged before the latest one adds no time.
        let now = match self.latest {
            Some(latest) if latest > now => latest,
            _ => now,
        };
        if let Some(since) = self.leaderless_at {
            self.leaderless_seconds += now.duration_since(since).as_secs_f64().max(0.0);
        }
        self.leaderless_at = leaderless.then_some(now);
        self.latest = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn first_sighting_and_renewals_are_not_changes() {
        let mut account = Account::default();
        account.observe(Some("a"), false, at(0));
        account.observe(Some("a"), false, at(2));
        assert_eq!(account.leader_changes, 0);
        assert_eq!(account.leaderless_seconds, 0.0);
    }

    #[test]
    fn a_new_holder_is_one_change_even_after_a_release_in_between() {
        let mut account = Account::default();
        account.observe(Some("a"), false, at(0));
        account.observe(None, true, at(1));
        account.observe(Some("b"), false, at(4));
        assert_eq!(account.leader_changes, 1);
        assert_eq!(account.leaderless_seconds, 3.0);
        // released and re-acquired by the same holder: no change
        account.observe(None, true, at(5));
        account.observe(Some("b"), false, at(6));
        assert_eq!(account.leader_changes, 1);
        assert_eq!(account.leaderless_seconds, 4.0);
    }

    #[test]
    fn a_relist_after_a_watch_restart_neither_double_counts_nor_loses_the_change() {
        let mut account = Account::default();
        account.observe(Some("a"), false, at(0));
        // the watch was down while a expired and b took over; the re-list shows b
        account.observe(Some("b"), false, at(30));
        // and the re-list is delivered twice (restart, then another)
        account.observe(Some("b"), false, at(31));
        assert_eq!(account.leader_changes, 1);
    }

    #[test]
    fn expired_time_accumulates_across_evaluations_and_stops_at_the_takeover() {
        let mut account = Account::default();
        account.observe(Some("a"), false, at(0));
        account.observe(Some("a"), true, at(10)); // expired, still named
        account.observe(Some("a"), true, at(12));
        account.observe(Some("a"), true, at(11)); // late reading: adds nothing
        account.observe(Some("b"), false, at(15));
        assert_eq!(account.leaderless_seconds, 5.0);
        assert_eq!(account.leader_changes, 1);
    }
}
