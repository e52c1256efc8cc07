//! The cached pods by controller, `(namespace, kind, name)` → pods, kept beside the pod cache so
//! a gone holder's sibling is one lookup, not a scan of every pod on every scrape. Pure.

use std::collections::{BTreeSet, HashMap};

use super::cache::CachedPod;

type Owner = (String, String, String);
type PodKey = (String, String);

#[derive(Debug, Default)]
pub struct OwnerIndex(HashMap<Owner, BTreeSet<PodKey>>);

fn keys(pod: &CachedPod) -> Option<(Owner, PodKey)> {
    let (kind, name) = pod.owner.clone()?;
    let namespace = pod.summary.namespace.clone();
    let key = (namespace.clone(), pod.summary.name.clone());
    Some(((namespace, kind, name), key))
}

impl OwnerIndex {
    pub fn add(&mut self, pod: &CachedPod) {
        if let Some((owner, key)) = keys(pod) {
            self.0.entry(owner).or_default().insert(key);
        }
    }

    pub fn remove(&mut self, pod: &CachedPod) {
        if let Some((owner, key)) = keys(pod)
            && let Some(pods) = self.0.get_mut(&owner)
        {
            pods.remove(&key);
            if pods.is_empty() {
                self.0.remove(&owner);
            }
        }
    }

    /// The index of `pods`, built anew (after a re-list).
    pub fn of<'a>(pods: impl Iterator<Item = &'a CachedPod>) -> Self {
        let mut index = OwnerIndex::default();
        for pod in pods {
            index.add(pod);
        }
        index
    }

    /// One pod of that controller, the first by name.
    pub fn first(&self, namespace: &str, kind: &str, name: &str) -> Option<&PodKey> {
        self.0
            .get(&(namespace.to_string(), kind.to_string(), name.to_string()))?
            .iter()
            .next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::trimmed_pod::TrimmedPod;
    use crate::lock::holder::PodSummary;

    fn pod(name: &str, owner: Option<&str>) -> CachedPod {
        CachedPod {
            summary: PodSummary {
                namespace: "ns".into(),
                name: name.into(),
                ..PodSummary::default()
            },
            owner: owner.map(|o| ("ReplicaSet".to_string(), o.to_string())),
            object: TrimmedPod::default(),
        }
    }

    #[test]
    fn pods_are_found_by_their_controller_until_removed() {
        let (a, b) = (pod("web-1", Some("web")), pod("web-2", Some("web")));
        let mut index = OwnerIndex::of([&a, &b, &pod("bare", None)].into_iter());
        assert_eq!(
            index.first("ns", "ReplicaSet", "web"),
            Some(&("ns".to_string(), "web-1".to_string()))
        );
        assert_eq!(index.first("other", "ReplicaSet", "web"), None);
        index.remove(&a);
        assert_eq!(index.first("ns", "ReplicaSet", "web").unwrap().1, "web-2");
        index.remove(&b);
        assert!(index.0.is_empty());
    }
}
