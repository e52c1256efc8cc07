//! The HTTP side: `/metrics`, `/healthz` and `/readyz` over HTTP/1.1 (hyper), one task per
//! connection. Every scrape judges the cached locks at the API server's clock.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use super::encode::{self, Format};
use super::watch::{Shared, lock};
use super::{audit, drain_blocked, metrics};
use crate::kube::Cluster;

/// Answers one request.
pub async fn handle(
    req: Request<Incoming>,
    cluster: Cluster,
    cache: Shared,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/metrics") => {
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let format = Format::negotiate(accept);
            let body = scrape(&cluster, &cache, format);
            reply(StatusCode::OK, format.content_type(), body)
        }
        ("GET", "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n".into()),
        ("GET", "/readyz") => {
            let missing = lock(&cache).not_ready();
            if missing.is_empty() {
                reply(StatusCode::OK, "text/plain", "ok\n".into())
            } else {
                let text = format!("not ready:\n{}\n", missing.join("\n"));
                reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", text)
            }
        }
        ("GET", _) => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /metrics, /healthz or /readyz\n".into(),
        ),
        _ => reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "only GET\n".into(),
        ),
    };
    Ok(response)
}

/// The exposition text. Until every watch has completed its first list only the self-metrics
/// are served: a lock missing from a half-filled cache must not read as "no such lock".
pub fn scrape(cluster: &Cluster, cache: &Shared, format: Format) -> String {
    let now = cluster.server_now();
    let mut cache = lock(cache);
    let mut families = Vec::new();
    if cache.ready() {
        let reports = cache.evaluate(now);
        families = metrics::lock_families(&reports, cache.accounts(), now);
        families.extend(audit::families(&cache.findings, cache.audited_at));
        families.extend(drain_blocked::families(
            &cache.drain_blocked,
            cache.drain_checked,
        ));
    }
    families.extend(metrics::self_families(cache.sources()));
    drop(cache);
    encode::encode(&families, format)
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
