//! What is read out of stored files (npm manifests, PyPI core metadata), cached by the file's
//! SHA-256 in its domain: the bytes never change under a digest, so the cache is always valid.
//!
//! Each cache is bounded by bytes, not entries: a value's weight is an estimate of what it holds
//! in memory once parsed ([`Weigh`]), which can be far more than the file it came from (a 1 MiB
//! `package.json` of small numbers parses to ~16 MiB of `serde_json::Value`s, from a tarball of a
//! few KiB). The least recently used entries go first; a value heavier than the whole bound is not
//! cached at all.

use std::collections::{BTreeMap, HashMap};
use std::mem::size_of;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// An estimate of the bytes a cached value keeps alive (its heap and inline size).
pub trait Weigh {
    fn weight(&self) -> usize;
}

impl Weigh for Arc<Value> {
    fn weight(&self) -> usize {
        size_of::<Self>() + json_bytes(self)
    }
}

impl<T: Weigh> Weigh for Option<T> {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.as_ref().map_or(0, Weigh::weight)
    }
}

/// Per-entry cost of a JSON object's map beyond its key and value (tree nodes, spare slots).
const MAP_ENTRY_OVERHEAD: usize = 32;

/// The memory a parsed JSON value holds: its node plus what it owns.
pub(crate) fn json_bytes(v: &Value) -> usize {
    let node = size_of::<Value>();
    node + match v {
        Value::String(s) => s.capacity(),
        // Elements sit inline in the vector's buffer; each owns what it owns beyond its node.
        Value::Array(a) => {
            a.capacity() * node + a.iter().map(|x| json_bytes(x) - node).sum::<usize>()
        }
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| MAP_ENTRY_OVERHEAD + size_of::<String>() + k.capacity() + json_bytes(x))
            .sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

type Key = (i64, String);

/// What an entry costs beyond its value: the key (twice: map and recency order) and the slots.
const ENTRY_OVERHEAD: usize = 2 * (size_of::<Key>() + 64) + 64;

pub(crate) struct DigestCache<T> {
    max_bytes: usize,
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    map: HashMap<Key, Entry<T>>,
    /// Keys by last use (a counter), oldest first.
    recency: BTreeMap<u64, Key>,
    tick: u64,
    bytes: usize,
}

struct Entry<T> {
    value: T,
    bytes: usize,
    used: u64,
}

impl<T: Clone + Weigh> DigestCache<T> {
    /// A cache holding at most `max_bytes` of values (as [`Weigh`] estimates them).
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                recency: BTreeMap::new(),
                tick: 0,
                bytes: 0,
            }),
        }
    }

    pub(crate) fn get(&self, domain_id: i64, sha256: &str) -> Option<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        let key = (domain_id, sha256.to_string());
        let entry = inner.map.get_mut(&key)?;
        inner.recency.remove(&entry.used);
        inner.tick += 1;
        entry.used = inner.tick;
        inner.recency.insert(entry.used, key);
        Some(entry.value.clone())
    }

    /// Caches `value` unless it alone weighs more than the bound, evicting the least recently
    /// used entries until it fits.
    pub(crate) fn put(&self, domain_id: i64, sha256: &str, value: T) {
        let bytes = value.weight() + ENTRY_OVERHEAD + sha256.len();
        if bytes > self.max_bytes {
            return;
        }
        let key = (domain_id, sha256.to_string());
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let inner = &mut *inner;
        if let Some(old) = inner.map.remove(&key) {
            inner.recency.remove(&old.used);
            inner.bytes -= old.bytes;
        }
        while inner.bytes + bytes > self.max_bytes {
            let Some((_, oldest)) = inner.recency.pop_first() else {
                break;
            };
            if let Some(gone) = inner.map.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
        inner.tick += 1;
        inner.recency.insert(inner.tick, key.clone());
        inner.bytes += bytes;
        inner.map.insert(
            key,
            Entry {
                value,
                bytes,
                used: inner.tick,
            },
        );
    }

    /// The bytes the cache accounts for now (never more than its bound).
    #[cfg(test)]
    pub(crate) fn accounted_bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `package.json` of about 1 MiB that compresses to almost nothing and parses to many
    /// times its size (issue 10, finding 3).
    fn numbers_manifest() -> Arc<Value> {
        let mut text = String::from("{\"name\":\"x\",\"version\":\"1.0.0\",\"n\":[0");
        while text.len() < 1024 * 1024 - 2 {
            text.push_str(",0");
        }
        text.push_str("]}");
        Arc::new(serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn the_weight_is_the_parsed_size_not_the_text() {
        let m = numbers_manifest();
        let text = m.to_string().len();
        assert!(
            m.weight() > 10 * text,
            "weight {} for {text} bytes of text",
            m.weight()
        );
        let small: Arc<Value> = Arc::new(serde_json::json!({"name": "x", "version": "1.0.0"}));
        assert!(small.weight() < 1024, "{}", small.weight());
    }

    #[test]
    fn large_entries_stay_under_the_byte_bound() {
        const BOUND: usize = 64 * 1024 * 1024;
        let cache: DigestCache<Arc<Value>> = DigestCache::new(BOUND);
        let m = numbers_manifest();
        let each = m.weight();
        for i in 0..40 {
            cache.put(1, &format!("{i:064x}"), m.clone());
            assert!(cache.accounted_bytes() <= BOUND, "after {i}");
        }
        let kept = (0..40)
            .filter(|i| cache.get(1, &format!("{i:064x}")).is_some())
            .count();
        assert!(
            kept >= 1 && kept <= BOUND / each,
            "{kept} kept of {each} bytes each"
        );
        // The most recent ones are kept.
        assert!(cache.get(1, &format!("{:064x}", 39)).is_some());
        assert!(cache.get(1, &format!("{:064x}", 0)).is_none());
    }

    #[test]
    fn an_entry_larger_than_the_bound_is_not_cached() {
        let m = numbers_manifest();
        let cache: DigestCache<Arc<Value>> = DigestCache::new(m.weight() / 2);
        cache.put(1, "a", m);
        assert!(cache.get(1, "a").is_none());
        assert_eq!(cache.accounted_bytes(), 0);
    }

    #[test]
    fn least_recently_used_goes_first() {
        let v: Arc<Value> = Arc::new(serde_json::json!({"name": "x"}));
        let each = v.weight() + ENTRY_OVERHEAD + 1;
        let cache: DigestCache<Arc<Value>> = DigestCache::new(3 * each);
        for k in ["a", "b", "c"] {
            cache.put(1, k, v.clone());
        }
        assert!(cache.get(1, "a").is_some());
        cache.put(1, "d", v.clone());
        assert!(cache.get(1, "b").is_none(), "b was the least recently used");
        for k in ["a", "c", "d"] {
            assert!(cache.get(1, k).is_some(), "{k}");
        }
        // Same digest, another domain: another entry; putting a key again replaces it.
        cache.put(2, "a", v.clone());
        cache.put(2, "a", v);
        assert_eq!(cache.accounted_bytes(), 3 * each);
    }
}
