//! Paged LISTs (one kind at a time, `continue` token by token, with what no command reads
//! dropped from each item), and the selectors a LIST and the WATCH that follows it share.

use kube::Api;
use kube::api::{ListParams, ObjectList, PartialObjectMeta};
use kube::runtime::watcher;
use serde::de::DeserializeOwned;

use super::{Action, Cluster};
use crate::error::Result;

/// Items per LIST page: large enough for few round trips, small enough to bound memory.
const PAGE_SIZE: u32 = 500;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Server-side label and field selectors, shared by a LIST and a WATCH of the same objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selectors {
    pub labels: Option<String>,
    pub fields: Option<String>,
}

impl Selectors {
    pub fn list_params(&self) -> ListParams {
        let mut params = ListParams::default();
        if let Some(labels) = &self.labels {
            params = params.labels(labels);
        }
        if let Some(fields) = &self.fields {
            params = params.fields(fields);
        }
        params
    }

    pub fn watcher_config(&self) -> watcher::Config {
        let mut config = watcher::Config::default();
        if let Some(labels) = &self.labels {
            config = config.labels(labels);
        }
        if let Some(fields) = &self.fields {
            config = config.fields(fields);
        }
        config
    }
}

impl Cluster {
    /// Lists every object of one kind, following `continue` tokens page by page.
    pub async fn list_all<K>(
        &self,
        api: &Api<K>,
        params: &ListParams,
        action: Action<'_>,
    ) -> Result<Vec<K>>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.paginate(params, action, |p| async move { api.list(&p).await })
            .await
    }

    /// Lists only the metadata of every object of one kind (no spec/data is transferred).
    pub async fn list_all_metadata<K>(
        &self,
        api: &Api<K>,
        params: &ListParams,
        action: Action<'_>,
    ) -> Result<Vec<PartialObjectMeta<K>>>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.paginate(
            params,
            action,
            |p| async move { api.list_metadata(&p).await },
        )
        .await
    }

    async fn paginate<T, F, Fut>(
        &self,
        params: &ListParams,
        action: Action<'_>,
        fetch: F,
    ) -> Result<Vec<T>>
    where
        T: Clone + kube::Resource,
        F: Fn(ListParams) -> Fut,
        Fut: std::future::Future<Output = kube::Result<ObjectList<T>>>,
    {
        let mut items = Vec::new();
        let mut params = params.clone().limit(PAGE_SIZE);
        loop {
            let page = self.call(fetch(params.clone()), action).await?;
            items.extend(page.items.into_iter().map(slim));
            match page.metadata.continue_ {
                Some(token) if !token.is_empty() => params = params.continue_token(&token),
                _ => return Ok(items),
            }
        }
    }
}

/// Drops what no command reads from a listed object and what often outweighs the rest of it:
/// managedFields and kubectl's last-applied copy of the whole object. At cluster scale this is
/// most of a live audit's memory.
fn slim<T: kube::Resource>(mut item: T) -> T {
    let meta = item.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slim_drops_managed_fields_and_last_applied_but_keeps_lock_records() {
        use k8s_openapi::api::core::v1::ConfigMap;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
        let lock = crate::lock::model::LEGACY_LOCK_ANNOTATION;
        let mut cm = ConfigMap::default();
        cm.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
        cm.metadata.annotations = Some(
            [
                (LAST_APPLIED, "{...}"),
                (lock, "{\"holderIdentity\":\"a\"}"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let cm = slim(cm);
        assert!(cm.metadata.managed_fields.is_none());
        let annotations = cm.metadata.annotations.unwrap();
        assert!(!annotations.contains_key(LAST_APPLIED));
        assert!(annotations.contains_key(lock));
    }

    #[test]
    fn selectors_reach_the_list_and_the_watch_alike() {
        let selectors = Selectors {
            labels: Some("app=x".into()),
            fields: Some("metadata.name=l".into()),
        };
        let params = selectors.list_params();
        assert_eq!(params.label_selector.as_deref(), Some("app=x"));
        assert_eq!(params.field_selector.as_deref(), Some("metadata.name=l"));
        let config = selectors.watcher_config();
        assert_eq!(config.label_selector.as_deref(), Some("app=x"));
        assert_eq!(config.field_selector.as_deref(), Some("metadata.name=l"));
    }
}
