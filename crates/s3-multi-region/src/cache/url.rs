//! Choosing a cache with one string: `memory`, `file:///path/cache.db`, `redis://host:port/db`.

use std::sync::Arc;

use super::BucketRegionCache;

/// A cache URL that names no cache this build can make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cache URL {url:?}: {reason}")]
pub struct CacheUrlError {
    url: String,
    reason: String,
}

impl CacheUrlError {
    pub(crate) fn new(url: &str, reason: impl Into<String>) -> Self {
        Self {
            url: redacted_url(url),
            reason: reason.into(),
        }
    }

    /// The URL given, with any password replaced by `***` ([`redacted_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// `url` fit to print or log: the password of `scheme://user:password@host` (Redis URLs carry
/// one) becomes `***`, as the aws CLI never echoes a secret.
///
/// ```
/// use s3_multi_region::cache::redacted_url;
/// assert_eq!(redacted_url("redis://:hunter2@10.0.0.1:6379/0"), "redis://:***@10.0.0.1:6379/0");
/// assert_eq!(redacted_url("rediss://app:pw@cache:6380"), "rediss://app:***@cache:6380");
/// assert_eq!(redacted_url("file:///var/cache/s3mr.db"), "file:///var/cache/s3mr.db");
/// ```
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The last `@` ends the user information (a password may itself hold `@`).
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = authority.split_at(at);
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{host}{tail}"),
        // A lone user name is a password for Redis (`redis://secret@host`): hide it too.
        None if !userinfo.is_empty() => format!("{scheme}://***{host}{tail}"),
        None => url.to_owned(),
    }
}

/// `text` with the password of `url` (if any) replaced, for messages that may quote the URL.
fn redact_in(text: &str, url: &str) -> String {
    let redacted = redacted_url(url);
    if redacted == url {
        return text.to_owned();
    }
    let text = text.replace(url, &redacted);
    match password_of(url) {
        Some(password) if !password.is_empty() => text.replace(password, "***"),
        _ => text,
    }
}

fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(userinfo.split_once(':').map_or(userinfo, |(_, p)| p))
}

/// The shared tier a cache URL names: `None` for `memory` (the memory tier alone), a file cache
/// for `file:///path`, a Redis cache for `redis://` and `rediss://` (with the `redis` feature).
///
/// ```
/// use s3_multi_region::cache::shared_cache_from_url;
/// assert!(shared_cache_from_url("memory").unwrap().is_none());
/// assert!(shared_cache_from_url("ftp://example.com").is_err());
/// ```
pub fn shared_cache_from_url(
    url: &str,
) -> Result<Option<Arc<dyn BucketRegionCache>>, CacheUrlError> {
    let error = |reason: &str| CacheUrlError {
        url: redacted_url(url),
        reason: redact_in(reason, url),
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
    if url.starts_with("dynamodb://") {
        return Err(error(
            "a DynamoDB cache is built from the SDK config (credentials, HTTP client): use shared_cache_for(url, &sdk_config)",
        ));
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
        "expected memory, file:///path, redis://host:port/db or dynamodb://table",
    ))
}

/// [`shared_cache_from_url`], and `dynamodb://<table>[?region=&ttl=&endpoint=]` (with the
/// `dynamodb` feature), whose client is built from `sdk` (credentials, HTTP client, proxies).
pub fn shared_cache_for(
    url: &str,
    sdk: &aws_types::SdkConfig,
) -> Result<Option<Arc<dyn BucketRegionCache>>, CacheUrlError> {
    if url.starts_with("dynamodb://") {
        #[cfg(feature = "dynamodb")]
        {
            let cache = super::DynamoDbCache::from_url(url, sdk)?;
            return Ok(Some(Arc::new(cache)));
        }
        #[cfg(not(feature = "dynamodb"))]
        {
            let _ = sdk;
            return Err(CacheUrlError::new(
                url,
                "this build has no DynamoDB cache (feature `dynamodb`)",
            ));
        }
    }
    shared_cache_from_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_shown() {
        let table = [
            (
                "redis://:hunter2pw@127.0.0.1:6399/0",
                "redis://:***@127.0.0.1:6399/0",
            ),
            (
                "redis://user:p@ss@host:1/2?x=1",
                "redis://user:***@host:1/2?x=1",
            ),
            ("redis://secret@host", "redis://***@host"),
            ("redis://host:6379/0", "redis://host:6379/0"),
            ("memory", "memory"),
            ("file:///tmp/a@b:c.db", "file:///tmp/a@b:c.db"),
        ];
        for (url, shown) in table {
            assert_eq!(redacted_url(url), shown, "{url}");
        }
        let err = shared_cache_from_url("redis://:hunter2pw@[::1/0")
            .map(|_| ())
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2pw"), "{err}");
    }
}
