//! The audit reads manifests exactly as the real kubectl does: YAML 1.1 scalars (octal `0644`,
//! `yes`/`off`, `1_000`, hexadecimal, whole-number floats in integer fields), flow style that
//! starts like JSON, JSON documents in a YAML stream, and concatenated JSON. Each fixture goes
//! through `kubectl create --dry-run=client -o json` (what kubectl would send, before any
//! defaulting by the server) and through the audit's loader; every object must come out the
//! same, field for field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubectl_singleton::audit::manifests;
use serde_json::Value;

use crate::harness::{cluster, stderr, stdout};

fn fixture(name: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// `kind/name` → object, for comparing two readings whatever their order.
fn by_name(objects: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .map(|o| {
            let key = format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            );
            (key, o)
        })
        .collect()
}

/// Every object the real kubectl reads from a file.
fn kubectl_reads(path: &Path) -> BTreeMap<String, Value> {
    let out = cluster().kubectl(&[
        "create",
        "--dry-run=client",
        "-o",
        "json",
        "-f",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "kubectl: {}", stderr(&out));
    let text = stdout(&out);
    let objects: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("kubectl printed no JSON stream ({e}): {text}"));
    by_name(objects)
}

/// Every object the audit reads from the same file, written back as JSON.
fn audit_reads(path: &Path, text: &str) -> BTreeMap<String, Value> {
    let objects = manifests::parse(&path.display().to_string(), text).unwrap();
    assert!(
        objects.unreadable.is_empty() && objects.unknown_versions.is_empty(),
        "{:?} {:?}",
        objects.unreadable,
        objects.unknown_versions
    );
    fn json(object: &impl serde::Serialize) -> Value {
        serde_json::to_value(object).unwrap()
    }
    by_name(
        objects
            .deployments
            .iter()
            .map(|d| json(&d.object))
            .chain(objects.pdbs.iter().map(|p| json(&p.object)))
            .chain(objects.services.iter().map(|s| json(&s.object))),
    )
}

/// The leaves where two values differ, as `path: ours != kubectl's`.
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                differences(
                    &format!("{path}.{key}"),
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if ours != theirs => out.push(format!("{path}: ours {ours} != kubectl's {theirs}")),
        _ => {}
    }
}

fn assert_read_alike(name: &str, expected_objects: usize) -> BTreeMap<String, Value> {
    let (path, text) = fixture(name);
    let theirs = kubectl_reads(&path);
    let ours = audit_reads(&path, &text);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{name}: not the same objects"
    );
    assert_eq!(ours.len(), expected_objects, "{name}");
    let mut diffs = Vec::new();
    for (key, object) in &ours {
        differences(key, object, &theirs[key], &mut diffs);
    }
    assert!(
        diffs.is_empty(),
        "{name} is read unlike kubectl:\n{}",
        diffs.join("\n")
    );
    ours
}

#[test]
fn yaml_1_1_scalars_and_flow_style_are_read_as_kubectl_reads_them() {
    let ours = assert_read_alike("yaml11.yaml", 3);
    // The forms the fixture is about, spelled out (kubectl's values, which ours equal).
    let d = &ours["Deployment/yaml11"];
    let pod = &d["spec"]["template"]["spec"];
    for (field, value) in [
        (&d["spec"]["replicas"], Value::from(1)),
        (&d["spec"]["progressDeadlineSeconds"], Value::from(600)),
        (&d["spec"]["revisionHistoryLimit"], Value::from(10)),
        (&d["spec"]["minReadySeconds"], Value::from(8)),
        (&d["spec"]["paused"], Value::from(false)),
        (&pod["hostNetwork"], Value::from(true)),
        (&pod["automountServiceAccountToken"], Value::from(false)),
        (&pod["terminationGracePeriodSeconds"], Value::from(30)),
        (&pod["activeDeadlineSeconds"], Value::from(8)),
        (
            &pod["volumes"][0]["configMap"]["defaultMode"],
            Value::from(0o644),
        ),
        (
            &pod["volumes"][1]["secret"]["defaultMode"],
            Value::from(0o600),
        ),
        (
            &pod["containers"][0]["ports"][0]["containerPort"],
            Value::from(80),
        ),
        (
            &d["metadata"]["annotations"]["sexagesimal"],
            Value::from("1:30"),
        ),
        (
            &d["metadata"]["annotations"]["quoted-octal"],
            Value::from("0644"),
        ),
    ] {
        assert_eq!(*field, value);
    }
    assert_eq!(
        ours["PodDisruptionBudget/yaml11"]["spec"]["minAvailable"],
        Value::from(1)
    );
}

#[test]
fn concatenated_json_is_read_as_kubectl_reads_it() {
    let ours = assert_read_alike("json-stream.json", 3);
    assert_eq!(
        ours["Service/c"]["spec"]["ports"][0]["port"],
        Value::from(80)
    );
}
