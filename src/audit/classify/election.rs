//! What a workload's containers say about leader election: command-line flags
//! (`--leader-elect`, `--election-id=…`) and environment variables (`ENABLE_LEADER_ELECTION`),
//! including those set from a ConfigMap in the input, one by one or through `envFrom`.

use k8s_openapi::api::core::v1::{Container, EnvFromSource, EnvVarSource};

use super::Index;
use crate::audit::objects::{Workload, scope};

impl Index<'_> {
    /// What an environment variable taken from a ConfigMap resolves to, when the ConfigMap is in
    /// the input.
    pub(super) fn env_value(&self, w: &Workload<'_>, from: &EnvVarSource) -> EnvValue {
        let Some(key_ref) = &from.config_map_key_ref else {
            return EnvValue::Unknown;
        };
        let found = self.objects.config_maps.iter().find(|c| {
            c.object.metadata.name.as_deref() == Some(key_ref.name.as_str())
                && scope(&c.object.metadata, c.origin.as_ref()) == w.scope
        });
        match found {
            None => EnvValue::Unknown,
            Some(c) => match c.object.data.as_ref().and_then(|d| d.get(&key_ref.key)) {
                Some(value) => EnvValue::Set(value.clone()),
                None => EnvValue::Absent,
            },
        }
    }

    /// The variables `envFrom` a ConfigMap in the input sets: (name with its prefix, value,
    /// ConfigMap). A ConfigMap the input does not show sets nothing we can read.
    pub(super) fn env_from(
        &self,
        w: &Workload<'_>,
        from: &EnvFromSource,
    ) -> Vec<(String, String, String)> {
        let Some(reference) = &from.config_map_ref else {
            return Vec::new();
        };
        let prefix = from.prefix.as_deref().unwrap_or_default();
        self.objects
            .config_maps
            .iter()
            .filter(|c| {
                c.object.metadata.name.as_deref() == Some(reference.name.as_str())
                    && scope(&c.object.metadata, c.origin.as_ref()) == w.scope
            })
            .flat_map(|c| c.object.data.iter().flatten())
            .map(|(key, value)| {
                (
                    format!("{prefix}{key}"),
                    value.clone(),
                    reference.name.clone(),
                )
            })
            .collect()
    }
}

/// An environment variable's value taken from elsewhere.
pub(super) enum EnvValue {
    Set(String),
    /// Its ConfigMap is in the input and lacks the key: the variable is not set.
    Absent,
    /// From a ConfigMap or Secret the input does not show.
    Unknown,
}

/// What the containers' command lines and environment say about leader election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Election {
    Unset,
    /// `flag --leader-elect`, `flag --election-id=…`, `env ENABLE_LEADER_ELECTION=true`.
    Enabled(String),
    /// `flag --leader-elect=false`.
    Disabled(String),
    /// Set from a ConfigMap or Secret the input does not show.
    Unknown(String),
}

/// Flag names (lower-case, without `-` and `_`) that switch leader election on or off.
const SWITCHES: &[&str] = &[
    "leaderelect",
    "leaderelection",
    "leaderelectionenabled",
    "leaderelectenabled",
];

/// What a switch turns on when it is true: `ENABLE_LEADER_ELECTION`, `--leader-elect`,
/// `APPSET_ENABLE_LEADER_ELECTION` say leader election (`Some(true)`);
/// `--disable-leader-election` (contour), `LEADER_ELECTION_DISABLE` (argo-workflows) and
/// knative's `-disable-ha` say its absence (`Some(false)`). A setting such as
/// `--leader-election-namespace` is no switch (`None`).
fn switch(normalised: &str) -> Option<bool> {
    if normalised == "disableha" {
        // knative's sharedmain (tekton, knative): `-disable-ha` turns its leader election off.
        return Some(false);
    }
    let (base, mut negated) = match normalised
        .strip_suffix("disabled")
        .or_else(|| normalised.strip_suffix("disable"))
    {
        Some(base) => (base, true),
        None => (normalised, false),
    };
    let before = SWITCHES.iter().find_map(|s| base.strip_suffix(s))?;
    if before.ends_with("disable") || before.ends_with("disabled") {
        negated = !negated;
    }
    Some(!negated)
}

fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a (normalised) flag or variable name is about leader election at all.
fn about_election(name: &str) -> bool {
    name.contains("leaderelect") || name.ends_with("electionid") || name == "disableha"
}

fn truth(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

pub(super) fn leader_election(
    w: &Workload<'_>,
    resolve: impl Fn(&EnvVarSource) -> EnvValue,
    env_from: impl Fn(&EnvFromSource) -> Vec<(String, String, String)>,
) -> Election {
    let Some(spec) = w.pod_spec() else {
        return Election::Unset;
    };
    let containers: Vec<&Container> = spec.containers.iter().collect();
    let mut found = Election::Unset;
    for c in containers {
        let words: Vec<&str> = c
            .command
            .iter()
            .flatten()
            .chain(c.args.iter().flatten())
            .flat_map(|a| a.split_whitespace())
            .collect();
        for (i, word) in words.iter().enumerate() {
            let Some(flag) = word.strip_prefix('-') else {
                continue;
            };
            let flag = flag.trim_start_matches('-');
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            let key = normalised(name);
            if !about_election(&key) {
                continue;
            }
            if let Some(polarity) = switch(&key) {
                // A separate `true`/`false` word is the value for parsers that take one.
                let value = value.or_else(|| {
                    words
                        .get(i + 1)
                        .filter(|next| truth(next).is_some() && !next.is_empty())
                        .copied()
                });
                match value.map_or(Some(true), truth).map(|on| on == polarity) {
                    Some(true) => return Election::Enabled(format!("flag {word}")),
                    Some(false) => return Election::Disabled(format!("flag {word}")),
                    None => found = Election::Unknown(format!("flag {word}")),
                }
            } else if found == Election::Unset {
                // `--election-id`, `--leader-election-namespace`: configured, so in use unless
                // a switch says otherwise (checked on).
                found =
                    Election::Enabled(format!("flag {}", word.split('=').next().unwrap_or(word)));
            }
        }
        for env in c.env.iter().flatten() {
            let key = normalised(&env.name);
            if !about_election(&key) {
                continue;
            }
            if switch(&key).is_none() {
                // A setting (`LEADER_ELECTION_IDENTITY` from the pod's name, as argo-workflows
                // sets it): configured, whatever its value and wherever that comes from.
                if found == Election::Unset {
                    found = Election::Enabled(format!("env {}", env.name));
                }
                continue;
            }
            let resolved;
            let value = match (&env.value, &env.value_from) {
                (_, Some(from)) => match resolve(from) {
                    EnvValue::Set(v) => {
                        resolved = v;
                        Some(resolved.as_str())
                    }
                    EnvValue::Absent => continue,
                    EnvValue::Unknown => {
                        if !matches!(found, Election::Enabled(_)) {
                            found = Election::Unknown(format!(
                                "env {} set from outside the input",
                                env.name
                            ))
                        }
                        continue;
                    }
                },
                (value, None) => value.as_deref(),
            };
            let Some(value) = value else { continue };
            if let Some(decided) = variable(&env.name, &key, value, "", &mut found) {
                return decided;
            }
        }
        // `envFrom` a ConfigMap in the input: its keys are variables too (an `env` entry of the
        // same name wins, and was read above).
        for (name, value, config_map) in c.env_from.iter().flatten().flat_map(&env_from) {
            let key = normalised(&name);
            if !about_election(&key) {
                continue;
            }
            let via = format!(" (envFrom ConfigMap {config_map})");
            if let Some(decided) = variable(&name, &key, &value, &via, &mut found) {
                return decided;
            }
        }
    }
    found
}

/// One environment variable about leader election (`key` normalised, `value` set): a switch
/// decides; any other setting (`LEADER_ELECTION_NAMESPACE`) says election is configured, unless
/// something was found first.
fn variable(
    name: &str,
    key: &str,
    value: &str,
    via: &str,
    found: &mut Election,
) -> Option<Election> {
    match (switch(key), truth(value)) {
        (Some(polarity), Some(on)) if on == polarity => {
            Some(Election::Enabled(format!("env {name}={value}{via}")))
        }
        (Some(_), Some(_)) => Some(Election::Disabled(format!("env {name}={value}{via}"))),
        _ => {
            if *found == Election::Unset {
                *found = Election::Enabled(format!("env {name}{via}"));
            }
            None
        }
    }
}
