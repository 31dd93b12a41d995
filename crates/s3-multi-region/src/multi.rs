//! A pool of clients of any AWS service, one per region, from one `SdkConfig`.
//!
//! In Rust each service has its own client type, so "a client for any service with a per-call
//! region" becomes: a pool that lends the client of a region, built lazily once per region from
//! the same `SdkConfig` — same HTTP client (and connection pool), same credentials provider and
//! identity cache, same retry and timeout settings.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::endpoints::EndpointMap;
use crate::error::Error;
use crate::region::validate_region;

type Constructor<C> = Box<dyn Fn(&SdkConfig) -> C + Send + Sync>;

/// Lends a client of service `C` for any region.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use s3_multi_region::RegionalClients;
///
/// let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
///     .http_client(s3_multi_region::http_client()?)
///     .load()
///     .await;
/// // Any service: pass its client constructor. Here SQS.
/// let sqs = RegionalClients::new(&sdk, aws_sdk_sqs::Client::new).with_capacity(8);
/// let queue = sqs.client("eu-west-1")?.create_queue().queue_name("orders").send().await?;
/// let tokyo = sqs.client("ap-northeast-1")?.list_queues().send().await?; // built on first use
/// let home = sqs.default_client(); // the SdkConfig's own region
/// # let _ = (queue, tokyo, home);
/// # Ok(()) }
/// ```
pub struct RegionalClients<C> {
    base: SdkConfig,
    construct: Constructor<C>,
    endpoints: Option<EndpointMap>,
    capacity: Option<usize>,
    clients: Mutex<HashMap<String, (C, u64)>>,
    clock: AtomicU64,
    built: AtomicU64,
}

impl<C> std::fmt::Debug for RegionalClients<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegionalClients")
            .field("default_region", &self.base.region())
            .field("capacity", &self.capacity)
            .field(
                "regions",
                &self.clients.lock().map(|c| c.len()).unwrap_or(0),
            )
            .finish_non_exhaustive()
    }
}

impl<C: Clone> RegionalClients<C> {
    /// A pool building clients with `construct` (e.g. `aws_sdk_sqs::Client::new`) from `sdk`.
    pub fn new(
        sdk: &SdkConfig,
        construct: impl Fn(&SdkConfig) -> C + Send + Sync + 'static,
    ) -> Self {
        Self {
            base: sdk.clone(),
            construct: Box::new(construct),
            endpoints: None,
            capacity: None,
            clients: Mutex::default(),
            clock: AtomicU64::new(0),
            built: AtomicU64::new(0),
        }
    }

    /// Keeps at most `capacity` regional clients, dropping the least recently lent.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity.max(1));
        self
    }

    /// Sends each region to its endpoint in `map` (non-AWS sites, local emulators). Regions
    /// missing from the map are refused.
    pub fn with_endpoint_map(mut self, map: EndpointMap) -> Self {
        self.endpoints = Some(map);
        self
    }

    /// The client of the `SdkConfig`'s own region (us-east-1 when it has none). Never panics: a
    /// region the pool refuses (not a valid name, missing from the endpoint map) gets a client
    /// built from the `SdkConfig` as it is, not pooled.
    pub fn default_client(&self) -> C {
        let region = self
            .base
            .region()
            .map_or("us-east-1", |r| r.as_ref())
            .to_owned();
        self.client(&region)
            .unwrap_or_else(|_| (self.construct)(&self.base))
    }

    /// The client of `region`, built on first use. Concurrent first uses build it once.
    pub fn client(&self, region: &str) -> Result<C, Error> {
        validate_region(region).map_err(Error::InvalidRegionArgument)?;
        let endpoint = match &self.endpoints {
            Some(map) => Some(
                map.get(region)
                    .ok_or_else(|| Error::NoEndpointForRegion {
                        region: region.to_owned(),
                    })?
                    .to_owned(),
            ),
            None => None,
        };
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut clients = crate::lock(&self.clients);
        if let Some((client, last_used)) = clients.get_mut(region) {
            *last_used = now;
            return Ok(client.clone());
        }
        let mut config = self
            .base
            .to_builder()
            .region(Region::new(region.to_owned()));
        if let Some(url) = endpoint {
            config = config.endpoint_url(url);
        }
        let client = (self.construct)(&config.build());
        self.built.fetch_add(1, Ordering::Relaxed);
        if let Some(capacity) = self.capacity
            && clients.len() >= capacity
            && let Some(oldest) = clients
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(r, _)| r.clone())
        {
            clients.remove(&oldest);
        }
        clients.insert(region.to_owned(), (client.clone(), now));
        Ok(client)
    }

    /// The regions whose clients are held now, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = crate::lock(&self.clients).keys().cloned().collect();
        regions.sort();
        regions
    }

    /// How many clients the pool has built so far (rebuilds after eviction included).
    #[doc(hidden)]
    pub fn clients_built(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod default_client_tests {
    use super::*;

    /// No hidden panic: the SdkConfig's own region is not validated by the user's code, so a bad
    /// one (or one missing from the endpoint map) still gets a client, built as configured.
    #[test]
    fn default_client_never_panics() {
        for (region, map) in [
            ("Not_A_Region", None),
            ("eu-west-1", Some("us-east-1=http://h:1")),
        ] {
            let sdk = SdkConfig::builder()
                .region(Region::new(region))
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .build();
            let mut pool =
                RegionalClients::new(&sdk, |c: &SdkConfig| c.region().map(|r| r.to_string()));
            if let Some(map) = map {
                pool = pool.with_endpoint_map(map.parse().unwrap());
            }
            assert_eq!(pool.default_client().as_deref(), Some(region));
        }
    }
}
