//! What is read out of stored files (npm manifests, PyPI core metadata), cached by the file's
//! SHA-256 in its domain: the bytes never change under a digest, so the cache is always valid.

use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before the cache starts over.
const CACHE_ENTRIES: usize = 4096;

pub(crate) struct DigestCache<T> {
    map: Mutex<HashMap<(i64, String), T>>,
}

impl<T> Default for DigestCache<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> DigestCache<T> {
    pub(crate) fn get(&self, domain_id: i64, sha256: &str) -> Option<T> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(domain_id, sha256.to_string())).cloned()
    }

    pub(crate) fn put(&self, domain_id: i64, sha256: &str, value: T) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert((domain_id, sha256.to_string()), value);
    }
}
