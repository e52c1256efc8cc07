//! `scaffold KIND NAME --image IMG`: correct manifests for a singleton, on stdout or as files.

use std::io::Write;
use std::path::Path;

use crate::cli::{OutputFormat, ScaffoldArgs};
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::scaffold::{self, Generated, Pattern, Spec};

pub fn run(args: &ScaffoldArgs, ctx: &Context, out: &mut impl Write) -> Result<()> {
    let spec = validate(args, ctx)?;
    let objects = scaffold::build(&spec);
    let json = match ctx.global.output.unwrap_or(OutputFormat::Yaml) {
        OutputFormat::Yaml => false,
        OutputFormat::Json => true,
        other => {
            return Err(Error::usage(format!(
                "scaffold cannot print -o {}: use -o yaml or json",
                other.as_str()
            )));
        }
    };
    match &args.out_dir {
        None => out.write_all(render(&objects, spec.pattern, json)?.as_bytes())?,
        Some(dir) => write_files(dir, &objects, spec.pattern, json, args.force, out)?,
    }
    Ok(())
}

fn validate(args: &ScaffoldArgs, ctx: &Context) -> Result<Spec> {
    scaffold::check_name(&args.name).map_err(Error::usage)?;
    scaffold::check_image(&args.image).map_err(Error::usage)?;
    if ctx.global.all_namespaces {
        return Err(Error::usage(
            "scaffold writes into one namespace: use -n NAMESPACE, not -A",
        ));
    }
    let namespace = ctx
        .global
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    scaffold::check_name(&namespace).map_err(|e| Error::usage(e.replace("NAME", "namespace")))?;
    let only = |flag: &str, pattern: &str| {
        Error::usage(format!("{flag} applies only to scaffold {pattern}"))
    };
    if args.schedule.is_some() && args.kind != Pattern::Cronjob {
        return Err(only("--schedule", "cronjob"));
    }
    if args.storage.is_some() && args.kind != Pattern::Statefulset {
        return Err(only("--storage", "statefulset"));
    }
    let le_flags = args.replicas.is_some()
        || args.lease_duration.is_some()
        || args.renew_deadline.is_some()
        || args.retry_period.is_some();
    if le_flags && args.kind != Pattern::LeaderElection {
        return Err(only(
            "--replicas/--lease-duration/--renew-deadline/--retry-period",
            "leader-election",
        ));
    }
    if args.kind == Pattern::Cronjob {
        let schedule = args.schedule.as_deref().ok_or_else(|| {
            Error::usage("scaffold cronjob needs --schedule \"CRON\" (e.g. \"0 3 * * *\")")
        })?;
        scaffold::check_schedule(schedule).map_err(Error::usage)?;
        // Jobs are named <cronjob>-<timestamp>: the CronJob name must leave room for it.
        if args.name.len() > 52 {
            return Err(Error::usage(format!(
                "a CronJob name may be at most 52 characters ({} given)",
                args.name.len()
            )));
        }
    }
    if let Some(size) = &args.storage {
        scaffold::check_quantity(size).map_err(Error::usage)?;
    }
    if args.port == Some(0) {
        return Err(Error::usage("--port must be between 1 and 65535"));
    }
    if args.grace_period < 1 {
        return Err(Error::usage(
            "--grace-period must be at least 1 second: a singleton needs time to release its lease",
        ));
    }
    let replicas = args.replicas.unwrap_or(2);
    if args.kind == Pattern::LeaderElection && replicas < 2 {
        return Err(Error::usage(
            "leader-election needs --replicas of 2 or more: a standby is the point (and its PDB must allow drains)",
        ));
    }
    let seconds = |d: Option<std::time::Duration>, default: u64| {
        d.unwrap_or(std::time::Duration::from_secs(default))
    };
    let (lease, renew, retry) = (
        seconds(args.lease_duration, 15),
        seconds(args.renew_deadline, 10),
        seconds(args.retry_period, 2),
    );
    scaffold::check_timings(lease, renew, retry).map_err(Error::usage)?;
    Ok(Spec {
        pattern: args.kind,
        name: args.name.clone(),
        namespace,
        image: args.image.clone(),
        port: args.port,
        grace_period: args.grace_period,
        storage: args.storage.clone(),
        schedule: args.schedule.clone(),
        replicas,
        lease_duration: lease,
        renew_deadline: renew,
        retry_period: retry,
    })
}

fn yaml_doc(object: &Generated) -> Result<String> {
    crate::yaml::to_string(&object.value).map_err(Error::env)
}

/// All objects as one multi-document YAML (with the pattern's explanation on top) or a JSON List.
fn render(objects: &[Generated], pattern: Pattern, json: bool) -> Result<String> {
    if json {
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": objects.iter().map(|o| o.value.clone()).collect::<Vec<_>>(),
        });
        return serde_json::to_string_pretty(&list)
            .map(|t| t + "\n")
            .map_err(|e| Error::env(format!("cannot render JSON: {e}")));
    }
    let mut text = scaffold::preface(pattern).to_string();
    for object in objects {
        text.push_str("---\n");
        text.push_str(&yaml_doc(object)?);
    }
    Ok(text)
}

/// One file per object, written atomically (temp file + rename). Nothing is written when any
/// target exists and `--force` is absent.
fn write_files(
    dir: &Path,
    objects: &[Generated],
    pattern: Pattern,
    json: bool,
    force: bool,
    out: &mut impl Write,
) -> Result<()> {
    let extension = if json { "json" } else { "yaml" };
    let targets: Vec<(std::path::PathBuf, String)> = objects
        .iter()
        .map(|o| {
            let body = if json {
                serde_json::to_string_pretty(&o.value)
                    .map(|t| t + "\n")
                    .map_err(|e| Error::env(format!("cannot render JSON: {e}")))?
            } else {
                format!("{}{}", scaffold::preface(pattern), yaml_doc(o)?)
            };
            Ok((
                dir.join(format!("{}-{}.{extension}", o.kind.to_lowercase(), o.name)),
                body,
            ))
        })
        .collect::<Result<_>>()?;
    if !force && let Some((existing, _)) = targets.iter().find(|(path, _)| path.exists()) {
        return Err(Error::Refused(format!(
            "{} exists: pass --force to overwrite",
            existing.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::env(format!("cannot create {}: {e}", dir.display())))?;
    for (path, body) in &targets {
        let temp = path.with_extension(format!("{extension}.tmp-{}", std::process::id()));
        std::fs::write(&temp, body)
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                Error::env(format!("cannot write {}: {e}", path.display()))
            })?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
