//! `kubectl singleton exporter`: the same judgement as `status`, continuously, for Prometheus.
//! Watches (`watch`) fill a cache (`cache`); every scrape judges each lock at the API server's
//! clock (`metrics`, families; `account`, leader changes and leaderless time) and writes it in
//! Prometheus text or OpenMetrics (`encode`); `serve` is the HTTP side.

mod account;
mod audit;
mod cache;
mod drain_blocked;
mod encode;
mod heap;
mod keyed;
mod metrics;
mod owners;
mod serve;
mod trimmed_pod;
mod watch;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::kube::Cluster;

/// How often leaderless time is accumulated between scrapes and watch events.
const EVALUATE_EVERY: Duration = Duration::from_secs(1);

/// `--listen`: `HOST:PORT`, or `:PORT` for every interface (in-cluster use).
pub fn parse_listen(text: &str) -> Result<SocketAddr> {
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    full.parse().map_err(|_| {
        Error::usage(format!(
            "--listen {text:?} is not HOST:PORT or :PORT (e.g. 127.0.0.1:9477)"
        ))
    })
}

/// Serves until SIGTERM or SIGINT, then returns `Ok` (exit 0). The audit over the caches runs
/// once the first full sync is done, then every `audit_interval`.
pub async fn serve(
    cluster: Cluster,
    listen: SocketAddr,
    audit_interval: Duration,
    out: &mut impl Write,
) -> Result<()> {
    heap::one_arena();
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Error::env(format!("cannot listen on {listen}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::env(format!("cannot read the bound address: {e}")))?;
    let cache = Arc::new(Mutex::new(cache::Cache::new()));
    watch::spawn_all(&cluster, &cache);
    {
        let (cluster, cache) = (cluster.clone(), cache.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVALUATE_EVERY);
            loop {
                tick.tick().await;
                let mut cache = watch::lock(&cache);
                if cache.ready() {
                    cache.evaluate(cluster.server_now());
                }
            }
        });
    }
    {
        let (cluster, cache) = (cluster.clone(), cache.clone());
        tokio::spawn(async move {
            while !watch::lock(&cache).ready() {
                tokio::time::sleep(EVALUATE_EVERY).await;
            }
            loop {
                let now = cluster.server_now();
                let snapshot = audit::snapshot(&mut watch::lock(&cache), now);
                // CPU work (every node's drain judged): off the threads that answer scrapes.
                let Ok(outcome) =
                    tokio::task::spawn_blocking(move || audit::judge(snapshot, now)).await
                else {
                    tracing::info!("the audit over the caches panicked");
                    tokio::time::sleep(audit_interval).await;
                    continue;
                };
                audit::store(&mut watch::lock(&cache), outcome, jiff::Timestamp::now());
                heap::release_freed();
                tokio::time::sleep(audit_interval).await;
            }
        });
    }
    writeln!(
        out,
        "serving http://{bound}/metrics (also /healthz, /readyz)"
    )?;
    out.flush()?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::env(format!("cannot handle SIGTERM: {e}")))?;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        let (stream, _) = match accepted {
            Ok(conn) => conn,
            Err(err) => {
                tracing::info!("accept failed: {err}");
                continue;
            }
        };
        let (cluster, cache) = (cluster.clone(), cache.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| serve::handle(req, cluster.clone(), cache.clone()));
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::info!("connection failed: {err}");
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen("127.0.0.1:9477").unwrap(),
            "127.0.0.1:9477".parse().unwrap()
        );
        assert_eq!(
            parse_listen(":9477").unwrap(),
            "0.0.0.0:9477".parse().unwrap()
        );
        assert!(parse_listen("localhost").is_err());
        assert!(parse_listen(":x").is_err());
    }
}
