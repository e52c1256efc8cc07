//! PodDisruptionBudget arithmetic, as the disruption controller does it: percentages of
//! `minAvailable` and of `maxUnavailable` round up; `disruptionsAllowed = healthy − desired`.

use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// An int, or a percentage of `total` rounded up; `None` for a malformed string.
pub fn scaled_up(value: &IntOrString, total: i32) -> Option<i32> {
    match value {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(text) => {
            let pct: i64 = text.strip_suffix('%')?.trim().parse().ok()?;
            let total = i64::from(total);
            i32::try_from((pct * total + 99).div_euclid(100)).ok()
        }
    }
}

/// How many pods the budget wants healthy when `expected` pods should exist.
/// `maxUnavailable` wins when set (the controller checks it first); neither set wants none.
pub fn desired_healthy(spec: &PodDisruptionBudgetSpec, expected: i32) -> Option<i32> {
    if let Some(max) = &spec.max_unavailable {
        return Some((expected - scaled_up(max, expected)?).max(0));
    }
    match &spec.min_available {
        Some(min) => scaled_up(min, expected),
        None => Some(0),
    }
}

/// Disruptions the budget allows with `healthy` pods of `expected`; 0 when there are no pods.
pub fn disruptions_allowed(
    spec: &PodDisruptionBudgetSpec,
    expected: i32,
    healthy: i32,
) -> Option<i32> {
    if expected == 0 || healthy == 0 {
        return Some(0);
    }
    Some((healthy - desired_healthy(spec, expected)?).max(0))
}

/// `minAvailable 1`, `maxUnavailable 25%`: the budget as its spec says it (the controller reads
/// maxUnavailable first).
pub fn budget_words(spec: &PodDisruptionBudgetSpec) -> String {
    let show = |v: &IntOrString| match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    match (&spec.max_unavailable, &spec.min_available) {
        (Some(max), _) => format!("maxUnavailable {}", show(max)),
        (None, Some(min)) => format!("minAvailable {}", show(min)),
        (None, None) => "an empty budget".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min: Option<IntOrString>, max: Option<IntOrString>) -> PodDisruptionBudgetSpec {
        PodDisruptionBudgetSpec {
            min_available: min,
            max_unavailable: max,
            ..Default::default()
        }
    }

    #[test]
    fn percentages_round_up() {
        assert_eq!(scaled_up(&IntOrString::String("25%".into()), 1), Some(1));
        assert_eq!(scaled_up(&IntOrString::String("50%".into()), 3), Some(2));
        assert_eq!(scaled_up(&IntOrString::String("100%".into()), 1), Some(1));
        assert_eq!(scaled_up(&IntOrString::String("0%".into()), 5), Some(0));
        assert_eq!(scaled_up(&IntOrString::String("lots".into()), 5), None);
    }

    #[test]
    fn min_available_one_over_one_replica_never_allows_a_disruption() {
        let s = spec(Some(IntOrString::Int(1)), None);
        assert_eq!(disruptions_allowed(&s, 1, 1), Some(0));
        // ... but over two replicas it allows one.
        assert_eq!(disruptions_allowed(&s, 2, 2), Some(1));
    }

    #[test]
    fn max_unavailable_zero_or_percent_that_rounds_to_zero_blocks() {
        assert_eq!(
            disruptions_allowed(&spec(None, Some(IntOrString::Int(0))), 1, 1),
            Some(0)
        );
        assert_eq!(
            disruptions_allowed(&spec(None, Some(IntOrString::String("0%".into()))), 1, 1),
            Some(0)
        );
        // 10% of one pod rounds up to one: a disruption is allowed.
        assert_eq!(
            disruptions_allowed(&spec(None, Some(IntOrString::String("10%".into()))), 1, 1),
            Some(1)
        );
    }

    #[test]
    fn an_empty_budget_wants_nothing() {
        assert_eq!(disruptions_allowed(&spec(None, None), 1, 1), Some(1));
    }

    #[test]
    fn min_available_hundred_percent_blocks_and_no_pods_allows_nothing() {
        let all = spec(Some(IntOrString::String("100%".into())), None);
        assert_eq!(disruptions_allowed(&all, 3, 3), Some(0));
        assert_eq!(
            disruptions_allowed(&spec(Some(IntOrString::Int(0)), None), 0, 0),
            Some(0)
        );
    }
}
