//! The exporter's audit over its caches (`--audit-interval`) against the real control plane: its
//! `singleton_audit_findings` series are the live `audit`'s findings for the rules it covers, and
//! a finding that goes away (the lease is deleted) drops out of the scrape at the next audit.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use crate::exporter::{http_get, start_exporter};
use crate::harness::{cluster, eventually};

/// The rules the exporter's audit runs (docs/exporter.md, "The audit over the caches").
const COVERED: [&str; 11] = [
    "lease-orphaned",
    "lease-expired",
    "lease-holder-unready",
    "lease-clock-skew",
    "legacy-lock",
    "shard-leaderless",
    "shard-missing",
    "shard-hotspot",
    "legacy-lock-split",
    "leader-churn",
    "preferred-holder-gone",
];

/// The scrape's body, when it answers 200.
fn metrics(addr: SocketAddr) -> Option<String> {
    http_get(addr, "/metrics", None)
        .filter(|(code, _)| *code == 200)
        .map(|(_, body)| body)
}

/// `(rule, severity, kind, name)` of every `singleton_audit_findings` series in `ns`.
fn exported(body: &str, ns: &str) -> BTreeSet<(String, String, String, String)> {
    body.lines()
        .filter(|l| l.starts_with("singleton_audit_findings{"))
        .filter(|l| l.contains(&format!("namespace=\"{ns}\"")))
        .map(|l| {
            let label = |key: &str| {
                l.split(&format!("{key}=\""))
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_string()
            };
            (
                label("rule"),
                label("severity"),
                label("kind"),
                label("name"),
            )
        })
        .collect()
}

#[test]
fn cached_audit_matches_the_live_audit_for_the_rules_it_covers() {
    let c = cluster();
    let ns = c.namespace("exporter-audit");
    // A lease dead for years, a live lease that changed hands 40 times in its short life, and a
    // legacy Endpoints lock (the legacy-lock rule).
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        .to_string();
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: stale, namespace: {ns}}}\nspec: {{holderIdentity: ghost, leaseDurationSeconds: 15, renewTime: '2020-01-01T00:00:00.000000Z'}}\n---\n\
         apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: churny, namespace: {ns}}}\nspec: {{holderIdentity: someone, leaseDurationSeconds: 3600, renewTime: '{now}', leaseTransitions: 40}}\n---\n\
         apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: old-style\n  namespace: {ns}\n  annotations:\n    control-plane.alpha.kubernetes.io/leader: '{{\"holderIdentity\":\"ghost\",\"leaseDurationSeconds\":15,\"renewTime\":\"2020-01-01T00:00:00Z\",\"leaderTransitions\":1}}'\n"
    ));

    let (_exporter, addr) = start_exporter(&["--audit-interval", "1s"], None);

    let live = c.singleton(&["audit", "-n", &ns, "-o", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap_or_else(|e| {
        panic!(
            "audit -o json: {e}: {}",
            String::from_utf8_lossy(&live.stderr)
        )
    });
    let expected: BTreeSet<(String, String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| COVERED.contains(&f["rule"].as_str().unwrap_or_default()))
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&f["rule"]),
                s(&f["severity"]),
                s(&f["object"]["kind"]),
                s(&f["object"]["name"]),
            )
        })
        .collect();
    let rules: BTreeSet<&str> = expected.iter().map(|f| f.0.as_str()).collect();
    for rule in ["lease-expired", "leader-churn", "legacy-lock"] {
        assert!(rules.contains(rule), "live audit lacks {rule}: {report}");
    }

    let mut last = BTreeSet::new();
    let same = eventually(30, || {
        last = metrics(addr).map(|b| exported(&b, &ns)).unwrap_or_default();
        last == expected
    });
    assert!(same, "exporter {last:?}\nlive audit {expected:?}");

    // The dead lease is deleted: its finding leaves the scrape at a later audit, the others stay.
    c.kubectl_ok(&["delete", "lease", "stale", "-n", &ns]);
    let gone = eventually(30, || {
        last = metrics(addr).map(|b| exported(&b, &ns)).unwrap_or_default();
        !last.iter().any(|f| f.3 == "stale") && last.iter().any(|f| f.3 == "churny")
    });
    assert!(gone, "after deleting lease stale: {last:?}");
}
