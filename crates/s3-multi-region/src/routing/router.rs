//! The state routing shares across calls: caches, the probe client, counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::time::Duration;

use tokio::sync::{OnceCell, watch};

use crate::cache::{BucketRegionCache, MemoryCache};
use crate::endpoints::EndpointMap;
use crate::error::Error;
use crate::region::{ValidRegion, partition_of};
use crate::routing::route::{Discovery, FlightGuard, Flights, RouteTicket};

/// What routing has done since the client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Wrong-region answers followed to the bucket's region.
    pub redirects: u64,
    /// HeadBucket probes sent.
    pub probes: u64,
    /// Attempts routed from the memory tier.
    pub cache_hits: u64,
    /// Attempts on buckets the memory tier did not know.
    pub cache_misses: u64,
    /// Regions found in the shared tier after a memory miss.
    pub shared_hits: u64,
    /// Memory misses the shared tier did not answer either (not known there, or the tier down).
    pub shared_misses: u64,
    /// Requests answered on the light path ([`crate::MultiRegionClient::send_light`]).
    pub light_answered: u64,
    /// Requests the light path left to the SDK path (region not learned yet, an answer it does
    /// not hand back, no client light path).
    pub light_fallbacks: u64,
}

#[derive(Debug, Default)]
struct Counters {
    redirects: AtomicU64,
    probes: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    shared_hits: AtomicU64,
    shared_misses: AtomicU64,
}

type ProbeCell = Arc<OnceCell<Result<Option<ValidRegion>, Error>>>;

/// How long a caller waits for another caller's discovery of the same bucket before it goes on
/// its own. Kept well below any sensible attempt timeout, since the wait happens inside one.
pub(crate) const FLIGHT_WAIT: Duration = Duration::from_secs(3);

enum Flight {
    Pioneer(FlightGuard),
    Waiter(watch::Receiver<Option<ValidRegion>>),
    /// The region was learned between the caller's cache miss and its joining.
    Known(ValidRegion),
}

/// How long another process's claim on a bucket's discovery holds others back (they poll the
/// shared tier meanwhile, and discover on their own once it lapses).
pub(crate) const CLAIM_TTL: Duration = Duration::from_secs(2);
/// How often a process waiting on another's discovery reads the shared tier.
const CLAIM_POLL: Duration = Duration::from_millis(20);

/// What a client's builder decides about routing (see [`Router`]'s fields of the same names).
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) enabled: bool,
    pub(crate) direct_body_limit: u64,
    pub(crate) copied_params: &'static [&'static str],
    /// Zones named by the builder (`zone_region`), for zones the naming rule cannot tell.
    pub(crate) zones: HashMap<String, ValidRegion>,
}

pub(crate) struct Router {
    pub(crate) default_region: ValidRegion,
    pub(crate) scope: Arc<str>,
    pub(crate) endpoints: Option<Arc<EndpointMap>>,
    pub(crate) memory: Arc<MemoryCache>,
    pub(crate) shared: Option<Arc<dyn BucketRegionCache>>,
    pub(crate) enabled: bool,
    /// Bodies up to this many bytes (replayable, known length) go straight to the best-known
    /// region of a cold bucket; larger ones wait for the region (see `probes_first`).
    pub(crate) direct_body_limit: u64,
    /// The endpoint parameters `params::with_region` copies (all it knows, but in tests of the
    /// guard); a call whose `Params` a copy would change is never rerouted.
    pub(crate) copied_params: &'static [&'static str],
    pub(crate) probe_client: aws_sdk_s3::Client,
    zones: HashMap<String, ValidRegion>,
    probes_in_flight: Mutex<HashMap<String, ProbeCell>>,
    flights: Flights,
    counters: Counters,
    /// Set after the shared tier failed and a warning was logged; cleared when it answers again.
    shared_down: Arc<AtomicBool>,
    /// Shared-tier writes still running (awaited by [`Router::flush`]).
    writes: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("default_region", &self.default_region)
            .field("scope", &self.scope)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl Router {
    pub(crate) fn new(
        default_region: ValidRegion,
        endpoints: Option<Arc<EndpointMap>>,
        memory: Arc<MemoryCache>,
        shared: Option<Arc<dyn BucketRegionCache>>,
        policy: Policy,
        probe_client: aws_sdk_s3::Client,
    ) -> Self {
        let scope = match &endpoints {
            Some(map) => map.fingerprint(),
            None => partition_of(&default_region).to_owned(),
        };
        Self {
            default_region,
            scope: Arc::from(scope),
            endpoints,
            memory,
            shared,
            enabled: policy.enabled,
            direct_body_limit: policy.direct_body_limit,
            copied_params: policy.copied_params,
            probe_client,
            zones: policy.zones,
            probes_in_flight: Mutex::default(),
            flights: Flights::default(),
            counters: Counters::default(),
            shared_down: Arc::default(),
            writes: Mutex::default(),
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            redirects: c.redirects.load(Ordering::Relaxed),
            probes: c.probes.load(Ordering::Relaxed),
            cache_hits: c.cache_hits.load(Ordering::Relaxed),
            cache_misses: c.cache_misses.load(Ordering::Relaxed),
            shared_hits: c.shared_hits.load(Ordering::Relaxed),
            shared_misses: c.shared_misses.load(Ordering::Relaxed),
            ..Stats::default()
        }
    }

    pub(crate) fn count_redirect(&self) {
        self.counters.redirects.fetch_add(1, Ordering::Relaxed);
    }

    /// The memory tier's region for `bucket`, counted as a hit or a miss.
    pub(crate) fn cached(&self, bucket: &str) -> Option<ValidRegion> {
        let found = self.memory.get_region(&self.scope, bucket);
        let counter = if found.is_some() {
            &self.counters.cache_hits
        } else {
            &self.counters.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if found.is_some() {
            tracing::trace!(bucket, region = found.as_deref(), "bucket-region cache hit");
        }
        found
    }

    /// The region of a directory bucket (or an access point on one), from the zone in its name
    /// (`region::zone`): a zone the builder named, else AWS's naming rule. `None` for any other
    /// bucket, and for a zone neither names (the SDK's own behaviour then stands: the client's
    /// region). A region outside this client's partition or endpoint map is refused.
    pub(crate) fn directory_bucket_region<'b>(
        &self,
        bucket: &'b str,
    ) -> Result<Option<(&'b str, ValidRegion)>, Error> {
        let Some(zone) = crate::region::zone::directory_bucket_zone(bucket) else {
            return Ok(None);
        };
        let region = match self.zones.get(zone) {
            Some(region) => region.clone(),
            None => match crate::region::zone::region_of_zone(zone)
                .and_then(|r| ValidRegion::new(&r).ok())
            {
                Some(region) => region,
                None => {
                    tracing::warn!(
                        bucket,
                        zone,
                        "no known region for this zone: the client's region is used; name it \
                         with MultiRegionClientBuilder::zone_region"
                    );
                    return Ok(None);
                }
            },
        };
        if !self.allows(&region) {
            return Err(Error::ZoneRegion {
                bucket: bucket.to_owned(),
                zone: zone.to_owned(),
                zone_region: region.to_string(),
                why: format!("which is outside {}", self.confinement()),
            });
        }
        Ok(Some((zone, region)))
    }

    /// Whether this client may send to `region`: one of its endpoint map, or of its partition.
    fn allows(&self, region: &ValidRegion) -> bool {
        match &self.endpoints {
            Some(map) => map.get(region).is_some(),
            None => partition_of(region) == partition_of(&self.default_region),
        }
    }

    /// What this client is confined to, as errors name it.
    fn confinement(&self) -> String {
        match &self.endpoints {
            Some(_) => "the endpoint map".to_owned(),
            None => format!("partition {}", partition_of(&self.default_region)),
        }
    }

    /// Accepts `raw` as the region of `bucket` only if it is a valid region of this client's
    /// partition (or endpoint map).
    pub(crate) fn check_region(
        &self,
        bucket: &str,
        tried: &str,
        raw: &str,
    ) -> Result<ValidRegion, Error> {
        let region = ValidRegion::new(raw).map_err(|source| Error::InvalidRegion {
            bucket: bucket.to_owned(),
            tried: tried.to_owned(),
            source,
        })?;
        if !self.allows(&region) {
            return Err(Error::RegionNotAllowed {
                bucket: bucket.to_owned(),
                tried: tried.to_owned(),
                discovered: region.to_string(),
                allowed: self.confinement(),
            });
        }
        Ok(region)
    }

    /// Records a (validated) region in both tiers; the shared write happens off the request path.
    pub(crate) fn learn(&self, bucket: &str, region: &ValidRegion) {
        let known = self.memory.get_region(&self.scope, bucket).as_ref() == Some(region);
        // Memory first, then the flight: a caller that finds no flight finds the region.
        if !known {
            self.memory.insert(&self.scope, bucket, region);
        }
        // Whoever waits on this bucket's discovery can go now.
        if let Some(sender) = crate::lock(&self.flights).remove(bucket) {
            sender.send_replace(Some(region.clone()));
        }
        if known {
            return;
        }
        tracing::debug!(bucket, %region, "learned bucket region");
        if let Some(shared) = self.shared.clone() {
            let (scope, bucket, region) = (self.scope.clone(), bucket.to_owned(), region.clone());
            self.spawn_write(async move { shared.put(&scope, &bucket, &region).await });
        }
    }

    /// Forgets `bucket` in both tiers (DeleteBucket, NoSuchBucket).
    pub(crate) fn forget(&self, bucket: &str) {
        self.memory.invalidate(&self.scope, bucket);
        if let Some(shared) = self.shared.clone() {
            let (scope, bucket) = (self.scope.clone(), bucket.to_owned());
            self.spawn_write(async move { shared.remove(&scope, &bucket).await });
        }
    }

    /// Runs a ticket's discovery: the region the attempt should use, or `None` to keep its own.
    pub(crate) async fn discover(
        &self,
        ticket: &RouteTicket,
    ) -> Result<Option<ValidRegion>, Error> {
        let bucket = ticket.bucket.as_str();
        match ticket.discovery {
            Discovery::Lookup { probe_first } => {
                match self.join_flight(bucket) {
                    Flight::Pioneer(guard) => *crate::lock(&ticket.flight) = Some(guard),
                    Flight::Waiter(receiver) => {
                        if let Some(region) = Self::wait_for_pioneer(receiver).await {
                            return Ok(Some(region));
                        }
                    }
                    Flight::Known(region) => return Ok(Some(region)),
                }
                if let Some(region) = self.shared_lookup(bucket).await {
                    return Ok(Some(region));
                }
                if self.shared.is_some() {
                    self.counters.shared_misses.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(region) = self.wait_for_other_process(bucket).await {
                    return Ok(Some(region));
                }
                if !probe_first {
                    return Ok(None);
                }
                // A body must not travel to a wrong region: find the region before sending it.
                match self.probe(bucket).await {
                    Ok(found) => Ok(found),
                    // A missing bucket or a failed probe: send as asked and let S3 answer.
                    Err(err) => {
                        tracing::debug!(err = %crate::report::chain(&err), bucket, "probe before upload found no region");
                        Ok(None)
                    }
                }
            }
            Discovery::Probe => match self.probe(bucket).await? {
                Some(region) if region != *ticket.tried => {
                    self.count_redirect();
                    Ok(Some(region))
                }
                _ => Err(Error::RegionUnresolved {
                    bucket: bucket.to_owned(),
                    tried: ticket.tried.clone(),
                }),
            },
        }
    }

    /// The first caller on a cold bucket leads; the others wait for the region it learns.
    fn join_flight(&self, bucket: &str) -> Flight {
        let mut flights = crate::lock(&self.flights);
        if let Some(sender) = flights.get(bucket) {
            return Flight::Waiter(sender.subscribe());
        }
        if let Some(region) = self.memory.get_region(&self.scope, bucket) {
            return Flight::Known(region);
        }
        let sender = Arc::new(watch::channel(None).0);
        flights.insert(bucket.to_owned(), sender.clone());
        Flight::Pioneer(FlightGuard {
            flights: self.flights.clone(),
            bucket: bucket.to_owned(),
            sender,
        })
    }

    /// The pioneer's region, or `None` when it failed, ended without one, or took too long.
    async fn wait_for_pioneer(
        mut receiver: watch::Receiver<Option<ValidRegion>>,
    ) -> Option<ValidRegion> {
        let wait = async {
            loop {
                if let Some(region) = receiver.borrow_and_update().clone() {
                    return Some(region);
                }
                if receiver.changed().await.is_err() {
                    return receiver.borrow().clone();
                }
            }
        };
        tokio::time::timeout(FLIGHT_WAIT, wait).await.ok().flatten()
    }

    /// The pioneer of this process claims the discovery in the shared tier. When another process
    /// holds the claim, wait for the region it will write there (at most `CLAIM_TTL`); `None` means
    /// this process discovers on its own (claim won, tier unable to coordinate, or down).
    async fn wait_for_other_process(&self, bucket: &str) -> Option<ValidRegion> {
        let shared = self.shared.as_ref()?;
        match shared.claim_discovery(&self.scope, bucket, CLAIM_TTL).await {
            Ok(true) => return None,
            Ok(false) => {}
            Err(err) => {
                shared_failed(&self.shared_down, &err);
                return None;
            }
        }
        tracing::debug!(
            bucket,
            "another process is discovering this bucket; waiting"
        );
        let deadline = tokio::time::Instant::now() + CLAIM_TTL;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(CLAIM_POLL).await;
            if let Some(region) = self.shared_lookup(bucket).await {
                return Some(region);
            }
        }
        None
    }

    async fn shared_lookup(&self, bucket: &str) -> Option<ValidRegion> {
        let shared = self.shared.as_ref()?;
        let raw = match shared.get(&self.scope, bucket).await {
            Ok(found) => {
                shared_is_up(&self.shared_down);
                found?
            }
            Err(err) => {
                shared_failed(&self.shared_down, &err);
                return None;
            }
        };
        match self.check_region(bucket, "the shared cache", &raw) {
            Ok(region) => {
                self.counters.shared_hits.fetch_add(1, Ordering::Relaxed);
                self.memory.insert(&self.scope, bucket, &region);
                Some(region)
            }
            Err(err) => {
                tracing::warn!(err = %crate::report::chain(&err), "ignoring a poisoned shared cache entry");
                let _ = shared.remove(&self.scope, bucket).await;
                None
            }
        }
    }

    /// One HeadBucket to the default region, reading `x-amz-bucket-region` whatever the status.
    /// Concurrent probes of one bucket share one request.
    pub(crate) async fn probe(&self, bucket: &str) -> Result<Option<ValidRegion>, Error> {
        let cell = {
            let mut in_flight = crate::lock(&self.probes_in_flight);
            in_flight.entry(bucket.to_owned()).or_default().clone()
        };
        let result = cell.get_or_init(|| self.send_probe(bucket)).await.clone();
        crate::lock(&self.probes_in_flight).remove(bucket);
        result
    }

    async fn send_probe(&self, bucket: &str) -> Result<Option<ValidRegion>, Error> {
        self.counters.probes.fetch_add(1, Ordering::Relaxed);
        let header = match self.probe_client.head_bucket().bucket(bucket).send().await {
            Ok(out) => out.bucket_region().map(str::to_owned),
            Err(err) => match err.raw_response() {
                Some(raw) if raw.status().as_u16() == 404 => {
                    return Err(Error::NoSuchBucket {
                        bucket: bucket.to_owned(),
                    });
                }
                Some(raw) => raw.headers().get("x-amz-bucket-region").map(str::to_owned),
                None => {
                    return Err(Error::ProbeFailed {
                        bucket: bucket.to_owned(),
                        source: Arc::new(err),
                    });
                }
            },
        };
        tracing::debug!(bucket, region = header.as_deref(), "probed bucket region");
        let Some(raw) = header else { return Ok(None) };
        let region = self.check_region(bucket, &self.default_region, &raw)?;
        self.learn(bucket, &region);
        Ok(Some(region))
    }
}

/// A shared tier that fails is logged once, then quietly treated as a miss until it answers
/// again: a cache that is down never fails a request.
fn shared_failed(down: &AtomicBool, err: &crate::cache::CacheError) {
    if !down.swap(true, Ordering::Relaxed) {
        tracing::warn!(err = %crate::report::chain(err), "shared bucket-region cache unavailable; carrying on with the memory tier");
    } else {
        tracing::debug!(err = %crate::report::chain(err), "shared bucket-region cache still unavailable");
    }
}

fn shared_is_up(down: &AtomicBool) {
    if down.swap(false, Ordering::Relaxed) {
        tracing::info!("shared bucket-region cache is back");
    }
}

impl Router {
    /// Runs a shared-tier write off the request path, on the current Tokio runtime if any.
    fn spawn_write(
        &self,
        write: impl std::future::Future<Output = Result<(), crate::cache::CacheError>> + Send + 'static,
    ) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let down = self.shared_down.clone();
        let handle = runtime.spawn(async move {
            match write.await {
                Ok(()) => shared_is_up(&down),
                Err(err) => shared_failed(&down, &err),
            }
        });
        let mut writes = crate::lock(&self.writes);
        writes.retain(|h| !h.is_finished());
        writes.push(handle);
    }

    /// Waits for shared-tier writes started so far (call before a short-lived process exits).
    pub(crate) async fn flush(&self) {
        let pending: Vec<_> = std::mem::take(&mut *crate::lock(&self.writes));
        for handle in pending {
            let _ = handle.await;
        }
    }
}
