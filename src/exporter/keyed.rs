//! One watched resource's objects by `(namespace, name)`, with the re-list buffer that replaces
//! them whole when a full list completes (a re-list must drop what it no longer shows). Pure.

use std::collections::HashMap;

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
pub type NameKey = (String, String);

#[derive(Debug)]
pub struct Keyed<T> {
    items: HashMap<NameKey, T>,
    relisting: Option<HashMap<NameKey, T>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            items: HashMap::new(),
            relisting: None,
        }
    }
}

impl<T> Keyed<T> {
    pub fn relist_started(&mut self) {
        self.relisting = Some(HashMap::new());
    }

    /// Seen in a re-list (`initial`: buffered until it is done) or in a live event.
    pub fn seen(&mut self, key: NameKey, value: T, initial: bool) {
        match self.relisting.as_mut() {
            Some(buffer) if initial => {
                buffer.insert(key, value);
            }
            _ => {
                self.items.insert(key, value);
            }
        }
    }

    pub fn gone(&mut self, key: &NameKey) {
        self.items.remove(key);
    }

    pub fn relist_done(&mut self) {
        if let Some(items) = self.relisting.take() {
            self.items = items;
        }
    }

    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        // One lookup without allocating for the common miss would need a borrowed key type;
        // these maps are small and the audit calls this once per gone holder.
        self.items
            .contains_key(&(namespace.to_string(), name.to_string()))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&NameKey, &T)> {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relist_replaces_the_items_whole_once_done() {
        let mut k: Keyed<u8> = Keyed::default();
        k.seen(("ns".into(), "a".into()), 1, false);
        k.relist_started();
        k.seen(("ns".into(), "b".into()), 2, true);
        assert!(k.contains("ns", "a") && !k.contains("ns", "b"));
        k.relist_done();
        assert!(!k.contains("ns", "a") && k.contains("ns", "b"));
        k.seen(("ns".into(), "c".into()), 3, true);
        k.gone(&("ns".into(), "b".into()));
        assert_eq!(
            k.len(),
            1,
            "outside a re-list an initial item is applied at once"
        );
    }
}
