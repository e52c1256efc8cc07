//! Colour on a terminal: the real binary under a pseudo-terminal (util-linux `script`), against
//! a stand-in API server, so that both stdout (the table) and stderr (warnings) are terminals.
//! Colour appears there by default, and never with `--no-color` or a non-empty `NO_COLOR`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;

const ESC: char = '\u{1b}';

/// An API server that serves one live lease in namespace `team-a` and answers 404 to
/// everything else: the ConfigMap and Endpoints lists then become warnings on stderr.
fn api_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    port
}

/// Answers every request on one keep-alive connection until the client closes it.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let path = request_line.split_whitespace().nth(1).unwrap_or_default();
        let (status, body) = if path
            .starts_with("/apis/coordination.k8s.io/v1/namespaces/team-a/leases")
        {
            ("200 OK", lease_list())
        } else {
            (
                "404 Not Found",
                r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#.to_string(),
            )
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// One lease held by `worker`, renewed just now for an hour: State Held, in green.
fn lease_list() -> String {
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S.%6fZ");
    format!(
        r#"{{"apiVersion":"coordination.k8s.io/v1","kind":"LeaseList","metadata":{{"resourceVersion":"1"}},"items":[{{"metadata":{{"name":"lock","namespace":"team-a","creationTimestamp":"2026-01-01T00:00:00Z"}},"spec":{{"holderIdentity":"worker","leaseDurationSeconds":3600,"acquireTime":"{now}","renewTime":"{now}","leaseTransitions":0}}}}]}}"#
    )
}

fn kubeconfig(port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ks-color-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\ncontexts:\n- name: test\n  context: {{cluster: test, user: test, namespace: team-a}}\nclusters:\n- name: test\n  cluster: {{server: 'http://127.0.0.1:{port}'}}\nusers:\n- name: test\n  user: {{token: t}}\n"
        ),
    )
    .unwrap();
    path
}

/// What a terminal shows for `kubectl singleton status ARGS`, stdout and stderr together.
fn on_terminal(port: u16, args: &[&str], env: &[(&str, &str)]) -> String {
    let kubeconfig = kubeconfig(port);
    let command = std::iter::once(env!("CARGO_BIN_EXE_kubectl-singleton"))
        .chain(["status", "--kubeconfig", kubeconfig.to_str().unwrap()])
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("/usr/bin/script")
        .args(["-qfec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        // A terminal that says it does colour, as a user's would.
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .output()
        .expect("cannot run script(1) from util-linux");
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("worker"), "no table: {screen}");
    assert!(
        screen.contains("legacy ConfigMap locks not shown"),
        "no warning: {screen}"
    );
    screen
}

#[test]
fn a_terminal_gets_colour_on_stdout_and_stderr() {
    let port = api_server();
    let screen = on_terminal(port, &[], &[]);
    let table = screen.lines().find(|l| l.contains("worker")).unwrap();
    assert!(table.contains(ESC), "table not coloured: {screen:?}");
    let warning = screen
        .lines()
        .find(|l| l.contains("legacy ConfigMap locks not shown"))
        .unwrap();
    assert!(
        warning.starts_with(&format!("{ESC}[33mWarning:")),
        "warning not coloured: {screen:?}"
    );
}

#[test]
fn no_color_flag_reaches_every_line() {
    let port = api_server();
    let screen = on_terminal(port, &["--no-color"], &[]);
    assert!(!screen.contains(ESC), "{screen:?}");
    assert!(screen.contains("Warning: legacy ConfigMap locks not shown"));
}

#[test]
fn no_color_env_reaches_every_line() {
    let port = api_server();
    let screen = on_terminal(port, &[], &[("NO_COLOR", "1")]);
    assert!(!screen.contains(ESC), "{screen:?}");
    assert!(screen.contains("Warning: legacy ConfigMap locks not shown"));
}
