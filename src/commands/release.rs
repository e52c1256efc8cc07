//! `release NAME`: hand a lease over without two leaders, or free an orphaned one. Every write
//! carries the resourceVersion that was read; a conflict means someone else changed the lock, so
//! it is re-read and re-decided, never overwritten.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::cli::{LockKindArg, ReleaseArgs};
use crate::error::{Error, Result};
use crate::kube::{self, Cluster};
use crate::lock::handover::{self, Plan, Request, Step};
use crate::lock::model::{LockKind, LockReport};
use crate::lock::read;
use crate::lock::store::{self, LockAddress, LockObject, Waited};
use crate::options::Options;
use crate::render::{ExpiryText, HolderPodText, Palette};
use progress::Progress;

mod pause;
mod progress;

/// A conflicting write is re-read and re-decided at most this often.
const CONFLICT_RETRIES: usize = 3;

pub async fn run(args: &ReleaseArgs, options: &Options, out: &mut impl Write) -> Result<()> {
    let given = options
        .namespaces
        .one("release acts on one lock: use -n NAMESPACE, not -A")?;
    let cluster = kube::connect(&options.cluster).await?;
    let at = LockAddress {
        kind: match args.kind {
            LockKindArg::Lease => LockKind::Lease,
            LockKindArg::Configmap => LockKind::ConfigMap,
            LockKindArg::Endpoints => LockKind::Endpoints,
        },
        namespace: cluster.namespace(given),
        name: args.name.clone(),
    };
    let progress = Progress::new(&at);
    let outcome = {
        let work = std::pin::pin!(release(args, options, &cluster, &at, &progress, out));
        progress::interruptible(work, &progress).await
    };
    outcome.map_err(|err| progress.explain(err))
}

/// Reads, decides, confirms and carries out the release, re-deciding after a conflict.
async fn release(
    args: &ReleaseArgs,
    options: &Options,
    cluster: &Cluster,
    at: &LockAddress,
    progress: &Progress,
    out: &mut impl Write,
) -> Result<()> {
    let request = Request {
        evict: args.evict,
        force: args.force,
        to: args.to.clone(),
        expect_holder: args.expect_holder.clone(),
        candidates: Vec::new(),
    };
    let started = Instant::now();
    for _ in 0..CONFLICT_RETRIES {
        let (object, lock) = store::read(cluster, at).await?;
        let (report, withheld) = read::report(cluster, lock).await?;
        // Judged as unmapped, which never frees a live lock without --force; say why.
        if let Some(notice) = withheld {
            options.palette.warn(&notice);
        }
        writeln!(out, "{}", describe(&report, cluster.server_now()))?;
        let mut request = request.clone();
        if let (Some(_), Some(strategy)) = (&request.to, &report.lock.strategy) {
            request.candidates = match read::candidates_of(cluster, &at.namespace, &at.name).await {
                Ok(found) => found,
                // A third party's strategy may run where LeaseCandidates are not served.
                Err(err)
                    if err.is_not_found() && strategy != handover::OLDEST_EMULATION_VERSION =>
                {
                    Vec::new()
                }
                Err(err) => return Err(err),
            };
        }
        let old_holder = report.lock.holder().unwrap_or_default().to_string();
        let step = match handover::plan(&report, &request) {
            Plan::Nothing(why) => {
                writeln!(out, "{why}")?;
                return Ok(());
            }
            Plan::Refuse(why) => return Err(Error::Refused(why)),
            Plan::Act(step) => step,
        };
        let planned = describe_step(&step, &object, cluster.server_now());
        writeln!(out, "plan: {planned}")?;
        if args.dry_run {
            writeln!(out, "--dry-run: nothing changed")?;
            return Ok(());
        }
        confirm(args.yes, &planned).await?;
        let freed_at = match apply(
            cluster,
            &object,
            &step,
            started + args.wait,
            progress,
            options.palette,
            out,
        )
        .await
        {
            Ok(at) => at,
            Err(err) if err.is_conflict() => {
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
        progress.next(&match &args.to {
            Some(to) => format!("waiting for {to} to take the lock"),
            None => "waiting for a new leader".to_string(),
        });
        let waited =
            store::wait_for_new_holder(cluster, at, &old_holder, started + args.wait).await?;
        report_new_leader(waited, freed_at, started, args.wait, out)?;
        return check_requested(cluster, at, args.to.as_deref()).await;
    }
    Err(Error::Refused(format!(
        "the lock kept changing under us ({CONFLICT_RETRIES} conflicts): nothing overwritten; try again"
    )))
}

/// One line: the lock, its holder and holder pod, its expiry by the server's clock, its state.
fn describe(report: &LockReport, now: Timestamp) -> String {
    let lock = &report.lock;
    format!(
        "{}/{}/{}: holder {}, {}, {} (server time {}), state {}",
        lock.kind.resource(),
        lock.namespace,
        lock.name,
        lock.holder().unwrap_or("<none>"),
        HolderPodText(report.holder_pod.as_ref()).sentence(),
        ExpiryText(report.expiry).sentence(),
        now.strftime("%H:%M:%S"),
        report.state.as_str()
    )
}

/// The step in words, with the exact write and the resourceVersion that guards it.
fn describe_step(step: &Step, object: &LockObject, now: Timestamp) -> String {
    let rv = object.resource_version();
    let write = |holder: &str| {
        format!(
            "write {} if resourceVersion is still {rv}",
            object.with_holder(now, holder).record()
        )
    };
    match step {
        Step::Free(why) => format!("{why}; {}", write("")),
        Step::ForceFree(warning) => format!("FORCE: {warning}; {}", write("")),
        Step::Evict { namespace, pod } => format!(
            "evict pod {namespace}/{pod} (PodDisruptionBudgets respected), wait until it is gone, then free the lock if it still names the old holder (resourceVersion checked)"
        ),
        Step::Prefer(to) => format!(
            "set spec.preferredHolder to {to} if resourceVersion is still {rv}; the coordinated leader yields to it"
        ),
        Step::ForceHolder { holder, warning } => format!("FORCE: {warning}; {}", write(holder)),
    }
}

/// Mutations need a yes: typed on a terminal, or `-y` without one. The answer is read on its
/// own thread so that Ctrl-C at the prompt is seen (and exits 130 with nothing changed).
async fn confirm(yes: bool, planned: &str) -> Result<()> {
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
    let (tx, rx) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let read = std::io::stdin().read_line(&mut answer).map(|_| answer);
        let _ = tx.send(read);
    });
    let answer = rx
        .await
        .map_err(|_| Error::env("cannot read the answer"))?
        .map_err(|e| Error::env(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::Refused("not confirmed: nothing changed".into()))
    }
}

/// Carries out the step; returns the server time from which "no leader" is counted. Each
/// write is marked on `progress` while it is on the wire and recorded once answered.
async fn apply(
    cluster: &Cluster,
    object: &LockObject,
    step: &Step,
    deadline: Instant,
    progress: &Progress,
    palette: Palette,
    out: &mut impl Write,
) -> Result<Timestamp> {
    let rv = object.resource_version();
    if !matches!(step, Step::Evict { .. }) {
        pause::at(pause::BEFORE_WRITE).await;
    }
    match step {
        Step::Free(_) | Step::ForceFree(_) => {
            if let Step::ForceFree(warning) = step {
                palette.warn(warning);
            }
            progress
                .write(
                    &format!("free the lock (resourceVersion {rv})"),
                    store::write(cluster, &object.with_holder(cluster.server_now(), "")),
                )
                .await?;
            progress.done("freed the lock");
            writeln!(out, "freed the lock")?;
        }
        Step::ForceHolder { holder, warning } => {
            palette.warn(warning);
            progress
                .write(
                    &format!("write {holder} as holder (resourceVersion {rv})"),
                    store::write(cluster, &object.with_holder(cluster.server_now(), holder)),
                )
                .await?;
            progress.done(&format!("wrote {holder} as holder"));
            writeln!(out, "wrote {holder} as holder (forced)")?;
        }
        Step::Prefer(to) => {
            let preferring = object
                .with_preferred_holder(to)
                .ok_or_else(|| Error::Refused("preferredHolder exists only on Leases".into()))?;
            progress
                .write(
                    &format!("set preferredHolder to {to} (resourceVersion {rv})"),
                    store::write(cluster, &preferring),
                )
                .await?;
            progress.done(&format!("set preferredHolder to {to}"));
            writeln!(out, "set preferredHolder to {to}")?;
        }
        Step::Evict { namespace, pod } => {
            progress
                .write(
                    &format!("evict pod {namespace}/{pod}"),
                    store::evict(cluster, namespace, pod),
                )
                .await?;
            progress.done(&format!("evicted pod {namespace}/{pod}"));
            pause::at(pause::AFTER_EVICTION).await;
            progress.next(&format!(
                "waiting for pod {namespace}/{pod} to be gone, then freeing the lock if it still names it"
            ));
            writeln!(
                out,
                "evicted pod {namespace}/{pod}; waiting for it to be gone"
            )?;
            if !store::wait_pod_gone(cluster, namespace, pod, deadline).await? {
                // --wait bounds the whole release, this wait included (a grace period may be
                // longer): the lock is left as it is, still naming the evicted pod.
                return Err(Error::Refused(format!(
                    "pod {namespace}/{pod} was evicted but is still terminating after --wait (its grace period may be longer): the lock is left as it is; raise --wait, or once the pod is gone run `kubectl singleton release {} -n {}`",
                    object.address().name,
                    object.address().namespace
                )));
            }
            progress.done(&format!("pod {namespace}/{pod} is gone"));
            progress.next("freeing the lock if it still names the evicted pod");
            writeln!(out, "pod {namespace}/{pod} is gone")?;
            let freed_at = cluster.server_now();
            free_after_eviction(cluster, &object.address(), object, progress, out).await?;
            return Ok(freed_at);
        }
    }
    Ok(cluster.server_now())
}

/// After the eviction, frees the lock if the evicted leader did not release it on its way out:
/// read again, and written only if it still names the evicted holder, guarded by the
/// resourceVersion just read. A 409 here means someone wrote the lock after that read (the old
/// leader releasing it, or a standby taking it): there is nothing left to free, and the release
/// must not plan again — a new plan would see the new leader and, with --evict, evict it too.
async fn free_after_eviction(
    cluster: &Cluster,
    at: &LockAddress,
    evicted: &LockObject,
    progress: &Progress,
    out: &mut impl Write,
) -> Result<()> {
    let (current, lock) = store::read(cluster, at).await?;
    let Some(old) = evicted.holder() else {
        return Ok(());
    };
    if lock.holder() != Some(old.as_str()) {
        return Ok(());
    }
    pause::at(pause::FREE_AFTER_EVICTION).await;
    let written = progress
        .write(
            &format!(
                "free the lock if it still names the evicted pod (resourceVersion {})",
                current.resource_version()
            ),
            store::write(cluster, &current.with_holder(cluster.server_now(), "")),
        )
        .await;
    match written {
        Ok(()) => {
            progress.done("freed the lock it still held");
            writeln!(out, "freed the lock it still held")?;
        }
        Err(err) if err.is_conflict() => {
            progress.done("left the lock to whoever changed it after the eviction");
            writeln!(
                out,
                "the lock changed after the eviction (409 Conflict): someone else wrote it, so there is nothing to free"
            )?;
        }
        Err(err) => return Err(err),
    }
    Ok(())
}

/// Says who took over and how long there was no leader, or refuses when nobody did in time.
fn report_new_leader(
    waited: Waited,
    freed_at: Timestamp,
    started: Instant,
    limit: Duration,
    out: &mut impl Write,
) -> Result<()> {
    match waited {
        Waited::Taken(lock) => {
            let gap = lock
                .acquire_time
                .map(|t| t.duration_since(freed_at).max(jiff::SignedDuration::ZERO));
            let gap = gap.map_or(String::new(), |g| {
                format!(" (no leader for {:.1}s)", g.as_secs_f64())
            });
            writeln!(
                out,
                "new leader {} after {:.1}s{gap}",
                lock.holder().unwrap_or_default(),
                started.elapsed().as_secs_f64()
            )?;
            Ok(())
        }
        Waited::TimedOut(lock) => Err(Error::Refused(format!(
            "no new leader within {} (holder now: {}); the lock stays as it is",
            crate::duration::human(limit),
            lock.holder().unwrap_or("<none>")
        ))),
    }
}

/// `--to` asked for a particular leader; a coordinated election may still pick another one by
/// its strategy, and then the user must hear it.
async fn check_requested(cluster: &Cluster, at: &LockAddress, to: Option<&str>) -> Result<()> {
    let Some(to) = to else { return Ok(()) };
    let (_, lock) = store::read(cluster, at).await?;
    match lock.holder() {
        Some(holder) if holder == to => Ok(()),
        holder => Err(Error::Refused(format!(
            "the lock went to {}, not the requested {to}: a coordinated election picks by its strategy ({}); preferredHolder only ends the current term",
            holder.unwrap_or("nobody"),
            lock.strategy.as_deref().unwrap_or("none")
        ))),
    }
}
