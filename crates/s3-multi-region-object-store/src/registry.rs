//! [`MultiRegionRegistry`]: one registration serves every `s3://` bucket of every region.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use object_store::path::Path;
use object_store::registry::ObjectStoreRegistry;
use object_store::{ObjectStore, Result};
use s3_multi_region::MultiRegionClient;
use url::Url;

use crate::MultiRegionStore;
use crate::error::generic;

/// An [`ObjectStoreRegistry`] that resolves any `s3://<bucket>/<path>` (and `s3a://`) URL to a
/// [`MultiRegionStore`] over one shared client, made on first use and kept. Stores registered
/// explicitly (any scheme) win, matched as object_store's registries match them (same scheme
/// and authority, the longest path prefix by whole segments). Nothing else is made lazily:
/// object_store's `DefaultObjectStoreRegistry` would build its own `AmazonS3` for an unknown
/// `s3://` URL when object_store's `aws` feature is on — pinned to one region, the very thing
/// this registry replaces.
///
/// ```
/// # fn run(client: s3_multi_region::MultiRegionClient) -> object_store::Result<()> {
/// use object_store::registry::ObjectStoreRegistry;
/// use s3_multi_region_object_store::MultiRegionRegistry;
///
/// let registry = MultiRegionRegistry::new(client);
/// let url = url::Url::parse("s3://bucket-in-any-region/tables/t1/part-0.parquet").unwrap();
/// let (store, path) = registry.resolve(&url)?;
/// assert_eq!(path.as_ref(), "tables/t1/part-0.parquet");
/// assert_eq!(store.to_string(), "MultiRegionStore(s3://bucket-in-any-region)");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MultiRegionRegistry {
    client: MultiRegionClient,
    buckets: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Explicit registrations: (scheme, authority, path segments) → store.
    registered: RwLock<Vec<(Registration, Arc<dyn ObjectStore>)>>,
}

/// Where a registered store applies.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Registration {
    scheme: String,
    authority: String,
    segments: Vec<String>,
}

impl Registration {
    fn of(url: &Url) -> Self {
        Self {
            scheme: url.scheme().to_owned(),
            authority: url.authority().to_owned(),
            segments: url
                .path_segments()
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// How many segments of `url` this registration covers, if it applies to it.
    fn covers(&self, url: &Registration) -> Option<usize> {
        (self.scheme == url.scheme
            && self.authority == url.authority
            && url.segments.starts_with(&self.segments))
        .then_some(self.segments.len())
    }
}

impl MultiRegionRegistry {
    /// A registry whose `s3://` stores share `client`.
    pub fn new(client: MultiRegionClient) -> Self {
        Self {
            client,
            buckets: RwLock::default(),
            registered: RwLock::default(),
        }
    }

    /// A registry over a new client built from `sdk` (credentials, HTTP client, default region).
    pub fn from_sdk_config(sdk: &aws_types::SdkConfig) -> Result<Self> {
        let client = MultiRegionClient::new(sdk).map_err(|e| object_store::Error::Generic {
            store: crate::error::STORE,
            source: Box::new(e),
        })?;
        Ok(Self::new(client))
    }

    /// The client every `s3://` store shares.
    pub fn client(&self) -> &MultiRegionClient {
        &self.client
    }

    fn bucket_store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        if let Some(store) = self
            .buckets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
        {
            return Ok(Arc::clone(store));
        }
        let store: Arc<dyn ObjectStore> =
            Arc::new(MultiRegionStore::new(self.client.clone(), bucket)?);
        let mut buckets = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        Ok(Arc::clone(
            buckets.entry(bucket.to_owned()).or_insert(store),
        ))
    }
}

impl ObjectStoreRegistry for MultiRegionRegistry {
    fn register(&self, url: Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        let at = Registration::of(&url);
        let mut registered = self.registered.write().unwrap_or_else(|e| e.into_inner());
        match registered.iter_mut().find(|(r, _)| *r == at) {
            Some((_, old)) => Some(std::mem::replace(old, store)),
            None => {
                registered.push((at, store));
                None
            }
        }
    }

    fn resolve(&self, url: &Url) -> Result<(Arc<dyn ObjectStore>, Path)> {
        let wanted = Registration::of(url);
        let best = self
            .registered
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|(r, store)| r.covers(&wanted).map(|n| (n, Arc::clone(store))))
            .max_by_key(|(n, _)| *n);
        if let Some((covered, store)) = best {
            let rest = wanted.segments[covered..].join("/");
            return Ok((store, Path::from_url_path(rest)?));
        }
        if !matches!(url.scheme(), "s3" | "s3a") {
            return Err(generic(format!(
                "no store registered for {url} (s3:// URLs resolve to any bucket)"
            )));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| generic(format!("{url} names no bucket")))?;
        let path = Path::from_url_path(url.path())?;
        Ok((self.bucket_store(bucket)?, path))
    }
}
