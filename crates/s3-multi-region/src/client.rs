//! [`MultiRegionClient`]: a real `aws_sdk_s3::Client` with routing installed, and its builder.

use std::ops::Deref;
use std::sync::Arc;

use aws_sdk_s3::config::Region;
use aws_smithy_runtime_api::client::endpoint::SharedEndpointResolver;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_types::retry::RetryConfig;
use aws_types::SdkConfig;

use crate::cache::{BucketRegionCache, MemoryCache};
use crate::endpoints::EndpointMap;
use crate::error::Error;
use crate::light::{Fallback, LightOutcome, LightPath, LightRequest};
use crate::region::ValidRegion;
use crate::routing::classifier::RedirectClassifier;
use crate::routing::interceptor::{ExplicitRegionMarker, RoutingInterceptor};
use crate::routing::resolver::RoutingResolver;
use crate::routing::{Policy, Router, Stats};

/// The default of [`MultiRegionClientBuilder::direct_body_limit`]: 1 MiB.
pub const DEFAULT_DIRECT_BODY_LIMIT: u64 = 1024 * 1024;

/// Per-call region override, PHP's `@region`: pass it to `.customize().config_override(..)`.
///
/// It wins over the cache and the client's default region; a wrong explicit region is still
/// corrected by S3's redirect.
///
/// ```no_run
/// # async fn run(client: &s3_multi_region::MultiRegionClient) -> Result<(), Box<dyn std::error::Error>> {
/// let object = client
///     .get_object()
///     .bucket("eu-logs")
///     .key("today.log")
///     .customize()
///     .config_override(s3_multi_region::at_region("eu-west-1"))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
pub fn at_region(region: &str) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default()
        .region(Region::new(region.to_owned()))
        .interceptor(ExplicitRegionMarker(region.to_owned()))
}

/// One S3 client for buckets in every region.
///
/// It derefs to [`aws_sdk_s3::Client`]: every operation, paginator, waiter and presigned request
/// works unchanged and goes to the bucket's region.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
///     .http_client(s3_multi_region::http_client()?)
///     .load()
///     .await;
/// let client = s3_multi_region::MultiRegionClient::new(&sdk)?;
/// // Wherever the bucket lives, no PermanentRedirect reaches you.
/// let listing = client.list_objects_v2().bucket("bucket-in-any-region").send().await?;
/// println!("{} keys; routing so far: {:?}", listing.key_count().unwrap_or(0), client.stats());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MultiRegionClient {
    s3: aws_sdk_s3::Client,
    router: Arc<Router>,
    light: Option<Arc<LightPath>>,
}

impl Deref for MultiRegionClient {
    type Target = aws_sdk_s3::Client;

    fn deref(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }
}

impl MultiRegionClient {
    /// A client with the defaults: in-memory cache, routing on, AWS endpoints.
    pub fn new(sdk: &SdkConfig) -> Result<Self, Error> {
        Self::builder(sdk).build()
    }

    /// A builder starting from `sdk` (credentials, HTTP client, retry and timeout settings).
    pub fn builder(sdk: &SdkConfig) -> MultiRegionClientBuilder {
        MultiRegionClientBuilder {
            sdk: sdk.clone(),
            memory: None,
            shared: None,
            endpoints: None,
            routing: true,
            direct_body_limit: DEFAULT_DIRECT_BODY_LIMIT,
            copied_params: crate::routing::params::COPIED_FIELDS,
            sdk_params_shown: None,
            customize: None,
            zones: Vec::new(),
        }
    }

    /// The underlying SDK client.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// The region used for buckets of unknown region and bucket-less operations.
    pub fn default_region(&self) -> &str {
        &self.router.default_region
    }

    /// What routing has done so far.
    pub fn stats(&self) -> Stats {
        let mut stats = self.router.stats();
        if let Some(light) = &self.light {
            (stats.light_answered, stats.light_fallbacks) = light.counts();
        }
        stats
    }

    /// Sends one object request on the **light path** — signed and sent on this client's HTTP
    /// client without aws-sdk-s3's orchestrator — when the bucket's region is already learned.
    /// For callers issuing many small requests (the object_store adapter's GETs and PUTs); the
    /// answer is S3's raw HTTP response, and anything but a success, `304`, `404` or `412` comes
    /// back as [`LightOutcome::UseSdk`]: send the same request through this client then, which
    /// follows a bucket that moved, retries, and reports errors as usual.
    ///
    /// ```no_run
    /// # async fn run(client: s3_multi_region::MultiRegionClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use s3_multi_region::{LightOutcome, LightRequest};
    ///
    /// let request = LightRequest::get("2026/12/01.parquet").header("range", "bytes=0-1023")?;
    /// let footer = match client.send_light("logs-in-sydney", request).await {
    ///     LightOutcome::Answered(answer) if answer.status() == 206 => {
    ///         answer.into_body().collect().await?.into_bytes()
    ///     }
    ///     _ => {
    ///         let got = client.get_object().bucket("logs-in-sydney").key("2026/12/01.parquet");
    ///         got.range("bytes=0-1023").send().await?.body.collect().await?.into_bytes()
    ///     }
    /// };
    /// # let _ = footer; Ok(()) }
    /// ```
    pub async fn send_light(&self, bucket: &str, request: LightRequest) -> LightOutcome {
        match &self.light {
            Some(light) => light.send(bucket, request).await,
            None => LightOutcome::UseSdk(Fallback::Unavailable),
        }
    }

    /// The memory tier (share it with another client through the builder).
    pub fn memory_cache(&self) -> &Arc<MemoryCache> {
        &self.router.memory
    }

    /// The cache scope of this client: its partition, or its endpoint map's fingerprint.
    pub fn cache_scope(&self) -> &str {
        &self.router.scope
    }

    /// The region cached for `bucket` in the memory tier, if any (no request).
    pub fn cached_region(&self, bucket: &str) -> Option<ValidRegion> {
        self.router.memory.get_region(&self.router.scope, bucket)
    }

    /// Routes `bucket` to `region` until S3 says otherwise: a region the caller knows (a
    /// configuration file, a `--at-region` flag), held in the memory tier only. Right, it saves
    /// the discovery; wrong, it costs one redirect, once, and the redirect's region replaces it.
    /// A region outside the client's partition or endpoint map is refused.
    ///
    /// ```no_run
    /// # fn run(client: s3_multi_region::MultiRegionClient) -> Result<(), s3_multi_region::Error> {
    /// client.assume_region("logs-eu", "eu-west-1")?;
    /// # Ok(()) }
    /// ```
    pub fn assume_region(&self, bucket: &str, region: &str) -> Result<(), Error> {
        let region = self.router.check_region(bucket, "the caller", region)?;
        self.router
            .memory
            .insert(&self.router.scope, bucket, &region);
        Ok(())
    }

    /// Waits until every write to the shared cache tier started so far has finished. Writes run
    /// off the request path; call this before a short-lived process exits so the next process
    /// finds what this one learned.
    pub async fn flush_cache_writes(&self) {
        self.router.flush().await;
    }

    /// The shared tier, if any.
    pub fn shared_cache(&self) -> Option<&Arc<dyn BucketRegionCache>> {
        self.router.shared.as_ref()
    }

    /// The region of `bucket`: from the cache, or one HeadBucket probe (whose answer is cached).
    /// Call it before presigning for a bucket the client has not met, so the URL names the right
    /// region.
    pub async fn bucket_region(&self, bucket: &str) -> Result<ValidRegion, Error> {
        if let Some(region) = self.cached_region(bucket) {
            return Ok(region);
        }
        match self.router.probe(bucket).await? {
            Some(region) => Ok(region),
            None => Err(Error::RegionUnresolved {
                bucket: bucket.to_owned(),
                tried: self.router.default_region.to_string(),
            }),
        }
    }

    /// A presigned GET of `bucket/key`, valid for `expires_in`, addressed to the bucket's region
    /// (discovered first when unknown).
    pub async fn presigned_get_object(
        &self,
        bucket: &str,
        key: &str,
        expires_in: std::time::Duration,
    ) -> Result<aws_sdk_s3::presigning::PresignedRequest, Box<dyn std::error::Error + Send + Sync>>
    {
        self.bucket_region(bucket).await?;
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires_in)?;
        Ok(self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(config)
            .await?)
    }
}

type Customize = Box<dyn FnOnce(aws_sdk_s3::config::Builder) -> aws_sdk_s3::config::Builder + Send>;

/// Builds a [`MultiRegionClient`].
pub struct MultiRegionClientBuilder {
    sdk: SdkConfig,
    memory: Option<Arc<MemoryCache>>,
    shared: Option<Arc<dyn BucketRegionCache>>,
    endpoints: Option<EndpointMap>,
    routing: bool,
    direct_body_limit: u64,
    copied_params: &'static [&'static str],
    sdk_params_shown: Option<&'static [&'static str]>,
    customize: Option<Customize>,
    zones: Vec<(String, String)>,
}

impl std::fmt::Debug for MultiRegionClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiRegionClientBuilder")
            .field("endpoints", &self.endpoints)
            .field("routing", &self.routing)
            .finish_non_exhaustive()
    }
}

impl MultiRegionClientBuilder {
    /// Uses this memory tier (share one `Arc` between clients so the second pays no redirect).
    pub fn memory_cache(mut self, cache: Arc<MemoryCache>) -> Self {
        self.memory = Some(cache);
        self
    }

    /// Puts a shared tier (file, Redis, your own) behind the memory tier.
    pub fn shared_cache(mut self, cache: Arc<dyn BucketRegionCache>) -> Self {
        self.shared = Some(cache);
        self
    }

    /// Sends each region to its endpoint in `map` (path-style), for non-AWS sites and tests.
    pub fn endpoint_map(mut self, map: EndpointMap) -> Self {
        self.endpoints = Some(map);
        self
    }

    /// Turns routing off (`false`): the client then behaves exactly like the plain SDK client.
    pub fn routing(mut self, enabled: bool) -> Self {
        self.routing = enabled;
        self
    }

    /// Bodies up to `bytes` (replayable, known length) are sent straight away to a bucket whose
    /// region is not known yet, and sent once more if S3 answers that the region is wrong — as
    /// botocore and Java v2 do. Larger bodies, bodies of unknown length and one-shot streams first
    /// learn the region (one HeadBucket, shared by concurrent calls), so they never reach a wrong
    /// region. Default [`DEFAULT_DIRECT_BODY_LIMIT`] (1 MiB, where Java v2 starts to use
    /// `Expect: 100-continue`); `0` makes every body wait for the region.
    pub fn direct_body_limit(mut self, bytes: u64) -> Self {
        self.direct_body_limit = bytes;
        self
    }

    /// For tests of the SDK-drift guard only (feature `test-util`): pretend routing copies just
    /// these endpoint parameters, as if the linked aws-sdk-s3 had added the others.
    #[cfg(feature = "test-util")]
    pub fn assume_copied_endpoint_params(mut self, fields: &'static [&'static str]) -> Self {
        self.copied_params = fields;
        self
    }

    /// For tests of the SDK-drift guard only: pretend `Params`'s `Debug` shows just these fields
    /// (as a newer SDK that prints it differently might), so the build-time warning is tested
    /// and the per-call guard is seen not to depend on it (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn assume_debug_shows_endpoint_params(mut self, fields: &'static [&'static str]) -> Self {
        self.sdk_params_shown = Some(fields);
        self
    }

    /// Names the region of a zone AWS's naming rule cannot tell (a Dedicated Local Zone, a
    /// partition named otherwise): directory buckets in `zone` go to `region`
    /// ([`region::zone`](crate::region::zone)). Checked when the client is built.
    ///
    /// ```
    /// # fn run(sdk: &aws_types::SdkConfig) -> Result<(), s3_multi_region::Error> {
    /// let client = s3_multi_region::MultiRegionClient::builder(sdk)
    ///     .zone_region("dusw2-dlz1-az1", "us-west-2")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn zone_region(mut self, zone: &str, region: &str) -> Self {
        self.zones.push((zone.to_owned(), region.to_owned()));
        self
    }

    /// Adjusts the S3 config before the client is built (retry, timeouts, ...).
    pub fn configure_s3(
        mut self,
        customize: impl FnOnce(aws_sdk_s3::config::Builder) -> aws_sdk_s3::config::Builder
        + Send
        + 'static,
    ) -> Self {
        self.customize = Some(Box::new(customize));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<MultiRegionClient, Error> {
        let default_region = self.sdk.region().map_or("us-east-1", |r| r.as_ref());
        let default_region =
            ValidRegion::new(default_region).map_err(Error::InvalidRegionArgument)?;
        let zones = self
            .zones
            .iter()
            .map(|(zone, region)| Ok((zone.clone(), ValidRegion::new(region)?)))
            .collect::<Result<_, _>>()
            .map_err(Error::InvalidRegionArgument)?;
        let endpoints = self.endpoints.map(Arc::new);
        if let Some(map) = &endpoints
            && map.get(&default_region).is_none()
        {
            return Err(Error::NoEndpointForRegion {
                region: default_region.to_string(),
            });
        }

        if endpoints.is_none() && has_endpoint_url(&self.sdk) {
            // Every region's requests would go to that one URL, re-signed for the region:
            // S3 behind a custom endpoint cannot be routed without an endpoint map.
            tracing::warn!(
                "the SDK config sets an endpoint URL (endpoint_url or AWS_ENDPOINT_URL[_S3]) and \
                 no endpoint map: requests cannot be routed to other regions' endpoints"
            );
        }

        let mut base = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::from(default_region.clone()));
        let http = match self.sdk.http_client() {
            Some(http) => http,
            None => {
                let http = crate::http::http_client().map_err(|e| Error::HttpClient {
                    source: Arc::new(e),
                })?;
                base = base.http_client(http.clone());
                http
            }
        };
        // The light path builds requests from what it can see: not after `configure_s3` (which
        // can change anything a request depends on), nor with an endpoint URL routing cannot
        // route.
        let light_allowed = self.routing
            && self.customize.is_none()
            && (endpoints.is_some() || !has_endpoint_url(&self.sdk));
        if endpoints.is_some() {
            base = base.force_path_style(true);
        }
        if let Some(customize) = self.customize {
            // Routing installs its own endpoint resolver; one set in `configure_s3` would be
            // dropped without a word, so a sentinel tells whether it was replaced.
            base.set_endpoint_resolver(Some(SharedEndpointResolver::new(Sentinel)));
            base = customize(base);
            if !still_sentinel(&base) {
                return Err(Error::EndpointResolverReplaced);
            }
        }

        // The probe client: same credentials and HTTP client, no routing, one attempt.
        let probe_config = base
            .clone()
            .retry_config(RetryConfig::disabled())
            .endpoint_resolver_shared(SharedEndpointResolver::new(RoutingResolver::new(
                endpoints.clone(),
                None,
            )))
            .build();
        let router = Arc::new(Router::new(
            default_region,
            endpoints.clone(),
            self.memory.unwrap_or_default(),
            self.shared,
            Policy {
                enabled: self.routing,
                direct_body_limit: self.direct_body_limit,
                copied_params: {
                    warn_of_uncopied_params(self.sdk_params_shown, self.copied_params);
                    self.copied_params
                },
                zones,
            },
            aws_sdk_s3::Client::from_conf(probe_config),
        ));
        // Permanent: nothing outside this crate can name the type to disable it, and a
        // disableable interceptor costs the SDK a config-bag search on each hook it runs.
        base.push_interceptor(SharedInterceptor::permanent(RoutingInterceptor {
            router: router.clone(),
        }));
        let config = base
            .retry_classifier(RedirectClassifier)
            .endpoint_resolver_shared(SharedEndpointResolver::new(RoutingResolver::new(
                endpoints,
                Some(router.clone()),
            )))
            .build();
        let light = light_allowed
            .then(|| LightPath::new(&self.sdk, http, router.clone()))
            .flatten()
            .map(Arc::new);
        Ok(MultiRegionClient {
            s3: aws_sdk_s3::Client::from_conf(config),
            router,
            light,
        })
    }
}

trait EndpointResolverShared {
    fn endpoint_resolver_shared(self, resolver: SharedEndpointResolver) -> Self;
}

impl EndpointResolverShared for aws_sdk_s3::config::Builder {
    fn endpoint_resolver_shared(mut self, resolver: SharedEndpointResolver) -> Self {
        self.set_endpoint_resolver(Some(resolver));
        self
    }
}

/// Says once, at `warn`, what the linked aws-sdk-s3's `Params` has that routing does not copy
/// (a user's `cargo update` can link a newer SDK than we tested), or that its `Debug` no longer
/// shows every field routing knows. Only a warning: every call's copy is proven equal to the
/// original but for the region (`routing::params::check_copy`), whatever `Debug` prints.
fn warn_of_uncopied_params(shown: Option<&[&str]>, copied: &[&str]) {
    use crate::routing::params;
    static SDK_FIELDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    static WARNED: std::sync::Once = std::sync::Once::new();
    let fields: Vec<String> = match shown {
        Some(shown) => shown.iter().map(|f| (*f).to_owned()).collect(),
        None => SDK_FIELDS.get_or_init(params::sdk_fields).clone(),
    };
    let uncopied = params::uncopied(&fields, copied);
    let unseen: Vec<&str> = params::COPIED_FIELDS
        .iter()
        .copied()
        .filter(|known| !fields.iter().any(|f| f == known))
        .collect();
    if uncopied.is_empty() && unseen.is_empty() {
        return;
    }
    // Tests of the guard pass their own lists: warn each time for them, once otherwise.
    let warn = || {
        tracing::warn!(
            fields = ?uncopied,
            not_shown = ?unseen,
            linked = aws_sdk_s3::meta::PKG_VERSION,
            tested = params::TESTED_AWS_SDK_S3,
            "aws-sdk-s3's endpoint parameters differ from those s3-multi-region copies (fields it \
             does not copy, or fewer shown by Debug than it knows): each call is checked, and one \
             whose copy would lose a value is not rerouted (its wrong-region answer becomes an \
             error). Upgrade s3-multi-region, or use the aws-sdk-s3 release it was tested with"
        );
    };
    if shown.is_some() || copied.len() != params::COPIED_FIELDS.len() {
        warn();
    } else {
        WARNED.call_once(warn);
    }
}

/// Whether `sdk` sends S3 to a custom endpoint URL (`endpoint_url`, `AWS_ENDPOINT_URL_S3`,
/// `AWS_ENDPOINT_URL`, or the profile's `endpoint_url`), as `aws_sdk_s3::config::Builder::from`
/// reads it.
fn has_endpoint_url(sdk: &SdkConfig) -> bool {
    let key = aws_types::service_config::ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    sdk.endpoint_url().is_some()
        || key.is_ok_and(|key| {
            sdk.service_config()
                .and_then(|c| c.load_config(key))
                .is_some()
        })
}

/// The endpoint resolver set before `configure_s3` runs: still there afterwards means the
/// customisation left resolution to routing.
#[derive(Debug)]
struct Sentinel;

const SENTINEL_URL: &str = "s3mr-sentinel://unchanged";

impl aws_smithy_runtime_api::client::endpoint::ResolveEndpoint for Sentinel {
    fn resolve_endpoint<'a>(
        &'a self,
        _: &'a aws_smithy_runtime_api::client::endpoint::EndpointResolverParams,
    ) -> aws_smithy_runtime_api::client::endpoint::EndpointFuture<'a> {
        aws_smithy_runtime_api::client::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(SENTINEL_URL)
                .build(),
        ))
    }
}

fn still_sentinel(builder: &aws_sdk_s3::config::Builder) -> bool {
    use aws_smithy_runtime_api::client::endpoint::ResolveEndpoint as _;
    use futures::FutureExt as _;
    let config = builder.clone().build();
    let params = aws_smithy_runtime_api::client::endpoint::EndpointResolverParams::new(());
    let resolver = config.endpoint_resolver();
    resolver
        .resolve_endpoint(&params)
        .now_or_never()
        .and_then(Result::ok)
        .is_some_and(|e| e.url() == SENTINEL_URL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk() -> SdkConfig {
        SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build()
    }

    #[test]
    fn a_replaced_endpoint_resolver_is_an_error_not_silently_dropped() {
        let replaced = MultiRegionClient::builder(&sdk())
            .configure_s3(|b| {
                b.endpoint_resolver(aws_sdk_s3::config::endpoint::DefaultResolver::new())
            })
            .build();
        assert!(
            matches!(replaced, Err(Error::EndpointResolverReplaced)),
            "{replaced:?}"
        );
        let tuned = MultiRegionClient::builder(&sdk())
            .configure_s3(|b| b.retry_config(RetryConfig::standard().with_max_attempts(5)))
            .build();
        assert!(tuned.is_ok(), "{tuned:?}");
    }

    #[test]
    fn custom_endpoint_urls_are_noticed() {
        assert!(!has_endpoint_url(&sdk()));
        let custom = sdk()
            .to_builder()
            .endpoint_url("https://minio.internal:9000")
            .build();
        assert!(has_endpoint_url(&custom));
        // AWS_ENDPOINT_URL_S3 (or the profile's endpoint_url) reaches the S3 client through
        // the service config, as aws-config loads it.
        #[derive(Debug)]
        struct S3EndpointFromEnv;
        impl aws_types::service_config::LoadServiceConfig for S3EndpointFromEnv {
            fn load_config(
                &self,
                key: aws_types::service_config::ServiceConfigKey<'_>,
            ) -> Option<String> {
                (key.service_id() == "S3" && key.env() == "AWS_ENDPOINT_URL")
                    .then(|| "https://s3.internal".to_owned())
            }
        }
        let from_env = sdk().to_builder().service_config(S3EndpointFromEnv).build();
        assert!(has_endpoint_url(&from_env));
    }
}
