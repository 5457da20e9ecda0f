//! The metadata cache of external sources: one parsed index per (connection, package), fresh for the
//! source's TTL, revalidated with its validators afterwards, served stale when the source fails, and
//! remembered as missing for [`NEGATIVE_TTL`]. Bounded by an estimate of its size in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fetch::Validators;

/// How long "the source does not have this package" is remembered.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(60);
/// Default bound of one format's cache.
pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct Entry<T> {
    /// `None`: the source answered that it does not have the package.
    pub index: Option<Arc<T>>,
    pub validators: Validators,
    pub checked: Instant,
    cost: usize,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self {
            index: self.index.clone(),
            validators: self.validators.clone(),
            checked: self.checked,
            cost: self.cost,
        }
    }
}

#[derive(Debug)]
pub(crate) struct IndexCache<T> {
    entries: Mutex<(HashMap<String, Entry<T>>, usize)>,
    max_bytes: usize,
}

impl<T> Default for IndexCache<T> {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_BYTES)
    }
}

impl<T> IndexCache<T> {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new((HashMap::new(), 0)),
            max_bytes,
        }
    }

    pub fn get(&self, key: &str) -> Option<Entry<T>> {
        let guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.get(key).cloned()
    }

    /// Stores an entry of about `cost` bytes; one larger than the whole bound is not kept. The
    /// entries checked longest ago make room.
    pub fn put(&self, key: &str, index: Option<Arc<T>>, validators: Validators, cost: usize) {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, total) = &mut *guard;
        if let Some(old) = map.remove(key) {
            *total -= old.cost;
        }
        if cost > self.max_bytes {
            return;
        }
        while *total + cost > self.max_bytes {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.checked)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = map.remove(&oldest) {
                *total -= e.cost;
            }
        }
        *total += cost;
        map.insert(
            key.to_string(),
            Entry {
                index,
                validators,
                checked: Instant::now(),
                cost,
            },
        );
    }

    /// Marks an entry as just checked (a 304).
    pub fn touch(&self, key: &str) {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = guard.0.get_mut(key) {
            e.checked = Instant::now();
        }
    }

    /// Removes the entries whose key `select` picks; how many.
    pub fn purge(&self, select: &dyn Fn(&str) -> bool) -> usize {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, total) = &mut *guard;
        let before = map.len();
        map.retain(|k, e| {
            let drop = select(k);
            if drop {
                *total -= e.cost;
            }
            !drop
        });
        before - map.len()
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.entries.lock().unwrap().1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_bytes_oldest_out_and_oversized_not_kept() {
        let cache: IndexCache<u32> = IndexCache::new(100);
        for i in 0..10 {
            cache.put(
                &format!("k{i}"),
                Some(Arc::new(i)),
                Validators::default(),
                30,
            );
            assert!(cache.bytes() <= 100);
        }
        assert!(cache.get("k9").is_some() && cache.get("k0").is_none());
        cache.put("huge", Some(Arc::new(0)), Validators::default(), 101);
        assert!(cache.get("huge").is_none());
        assert_eq!(cache.bytes(), 90, "k7, k8 and k9");
        assert_eq!(cache.purge(&|k| k != "k8"), 2);
        assert!(cache.get("k8").is_some() && cache.get("k9").is_none());
        assert_eq!(cache.bytes(), 30);
    }
}
