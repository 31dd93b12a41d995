//! The in-memory tier: bounded, with a TTL, concurrent, O(1) lookups without allocation.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::Equivalent;

use crate::region::ValidRegion;

/// Default capacity of [`MemoryCache::default`], in buckets.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;
/// Default time to live of [`MemoryCache::default`]. A bucket's region never changes while the
/// bucket exists; the TTL bounds how long a deleted-and-recreated bucket is misrouted (one
/// redirect corrects it anyway).
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    scope: Arc<str>,
    bucket: Box<str>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            scope: &self.scope,
            bucket: &self.bucket,
        }
        .hash(state);
    }
}

/// The borrowed form of [`Key`], so lookups allocate nothing.
#[derive(Hash)]
struct KeyRef<'a> {
    scope: &'a str,
    bucket: &'a str,
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *self.scope == *key.scope && *self.bucket == *key.bucket
    }
}

#[derive(Debug, Clone)]
struct Entry {
    region: ValidRegion,
    expires: Instant,
}

/// A bounded in-memory bucket → region cache with a TTL. Cheap to share: wrap it in an `Arc` and
/// give it to several clients.
///
/// ```
/// use s3_multi_region::cache::MemoryCache;
/// use s3_multi_region::region::ValidRegion;
/// let cache = MemoryCache::default();
/// cache.insert("aws", "my-bucket", &ValidRegion::new("eu-west-1").unwrap());
/// assert_eq!(cache.get_region("aws", "my-bucket").as_deref(), Some("eu-west-1"));
/// assert_eq!(cache.get_region("aws-cn", "my-bucket"), None);
/// ```
#[derive(Debug)]
pub struct MemoryCache {
    entries: quick_cache::sync::Cache<Key, Entry>,
    ttl: Duration,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

impl MemoryCache {
    /// A cache of at most `capacity` buckets whose entries live `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
            ttl,
        }
    }

    /// The region of `bucket` in `scope`, unless absent or expired.
    pub fn get_region(&self, scope: &str, bucket: &str) -> Option<ValidRegion> {
        let key = KeyRef { scope, bucket };
        let entry = self.entries.get(&key)?;
        if entry.expires <= Instant::now() {
            self.entries.remove(&key);
            return None;
        }
        Some(entry.region)
    }

    /// Records `region` for `bucket` in `scope`. Only a [`ValidRegion`] gets in: what the
    /// router reads back on every request needs no second check.
    pub fn insert(&self, scope: &str, bucket: &str, region: &ValidRegion) {
        let key = Key {
            scope: Arc::from(scope),
            bucket: Box::from(bucket),
        };
        self.entries.insert(
            key,
            Entry {
                region: region.clone(),
                expires: Instant::now() + self.ttl,
            },
        );
    }

    /// Forgets `bucket` in `scope`.
    pub fn invalidate(&self, scope: &str, bucket: &str) {
        self.entries.remove(&KeyRef { scope, bucket });
    }

    /// How many entries are held (expired ones included until looked up).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> ValidRegion {
        ValidRegion::new(name).unwrap()
    }

    #[test]
    fn scopes_do_not_share_entries() {
        let cache = MemoryCache::default();
        cache.insert("aws", "b", &r("eu-west-1"));
        cache.insert("aws-cn", "b", &r("cn-north-1"));
        assert_eq!(cache.get_region("aws", "b").as_deref(), Some("eu-west-1"));
        assert_eq!(
            cache.get_region("aws-cn", "b").as_deref(),
            Some("cn-north-1")
        );
        cache.invalidate("aws", "b");
        assert_eq!(cache.get_region("aws", "b"), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn entries_expire() {
        let cache = MemoryCache::new(10, Duration::from_millis(0));
        cache.insert("aws", "b", &r("eu-west-1"));
        assert_eq!(cache.get_region("aws", "b"), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded() {
        let cache = MemoryCache::new(100, DEFAULT_TTL);
        for i in 0..1000 {
            cache.insert("aws", &format!("bucket-{i}"), &r("us-east-1"));
        }
        assert!(cache.len() <= 110, "{}", cache.len());
    }

    #[test]
    fn the_default_entry_lives_a_day_and_the_cache_can_be_emptied() {
        assert_eq!(DEFAULT_TTL, Duration::from_secs(86_400));
        let cache = MemoryCache::default();
        assert!(cache.is_empty());
        cache.insert("aws", "b", &r("eu-west-1"));
        assert!(!cache.is_empty());
        cache.clear();
        assert!(cache.is_empty());
        assert_eq!(cache.get_region("aws", "b"), None);
    }

    #[test]
    fn every_key_finds_its_own_entry() {
        // Many keys in a small table: lookups that matched the wrong key (an equality that
        // ignores the scope or the bucket) would return another bucket's region.
        let regions = [r("eu-west-1"), r("ap-southeast-2"), r("us-west-2")];
        let cache = MemoryCache::new(5_000, DEFAULT_TTL);
        for i in 0..3_000 {
            let scope = ["aws", "aws-cn", "endpoints-x"][i % 3];
            cache.insert(scope, &format!("b{}", i / 3), &regions[(i / 3) % 3]);
        }
        for i in 0..3_000 {
            let scope = ["aws", "aws-cn", "endpoints-x"][i % 3];
            let got = cache.get_region(scope, &format!("b{}", i / 3));
            assert_eq!(
                got.as_ref(),
                Some(&regions[(i / 3) % 3]),
                "{scope} b{}",
                i / 3
            );
        }
        assert_eq!(cache.get_region("aws", "b-missing"), None);
        assert_eq!(cache.get_region("other-scope", "b1"), None);
    }
}
