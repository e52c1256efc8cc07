//! Command-line definitions: the kubectl-style global flags and one `Args` struct per command.
//! kubectl refuses flags placed before a plugin's name, so every flag here is `global` and may
//! appear anywhere after `kubectl singleton`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ROOT_EXAMPLES: &str = "\
Examples:
  # Who leads each leader election in the current namespace
  kubectl singleton status

  # Every leader-election lock in the cluster, as JSON
  kubectl singleton status -A -o json

  # Shell completion for bash
  kubectl singleton completion bash > ~/.local/share/bash-completion/completions/kubectl-singleton";

/// Leader-election locks and singleton workloads on Kubernetes.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-singleton",
    bin_name = "kubectl singleton",
    version = env!("KUBECTL_SINGLETON_VERSION"),
    propagate_version = true,
    after_help = ROOT_EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command understands, spelled as kubectl spells them.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, which may list several files, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use; a comma-separated list reads a fleet (status, audit, drain-check)
    #[arg(long, global = true, value_name = "NAME[,NAME...]")]
    pub context: Option<String>,

    /// Read every context of the kubeconfig (a fleet: status, audit, drain-check)
    #[arg(long, global = true, conflicts_with_all = ["context", "context_regex"])]
    pub all_contexts: bool,

    /// Read every context whose name matches this regular expression (a fleet)
    #[arg(long, global = true, value_name = "REGEX", conflicts_with = "context")]
    pub context_regex: Option<String>,

    /// In a fleet, read at most this many clusters at once
    #[arg(long, global = true, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_parallel: u16,

    /// The kubeconfig cluster to use
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// Namespace to look in (default: the context's namespace, else "default")
    #[arg(short = 'n', long, global = true, value_name = "NS", value_parser = crate::names::namespace_arg)]
    pub namespace: Option<String>,

    /// Look in every namespace
    #[arg(short = 'A', long, global = true, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Give up on any single server request after this long (e.g. 5s, 1m; 0 = no limit)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub request_timeout: Option<Duration>,

    /// User to impersonate for the operation (a user or system:serviceaccount:NS:NAME)
    #[arg(long = "as", global = true, value_name = "USER")]
    pub impersonate: Option<String>,

    /// Group to impersonate (repeatable)
    #[arg(
        long = "as-group",
        global = true,
        value_name = "GROUP",
        requires = "impersonate"
    )]
    pub impersonate_groups: Vec<String>,

    /// Output format: table, wide, json, yaml, name (status); table, json, yaml, sarif (audit);
    /// table, json, yaml (drain-check)
    #[arg(short = 'o', long, global = true, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Don't print table headers
    #[arg(long, global = true)]
    pub no_headers: bool,

    /// Never colour output (also when NO_COLOR is set and not empty)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Log verbosity: -v for requests, -v=6 and up for everything the client does
    #[arg(
        short = 'v',
        long = "v",
        global = true,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1",
        default_value = "0"
    )]
    pub verbosity: u8,
}

/// Every output format a command may offer; each command says which it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
    Sarif,
}

impl OutputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Wide => "wide",
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
            OutputFormat::Name => "name",
            OutputFormat::Sarif => "sarif",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show leader-election locks: holder, renew time, expiry by the server's clock, transitions
    Status(StatusArgs),
    /// Find the ways a singleton can run twice or block the cluster, live or in manifest files
    Audit(AuditArgs),
    /// Generate correct manifests for a singleton: statefulset, deployment, cronjob, leader-election
    Scaffold(ScaffoldArgs),
    /// Hand a lease over without two leaders, or free an orphaned one
    Release(ReleaseArgs),
    /// Per node: would `kubectl drain` get through now, and which PDB or singleton stops it
    DrainCheck(DrainCheckArgs),
    /// Serve Prometheus metrics on every lock: state, expiry, leader changes, leaderless time
    Exporter(crate::commands::exporter::ExporterArgs),
    /// Print a shell completion script
    Completion(CompletionArgs),
}

const STATUS_EXAMPLES: &str = "\
Examples:
  # Leader-election leases in the current namespace
  kubectl singleton status

  # In every namespace, including node heartbeat and API-server identity leases
  kubectl singleton status -A --all-leases

  # One lock in detail: holder pod, workload, candidates, what a failover costs now
  kubectl singleton status kube-scheduler -n kube-system

  # Follow leader changes, expiries and stalls as they happen
  kubectl singleton status -A -w";

#[derive(Debug, Clone, Default, Args)]
#[command(after_help = STATUS_EXAMPLES)]
pub struct StatusArgs {
    /// Show only the lock with this name
    #[arg(value_parser = crate::names::lock_name_arg)]
    pub name: Option<String>,

    /// Label selector to filter leases (e.g. app=scheduler,tier!=web)
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Include node heartbeat leases (kube-node-lease) and API-server identity leases
    #[arg(long)]
    pub all_leases: bool,

    /// After the table, print one line per change (leader changed, expired, released,
    /// renewals stopped) until Ctrl-C; with -o json, one JSON object per line
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// Lease families of elected shards, one row each; with FAMILY, its shards; -w: leader changes
    #[arg(long, value_name = "FAMILY", num_args = 0..=1, conflicts_with_all = ["name", "all_leases"])]
    pub shards: Option<Option<String>>,

    /// With --shards: leases whose whole name matches REGEX form a family (group `index`, else the first group, is the shard index)
    #[arg(long, value_name = "REGEX")]
    pub family: Option<String>,
}

const AUDIT_EXAMPLES: &str = "\
Examples:
  # Audit the live cluster: every namespace, or the current one
  kubectl singleton audit -A
  kubectl singleton audit

  # Audit manifests offline: files, directories, or stdin
  kubectl singleton audit -f deploy/
  helm template my-release ./chart | kubectl singleton audit -f -

  # Fail CI on warnings too, and hand the findings to code scanning
  kubectl singleton audit -f k8s/ --fail-on warning -o sarif > singleton.sarif

  # What a rule checks, why, and how to fix it
  kubectl singleton audit explain pdb-blocks-drain";

#[derive(Debug, Clone, Args)]
#[command(after_help = AUDIT_EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: Option<AuditAction>,

    /// Manifest file or directory to audit offline (repeatable; directories are walked for
    /// .yaml/.yml/.json; - reads stdin)
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<PathBuf>,

    /// Exit 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,

    /// Treat every single-replica workload as a strict singleton, whatever the evidence
    /// (by default a workload must show that it may never run twice)
    #[arg(long)]
    pub assume_singleton: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditAction {
    /// Why a rule exists, what breaks, how to fix it; without RULE, list every rule
    Explain {
        /// A rule ID, e.g. rollout-surge
        rule: Option<String>,
    },
}

/// The severity at which `audit` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

const SCAFFOLD_EXAMPLES: &str = "\
Examples:
  # A strict at-most-one StatefulSet with storage and probes
  kubectl singleton scaffold statefulset ledger --image registry.example/ledger:5.2 --port 7000 --storage 10Gi -n billing

  # A CronJob whose runs never overlap
  kubectl singleton scaffold cronjob invoice-export --image registry.example/export:1.0 --schedule \"*/10 * * * *\"

  # Three leader-election candidates, written as one file per object
  kubectl singleton scaffold leader-election queue-consumer --image registry.example/consumer:3 --replicas 3 --out-dir k8s/

  # Straight into the cluster, then check it
  kubectl singleton scaffold deployment report-scheduler --image registry.example/rs:2 | kubectl apply -f -";

#[derive(Debug, Clone, Args)]
#[command(after_help = SCAFFOLD_EXAMPLES)]
pub struct ScaffoldArgs {
    /// The singleton pattern
    #[arg(value_enum)]
    pub kind: crate::scaffold::Pattern,

    /// Name of the workload and its objects (a DNS-1123 label)
    pub name: String,

    /// Container image
    #[arg(long, value_name = "IMAGE")]
    pub image: String,

    /// Container port: adds TCP readiness/liveness probes (and the Service port for statefulset)
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// terminationGracePeriodSeconds: time to finish work and release a lease
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub grace_period: i64,

    /// statefulset: a ReadWriteOnce volume of this size mounted at /data (e.g. 10Gi)
    #[arg(long, value_name = "SIZE")]
    pub storage: Option<String>,

    /// cronjob: the cron schedule (required), e.g. "0 3 * * *"
    #[arg(long, value_name = "CRON")]
    pub schedule: Option<String>,

    /// leader-election: number of candidates (default 2)
    #[arg(long, value_name = "N")]
    pub replicas: Option<i32>,

    /// leader-election: leaseDuration (default 15s)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub lease_duration: Option<Duration>,

    /// leader-election: renewDeadline (default 10s)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub renew_deadline: Option<Duration>,

    /// leader-election: retryPeriod (default 2s)
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub retry_period: Option<Duration>,

    /// exporter: also a ServiceMonitor (prometheus-operator)
    #[arg(long)]
    pub service_monitor: bool,

    /// exporter: also a PrometheusRule with the alerts (prometheus-operator)
    #[arg(long)]
    pub alerts: bool,

    /// exporter: write the alerts as a plain Prometheus rules file to FILE
    #[arg(long, value_name = "FILE")]
    pub alerts_file: Option<PathBuf>,

    /// Write one file per object into this directory instead of printing
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// With --out-dir or --alerts-file: overwrite existing files
    #[arg(long)]
    pub force: bool,
}

const RELEASE_EXAMPLES: &str = "\
Examples:
  # Free a lease whose holder is dead (expired, or its pod is gone)
  kubectl singleton release report-scheduler -n billing -y

  # Hand over from a live leader: evict its pod (PDBs respected), then free the lease
  kubectl singleton release queue-consumer -n billing --evict -y

  # See the plan and the exact write without changing anything
  kubectl singleton release queue-consumer -n billing --evict --dry-run";

/// Which object carries the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockKindArg {
    Lease,
    Configmap,
    Endpoints,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = RELEASE_EXAMPLES)]
pub struct ReleaseArgs {
    /// Name of the lock
    #[arg(value_parser = crate::names::lock_name_arg)]
    pub name: String,

    /// The object that carries the lock
    #[arg(long, value_enum, default_value_t = LockKindArg::Lease)]
    pub kind: LockKindArg,

    /// Stop a live holder first: evict its pod through the Eviction API (PDBs respected), wait
    /// until it is gone, then free the lock if it still names the old holder
    #[arg(long, conflicts_with = "force")]
    pub evict: bool,

    /// Free the lock even though its holder is alive (it may take the lock back or run beside the
    /// next leader until its renewDeadline)
    #[arg(long)]
    pub force: bool,

    /// Hand over to this identity: sets spec.preferredHolder on a coordinated lease; on a plain
    /// lease only with --force, by writing the holder directly
    #[arg(long, value_name = "IDENTITY")]
    pub to: Option<String>,

    /// Abort (exit 1) unless the lock is held by exactly this identity
    #[arg(long, value_name = "IDENTITY")]
    pub expect_holder: Option<String>,

    /// How long to wait for a different holder to take the lock
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout, default_value = "60s")]
    pub wait: Duration,

    /// Don't wait for a new leader
    #[arg(long, conflicts_with = "wait")]
    pub no_wait: bool,

    /// Print the plan and the exact write; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Don't ask for confirmation (required without a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
}

const DRAIN_CHECK_EXAMPLES: &str = "\
Examples:
  # Every node: would `kubectl drain --ignore-daemonsets` get through now, and what stops it
  kubectl singleton drain-check

  # One node, pod by pod: skipped, evicted, blocked (by which budget), singletons, leaders
  kubectl singleton drain-check worker-3

  # The nodes of one pool, drained in this order: budgets the first uses up are gone for the next
  kubectl singleton drain-check worker-1 worker-2 worker-3
  kubectl singleton drain-check -l node.kubernetes.io/pool=blue

  # Ask the API server too: every eviction sent with dryRun=All, its answer beside ours
  kubectl singleton drain-check worker-3 --server-dry-run

  # In CI before an upgrade: exit 1 when a node cannot be drained
  kubectl singleton drain-check -o json > drain.json";

#[derive(Debug, Clone, Args)]
#[command(after_help = DRAIN_CHECK_EXAMPLES)]
pub struct DrainCheckArgs {
    /// Nodes to check, drained in the order given (default: every node, by name); one node
    /// shows its pods one by one
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,

    /// Label selector for the nodes (e.g. node.kubernetes.io/pool=blue)
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Predict for `kubectl drain --force`: pods without a controller are deleted, and lost
    #[arg(long)]
    pub force: bool,

    /// Predict for `kubectl drain --delete-emptydir-data`: emptyDir data is deleted with its pod
    #[arg(long)]
    pub delete_emptydir_data: bool,

    /// Also send each eviction to the API server with dryRun=All and show its answer (201, 429,
    /// 500) beside the prediction; nothing is evicted (needs create on pods/eviction)
    #[arg(long)]
    pub server_dry_run: bool,

    /// Treat every single-replica workload as a strict singleton, as audit --assume-singleton
    #[arg(long)]
    pub assume_singleton: bool,
}

const COMPLETION_EXAMPLES: &str = "\
Examples:
  kubectl singleton completion bash > ~/.local/share/bash-completion/completions/kubectl-singleton
  kubectl singleton completion zsh > \"${fpath[1]}/_kubectl-singleton\"
  kubectl singleton completion fish > ~/.config/fish/completions/kubectl-singleton.fish";

#[derive(Debug, Clone, Args)]
#[command(after_help = COMPLETION_EXAMPLES)]
pub struct CompletionArgs {
    /// The shell to generate the script for
    pub shell: clap_complete::Shell,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    crate::duration::parse(text)
}

#[cfg(test)]
mod tests;
