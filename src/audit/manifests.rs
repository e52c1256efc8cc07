//! Offline input: files, directories (walked for .yaml/.yml/.json) and stdin, holding
//! multi-document YAML (block or flow style, read as kubectl reads YAML 1.1), JSON (one object or
//! a stream of them), `kind: List`, Helm-template or kustomize-build output. Known kinds become
//! typed objects; older API versions are read as their current version and recorded; a kind the
//! audit reads at an apiVersion it does not know is recorded; unknown kinds (CRDs included) are
//! skipped. A document that cannot be read (bad YAML, wrong types) is recorded and the others
//! are still read.

use std::path::{Path, PathBuf};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::audit::objects::{
    Located, ObjectRef, Objects, Origin, RemovedVersion, UnknownVersion, Unreadable,
    WebhookService, reference,
};
use crate::error::{Error, Result, io_words};
use crate::yaml::{self, Glance};

/// The most one file (or stdin) may hold: far more than any real set of manifests, far less than
/// would exhaust memory (`-f /dev/zero` would otherwise read until killed).
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads every path (`-` = stdin) into one set of objects. Inputs that hold no document at all
/// (empty files, an empty directory, stdin closed at once) are an error: an audit of nothing
/// must not pass a CI gate by accident. So is an input that cannot be read as text; a document
/// that cannot be read is not (it is in [`Objects::unreadable`]).
pub fn load(paths: &[PathBuf]) -> Result<Objects> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else {
            inputs.extend(files_under(path)?.into_iter().map(Input::File));
        }
    }
    // Files are parsed on every core; the results are merged in input order, so the objects,
    // and the first error reported, are the same as one by one.
    let mut objects = Objects::default();
    let mut documents = 0;
    for parsed in parse_all(&inputs) {
        let (found, count) = parsed?;
        objects.extend(found);
        documents += count;
    }
    if documents == 0 {
        return Err(Error::env(if paths.iter().all(|p| p.as_os_str() == "-") {
            "no YAML or JSON documents on stdin: it was empty or closed before a document arrived"
                .to_string()
        } else {
            let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!(
                "no YAML or JSON documents in {}: check the path (directories are searched for .yaml, .yml and .json files)",
                inputs.join(", ")
            )
        }));
    }
    Ok(objects)
}

enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// Reads and parses one input: its objects and how many documents it held.
    fn parse(&self) -> Result<(Objects, usize)> {
        let (name, text) = match self {
            Input::Stdin => (
                "<stdin>".to_string(),
                read_limited(std::io::stdin().lock(), "stdin")?,
            ),
            Input::File(file) => {
                let name = file.display().to_string();
                let opened = std::fs::File::open(file)
                    .map_err(|e| Error::env(format!("cannot read {name}: {}", io_words(&e))))?;
                let text = read_limited(opened, &name)?;
                (name, text)
            }
        };
        let mut objects = Objects::default();
        let count = add(&mut objects, &name, &text);
        Ok((objects, count))
    }
}

/// Every input parsed, in input order, by as many threads as there are cores.
fn parse_all(inputs: &[Input]) -> Vec<Result<(Objects, usize)>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len());
    if workers <= 1 {
        return inputs.iter().map(Input::parse).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Result<(Objects, usize)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else {
                            return done;
                        };
                        done.push((i, input.parse()));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a manifest parser thread panicked"))
            .collect()
    });
    parsed.sort_by_key(|(i, _)| *i);
    parsed.into_iter().map(|(_, result)| result).collect()
}

fn read_limited(reader: impl std::io::Read, name: &str) -> Result<String> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader.take(MAX_INPUT_BYTES + 1), &mut bytes)
        .map_err(|e| Error::env(format!("cannot read {name}: {}", io_words(&e))))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::env(format!(
            "{name}: more than {} MiB: not a manifest file? (split large exports into several files)",
            MAX_INPUT_BYTES / 1024 / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::env(format!(
            "{name}: not a text file (invalid UTF-8 at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Parses one text (YAML or JSON) into objects; `name` is used in origins. It does not fail
/// today: what cannot be read is in [`Objects::unreadable`].
pub fn parse(name: &str, text: &str) -> Result<Objects> {
    let mut objects = Objects::default();
    add(&mut objects, name, text);
    Ok(objects)
}

/// Adds the documents of one text; returns how many documents it held (empty ones not counted,
/// unreadable ones counted).
fn add(objects: &mut Objects, name: &str, text: &str) -> usize {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    yaml::split_documents(text)
        .into_iter()
        .filter(|chunk| chunk.has_content)
        .map(|chunk| add_chunk(objects, name, chunk.text, chunk.first_line))
        .sum()
}

/// One piece of the text between document markers: JSON when it is valid JSON (a value or a
/// stream of them, as kubectl reads them), else YAML (which includes flow style starting with
/// `{`).
fn add_chunk(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    // A `---` line alone may precede a JSON document in a YAML stream.
    let body_start = match text.split_once('\n') {
        Some((marker, _)) if marker.trim_end() == "---" => marker.len() + 1,
        _ => 0,
    };
    let body = &text[body_start..];
    let blank = body.len() - body.trim_start_matches([' ', '\t', '\r', '\n']).len();
    if body[blank..].starts_with(['{', '[']) {
        // From the start of its line (JSON skips the blanks), so that columns are the file's.
        let start = body_start + body[..blank].rfind('\n').map_or(0, |i| i + 1);
        let line = first_line + newlines(&text[..start]);
        return add_json(objects, name, &text[start..], line);
    }
    add_yaml(objects, name, text, first_line)
}

/// A text starting at column 0 of `first_line` with blanks then `{` or `[`: JSON values one
/// after the other; what is not JSON, from the first value that is not on, is read as YAML.
fn add_json(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut count = 0;
    let mut line = first_line;
    let mut counted_to = 0;
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => return count,
            Some(Ok(value)) => {
                let end = stream.byte_offset();
                let start = end - text[before..end].trim_start().len();
                line += newlines(&text[counted_to..start]);
                counted_to = start;
                let value_text = &text[start..end];
                let value_line = line;
                add_value(objects, &origin(name, line), value, &|| {
                    json_item_lines(value_text, value_line)
                });
                count += 1;
            }
            Some(Err(json_error)) => {
                // Read the rest as YAML from where this value starts, blanking what came before
                // it on its line so that columns stay those of the file.
                let line_start = text[..before].rfind('\n').map_or(0, |i| i + 1);
                let rest_line = first_line + newlines(&text[..line_start]);
                let rest = format!(
                    "{}{}",
                    " ".repeat(text[line_start..before].chars().count()),
                    &text[before..]
                );
                // A .json file meant JSON: its error says more than YAML's would.
                let json_error = name.ends_with(".json").then(|| {
                    let message = json_error.to_string();
                    let suffix = format!(
                        " at line {} column {}",
                        json_error.line(),
                        json_error.column()
                    );
                    let message = message.strip_suffix(&suffix).unwrap_or(&message);
                    (
                        first_line + json_error.line().max(1) as u64 - 1,
                        format!("invalid JSON at column {}: {message}", json_error.column()),
                    )
                });
                return count + add_yaml_or(objects, name, &rest, rest_line, json_error);
            }
        }
    }
}

fn add_yaml(objects: &mut Objects, name: &str, text: &str, first_line: u64) -> usize {
    add_yaml_or(objects, name, text, first_line, None)
}

/// One YAML document (a piece between markers) at `first_line`. A document whose kind the
/// audit does not read is skipped when a glance at its lines can tell its kind. When it is not
/// YAML either, `other_error` (line, reason), if given, is what is reported instead of the
/// YAML error.
fn add_yaml_or(
    objects: &mut Objects,
    name: &str,
    text: &str,
    first_line: u64,
    other_error: Option<(u64, String)>,
) -> usize {
    let at = |line: u64| first_line + line.max(1) - 1;
    if let Glance::Kind(kind) = yaml::glance(text) {
        if !kind.is_some_and(is_read) {
            return 1;
        }
        // A list (`kubectl get -o yaml`), read with its items' lines in one pass.
        if kind.is_some_and(|k| k.ends_with("List"))
            && let Some(list) = yaml::list(text)
        {
            let lines: Vec<u64> = list.items.iter().map(|item| at(item.line)).collect();
            let mut fields = list.fields;
            let items = list.items.into_iter().map(|item| item.value).collect();
            fields.insert("items".into(), Value::Array(items));
            add_value(
                objects,
                &origin(name, at(list.line)),
                Value::Object(fields),
                &|| Some(lines.clone()),
            );
            return 1;
        }
    }
    match yaml::documents(text) {
        Ok(docs) => {
            let count = docs.len();
            for doc in docs {
                add_value(objects, &origin(name, at(doc.line)), doc.value, &|| {
                    let lines = if count == 1 {
                        yaml::item_lines(text)?
                    } else {
                        return None;
                    };
                    Some(lines.into_iter().map(at).collect())
                });
            }
            count
        }
        Err(e) => {
            let (line, reason) = other_error.unwrap_or_else(|| {
                (
                    at(e.line),
                    format!("invalid YAML at column {}: {}", e.column, e.message),
                )
            });
            objects.unreadable.push(Unreadable {
                origin: origin(name, line),
                reason,
            });
            1
        }
    }
}

/// Whether the audit reads documents of this kind (or may, for lists).
fn is_read(kind: &str) -> bool {
    kind == "List" || Kind::from_name(kind.strip_suffix("List").unwrap_or(kind)).is_some()
}

fn origin(file: &str, line: u64) -> Origin {
    Origin {
        file: file.to_string(),
        line,
    }
}

fn newlines(text: &str) -> u64 {
    text.bytes().filter(|&b| b == b'\n').count() as u64
}

/// The line of each entry of the top-level `"items"` array of one valid JSON object's text
/// starting on `first_line`, or `None` when there is no such array.
fn json_item_lines(text: &str, first_line: u64) -> Option<Vec<u64>> {
    let bytes = text.as_bytes();
    let mut line = first_line;
    let mut depth = 0usize;
    let mut last_string: &[u8] = &[];
    let mut items_next = false;
    let mut collecting: Option<Vec<u64>> = None;
    let mut entry_next = false;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if entry_next && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b']') {
            if let Some(lines) = collecting.as_mut() {
                lines.push(line);
            }
            entry_next = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                last_string = &bytes[start..i.min(bytes.len())];
            }
            b':' if depth == 1 => items_next = last_string == b"items",
            b'{' | b'[' => {
                if depth == 1 && b == b'[' && items_next {
                    collecting = Some(Vec::new());
                    entry_next = true;
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 1 && b == b']' && collecting.is_some() {
                    found = collecting.take();
                }
            }
            b',' => {
                if depth == 1 {
                    items_next = false;
                } else if depth == 2 && collecting.is_some() {
                    entry_next = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The kinds the audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deployment,
    StatefulSet,
    ReplicaSet,
    CronJob,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    Service,
    PersistentVolumeClaim,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    ScaledObject,
    ServiceMonitor,
    ConfigMap,
    ValidatingWebhookConfiguration,
    MutatingWebhookConfiguration,
}

impl Kind {
    const ALL: [Kind; 17] = [
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::ReplicaSet,
        Kind::CronJob,
        Kind::HorizontalPodAutoscaler,
        Kind::PodDisruptionBudget,
        Kind::Service,
        Kind::PersistentVolumeClaim,
        Kind::Role,
        Kind::ClusterRole,
        Kind::RoleBinding,
        Kind::ClusterRoleBinding,
        Kind::ScaledObject,
        Kind::ServiceMonitor,
        Kind::ConfigMap,
        Kind::ValidatingWebhookConfiguration,
        Kind::MutatingWebhookConfiguration,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::CronJob => "CronJob",
            Kind::HorizontalPodAutoscaler => "HorizontalPodAutoscaler",
            Kind::PodDisruptionBudget => "PodDisruptionBudget",
            Kind::Service => "Service",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::Role => "Role",
            Kind::ClusterRole => "ClusterRole",
            Kind::RoleBinding => "RoleBinding",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::ScaledObject => "ScaledObject",
            Kind::ServiceMonitor => "ServiceMonitor",
            Kind::ConfigMap => "ConfigMap",
            Kind::ValidatingWebhookConfiguration => "ValidatingWebhookConfiguration",
            Kind::MutatingWebhookConfiguration => "MutatingWebhookConfiguration",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether a document of this kind at an apiVersion the audit cannot read is worth saying:
    /// its own API group, a group without a dot (a typo such as `app/v1`, or `v1` alone: custom
    /// resources' groups always have one), or a Kubernetes group. Another group with a dot is a
    /// custom resource that shares the name (a Knative `serving.knative.dev/v1` Service, a
    /// cloud provider's Role): not ours, skipped like every custom resource.
    fn may_be_meant_at(self, api_version: &str) -> bool {
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        let own = match self {
            Kind::ScaledObject => "keda.sh",
            Kind::ServiceMonitor => "monitoring.coreos.com",
            _ => "",
        };
        group == own || !group.contains('.') || group.ends_with(".k8s.io")
    }
}

/// How a kind is read at one apiVersion.
enum Reading {
    /// The version the typed object models.
    Current,
    /// An older version, made into the current one by `convert`, which does what the API server's
    /// defaulting and conversion do to the fields that differ.
    Older {
        read_as: &'static str,
        /// The Kubernetes release that stopped serving it; `None` while it is still served.
        removed_in: Option<&'static str>,
        convert: fn(&mut Value),
    },
}

/// How the audit reads `kind` at `api_version`, if it can. The versions and what changed in
/// them follow Kubernetes' own pkg/apis/*/<version>/defaults.go and conversion.go.
fn reading(kind: Kind, api_version: &str) -> Option<Reading> {
    use Kind::*;
    let older = |read_as, removed_in, convert| {
        Some(Reading::Older {
            read_as,
            removed_in: Some(removed_in),
            convert,
        })
    };
    const RBAC: &str = "rbac.authorization.k8s.io/v1";
    match (kind, api_version) {
        (Deployment | StatefulSet | ReplicaSet, "apps/v1")
        | (CronJob, "batch/v1")
        | (HorizontalPodAutoscaler, "autoscaling/v2")
        | (PodDisruptionBudget, "policy/v1")
        | (Service | PersistentVolumeClaim | ConfigMap, "v1")
        | (Role | ClusterRole | RoleBinding | ClusterRoleBinding, RBAC)
        | (ScaledObject, "keda.sh/v1alpha1")
        | (ServiceMonitor, "monitoring.coreos.com/v1")
        | (
            ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
            "admissionregistration.k8s.io/v1",
        ) => Some(Reading::Current),
        (Deployment, "extensions/v1beta1") => older("apps/v1", "1.16", extensions_deployment),
        (Deployment, "apps/v1beta1") => older("apps/v1", "1.16", apps_v1beta1_deployment),
        (StatefulSet, "apps/v1beta1") => older("apps/v1", "1.16", apps_v1beta1_statefulset),
        (ReplicaSet, "extensions/v1beta1") => older("apps/v1", "1.16", selector_from_template),
        (Deployment | StatefulSet | ReplicaSet, "apps/v1beta2") => older("apps/v1", "1.16", same),
        (CronJob, "batch/v1beta1") => older("batch/v1", "1.25", same),
        // Never served by default; deleted in 1.21 (kubernetes#96987).
        (CronJob, "batch/v2alpha1") => older("batch/v1", "1.21", same),
        (HorizontalPodAutoscaler, "autoscaling/v2beta2") => older("autoscaling/v2", "1.26", same),
        (HorizontalPodAutoscaler, "autoscaling/v2beta1") => {
            older("autoscaling/v2", "1.25", hpa_v2beta1)
        }
        // Still served: read as autoscaling/v2, but not a removed version.
        (HorizontalPodAutoscaler, "autoscaling/v1") => Some(Reading::Older {
            read_as: "autoscaling/v2",
            removed_in: None,
            convert: hpa_v1,
        }),
        (PodDisruptionBudget, "policy/v1beta1") => older("policy/v1", "1.25", pdb_v1beta1),
        (
            Role | ClusterRole | RoleBinding | ClusterRoleBinding,
            "rbac.authorization.k8s.io/v1beta1" | "rbac.authorization.k8s.io/v1alpha1",
        ) => older(RBAC, "1.22", same),
        (
            ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
            "admissionregistration.k8s.io/v1beta1",
        ) => older("admissionregistration.k8s.io/v1", "1.22", same),
        _ => None,
    }
}

/// Versions whose fields the current one reads as they are.
fn same(_: &mut Value) {}

/// extensions/v1beta1 Deployments: the selector defaults to the pod template's labels, and a
/// rolling update to maxSurge 1 / maxUnavailable 1 (apps/v1's is 25% / 25%), with no progress
/// deadline and every old ReplicaSet kept.
fn extensions_deployment(value: &mut Value) {
    selector_from_template(value);
    let Some(spec) = spec(value) else {
        return;
    };
    let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
    if strategy.is_null() {
        *strategy = json!({});
    }
    if let Some(strategy) = strategy.as_object_mut() {
        if unset(strategy.get("type")) || strategy.get("type") == Some(&json!("")) {
            strategy.insert("type".into(), json!("RollingUpdate"));
        }
        if strategy.get("type") == Some(&json!("RollingUpdate"))
            || !unset(strategy.get("rollingUpdate"))
        {
            let rolling = strategy.entry("rollingUpdate").or_insert_with(|| json!({}));
            if rolling.is_null() {
                *rolling = json!({});
            }
            if let Some(rolling) = rolling.as_object_mut() {
                default(rolling, "maxUnavailable", json!(1));
                default(rolling, "maxSurge", json!(1));
            }
        }
    }
    default(spec, "progressDeadlineSeconds", json!(i32::MAX));
    default(spec, "revisionHistoryLimit", json!(i32::MAX));
}

/// apps/v1beta1 Deployments: the selector defaults to the template's labels; 2 old ReplicaSets
/// are kept (apps/v1: 10). The rolling update's 25% / 25% is apps/v1's.
fn apps_v1beta1_deployment(value: &mut Value) {
    selector_from_template(value);
    if let Some(spec) = spec(value) {
        default(spec, "revisionHistoryLimit", json!(2));
    }
}

/// apps/v1beta1 StatefulSets: the selector defaults to the template's labels; pods are replaced
/// only when deleted (apps/v1: a rolling update).
fn apps_v1beta1_statefulset(value: &mut Value) {
    selector_from_template(value);
    if let Some(spec) = spec(value) {
        let strategy = spec.entry("updateStrategy").or_insert_with(|| json!({}));
        if strategy.is_null() {
            *strategy = json!({});
        }
        if let Some(strategy) = strategy.as_object_mut()
            && (unset(strategy.get("type")) || strategy.get("type") == Some(&json!("")))
        {
            strategy.insert("type".into(), json!("OnDelete"));
        }
    }
}

/// The defaulting of extensions/v1beta1 and apps/v1beta1 workloads: when the pod template has
/// labels, a missing selector selects them, and missing object labels are them.
fn selector_from_template(value: &mut Value) {
    let Some(labels) = value
        .pointer("/spec/template/metadata/labels")
        .filter(|l| l.is_object())
        .cloned()
    else {
        return;
    };
    if let Some(spec) = spec(value)
        && unset(spec.get("selector"))
    {
        spec.insert("selector".into(), json!({ "matchLabels": labels.clone() }));
    }
    if let Some(object) = value.as_object_mut() {
        let metadata = object.entry("metadata").or_insert_with(|| json!({}));
        if metadata.is_null() {
            *metadata = json!({});
        }
        if let Some(metadata) = metadata.as_object_mut()
            && empty_map(metadata.get("labels"))
        {
            metadata.insert("labels".into(), labels);
        }
    }
}

/// autoscaling/v1: the CPU target becomes autoscaling/v2's resource metric, as the API server
/// converts it; the v1 status has another shape and the audit does not read it.
fn hpa_v1(value: &mut Value) {
    if let Some(spec) = spec(value)
        && let Some(cpu) = spec.remove("targetCPUUtilizationPercentage")
        && !cpu.is_null()
    {
        spec.insert(
            "metrics".into(),
            json!([{
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            }]),
        );
    }
    drop_status(value);
}

/// autoscaling/v2beta1: its metrics (and status) have another shape than autoscaling/v2's; the
/// audit reads only the scale target and the replica bounds, so they are dropped rather than
/// converted.
fn hpa_v2beta1(value: &mut Value) {
    if let Some(spec) = spec(value) {
        spec.remove("metrics");
    }
    drop_status(value);
}

/// policy/v1beta1: an empty selector selects no pods, where in policy/v1 it selects every pod
/// of the namespace. The API server converts such a budget to a selector no pod matches (and
/// its stand-in for "every pod" back to the empty one); so does this.
fn pdb_v1beta1(value: &mut Value) {
    const KEY: &str = "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match";
    let Some(spec) = spec(value) else {
        return;
    };
    let Some(selector) = spec.get_mut("selector") else {
        return;
    };
    let only = |operator: &str| {
        empty_map(selector.get("matchLabels"))
            && selector
                .get("matchExpressions")
                .and_then(Value::as_array)
                .is_some_and(|e| {
                    matches!(e.as_slice(), [r] if r.get("key") == Some(&json!(KEY))
                    && r.get("operator") == Some(&json!(operator))
                    && r.get("values").and_then(Value::as_array).is_none_or(Vec::is_empty))
                })
    };
    if selector.is_object()
        && empty_map(selector.get("matchLabels"))
        && selector
            .get("matchExpressions")
            .is_none_or(|e| e.is_null() || e.as_array().is_some_and(Vec::is_empty))
    {
        *selector = json!({"matchExpressions": [{"key": KEY, "operator": "Exists"}]});
    } else if only("DoesNotExist") {
        *selector = json!({});
    }
}

fn spec(value: &mut Value) -> Option<&mut Map<String, Value>> {
    value.get_mut("spec")?.as_object_mut()
}

fn drop_status(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
}

/// Absent or null, as Go sees a nil pointer.
fn unset(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_null)
}

/// Absent, null or `{}`, as Go sees an empty map.
fn empty_map(value: Option<&Value>) -> bool {
    unset(value) || value.and_then(Value::as_object).is_some_and(Map::is_empty)
}

fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if unset(map.get(key)) {
        map.insert(key.into(), value);
    }
}

/// What one document (or one item of a list) becomes. `items` gives the lines of a list's items
/// when it is one (computed only then).
fn add_value(
    objects: &mut Objects,
    origin: &Origin,
    value: Value,
    items: &dyn Fn() -> Option<Vec<u64>>,
) {
    if !value.is_object() {
        objects.unreadable.push(Unreadable {
            origin: origin.clone(),
            reason: format!(
                "not a Kubernetes object (a {}): expected a mapping with apiVersion and kind",
                json_type(&value)
            ),
        });
        return;
    }
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default();
    let (kind, api_version) = (text("kind").to_string(), text("apiVersion").to_string());
    // `kind: List` from kubectl; `<Kind>List` straight from the API, whose items may lack their
    // kind and apiVersion. Other kinds ending in List are custom resources, skipped below.
    let listed = kind.strip_suffix("List").and_then(Kind::from_name);
    if kind == "List" && api_version == "v1" || listed.is_some() {
        let implied = listed.map(|k| (k.name(), api_version.as_str()));
        unpack(objects, origin, value, items, implied);
        return;
    }
    if kind == "List" {
        objects.unknown_versions.push(UnknownVersion {
            object: object_ref("List", &value),
            origin: Some(origin.clone()),
            api_version,
        });
        return;
    }
    // Anything else (Secrets, CRDs, custom resources) tells nothing about singletons.
    let Some(known) = Kind::from_name(&kind) else {
        return;
    };
    match reading(known, &api_version) {
        Some(reading) => read(objects, origin, known, &api_version, reading, value),
        None if known.may_be_meant_at(&api_version) => {
            objects.unknown_versions.push(UnknownVersion {
                object: object_ref(known.name(), &value),
                origin: Some(origin.clone()),
                api_version,
            });
        }
        None => {}
    }
}

/// The items of a list, each at its own line where it can be told (else the list's).
fn unpack(
    objects: &mut Objects,
    origin: &Origin,
    mut value: Value,
    items: &dyn Fn() -> Option<Vec<u64>>,
    implied: Option<(&str, &str)>,
) {
    let entries = match value.as_object_mut().and_then(|o| o.remove("items")) {
        Some(Value::Array(entries)) => entries,
        None | Some(Value::Null) => return,
        Some(other) => {
            objects.unreadable.push(Unreadable {
                origin: origin.clone(),
                reason: format!("a list whose items are a {}, not a list", json_type(&other)),
            });
            return;
        }
    };
    let lines = items().filter(|lines| lines.len() == entries.len());
    for (i, mut entry) in entries.into_iter().enumerate() {
        if let (Some((kind, api_version)), Some(fields)) = (implied, entry.as_object_mut()) {
            fields.entry("kind").or_insert_with(|| json!(kind));
            fields
                .entry("apiVersion")
                .or_insert_with(|| json!(api_version));
        }
        let at = Origin {
            file: origin.file.clone(),
            line: lines.as_ref().map_or(origin.line, |lines| lines[i]),
        };
        // A list inside a list is unpacked too; its items' lines are not known.
        add_value(objects, &at, entry, &|| None);
    }
}

/// Reads a document of a known kind at a version the audit can read.
fn read(
    objects: &mut Objects,
    origin: &Origin,
    kind: Kind,
    api_version: &str,
    reading: Reading,
    mut value: Value,
) {
    if let Reading::Older {
        convert, read_as, ..
    } = &reading
    {
        convert(&mut value);
        value["apiVersion"] = json!(read_as);
    }
    whole_numbers_as_integers(&mut value);
    let object = object_ref(kind.name(), &value);
    let read = match kind {
        Kind::Deployment => typed(value, &mut objects.deployments, origin),
        Kind::StatefulSet => typed(value, &mut objects.statefulsets, origin),
        Kind::ReplicaSet => typed(value, &mut objects.replicasets, origin),
        Kind::CronJob => typed(value, &mut objects.cronjobs, origin),
        Kind::HorizontalPodAutoscaler => typed(value, &mut objects.hpas, origin),
        Kind::PodDisruptionBudget => typed(value, &mut objects.pdbs, origin),
        Kind::Service => typed(value, &mut objects.services, origin),
        Kind::PersistentVolumeClaim => typed(value, &mut objects.pvcs, origin),
        Kind::Role => typed(value, &mut objects.roles, origin),
        Kind::ClusterRole => typed(value, &mut objects.cluster_roles, origin),
        Kind::RoleBinding => typed(value, &mut objects.role_bindings, origin),
        Kind::ClusterRoleBinding => typed(value, &mut objects.cluster_role_bindings, origin),
        Kind::ScaledObject => typed(value, &mut objects.scaled_objects, origin),
        Kind::ServiceMonitor => typed(value, &mut objects.service_monitors, origin),
        Kind::ConfigMap => typed(value, &mut objects.config_maps, origin),
        // Only the Services they call matter.
        Kind::ValidatingWebhookConfiguration => serde_json::from_value(value).map(|c| {
            let services = WebhookService::of_validating(&c);
            objects.webhook_services.extend(services);
        }),
        Kind::MutatingWebhookConfiguration => serde_json::from_value(value).map(|c| {
            let services = WebhookService::of_mutating(&c);
            objects.webhook_services.extend(services);
        }),
    };
    match (read, reading) {
        (Err(e), _) => objects.unreadable.push(Unreadable {
            origin: origin.clone(),
            reason: format!(
                "{} {:?} does not match the {} schema: {e}",
                object.kind,
                if object.name.is_empty() {
                    "<unnamed>"
                } else {
                    &object.name
                },
                object.kind
            ),
        }),
        (
            Ok(()),
            Reading::Older {
                read_as,
                removed_in: Some(removed_in),
                ..
            },
        ) => objects.removed_versions.push(RemovedVersion {
            object,
            origin: Some(origin.clone()),
            api_version: api_version.to_string(),
            read_as,
            removed_in,
        }),
        (Ok(()), _) => {}
    }
}

fn typed<T: DeserializeOwned>(
    value: Value,
    into: &mut Vec<Located<T>>,
    origin: &Origin,
) -> std::result::Result<(), serde_json::Error> {
    into.push(Located {
        object: serde_json::from_value(value)?,
        origin: Some(origin.clone()),
    });
    Ok(())
}

/// `kind/namespace/name` of a document, from its metadata as far as it has one.
fn object_ref(kind: &str, value: &Value) -> ObjectRef {
    let field = |key: &str| {
        value
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    reference(
        kind,
        &ObjectMeta {
            name: field("name"),
            namespace: field("namespace"),
            ..ObjectMeta::default()
        },
    )
}

/// kubectl turns YAML into JSON with Go's encoder, which writes a whole-number float as an
/// integer (`1e3`, `08` or `1.0` become 1000, 8 and 1), and decodes JSON numbers without a
/// fraction as integers: so a whole number reaches the API as an integer, whatever its
/// spelling. The same here, so that an integer field takes it.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.2e18
            {
                *value = json!(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// A file, or every .yaml/.yml/.json below a directory (sorted, symlinked directories not followed).
fn files_under(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::env(format!("cannot read {}: {}", path.display(), io_words(&e))))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            Error::env(format!(
                "cannot read directory {}: {}",
                dir.display(),
                io_words(&e)
            ))
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::env(format!(
                    "cannot read directory {}: {}",
                    dir.display(),
                    io_words(&e)
                ))
            })?;
            let file_type = entry.file_type().map_err(|e| {
                Error::env(format!(
                    "cannot read {}: {}",
                    entry.path().display(),
                    io_words(&e)
                ))
            })?;
            let p = entry.path();
            if file_type.is_dir() {
                pending.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use std::collections::BTreeMap;

    fn lines<T>(located: &[Located<T>]) -> Vec<u64> {
        located
            .iter()
            .map(|l| l.origin.as_ref().unwrap().line)
            .collect()
    }

    fn unreadable(objects: &Objects) -> Vec<(u64, &str)> {
        objects
            .unreadable
            .iter()
            .map(|u| (u.origin.line, u.reason.as_str()))
            .collect()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: {}, template: {}}\n";

    #[test]
    fn reads_multi_document_yaml_lists_and_skips_unknown_kinds() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: {}, template: {}}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: t}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(objects.deployments.len(), 1);
        assert_eq!(objects.count(), 3);
        assert_eq!(lines(&objects.deployments), vec![1]);
        // Each item of a list at its own line.
        assert_eq!(lines(&objects.services), vec![13, 16]);
        assert!(objects.unknown_versions.is_empty() && objects.unreadable.is_empty());
    }

    #[test]
    fn every_new_kind_is_read() {
        let text = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [update]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: sa}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}\n---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\nspec: {scaleTargetRef: {name: web}, minReplicaCount: 1, maxReplicaCount: 5}\n---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: sm}\nspec: {selector: {matchLabels: {app: web}}, endpoints: [{port: metrics}]}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(objects.pvcs.len(), 1);
        assert_eq!(objects.roles.len(), 1);
        assert_eq!(objects.cluster_roles.len(), 1);
        assert_eq!(objects.role_bindings.len(), 1);
        assert_eq!(objects.cluster_role_bindings.len(), 1);
        assert_eq!(
            objects.scaled_objects[0].object.spec.max_replica_count,
            Some(5)
        );
        assert_eq!(objects.service_monitors[0].object.spec.endpoints.len(), 1);
        assert_eq!(lines(&objects.service_monitors), vec![31]);
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    }

    #[test]
    fn config_maps_and_the_services_webhooks_call_are_read() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env}\ndata: {LEADER_ELECT: 'true'}\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\nwebhooks:\n- name: v.example.com\n  clientConfig: {service: {namespace: ops, name: hooks}}\n  admissionReviewVersions: [v1]\n  sideEffects: None\n- name: url.example.com\n  clientConfig: {url: 'https://example.com'}\n  admissionReviewVersions: [v1]\n  sideEffects: None\n---\napiVersion: admissionregistration.k8s.io/v1beta1\nkind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks:\n- name: m.example.com\n  clientConfig: {service: {namespace: ops, name: mutate}}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        assert_eq!(
            objects.config_maps[0].object.data.as_ref().unwrap()["LEADER_ELECT"],
            "true"
        );
        let called: Vec<(Option<&str>, &str)> = objects
            .webhook_services
            .iter()
            .map(|w| (w.namespace.as_deref(), w.name.as_str()))
            .collect();
        assert_eq!(
            called,
            vec![(Some("ops"), "hooks"), (Some("ops"), "mutate")]
        );
        assert_eq!(objects.removed_versions[0].removed_in, "1.22");
    }

    #[test]
    fn typed_lists_from_the_api_are_unpacked_and_their_items_take_the_lists_kind() {
        let text = r#"{"apiVersion":"policy/v1","kind":"PodDisruptionBudgetList","items":[{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"p"},"spec":{}},{"metadata":{"name":"q"},"spec":{}}]}"#;
        let objects = parse("x.json", text).unwrap();
        assert_eq!(objects.pdbs.len(), 2);
        assert_eq!(objects.pdbs[1].object.metadata.name.as_deref(), Some("q"));
    }

    #[test]
    fn other_lists_are_custom_kinds_and_skipped() {
        let text = "apiVersion: example.com/v1\nkind: AllowList\nitems: [a, b]\n---\napiVersion: example.com/v1\nkind: DenyList\nitems: {a: 1}\n---\n".to_string() + DEPLOYMENT;
        let objects = parse("x.yaml", &text).unwrap();
        assert_eq!(objects.deployments.len(), 1);
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        // A List at another version is said, not unpacked.
        let objects = parse("x.yaml", "apiVersion: v2\nkind: List\nitems: []\n").unwrap();
        assert_eq!(objects.unknown_versions[0].object.kind, "List");
        // A v1 List whose items are not objects: each item is unreadable, at its line.
        let objects = parse("x.yaml", "apiVersion: v1\nkind: List\nitems:\n- a\n- b\n").unwrap();
        assert_eq!(
            unreadable(&objects),
            vec![
                (
                    4,
                    "not a Kubernetes object (a string): expected a mapping with apiVersion and kind"
                ),
                (
                    5,
                    "not a Kubernetes object (a string): expected a mapping with apiVersion and kind"
                )
            ]
        );
    }

    #[test]
    fn json_lists_give_each_item_the_line_of_its_brace() {
        let objects = parse(
            "tests/fixtures/list.json",
            include_str!("../../tests/fixtures/list.json"),
        )
        .unwrap();
        assert_eq!(lines(&objects.deployments), vec![5]);
        assert_eq!(lines(&objects.pdbs), vec![15, 17]);
    }

    #[test]
    fn a_document_that_is_not_a_mapping_is_unreadable_and_the_rest_is_read() {
        let objects = parse(
            "x.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\njust some text\n",
        )
        .unwrap();
        assert_eq!(objects.services.len(), 1);
        assert_eq!(
            unreadable(&objects),
            vec![(
                5,
                "not a Kubernetes object (a string): expected a mapping with apiVersion and kind"
            )]
        );
        let objects = parse("x.yaml", "- a\n- b\n").unwrap();
        assert!(objects.unreadable[0].reason.contains("(a list)"));
    }

    #[test]
    fn reads_json_objects_and_streams_of_them() {
        let cron = r#"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},"spec":{"schedule":"* * * * *","jobTemplate":{}}}"#;
        assert_eq!(parse("x.json", cron).unwrap().cronjobs.len(), 1);
        // Concatenated, on one line or several, as kubectl reads them.
        let stream = format!("{cron}{cron}\n  {cron}\n\n{cron}");
        let objects = parse("x.json", &stream).unwrap();
        assert_eq!(lines(&objects.cronjobs), vec![1, 1, 2, 4]);
        // JSON documents of a YAML stream.
        let objects = parse(
            "x.yaml",
            &format!("{cron}\n---\n{cron}\n--- \n# c\n{cron}\n"),
        )
        .unwrap();
        assert_eq!(lines(&objects.cronjobs), vec![1, 3, 6]);
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
    }

    #[test]
    fn flow_style_yaml_that_starts_like_json_is_yaml() {
        let text = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: a},\n spec: {replicas: 0644, selector: {}, template: {}}}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(
            objects.deployments[0]
                .object
                .spec
                .as_ref()
                .unwrap()
                .replicas,
            Some(420)
        );
        // After JSON values, what is not JSON is still read, and its errors are at the file's
        // line and column.
        let text = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"}} {apiVersion: v1, kind: Service, metadata: {name: b}}\n";
        assert_eq!(parse("x.yaml", text).unwrap().services.len(), 2);
        let text = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"}}\n  {apiVersion: [}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(objects.services.len(), 1);
        assert_eq!(objects.unreadable[0].origin.line, 2);
        assert!(
            objects.unreadable[0]
                .reason
                .starts_with("invalid YAML at column 16: "),
            "{:?}",
            objects.unreadable
        );
        // A .json file that is not JSON is reported as JSON.
        let objects = parse("x.json", "{\"kind\": \"Service\",\n \"spec\": [}\n").unwrap();
        assert_eq!(
            unreadable(&objects),
            vec![(2, "invalid JSON at column 11: expected value")]
        );
    }

    #[test]
    fn a_syntax_error_loses_only_its_document() {
        let text = format!(
            "{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nspec: [unclosed\n---\n{DEPLOYMENT}"
        );
        let objects = parse("bad.yaml", &text).unwrap();
        assert_eq!(lines(&objects.deployments), vec![1, 10]);
        assert_eq!(
            unreadable(&objects),
            vec![(8, "invalid YAML at column 7: unclosed bracket '['")]
        );
        // A marker line ends the broken document, even inside a collection.
        let text = "kind: Service\nx: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(lines(&objects.services), vec![4]);
        assert_eq!(objects.unreadable.len(), 1);
    }

    #[test]
    fn the_partly_broken_fixture_loses_only_its_bad_documents() {
        let objects = parse(
            "partly-broken.yaml",
            include_str!("../../tests/fixtures/partly-broken.yaml"),
        )
        .unwrap();
        assert_eq!(lines(&objects.cronjobs), vec![3, 36]);
        let bad: Vec<(u64, String)> = objects
            .unreadable
            .iter()
            .map(|u| {
                (
                    u.origin.line,
                    u.reason.split(':').next().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            bad,
            vec![
                (18, "invalid YAML at column 15".to_string()),
                (
                    20,
                    "Deployment \"wrong\" does not match the Deployment schema".to_string()
                ),
                (26, "not a Kubernetes object (a string)".to_string()),
            ]
        );
        assert_eq!(
            objects.unknown_versions[0].object.to_string(),
            "Deployment/fixtures/future"
        );
        assert_eq!(
            objects.unknown_versions[0].origin.as_ref().unwrap().line,
            28
        );
        assert_eq!(objects.unknown_versions.len(), 1);
    }

    #[test]
    fn the_old_versions_fixture_is_read_with_the_defaults_of_each_version() {
        let objects = parse(
            "old-versions.yaml",
            include_str!("../../tests/fixtures/old-versions.yaml"),
        )
        .unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        let removed: Vec<(String, &str)> = objects
            .removed_versions
            .iter()
            .map(|r| (r.object.to_string(), r.api_version.as_str()))
            .collect();
        assert_eq!(
            removed,
            vec![
                ("Deployment/old/legacy".to_string(), "extensions/v1beta1"),
                (
                    "PodDisruptionBudget/old/legacy".to_string(),
                    "policy/v1beta1"
                ),
                (
                    "PodDisruptionBudget/old/empty".to_string(),
                    "policy/v1beta1"
                ),
                (
                    "HorizontalPodAutoscaler/old/legacy".to_string(),
                    "autoscaling/v2beta1"
                ),
                ("CronJob/old/legacy".to_string(), "batch/v1beta1"),
            ]
        );
        let spec = objects.deployments[0].object.spec.as_ref().unwrap();
        assert_eq!(
            spec.selector.match_labels.as_ref().unwrap()["app"],
            "legacy"
        );
        let rolling = spec
            .strategy
            .as_ref()
            .unwrap()
            .rolling_update
            .as_ref()
            .unwrap();
        assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));
        assert_eq!(lines(&objects.deployments), vec![6]);
    }

    #[test]
    fn wrong_types_lose_only_their_document() {
        let text = format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec: {{replicas: many}}\n---\n{DEPLOYMENT}"
        );
        let objects = parse("t.yaml", &text).unwrap();
        assert_eq!(lines(&objects.deployments), vec![7]);
        assert_eq!(objects.unreadable.len(), 1);
        assert_eq!(objects.unreadable[0].origin.line, 2);
        assert!(
            objects.unreadable[0]
                .reason
                .starts_with("Deployment \"a\" does not match the Deployment schema: "),
            "{:?}",
            objects.unreadable
        );
    }

    #[test]
    fn yaml_is_read_as_kubectl_reads_it() {
        // projectcontour's examples/render/contour.yaml has `defaultMode: 0644`.
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1e0\n  progressDeadlineSeconds: 0x258\n  revisionHistoryLimit: 1_0\n  selector: {}\n  template:\n    spec:\n      hostNetwork: yes\n      automountServiceAccountToken: off\n      terminationGracePeriodSeconds: 30.0\n      containers: []\n      volumes: [{name: v, secret: {defaultMode: 0644}}]\n";
        let objects = parse("x.yaml", text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        let spec = objects.deployments[0].object.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(1));
        assert_eq!(spec.progress_deadline_seconds, Some(600));
        assert_eq!(spec.revision_history_limit, Some(10));
        let pod = spec.template.spec.as_ref().unwrap();
        assert_eq!(pod.host_network, Some(true));
        assert_eq!(pod.automount_service_account_token, Some(false));
        assert_eq!(pod.termination_grace_period_seconds, Some(30));
        let volume = &pod.volumes.as_ref().unwrap()[0];
        assert_eq!(volume.secret.as_ref().unwrap().default_mode, Some(0o644));
    }

    #[test]
    fn older_versions_are_read_as_current_and_recorded() {
        let text = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c, namespace: ns}\nspec: {schedule: '* * * * *', jobTemplate: {}}\n---\napiVersion: batch/v2alpha1\nkind: CronJob\nmetadata: {name: d}\nspec: {schedule: '* * * * *', jobTemplate: {}}\n---\napiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: r}\n---\napiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3, metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        assert_eq!(objects.cronjobs.len(), 2);
        assert_eq!(objects.cluster_roles.len(), 1);
        assert_eq!(objects.hpas.len(), 1);
        let removed: Vec<(String, &str, &str, &str, u64)> = objects
            .removed_versions
            .iter()
            .map(|r| {
                (
                    r.object.to_string(),
                    r.api_version.as_str(),
                    r.read_as,
                    r.removed_in,
                    r.origin.as_ref().unwrap().line,
                )
            })
            .collect();
        assert_eq!(
            removed,
            vec![
                (
                    "CronJob/ns/c".to_string(),
                    "batch/v1beta1",
                    "batch/v1",
                    "1.25",
                    1
                ),
                (
                    "CronJob/default/d".to_string(),
                    "batch/v2alpha1",
                    "batch/v1",
                    "1.21",
                    6
                ),
                (
                    "ClusterRole/default/r".to_string(),
                    "rbac.authorization.k8s.io/v1beta1",
                    "rbac.authorization.k8s.io/v1",
                    "1.22",
                    11
                ),
                (
                    "HorizontalPodAutoscaler/default/h".to_string(),
                    "autoscaling/v2beta2",
                    "autoscaling/v2",
                    "1.26",
                    15
                ),
            ]
        );
    }

    #[test]
    fn old_hpas_keep_their_target_and_bounds() {
        let text = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}\nstatus: {currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 10}\n---\napiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata: {name: b}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: cpu, targetAverageUtilization: 80}\n  - type: Pods\n    pods: {metricName: qps, targetAverageValue: 10}\nstatus: {currentReplicas: 1, desiredReplicas: 1, currentMetrics: [{type: Resource, resource: {name: cpu, currentAverageUtilization: 3}}]}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        let v1 = objects.hpas[0].object.spec.as_ref().unwrap();
        assert_eq!(
            (
                v1.scale_target_ref.name.as_str(),
                v1.min_replicas,
                v1.max_replicas
            ),
            ("web", Some(2), 4)
        );
        let cpu = &v1.metrics.as_ref().unwrap()[0];
        assert_eq!(
            cpu.resource.as_ref().unwrap().target.average_utilization,
            Some(70)
        );
        let v2beta1 = objects.hpas[1].object.spec.as_ref().unwrap();
        assert_eq!(
            (v2beta1.scale_target_ref.name.as_str(), v2beta1.max_replicas),
            ("web", 5)
        );
        // autoscaling/v1 is still served: read as v2, not a removed version.
        let removed: Vec<&str> = objects
            .removed_versions
            .iter()
            .map(|r| r.api_version.as_str())
            .collect();
        assert_eq!(removed, vec!["autoscaling/v2beta1"]);
    }

    fn deployment_at(api_version: &str, spec: &str) -> Objects {
        let text = format!(
            "apiVersion: {api_version}\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  template:\n    metadata: {{labels: {{app: a}}}}\n    spec: {{containers: []}}\n{spec}"
        );
        let objects = parse("x.yaml", &text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        objects
    }

    #[test]
    fn old_deployments_get_the_defaults_of_their_version() {
        let objects = deployment_at("extensions/v1beta1", "");
        let d = &objects.deployments[0].object;
        let spec = d.spec.as_ref().unwrap();
        // The selector and the labels default to the template's labels.
        let app = BTreeMap::from([("app".to_string(), "a".to_string())]);
        assert_eq!(spec.selector.match_labels.as_ref(), Some(&app));
        assert_eq!(d.metadata.labels.as_ref(), Some(&app));
        // A rolling update of 1 and 1, not apps/v1's 25% and 25%.
        let strategy = spec.strategy.as_ref().unwrap();
        assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
        let rolling = strategy.rolling_update.as_ref().unwrap();
        assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));
        assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(1)));
        assert_eq!(spec.progress_deadline_seconds, Some(i32::MAX));
        assert_eq!(objects.removed_versions[0].removed_in, "1.16");
        // What is written stays.
        let objects = deployment_at(
            "extensions/v1beta1",
            "  selector: {matchLabels: {app: b}}\n  strategy: {rollingUpdate: {maxSurge: 0}}\n",
        );
        let spec = objects.deployments[0].object.spec.as_ref().unwrap();
        assert_eq!(spec.selector.match_labels.as_ref().unwrap()["app"], "b");
        let rolling = spec
            .strategy
            .as_ref()
            .unwrap()
            .rolling_update
            .as_ref()
            .unwrap();
        assert_eq!(
            (rolling.max_surge.clone(), rolling.max_unavailable.clone()),
            (Some(IntOrString::Int(0)), Some(IntOrString::Int(1)))
        );
        let objects = deployment_at("extensions/v1beta1", "  strategy: {type: Recreate}\n");
        let strategy = objects.deployments[0]
            .object
            .spec
            .as_ref()
            .unwrap()
            .strategy
            .clone()
            .unwrap();
        assert_eq!(
            (strategy.type_.as_deref(), strategy.rolling_update),
            (Some("Recreate"), None)
        );
        // apps/v1beta1: the selector defaults too; the rolling update is apps/v1's (left unset).
        let objects = deployment_at("apps/v1beta1", "");
        let spec = objects.deployments[0].object.spec.as_ref().unwrap();
        assert_eq!(spec.selector.match_labels.as_ref(), Some(&app));
        assert_eq!(spec.strategy, None);
        assert_eq!(spec.revision_history_limit, Some(2));
        // apps/v1beta2 has no such default, as apps/v1.
        let text = "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {metadata: {labels: {app: a}}}}\n";
        let objects = parse("x.yaml", text).unwrap();
        let spec = objects.deployments[0].object.spec.as_ref().unwrap();
        assert_eq!(spec.selector.match_labels, None);
    }

    #[test]
    fn old_statefulsets_and_replicasets() {
        let text = "apiVersion: apps/v1beta1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: s, template: {metadata: {labels: {app: s}}}}\n---\napiVersion: extensions/v1beta1\nkind: ReplicaSet\nmetadata: {name: r}\nspec: {template: {metadata: {labels: {app: r}}}}\n---\napiVersion: apps/v1beta2\nkind: StatefulSet\nmetadata: {name: t}\nspec: {serviceName: t, selector: {matchLabels: {app: t}}, template: {}}\n---\napiVersion: extensions/v1beta1\nkind: StatefulSet\nmetadata: {name: never}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
        let s = objects.statefulsets[0].object.spec.as_ref().unwrap();
        assert_eq!(s.selector.match_labels.as_ref().unwrap()["app"], "s");
        assert_eq!(
            s.update_strategy.as_ref().unwrap().type_.as_deref(),
            Some("OnDelete")
        );
        assert_eq!(objects.statefulsets.len(), 2);
        let r = objects.replicasets[0].object.spec.as_ref().unwrap();
        assert_eq!(r.selector.match_labels.as_ref().unwrap()["app"], "r");
        assert_eq!(objects.removed_versions.len(), 3);
        // extensions/v1beta1 never served StatefulSets.
        assert_eq!(
            objects.unknown_versions[0].api_version,
            "extensions/v1beta1"
        );
    }

    #[test]
    fn a_v1beta1_budget_with_an_empty_selector_selects_nothing() {
        let pdb = |api_version: &str, selector: &str| {
            let text = format!(
                "apiVersion: {api_version}\nkind: PodDisruptionBudget\nmetadata: {{name: p}}\nspec: {{minAvailable: 1{selector}}}\n"
            );
            let objects = parse("x.yaml", &text).unwrap();
            assert!(objects.unreadable.is_empty(), "{:?}", objects.unreadable);
            objects.pdbs[0].object.spec.clone().unwrap().selector
        };
        let labels = BTreeMap::from([("app".to_string(), "a".to_string())]);
        let selects = |selector: Option<LabelSelector>| {
            selector.is_some_and(|s| crate::audit::objects::selects(&s, &labels))
        };
        assert!(selects(pdb("policy/v1", ", selector: {}")));
        for empty in [
            ", selector: {}",
            ", selector: {matchLabels: {}}",
            ", selector: {matchExpressions: []}",
        ] {
            assert!(!selects(pdb("policy/v1beta1", empty)), "{empty}");
        }
        assert!(!selects(pdb("policy/v1beta1", "")));
        assert!(selects(pdb(
            "policy/v1beta1",
            ", selector: {matchLabels: {app: a}}"
        )));
        // The API server's own stand-in for "every pod" in policy/v1beta1.
        assert!(selects(pdb(
            "policy/v1beta1",
            ", selector: {matchExpressions: [{key: pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match, operator: DoesNotExist}]}"
        )));
    }

    #[test]
    fn a_kind_the_audit_reads_at_a_version_it_does_not_know_is_recorded() {
        let text = "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: a, namespace: ns}\n---\napiVersion: policy/v2\nkind: PodDisruptionBudget\nmetadata: {name: p}\n---\napiVersion: app/v1\nkind: Deployment\nmetadata: {name: typo}\n---\nkind: Service\nmetadata: {name: s}\n---\napiVersion: keda.sh/v1beta1\nkind: ScaledObject\nmetadata: {name: so}\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: knative}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: c}\n";
        let objects = parse("x.yaml", text).unwrap();
        let unknown: Vec<(String, &str, u64)> = objects
            .unknown_versions
            .iter()
            .map(|u| {
                (
                    u.object.to_string(),
                    u.api_version.as_str(),
                    u.origin.as_ref().unwrap().line,
                )
            })
            .collect();
        assert_eq!(
            unknown,
            vec![
                ("Deployment/ns/a".to_string(), "apps/v2", 1),
                ("PodDisruptionBudget/default/p".to_string(), "policy/v2", 5),
                ("Deployment/default/typo".to_string(), "app/v1", 9),
                ("Service/default/s".to_string(), "", 13),
                ("ScaledObject/default/so".to_string(), "keda.sh/v1beta1", 16),
            ]
        );
        assert_eq!(objects.count(), 0);
        assert!(objects.unreadable.is_empty());
    }

    #[test]
    fn documents_of_kinds_nobody_reads_are_skipped_unparsed() {
        // A broken CustomResourceDefinition costs nothing and says nothing; a broken document
        // whose kind cannot be told from its lines is reported.
        let text = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: [oops\n---\n{{kind: Secret, data: [oops}}\n---\n{DEPLOYMENT}"
        );
        let objects = parse("x.yaml", &text).unwrap();
        assert_eq!(lines(&objects.deployments), vec![7]);
        assert_eq!(objects.unreadable.len(), 1);
        assert_eq!(objects.unreadable[0].origin.line, 5);
    }

    #[test]
    fn empty_documents_are_not_counted_and_broken_ones_are() {
        let mut objects = Objects::default();
        assert_eq!(add(&mut objects, "x.yaml", "# nothing\n---\n---\n~\n"), 0);
        assert_eq!(add(&mut objects, "x.yaml", "\u{feff}kind: A\n---\n[\n"), 2);
        assert_eq!(add(&mut objects, "x.json", ""), 0);
    }

    #[test]
    fn whole_numbers_reach_integer_fields() {
        let mut value = json!({"a": 1.0, "b": [8.0, 0.5, -3.0], "c": 1e300, "d": 7});
        whole_numbers_as_integers(&mut value);
        assert_eq!(
            value,
            json!({"a": 1, "b": [8, 0.5, -3], "c": 1e300, "d": 7})
        );
        assert!(value["a"].is_i64());
    }

    #[test]
    fn json_item_lines_follow_the_items_array() {
        let text = "{\"kind\": \"List\", \"x\": [1,\n2], \"items\":\n [ {\"a\": \"]\\\"\"},\n\n  [1, 2], 3\n,\"s\"]}";
        assert_eq!(json_item_lines(text, 10), Some(vec![12, 14, 14, 15]));
        assert_eq!(json_item_lines("{\"items\": []}", 1), Some(vec![]));
        assert_eq!(json_item_lines("{\"kind\": \"A\"}", 1), None);
    }
}
