//! What the user asked `scaffold` for, checked before anything is built: names, image, cron
//! schedule, storage quantity and leader-election timings, each by the rule Kubernetes (or
//! client-go) applies.

use std::time::Duration;

use super::{Pattern, Spec};
use crate::cli::ScaffoldArgs;
use crate::error::{Error, Result};
use crate::options::Namespaces;

/// What the user asked for, checked flag by flag (each error names the flag and the rule), as
/// the `Spec` to build. The namespace is `-n`, else `default`: no cluster is asked.
pub fn spec(args: &ScaffoldArgs, namespaces: &Namespaces) -> Result<Spec> {
    check_name(&args.name).map_err(Error::usage)?;
    check_image(&args.image).map_err(Error::usage)?;
    let namespace = namespaces
        .one("scaffold writes into one namespace: use -n NAMESPACE, not -A")?
        .unwrap_or("default")
        .to_string();
    check_name(&namespace).map_err(|e| Error::usage(e.replace("NAME", "namespace")))?;
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
    if (args.service_monitor || args.alerts || args.alerts_file.is_some())
        && args.kind != Pattern::Exporter
    {
        return Err(only("--service-monitor/--alerts/--alerts-file", "exporter"));
    }
    if args.port.is_some() && args.kind == Pattern::Exporter {
        return Err(Error::usage(
            "scaffold exporter serves on port 9477: --port does not apply",
        ));
    }
    if args.force && args.out_dir.is_none() && args.alerts_file.is_none() {
        return Err(Error::usage(
            "--force applies only with --out-dir or --alerts-file",
        ));
    }
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
        check_schedule(schedule).map_err(Error::usage)?;
        // Jobs are named <cronjob>-<timestamp>: the CronJob name must leave room for it.
        if args.name.len() > 52 {
            return Err(Error::usage(format!(
                "a CronJob name may be at most 52 characters ({} given)",
                args.name.len()
            )));
        }
    }
    if let Some(size) = &args.storage {
        check_quantity(size).map_err(Error::usage)?;
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
    check_timings(lease, renew, retry).map_err(Error::usage)?;
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
        service_monitor: args.service_monitor,
        alerts: args.alerts,
    })
}

/// A DNS-1123 label (what Kubernetes requires of most names).
pub fn check_name(name: &str) -> Result<(), String> {
    crate::names::dns_label(name).map_err(|rule| format!("invalid NAME {name:?}: {rule}"))
}

/// An image reference: `[registry/]repository[:tag][@digest]`, no spaces or upper case in the repository.
pub fn check_image(image: &str) -> Result<(), String> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(|d| {
        d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    });
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (rest, None),
    };
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !t.starts_with(['.', '-'])
    });
    let mut parts: Vec<&str> = repository.split('/').collect();
    // The first component is a registry host only when it looks like one (docker's rule).
    let registry_ok = match parts.first() {
        Some(first) if parts.len() > 1 && (first.contains(['.', ':']) || *first == "localhost") => {
            let host = parts.remove(0);
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        }
        _ => true,
    };
    let repo_ok = !repository.is_empty()
        && registry_ok
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if digest_ok && tag_ok && repo_ok {
        Ok(())
    } else {
        Err(format!(
            "invalid --image {image:?}: expected [registry/]repository[:tag][@sha256:digest]"
        ))
    }
}

/// A standard 5-field cron schedule (or a `@daily`-style macro), as the CronJob controller reads it.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    let err = |why: &str| Err(format!("invalid --schedule {schedule:?}: {why}"));
    let text = schedule.trim();
    if text.starts_with('@') {
        return match text {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            _ => err("unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)"),
        };
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return err("expected 5 fields: minute hour day-of-month month day-of-week");
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let ranges: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day-of-month", 1, 31, &[]),
        ("month", 1, 12, &MONTHS),
        ("day-of-week", 0, 7, &DAYS),
    ];
    for (field, (what, lo, hi, names)) in fields.iter().zip(ranges) {
        let value = |v: &str| -> Option<u32> {
            if let Some(i) = names.iter().position(|n| v.eq_ignore_ascii_case(n)) {
                return Some(i as u32 + lo);
            }
            v.parse().ok().filter(|n| (lo..=hi).contains(n))
        };
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            if step.is_some_and(|s| s.parse::<u32>().map_or(true, |n| n == 0)) {
                return err(&format!("bad step in the {what} field {field:?}"));
            }
            let ok = match range {
                "*" | "?" => true,
                _ => match range.split_once('-') {
                    Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                    None => value(range).is_some(),
                },
            };
            if !ok {
                return err(&format!(
                    "the {what} field {field:?} is out of range {lo}-{hi}"
                ));
            }
        }
    }
    Ok(())
}

/// A resource quantity such as `1Gi` or `500M`.
pub fn check_quantity(size: &str) -> Result<(), String> {
    let digits = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let (number, suffix) = size.split_at(digits);
    let number_ok = !number.is_empty() && number.parse::<f64>().is_ok_and(|n| n > 0.0);
    let suffix_ok = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
    ]
    .contains(&suffix);
    if number_ok && suffix_ok {
        Ok(())
    } else {
        Err(format!(
            "invalid --storage {size:?}: use a quantity such as 1Gi or 500Mi"
        ))
    }
}

/// client-go's own rule: leaseDuration > renewDeadline > 1.2 × retryPeriod.
pub fn check_timings(lease: Duration, renew: Duration, retry: Duration) -> Result<(), String> {
    if lease <= renew {
        return Err(format!(
            "--lease-duration ({}) must be longer than --renew-deadline ({})",
            super::build::go_duration(lease),
            super::build::go_duration(renew)
        ));
    }
    if renew.as_secs_f64() <= 1.2 * retry.as_secs_f64() {
        return Err(format!(
            "--renew-deadline ({}) must be longer than 1.2 × --retry-period ({})",
            super::build::go_duration(renew),
            super::build::go_duration(retry)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_dns_labels() {
        assert!(check_name("report-scheduler").is_ok());
        for bad in ["", "Report", "-x", "x-", "a_b", &"a".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn images() {
        for good in [
            "nginx",
            "nginx:1.27",
            "registry.example:5000/team/app:v1.2.3",
            "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(check_image(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:bad tag",
            "a//b",
            "nginx@sha256:xyz",
        ] {
            assert!(check_image(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn schedules() {
        for good in [
            "* * * * *",
            "*/5 0-6 1,15 jan-mar mon-fri",
            "0 3 * * 7",
            "@daily",
        ] {
            assert!(check_schedule(good).is_ok(), "{good}");
        }
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "@sometimes",
            "5-1 * * * *",
        ] {
            assert!(check_schedule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timings_follow_client_go() {
        let s = Duration::from_secs;
        assert!(check_timings(s(15), s(10), s(2)).is_ok());
        assert!(check_timings(s(10), s(10), s(2)).is_err());
        assert!(check_timings(s(15), s(10), s(9)).is_err());
    }

    #[test]
    fn quantities() {
        assert!(check_quantity("1Gi").is_ok());
        assert!(check_quantity("500M").is_ok());
        assert!(check_quantity("0").is_err());
        assert!(check_quantity("lots").is_err());
        assert!(check_quantity("1GB").is_err());
    }
}
