//! The wording of failed requests: what we tried (the `Action`), what the server or the network
//! said, and what to try. One line each, with no debug dumps.

use super::Cluster;
use crate::error::Error;

/// What a request was for, so a failure can say it (`cannot list leases in namespace x`).
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    verb: &'a str,
    resource: &'a str,
    /// `None` = cluster scope.
    namespace: Option<&'a str>,
    /// Set for requests about one object whose absence is worth saying by name.
    name: Option<&'a str>,
}

impl<'a> Action<'a> {
    fn new(verb: &'a str, resource: &'a str, namespace: Option<&'a str>) -> Self {
        Action {
            verb,
            resource,
            namespace,
            name: None,
        }
    }

    /// `list RESOURCE` in a namespace, or across all (`None`).
    pub fn list(resource: &'a str, namespace: Option<&'a str>) -> Self {
        Self::new("list", resource, namespace)
    }

    /// `watch RESOURCE`.
    pub fn watch(resource: &'a str, namespace: Option<&'a str>) -> Self {
        Self::new("watch", resource, namespace)
    }

    /// `get RESOURCE`; add [`Action::named`] when a 404 should name the object.
    pub fn get(resource: &'a str, namespace: Option<&'a str>) -> Self {
        Self::new("get", resource, namespace)
    }

    /// `create RESOURCE` (e.g. `pods/eviction`).
    pub fn create(resource: &'a str, namespace: Option<&'a str>) -> Self {
        Self::new("create", resource, namespace)
    }

    /// `update RESOURCE`.
    pub fn update(resource: &'a str, namespace: Option<&'a str>) -> Self {
        Self::new("update", resource, namespace)
    }

    /// The one object the request is about: a 404 then says `RESOURCE "NAME" not found`.
    pub fn named(self, name: &'a str) -> Self {
        Action {
            name: Some(name),
            ..self
        }
    }

    fn scope(&self) -> String {
        match self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "at cluster scope".to_string(),
        }
    }

    /// What a 403 for this action tells the user: the verb, resource and scope to ask for.
    pub fn forbidden(&self) -> String {
        let Action { verb, resource, .. } = self;
        let scope = self.scope();
        if self.namespace.is_none() && *verb == "list" {
            format!(
                "cannot {verb} {resource} {scope} (forbidden): try -n NAMESPACE or ask for {verb} on {resource}"
            )
        } else {
            format!(
                "cannot {verb} {resource} {scope} (forbidden): ask for {verb} on {resource} {scope}"
            )
        }
    }
}

impl Cluster {
    pub(super) fn timed_out(&self, action: Action<'_>) -> Error {
        let limit = self
            .request_timeout
            .map_or("the time limit".to_string(), crate::duration::human);
        Error::env(format!(
            "no answer from the API server at {} within {limit} while trying to {} {} {}: check the network or raise --request-timeout",
            self.server_url,
            action.verb,
            action.resource,
            action.scope()
        ))
    }

    /// One line for a failed request: what we tried, what the server (or network) said, what to try.
    pub(super) fn explain(&self, err: kube::Error, action: Action<'_>) -> Error {
        let Action { verb, resource, .. } = action;
        let scope = action.scope();
        match err {
            kube::Error::Api(status) => {
                let message = match status.code {
                    401 => format!(
                        "the API server at {} rejected our credentials (401 Unauthorized): log in again or check the kubeconfig user",
                        self.server_url
                    ),
                    403 => action.forbidden(),
                    404 => match action.name {
                        Some(name) => format!("{resource} {name:?} not found {scope}"),
                        None => format!(
                            "cannot {verb} {resource} {scope}: not found ({}); is the namespace or API served by this cluster?",
                            status.message
                        ),
                    },
                    code @ 500.. => format!(
                        "cannot {verb} {resource} {scope}: the API server failed ({code} {}: {}); retry, and if it persists check the API server and its etcd",
                        status.reason, status.message
                    ),
                    code => format!(
                        "cannot {verb} {resource} {scope}: the API server answered {code} {}: {}",
                        status.reason, status.message
                    ),
                };
                Error::Api { message, status }
            }
            other => match transport(&other) {
                Some(Transport::TimedOut) => self.timed_out(action),
                Some(Transport::Refused) => Error::env(format!(
                    "cannot reach the API server at {} to {verb} {resource} {scope}: connection refused; is the cluster running, and is this the right context?",
                    self.server_url
                )),
                Some(Transport::Cut) => Error::env(format!(
                    "the connection to the API server at {} was cut before its answer to {verb} {resource} {scope} was complete: retry, and if it keeps happening check the proxies or load balancers on the way",
                    self.server_url
                )),
                None => Error::env(format!(
                    "cannot reach the API server at {} to {verb} {resource}: {}",
                    self.server_url,
                    plain_cause(&cause_chain(&other))
                )),
            },
        }
    }
}

/// How a request failed below HTTP, when it did.
#[derive(Debug, PartialEq)]
enum Transport {
    /// No answer in time.
    TimedOut,
    /// Nothing listens at the address.
    Refused,
    /// The connection closed under a request or in the middle of its answer (a proxy's idle
    /// timeout, a load balancer restart, a dropped VPN): worth a retry.
    Cut,
}

fn transport(err: &(dyn std::error::Error + 'static)) -> Option<Transport> {
    use std::io::ErrorKind::{
        BrokenPipe, ConnectionAborted, ConnectionRefused, ConnectionReset, TimedOut, UnexpectedEof,
    };
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                TimedOut => return Some(Transport::TimedOut),
                ConnectionRefused => return Some(Transport::Refused),
                UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => {
                    return Some(Transport::Cut);
                }
                _ => {}
            }
        }
        // tokio's elapsed timer and hyper's IncompleteMessage carry no io::Error.
        let text = e.to_string();
        if text.contains("deadline has elapsed") {
            return Some(Transport::TimedOut);
        }
        // hyper's body errors: HTTP/1.1 says the message was incomplete; over HTTP/2 the cut
        // surfaces as a failed body read whose TLS EOF is in the text, not in a source.
        if text.contains("connection closed before message completed")
            || text.contains("error reading a body from connection")
        {
            return Some(Transport::Cut);
        }
        next = e.source();
    }
    None
}

/// An error's message and its sources on one line, without repeating text a wrapper already
/// included (`client error (Connect): tcp connect error: Connection refused (os error 111)`).
pub fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        let text = strip_kube_prefix(&one_line(&e.to_string()));
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.retain(|p| !text.contains(p.as_str()));
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Turns the causes users hit most into words: a failed credential plugin (kube reports the
/// command with its environment and a debug dump of its output) and an untrusted certificate.
pub(super) fn plain_cause(chain: &str) -> String {
    const EXEC: &str = "auth exec command '";
    if let Some(start) = chain.find(EXEC) {
        let rest = &chain[start + EXEC.len()..];
        let command = rest.split_once("' failed").map_or(rest, |(c, _)| c);
        // The command is the last quoted word after KUBERNETES_EXEC_INFO="...".
        let program = command
            .rsplit("\" \"")
            .next()
            .unwrap_or(command)
            .trim_matches('"');
        let status = rest
            .split_once("failed with status ")
            .map(|(_, s)| {
                s.split(": Output {")
                    .next()
                    .unwrap_or(s)
                    .trim_end_matches(':')
            })
            .unwrap_or("a failure");
        let stderr = rest
            .split_once("stderr: \"")
            .map(|(_, s)| {
                s.trim_end_matches(" }")
                    .trim_end_matches('"')
                    .replace("\\n", " ")
                    .trim()
                    .to_string()
            })
            .filter(|s| !s.is_empty());
        let said = stderr.map_or(String::new(), |s| format!(": {s}"));
        return format!(
            "the kubeconfig's credential plugin {program:?} failed ({status}){said}; run it by hand or log in again"
        );
    }
    if let Some((_, why)) = chain.split_once("unable to run auth exec: ") {
        return format!(
            "the kubeconfig's credential plugin could not be started ({why}): install it or fix users[].user.exec.command"
        );
    }
    if chain.contains("invalid peer certificate") {
        return format!(
            "{chain} — the server's certificate does not match the context's certificate-authority / tls-server-name"
        );
    }
    chain.to_string()
}

/// kube prefixes its variants with a debug-style tag (`HyperError: `); users need the cause.
fn strip_kube_prefix(text: &str) -> String {
    for prefix in ["HyperError: ", "ServiceError: ", "ApiError: "] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    text.to_string()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_plugin_failures_are_words_not_debug_dumps() {
        let raw = r#"auth error: auth exec command 'KUBERNETES_EXEC_INFO="{\"kind\":\"ExecCredential\"}" "aws-auth"' failed with status exit status: 1: Output { status: ExitStatus(unix_wait_status(256)), stdout: "", stderr: "token expired\n" }"#;
        let text = plain_cause(raw);
        assert_eq!(
            text,
            "the kubeconfig's credential plugin \"aws-auth\" failed (exit status: 1): token expired; run it by hand or log in again"
        );
        assert!(
            plain_cause("invalid peer certificate: UnknownIssuer")
                .contains("certificate-authority")
        );
        assert_eq!(plain_cause("Connection refused"), "Connection refused");
    }

    #[test]
    fn an_answer_cut_mid_body_is_a_cut_over_http1_and_http2() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Hyper(&'static str);
        for text in [
            "connection closed before message completed",
            "error reading a body from connection: peer closed connection without sending TLS close_notify",
        ] {
            assert!(
                matches!(transport(&Hyper(text)), Some(Transport::Cut)),
                "{text}"
            );
        }
        assert!(transport(&Hyper("invalid peer certificate: UnknownIssuer")).is_none());
    }

    #[test]
    fn cause_chain_keeps_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("tcp connect error")]
        struct Connect(#[source] std::io::Error);
        #[derive(Debug, thiserror::Error)]
        #[error("HyperError: client error (Connect)")]
        struct Outer(#[source] Connect);
        let err = Outer(Connect(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        )));
        assert_eq!(
            cause_chain(&err),
            "client error (Connect): tcp connect error: Connection refused"
        );
    }

    #[test]
    fn forbidden_says_what_to_ask_for() {
        assert_eq!(
            Action::list("leases", None).forbidden(),
            "cannot list leases at cluster scope (forbidden): try -n NAMESPACE or ask for list on leases"
        );
        assert_eq!(
            Action::get("pods", Some("ns")).named("p").forbidden(),
            "cannot get pods in namespace ns (forbidden): ask for get on pods in namespace ns"
        );
    }
}
