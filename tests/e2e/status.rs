use serde_json::Value;

use crate::harness::{cluster, eventually, stderr, stdout};

/// Holder of every lease in `kubectl get lease -o json` output, by name.
fn holders(list: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["metadata"]["name"].as_str().unwrap().to_string(),
                item["spec"]["holderIdentity"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn status_through_kubectl_lists_the_control_plane_leaders() {
    let c = cluster();
    let out = c.kubectl(&["singleton", "status", "-A", "-o", "json"]);
    assert!(
        out.status.success(),
        "kubectl singleton failed: {}",
        stderr(&out)
    );
    let ours: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let theirs: Value =
        serde_json::from_str(&c.kubectl_ok(&["get", "lease", "-n", "kube-system", "-o", "json"]))
            .unwrap();
    assert_eq!(ours["kind"], "LockList");

    for component in ["kube-controller-manager", "kube-scheduler"] {
        let item = ours["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["namespace"] == "kube-system" && i["name"] == component)
            .unwrap_or_else(|| panic!("{component} lease missing from {ours}"));
        let (_, expected) = holders(&theirs)
            .into_iter()
            .find(|(name, _)| name == component)
            .unwrap();
        assert!(!expected.is_empty(), "{component} has no leader yet");
        assert_eq!(item["holderIdentity"], expected.as_str(), "{component}");
        assert_eq!(item["expiry"], "Live", "{component}: {item}");
    }
    // Node heartbeats are not leader election: hidden unless asked for.
    let items = ours["items"].as_array().unwrap();
    assert!(
        items.iter().all(|i| i["namespace"] != "kube-node-lease"),
        "{ours}"
    );
    let all = c.singleton(&["status", "-A", "--all-leases", "-o", "json"]);
    let all: Value = serde_json::from_str(&stdout(&all)).unwrap();
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["namespace"] == "kube-node-lease")
    );
}

#[test]
fn status_table_shows_holder_and_expiry_in_words() {
    let c = cluster();
    let out = c.singleton(&["status", "-n", "kube-system", "--no-color"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("NAME"), "{text}");
    for column in ["HOLDER", "RENEWED", "EXPIRES", "TRANSITIONS", "AGE"] {
        assert!(header.contains(column), "{column} missing: {header}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("kube-scheduler "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(" ago") && row.contains(" in "), "{row}");
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn a_client_go_peer_takes_over_when_the_leaders_pod_is_deleted() {
    let c = cluster();
    let ns = c.namespace("handover");
    for pod in ["peer-a", "peer-b"] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {pod}, namespace: {ns}}}\nspec:\n  containers: [{{name: c, image: example.invalid/x:1}}]\n"
        ));
    }
    let timings = [
        "--lease-duration=4s",
        "--renew-deadline=3s",
        "--retry-period=500ms",
    ];
    let mut a = c.peer(&ns, "worker", "peer-a", &timings);
    assert!(
        eventually(30, || a.has_event("started_leading")),
        "peer-a never led: {:?}",
        a.events()
    );
    let _b = c.peer(&ns, "worker", "peer-b", &timings);

    let holder = |c: &crate::harness::TestCluster| -> String {
        let out = c.singleton(&["status", "worker", "-n", &ns, "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        doc["items"][0]["holderIdentity"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(holder(c), "peer-a");

    // Deleting the leader's pod stands in for the kubelet's SIGTERM: the peer releases and exits.
    c.kubectl_ok(&["delete", "pod", "peer-a", "-n", &ns, "--wait=false"]);
    assert!(
        eventually(30, || a.exited()),
        "peer-a did not exit: {:?}",
        a.events()
    );
    assert!(
        eventually(30, || holder(c) == "peer-b"),
        "peer-b never took over; holder {:?}",
        holder(c)
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn impersonating_a_user_without_rbac_is_refused_in_one_line() {
    let c = cluster();
    let out = c.singleton(&[
        "status",
        "-A",
        "--as",
        "system:serviceaccount:default:nobody",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot list leases at cluster scope (forbidden)"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_missing_lease_is_not_found_with_exit_3() {
    let c = cluster();
    let out = c.singleton(&["status", "no-such-lease", "-n", "kube-system"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("lease \"no-such-lease\" not found in namespace kube-system"),
        "{}",
        stderr(&out)
    );
}
