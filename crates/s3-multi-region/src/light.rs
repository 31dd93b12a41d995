//! The light path: one object request on a bucket whose region routing has already learned,
//! signed with SigV4 (aws-sigv4) and sent on the client's own HTTP client, without aws-sdk-s3's
//! orchestrator — for callers that issue many small requests (the object_store adapter's GETs and
//! PUTs), where the orchestrator's per-call work (configuration layers, interceptors, the
//! response deserialiser) costs more than the request.
//!
//! It keeps routing's guarantees by never judging an answer itself: only a success, `304`, `404`
//! or `412` is handed back; anything else — a wrong-region answer from a bucket that moved, a
//! throttle, a dispatch error — comes back as [`LightOutcome::UseSdk`], and the caller sends the
//! request through the routed SDK client, which re-learns the region, retries, and never shows a
//! redirect. The same HTTP client carries both paths, so proxies (`HTTPS_PROXY`, `NO_PROXY`) and
//! CA bundles (`AWS_CA_BUNDLE`) apply to both; credentials come through the SDK config's identity
//! cache.
//!
//! What stays the SDK path's only: retries and their back-off, operation and attempt timeouts
//! (the light path keeps the HTTP client's connect and read timeouts), stalled-stream
//! protection, clock-skew correction, and checksums beyond the signed SHA-256 of the body.
//!
//! Not taken (the SDK path is): buckets routing does not route (ARNs, directory buckets, access
//! point aliases), a region not yet learned, a client whose S3 config was customised
//! (`configure_s3` can change anything a request depends on), an endpoint URL without an
//! endpoint map, an endpoint whose auth scheme is not plain SigV4, and anonymous clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::config::endpoint::{DefaultResolver, Params, ResolveEndpoint as _};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime::client::auth::no_auth::{NO_AUTH_SCHEME_ID, NoAuthScheme};
use aws_smithy_runtime::client::identity::no_auth::NoAuthIdentityResolver;
use aws_smithy_runtime::client::retries::strategy::NeverRetryStrategy;
use aws_smithy_runtime_api::client::auth::static_resolver::StaticAuthSchemeOptionResolver;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::{
    ResolveCachedIdentity, SharedIdentityCache, SharedIdentityResolver,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::Document;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::endpoint::EndpointAuthScheme;
use aws_types::SdkConfig;
use aws_types::sdk_config::SharedTimeSource;
use bytes::Bytes;
use futures::FutureExt as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::region::ValidRegion;
use crate::routing::Router;

/// A key in a URL path, as aws-sdk-s3 writes `{Key+}`: everything but unreserved characters and
/// `/` percent-encoded.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A query value (`versionId`): everything but unreserved characters percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One object request for the light path: GET, HEAD or PUT of one key, with headers.
#[derive(Debug, Clone)]
pub struct LightRequest {
    method: http::Method,
    key: String,
    version_id: Option<String>,
    headers: http::HeaderMap,
    body: Bytes,
}

impl LightRequest {
    /// A GetObject of `key`.
    pub fn get(key: impl Into<String>) -> Self {
        Self::new(http::Method::GET, key.into(), Bytes::new())
    }

    /// A PutObject of `key` with `body` (its SHA-256 is signed, so S3 checks it).
    pub fn put(key: impl Into<String>, body: Bytes) -> Self {
        Self::new(http::Method::PUT, key.into(), body)
    }

    fn new(method: http::Method, key: String, body: Bytes) -> Self {
        Self {
            method,
            key,
            version_id: None,
            headers: http::HeaderMap::new(),
            body,
        }
    }

    /// A header of the request (`Range`, `If-Match`, `Content-Type`, `x-amz-meta-…`); a name or
    /// value HTTP does not allow is refused before anything is sent.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, crate::Error> {
        let invalid = || crate::Error::InvalidHeader {
            name: name.to_owned(),
        };
        let header = http::HeaderName::try_from(name).map_err(|_| invalid())?;
        let value = http::HeaderValue::try_from(value).map_err(|_| invalid())?;
        self.headers.append(header, value);
        Ok(self)
    }

    /// The object version (`?versionId=`).
    pub fn version_id(mut self, version: impl Into<String>) -> Self {
        self.version_id = Some(version.into());
        self
    }
}

/// What the light path did with a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum LightOutcome {
    /// S3's answer: a success (`2xx`), `304 Not Modified`, `404` or `412 Precondition Failed`.
    Answered(LightResponse),
    /// Send the request through the SDK client instead (see [`Fallback`]).
    UseSdk(Fallback),
}

/// Why a request was left to the SDK path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fallback {
    /// This client has no light path (see the module docs for when).
    Unavailable,
    /// A bucket routing does not route (ARN, directory bucket, alias).
    NotRouted,
    /// The bucket's region is not learned yet: the SDK path learns it.
    RegionUnknown,
    /// The bucket's endpoint is not plain SigV4 (SigV4a, S3 Express) or sets headers.
    Endpoint,
    /// Sent, and S3 answered with this status (a wrong-region answer, a throttle, an error the
    /// SDK path reports with its code and message). Nothing was learned or forgotten.
    Status(u16),
    /// Not sent, or no answer (credentials, signing, connection): the SDK path retries.
    NotSent(String),
}

/// S3's answer on the light path.
#[derive(Debug)]
pub struct LightResponse {
    status: u16,
    headers: http::HeaderMap,
    body: SdkBody,
}

impl LightResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The body, streamed.
    pub fn into_body(self) -> ByteStream {
        ByteStream::new(self.body)
    }

    /// An answer that is not a success as an error: its status and S3's `<Code>` (from the
    /// first 64 KiB of the body).
    pub async fn into_error(self) -> LightError {
        let status = self.status;
        let body = self
            .into_body()
            .collect()
            .await
            .map(|b| b.into_bytes())
            .unwrap_or_default();
        LightError {
            status,
            code: crate::redirect::parse_error_body(&body).code,
        }
    }
}

/// A `304`, `404` or `412` answered on the light path, as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("S3 answered {status}{} (light path)", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
pub struct LightError {
    /// The HTTP status.
    pub status: u16,
    /// S3's `<Code>`, when the body had one (`NoSuchKey`, `PreconditionFailed`).
    pub code: Option<String>,
}

/// Where a bucket's requests go in one region, as the SDK's endpoint rules say.
#[derive(Debug)]
struct Route {
    /// `https://bucket.s3.eu-west-1.amazonaws.com` or, path-style, `http://host:port/bucket`.
    base: String,
    signing_region: String,
}

#[derive(Debug, Default)]
struct Counters {
    answered: AtomicU64,
    fallbacks: AtomicU64,
}

/// The light path of one client (built by [`crate::MultiRegionClientBuilder::build`]).
#[derive(Debug)]
pub(crate) struct LightPath {
    router: Arc<Router>,
    use_fips: bool,
    use_dual_stack: bool,
    connector: SharedHttpConnector,
    components: RuntimeComponents,
    identity_cache: SharedIdentityCache,
    identity: SharedIdentityResolver,
    time: SharedTimeSource,
    routes: quick_cache::sync::Cache<(String, ValidRegion), Arc<Route>>,
    counters: Counters,
}

/// How many buckets × regions the light path keeps resolved endpoints for.
const ROUTES: usize = 4096;

impl LightPath {
    /// The light path for a client built from `sdk` and `http`, or `None` when `sdk` has no
    /// credentials provider (anonymous requests stay on the SDK path).
    pub(crate) fn new(
        sdk: &SdkConfig,
        http: aws_smithy_runtime_api::client::http::SharedHttpClient,
        router: Arc<Router>,
    ) -> Option<Self> {
        let credentials = sdk.credentials_provider()?;
        let identity_cache = sdk
            .identity_cache()
            .unwrap_or_else(|| aws_smithy_runtime::client::identity::IdentityCache::lazy().build());
        let time = sdk.time_source().unwrap_or_default();
        // The connector wants runtime components (its sleep and time sources); the required
        // slots it never reads are filled with no-auth and no-retry parts.
        let components = RuntimeComponentsBuilder::new("s3-multi-region light path")
            .with_http_client(Some(http.clone()))
            .with_endpoint_resolver(Some(DefaultResolver::new().into_shared_resolver()))
            .with_auth_scheme_option_resolver(Some(StaticAuthSchemeOptionResolver::new(vec![
                NO_AUTH_SCHEME_ID,
            ])))
            .with_auth_scheme(NoAuthScheme::new())
            .with_identity_cache(Some(identity_cache.clone()))
            .with_identity_resolver(NO_AUTH_SCHEME_ID, NoAuthIdentityResolver::new())
            .with_retry_strategy(Some(NeverRetryStrategy::new()))
            .with_time_source(Some(time.clone()))
            .with_sleep_impl(Some(sdk.sleep_impl().unwrap_or_else(|| {
                aws_types::sdk_config::SharedAsyncSleep::new(
                    aws_smithy_async::rt::sleep::TokioSleep::new(),
                )
            })))
            .build()
            .ok()?;
        // The cache reads the components' time and sleep: proven present here, not per request.
        identity_cache
            .validate_final_config(&components, &ConfigBag::base())
            .ok()?;
        let timeouts = sdk.timeout_config();
        let mut settings = HttpConnectorSettings::builder();
        settings
            .set_connect_timeout(timeouts.and_then(|t| t.connect_timeout()))
            .set_read_timeout(timeouts.and_then(|t| t.read_timeout()));
        let settings = settings.build();
        let connector = http.http_connector(&settings, &components);
        Some(Self {
            router,
            use_fips: sdk.use_fips().unwrap_or(false),
            use_dual_stack: sdk.use_dual_stack().unwrap_or(false),
            connector,
            components,
            identity_cache,
            identity: SharedIdentityResolver::new(credentials),
            time,
            routes: quick_cache::sync::Cache::new(ROUTES),
            counters: Counters::default(),
        })
    }

    /// Requests answered on the light path, and requests it left to the SDK path.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counters.answered.load(Ordering::Relaxed),
            self.counters.fallbacks.load(Ordering::Relaxed),
        )
    }

    pub(crate) async fn send(&self, bucket: &str, request: LightRequest) -> LightOutcome {
        let outcome = self.try_send(bucket, request).await;
        let counter = match outcome {
            Ok(_) => &self.counters.answered,
            Err(_) => &self.counters.fallbacks,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(response) => LightOutcome::Answered(response),
            Err(why) => {
                tracing::debug!(bucket, ?why, "light path: left to the SDK path");
                LightOutcome::UseSdk(why)
            }
        }
    }

    async fn try_send(
        &self,
        bucket: &str,
        request: LightRequest,
    ) -> Result<LightResponse, Fallback> {
        if crate::routing::is_special_bucket(bucket) {
            return Err(Fallback::NotRouted);
        }
        // The memory tier only, uncounted: a miss costs nothing here (the SDK path counts it).
        let region = self
            .router
            .memory
            .get_region(&self.router.scope, bucket)
            .ok_or(Fallback::RegionUnknown)?;
        let route = self.route(bucket, region)?;
        let mut uri = format!("{}/{}", route.base, utf8_percent_encode(&request.key, KEY));
        if let Some(version) = &request.version_id {
            uri.push_str("?versionId=");
            uri.extend(utf8_percent_encode(version, QUERY_VALUE));
        }
        let mut http_request = http::Request::builder()
            .method(request.method.clone())
            .uri(&uri)
            .body(SdkBody::from(request.body.clone()))
            .map_err(|e| Fallback::NotSent(e.to_string()))?;
        *http_request.headers_mut() = request.headers;
        let headers = http_request.headers_mut();
        if request.method == http::Method::PUT {
            headers.insert(http::header::CONTENT_LENGTH, request.body.len().into());
        }
        let identity = self
            .identity_cache
            .resolve_cached_identity(self.identity.clone(), &self.components, &ConfigBag::base())
            .await
            .map_err(|e| Fallback::NotSent(format!("credentials: {e}")))?;
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&route.signing_region)
            .name("s3")
            .time(self.time.now())
            .settings(settings)
            .build()
            .map_err(|e| Fallback::NotSent(format!("signing: {e}")))?
            .into();
        let signable = SignableRequest::new(
            http_request.method().as_str(),
            uri.as_str(),
            http_request
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
            SignableBody::Bytes(&request.body),
        )
        .map_err(|e| Fallback::NotSent(format!("signing: {e}")))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| Fallback::NotSent(format!("signing: {e}")))?
            .into_parts();
        instructions.apply_to_request_http1x(&mut http_request);
        http_request.headers_mut().insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(concat!(
                "s3-multi-region/",
                env!("CARGO_PKG_VERSION"),
                " light"
            )),
        );
        let http_request =
            HttpRequest::try_from(http_request).map_err(|e| Fallback::NotSent(e.to_string()))?;
        let response = self
            .connector
            .call(http_request)
            .await
            .map_err(|e| Fallback::NotSent(format!("dispatch: {e}")))?;
        let status = response.status().as_u16();
        if !hands_back(status) {
            return Err(Fallback::Status(status));
        }
        let response: http::Response<SdkBody> = response
            .try_into_http1x()
            .map_err(|e| Fallback::NotSent(e.to_string()))?;
        let (parts, body) = response.into_parts();
        Ok(LightResponse {
            status,
            headers: parts.headers,
            body,
        })
    }

    /// The bucket's endpoint in `region`, resolved once by the SDK's own endpoint rules (with
    /// the client's FIPS and dual-stack settings and its endpoint map) and kept.
    fn route(&self, bucket: &str, region: ValidRegion) -> Result<Arc<Route>, Fallback> {
        let key = (bucket.to_owned(), region);
        if let Some(route) = self.routes.get(&key) {
            return Ok(route);
        }
        let region = &key.1;
        let mapped = self.router.endpoints.as_ref().and_then(|m| m.get(region));
        let params = Params::builder()
            .bucket(bucket)
            .region(region.as_str())
            .use_fips(self.use_fips)
            .use_dual_stack(self.use_dual_stack)
            .set_endpoint(mapped.map(str::to_owned))
            .set_force_path_style(mapped.map(|_| true))
            .build()
            .map_err(|_| Fallback::Endpoint)?;
        let endpoint = DefaultResolver::new()
            .resolve_endpoint(&params)
            .now_or_never()
            .ok_or(Fallback::Endpoint)?
            .map_err(|_| Fallback::Endpoint)?;
        if endpoint.headers().next().is_some() {
            return Err(Fallback::Endpoint);
        }
        let signing_region =
            sigv4_signing_region(endpoint.auth_schemes()).ok_or(Fallback::Endpoint)?;
        let route = Arc::new(Route {
            base: endpoint.url().trim_end_matches('/').to_owned(),
            signing_region,
        });
        self.routes.insert(key, route.clone());
        Ok(route)
    }
}

/// The answers the light path hands back; every other status goes to the SDK path.
pub(crate) fn hands_back(status: u16) -> bool {
    (200..300).contains(&status) || matches!(status, 304 | 404 | 412)
}

/// The signing region of an endpoint whose first auth scheme is plain SigV4 for `s3`.
fn sigv4_signing_region(schemes: &[EndpointAuthScheme]) -> Option<String> {
    let first = schemes.first()?;
    let text = |name: &str| match first.get(name) {
        Some(Document::String(s)) => Some(s.as_str()),
        _ => None,
    };
    (first.name() == "sigv4" && text("signingName") == Some("s3"))
        .then(|| text("signingRegion").map(str::to_owned))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_successes_and_the_callers_own_answers_are_handed_back() {
        for (status, direct) in [
            (200, true),
            (206, true),
            (204, true),
            (304, true),
            (404, true),
            (412, true),
            (301, false),
            (307, false),
            (400, false),
            (403, false),
            (500, false),
            (503, false),
        ] {
            assert_eq!(hands_back(status), direct, "{status}");
        }
    }

    fn scheme(name: &str, pairs: &[(&str, &str)]) -> EndpointAuthScheme {
        pairs.iter().fold(
            EndpointAuthScheme::with_capacity(name.to_owned(), 3),
            |s, (k, v)| s.put((*k).to_owned(), Document::String((*v).to_owned())),
        )
    }

    #[test]
    fn only_plain_sigv4_for_s3_is_signed_here() {
        let sigv4 = scheme(
            "sigv4",
            &[("signingName", "s3"), ("signingRegion", "eu-west-1")],
        );
        assert_eq!(sigv4_signing_region(&[sigv4]).as_deref(), Some("eu-west-1"));
        for other in [
            vec![scheme(
                "sigv4a",
                &[("signingName", "s3"), ("signingRegion", "*")],
            )],
            vec![scheme(
                "sigv4-s3express",
                &[("signingName", "s3express"), ("signingRegion", "us-west-2")],
            )],
            vec![scheme(
                "sigv4",
                &[("signingName", "s3-outposts"), ("signingRegion", "x")],
            )],
            vec![scheme("sigv4", &[("signingName", "s3")])],
            vec![],
        ] {
            assert_eq!(sigv4_signing_region(&other), None, "{other:?}");
        }
    }

    #[test]
    fn keys_are_encoded_as_the_sdk_encodes_them() {
        for (key, encoded) in [
            ("a/b/c.txt", "a/b/c.txt"),
            ("with space", "with%20space"),
            ("plus+equals=&?#", "plus%2Bequals%3D%26%3F%23"),
            ("ünïcode", "%C3%BCn%C3%AFcode"),
            ("tilde~under_score-dot.", "tilde~under_score-dot."),
            ("//double", "//double"),
        ] {
            assert_eq!(utf8_percent_encode(key, KEY).to_string(), encoded, "{key}");
        }
    }
}
