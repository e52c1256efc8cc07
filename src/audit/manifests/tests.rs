use serde_json::json;

use super::decode::whole_numbers_as_integers;
use super::documents::{add, json_item_lines};
use super::*;
use crate::audit::objects::Located;

pub(super) fn lines<T>(located: &[Located<T>]) -> Vec<u64> {
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
        include_str!("../../../tests/fixtures/list.json"),
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
        include_str!("../../../tests/fixtures/partly-broken.yaml"),
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
