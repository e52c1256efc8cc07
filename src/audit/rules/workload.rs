//! The rules over each workload: how it rolls out, its replicas, its grace period, what its
//! autoscaler may do, and the Service a StatefulSet names.

use std::collections::HashMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{DECLARE, Finding, finding, running_twice_severity};
use crate::audit::catalog::{RuleId, Severity};
use crate::audit::classify::{Class, Judged};
use crate::audit::objects::{Objects, Origin, scope};
use crate::audit::pdb;
use crate::k8s::{MODE_ANNOTATION, Mode, ObjectRef};

pub(super) fn rollout_surge(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    if w.reference.kind != "Deployment" {
        return;
    }
    let Some(severity) = running_twice_severity(j, Severity::Error) else {
        return;
    };
    let strategy = w.strategy.and_then(|s| s.type_.as_deref());
    if strategy.is_some_and(|t| t != "RollingUpdate") {
        // Recreate, or a type the API server would refuse: nothing surges.
        return;
    }
    let surge_value = w
        .strategy
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.max_surge.clone())
        .unwrap_or(IntOrString::String("25%".into()));
    let surge = pdb::scaled_up(&surge_value, w.replicas.max(1)).unwrap_or(1);
    if surge < 1 {
        return;
    }
    let shown = match &surge_value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => format!("{s} (= {surge})"),
    };
    let consequence = match &j.class.exclusive_claim {
        Some(claim) => format!(
            "a second pod starts during every rollout and shares ReadWriteOnce claim {claim} (or waits on Multi-Attach on another node)"
        ),
        None => "a second pod runs during every rollout".to_string(),
    };
    let fix = match (severity, j.class.class) {
        (Severity::Info, Class::LeaderElected) => {
            "if its leader election is off, turn it on, or set spec.strategy.type: Recreate; if it is on, annotate kubectl-singleton/mode: leader-election"
        }
        (Severity::Info, _) => DECLARE,
        _ => "set spec.strategy.type: Recreate",
    };
    out.push(
        finding(
            RuleId::RolloutSurge,
            w.reference.clone(),
            w.origin,
            format!(
                "replicas {} with RollingUpdate maxSurge {shown}: {consequence}",
                w.replicas
            ),
            fix,
        )
        .because(j.class.evidence.iter().cloned())
        .at(severity),
    );
}

pub(super) fn replicas_not_one(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    if w.mode == Mode::Strict && w.replicas != 1 {
        out.push(
            finding(
                RuleId::ReplicasNotOne,
                w.reference.clone(),
                w.origin,
                format!(
                    "annotated {MODE_ANNOTATION}: strict but asks for {} replicas",
                    w.replicas
                ),
                "set spec.replicas: 1",
            )
            .because([format!("replicas {}", w.replicas)]),
        );
    }
}

pub(super) fn leader_no_standby(j: &Judged<'_>, out: &mut Vec<Finding>) {
    if j.class.class == Class::LeaderElected && j.class.pods.min < 2 {
        let w = &j.workload;
        // An autoscaler overwrites spec.replicas: its minimum is what to raise.
        let fix = match &j.class.autoscaler {
            Some((scaler, _)) if scaler.kind == "ScaledObject" => {
                format!("set minReplicaCount: 2 or more on {scaler}")
            }
            Some((scaler, _)) => format!("set minReplicas: 2 or more on {scaler}"),
            None => "set spec.replicas: 2 or more".to_string(),
        };
        out.push(
            finding(
                RuleId::LeaderNoStandby,
                w.reference.clone(),
                w.origin,
                format!(
                    "leader-elected with {}: no standby, failover waits for a new pod",
                    j.class.pods
                ),
                &fix,
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

pub(super) fn grace_period_zero(j: &Judged<'_>, out: &mut Vec<Finding>) {
    let w = &j.workload;
    let grace = w
        .pod_spec()
        .and_then(|s| s.termination_grace_period_seconds);
    // A lease to release or work to finish: declared or leader-elected singletons. An inferred
    // controller reconciles from the cluster state again wherever it was stopped.
    let stateful = matches!(j.class.class, Class::Strict | Class::LeaderElected);
    if stateful && grace == Some(0) {
        out.push(
            finding(
                RuleId::GracePeriodZero,
                w.reference.clone(),
                w.origin,
                "terminationGracePeriodSeconds: 0 kills it without a chance to release its lease or finish work".into(),
                "set terminationGracePeriodSeconds to 30 or more",
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

pub(super) fn hpa_scales_singleton(
    objects: &Objects,
    judged: &[Judged<'_>],
    out: &mut Vec<Finding>,
) {
    let autoscalers = objects
        .hpas
        .iter()
        .map(|h| {
            (
                ObjectRef::of("HorizontalPodAutoscaler", &h.object.metadata),
                h.origin.as_ref(),
            )
        })
        .chain(objects.scaled_objects.iter().map(|s| {
            (
                ObjectRef::of("ScaledObject", &s.object.metadata),
                s.origin.as_ref(),
            )
        }));
    let origins: HashMap<ObjectRef, Option<&Origin>> = autoscalers.collect();
    for j in judged {
        let Some((autoscaler, range)) = &j.class.autoscaler else {
            continue;
        };
        if !j.class.class.must_not_run_twice() || range.max <= 1 {
            continue;
        }
        out.push(
            finding(
                RuleId::HpaScalesSingleton,
                autoscaler.clone(),
                origins.get(autoscaler).copied().flatten(),
                format!(
                    "scales {} {}, which must never run twice, to {}",
                    j.class.class.as_str(),
                    j.workload.reference,
                    range
                ),
                "delete the autoscaler or set maxReplicas: 1",
            )
            .because(j.class.evidence.iter().cloned()),
        );
    }
}

pub(super) fn statefulset_service(objects: &Objects, out: &mut Vec<Finding>) {
    for s in &objects.statefulsets {
        let sts = ObjectRef::of("StatefulSet", &s.object.metadata);
        let sts_scope = scope(&s.object.metadata, s.origin.as_ref());
        let Some(service_name) = s
            .object
            .spec
            .as_ref()
            .and_then(|sp| sp.service_name.as_deref())
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        let in_namespace: Vec<_> = objects
            .services
            .iter()
            .filter(|svc| scope(&svc.object.metadata, svc.origin.as_ref()) == sts_scope)
            .collect();
        // Only judge what we can see: a bundle without any Service in this namespace may ship it elsewhere.
        if in_namespace.is_empty() && !objects.services_complete {
            continue;
        }
        let named = in_namespace
            .iter()
            .find(|svc| svc.object.metadata.name.as_deref() == Some(service_name));
        let headless = named.is_some_and(|svc| {
            svc.object
                .spec
                .as_ref()
                .and_then(|sp| sp.cluster_ip.as_deref())
                == Some("None")
        });
        if !headless {
            let why = if named.is_some() {
                "is not headless (clusterIP: None)"
            } else {
                "does not exist"
            };
            out.push(
                finding(
                    RuleId::StatefulsetService,
                    sts,
                    s.origin.as_ref(),
                    format!("serviceName {service_name:?} {why}: its pods get no stable DNS names"),
                    "create a headless Service (clusterIP: None) with that name",
                )
                .because([
                    format!("serviceName {service_name}"),
                    format!("Service {service_name} {why}"),
                ]),
            );
        }
    }
}
