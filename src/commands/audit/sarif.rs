//! `audit -o sarif`: SARIF 2.1.0, one run, so code-scanning tools can ingest the findings; in a
//! fleet each result names its context.

use crate::audit::catalog::{self, RuleId, Severity};
use crate::audit::rules::Finding;

/// SARIF 2.1.0, so code-scanning tools can ingest the findings.
pub(super) fn sarif(findings: &[Finding]) -> serde_json::Value {
    sarif_run(findings.iter().map(|f| (None, f)), None)
}

/// One SARIF run over findings, each with the context it was read from in a fleet; `failed`
/// (a fleet's clusters that could not be read, with their errors) becomes the invocation's
/// notifications.
pub(super) fn sarif_run<'a>(
    findings: impl Iterator<Item = (Option<&'a str>, &'a Finding)>,
    failed: Option<&[(&str, String)]>,
) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = RuleId::ALL
        .into_iter()
        .map(|id| {
            let r = catalog::rule(id);
            serde_json::json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.rationale },
                "help": {
                    "text": format!("{}\n\nFix:\n{}", r.rationale, r.fix),
                    "markdown": format!("{}\n\n**Fix**\n\n```yaml\n{}\n```", r.rationale, r.fix),
                },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "tags": ["kubernetes", "singleton"] },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .map(|(context, f)| {
            let object = match context {
                Some(context) => format!("{context}/{}", f.object),
                None => f.object.to_string(),
            };
            let mut result = serde_json::json!({
                "ruleId": f.rule,
                "ruleIndex": f.rule.index(),
                "level": level(f.severity),
                "message": { "text": format!("{object}: {} (fix: {})", f.message, f.fix) },
                "locations": [{
                    "logicalLocations": [{ "name": f.object.name, "fullyQualifiedName": object, "kind": "resource" }]
                }],
                "properties": { "evidence": f.evidence },
            });
            if let Some(context) = context {
                result["properties"]["context"] = serde_json::json!(context);
            }
            if let Some(origin) = &f.origin {
                result["locations"][0]["physicalLocation"] = serde_json::json!({
                    "artifactLocation": { "uri": origin.file },
                    "region": { "startLine": origin.line.max(1) },
                });
            }
            result
        })
        .collect();
    let mut document = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "kubectl-singleton",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    if let Some(failed) = failed {
        let notifications: Vec<serde_json::Value> = failed
            .iter()
            .map(|(context, error)| {
                serde_json::json!({
                    "level": "error",
                    "message": { "text": format!("context {context}: {error}") },
                })
            })
            .collect();
        document["runs"][0]["invocations"] = serde_json::json!([{
            "executionSuccessful": failed.is_empty(),
            "toolExecutionNotifications": notifications,
        }]);
    }
    document
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::finding;
    use crate::k8s::ObjectRef;

    fn surge(name: &str) -> Finding {
        let object = ObjectRef {
            kind: "Deployment".into(),
            namespace: "billing".into(),
            name: name.into(),
        };
        finding(
            RuleId::RolloutSurge,
            object,
            None,
            "surges".into(),
            "Recreate",
        )
    }

    #[test]
    fn one_cluster_names_no_context_and_no_invocation() {
        let doc = sarif(&[surge("a")]);
        let result = &doc["runs"][0]["results"][0];
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "Deployment/billing/a"
        );
        assert!(result["properties"].get("context").is_none());
        assert!(doc["runs"][0].get("invocations").is_none());
    }

    #[test]
    fn a_fleet_names_each_results_context_and_the_clusters_not_read() {
        let (a, b) = (surge("a"), surge("b"));
        let failed = [("dead", "connection refused".to_string())];
        let doc = sarif_run(
            [(Some("east"), &a), (Some("west"), &b)].into_iter(),
            Some(&failed),
        );
        let run = &doc["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[1]["properties"]["context"], "west");
        assert_eq!(
            results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "west/Deployment/billing/b"
        );
        assert!(
            results[0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("east/Deployment/billing/a: surges")
        );
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["message"]["text"],
            "context dead: connection refused"
        );
        let all_read = sarif_run([(Some("east"), &a)].into_iter(), Some(&[]));
        assert_eq!(
            all_read["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }
}
