//! Choosing a cache with one string: `memory`, `file:///path/cache.db`, `redis://host:port/db`.

use std::sync::Arc;

use super::BucketRegionCache;

/// A cache URL that names no cache this build can make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cache URL {url:?}: {reason}")]
pub struct CacheUrlError {
    /// The URL given.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The shared tier a cache URL names: `None` for `memory` (the memory tier alone), a file cache
/// for `file:///path`, a Redis cache for `redis://` and `rediss://` (with the `redis` feature).
///
/// ```
/// use s3_multi_region::shared_cache_from_url;
/// assert!(shared_cache_from_url("memory").unwrap().is_none());
/// assert!(shared_cache_from_url("ftp://example.com").is_err());
/// ```
pub fn shared_cache_from_url(
    url: &str,
) -> Result<Option<Arc<dyn BucketRegionCache>>, CacheUrlError> {
    let error = |reason: &str| CacheUrlError {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    if url == "memory" || url == "memory://" {
        return Ok(None);
    }
    if let Some(path) = url.strip_prefix("file://") {
        #[cfg(feature = "file-cache")]
        {
            if !path.starts_with('/') {
                return Err(error(
                    "a file cache needs an absolute path: file:///path/to/cache.db",
                ));
            }
            let cache = super::FileCache::open(path).map_err(|e| error(&e.to_string()))?;
            return Ok(Some(Arc::new(cache)));
        }
        #[cfg(not(feature = "file-cache"))]
        {
            let _ = path;
            return Err(error("this build has no file cache (feature `file-cache`)"));
        }
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        {
            let cache = super::RedisCache::open(url).map_err(|e| error(&e.to_string()))?;
            return Ok(Some(Arc::new(cache)));
        }
        #[cfg(not(feature = "redis"))]
        return Err(error("this build has no Redis cache (feature `redis`)"));
    }
    Err(error(
        "expected memory, file:///path or redis://host:port/db",
    ))
}
