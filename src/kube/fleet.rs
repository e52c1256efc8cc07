//! A fleet: the same read against many clusters at once. Each context gets its own connection
//! (its own client, credentials, server clock and default namespace, built by [`connect`]
//! exactly as for one cluster); nothing is shared between clusters. At most `max_parallel`
//! clusters are read at a time, and every request keeps its own `--request-timeout`, so a
//! cluster that never answers fails on its own while the others finish.

use std::future::Future;

use futures::StreamExt;
use jiff::Timestamp;

use super::{Cluster, connect};
use crate::error::{Error, Result};
use crate::options::ClusterSettings;

/// What one cluster of the fleet gave.
pub struct Member<T> {
    pub context: String,
    /// The API server URL, when the kubeconfig gave one.
    pub server: Option<String>,
    /// "Now" by this cluster's API server clock, when it answered.
    pub server_time: Option<Timestamp>,
    /// The read's result, or its one-line error (the wording of a single-cluster failure).
    pub outcome: Result<T>,
}

impl<T> Member<T> {
    /// The error line, when this cluster could not be read.
    pub fn error(&self) -> Option<String> {
        self.outcome.as_ref().err().map(ToString::to_string)
    }
}

/// Runs `read` against every context, at most `max_parallel` at once, and returns the results
/// in the order of `contexts`.
pub async fn read_each<T, F, Fut>(
    settings: &ClusterSettings,
    contexts: &[String],
    max_parallel: usize,
    read: F,
) -> Vec<Member<T>>
where
    F: Fn(Cluster) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let read = &read;
    futures::stream::iter(contexts.iter().map(|context| async move {
        let settings = ClusterSettings {
            context: Some(context.clone()),
            ..settings.clone()
        };
        match connect(&settings).await {
            Err(err) => Member {
                context: context.clone(),
                server: None,
                server_time: None,
                outcome: Err(err),
            },
            Ok(cluster) => {
                let server = Some(cluster.server_url.clone());
                let outcome = read(cluster.clone()).await;
                let server_time = cluster.clock_skew().map(|_| cluster.server_now());
                tracing::info!("{context}: {} requests", cluster.request_count());
                Member {
                    context: context.clone(),
                    server,
                    server_time,
                    outcome,
                }
            }
        }
    }))
    .buffered(max_parallel.max(1))
    .collect()
    .await
}

/// Names the clusters that could not be read on stderr, one line each, and gives the error the
/// command ends with (exit 3) when there was any.
pub fn failures<T>(members: &[Member<T>]) -> Result<()> {
    let failed: Vec<&str> = members
        .iter()
        .filter(|m| m.outcome.is_err())
        .map(|m| m.context.as_str())
        .collect();
    for member in members {
        if let Some(err) = member.error() {
            eprintln!("error: context {}: {err}", member.context);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::env(format!(
            "{} of {} clusters could not be read: {}",
            failed.len(),
            members.len(),
            failed.join(", ")
        )))
    }
}

/// What one context answered, as a fleet's `-o json|yaml` documents list it under `clusters`.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    pub context: String,
    pub server: Option<String>,
    pub server_time: Option<Timestamp>,
    pub error: Option<String>,
}

/// The `clusters` list of a fleet's document: every context, in the order read.
pub fn cluster_entries<T>(members: &[Member<T>]) -> Vec<ClusterEntry> {
    members
        .iter()
        .map(|m| ClusterEntry {
            context: m.context.clone(),
            server: m.server.clone(),
            server_time: m.server_time,
            error: m.error(),
        })
        .collect()
}
