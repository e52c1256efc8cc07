use serde_json::Value;

use crate::harness::{cluster, eventually, stderr, stdout};

fn scaffold(args: &[&str]) -> String {
    let out = cluster().singleton(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn every_scaffold_is_accepted_under_restricted_pod_security_and_works() {
    let c = cluster();
    let ns = c.namespace("scaffold");
    c.kubectl_ok(&[
        "label",
        "namespace",
        &ns,
        "pod-security.kubernetes.io/enforce=restricted",
    ]);
    let image = "example.invalid/app:1.0";
    let manifests = [
        (
            "statefulset",
            scaffold(&[
                "scaffold",
                "statefulset",
                "ledger",
                "--image",
                image,
                "--port",
                "7000",
                "-n",
                &ns,
            ]),
        ),
        (
            "deployment",
            scaffold(&[
                "scaffold",
                "deployment",
                "reports",
                "--image",
                image,
                "-n",
                &ns,
            ]),
        ),
        (
            "cronjob",
            scaffold(&[
                "scaffold",
                "cronjob",
                "tick",
                "--image",
                image,
                "--schedule",
                "* * * * *",
                "-n",
                &ns,
            ]),
        ),
        (
            "leader-election",
            scaffold(&[
                "scaffold",
                "leader-election",
                "consumer",
                "--image",
                image,
                "-n",
                &ns,
            ]),
        ),
        (
            "statefulset with storage",
            scaffold(&[
                "scaffold",
                "statefulset",
                "vault",
                "--image",
                image,
                "--storage",
                "1Gi",
                "-n",
                &ns,
            ]),
        ),
    ];
    for (kind, manifest) in &manifests {
        let dry = c.try_apply(manifest, &["--dry-run=server"]);
        assert!(
            dry.status.success(),
            "{kind} rejected by the API server: {}",
            stderr(&dry)
        );
        assert!(
            !stderr(&dry).contains("violate PodSecurity"),
            "{kind}: {}",
            stderr(&dry)
        );
    }
    for (kind, manifest) in &manifests[..4] {
        let applied = c.try_apply(manifest, &[]);
        assert!(applied.status.success(), "{kind}: {}", stderr(&applied));
    }

    // The StatefulSet's one pod becomes Ready on a kwok node.
    let ready = || {
        c.kubectl(&[
            "get",
            "pod",
            "ledger-0",
            "-n",
            &ns,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ])
    };
    assert!(
        eventually(60, || stdout(&ready()) == "True"),
        "ledger-0 never Ready: {}",
        stderr(&ready())
    );

    // The CronJob's first Job appears at the next minute.
    let jobs = || c.kubectl_ok(&["get", "jobs", "-n", &ns, "-o", "name"]);
    assert!(
        eventually(90, || jobs().contains("job.batch/tick-")),
        "no Job from the CronJob: {}",
        jobs()
    );

    // Leader election: our client-go peer stands in for the app in each scaffolded pod, with
    // exactly the scaffolded ServiceAccount's permissions.
    let pods = || {
        c.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            &ns,
            "-l",
            "app.kubernetes.io/name=consumer",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])
    };
    assert!(
        eventually(60, || pods().split_whitespace().count() == 2),
        "consumer pods: {}",
        pods()
    );
    let account = format!("system:serviceaccount:{ns}:consumer");
    let peers: Vec<_> = pods()
        .split_whitespace()
        .map(|pod| {
            c.peer(
                &ns,
                "consumer",
                pod,
                &[
                    "--as",
                    &account,
                    "--pod",
                    "",
                    "--lease-duration=4s",
                    "--renew-deadline=3s",
                    "--retry-period=500ms",
                ],
            )
        })
        .collect();
    assert!(
        eventually(30, || peers.iter().any(|p| p.has_event("started_leading"))),
        "no leader: {:?}",
        peers.iter().map(|p| p.events()).collect::<Vec<_>>()
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    let leaders = peers
        .iter()
        .filter(|p| p.has_event("started_leading"))
        .count();
    assert_eq!(leaders, 1, "exactly one leader expected");
    let doc: Value = serde_json::from_str(&stdout(
        &c.singleton(&["status", "consumer", "-n", &ns, "-o", "json"]),
    ))
    .unwrap();
    let item = &doc["items"][0];
    assert_eq!(item["state"], "Held", "{doc}");
    assert!(
        pods()
            .split_whitespace()
            .any(|p| item["holderIdentity"] == p),
        "{doc}"
    );
    assert_eq!(
        item["holderPod"]["workload"], "Deployment/consumer",
        "{doc}"
    );
    drop(peers);
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
