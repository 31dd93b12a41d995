//! [`MultiRegionRegistry`]: one registration serves every `s3://` bucket of every region.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use object_store::path::Path;
use object_store::registry::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::{ObjectStore, Result};
use s3_multi_region::MultiRegionClient;
use url::Url;

use crate::MultiRegionStore;
use crate::error::generic;

/// An [`ObjectStoreRegistry`] that resolves any `s3://<bucket>/<path>` (and `s3a://`) URL to a
/// [`MultiRegionStore`] over one shared client, made on first use and kept. Stores registered
/// explicitly (any scheme) win, as in object_store's `DefaultObjectStoreRegistry`.
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
    registered: DefaultObjectStoreRegistry,
}

impl MultiRegionRegistry {
    /// A registry whose `s3://` stores share `client`.
    pub fn new(client: MultiRegionClient) -> Self {
        Self {
            client,
            buckets: RwLock::default(),
            registered: DefaultObjectStoreRegistry::new(),
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
        self.registered.register(url, store)
    }

    fn resolve(&self, url: &Url) -> Result<(Arc<dyn ObjectStore>, Path)> {
        if let Ok(found) = self.registered.resolve(url) {
            return Ok(found);
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
