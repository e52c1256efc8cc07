//! `__complete WORDS... PARTIAL`: kubectl's plugin completion (kubectl ≥ 1.26 runs
//! `kubectl_complete-singleton` with the words typed after `kubectl singleton`, the last one
//! being the word under the cursor). Prints one candidate per line (`value<TAB>description`),
//! then Cobra's `:<directive>` line. Subcommands, flags and flag values come from the clap
//! definitions; namespaces, contexts, lock names and node names from the cluster, within the request
//! timeout (5s unless given), and an empty list on any error: completion never prints errors.

use std::io::Write;
use std::time::Duration;

use clap::CommandFactory;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::ListParams;

use crate::cli::Cli;
use crate::error::Result;
use crate::kube::{self as cluster, Action};
use crate::options::{ClusterSettings, Impersonation};

/// The first argument that switches the binary into completion mode.
pub const HIDDEN_COMMAND: &str = "__complete";

/// Cobra's ShellCompDirective values.
const DIRECTIVE_DEFAULT: u8 = 0;
const DIRECTIVE_NO_FILE: u8 = 4;

/// What the word under the cursor should become.
#[derive(Debug, PartialEq, Eq)]
pub enum Want {
    /// Fixed candidates with descriptions (subcommands, flags, enum values).
    Words(Vec<(String, String)>),
    Namespaces,
    Contexts,
    /// Lease names in the namespace the command line names.
    Leases,
    /// Node names (`drain-check NODE...`), less those already typed.
    Nodes,
    /// A path: let the shell complete files.
    Files,
    Nothing,
}

/// Flags that take a path.
const PATH_FLAGS: &[&str] = &["kubeconfig", "filename"];

/// Where the cluster lookups go: the connection flags and namespace typed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub cluster: ClusterSettings,
    pub namespace: Option<String>,
}

/// Decides from the words typed so far (pure; the clap tree is the only source of truth).
pub fn want(words: &[String], partial: &str) -> (Want, Typed) {
    let root = Cli::command();
    let globals: Vec<clap::Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let mut cmd = root.clone();
    let mut pending: Option<clap::Arg> = None;
    let mut positionals = 0;
    let mut flags: Vec<(String, String)> = Vec::new();
    for word in words {
        if let Some(arg) = pending.take() {
            flags.push((arg.get_id().to_string(), word.clone()));
            continue;
        }
        let find_long = |name: &str| {
            cmd.get_arguments()
                .chain(globals.iter())
                .find(|a| a.get_long() == Some(name))
                .cloned()
        };
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            if let Some(arg) = find_long(name).filter(takes_value) {
                match value {
                    Some(v) => flags.push((arg.get_id().to_string(), v.to_string())),
                    None => pending = Some(arg),
                }
            }
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            let c = short.chars().next().unwrap_or_default();
            let arg = cmd
                .get_arguments()
                .chain(globals.iter())
                .find(|a| a.get_short() == Some(c))
                .cloned();
            if let Some(arg) = arg.filter(takes_value) {
                let rest = short[c.len_utf8()..].trim_start_matches('=');
                if rest.is_empty() {
                    pending = Some(arg);
                } else {
                    flags.push((arg.get_id().to_string(), rest.to_string()));
                }
            }
        } else if let Some(sub) = cmd.find_subcommand(word).filter(|s| !s.is_hide_set()) {
            cmd = sub.clone();
        } else {
            positionals += 1;
        }
    }
    let typed = typed(&flags);
    let want = if let Some(arg) = pending {
        value_of(&arg)
    } else if partial.starts_with('-') {
        Want::Words(
            cmd.get_arguments()
                .chain(globals.iter())
                .filter(|a| !a.is_hide_set() && !a.is_positional())
                .filter_map(|a| Some((format!("--{}", a.get_long()?), help(a))))
                .collect(),
        )
    } else if cmd.has_subcommands() {
        Want::Words(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                .map(|s| {
                    let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
                    (s.get_name().to_string(), about)
                })
                .collect(),
        )
    } else {
        match (cmd.get_name(), positionals) {
            ("status" | "release", 0) => Want::Leases,
            ("drain-check", _) => Want::Nodes,
            _ => cmd
                .get_positionals()
                .nth(positionals)
                .map_or(Want::Nothing, value_of),
        }
    };
    (want, typed)
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_action().takes_values() && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn help(arg: &clap::Arg) -> String {
    arg.get_help().map(|h| h.to_string()).unwrap_or_default()
}

fn value_of(arg: &clap::Arg) -> Want {
    let id = arg.get_id().as_str();
    if id == "namespace" {
        return Want::Namespaces;
    }
    if id == "context" {
        return Want::Contexts;
    }
    if PATH_FLAGS.contains(&id) {
        return Want::Files;
    }
    let values: Vec<(String, String)> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| {
            let about = v.get_help().map(|h| h.to_string()).unwrap_or_default();
            (v.get_name().to_string(), about)
        })
        .collect();
    if values.is_empty() {
        Want::Nothing
    } else {
        Want::Words(values)
    }
}

/// The connection flags typed so far, so lookups go where the command would, within the
/// request timeout given (5s unless given; completion never waits without a limit).
fn typed(flags: &[(String, String)]) -> Typed {
    let get = |id: &str| {
        flags
            .iter()
            .rev()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
    };
    let cluster = ClusterSettings {
        kubeconfig: get("kubeconfig").map(Into::into),
        context: get("context"),
        cluster: get("cluster"),
        user: get("user"),
        impersonate: get("impersonate").map(|user| Impersonation {
            user,
            groups: Vec::new(),
        }),
        request_timeout: Some(
            get("request_timeout")
                .and_then(|t| crate::duration::parse(&t).ok())
                .filter(|t| !t.is_zero())
                .unwrap_or(LOOKUP_TIMEOUT),
        ),
    };
    Typed {
        cluster,
        namespace: get("namespace"),
    }
}

/// How long a cluster lookup may take unless `--request-timeout` says otherwise.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the completion; never fails in a way the user sees.
pub fn run(args: &[String], out: &mut impl Write) -> Result<()> {
    let (partial, words) = match args.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    let (want, typed) = want(words, partial);
    let (candidates, directive) = match want {
        Want::Words(words) => (words, DIRECTIVE_NO_FILE),
        Want::Files => (Vec::new(), DIRECTIVE_DEFAULT),
        Want::Nothing => (Vec::new(), DIRECTIVE_NO_FILE),
        Want::Contexts => (contexts(&typed.cluster), DIRECTIVE_NO_FILE),
        Want::Nodes => {
            let mut names = crate::block_on(lookup(want, typed)).unwrap_or_default();
            names.retain(|(name, _)| !words.contains(name));
            (names, DIRECTIVE_NO_FILE)
        }
        Want::Namespaces | Want::Leases => {
            let names = crate::block_on(lookup(want, typed)).unwrap_or_default();
            (names, DIRECTIVE_NO_FILE)
        }
    };
    for (value, about) in candidates
        .iter()
        .filter(|(value, _)| value.starts_with(partial))
    {
        let about = about.lines().next().unwrap_or_default();
        if about.is_empty() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{value}\t{about}")?;
        }
    }
    writeln!(out, ":{directive}")?;
    Ok(())
}

/// The contexts of the kubeconfig the command would read (each with its cluster).
fn contexts(settings: &ClusterSettings) -> Vec<(String, String)> {
    let Ok(Some((kubeconfig, _))) = cluster::kubeconfig::read(settings.kubeconfig.as_deref())
    else {
        return Vec::new();
    };
    kubeconfig
        .contexts
        .into_iter()
        .map(|ctx| {
            let cluster = ctx.context.map(|c| c.cluster).unwrap_or_default();
            (ctx.name, cluster)
        })
        .collect()
}

async fn lookup(want: Want, typed: Typed) -> Result<Vec<(String, String)>> {
    let limit = typed.cluster.request_timeout.unwrap_or(LOOKUP_TIMEOUT);
    let work = async {
        let cluster = cluster::connect(&typed.cluster).await?;
        let names: Vec<(String, String)> = if want == Want::Namespaces {
            let api = cluster.cluster_api::<Namespace>();
            cluster
                .list_all_metadata(
                    &api,
                    &ListParams::default(),
                    Action::list("namespaces", None),
                )
                .await?
                .into_iter()
                .filter_map(|ns| ns.metadata.name)
                .map(|n| (n, String::new()))
                .collect()
        } else if want == Want::Nodes {
            let api = cluster.cluster_api::<Node>();
            cluster
                .list_all_metadata(&api, &ListParams::default(), Action::list("nodes", None))
                .await?
                .into_iter()
                .filter_map(|node| node.metadata.name)
                .map(|n| (n, String::new()))
                .collect()
        } else {
            let namespace = cluster.namespace(typed.namespace.as_deref());
            let api = cluster.api::<Lease>(Some(&namespace));
            cluster
                .list_all(
                    &api,
                    &ListParams::default(),
                    Action::list("leases", Some(&namespace)),
                )
                .await?
                .into_iter()
                .filter(crate::lock::model::is_leader_election_lease)
                .filter_map(|lease| {
                    let holder = lease.spec.as_ref()?.holder_identity.clone();
                    Some((lease.metadata.name?, holder.unwrap_or_default()))
                })
                .collect()
        };
        Ok(names)
    };
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| Ok(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(line: &str) -> Want {
        let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
        let partial = words.pop().unwrap();
        want(&words, &partial).0
    }

    fn names(want: Want) -> Vec<String> {
        match want {
            Want::Words(words) => words.into_iter().map(|(w, _)| w).collect(),
            other => panic!("not words: {other:?}"),
        }
    }

    #[test]
    fn subcommands_flags_and_values_come_from_the_clap_tree() {
        let top = names(ask(""));
        assert!(top.contains(&"status".to_string()) && top.contains(&"release".to_string()));
        assert!(!top.iter().any(|w| w.starts_with("__")), "{top:?}");
        let flags = names(ask("release --"));
        assert!(flags.contains(&"--evict".to_string()), "{flags:?}");
        assert!(
            flags.contains(&"--namespace".to_string()),
            "global flags too"
        );
        assert_eq!(
            names(ask("release x --kind ")),
            vec!["lease", "configmap", "endpoints"]
        );
        assert!(names(ask("scaffold ")).contains(&"deployment".to_string()));
    }

    #[test]
    fn cluster_lookups_where_an_argument_takes_a_name() {
        assert_eq!(ask("release "), Want::Leases);
        assert_eq!(ask("status -n kube-system "), Want::Leases);
        assert_eq!(ask("release -n "), Want::Namespaces);
        assert_eq!(ask("status --namespace "), Want::Namespaces);
        assert_eq!(ask("--context "), Want::Contexts);
        assert_eq!(ask("audit --kubeconfig "), Want::Files);
        // The lock name is given: nothing more to complete positionally.
        assert_eq!(ask("release lock "), Want::Nothing);
        // drain-check takes any number of nodes.
        assert_eq!(ask("drain-check "), Want::Nodes);
        assert_eq!(ask("drain-check node-a -o json node-"), Want::Nodes);
    }

    #[test]
    fn connection_flags_are_kept_for_the_lookup() {
        let words: Vec<String> = ["release", "-nkube-system", "--context=kind", "--as", "me"]
            .map(str::to_string)
            .to_vec();
        let (_, typed) = want(&words, "");
        assert_eq!(typed.namespace.as_deref(), Some("kube-system"));
        assert_eq!(typed.cluster.context.as_deref(), Some("kind"));
        assert_eq!(
            typed.cluster.impersonate.map(|i| i.user).as_deref(),
            Some("me")
        );
        assert_eq!(typed.cluster.request_timeout, Some(Duration::from_secs(5)));
    }
}
