//! What one document becomes: a typed object of a kind the audit reads (older versions
//! converted and recorded), the items of a list, a record of an apiVersion the audit cannot read,
//! or a record of why it could not be read at all. Other kinds are skipped.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::versions::{Kind, Reading, reading};
use crate::audit::objects::{
    Located, Objects, Origin, RemovedVersion, UnknownVersion, Unreadable, WebhookService,
};
use crate::k8s::ObjectRef;

/// What one document (or one item of a list) becomes. `items` gives the lines of a list's items
/// when it is one (computed only then).
pub(super) fn add_value(
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
    ObjectRef::of(
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
pub(super) fn whole_numbers_as_integers(value: &mut Value) {
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
