//! Whether a lease's holder may renew it, asked of the API server: one SubjectAccessReview per
//! lease whose holder pod exists but stopped renewing (a lease being renewed proves the right
//! to update it, so live leases cost no request). Feeds `lease-rbac-denied`.

use futures::StreamExt;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Pod;
use kube::api::PostParams;

use crate::audit::elections::DeniedUpdate;
use crate::error::Result;
use crate::k8s::ObjectRef;
use crate::kube::{Action, Cluster};
use crate::lock::holder::HolderPod;
use crate::lock::model::{LockKind, LockReport, State};

/// Reviews in flight at once: as many as holder lookups (`lock::read`), each one small POST.
const CONCURRENCY: usize = 32;

/// One lease to ask about: its holder pod's ServiceAccount.
struct Question {
    lease: ObjectRef,
    pod: String,
    workload: Option<crate::k8s::WorkloadRef>,
    service_account: String,
}

/// The leases whose holder pod exists but stopped renewing, with that pod's ServiceAccount.
fn questions(locks: &[LockReport], pods: &[Pod]) -> Vec<Question> {
    locks
        .iter()
        .filter(|r| r.lock.kind == LockKind::Lease && r.state == State::Expired)
        .filter_map(|r| {
            let Some(HolderPod::Found(holder)) = &r.holder_pod else {
                return None;
            };
            let pod = pods.iter().find(|p| {
                p.metadata.namespace.as_deref() == Some(holder.namespace.as_str())
                    && p.metadata.name.as_deref() == Some(holder.name.as_str())
            })?;
            let service_account = pod
                .spec
                .as_ref()
                .and_then(|s| s.service_account_name.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".to_string());
            Some(Question {
                lease: ObjectRef {
                    kind: "Lease".to_string(),
                    namespace: r.lock.namespace.clone(),
                    name: r.lock.name.clone(),
                },
                pod: holder.name.clone(),
                workload: holder.workload.clone(),
                service_account,
            })
        })
        .collect()
}

fn review(q: &Question) -> SubjectAccessReview {
    let ns = &q.lease.namespace;
    SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(format!("system:serviceaccount:{ns}:{}", q.service_account)),
            groups: Some(vec![
                "system:serviceaccounts".to_string(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".to_string(),
            ]),
            resource_attributes: Some(ResourceAttributes {
                verb: Some("update".to_string()),
                group: Some("coordination.k8s.io".to_string()),
                resource: Some("leases".to_string()),
                namespace: Some(ns.clone()),
                name: Some(q.lease.name.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The leases whose holder may not update them, and a notice when the audit itself may not ask.
pub async fn denied_updates(
    cluster: &Cluster,
    locks: &[LockReport],
    pods: &[Pod],
) -> Result<(Vec<DeniedUpdate>, Option<String>)> {
    let asked = questions(locks, pods);
    if asked.is_empty() {
        return Ok((Vec::new(), None));
    }
    let api = cluster.cluster_api::<SubjectAccessReview>();
    let answers: Vec<Result<(Question, SubjectAccessReview)>> = futures::stream::iter(asked)
        .map(|q| {
            let api = api.clone();
            async move {
                let sar = review(&q);
                let answer = cluster
                    .call(
                        api.create(&PostParams::default(), &sar),
                        Action::create("subjectaccessreviews", None),
                    )
                    .await?;
                Ok((q, answer))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut denied = Vec::new();
    for answer in answers {
        let (q, review) = match answer {
            Ok(found) => found,
            Err(err) if err.is_withheld() => {
                return Ok((
                    Vec::new(),
                    Some(format!("rule lease-rbac-denied skipped: {err}")),
                ));
            }
            Err(err) => return Err(err),
        };
        let Some(status) = review.status else {
            continue;
        };
        // Denied outright or merely not allowed: either way the update fails.
        if !status.allowed {
            denied.push(DeniedUpdate {
                lease: q.lease,
                pod: q.pod,
                workload: q.workload,
                service_account: q.service_account,
                reason: status
                    .reason
                    .filter(|r| !r.is_empty())
                    .or(status.evaluation_error.filter(|e| !e.is_empty())),
            });
        }
    }
    denied.sort_by(|a, b| a.lease.cmp(&b.lease));
    Ok((denied, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::holder::PodSummary;
    use crate::lock::model::{Expiry, LeaderLock};
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn report(state: State, pod: &str) -> LockReport {
        LockReport {
            lock: LeaderLock::sample("ns", "lock", Some(pod)),
            expiry: Expiry::Unknown,
            holder_pod: Some(HolderPod::Found(PodSummary {
                namespace: "ns".into(),
                name: pod.into(),
                ready: true,
                ..Default::default()
            })),
            state,
            candidates: vec![],
        }
    }

    #[test]
    fn only_leases_their_live_holder_stopped_renewing_are_asked_about() {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("web-1".into()),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                service_account_name: Some("web".into()),
                ..Default::default()
            }),
            status: None,
        };
        let pods = [pod];
        let asked = questions(
            &[
                report(State::Held, "web-1"),
                report(State::Expired, "web-1"),
                report(State::Expired, "other"),
            ],
            &pods,
        );
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].service_account, "web");
        let sar = review(&asked[0]);
        let attrs = sar.spec.resource_attributes.unwrap();
        assert_eq!(
            sar.spec.user.as_deref(),
            Some("system:serviceaccount:ns:web")
        );
        assert_eq!(
            (attrs.verb.as_deref(), attrs.name.as_deref()),
            (Some("update"), Some("lock"))
        );
    }
}
