//! The global flags resolved once into the settings commands use: how to reach a cluster, which
//! namespaces to look in, the output format each command accepts, and the colour policy.
//! Nothing below `lib.rs` reads the raw clap arguments.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::render::Palette;

/// Without `--request-timeout`, no single request may take longer than this: a server that
/// accepts connections but never answers must not hang the tool.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What every command gets besides its own arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// How to reach the cluster.
    pub cluster: ClusterSettings,
    /// Where namespaced commands look.
    pub namespaces: Namespaces,
    /// `-o` as given; each command asks for the formats it accepts.
    pub output: Output,
    /// `--no-headers`.
    pub no_headers: bool,
    /// Colour policy for stdout and stderr.
    pub palette: Palette,
    /// `--context a,b`, `--all-contexts`, `--context-regex`: which clusters a fleet reads.
    pub fleet: Fleet,
}

/// The clusters a fleet command reads, as given; `crate::kube::kubeconfig::fleet_contexts`
/// turns it into context names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fleet {
    /// Names from a comma-separated `--context` (more than one, or none).
    pub contexts: Vec<String>,
    pub all: bool,
    pub regex: Option<String>,
    /// `--max-parallel`.
    pub max_parallel: usize,
}

impl Fleet {
    /// Whether more than one context may be read (the flags, not yet the kubeconfig).
    pub fn is_fleet(&self) -> bool {
        self.contexts.len() > 1 || self.all || self.regex.is_some()
    }
}

impl Options {
    pub fn resolve(global: &GlobalArgs) -> Self {
        Options {
            cluster: ClusterSettings::resolve(global),
            namespaces: if global.all_namespaces {
                Namespaces::All
            } else {
                Namespaces::One(global.namespace.clone())
            },
            output: Output(global.output),
            no_headers: global.no_headers,
            palette: Palette::detect(global.no_color),
            fleet: Fleet::resolve(global),
        }
    }
}

/// How to reach one cluster: the kubeconfig selection, who we act as, and how long a request
/// may take. One value per cluster, so several clusters can be read side by side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSettings {
    /// `--kubeconfig`; else `$KUBECONFIG`, else `~/.kube/config`, else in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; else the kubeconfig's current-context.
    pub context: Option<String>,
    /// `--cluster`; else the context's.
    pub cluster: Option<String>,
    /// `--user`; else the context's.
    pub user: Option<String>,
    /// `--as` / `--as-group`.
    pub impersonate: Option<Impersonation>,
    /// The limit for any single request; `None` = no limit (`--request-timeout 0`).
    pub request_timeout: Option<Duration>,
}

/// `--as USER --as-group GROUP...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonation {
    pub user: String,
    pub groups: Vec<String>,
}

impl Fleet {
    fn resolve(global: &GlobalArgs) -> Self {
        let contexts: Vec<String> = match &global.context {
            Some(list) if list.contains(',') => list
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        Fleet {
            contexts,
            all: global.all_contexts,
            regex: global.context_regex.clone(),
            max_parallel: usize::from(global.max_parallel.max(1)),
        }
    }
}

impl ClusterSettings {
    fn resolve(global: &GlobalArgs) -> Self {
        ClusterSettings {
            kubeconfig: global.kubeconfig.clone(),
            context: global.context.clone(),
            cluster: global.cluster.clone(),
            user: global.user.clone(),
            impersonate: global.impersonate.as_ref().map(|user| Impersonation {
                user: user.clone(),
                groups: global.impersonate_groups.clone(),
            }),
            request_timeout: match global.request_timeout {
                Some(d) if d.is_zero() => None,
                Some(d) => Some(d),
                None => Some(DEFAULT_REQUEST_TIMEOUT),
            },
        }
    }
}

/// Where a namespaced command looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// `-A`.
    All,
    /// `-n NS`, or (`None`) the context's namespace, which only the cluster's kubeconfig knows.
    One(Option<String>),
}

impl Namespaces {
    /// For commands that act in one namespace: the `-n` given, if any; `-A` is refused with
    /// `refusal` as a usage error.
    pub fn one(&self, refusal: &str) -> Result<Option<&str>> {
        match self {
            Namespaces::All => Err(Error::usage(refusal)),
            Namespaces::One(given) => Ok(given.as_deref()),
        }
    }
}

/// `-o` as given. Every command accepts its own subset; asking for it validates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output(Option<OutputFormat>);

/// What `status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFormat {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
}

/// What `audit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Table,
    Json,
    Yaml,
    Sarif,
}

/// What `drain-check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainCheckFormat {
    Table,
    Json,
    Yaml,
}

/// What `scaffold` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaffoldFormat {
    Yaml,
    Json,
}

impl Output {
    pub fn status(self) -> Result<StatusFormat> {
        Ok(match self.0.unwrap_or(OutputFormat::Table) {
            OutputFormat::Table => StatusFormat::Table,
            OutputFormat::Wide => StatusFormat::Wide,
            OutputFormat::Json => StatusFormat::Json,
            OutputFormat::Yaml => StatusFormat::Yaml,
            OutputFormat::Name => StatusFormat::Name,
            OutputFormat::Sarif => {
                return Err(Error::usage(
                    "status cannot print -o sarif: use -o table, wide, json, yaml or name",
                ));
            }
        })
    }

    pub fn audit(self) -> Result<AuditFormat> {
        Ok(match self.0.unwrap_or(OutputFormat::Table) {
            OutputFormat::Table => AuditFormat::Table,
            OutputFormat::Json => AuditFormat::Json,
            OutputFormat::Yaml => AuditFormat::Yaml,
            OutputFormat::Sarif => AuditFormat::Sarif,
            other @ (OutputFormat::Wide | OutputFormat::Name) => {
                return Err(Error::usage(format!(
                    "audit cannot print -o {}: use -o table, json, yaml or sarif",
                    other.as_str()
                )));
            }
        })
    }

    pub fn drain_check(self) -> Result<DrainCheckFormat> {
        match self.0.unwrap_or(OutputFormat::Table) {
            OutputFormat::Table => Ok(DrainCheckFormat::Table),
            OutputFormat::Json => Ok(DrainCheckFormat::Json),
            OutputFormat::Yaml => Ok(DrainCheckFormat::Yaml),
            other => Err(Error::usage(format!(
                "drain-check cannot print -o {}: use -o table, json or yaml",
                other.as_str()
            ))),
        }
    }

    pub fn scaffold(self) -> Result<ScaffoldFormat> {
        match self.0.unwrap_or(OutputFormat::Yaml) {
            OutputFormat::Yaml => Ok(ScaffoldFormat::Yaml),
            OutputFormat::Json => Ok(ScaffoldFormat::Json),
            other => Err(Error::usage(format!(
                "scaffold cannot print -o {}: use -o yaml or json",
                other.as_str()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn options(args: &[&str]) -> Options {
        let cli = crate::cli::Cli::try_parse_from(
            ["kubectl-singleton"].iter().chain(args).chain(&["status"]),
        )
        .unwrap();
        Options::resolve(&cli.global)
    }

    #[test]
    fn request_timeout_defaults_to_a_minute_and_zero_means_none() {
        assert_eq!(
            options(&[]).cluster.request_timeout,
            Some(DEFAULT_REQUEST_TIMEOUT)
        );
        assert_eq!(
            options(&["--request-timeout", "0"]).cluster.request_timeout,
            None
        );
        assert_eq!(
            options(&["--request-timeout", "5s"])
                .cluster
                .request_timeout,
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn namespaces_and_impersonation_are_resolved() {
        assert_eq!(options(&["-A"]).namespaces, Namespaces::All);
        assert_eq!(
            options(&["-n", "kube-system"]).namespaces,
            Namespaces::One(Some("kube-system".into()))
        );
        assert!(options(&["-A"]).namespaces.one("one namespace").is_err());
        let who = options(&["--as", "me", "--as-group", "g1", "--as-group", "g2"]);
        assert_eq!(
            who.cluster.impersonate,
            Some(Impersonation {
                user: "me".into(),
                groups: vec!["g1".into(), "g2".into()]
            })
        );
    }

    #[test]
    fn drain_check_prints_table_json_or_yaml() {
        let given = |f| Output(Some(f));
        assert_eq!(Output(None).drain_check().unwrap(), DrainCheckFormat::Table);
        assert_eq!(
            given(OutputFormat::Yaml).drain_check().unwrap(),
            DrainCheckFormat::Yaml
        );
        assert!(given(OutputFormat::Wide).drain_check().is_err());
        assert!(given(OutputFormat::Sarif).drain_check().is_err());
    }

    #[test]
    fn each_command_accepts_its_own_formats() {
        let given = |f| Output(Some(f));
        assert_eq!(Output(None).status().unwrap(), StatusFormat::Table);
        assert_eq!(Output(None).audit().unwrap(), AuditFormat::Table);
        assert_eq!(Output(None).scaffold().unwrap(), ScaffoldFormat::Yaml);
        assert!(given(OutputFormat::Sarif).status().is_err());
        assert!(given(OutputFormat::Wide).audit().is_err());
        assert!(given(OutputFormat::Name).audit().is_err());
        assert!(given(OutputFormat::Table).scaffold().is_err());
        assert_eq!(
            given(OutputFormat::Sarif).audit().unwrap(),
            AuditFormat::Sarif
        );
    }
}
