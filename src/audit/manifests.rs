//! Offline input: files, directories (walked for .yaml/.yml/.json) and stdin, holding
//! multi-document YAML, JSON, `kind: List`, Helm-template or kustomize-build output. Known kinds
//! become typed objects; unknown kinds (CRDs included) are skipped.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::audit::objects::{Located, Objects, Origin};
use crate::error::{Error, Result, io_words};

/// The most one file (or stdin) may hold: far more than any real set of manifests, far less than
/// would exhaust memory (`-f /dev/zero` would otherwise read until killed).
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads every path (`-` = stdin) into one set of objects. Inputs that hold no document at all
/// (empty files, an empty directory, stdin closed at once) are an error: an audit of nothing
/// must not pass a CI gate by accident.
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
        let count = add(&mut objects, &name, &text)?;
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

/// Parses one text (YAML or JSON) into objects; `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<Objects> {
    let mut objects = Objects::default();
    add(&mut objects, name, text)?;
    Ok(objects)
}

/// Adds the documents of one text; returns how many documents it held.
fn add(objects: &mut Objects, name: &str, text: &str) -> Result<usize> {
    let documents = if name.ends_with(".json") || text.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::env(format!(
                "{name}:{}:{}: invalid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        vec![(1, value)]
    } else {
        crate::yaml::documents(text).map_err(|e| {
            Error::env(format!(
                "{name}:{}:{}: invalid YAML: {}",
                e.line, e.column, e.message
            ))
        })?
    };
    let count = documents.len();
    for (line, doc) in documents {
        add_value(
            objects,
            &Origin {
                file: name.to_string(),
                line,
            },
            doc,
        )?;
    }
    Ok(count)
}

fn add_value(objects: &mut Objects, origin: &Origin, value: Value) -> Result<()> {
    if !value.is_object() {
        return Err(Error::env(format!(
            "{}:{}: not a Kubernetes object (a {}): expected a mapping with apiVersion and kind",
            origin.file,
            origin.line,
            json_type(&value)
        )));
    }
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match (api_version.as_str(), kind.as_str()) {
        // `kind: List` from kubectl, `<Kind>List` straight from the API.
        (_, list) if list.ends_with("List") => {
            if let Value::Object(mut fields) = value
                && let Some(Value::Array(items)) = fields.remove("items")
            {
                for item in items {
                    add_value(objects, origin, item)?;
                }
            }
        }
        ("apps/v1", "Deployment") => objects.deployments.push(typed(origin, &kind, value)?),
        ("apps/v1", "StatefulSet") => objects.statefulsets.push(typed(origin, &kind, value)?),
        ("apps/v1", "ReplicaSet") => objects.replicasets.push(typed(origin, &kind, value)?),
        ("batch/v1", "CronJob") => objects.cronjobs.push(typed(origin, &kind, value)?),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            objects.hpas.push(typed(origin, &kind, value)?)
        }
        ("policy/v1", "PodDisruptionBudget") => objects.pdbs.push(typed(origin, &kind, value)?),
        ("v1", "Service") => objects.services.push(typed(origin, &kind, value)?),
        // Anything else (ConfigMaps, CRDs, custom resources) has no singleton rule.
        _ => {}
    }
    Ok(())
}

fn typed<T: DeserializeOwned>(origin: &Origin, kind: &str, value: Value) -> Result<Located<T>> {
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
    let object = serde_json::from_value(value).map_err(|e| {
        Error::env(format!(
            "{}:{}: {kind} {name:?} does not match the {kind} schema: {e}",
            origin.file, origin.line
        ))
    })?;
    Ok(Located {
        object,
        origin: Some(origin.clone()),
    })
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

    #[test]
    fn reads_multi_document_yaml_lists_and_skips_unknown_kinds() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: {}, template: {}}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n";
        let objects = parse("x.yaml", text).unwrap();
        assert_eq!(objects.deployments.len(), 1);
        assert_eq!(objects.services.len(), 1);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects.deployments[0].origin.as_ref().unwrap().line, 1);
    }

    #[test]
    fn typed_lists_from_the_api_are_unpacked() {
        let text = r#"{"apiVersion":"policy/v1","kind":"PodDisruptionBudgetList","items":[{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"p"},"spec":{}}]}"#;
        assert_eq!(parse("x.json", text).unwrap().pdbs.len(), 1);
    }

    #[test]
    fn a_document_that_is_not_a_mapping_is_an_error() {
        let err = parse("x.yaml", "kind: Service\n---\njust some text\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.yaml:3: not a Kubernetes object (a string)"),
            "{err}"
        );
        let err = parse("x.yaml", "- a\n- b\n").unwrap_err().to_string();
        assert!(err.contains("(a list)"), "{err}");
    }

    #[test]
    fn reads_json() {
        let objects = parse("x.json", r#"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},"spec":{"schedule":"* * * * *","jobTemplate":{}}}"#).unwrap();
        assert_eq!(objects.cronjobs.len(), 1);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse("bad.yaml", "kind: A\nspec: [unclosed\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.yaml:"), "{err}");
        assert!(err.contains("invalid YAML"), "{err}");
        let wrong = parse("t.yaml", "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: many}\n")
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("t.yaml:") && wrong.contains("Deployment \"a\" does not match"),
            "{wrong}"
        );
    }
}
