//! Bad credentials and TLS against the real API server: one line, exit 3, nothing on stdout.

use crate::harness::{TestCluster, cluster, stderr};

/// A copy of the test kubeconfig with `edit` applied.
fn kubeconfig(c: &TestCluster, name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&c.kubeconfig).unwrap();
    let path = std::env::temp_dir().join(format!("faults-{}-{name}.yaml", std::process::id()));
    std::fs::write(&path, edit(text)).unwrap();
    path
}

fn assert_fails(c: &TestCluster, kubeconfig: &std::path::Path, needle: &str) {
    let out = c
        .singleton_command(&["status", "-n", "default"])
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert!(
        !err.contains("Output {") && !err.contains("panicked"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// Replaces the client certificate and key lines of the user with `replacement`.
fn without_client_cert(text: &str, replacement: &str) -> String {
    let mut out = String::new();
    let mut replaced = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("client-certificate") || trimmed.starts_with("client-key") {
            if !replaced {
                out.push_str(replacement);
                replaced = true;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(replaced, "no client certificate in the kubeconfig");
    out
}

#[test]
fn an_untrusted_server_certificate_is_exit_3() {
    let c = cluster();
    // Trust the client certificate instead of the cluster CA: the server's chain no longer verifies.
    let pki = c.kubeconfig.parent().unwrap().join("pki");
    let wrong_ca = kubeconfig(c, "wrong-ca", |t| {
        t.lines()
            .map(|l| {
                if l.trim_start().starts_with("certificate-authority:") {
                    format!(
                        "    certificate-authority: {}\n",
                        pki.join("admin.crt").display()
                    )
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    });
    assert_fails(c, &wrong_ca, "certificate-authority / tls-server-name");
    let wrong_name = kubeconfig(c, "wrong-name", |t| {
        t.replacen(
            "    server:",
            "    tls-server-name: wrong.example\n    server:",
            1,
        )
    });
    assert_fails(c, &wrong_name, "not valid for name \"wrong.example\"");
}

#[test]
fn a_missing_or_failing_credential_plugin_is_exit_3() {
    let c = cluster();
    let exec = |command: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      interactiveMode: Never\n"
        )
    };
    let absent = kubeconfig(c, "absent-plugin", |t| {
        without_client_cert(&t, &exec("/nonexistent/credential-plugin"))
    });
    assert_fails(c, &absent, "credential plugin could not be started");
    let failing = kubeconfig(c, "failing-plugin", |t| {
        without_client_cert(&t, &exec("false"))
    });
    assert_fails(c, &failing, "credential plugin \"false\" failed");
}

#[test]
fn a_working_credential_plugin_is_used() {
    let c = cluster();
    // A plugin that hands out the admin client certificate, as cloud plugins hand out tokens.
    let pki = c.kubeconfig.parent().unwrap().join("pki");
    let plugin = std::env::temp_dir().join(format!("faults-{}-plugin.sh", std::process::id()));
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\ncert=$(sed 's/$/\\\\n/' {crt} | tr -d '\\n')\nkey=$(sed 's/$/\\\\n/' {key} | tr -d '\\n')\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"clientCertificateData\":\"%s\",\"clientKeyData\":\"%s\"}}}}' \"$cert\" \"$key\"\n",
            crt = pki.join("admin.crt").display(),
            key = pki.join("admin.key").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let exec = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        plugin.display()
    );
    let config = kubeconfig(c, "working-plugin", |t| without_client_cert(&t, &exec));
    // Without the plugin the request is anonymous and forbidden: success proves it ran.
    let out = c
        .singleton_command(&["status", "-n", "kube-system", "-o", "name"])
        .env("KUBECONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lease/kube-system/kube-scheduler"));
}

#[test]
fn a_stream_cut_in_the_middle_of_a_list_is_one_line_and_exit_3() {
    let c = cluster();
    let ns = c.namespace("faults-cut");
    // 40 ConfigMaps with 8 KiB of annotations each: status lists their metadata in a ~330 KB
    // answer, far more than the proxy lets through.
    let padding = "p".repeat(8 * 1024);
    let manifest: String = (0..40)
        .map(|i| {
            format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-{i}\n  namespace: {ns}\n  annotations: {{example.com/padding: {padding}}}\n"
            )
        })
        .collect();
    c.apply(&manifest);
    let whole = c.singleton(&["status", "-n", &ns]);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));

    let proxy = crate::harness::CuttableProxy::truncating(c.apiserver_addr(), 64 * 1024);
    let out = c
        .singleton_command(&["status", "-n", &ns])
        .env("KUBECONFIG", c.kubeconfig_via(proxy.port))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("was cut before its answer to list"), "{err}");
    assert!(!err.contains("panicked") && !err.contains(" { "), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    c.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn a_selector_the_server_cannot_parse_is_a_usage_error() {
    let c = cluster();
    let out = c.singleton(&["status", "-n", "default", "-l", "app in (a"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("invalid -l/--selector \"app in (a\"") && err.contains("unable to parse"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_rejected_token_is_401_in_one_line_and_exit_3() {
    let c = cluster();
    let bogus = kubeconfig(c, "bogus-token", |t| {
        without_client_cert(&t, "    token: not-a-real-token\n")
    });
    assert_fails(c, &bogus, "rejected our credentials (401 Unauthorized)");
    // -v logs the request but never the token.
    let out = c
        .singleton_command(&["status", "-n", "default", "-v=9"])
        .env("KUBECONFIG", &bogus)
        .output()
        .unwrap();
    assert!(
        !stderr(&out).contains("not-a-real-token"),
        "{}",
        stderr(&out)
    );
}
