//! `kubectl singleton exporter`: watches every lock and serves Prometheus metrics about them
//! (`crate::exporter`). Its arguments live here, not in cli.rs, to keep that file small.

use std::io::Write;
use std::time::Duration;

use clap::Args;

use crate::error::Result;
use crate::exporter;
use crate::kube;
use crate::options::Options;

const EXPORTER_EXAMPLES: &str = "\
Examples:
  # Serve /metrics, /healthz and /readyz on 127.0.0.1:9477 for a local Prometheus
  kubectl singleton exporter

  # In a pod: listen on every interface, audit the caches every minute
  kubectl singleton exporter --listen :9477 --audit-interval 1m";

#[derive(Debug, Clone, Args)]
#[command(after_help = EXPORTER_EXAMPLES)]
pub struct ExporterArgs {
    /// Address to serve on: HOST:PORT, or :PORT for every interface (port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9477")]
    pub listen: String,
    /// How often the audit is re-evaluated from the watch caches (no fresh LISTs)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = audit_interval)]
    pub audit_interval: Duration,
}

fn audit_interval(text: &str) -> std::result::Result<Duration, String> {
    let d = crate::duration::parse(text)?;
    if d.is_zero() {
        return Err("must be more than 0s".into());
    }
    Ok(d)
}

pub async fn run(args: &ExporterArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let listen = exporter::parse_listen(&args.listen)?;
    let cluster = kube::connect(&options.cluster).await?;
    exporter::serve(cluster, listen, args.audit_interval, out).await
}
