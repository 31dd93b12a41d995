//! The fleet tier: Redis, shared by every host.
//!
//! Keys are namespaced and versioned (`s3mr:v2:{scope}:{bucket}`; v2 since endpoint-map scopes
//! are SHA-256 fingerprints instead of `DefaultHasher`'s, which std does not keep stable), entries expire with `SET .. EX`,
//! and every command is bounded by a short timeout so a slow Redis slows a request by at most that
//! much. The connection is made on first use and re-made by redis' `ConnectionManager` after a
//! failure, so a Redis that is down at start or restarts later is picked up again.

use std::time::Duration;

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Mutex;

use super::{BucketRegionCache, CacheError};

/// Default bound on one Redis command, connection included.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// A bucket-region cache in Redis.
///
/// ```no_run
/// # fn run() -> Result<(), s3_multi_region::cache::CacheError> {
/// let cache = s3_multi_region::cache::RedisCache::open("redis://127.0.0.1:6379/0")?;
/// # Ok(()) }
/// ```
pub struct RedisCache {
    client: redis::Client,
    manager: Mutex<Option<ConnectionManager>>,
    timeout: Duration,
    ttl: Duration,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache")
            .field("server", &self.client.get_connection_info().addr())
            .field("timeout", &self.timeout)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn cache_error(err: impl std::error::Error + Send + Sync + 'static) -> CacheError {
    CacheError::new(err)
}

/// The key of `bucket` in `scope` (for tests and tooling; feature `test-util`).
#[cfg(feature = "test-util")]
pub fn redis_key(scope: &str, bucket: &str) -> String {
    key_of(scope, bucket)
}

fn key_of(scope: &str, bucket: &str) -> String {
    format!("s3mr:v2:{scope}:{bucket}")
}

/// The key a process sets (`SET NX PX`) while it discovers `bucket`; outside `s3mr:v2:*`, so
/// `entries` and `clear` never see claims.
fn claim_key(scope: &str, bucket: &str) -> String {
    format!("s3mr:v2-claim:{scope}:{bucket}")
}

impl RedisCache {
    /// A cache on the Redis at `url` (`redis://host:port/db`). Connects on first use.
    pub fn open(url: &str) -> Result<Self, CacheError> {
        Self::with_settings(
            url,
            DEFAULT_REDIS_TIMEOUT,
            crate::cache::memory::DEFAULT_TTL,
        )
    }

    /// Like [`RedisCache::open`], with a command timeout and an entry TTL (at least one second).
    pub fn with_settings(url: &str, timeout: Duration, ttl: Duration) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(cache_error)?;
        Ok(Self {
            client,
            manager: Mutex::new(None),
            timeout,
            ttl: ttl.max(Duration::from_secs(1)),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, CacheError> {
        let mut slot = self.manager.lock().await;
        if let Some(manager) = slot.as_ref() {
            return Ok(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = tokio::time::timeout(
            self.timeout,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(cache_error)?
        .map_err(cache_error)?;
        *slot = Some(manager.clone());
        Ok(manager)
    }

    async fn bounded<T>(
        &self,
        op: impl AsyncFnOnce(ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, CacheError> {
        let run = async {
            let manager = self.connection().await?;
            op(manager).await.map_err(cache_error)
        };
        tokio::time::timeout(self.timeout, run)
            .await
            .map_err(cache_error)?
    }

    /// Every key of this crate (`s3mr:v2:*`), by SCAN (never KEYS, which blocks the server).
    async fn keys(&self) -> Result<Vec<String>, CacheError> {
        self.keys_matching("s3mr:v2:*".to_owned()).await
    }

    /// The keys matching a SCAN `pattern`.
    async fn keys_matching(&self, pattern: String) -> Result<Vec<String>, CacheError> {
        self.bounded(async move |mut c| {
            let mut keys = Vec::new();
            let mut iter: redis::AsyncIter<'_, String> = c.scan_match(&pattern).await?;
            while let Some(key) = futures::StreamExt::next(&mut iter).await {
                keys.push(key?);
            }
            Ok(keys)
        })
        .await
    }

    /// Stores `value` verbatim under `bucket`'s key (for tests of poisoned entries and tooling;
    /// feature `test-util`).
    #[cfg(feature = "test-util")]
    pub async fn put_raw(&self, scope: &str, bucket: &str, value: &str) -> Result<(), CacheError> {
        self.put_value(scope, bucket, value).await
    }

    async fn put_value(&self, scope: &str, bucket: &str, value: &str) -> Result<(), CacheError> {
        let key = key_of(scope, bucket);
        let ttl = self.ttl.as_secs();
        self.bounded(async move |mut c| c.set_ex(key, value, ttl).await)
            .await
    }
}

impl BucketRegionCache for RedisCache {
    fn get<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        let key = key_of(scope, bucket);
        Box::pin(self.bounded(async move |mut c| c.get(key).await))
    }

    fn put<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(self.put_value(scope, bucket, region))
    }

    fn remove<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        let key = key_of(scope, bucket);
        Box::pin(self.bounded(async move |mut c| c.del(key).await))
    }

    fn claim_discovery<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheError>> {
        let key = claim_key(scope, bucket);
        let millis = ttl.as_millis().max(1) as u64;
        Box::pin(self.bounded(async move |mut c| {
            let set: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(std::process::id())
                .arg("NX")
                .arg("PX")
                .arg(millis)
                .query_async(&mut c)
                .await?;
            Ok(set.is_some())
        }))
    }

    fn entries(&self) -> BoxFuture<'_, Result<Option<usize>, CacheError>> {
        Box::pin(async { self.keys().await.map(|k| Some(k.len())) })
    }

    fn clear_scope<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            // Scopes are partition names or hex fingerprints: no glob characters to escape.
            let keys = self.keys_matching(format!("s3mr:v2:{scope}:*")).await?;
            if keys.is_empty() {
                return Ok(());
            }
            self.bounded(async move |mut c| c.del(keys).await).await
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        Box::pin(async {
            let keys = self.keys().await?;
            if keys.is_empty() {
                return Ok(());
            }
            self.bounded(async move |mut c| c.del(keys).await).await
        })
    }
}
