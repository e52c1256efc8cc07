//! The soak: handovers with `release --evict` between five real client-go peers, the API server
//! killed in the middle of some of them, and every peer's own log of when it led checked for
//! two leaders at once.
//!
//! The allowance: client-go's leader keeps leading after its last successful renew at `t` until
//! a renew attempt, started `retryPeriod` later, has failed for `renewDeadline`, so until at most
//! `t + retryPeriod + renewDeadline`; a standby acquires no earlier than `leaseDuration` after it
//! saw that renew, so no earlier than `t + leaseDuration`. Two leaders can therefore overlap by
//! `max(0, retryPeriod + renewDeadline − leaseDuration)`: 0 with these peers' 5 s / 3 s / 1 s.
//! The peers run on one machine and one clock, so no clock skew is added; what is added is the
//! delay between an event and the peer writing its time stamp (a goroutine waking on a loaded
//! 2-core machine), bounded here by EMISSION_SLACK.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::harness::{Peer, TestCluster, eventually};
use crate::{Paused, cluster_sh, freeze_apiserver, own_cluster, restart_apiserver};

const LEASE_DURATION: SignedDuration = SignedDuration::from_secs(5);
const RENEW_DEADLINE: SignedDuration = SignedDuration::from_secs(3);
const RETRY_PERIOD: SignedDuration = SignedDuration::from_secs(1);
const EMISSION_SLACK: SignedDuration = SignedDuration::from_millis(100);
const PEERS: usize = 5;

fn allowance() -> SignedDuration {
    (RETRY_PERIOD + RENEW_DEADLINE - LEASE_DURATION).max(SignedDuration::ZERO) + EMISSION_SLACK
}

struct Soak<'a> {
    c: &'a TestCluster,
    ns: String,
    /// The peers' lease, and lepeer flags beyond the timings.
    lease: &'static str,
    extra: Vec<String>,
    /// Every peer ever started, by pod; exited ones are kept for their logs.
    peers: BTreeMap<String, Peer>,
}

impl Soak<'_> {
    /// Running pods not being deleted.
    fn live_pods(&self) -> Vec<String> {
        let out = self.c.kubectl(&[
            "get", "pods", "-n", &self.ns, "-l", "app=peer", "-o", "json",
        ]);
        let Ok(list) = serde_json::from_slice::<Value>(&out.stdout) else {
            return Vec::new();
        };
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null()
            })
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    }

    /// A peer for every live pod that has none.
    fn maintain(&mut self) -> usize {
        let pods = self.live_pods();
        for pod in &pods {
            if !self.peers.contains_key(pod) {
                let timings = [
                    format!("--lease-duration={}s", LEASE_DURATION.as_secs()),
                    format!("--renew-deadline={}s", RENEW_DEADLINE.as_secs()),
                    format!("--retry-period={}s", RETRY_PERIOD.as_secs()),
                ];
                let flags: Vec<&str> = timings
                    .iter()
                    .chain(&self.extra)
                    .map(String::as_str)
                    .collect();
                let peer = self.c.peer(&self.ns, self.lease, pod, &flags);
                self.peers.insert(pod.clone(), peer);
            }
        }
        pods.len()
    }

    fn holder(&self) -> String {
        let out = self.c.kubectl(&[
            "get",
            "lease",
            self.lease,
            "-n",
            &self.ns,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The holder's pod is Running and not being deleted, and its peer still runs.
    fn live(&mut self, holder: &str) -> bool {
        self.live_pods().iter().any(|p| p == holder)
            && self.peers.get_mut(holder).is_some_and(|p| !p.exited())
    }

    /// The holder's peer has started leading and not ended since: on a coordinated lease the
    /// elector writes the holder first, and the peer takes it up at its next retry.
    fn leads(&self, holder: &str) -> bool {
        self.peers.get(holder).is_some_and(|p| {
            p.events()
                .iter()
                .rev()
                .find(|e| e["event"] == "started_leading" || e["event"] == "leading_ended")
                .is_some_and(|e| e["event"] == "started_leading")
        })
    }

    /// Waits for five peers and a leader among them that knows it leads.
    fn settle(&mut self) -> String {
        assert!(
            eventually(90, || self.maintain() == PEERS),
            "fewer than {PEERS} live pods: {:?}",
            self.live_pods()
        );
        let mut holder = String::new();
        assert!(
            eventually(60, || {
                holder = self.holder();
                !holder.is_empty() && self.live(&holder) && self.leads(&holder)
            }),
            "no live peer leads (holder {holder:?})"
        );
        holder
    }

    /// Every leadership interval of every peer, by its own events: (from, to, who).
    fn intervals(&self) -> Vec<(Timestamp, Timestamp, String)> {
        let now = Timestamp::now();
        let mut all = Vec::new();
        for (pod, peer) in &self.peers {
            let mut open: Option<Timestamp> = None;
            for e in peer.events() {
                let Some(t) = e["time"].as_str().and_then(|t| t.parse::<Timestamp>().ok()) else {
                    continue;
                };
                match e["event"].as_str() {
                    Some("started_leading") => open = Some(t),
                    Some("leading_ended" | "stopped_leading" | "exited") => {
                        if let Some(from) = open.take() {
                            all.push((from, t, pod.clone()));
                        }
                    }
                    _ => {}
                }
            }
            if let Some(from) = open {
                all.push((from, now, pod.clone()));
            }
        }
        all.sort();
        all
    }
}

enum Fault {
    None,
    /// The API server is killed after the eviction, before the wait for the pod to be gone.
    AfterEviction,
    /// The API server is frozen as the guarded write that frees the lock leaves, then killed.
    DuringWrite,
}

#[test]
#[ignore = "about 5 minutes, stops the API server of its own cluster: .ci/run runs it (see tests/soak/main.rs)"]
fn handovers_under_api_server_restarts_never_make_two_leaders_or_lose_the_lease() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let c = own_cluster();
    let handovers = count("SOAK_EVICTIONS", 30);
    let ns = c.namespace("soak");
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: peer, namespace: {ns}}}\nspec:\n  replicas: {PEERS}\n  selector: {{matchLabels: {{app: peer}}}}\n  template:\n    metadata: {{labels: {{app: peer}}}}\n    spec: {{terminationGracePeriodSeconds: 1, containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    let mut soak = Soak {
        c,
        ns: ns.clone(),
        lease: "lock",
        extra: vec!["--release-on-cancel=false".to_string()],
        peers: BTreeMap::new(),
    };
    let (mut clean, mut outages, mut unfaulted) = (0, 0, 0);
    for i in 0..handovers {
        let old = soak.settle();
        let fault = match i % 5 {
            1 => Fault::AfterEviction,
            3 => Fault::DuringWrite,
            _ => Fault::None,
        };
        let args = [
            "release", "lock", "-n", &ns, "--evict", "-y", "--wait", "30s",
        ];
        let point = match fault {
            Fault::None => None,
            Fault::AfterEviction => Some("after-eviction"),
            Fault::DuringWrite => Some("free-after-eviction"),
        };
        let Some(point) = point else {
            let out = c.singleton(&args);
            let (text, err) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(out.status.code(), Some(0), "handover {i}: {text}{err}");
            assert!(
                text.contains(&format!("evicted pod {ns}/{old}")),
                "handover {i}: {text}"
            );
            // After a successful release: a live peer holds the lease, or nobody does.
            let now = soak.holder();
            assert!(
                now.is_empty() || (now != old && soak.live(&now)),
                "handover {i}: after release the lease names {now:?} (old {old}), not a live peer: {text}"
            );
            clean += 1;
            continue;
        };
        let mut release = Paused::spawn(c, &args, point, &format!("{i}"));
        let mut reached = false;
        assert!(
            eventually(60, || {
                reached = release.reached();
                reached || release.exited()
            }),
            "handover {i}: release neither paused nor ended"
        );
        if !reached {
            // The evicted leader's lease was already taken: no write to interrupt.
            let (code, out, err) = release.finish();
            assert_eq!(code, Some(0), "handover {i}: {out}{err}");
            unfaulted += 1;
            continue;
        }
        match fault {
            Fault::DuringWrite => {
                freeze_apiserver();
                release.resume();
                std::thread::sleep(Duration::from_secs(1));
                cluster_sh(&["kill", "apiserver"]);
            }
            _ => {
                cluster_sh(&["kill", "apiserver"]);
                release.resume();
            }
        }
        let (code, out, err) = release.finish();
        restart_apiserver();
        assert_eq!(code, Some(3), "handover {i}: {out}{err}");
        let line = err.trim_end();
        assert_eq!(line.lines().count(), 1, "handover {i}: {err}");
        assert!(
            line.contains(&format!("release stopped, done: evicted pod {ns}/{old}"))
                && line.contains("; not done: ")
                && line
                    .contains("; next: see who holds it with `kubectl singleton status lock -n "),
            "handover {i}: {line}"
        );
        if matches!(fault, Fault::DuringWrite) {
            assert!(
                line.contains("(sent, never answered)"),
                "handover {i}: {line}"
            );
        }
        outages += 1;
    }
    soak.settle();

    let (terms, closest) = assert_no_two_leaders(&soak, handovers);
    println!(
        "soak: {handovers} handovers ({clean} clean, {outages} with the API server killed, {unfaulted} whose write was not reached), {} leadership terms by {} peers, closest gap between terms {closest:?} (allowance {:?}), {:.0}s",
        terms,
        soak.peers.len(),
        allowance(),
        started.elapsed().as_secs_f64()
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// The peers' leadership terms, in order of start, never overlap beyond the allowance; gives
/// the number of terms and the closest gap between one term's end and the next one's start.
fn assert_no_two_leaders(soak: &Soak, handovers: usize) -> (usize, SignedDuration) {
    let intervals = soak.intervals();
    let mut latest: Option<(Timestamp, String)> = None;
    let mut closest = SignedDuration::MAX;
    for (from, to, who) in &intervals {
        if let Some((end, before)) = &latest {
            let gap = from.duration_since(*end);
            closest = closest.min(gap);
            assert!(
                gap >= -allowance(),
                "two leaders: {before} led until {end}, {who} from {from} ({gap:?} overlap, allowance {:?})",
                allowance()
            );
        }
        if latest.as_ref().is_none_or(|(end, _)| to > end) {
            latest = Some((*to, who.clone()));
        }
    }
    assert!(
        intervals.len() > handovers / 2,
        "too few terms logged: {intervals:?}"
    );
    (intervals.len(), closest)
}

/// How many handovers of a kind: the environment variable, or the default.
fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The third party's strategy the `--to` peers ask for; `lepeer --elect` elects by it.
const STRATEGY: &str = "example.com/PreferredHolder";

#[test]
#[ignore = "about 2 minutes, stops the API server of its own cluster: .ci/run runs it (see tests/soak/main.rs)"]
fn to_handovers_under_api_server_restarts_never_make_two_leaders() {
    let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let c = own_cluster();
    let handovers = count("SOAK_TO", 20);
    let ns = c.namespace("soak-to");
    c.apply(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: peer, namespace: {ns}}}\nspec:\n  replicas: {PEERS}\n  selector: {{matchLabels: {{app: peer}}}}\n  template:\n    metadata: {{labels: {{app: peer}}}}\n    spec: {{containers: [{{name: c, image: example.invalid/x:1}}]}}\n"
    ));
    let strategy = format!("--strategy={STRATEGY}");
    let timings = [
        format!("--lease-duration={}s", LEASE_DURATION.as_secs()),
        format!("--renew-deadline={}s", RENEW_DEADLINE.as_secs()),
        format!("--retry-period={}s", RETRY_PERIOD.as_secs()),
    ];
    // The third party's controller: hands the expired lease to its preferredHolder.
    let elector_flags: Vec<&str> = ["--elect", strategy.as_str(), "--retry-period=200ms"]
        .into_iter()
        .chain(timings[..2].iter().map(String::as_str))
        .collect();
    let _elector = c.peer(&ns, "coord", "elector", &elector_flags);
    let mut soak = Soak {
        c,
        ns: ns.clone(),
        lease: "coord",
        // No release on cancel: client-go's release would also clear the lease's strategy.
        extra: vec![
            "--coordinated".to_string(),
            strategy.clone(),
            "--release-on-cancel=false".to_string(),
        ],
        peers: BTreeMap::new(),
    };
    let (mut clean, mut outages) = (0, 0);
    for i in 0..handovers {
        let old = soak.settle();
        let mut others: Vec<String> = soak.live_pods().into_iter().filter(|p| *p != old).collect();
        others.sort();
        let to = others[i % others.len()].clone();
        let args = [
            "release", "coord", "-n", &ns, "--to", &to, "-y", "--wait", "30s",
        ];
        if i % 5 != 2 {
            let out = c.singleton(&args);
            let (text, err) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(out.status.code(), Some(0), "handover {i}: {text}{err}");
            assert!(
                text.contains(&format!("set preferredHolder to {to}"))
                    && text.contains(&format!("new leader {to}")),
                "handover {i}: {text}"
            );
            let now = soak.holder();
            assert!(
                now.is_empty() || soak.live(&now),
                "handover {i}: after release the lease names {now:?}, not a live peer: {text}"
            );
            clean += 1;
            continue;
        }
        // The API server frozen as the preferredHolder write leaves, then killed.
        let release = Paused::spawn(c, &args, "before-write", &format!("to-{i}"));
        assert!(
            eventually(60, || release.reached()),
            "handover {i}: release never got to its write"
        );
        freeze_apiserver();
        release.resume();
        std::thread::sleep(Duration::from_secs(1));
        cluster_sh(&["kill", "apiserver"]);
        let (code, out, err) = release.finish();
        restart_apiserver();
        assert_eq!(code, Some(3), "handover {i}: {out}{err}");
        let line = err.trim_end();
        assert_eq!(line.lines().count(), 1, "handover {i}: {err}");
        assert!(
            line.contains(&format!(
                "release stopped, nothing done; unknown: whether the request to set preferredHolder to {to}"
            )) && line.contains("(sent, never answered); next: see who holds it with `kubectl singleton status coord -n "),
            "handover {i}: {line}"
        );
        outages += 1;
    }
    soak.settle();
    let (terms, closest) = assert_no_two_leaders(&soak, handovers);
    println!(
        "soak --to: {handovers} handovers ({clean} clean, {outages} with the API server frozen and killed during the write), {terms} leadership terms by {} peers, closest gap between terms {closest:?} (allowance {:?}), {:.0}s",
        soak.peers.len(),
        allowance(),
        started.elapsed().as_secs_f64()
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
