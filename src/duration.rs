//! kubectl-style durations (`5s`, `1m30s`, `250ms`, bare `30` = seconds, `0` = none), as
//! `--request-timeout` and later `--wait` take them.

use std::time::Duration;

/// Parses a Go-style duration: one or more `<number><unit>` with units h, m, s, ms, us, ns;
/// a bare non-negative integer is seconds (kubectl accepts that too).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration: use e.g. 5s, 1m30s or 0".into());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return within_range(Duration::from_secs(secs), text);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| {
                format!("duration {text:?} has a number without a unit (h, m, s, ms)")
            })?;
        if digits == 0 {
            return Err(format!(
                "invalid duration {text:?}: use e.g. 5s, 1m30s or 0"
            ));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("invalid number in duration {text:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            unit => {
                return Err(format!(
                    "unknown unit {unit:?} in duration {text:?} (use h, m, s, ms)"
                ));
            }
        };
        rest = &rest[unit_len..];
        let part = Duration::try_from_secs_f64(value * seconds_per_unit)
            .map_err(|_| out_of_range(text))?;
        total = total.checked_add(part).ok_or_else(|| out_of_range(text))?;
    }
    within_range(total, text)
}

/// Go's (and so kubectl's) longest duration, i64::MAX nanoseconds (about 292 years): longer ones
/// are refused there, and here they would overflow a deadline computed from now.
const LONGEST: Duration = Duration::from_nanos(i64::MAX as u64);

fn within_range(duration: Duration, text: &str) -> Result<Duration, String> {
    if duration <= LONGEST {
        Ok(duration)
    } else {
        Err(out_of_range(text))
    }
}

fn out_of_range(text: &str) -> String {
    format!("duration {text:?} is out of range (at most 2562047h)")
}

/// Renders a duration the way kubectl renders ages: the two most significant units,
/// `0s`, `45s`, `4m12s`, `3h5m`, `2d4h`, `400d`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match () {
        _ if days >= 8 => format!("{days}d"),
        _ if days > 0 && hours > 0 => format!("{days}d{hours}h"),
        _ if days > 0 => format!("{days}d"),
        _ if secs >= 3600 && mins > 0 => format!("{}h{mins}m", secs / 3600),
        _ if secs >= 3600 => format!("{}h", secs / 3600),
        _ if secs >= 60 && s > 0 && secs < 600 => format!("{}m{s}s", secs / 60),
        _ if secs >= 60 => format!("{}m", secs / 60),
        _ => format!("{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_long_is_an_error_not_a_panic() {
        // Found by the `duration` fuzz target: the sum of two in-range parts overflowed.
        assert!(parse("9999099999991999999s9999999999991999999s").is_err());
        assert!(parse("18446744073709551615").is_err());
        assert!(parse("2562047h").is_ok());
        assert!(parse("2562048h").unwrap_err().contains("out of range"));
    }

    #[test]
    fn parses_kubectl_durations() {
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("5x").unwrap_err().contains("unknown unit"));
        assert!(parse("s").unwrap_err().contains("invalid duration"));
        assert!(parse("-5s").is_err());
        assert!(parse("1.2.3s").unwrap_err().contains("invalid number"));
    }

    #[test]
    fn renders_like_kubectl_ages() {
        let h = |s| human(Duration::from_secs(s));
        assert_eq!(h(0), "0s");
        assert_eq!(h(59), "59s");
        assert_eq!(h(252), "4m12s");
        assert_eq!(h(600), "10m");
        assert_eq!(h(3 * 3600 + 300), "3h5m");
        assert_eq!(h(2 * 86_400 + 4 * 3600), "2d4h");
        assert_eq!(h(400 * 86_400), "400d");
    }
}
