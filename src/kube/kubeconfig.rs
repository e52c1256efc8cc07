//! Which kubeconfig, context, cluster and user to use, chosen as kubectl chooses them:
//! `--kubeconfig`, else every file of `$KUBECONFIG` merged (first to set a value wins), else
//! `~/.kube/config`, else the in-cluster service account.

use std::path::{Path, PathBuf};

use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::cause_chain;
use crate::error::{Error, Result};
use crate::options::{ClusterSettings, Fleet};

/// The kubeconfig kubectl would read, merged, and where it came from (for error messages);
/// `None` when there is none (then only the in-cluster service account is left).
pub fn read(explicit: Option<&Path>) -> Result<Option<(Kubeconfig, String)>> {
    Ok(Some(match explicit {
        Some(path) => (read_file(path)?, path.display().to_string()),
        None => match kubeconfig_paths_from_env() {
            Some(paths) => merge_kubeconfigs(&paths)?,
            None => match default_kubeconfig_path().filter(|p| p.exists()) {
                Some(path) => {
                    let origin = path.display().to_string();
                    (read_file(&path)?, origin)
                }
                None => return Ok(None),
            },
        },
    }))
}

/// The contexts a fleet reads, in the order given (`--context a,b`) or the kubeconfig's order
/// (`--all-contexts`, `--context-regex`). A name the kubeconfig lacks, or a selection that
/// matches nothing, is an error before any cluster is contacted.
pub fn fleet_contexts(settings: &ClusterSettings, fleet: &Fleet) -> Result<Vec<String>> {
    let Some((kubeconfig, origin)) = read(settings.kubeconfig.as_deref())? else {
        return Err(Error::env(
            "no kubeconfig found: a fleet (--context a,b, --all-contexts, --context-regex) reads contexts from one",
        ));
    };
    let known: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    select_contexts(&known, fleet, &origin)
}

fn select_contexts(known: &[&str], fleet: &Fleet, origin: &str) -> Result<Vec<String>> {
    if let Some(pattern) = &fleet.regex {
        let regex = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            Error::usage(format!(
                "invalid --context-regex {pattern:?}: {}",
                e.to_string().lines().last().unwrap_or_default().trim()
            ))
        })?;
        let chosen: Vec<String> = known
            .iter()
            .filter(|c| regex.is_match(c))
            .map(|c| c.to_string())
            .collect();
        if chosen.is_empty() {
            return Err(Error::usage(format!(
                "--context-regex {pattern:?} matches no context in kubeconfig {origin}: see kubectl config get-contexts"
            )));
        }
        return Ok(chosen);
    }
    if fleet.all {
        if known.is_empty() {
            return Err(Error::env(format!("kubeconfig {origin} has no contexts")));
        }
        return Ok(known.iter().map(|c| c.to_string()).collect());
    }
    let mut chosen: Vec<String> = Vec::new();
    for name in &fleet.contexts {
        if !known.contains(&name.as_str()) {
            return Err(Error::env(format!(
                "context {name:?} not found in kubeconfig {origin}: see kubectl config get-contexts"
            )));
        }
        if !chosen.contains(name) {
            chosen.push(name.clone());
        }
    }
    Ok(chosen)
}

/// The client configuration for these settings, from the kubeconfig or the in-cluster account.
pub(super) async fn config(settings: &ClusterSettings) -> Result<Config> {
    let options = KubeConfigOptions {
        context: settings.context.clone(),
        cluster: settings.cluster.clone(),
        user: settings.user.clone(),
    };
    let Some((kubeconfig, origin)) = read(settings.kubeconfig.as_deref())? else {
        return in_cluster_config(settings);
    };
    check_user(&kubeconfig, &options, &origin)?;
    Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| Error::env(describe_kubeconfig_error(&e, &origin)))
}

/// A user the context (or --user) names must exist, as kubectl insists; kube would go on without
/// credentials and the request would fail later with a confusing 401 or 403.
fn check_user(kubeconfig: &Kubeconfig, options: &KubeConfigOptions, origin: &str) -> Result<()> {
    let context_name = options
        .context
        .as_deref()
        .or(kubeconfig.current_context.as_deref());
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| Some(c.name.as_str()) == context_name)
        .and_then(|c| c.context.as_ref());
    let (user, named_by) = match (&options.user, context) {
        (Some(user), _) => (user.as_str(), "--user".to_string()),
        (None, Some(context)) => match context.user.as_deref() {
            Some(user) if !user.is_empty() => (
                user,
                format!("context {:?}", context_name.unwrap_or_default()),
            ),
            _ => return Ok(()),
        },
        // A missing context is reported by kube's own check.
        (None, None) => return Ok(()),
    };
    if kubeconfig.auth_infos.iter().any(|a| a.name == user) {
        Ok(())
    } else {
        Err(Error::env(format!(
            "user {user:?} named by {named_by} not found in kubeconfig {origin}: see kubectl config view, or pass --user"
        )))
    }
}

fn in_cluster_config(settings: &ClusterSettings) -> Result<Config> {
    let no_kubeconfig =
        "no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config";
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err(Error::env(no_kubeconfig));
    }
    if settings.context.is_some() || settings.cluster.is_some() || settings.user.is_some() {
        return Err(Error::env(format!(
            "{no_kubeconfig} (--context/--cluster/--user need one; inside a pod the service account is used without them)"
        )));
    }
    Config::incluster().map_err(|e| {
        Error::env(format!(
            "cannot use the in-cluster service account: {}",
            cause_chain(&e)
        ))
    })
}

/// `$KUBECONFIG` split like client-go does: empty entries ignored; `None` when unset or empty.
fn kubeconfig_paths_from_env() -> Option<Vec<PathBuf>> {
    let value = std::env::var_os("KUBECONFIG")?;
    let paths: Vec<PathBuf> = std::env::split_paths(&value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    (!paths.is_empty()).then_some(paths)
}

fn default_kubeconfig_path() -> Option<PathBuf> {
    std::env::home_dir().map(|home| home.join(".kube").join("config"))
}

/// Merges the `$KUBECONFIG` files, first one to set a value wins. Like client-go, files that do
/// not exist are skipped; only when none exists is that an error.
fn merge_kubeconfigs(paths: &[PathBuf]) -> Result<(Kubeconfig, String)> {
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if existing.is_empty() {
        let listed: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::env(format!(
            "no kubeconfig found: none of the files in KUBECONFIG exists ({})",
            listed.join(", ")
        )));
    }
    let mut merged = Kubeconfig::default();
    for path in &existing {
        merged = merged
            .merge(read_file(path)?)
            .map_err(|e| Error::env(format!("cannot merge kubeconfig {}: {e}", path.display())))?;
    }
    let origin = existing
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((merged, origin))
}

fn read_file(path: &Path) -> Result<Kubeconfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::env(format!(
            "cannot read kubeconfig {}: {}",
            path.display(),
            crate::error::io_words(&e)
        ))
    })?;
    if text.trim().is_empty() {
        return Err(Error::env(format!(
            "kubeconfig {} is empty",
            path.display()
        )));
    }
    Kubeconfig::from_yaml(&text)
        .map_err(|e| Error::env(describe_kubeconfig_error(&e, &path.display().to_string())))
}

fn describe_kubeconfig_error(err: &KubeconfigError, origin: &str) -> String {
    match err {
        KubeconfigError::CurrentContextNotSet => {
            format!("kubeconfig {origin} has no current-context: pass --context NAME")
        }
        KubeconfigError::LoadContext(name) => {
            format!(
                "context {name:?} not found in kubeconfig {origin}: see kubectl config get-contexts"
            )
        }
        KubeconfigError::LoadClusterOfContext(name) => {
            format!(
                "cluster {name:?} not found in kubeconfig {origin}: fix the context or pass --cluster"
            )
        }
        KubeconfigError::MissingClusterUrl => {
            format!("the selected cluster in kubeconfig {origin} has no server URL")
        }
        // The parser draws the offending line under its message: keep the message.
        KubeconfigError::Parse(_) => {
            format!(
                "kubeconfig {origin} is not a valid kubeconfig: {}",
                err.to_string().lines().next().unwrap_or_default().trim()
            )
        }
        other => format!("cannot use kubeconfig {origin}: {}", cause_chain(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_contexts_by_list_all_and_regex() {
        let known = ["prod-eu", "prod-us", "staging"];
        let fleet = |contexts: &[&str], all: bool, regex: Option<&str>| Fleet {
            contexts: contexts.iter().map(|c| c.to_string()).collect(),
            all,
            regex: regex.map(str::to_string),
            max_parallel: 16,
        };
        let pick = |f: Fleet| select_contexts(&known, &f, "kc");
        assert_eq!(
            pick(fleet(&["staging", "prod-eu", "staging"], false, None)).unwrap(),
            ["staging", "prod-eu"]
        );
        assert_eq!(pick(fleet(&[], true, None)).unwrap().len(), 3);
        assert_eq!(
            pick(fleet(&[], false, Some("prod-.*"))).unwrap(),
            ["prod-eu", "prod-us"]
        );
        // Anchored: "prod" alone matches nothing.
        let none = pick(fleet(&[], false, Some("prod"))).unwrap_err();
        assert_eq!(none.exit_code() as u8, 2, "{none}");
        let bad = pick(fleet(&[], false, Some("("))).unwrap_err();
        assert!(
            bad.to_string().starts_with("invalid --context-regex"),
            "{bad}"
        );
        let missing = pick(fleet(&["prod-eu", "nope"], false, None)).unwrap_err();
        assert!(
            missing.to_string().contains("\"nope\" not found"),
            "{missing}"
        );
    }

    #[test]
    fn missing_kubeconfig_files_in_the_list_are_skipped_but_not_all() {
        let dir = std::env::temp_dir().join(format!("ks-kubeconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(
            &good,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, namespace: team}\nclusters:\n- name: k\n  cluster: {server: 'https://127.0.0.1:1'}\nusers: []\n",
        )
        .unwrap();
        let missing = dir.join("missing");
        let (merged, origin) = merge_kubeconfigs(&[missing.clone(), good.clone()]).unwrap();
        assert_eq!(merged.current_context.as_deref(), Some("c"));
        assert_eq!(origin, good.display().to_string());
        let err = merge_kubeconfigs(&[missing]).unwrap_err();
        assert!(
            err.to_string()
                .contains("none of the files in KUBECONFIG exists"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
