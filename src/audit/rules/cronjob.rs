//! The rules over CronJobs: runs that may overlap, and no deadline for a missed run.

use super::{Finding, finding};
use crate::audit::catalog::{RuleId, Severity};
use crate::audit::objects::Objects;
use crate::k8s::{MODE_ANNOTATION, Mode, ObjectRef};

pub(super) fn cronjob_rules(objects: &Objects, out: &mut Vec<Finding>) {
    for c in &objects.cronjobs {
        let meta = &c.object.metadata;
        let Some(spec) = c.object.spec.as_ref() else {
            continue;
        };
        let template_mode = spec
            .job_template
            .spec
            .as_ref()
            .and_then(|j| j.template.metadata.as_ref())
            .map_or(Mode::Unspecified, |m| Mode::of(m.annotations.as_ref()));
        let mode = match Mode::of(meta.annotations.as_ref()) {
            Mode::Unspecified => template_mode,
            mode => mode,
        };
        if mode == Mode::None {
            continue;
        }
        let reference = ObjectRef::of("CronJob", meta);
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        if policy == "Allow" {
            let declared = if spec.concurrency_policy.is_some() {
                "concurrencyPolicy: Allow".to_string()
            } else {
                "concurrencyPolicy unset (Allow)".to_string()
            };
            let (severity, evidence, fix) = if mode == Mode::Strict {
                (
                    Severity::Warning,
                    vec![format!("annotated {MODE_ANNOTATION}: strict"), declared],
                    "set spec.concurrencyPolicy: Forbid",
                )
            } else {
                (
                    Severity::Info,
                    vec![
                        declared,
                        "no evidence that runs must not overlap".to_string(),
                    ],
                    "if runs must not overlap, set spec.concurrencyPolicy: Forbid (and annotate kubectl-singleton/mode: strict); if they may, annotate kubectl-singleton/mode: none",
                )
            };
            out.push(
                finding(
                    RuleId::CronjobConcurrency,
                    reference.clone(),
                    c.origin.as_ref(),
                    "a run that outlasts its interval overlaps the next".into(),
                    fix,
                )
                .because(evidence)
                .at(severity),
            );
        }
        if spec.starting_deadline_seconds.is_none() {
            out.push(
                finding(
                    RuleId::CronjobNoDeadline,
                    reference,
                    c.origin.as_ref(),
                    "no startingDeadlineSeconds: missed runs may start late, or stop scheduling after 100 misses".into(),
                    "set spec.startingDeadlineSeconds (e.g. 300)",
                )
                .because(["startingDeadlineSeconds unset".to_string()]),
            );
        }
    }
}
