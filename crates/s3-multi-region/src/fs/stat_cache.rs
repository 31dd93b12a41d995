//! The stat cache: what `metadata` and `read_dir` learned, kept for a short time so that the
//! common "list a directory, then stat every entry" costs one request per page, not one per entry
//! (PHP's stream wrapper does the same). Only positive answers are kept; every write, removal and
//! rename through the same `S3Fs` forgets what it touched, including the parent directories that
//! a removal may have emptied.

use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use crate::fs::{Metadata, S3Url};

/// Bucket and key; directories are keyed by their prefix ending in `/`, a bucket by `""`.
type Key = (String, String);

pub(crate) struct StatCache {
    entries: Option<Cache<Key, (Metadata, Instant)>>,
    ttl: Duration,
}

impl std::fmt::Debug for StatCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatCache")
            .field("entries", &self.entries.as_ref().map_or(0, Cache::len))
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// `a/b/c` → `["", "a/", "a/b/"]`: the directories that hold `key`.
fn ancestors(key: &str) -> impl Iterator<Item = &str> {
    std::iter::once("").chain(
        key.trim_end_matches('/')
            .match_indices('/')
            .map(move |(i, _)| &key[..=i]),
    )
}

impl StatCache {
    /// Keeps up to `capacity` entries for `ttl` each; a capacity of 0 keeps nothing.
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: (capacity > 0 && !ttl.is_zero()).then(|| Cache::new(capacity)),
            ttl,
        }
    }

    pub(crate) fn get(&self, bucket: &str, key: &str) -> Option<Metadata> {
        let entries = self.entries.as_ref()?;
        let id = (bucket.to_owned(), key.to_owned());
        let (metadata, at) = entries.get(&id)?;
        if at.elapsed() < self.ttl {
            Some(metadata)
        } else {
            entries.remove(&id);
            None
        }
    }

    pub(crate) fn put(&self, bucket: &str, key: &str, metadata: Metadata) {
        if let Some(entries) = &self.entries {
            entries.insert(
                (bucket.to_owned(), key.to_owned()),
                (metadata, Instant::now()),
            );
        }
    }

    /// Forgets `url` (as an object and as a directory) and every directory above it.
    pub(crate) fn forget(&self, url: &S3Url) {
        let Some(entries) = &self.entries else {
            return;
        };
        let bucket = url.bucket().to_owned();
        entries.remove(&(bucket.clone(), url.key().to_owned()));
        entries.remove(&(bucket.clone(), url.dir_prefix()));
        for dir in ancestors(url.key()) {
            entries.remove(&(bucket.clone(), dir.to_owned()));
        }
    }

    /// Forgets everything in `url`'s bucket under its directory prefix, and the directories above.
    pub(crate) fn forget_tree(&self, url: &S3Url) {
        let Some(entries) = &self.entries else {
            return;
        };
        let prefix = url.dir_prefix();
        entries.retain(|(bucket, key), _| !(bucket == url.bucket() && key.starts_with(&prefix)));
        self.forget(url);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::EntryKind;

    fn file(size: u64) -> Metadata {
        Metadata {
            kind: EntryKind::File,
            size,
            etag: None,
            modified: None,
            content_type: None,
        }
    }

    #[test]
    fn ancestors_of_keys() {
        let table: [(&str, &[&str]); 5] = [
            ("", &[""]),
            ("a", &[""]),
            ("a/b", &["", "a/"]),
            ("a/b/c", &["", "a/", "a/b/"]),
            ("a/b/", &["", "a/"]),
        ];
        for (key, want) in table {
            assert_eq!(ancestors(key).collect::<Vec<_>>(), want, "{key}");
        }
    }

    #[test]
    fn forget_drops_the_entry_and_its_directories_only() {
        let cache = StatCache::new(100, Duration::from_secs(60));
        for key in ["a/b/c", "a/b/", "a/", "", "a/x", "z"] {
            cache.put("bkt", key, file(1));
        }
        cache.put("other", "a/b/c", file(1));
        cache.forget(&S3Url::new("bkt", "a/b/c").unwrap());
        let kept: Vec<_> = ["a/b/c", "a/b/", "a/", "", "a/x", "z"]
            .into_iter()
            .filter(|k| cache.get("bkt", k).is_some())
            .collect();
        assert_eq!(kept, ["a/x", "z"]);
        assert!(cache.get("other", "a/b/c").is_some());
    }

    #[test]
    fn forget_tree_drops_everything_under_a_prefix() {
        let cache = StatCache::new(100, Duration::from_secs(60));
        for key in ["d/1", "d/e/2", "d/", "dx", ""] {
            cache.put("bkt", key, file(1));
        }
        cache.forget_tree(&S3Url::new("bkt", "d/").unwrap());
        assert_eq!(cache.len(), 1);
        assert!(cache.get("bkt", "dx").is_some());
    }

    #[test]
    fn entries_expire_and_a_zero_capacity_keeps_nothing() {
        let cache = StatCache::new(100, Duration::from_millis(30));
        cache.put("bkt", "k", file(3));
        assert_eq!(cache.get("bkt", "k"), Some(file(3)));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get("bkt", "k"), None);
        let off = StatCache::new(0, Duration::from_secs(60));
        off.put("bkt", "k", file(3));
        assert_eq!(off.get("bkt", "k"), None);
    }
}
