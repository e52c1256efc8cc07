use super::*;
use crate::audit::manifests;

/// (name, class, evidence) of every workload.
fn classes(yaml: &str) -> Vec<(String, Class, Vec<String>)> {
    let objects = manifests::parse("dir/test.yaml", yaml).unwrap();
    classify(&objects, false)
        .into_iter()
        .map(|j| {
            (
                j.workload.reference.name.clone(),
                j.class.class,
                j.class.evidence,
            )
        })
        .collect()
}

fn class_of(yaml: &str) -> Class {
    classes(yaml)[0].1
}

fn deployment(replicas: u8, extra_pod: &str, container: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, namespace: ns}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: app}}}}\n  template:\n    metadata: {{labels: {{app: app}}}}\n    spec:\n      serviceAccountName: app\n{extra_pod}      containers:\n      - name: c\n        image: x\n{container}"
    )
}

fn rbac(kind: &str, rules: &str) -> String {
    let binding = if kind == "Role" {
        "RoleBinding"
    } else {
        "ClusterRoleBinding"
    };
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: app, namespace: ns}}\nrules: {rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {binding}\nmetadata: {{name: app, namespace: ns}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: app}}\nsubjects: [{{kind: ServiceAccount, name: app, namespace: ns}}]\n"
    )
}

const WRITES_PODS: &str = "[{apiGroups: [''], resources: [pods], verbs: [get, list, delete]}]";
const READS_ONLY: &str = "[{apiGroups: ['*'], resources: ['*'], verbs: [get, list, watch]}]";
const LEASES: &str =
    "[{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}]";

#[test]
fn one_replica_alone_is_intent_unknown() {
    let c = &classes(&deployment(1, "", ""))[0];
    assert_eq!(c.1, Class::SingleReplica);
    assert_eq!(c.2[0], "replicas 1");
}

#[test]
fn the_annotation_decides_first() {
    let strict = deployment(1, "", "").replace(
        "metadata: {name: app, namespace: ns}",
        "metadata: {name: app, namespace: ns, annotations: {kubectl-singleton/mode: strict}}",
    );
    assert_eq!(class_of(&strict), Class::Strict);
    let none = strict.replace("mode: strict", "mode: none");
    assert_eq!(class_of(&none), Class::OptedOut);
}

#[test]
fn leader_election_flags_and_env_with_false_respected() {
    for (args, expected) in [
        ("        args: [--leader-elect]\n", Class::LeaderElected),
        (
            "        args: [--leader-elect=true]\n",
            Class::LeaderElected,
        ),
        (
            "        args: ['--election-id=ingress-nginx-leader']\n",
            Class::LeaderElected,
        ),
        (
            "        args: [--enable-leader-election]\n",
            Class::LeaderElected,
        ),
        (
            "        command: [sh, -c, 'exec manager --leader-elect --v=2']\n",
            Class::LeaderElected,
        ),
        (
            "        args: [--leader-elect=false]\n",
            Class::SingleReplica,
        ),
        (
            "        args: [--leader-election-namespace=x, --leader-elect=false]\n",
            Class::SingleReplica,
        ),
        (
            "        env: [{name: ENABLE_LEADER_ELECTION, value: 'true'}]\n",
            Class::LeaderElected,
        ),
        (
            "        env: [{name: LEADER_ELECT, value: 'false'}]\n",
            Class::SingleReplica,
        ),
        ("        args: [--elect-nothing]\n", Class::SingleReplica),
        // Negated switches: contour's flag, argo-workflows' variable.
        (
            "        args: [serve, --disable-leader-election]\n",
            Class::SingleReplica,
        ),
        (
            "        args: [--disable-leader-election=false]\n",
            Class::LeaderElected,
        ),
        (
            "        env: [{name: LEADER_ELECTION_DISABLE, value: 'true'}]\n",
            Class::SingleReplica,
        ),
        (
            "        env: [{name: DISABLE_LEADER_ELECTION, value: 'false'}]\n",
            Class::LeaderElected,
        ),
        (
            "        env: [{name: APPSET_ENABLE_LEADER_ELECTION, value: 'true'}]\n",
            Class::LeaderElected,
        ),
        ("        args: [-disable-ha]\n", Class::SingleReplica),
        // A setting taken from the downward API (argo-workflows) is configuration all the same.
        (
            "        env: [{name: LEADER_ELECTION_IDENTITY, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n",
            Class::LeaderElected,
        ),
        // A switch from a Secret the input does not show decides nothing.
        (
            "        env: [{name: LEADER_ELECT, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n",
            Class::SingleReplica,
        ),
        (
            "        args: [-disable-ha=false, --enable-ha]\n",
            Class::LeaderElected,
        ),
    ] {
        assert_eq!(class_of(&deployment(1, "", args)), expected, "{args}");
    }
}

#[test]
fn lease_rbac_is_leader_election_unless_a_flag_turns_it_off() {
    let with = format!("{}{}", deployment(1, "", ""), rbac("Role", LEASES));
    let c = &classes(&with)[0];
    assert_eq!(c.1, Class::LeaderElected);
    assert_eq!(c.2, vec!["ServiceAccount app may write leases (Role app)"]);
    let off = format!(
        "{}{}",
        deployment(1, "", "        args: [--leader-elect=false]\n"),
        rbac("ClusterRole", LEASES)
    );
    assert_eq!(class_of(&off), Class::SingleReplica);
}

#[test]
fn a_writer_without_leader_election_or_service_is_a_controller() {
    let c = &classes(&format!(
        "{}{}",
        deployment(1, "", ""),
        rbac("ClusterRole", WRITES_PODS)
    ))[0];
    assert_eq!(c.1, Class::Controller);
    assert_eq!(
        c.2,
        vec![
            "replicas 1",
            "ServiceAccount app may write pods (ClusterRole app) with no leader election"
        ]
    );
    // Read-only RBAC, or no API token at all: intent unknown.
    let reader = format!(
        "{}{}",
        deployment(1, "", ""),
        rbac("ClusterRole", READS_ONLY)
    );
    assert_eq!(class_of(&reader), Class::SingleReplica);
    let no_token = format!(
        "{}{}",
        deployment(1, "      automountServiceAccountToken: false\n", ""),
        rbac("ClusterRole", WRITES_PODS)
    );
    assert_eq!(class_of(&no_token), Class::SingleReplica);
}

#[test]
fn a_wildcard_write_names_the_api_groups_it_covers() {
    let evidence = |rules: &str| {
        let c = &classes(&format!(
            "{}{}",
            deployment(1, "", ""),
            rbac("ClusterRole", rules)
        ))[0];
        assert_eq!(c.1, Class::Controller);
        c.2[1].clone()
    };
    assert_eq!(
        evidence(
            "[{apiGroups: [crd.projectcalico.org], resources: ['*'], verbs: [create, update]}]"
        ),
        "ServiceAccount app may write every resource in API group crd.projectcalico.org (ClusterRole app) with no leader election"
    );
    assert_eq!(
        evidence("[{apiGroups: ['', apps], resources: ['*'], verbs: [patch]}]"),
        "ServiceAccount app may write every resource in API groups core, apps (ClusterRole app) with no leader election"
    );
    assert_eq!(
        evidence("[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]"),
        "ServiceAccount app may write every resource (ClusterRole app) with no leader election"
    );
}

fn service(ports: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata: {{name: app, namespace: ns, labels: {{svc: app}}}}\nspec: {{selector: {{app: app}}, ports: {ports}}}\n"
    )
}

#[test]
fn a_writer_serving_traffic_is_a_server_but_metrics_ports_are_not_traffic() {
    let server = format!(
        "{}{}{}",
        deployment(1, "", ""),
        rbac("Role", WRITES_PODS),
        service("[{name: http, port: 80}]")
    );
    let c = &classes(&server)[0];
    assert_eq!(c.1, Class::SingleReplica);
    assert!(
        c.2.contains(&"serves traffic through Service app (port http)".to_string()),
        "{:?}",
        c.2
    );
    let metrics = format!(
        "{}{}{}",
        deployment(1, "", ""),
        rbac("Role", WRITES_PODS),
        service("[{name: http-metrics, port: 8080}]")
    );
    assert_eq!(class_of(&metrics), Class::Controller);
    let monitored = format!(
        "{}{}{}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {{name: app, namespace: ns}}\nspec: {{selector: {{matchLabels: {{svc: app}}}}, endpoints: [{{port: https}}]}}\n",
        deployment(1, "", ""),
        rbac("Role", WRITES_PODS),
        service("[{name: https, port: 8443}]")
    );
    assert_eq!(class_of(&monitored), Class::Controller);
}

#[test]
fn read_write_once_claims_are_strict_and_autoscalers_scale() {
    let claim = |mode: &str| {
        format!(
            "{}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data, namespace: ns}}\nspec: {{accessModes: [{mode}]}}\n",
            deployment(
                1,
                "      volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n",
                ""
            )
        )
    };
    assert_eq!(class_of(&claim("ReadWriteOnce")), Class::Strict);
    assert_eq!(class_of(&claim("ReadWriteMany")), Class::SingleReplica);
    let hpa = format!(
        "{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h, namespace: ns}}\nspec: {{scaleTargetRef: {{kind: Deployment, name: app}}, minReplicas: 2, maxReplicas: 5}}\n",
        deployment(1, "", "")
    );
    let c = &classes(&hpa)[0];
    assert_eq!(c.1, Class::Scaled);
    assert_eq!(c.2[0], "scaled by HorizontalPodAutoscaler h/2–5 pods");
    assert_eq!(class_of(&deployment(3, "", "")), Class::Scaled);
}

#[test]
fn namespace_less_documents_match_only_within_their_directory() {
    let doc = deployment(1, "", "").replace("{name: app, namespace: ns}", "{name: app}");
    let rules = rbac("ClusterRole", WRITES_PODS).replace(", namespace: ns}", "}");
    let mut objects = manifests::parse("a/deploy.yaml", &doc).unwrap();
    objects.extend(manifests::parse("a/rbac.yaml", &rules).unwrap());
    assert_eq!(classify(&objects, false)[0].class.class, Class::Controller);
    let mut apart = manifests::parse("a/deploy.yaml", &doc).unwrap();
    apart.extend(
        manifests::parse(
            "b/rbac.yaml",
            &rules.replace("kind: ClusterRoleBinding", "kind: RoleBinding"),
        )
        .unwrap(),
    );
    assert_eq!(classify(&apart, false)[0].class.class, Class::SingleReplica);
}

#[test]
fn assume_singleton_is_the_strict_reading() {
    let objects = manifests::parse("t.yaml", &deployment(1, "", "")).unwrap();
    assert_eq!(classify(&objects, true)[0].class.class, Class::Strict);
}

#[test]
fn an_aggregated_cluster_role_holds_the_rules_of_the_roles_it_selects() {
    // kyverno's shape: the binding names a ClusterRole with only an aggregationRule; the writes
    // are in the ClusterRoles its selector picks.
    let aggregated = |picked_label: &str| {
        format!(
            "{}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: app}}\naggregationRule:\n  clusterRoleSelectors: [{{matchLabels: {{aggregate-to: app}}}}]\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: app-core, labels: {{aggregate-to: {picked_label}}}}}\nrules: {WRITES_PODS}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: app}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}}\nsubjects: [{{kind: ServiceAccount, name: app, namespace: ns}}]\n",
            deployment(1, "", "")
        )
    };
    let c = &classes(&aggregated("app"))[0];
    assert_eq!(c.1, Class::Controller);
    assert_eq!(
        c.2[1],
        "ServiceAccount app may write pods (ClusterRole app) with no leader election"
    );
    // A role the selector does not pick grants nothing through it.
    assert_eq!(class_of(&aggregated("other")), Class::SingleReplica);
    // An empty selector would pick every ClusterRole: no grant is inferred from it.
    let empty = aggregated("app").replace("[{matchLabels: {aggregate-to: app}}]", "[{}]");
    assert_eq!(class_of(&empty), Class::SingleReplica);
}

#[test]
fn env_from_a_config_map_in_the_input_is_read_for_leader_election() {
    // system-upgrade-controller's shape: the switch is a key of a ConfigMap loaded by envFrom.
    let with = |data: &str| {
        format!(
            "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: env, namespace: ns}}\ndata: {{{data}}}\n",
            deployment(1, "", "        envFrom: [{configMapRef: {name: env}}]\n")
        )
    };
    let on = &classes(&with("SUC_LEADER_ELECT: 'true'"))[0];
    assert_eq!(on.1, Class::LeaderElected);
    assert_eq!(
        on.2,
        vec!["env SUC_LEADER_ELECT=true (envFrom ConfigMap env)"]
    );
    // Off in the ConfigMap outweighs lease RBAC.
    let off = format!("{}{}", with("LEADER_ELECT: 'false'"), rbac("Role", LEASES));
    assert_eq!(class_of(&off), Class::SingleReplica);
    // A prefix is part of the name; a ConfigMap the input lacks says nothing.
    let prefixed = with("ELECT: 'true'").replace(
        "{configMapRef: {name: env}}",
        "{configMapRef: {name: env}, prefix: LEADER_}",
    );
    assert_eq!(class_of(&prefixed), Class::LeaderElected);
    let elsewhere = with("LEADER_ELECT: 'true'").replace("name: env}}]", "name: other}}]");
    assert_eq!(class_of(&elsewhere), Class::SingleReplica);
}
