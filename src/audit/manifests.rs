//! Offline input: files, directories (walked for .yaml/.yml/.json) and stdin, holding
//! multi-document YAML, JSON, `kind: List`, Helm-template or kustomize-build output. Known kinds
//! become typed objects; unknown kinds (CRDs included) are skipped.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::audit::objects::{Located, Objects, Origin};
use crate::error::{Error, Result};

/// Reads every path (`-` = stdin) into one set of objects.
pub fn load(paths: &[PathBuf]) -> Result<Objects> {
    let mut objects = Objects::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::env(format!("cannot read stdin: {e}")))?;
            add(&mut objects, "<stdin>", &text)?;
            continue;
        }
        for file in files_under(path)? {
            let text = std::fs::read(&file)
                .map_err(|e| Error::env(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(text).map_err(|_| {
                Error::env(format!(
                    "{}: not a text file (invalid UTF-8)",
                    file.display()
                ))
            })?;
            add(&mut objects, &file.display().to_string(), &text)?;
        }
    }
    Ok(objects)
}

/// Parses one text (YAML or JSON) into objects; `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<Objects> {
    let mut objects = Objects::default();
    add(&mut objects, name, text)?;
    Ok(objects)
}

fn add(objects: &mut Objects, name: &str, text: &str) -> Result<()> {
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
    Ok(())
}

fn add_value(objects: &mut Objects, origin: &Origin, value: Value) -> Result<()> {
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
        (_, "List") | (_, "DeploymentList") | (_, "StatefulSetList") => {
            if let Some(Value::Array(items)) = value.get("items") {
                for item in items.clone() {
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
            let entry = entry
                .map_err(|e| Error::env(format!("cannot read directory {}: {e}", dir.display())))?;
            let file_type = entry
                .file_type()
                .map_err(|e| Error::env(format!("cannot read {}: {e}", entry.path().display())))?;
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

fn io_words(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => err.to_string(),
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
