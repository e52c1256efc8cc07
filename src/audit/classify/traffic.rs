//! Whether a workload serves users through a Service: evidence that it is meant to run twice
//! during a rollout. Ports scraped for metrics or called by the API server for an admission
//! webhook serve no users.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Index;
use crate::audit::objects::{Located, Workload, scope};
use crate::k8s::selects;

impl Index<'_> {
    /// `serves traffic through Service web (ports 80, 443)` for the first Service that selects
    /// its pods with a port that is not only scraped for metrics.
    pub(super) fn traffic_service(&self, w: &Workload<'_>) -> Option<String> {
        let labels = w.pod_labels()?;
        self.services
            .get(&w.scope)
            .into_iter()
            .flatten()
            .filter(|s| selects_pods(s, labels))
            .find_map(|s| {
                let ports: Vec<String> = s
                    .object
                    .spec
                    .iter()
                    .flat_map(|sp| sp.ports.iter().flatten())
                    .filter(|p| !self.metrics_port(s, p))
                    .map(|p| p.name.clone().unwrap_or_else(|| p.port.to_string()))
                    .collect();
                (!ports.is_empty()).then(|| {
                    format!(
                        "serves traffic through Service {} (port {})",
                        s.object.metadata.name.as_deref().unwrap_or_default(),
                        ports.join(", ")
                    )
                })
            })
    }

    /// A port that serves no users: scraped for metrics (named so, or by a ServiceMonitor), or
    /// called by the API server for an admission webhook.
    fn metrics_port(&self, service: &Located<Service>, port: &ServicePort) -> bool {
        let metricsy = |name: &str| {
            let name = name.to_ascii_lowercase();
            ["metric", "prometheus", "telemetry", "webhook"]
                .iter()
                .any(|word| name.contains(word))
        };
        let service_name = service.object.metadata.name.as_deref().unwrap_or_default();
        let namespace = service.object.metadata.namespace.as_deref();
        if self.objects.webhook_services.iter().any(|w| {
            w.name == service_name
                && (namespace.is_none()
                    || w.namespace.is_none()
                    || w.namespace.as_deref() == namespace)
        }) {
            return true;
        }
        if port.name.as_deref().is_some_and(metricsy) {
            return true;
        }
        if let Some(IntOrString::String(target)) = &port.target_port
            && metricsy(target)
        {
            return true;
        }
        let service_labels = service.object.metadata.labels.clone().unwrap_or_default();
        let service_namespace = service.object.metadata.namespace.as_deref();
        self.objects.service_monitors.iter().any(|m| {
            let spec = &m.object.spec;
            let namespace_ok = match &spec.namespace_selector {
                Some(ns) if ns.any => true,
                Some(ns) if !ns.match_names.is_empty() => {
                    service_namespace.is_none_or(|s| ns.match_names.iter().any(|n| n == s))
                }
                _ => {
                    scope(&m.object.metadata, m.origin.as_ref())
                        == scope(&service.object.metadata, service.origin.as_ref())
                }
            };
            namespace_ok
                && !spec
                    .selector
                    .match_labels
                    .as_ref()
                    .is_none_or(|l| l.is_empty())
                && selects(&spec.selector, &service_labels)
                && spec.endpoints.iter().any(|e| {
                    e.port.is_some() && e.port == port.name
                        || e.target_port.is_some() && e.target_port == port.target_port
                })
        })
    }
}

/// A Service whose selector picks these pod labels (a Service without a selector picks none).
fn selects_pods(service: &Located<Service>, labels: &BTreeMap<String, String>) -> bool {
    service
        .object
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
}
