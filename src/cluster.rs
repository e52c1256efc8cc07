//! The connection to a cluster: one function builds the kube `Client` from the kubectl-style
//! flags, a client layer reads the server's clock from every response, and API failures are
//! turned into one-line errors that name the verb, the resource and what to try.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use jiff::{SignedDuration, Timestamp};
use kube::api::{ListParams, ObjectList, PartialObjectMeta};
use kube::client::{Body, ClientBuilder, DynBody};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Api, Client, Config};
use serde::de::DeserializeOwned;
use tower::util::{MapRequestLayer, MapResponseLayer};

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};

/// Without `--request-timeout`, no single request may take longer than this: a server that
/// accepts connections but never answers must not hang the tool.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Items per LIST page: large enough for few round trips, small enough to bound memory.
const PAGE_SIZE: u32 = 500;

/// A connected cluster: the client plus what error messages and time arithmetic need.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The namespace used when `-n` is absent: the context's, else `default`.
    pub default_namespace: String,
    server_url: String,
    request_timeout: Option<Duration>,
    clock: ServerClock,
    requests: Arc<AtomicU64>,
}

/// What a request was for, so a failure can say it (`cannot list leases in namespace x`).
#[derive(Debug, Clone, Copy)]
pub struct Action<'a> {
    pub verb: &'a str,
    pub resource: &'a str,
    /// `None` = cluster scope.
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl Action<'_> {
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

/// Builds the client exactly as kubectl would choose its configuration: `--kubeconfig`, else
/// every file of `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account.
pub async fn connect(global: &GlobalArgs) -> Result<Cluster> {
    let mut config = load_config(global).await?;
    if let Some(user) = &global.impersonate {
        config.auth_info.impersonate = Some(user.clone());
        if !global.impersonate_groups.is_empty() {
            config.auth_info.impersonate_groups = Some(global.impersonate_groups.clone());
        }
    }
    let request_timeout = match global.request_timeout {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None => Some(DEFAULT_REQUEST_TIMEOUT),
    };
    if let Some(limit) = request_timeout {
        config.connect_timeout = Some(config.connect_timeout.map_or(limit, |c| c.min(limit)));
        config.read_timeout = Some(limit);
        config.write_timeout = Some(limit);
        config.reset_reader_on_write = true;
    }
    // kube retries 429/503/504 by default; an eviction's 429 means "a PodDisruptionBudget says
    // no" and must reach us at once (kubectl does not retry either).
    config.default_retry = false;
    let server_url = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let default_namespace = config.default_namespace.clone();

    let clock = ServerClock::default();
    let requests = Arc::new(AtomicU64::new(0));
    let counted = requests.clone();
    let observed = clock.clone();
    let builder = ClientBuilder::try_from(config).map_err(|e| {
        Error::env(format!(
            "cannot set up a client for {server_url}: {}",
            plain_cause(&cause_chain(&e))
        ))
    })?;
    let client = builder
        .with_layer(&MapRequestLayer::new(move |req: Request<Body>| {
            let n = counted.fetch_add(1, Ordering::Relaxed) + 1;
            // Method and path only: headers carry credentials and are never logged.
            tracing::info!(
                "request #{n}: {} {}",
                req.method(),
                req.uri().path_and_query().map_or("", |p| p.as_str())
            );
            req
        }))
        .with_layer(&MapResponseLayer::new(
            move |res: Response<Box<DynBody>>| {
                observed.observe(&res);
                tracing::info!("response: {}", res.status());
                res
            },
        ))
        .build();

    Ok(Cluster {
        client,
        default_namespace,
        server_url,
        request_timeout,
        clock,
        requests,
    })
}

impl Cluster {
    /// The namespace a namespaced command works in: `-n`, else the context's.
    pub fn namespace<'a>(&'a self, global: &'a GlobalArgs) -> &'a str {
        global
            .namespace
            .as_deref()
            .unwrap_or(&self.default_namespace)
    }

    /// An API handle for a namespaced kind: in one namespace, or across all (`None`).
    pub fn api<K>(&self, namespace: Option<&str>) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    /// An API for a cluster-scoped kind.
    pub fn cluster_api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::all(self.client.clone())
    }

    /// Whether a namespaced object exists (a metadata-only GET).
    pub async fn exists<K>(&self, namespace: &str, name: &str, resource: &str) -> Result<bool>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let action = Action {
            verb: "get",
            resource,
            namespace: Some(namespace),
            name: None,
        };
        let found = self
            .call(
                self.api::<K>(Some(namespace)).get_metadata_opt(name),
                action,
            )
            .await?;
        Ok(found.is_some())
    }

    /// Requests sent so far (shown with `-v`, used by the benchmarks).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// "Now" by the API server's clock, from the `Date` of the latest response; the local clock
    /// only when no response has come yet.
    pub fn server_now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Local clock minus server clock, when a response has been seen.
    pub fn clock_skew(&self) -> Option<SignedDuration> {
        self.clock.skew()
    }

    /// Lists every object of one kind, following `continue` tokens page by page.
    pub async fn list_all<K>(
        &self,
        api: &Api<K>,
        params: &ListParams,
        action: Action<'_>,
    ) -> Result<Vec<K>>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.paginate(params, action, |p| async move { api.list(&p).await })
            .await
    }

    /// Lists only the metadata of every object of one kind (no spec/data is transferred).
    pub async fn list_all_metadata<K>(
        &self,
        api: &Api<K>,
        params: &ListParams,
        action: Action<'_>,
    ) -> Result<Vec<PartialObjectMeta<K>>>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.paginate(
            params,
            action,
            |p| async move { api.list_metadata(&p).await },
        )
        .await
    }

    async fn paginate<T, F, Fut>(
        &self,
        params: &ListParams,
        action: Action<'_>,
        fetch: F,
    ) -> Result<Vec<T>>
    where
        T: Clone + kube::Resource,
        F: Fn(ListParams) -> Fut,
        Fut: std::future::Future<Output = kube::Result<ObjectList<T>>>,
    {
        let mut items = Vec::new();
        let mut params = params.clone().limit(PAGE_SIZE);
        loop {
            let page = self.call(fetch(params.clone()), action).await?;
            items.extend(page.items.into_iter().map(slim));
            match page.metadata.continue_ {
                Some(token) if !token.is_empty() => params = params.continue_token(&token),
                _ => return Ok(items),
            }
        }
    }

    /// Runs one API call under the request timeout and explains its failure.
    pub async fn call<T>(
        &self,
        request: impl std::future::Future<Output = kube::Result<T>>,
        action: Action<'_>,
    ) -> Result<T> {
        let outcome = match self.request_timeout {
            Some(limit) => tokio::time::timeout(limit, request)
                .await
                .map_err(|_| self.timed_out(action))?,
            None => request.await,
        };
        outcome.map_err(|e| self.explain(e, action))
    }

    fn timed_out(&self, action: Action<'_>) -> Error {
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
    pub fn explain(&self, err: kube::Error, action: Action<'_>) -> Error {
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
                Error::Api {
                    status: status.code,
                    message,
                    server_said: status.message,
                }
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

/// Drops what no command reads from a listed object and what often outweighs the rest of it:
/// managedFields and kubectl's last-applied copy of the whole object. At cluster scale this is
/// most of a live audit's memory.
fn slim<T: kube::Resource>(mut item: T) -> T {
    let meta = item.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
    item
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The server's clock as seen in response `Date` headers.
#[derive(Clone, Default)]
struct ServerClock {
    /// (server time from `Date`, local time when that response arrived)
    latest: Arc<Mutex<Option<(Timestamp, Timestamp)>>>,
}

impl ServerClock {
    fn observe<B>(&self, res: &Response<B>) {
        let Some(date) = res
            .headers()
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        if let Some(server) = parse_http_date(date) {
            let mut latest = self
                .latest
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *latest = Some((server, Timestamp::now()));
        }
    }

    /// `Date` has whole seconds: the server's true time at that response lies in
    /// `[date, date + 1s)`. When the local clock falls in that window the clocks agree and the
    /// (sub-second) local clock is the better reading; otherwise we take the window's middle.
    fn now(&self) -> Timestamp {
        let local = Timestamp::now();
        match *self
            .latest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
        {
            Some((server, seen_at)) if agrees(server, seen_at) => local,
            Some((server, seen_at)) => server + HALF_SECOND + local.duration_since(seen_at),
            None => local,
        }
    }

    /// Local clock minus the server's (estimated from the window's middle), once a response
    /// has been seen; zero when the local clock is inside the `Date` window.
    fn skew(&self) -> Option<SignedDuration> {
        let latest = *self
            .latest
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        latest.map(|(server, seen_at)| {
            if agrees(server, seen_at) {
                SignedDuration::ZERO
            } else {
                seen_at.duration_since(server + HALF_SECOND)
            }
        })
    }
}

const HALF_SECOND: SignedDuration = SignedDuration::from_millis(500);

fn agrees(server_date: Timestamp, local: Timestamp) -> bool {
    let offset = local.duration_since(server_date);
    offset >= SignedDuration::ZERO && offset < SignedDuration::from_secs(1)
}

/// Parses an HTTP `Date` (RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(text)
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// How far the local clock may drift from the server's before we say so (DESIGN.md §3).
pub const SKEW_WARNING: SignedDuration = SignedDuration::from_secs(1);

async fn load_config(global: &GlobalArgs) -> Result<Config> {
    let options = KubeConfigOptions {
        context: global.context.clone(),
        cluster: global.cluster.clone(),
        user: global.user.clone(),
    };
    let (kubeconfig, origin) = match &global.kubeconfig {
        Some(path) => (read_kubeconfig(path)?, path.display().to_string()),
        None => match kubeconfig_paths_from_env() {
            Some(paths) => merge_kubeconfigs(&paths)?,
            None => match default_kubeconfig_path().filter(|p| p.exists()) {
                Some(path) => {
                    let origin = path.display().to_string();
                    (read_kubeconfig(&path)?, origin)
                }
                None => return in_cluster_config(global),
            },
        },
    };
    check_user(&kubeconfig, &options, &origin)?;
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| Error::env(describe_kubeconfig_error(&e, &origin)))
}

/// A user the context (or --user) names must exist, as kubectl insists; kube would go on without
/// credentials and the request would fail later with a confusing 401 or 403.
fn check_user(kubeconfig: &Kubeconfig, options: &KubeConfigOptions, origin: &str) -> Result<()> {
    let context_name = options
        .context
        .as_deref()
        .or(kubeconfig.current_context.as_deref());
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| Some(c.name.as_str()) == context_name)
        .and_then(|c| c.context.as_ref());
    let (user, named_by) = match (&options.user, context) {
        (Some(user), _) => (user.as_str(), "--user".to_string()),
        (None, Some(context)) => match context.user.as_deref() {
            Some(user) if !user.is_empty() => (
                user,
                format!("context {:?}", context_name.unwrap_or_default()),
            ),
            _ => return Ok(()),
        },
        // A missing context is reported by kube's own check.
        (None, None) => return Ok(()),
    };
    if kubeconfig.auth_infos.iter().any(|a| a.name == user) {
        Ok(())
    } else {
        Err(Error::env(format!(
            "user {user:?} named by {named_by} not found in kubeconfig {origin}: see kubectl config view, or pass --user"
        )))
    }
}

fn in_cluster_config(global: &GlobalArgs) -> Result<Config> {
    let no_kubeconfig =
        "no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config";
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err(Error::env(no_kubeconfig));
    }
    if global.context.is_some() || global.cluster.is_some() || global.user.is_some() {
        return Err(Error::env(format!(
            "{no_kubeconfig} (--context/--cluster/--user need one; inside a pod the service account is used without them)"
        )));
    }
    Config::incluster().map_err(|e| {
        Error::env(format!(
            "cannot use the in-cluster service account: {}",
            cause_chain(&e)
        ))
    })
}

/// `$KUBECONFIG` split like client-go does: empty entries ignored; `None` when unset or empty.
fn kubeconfig_paths_from_env() -> Option<Vec<PathBuf>> {
    let value = std::env::var_os("KUBECONFIG")?;
    let paths: Vec<PathBuf> = std::env::split_paths(&value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    (!paths.is_empty()).then_some(paths)
}

fn default_kubeconfig_path() -> Option<PathBuf> {
    std::env::home_dir().map(|home| home.join(".kube").join("config"))
}

/// Merges the `$KUBECONFIG` files, first one to set a value wins. Like client-go, files that do
/// not exist are skipped; only when none exists is that an error.
fn merge_kubeconfigs(paths: &[PathBuf]) -> Result<(Kubeconfig, String)> {
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if existing.is_empty() {
        let listed: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::env(format!(
            "no kubeconfig found: none of the files in KUBECONFIG exists ({})",
            listed.join(", ")
        )));
    }
    let mut merged = Kubeconfig::default();
    for path in &existing {
        merged = merged
            .merge(read_kubeconfig(path)?)
            .map_err(|e| Error::env(format!("cannot merge kubeconfig {}: {e}", path.display())))?;
    }
    let origin = existing
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((merged, origin))
}

fn read_kubeconfig(path: &Path) -> Result<Kubeconfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::env(format!(
            "cannot read kubeconfig {}: {}",
            path.display(),
            crate::error::io_words(&e)
        ))
    })?;
    if text.trim().is_empty() {
        return Err(Error::env(format!(
            "kubeconfig {} is empty",
            path.display()
        )));
    }
    Kubeconfig::from_yaml(&text)
        .map_err(|e| Error::env(describe_kubeconfig_error(&e, &path.display().to_string())))
}

fn describe_kubeconfig_error(err: &KubeconfigError, origin: &str) -> String {
    match err {
        KubeconfigError::CurrentContextNotSet => {
            format!("kubeconfig {origin} has no current-context: pass --context NAME")
        }
        KubeconfigError::LoadContext(name) => {
            format!(
                "context {name:?} not found in kubeconfig {origin}: see kubectl config get-contexts"
            )
        }
        KubeconfigError::LoadClusterOfContext(name) => {
            format!(
                "cluster {name:?} not found in kubeconfig {origin}: fix the context or pass --cluster"
            )
        }
        KubeconfigError::MissingClusterUrl => {
            format!("the selected cluster in kubeconfig {origin} has no server URL")
        }
        // The parser draws the offending line under its message: keep the message.
        KubeconfigError::Parse(_) => {
            format!(
                "kubeconfig {origin} is not a valid kubeconfig: {}",
                err.to_string().lines().next().unwrap_or_default().trim()
            )
        }
        other => format!("cannot use kubeconfig {origin}: {}", cause_chain(other)),
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
        if text.contains("connection closed before message completed") {
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
fn plain_cause(chain: &str) -> String {
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
    fn slim_drops_managed_fields_and_last_applied_but_keeps_lock_records() {
        use k8s_openapi::api::core::v1::ConfigMap;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
        let lock = crate::lease::LEGACY_LOCK_ANNOTATION;
        let mut cm = ConfigMap::default();
        cm.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
        cm.metadata.annotations = Some(
            [
                (LAST_APPLIED, "{...}"),
                (lock, "{\"holderIdentity\":\"a\"}"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let cm = slim(cm);
        assert!(cm.metadata.managed_fields.is_none());
        let annotations = cm.metadata.annotations.unwrap();
        assert!(!annotations.contains_key(LAST_APPLIED));
        assert!(annotations.contains_key(lock));
    }

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
    fn reads_http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.to_string(), "1994-11-06T08:49:37Z");
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn server_clock_follows_the_date_header() {
        let clock = ServerClock::default();
        let res = Response::builder()
            .header(http::header::DATE, "Sun, 06 Nov 1994 08:49:37 GMT")
            .body(())
            .unwrap();
        clock.observe(&res);
        let now = clock.now();
        assert!(now >= "1994-11-06T08:49:37Z".parse().unwrap());
        assert!(now < "1994-11-06T08:50:37Z".parse().unwrap());
        assert!(clock.skew().unwrap() > SignedDuration::from_hours(24 * 365));
    }

    #[test]
    fn a_local_clock_inside_the_date_second_is_trusted() {
        let date: Timestamp = "2026-01-01T00:00:10Z".parse().unwrap();
        assert!(agrees(date, "2026-01-01T00:00:10.900Z".parse().unwrap()));
        assert!(!agrees(date, "2026-01-01T00:00:11Z".parse().unwrap()));
        assert!(!agrees(date, "2026-01-01T00:00:09.999Z".parse().unwrap()));
        let clock = ServerClock::default();
        *clock.latest.lock().unwrap() = Some((date, "2026-01-01T00:00:10.300Z".parse().unwrap()));
        assert_eq!(clock.skew(), Some(SignedDuration::ZERO));
        *clock.latest.lock().unwrap() = Some((date, "2026-01-01T00:00:13.500Z".parse().unwrap()));
        assert_eq!(clock.skew(), Some(SignedDuration::from_secs(3)));
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
    fn missing_kubeconfig_files_in_the_list_are_skipped_but_not_all() {
        let dir = std::env::temp_dir().join(format!("ks-kubeconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(
            &good,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, namespace: team}\nclusters:\n- name: k\n  cluster: {server: 'https://127.0.0.1:1'}\nusers: []\n",
        )
        .unwrap();
        let missing = dir.join("missing");
        let (merged, origin) = merge_kubeconfigs(&[missing.clone(), good.clone()]).unwrap();
        assert_eq!(merged.current_context.as_deref(), Some("c"));
        assert_eq!(origin, good.display().to_string());
        let err = merge_kubeconfigs(&[missing]).unwrap_err();
        assert!(
            err.to_string()
                .contains("none of the files in KUBECONFIG exists"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
