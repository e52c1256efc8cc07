//! `release NAME`: hand a lease over without two leaders, or free an orphaned one. Every write
//! carries the resourceVersion that was read; a conflict means someone else changed the lock, so
//! it is re-read and re-decided, never overwritten.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::coordination::v1beta1::LeaseCandidate;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::{EvictParams, ListParams, PostParams};

use crate::cli::{LockKindArg, ReleaseArgs};
use crate::cluster::{self, Action, Cluster};
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::handover::{self, Plan, Request};
use crate::lease::{LEGACY_LOCK_ANNOTATION, LeaderLock, LockKind};
use crate::locks::{self, LockReport};

/// The lock object as read, kept whole so the write carries its resourceVersion.
#[derive(Clone)]
enum Object {
    Lease(Lease),
    ConfigMap(ConfigMap),
    Endpoints(Endpoints),
}

impl Object {
    fn meta(&self) -> &ObjectMeta {
        match self {
            Object::Lease(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Endpoints(o) => &o.metadata,
        }
    }

    fn kind(&self) -> LockKind {
        match self {
            Object::Lease(_) => LockKind::Lease,
            Object::ConfigMap(_) => LockKind::ConfigMap,
            Object::Endpoints(_) => LockKind::Endpoints,
        }
    }

    /// The holder this object names.
    fn holder(&self) -> Option<String> {
        let lock = match self {
            Object::Lease(l) => Some(LeaderLock::from_lease(l)),
            other => LeaderLock::from_legacy(other.kind(), other.meta()),
        };
        lock.and_then(|l| l.holder).filter(|h| !h.is_empty())
    }
}

/// A conflicting write is re-read and re-decided at most this often.
const CONFLICT_RETRIES: usize = 3;

pub async fn run(args: &ReleaseArgs, ctx: &Context, out: &mut impl Write) -> Result<()> {
    if ctx.global.all_namespaces {
        return Err(Error::usage(
            "release acts on one lock: use -n NAMESPACE, not -A",
        ));
    }
    let cluster = cluster::connect(&ctx.global).await?;
    let namespace = cluster.namespace(&ctx.global).to_string();
    let kind = match args.kind {
        LockKindArg::Lease => LockKind::Lease,
        LockKindArg::Configmap => LockKind::ConfigMap,
        LockKindArg::Endpoints => LockKind::Endpoints,
    };
    let request = Request {
        evict: args.evict,
        force: args.force,
        to: args.to.clone(),
        expect_holder: args.expect_holder.clone(),
        candidates: Vec::new(),
    };
    let started = Instant::now();
    for _ in 0..CONFLICT_RETRIES {
        let (object, lock) = read(&cluster, &namespace, &args.name, kind).await?;
        let (report, withheld) = locks::report(&cluster, lock).await?;
        // Judged as unmapped, which never frees a live lock without --force; say why.
        if let Some(notice) = withheld {
            crate::render::warn(&notice);
        }
        describe(&report, cluster.server_now(), out)?;
        let mut request = request.clone();
        if request.to.is_some()
            && report.lock.strategy.as_deref() == Some(handover::OLDEST_EMULATION_VERSION)
        {
            request.candidates = candidates(&cluster, &namespace, &args.name).await?;
        }
        let plan = handover::plan(&report, &request);
        let old_holder = report.lock.holder().unwrap_or_default().to_string();
        match &plan {
            Plan::Nothing(why) => {
                writeln!(out, "{why}")?;
                return Ok(());
            }
            Plan::Refuse(why) => return Err(Error::Refused(why.clone())),
            _ => {}
        }
        let planned = describe_plan(&plan, &object, &cluster)?;
        writeln!(out, "plan: {planned}")?;
        if args.dry_run {
            writeln!(out, "--dry-run: nothing changed")?;
            return Ok(());
        }
        confirm(args.yes, &planned)?;
        let freed_at = match apply(&cluster, &object, &plan, out).await {
            Ok(at) => at,
            Err(Error::Api { status: 409, .. }) => {
                writeln!(
                    out,
                    "the lock changed while we worked on it (409 Conflict): reading it again"
                )?;
                continue;
            }
            Err(err) => return Err(err),
        };
        if args.no_wait {
            return Ok(());
        }
        wait_for_new_leader(
            &cluster,
            &namespace,
            &args.name,
            kind,
            &old_holder,
            freed_at,
            started,
            args.wait,
            out,
        )
        .await?;
        return check_requested(&cluster, &namespace, &args.name, kind, args.to.as_deref()).await;
    }
    Err(Error::Refused(format!(
        "the lock kept changing under us ({CONFLICT_RETRIES} conflicts): nothing overwritten; try again"
    )))
}

async fn read(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    kind: LockKind,
) -> Result<(Object, LeaderLock)> {
    let action = |resource| Action {
        verb: "get",
        resource,
        namespace: Some(namespace),
        name: Some(name),
    };
    match kind {
        LockKind::Lease => {
            let lease = cluster
                .call(
                    cluster.api::<Lease>(Some(namespace)).get(name),
                    action("leases"),
                )
                .await?;
            let lock = LeaderLock::from_lease(&lease);
            Ok((Object::Lease(lease), lock))
        }
        LockKind::ConfigMap => {
            let cm = cluster
                .call(
                    cluster.api::<ConfigMap>(Some(namespace)).get(name),
                    action("configmaps"),
                )
                .await?;
            let lock = LeaderLock::from_legacy(kind, &cm.metadata)
                .ok_or_else(|| Error::env(format!("configmap {name:?} in namespace {namespace} carries no {LEGACY_LOCK_ANNOTATION} lock")))?;
            Ok((Object::ConfigMap(cm), lock))
        }
        LockKind::Endpoints => {
            let ep = cluster
                .call(
                    cluster.api::<Endpoints>(Some(namespace)).get(name),
                    action("endpoints"),
                )
                .await?;
            let lock = LeaderLock::from_legacy(kind, &ep.metadata)
                .ok_or_else(|| Error::env(format!("endpoints {name:?} in namespace {namespace} carry no {LEGACY_LOCK_ANNOTATION} lock")))?;
            Ok((Object::Endpoints(ep), lock))
        }
    }
}

/// The LeaseCandidates of one lease, as the API server's election weighs them.
async fn candidates(
    cluster: &Cluster,
    namespace: &str,
    lease: &str,
) -> Result<Vec<handover::Candidate>> {
    let action = Action {
        verb: "list",
        resource: "leasecandidates",
        namespace: Some(namespace),
        name: None,
    };
    let api = cluster.api::<LeaseCandidate>(Some(namespace));
    let items = cluster
        .list_all(&api, &ListParams::default(), action)
        .await?;
    Ok(items
        .into_iter()
        .filter_map(|c| {
            let spec = c.spec?;
            (spec.lease_name == lease).then(|| handover::Candidate {
                name: c.metadata.name.unwrap_or_default(),
                emulation_version: spec.emulation_version.unwrap_or_default(),
                binary_version: spec.binary_version,
                created: c
                    .metadata
                    .creation_timestamp
                    .map_or(Timestamp::MAX, |t| t.0),
            })
        })
        .collect())
}

fn describe(report: &LockReport, now: Timestamp, out: &mut impl Write) -> Result<()> {
    let lock = &report.lock;
    let expiry = match report.expiry {
        crate::lease::Expiry::Live { remaining } => {
            format!("expires in {}", crate::render::age(remaining))
        }
        crate::lease::Expiry::Expired { ago } => format!("expired {} ago", crate::render::age(ago)),
        crate::lease::Expiry::Released => "released".to_string(),
        crate::lease::Expiry::Unknown => "expiry unknown".to_string(),
    };
    let pod = match &report.holder_pod {
        Some(crate::lease::HolderPod::Found(p)) => format!(
            "pod {} ({})",
            p.name,
            if p.ready { "Ready" } else { "not Ready" }
        ),
        Some(crate::lease::HolderPod::Gone { pod, .. }) => format!("pod {pod} is gone"),
        Some(crate::lease::HolderPod::Unmapped) => "<unmapped>".to_string(),
        None => "-".to_string(),
    };
    writeln!(
        out,
        "{}/{}/{}: holder {}, {pod}, {expiry} (server time {}), state {}",
        lock.kind.resource(),
        lock.namespace,
        lock.name,
        lock.holder().unwrap_or("<none>"),
        now.strftime("%H:%M:%S"),
        report.state.as_str()
    )?;
    Ok(())
}

/// The record client-go's ReleaseOnCancel leaves: no holder, 1s duration, times now, transitions kept.
fn released(object: &Object, now: Timestamp, holder: &str) -> Result<Object> {
    let mut object = object.clone();
    match &mut object {
        Object::Lease(lease) => {
            let spec = lease.spec.get_or_insert_with(Default::default);
            spec.holder_identity = Some(holder.to_string());
            spec.lease_duration_seconds = Some(if holder.is_empty() {
                1
            } else {
                spec.lease_duration_seconds.unwrap_or(15)
            });
            spec.acquire_time = Some(MicroTime(now));
            spec.renew_time = Some(MicroTime(now));
        }
        Object::ConfigMap(ConfigMap { metadata, .. })
        | Object::Endpoints(Endpoints { metadata, .. }) => {
            let annotations = metadata.annotations.get_or_insert_with(Default::default);
            let mut record: serde_json::Value = annotations
                .get(LEGACY_LOCK_ANNOTATION)
                .and_then(|raw| serde_json::from_str(raw).ok())
                .unwrap_or_else(|| serde_json::json!({}));
            let stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            record["holderIdentity"] = serde_json::Value::from(holder);
            if holder.is_empty() {
                record["leaseDurationSeconds"] = serde_json::Value::from(1);
            }
            record["acquireTime"] = serde_json::Value::from(stamp.clone());
            record["renewTime"] = serde_json::Value::from(stamp);
            annotations.insert(LEGACY_LOCK_ANNOTATION.to_string(), record.to_string());
        }
    }
    Ok(object)
}

fn resource_version(object: &Object) -> String {
    object.meta().resource_version.clone().unwrap_or_default()
}

fn describe_plan(plan: &Plan, object: &Object, cluster: &Cluster) -> Result<String> {
    let rv = resource_version(object);
    let write = |holder: &str| -> Result<String> {
        let new = released(object, cluster.server_now(), holder)?;
        let shown = match &new {
            Object::Lease(l) => serde_json::to_string(&l.spec).unwrap_or_default(),
            Object::ConfigMap(ConfigMap { metadata, .. })
            | Object::Endpoints(Endpoints { metadata, .. }) => metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(LEGACY_LOCK_ANNOTATION))
                .cloned()
                .unwrap_or_default(),
        };
        Ok(format!("write {shown} if resourceVersion is still {rv}"))
    };
    Ok(match plan {
        Plan::Free(why) => format!("{why}; {}", write("")?),
        Plan::ForceFree(warning) => format!("FORCE: {warning}; {}", write("")?),
        Plan::Evict { namespace, pod } => format!(
            "evict pod {namespace}/{pod} (PodDisruptionBudgets respected), wait until it is gone, then free the lock if it still names the old holder (resourceVersion checked)"
        ),
        Plan::Prefer(to) => format!(
            "set spec.preferredHolder to {to} if resourceVersion is still {rv}; the coordinated leader yields to it"
        ),
        Plan::ForceHolder { holder, warning } => format!("FORCE: {warning}; {}", write(holder)?),
        Plan::Nothing(_) | Plan::Refuse(_) => String::new(),
    })
}

/// Mutations need a yes: typed on a terminal, or `-y` without one.
fn confirm(yes: bool, planned: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused(
            "not a terminal and no -y: nothing changed (add -y to confirm non-interactively)"
                .into(),
        ));
    }
    eprint!("{planned}\nProceed? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::env(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::Refused("not confirmed: nothing changed".into()))
    }
}

async fn write(cluster: &Cluster, object: &Object) -> Result<()> {
    let params = PostParams::default();
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    let name = object.meta().name.clone().unwrap_or_default();
    let action = |resource| Action {
        verb: "update",
        resource,
        namespace: Some(&namespace),
        name: Some(&name),
    };
    // replace (PUT) sends metadata.resourceVersion: the API server rejects it with 409 if the
    // lock changed since we read it.
    match object {
        Object::Lease(o) => cluster
            .call(
                cluster
                    .api::<Lease>(Some(&namespace))
                    .replace(&name, &params, o),
                action("leases"),
            )
            .await
            .map(drop),
        Object::ConfigMap(o) => cluster
            .call(
                cluster
                    .api::<ConfigMap>(Some(&namespace))
                    .replace(&name, &params, o),
                action("configmaps"),
            )
            .await
            .map(drop),
        Object::Endpoints(o) => cluster
            .call(
                cluster
                    .api::<Endpoints>(Some(&namespace))
                    .replace(&name, &params, o),
                action("endpoints"),
            )
            .await
            .map(drop),
    }
}

/// Carries out the plan; returns the server time from which "no leader" is counted.
async fn apply(
    cluster: &Cluster,
    object: &Object,
    plan: &Plan,
    out: &mut impl Write,
) -> Result<Timestamp> {
    match plan {
        Plan::Free(_) => {
            write(cluster, &released(object, cluster.server_now(), "")?).await?;
            writeln!(out, "freed the lock")?;
        }
        Plan::ForceFree(warning) => {
            crate::render::warn(warning);
            write(cluster, &released(object, cluster.server_now(), "")?).await?;
            writeln!(out, "freed the lock (forced)")?;
        }
        Plan::ForceHolder { holder, warning } => {
            crate::render::warn(warning);
            write(cluster, &released(object, cluster.server_now(), holder)?).await?;
            writeln!(out, "wrote {holder} as holder (forced)")?;
        }
        Plan::Prefer(to) => {
            let Object::Lease(lease) = object else {
                return Err(Error::Refused(
                    "preferredHolder exists only on Leases".into(),
                ));
            };
            let mut lease = lease.clone();
            lease
                .spec
                .get_or_insert_with(Default::default)
                .preferred_holder = Some(to.clone());
            write(cluster, &Object::Lease(lease)).await?;
            writeln!(out, "set preferredHolder to {to}")?;
        }
        Plan::Evict { namespace, pod } => {
            evict(cluster, namespace, pod).await?;
            writeln!(
                out,
                "evicted pod {namespace}/{pod}; waiting for it to be gone"
            )?;
            wait_pod_gone(cluster, namespace, pod).await?;
            writeln!(out, "pod {namespace}/{pod} is gone")?;
            let freed_at = cluster.server_now();
            // Free the lock if the evicted leader did not release it on its way out.
            let meta = object.meta();
            let (namespace, name) = (
                meta.namespace.as_deref().unwrap_or_default(),
                meta.name.as_deref().unwrap_or_default(),
            );
            let (current, lock) = read(cluster, namespace, name, object.kind()).await?;
            if object.holder().is_some() && lock.holder() == object.holder().as_deref() {
                write(cluster, &released(&current, cluster.server_now(), "")?).await?;
                writeln!(out, "freed the lock it still held")?;
            }
            return Ok(freed_at);
        }
        Plan::Nothing(_) | Plan::Refuse(_) => {}
    }
    Ok(cluster.server_now())
}

async fn evict(cluster: &Cluster, namespace: &str, pod: &str) -> Result<()> {
    let pods: Api<Pod> = cluster.api(Some(namespace));
    let action = Action {
        verb: "create",
        resource: "pods/eviction",
        namespace: Some(namespace),
        name: Some(pod),
    };
    match cluster
        .call(pods.evict(pod, &EvictParams::default()), action)
        .await
    {
        Ok(_) => Ok(()),
        Err(Error::Api { status: 429, .. }) => {
            let names = match covering_pdbs(cluster, namespace, pod).await {
                Ok(blocking) if !blocking.is_empty() => {
                    format!("PodDisruptionBudget {}", blocking.join(", "))
                }
                Ok(_) => "a PodDisruptionBudget".to_string(),
                Err(err) => format!("a PodDisruptionBudget (which one is not known: {err})"),
            };
            Err(Error::Refused(format!(
                "eviction of pod {namespace}/{pod} blocked by {names} (it allows no disruption now): nothing changed"
            )))
        }
        // The Eviction API answers 500 when several budgets select the pod: not a server fault
        // to retry, a configuration it refuses to judge.
        Err(err @ Error::Api { status: 500, .. }) => {
            match covering_pdbs(cluster, namespace, pod).await {
                Ok(budgets) if budgets.len() > 1 => Err(Error::Refused(format!(
                    "eviction of pod {namespace}/{pod} refused: it is selected by more than one PodDisruptionBudget ({}), which the Eviction API does not support; make one budget cover it (kubectl singleton audit explain pdb-overlap): nothing changed",
                    budgets.join(", ")
                ))),
                _ => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

async fn covering_pdbs(cluster: &Cluster, namespace: &str, pod: &str) -> Result<Vec<String>> {
    let action = Action {
        verb: "get",
        resource: "pods",
        namespace: Some(namespace),
        name: Some(pod),
    };
    let pod = cluster
        .call(cluster.api::<Pod>(Some(namespace)).get(pod), action)
        .await?;
    let labels = pod.metadata.labels.unwrap_or_default();
    let action = Action {
        verb: "list",
        resource: "poddisruptionbudgets",
        namespace: Some(namespace),
        name: None,
    };
    let pdbs = cluster
        .list_all(
            &cluster.api::<PodDisruptionBudget>(Some(namespace)),
            &ListParams::default(),
            action,
        )
        .await?;
    Ok(pdbs
        .into_iter()
        .filter(|p| {
            p.spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| crate::audit::objects::selects(s, &labels))
        })
        .filter_map(|p| p.metadata.name)
        .collect())
}

async fn wait_pod_gone(cluster: &Cluster, namespace: &str, pod: &str) -> Result<()> {
    let pods: Api<Pod> = cluster.api(Some(namespace));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let action = Action {
            verb: "get",
            resource: "pods",
            namespace: Some(namespace),
            name: Some(pod),
        };
        if cluster.call(pods.get_opt(pod), action).await?.is_none() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::Refused(format!(
                "pod {namespace}/{pod} is still terminating after 5m"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `--to` asked for a particular leader; a coordinated election may still pick another one by
/// its strategy, and then the user must hear it.
async fn check_requested(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    kind: LockKind,
    to: Option<&str>,
) -> Result<()> {
    let Some(to) = to else { return Ok(()) };
    let (_, lock) = read(cluster, namespace, name, kind).await?;
    match lock.holder() {
        Some(holder) if holder == to => Ok(()),
        holder => Err(Error::Refused(format!(
            "the lock went to {}, not the requested {to}: a coordinated election picks by its strategy ({}); preferredHolder only ends the current term",
            holder.unwrap_or("nobody"),
            lock.strategy.as_deref().unwrap_or("none")
        ))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn wait_for_new_leader(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    kind: LockKind,
    old_holder: &str,
    freed_at: Timestamp,
    started: Instant,
    limit: Duration,
    out: &mut impl Write,
) -> Result<()> {
    let deadline = started + limit;
    loop {
        let (_, lock) = read(cluster, namespace, name, kind).await?;
        if let Some(new) = lock.holder().filter(|h| *h != old_holder) {
            let gap = lock
                .acquire_time
                .map(|t| t.duration_since(freed_at).max(jiff::SignedDuration::ZERO));
            let gap = gap.map_or(String::new(), |g| {
                format!(" (no leader for {:.1}s)", g.as_secs_f64())
            });
            writeln!(
                out,
                "new leader {new} after {:.1}s{gap}",
                started.elapsed().as_secs_f64()
            )?;
            return Ok(());
        }
        if Instant::now() >= deadline {
            let holder = lock.holder().unwrap_or("<none>").to_string();
            return Err(Error::Refused(format!(
                "no new leader within {} (holder now: {holder}); the lock stays as it is",
                crate::duration::human(limit)
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
