//! The HTTP stack under kube's `Client`, as kube 5 builds it (base URI, credentials, extra and
//! impersonation headers, connect/read/write timeouts, rustls with the kubeconfig's CA and client
//! certificate) with one difference: TLS offers HTTP/2 by ALPN, as kubectl does. The API server
//! accepts it, and then every request of a command shares one connection instead of opening one
//! HTTP/1.1 connection per request in flight (`status -A` looks up hundreds of holder pods at
//! once). A server that only speaks HTTP/1.1 still gets HTTP/1.1.
//!
//! Proxies (`proxy-url`) and `tls-server-name` are rare and need kube's own connector: those
//! kubeconfigs keep kube's HTTP/1.1 stack unchanged.

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::{Body, ConfigExt, DynBody};
use kube::{Config, client::ClientBuilder};
use tower::util::BoxService;
use tower::{BoxError, ServiceBuilder, ServiceExt};

/// The type-erased service kube's `ClientBuilder::try_from` also yields.
pub(super) type Stack = BoxService<Request<Body>, Response<Box<DynBody>>, BoxError>;

/// Whether this configuration gets our stack (HTTP/2 offered) rather than kube's.
pub(super) fn offers_http2(config: &Config) -> bool {
    config.proxy_url.is_none() && config.tls_server_name.is_none()
}

/// The client builder for `config`: ours when [`offers_http2`], else kube's default.
pub(super) fn builder(config: Config) -> kube::Result<ClientBuilder<Stack>> {
    if !offers_http2(&config) {
        return ClientBuilder::try_from(config);
    }
    let mut connector = HttpConnector::new();
    connector.enforce_http(false);
    let tls = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config.rustls_client_config()?)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(connector);
    let mut connector = TimeoutConnector::new(tls);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let client: HyperClient<_, Body> = HyperClient::builder(TokioExecutor::new()).build(connector);

    // Outermost first, as kube orders them (retries are off: `connect` disables them).
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(client)
        .map_response(|res: Response<hyper::body::Incoming>| {
            res.map(|body| Box::new(body.map_err(BoxError::from)) as Box<DynBody>)
        });
    Ok(ClientBuilder::new(
        BoxService::new(service),
        config.default_namespace.clone(),
    ))
}
