//! Kubernetes name rules, checked before any request so that a typo is a usage error (exit 2)
//! naming the rule, not a "not found" from the server.

const LABEL: &str = "a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63)";
const SUBDOMAIN: &str =
    "a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most 253 characters)";

/// A DNS-1123 label: namespaces and most workload names. The error says what to use.
pub fn dns_label(name: &str) -> Result<(), String> {
    if is_label(name) {
        Ok(())
    } else {
        Err(format!("use {LABEL}"))
    }
}

/// A DNS-1123 subdomain: Leases, ConfigMaps and Endpoints.
pub fn dns_subdomain(name: &str) -> Result<(), String> {
    if name.len() <= 253 && name.split('.').all(is_label) {
        Ok(())
    } else {
        Err(format!("use {SUBDOMAIN}"))
    }
}

fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// clap value parser for `-n/--namespace`.
pub fn namespace_arg(text: &str) -> Result<String, String> {
    dns_label(text).map(|()| text.to_string())
}

/// clap value parser for the name of a lock (Lease, ConfigMap or Endpoints).
pub fn lock_name_arg(text: &str) -> Result<String, String> {
    dns_subdomain(text).map(|()| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for good in ["a", "kube-system", "a1", &"x".repeat(63)] {
            assert!(dns_label(good).is_ok(), "{good:?}");
        }
        for bad in ["", "Bad_NS", "-a", "a-", "a.b", &"x".repeat(64)] {
            assert!(dns_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subdomains() {
        for good in ["kube-scheduler", "leader.example.com", "a"] {
            assert!(dns_subdomain(good).is_ok(), "{good:?}");
        }
        for bad in ["", "Bad_Name", "a..b", ".a", "a/b", &"a.".repeat(127)] {
            assert!(dns_subdomain(bad).is_err(), "{bad:?}");
        }
    }
}
