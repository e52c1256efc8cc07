//! Manifests for each singleton pattern, built as typed k8s-openapi objects (never string
//! templates) from a validated `Spec`. Pure: no I/O.
//!
//! - `validate`: what the user asked for, checked and turned into a `Spec`
//! - `build`: the objects for a `Spec`, and the comment that explains them

mod build;
mod exporter;
mod validate;

use std::time::Duration;

use serde_json::Value;

pub use build::{build, preface};
pub use exporter::ALERTS;
pub use validate::spec;

/// The singleton patterns `scaffold` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pattern {
    /// Strict at-most-one: a one-replica StatefulSet and its headless Service
    Statefulset,
    /// Stateless singleton: a one-replica Deployment that stops the old pod before starting the new
    Deployment,
    /// Scheduled singleton: a CronJob whose runs never overlap
    Cronjob,
    /// Several candidates, one active leader through a Lease
    LeaderElection,
    /// `kubectl singleton exporter` itself: RBAC, a strict Deployment, a Service (NAME e.g. singleton-exporter)
    Exporter,
}

/// Everything a scaffold needs, already validated.
#[derive(Debug, Clone)]
pub struct Spec {
    pub pattern: Pattern,
    pub name: String,
    pub namespace: String,
    pub image: String,
    pub port: Option<u16>,
    pub grace_period: i64,
    pub storage: Option<String>,
    pub schedule: Option<String>,
    pub replicas: i32,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
    /// exporter: add a ServiceMonitor / a PrometheusRule (prometheus-operator).
    pub service_monitor: bool,
    pub alerts: bool,
}

/// One generated object: its kind and name (for file names) and its serialised form.
pub struct Generated {
    pub kind: &'static str,
    pub name: String,
    pub value: Value,
}
