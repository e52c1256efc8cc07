//! The connection to a cluster: one function builds the kube `Client` from the resolved
//! settings, a client layer reads the server's clock from every response, and API failures are
//! turned into one-line errors that name the verb, the resource and what to try.
//!
//! - `kubeconfig`: which kubeconfig, context, cluster and user, as kubectl chooses them
//! - `errors`: the wording of API and transport failures
//! - `clock`: the API server's clock, read from `Date` headers
//! - `list`: paged LISTs, and selectors shared by LIST and WATCH
//! - `fleet`: the same read against many contexts at once, each its own connection
//! - `transport`: kube's HTTP stack, offering HTTP/2 so concurrent requests share one connection

mod clock;
mod errors;
pub mod fleet;
pub mod kubeconfig;
mod list;
mod transport;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::Request;
use jiff::{SignedDuration, Timestamp};
use kube::client::Body;
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use tower::util::MapRequestLayer;

pub use clock::SKEW_WARNING;
pub use errors::{Action, cause_chain};
pub use list::Selectors;

use crate::error::{Error, Result};
use crate::options::{ClusterSettings, Namespaces};
use clock::ServerClock;

/// A connected cluster: the client plus what error messages and time arithmetic need.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    /// The namespace used when `-n` is absent: the context's, else `default`.
    default_namespace: String,
    server_url: String,
    request_timeout: Option<Duration>,
    clock: ServerClock,
    requests: Arc<AtomicU64>,
}

/// Builds the client exactly as kubectl would choose its configuration: `--kubeconfig`, else
/// every file of `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account.
pub async fn connect(settings: &ClusterSettings) -> Result<Cluster> {
    let mut config = kubeconfig::config(settings).await?;
    if let Some(who) = &settings.impersonate {
        config.auth_info.impersonate = Some(who.user.clone());
        if !who.groups.is_empty() {
            config.auth_info.impersonate_groups = Some(who.groups.clone());
        }
    }
    let request_timeout = settings.request_timeout;
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
    let builder = transport::builder(config).map_err(|e| {
        Error::env(format!(
            "cannot set up a client for {server_url}: {}",
            errors::plain_cause(&cause_chain(&e))
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
        .with_layer(&clock.layer())
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
    /// The namespace a namespaced command works in: `-n` (`given`), else the context's.
    pub fn namespace(&self, given: Option<&str>) -> String {
        given.unwrap_or(&self.default_namespace).to_string()
    }

    /// The namespace a command that may span namespaces looks in: `None` for every one (`-A`).
    pub fn scope(&self, namespaces: &Namespaces) -> Option<String> {
        match namespaces {
            Namespaces::All => None,
            Namespaces::One(given) => Some(self.namespace(given.as_deref())),
        }
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
        let found = self
            .call(
                self.api::<K>(Some(namespace)).get_metadata_opt(name),
                Action::get(resource, Some(namespace)),
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
}
