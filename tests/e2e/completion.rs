//! kubectl's own plugin completion: `kubectl __complete singleton ...` runs the shipped
//! completions/kubectl_complete-singleton, which asks our binary.

use crate::harness::{cluster, stderr, stdout};

/// The candidates (first column) and the directive line of a `kubectl __complete` answer.
fn complete(args: &[&str]) -> (Vec<String>, String) {
    let c = cluster();
    let mut full = vec!["__complete", "singleton"];
    full.extend_from_slice(args);
    let out = c.kubectl(&full);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    let directive = lines.pop().unwrap_or_default().to_string();
    let words = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    (words, directive)
}

#[test]
fn kubectl_completes_commands_flags_and_names_from_the_cluster() {
    let c = cluster();
    let ns = c.namespace("complete");
    c.apply(&format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: scheduler-lock, namespace: {ns}}}\nspec: {{holderIdentity: someone, leaseDurationSeconds: 15}}\n"
    ));

    let (words, directive) = complete(&["rel"]);
    assert_eq!(words, vec!["release"]);
    assert_eq!(directive, ":4", "no file names after a subcommand");

    let (words, _) = complete(&["release", "--ev"]);
    assert_eq!(words, vec!["--evict"]);

    let (words, _) = complete(&["release", "-n", &ns, ""]);
    assert_eq!(words, vec!["scheduler-lock"]);

    let (words, _) = complete(&["status", "--namespace", "complete-"]);
    assert!(words.contains(&ns), "{words:?}");

    // drain-check completes node names, less those already on the line.
    let node = |n: u8| format!("{ns}-node-{n}");
    for n in [1, 2] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {}\n  annotations: {{kwok.x-k8s.io/node: fake}}\n  labels: {{type: kwok}}\n",
            node(n)
        ));
    }
    let (words, directive) = complete(&["drain-check", &format!("{ns}-")]);
    assert_eq!(words, vec![node(1), node(2)]);
    assert_eq!(directive, ":4");
    let (words, _) = complete(&["drain-check", &node(1), &format!("{ns}-")]);
    assert_eq!(words, vec![node(2)]);
    c.kubectl_ok(&["delete", "node", &node(1), &node(2), "--wait=false"]);

    // Any failure is an empty answer, never an error on the terminal.
    let out = c.kubectl(&[
        "__complete",
        "singleton",
        "release",
        "--kubeconfig",
        "/nonexistent/kubeconfig",
        "",
    ]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), ":4", "{}", stdout(&out));
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
