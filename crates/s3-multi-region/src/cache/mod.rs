//! Bucket → region caches.
//!
//! Two tiers: a [`MemoryCache`] that the routing interceptor reads synchronously on every request,
//! and an optional shared tier ([`BucketRegionCache`], async) that several clients, processes or
//! hosts can share. Entries are keyed by a *scope* (the AWS partition, or a fingerprint of the
//! endpoint map) so that partitions and endpoint maps never share entries. Caches hold regions,
//! never hosts; every value read back is validated before use.

#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "file-cache")]
mod file;
pub(crate) mod memory;
#[cfg(feature = "redis")]
mod redis;
mod url;

use futures::future::BoxFuture;

#[cfg(feature = "dynamodb")]
pub use dynamodb::{DEFAULT_DYNAMODB_TIMEOUT, DynamoDbCache};
#[cfg(feature = "file-cache")]
pub use file::FileCache;
pub use memory::MemoryCache;
#[cfg(all(feature = "redis", feature = "test-util"))]
pub use redis::redis_key;
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_REDIS_TIMEOUT, RedisCache};
pub use url::{CacheUrlError, redacted_url, shared_cache_for, shared_cache_from_url};

/// A shared cache tier failed. Routing logs it and carries on: a cache that is down never fails a
/// request.
///
/// A tier of your own wraps its cause:
///
/// ```
/// use s3_multi_region::cache::CacheError;
/// let err = CacheError::new(std::io::Error::other("connection reset"));
/// assert_eq!(err.to_string(), "bucket-region cache failed");
/// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "connection reset");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("bucket-region cache failed")]
pub struct CacheError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl CacheError {
    /// Wraps the cause (any error, or a message).
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }
}

/// A bucket → region cache tier. Async and object-safe, so file- and network-backed tiers plug in
/// as `Arc<dyn BucketRegionCache>`.
pub trait BucketRegionCache: Send + Sync + std::fmt::Debug {
    /// The region cached for `bucket` in `scope`, if any.
    fn get<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CacheError>>;
    /// Records `region` for `bucket` in `scope`.
    fn put<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>>;
    /// Forgets `bucket` in `scope`.
    fn remove<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>>;

    /// Claims the discovery of `bucket`'s region for this process for `ttl`, so that processes
    /// sharing the tier discover each bucket once: `Ok(true)` means go ahead, `Ok(false)` that
    /// another process claimed it and will write the region here soon. Tiers that cannot
    /// coordinate processes keep this default and always say go ahead.
    fn claim_discovery<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<bool, CacheError>> {
        let _ = (scope, bucket, ttl);
        Box::pin(async { Ok(true) })
    }

    /// How many entries the tier holds, when it can tell.
    fn entries(&self) -> BoxFuture<'_, Result<Option<usize>, CacheError>> {
        Box::pin(async { Ok(None) })
    }

    /// Forgets every entry this crate wrote to the tier.
    fn clear(&self) -> BoxFuture<'_, Result<(), CacheError>>;

    /// Forgets the entries this crate wrote in `scope` only: what `s3mr cache clear` does, so
    /// clients of another partition or endpoint map sharing the tier keep theirs. Tiers that
    /// cannot tell scopes apart forget everything they wrote ([`clear`](Self::clear)).
    fn clear_scope<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        let _ = scope;
        self.clear()
    }
}

impl BucketRegionCache for MemoryCache {
    fn get<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        let found = self.get_region(scope, bucket).map(|r| r.to_string());
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        let stored = crate::region::ValidRegion::new(region)
            .map(|region| self.insert(scope, bucket, &region))
            .map_err(CacheError::new);
        Box::pin(async { stored })
    }

    fn remove<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        self.invalidate(scope, bucket);
        Box::pin(async { Ok(()) })
    }

    fn entries(&self) -> BoxFuture<'_, Result<Option<usize>, CacheError>> {
        let len = self.len();
        Box::pin(async move { Ok(Some(len)) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        MemoryCache::clear(self);
        Box::pin(async { Ok(()) })
    }
}
