//! The interceptor: chooses each attempt's region and judges each answer.

use std::sync::Arc;

use aws_sdk_s3::config::endpoint::Params;
use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointResolverParams;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use crate::error::Error;
use crate::redirect::{self, Answer, Operation, Verdict};
use crate::region::validate_region;
use crate::routing::{Discovery, ExplicitRegion, PendingRoute, RedirectTag, RouteTicket, Router};

/// What one call (all its attempts) knows about routing.
#[derive(Debug, Clone, Default)]
struct CallState {
    /// `None`: this call is not routed (no bucket, ARN, directory bucket, custom endpoint, off).
    bucket: Option<String>,
    operation: Operation,
    /// The region the SDK would have used (client default or a plain `config_override`).
    original_region: String,
    explicit_region: Option<String>,
    /// CreateBucket's `LocationConstraint`.
    constraint: Option<String>,
    body_replayable: bool,
    /// Learned in this call (redirect or probe): wins over everything.
    learned: Option<String>,
    probe_next: bool,
    redirects: u32,
    /// Attempts routed so far in this call.
    attempts: u32,
    /// This attempt's region came from the memory tier: a success confirms nothing new.
    from_cache: bool,
    tried: String,
    ticket: Option<Arc<RouteTicket>>,
    /// Endpoint parameters this call sets that a rerouted copy would drop (a newer SDK than we
    /// tested): the call keeps the SDK's own endpoint, and a wrong-region answer is an error.
    not_copied: Vec<String>,
}

/// The call's state, stored once per call and changed in place by every hook (cloning it and
/// storing it back on each hook cost more than the rest of routing on a warm call).
#[derive(Debug, Clone)]
struct CallCell(Arc<std::sync::Mutex<CallState>>);

impl CallCell {
    fn lock(&self) -> std::sync::MutexGuard<'_, CallState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Storable for CallCell {
    type Storer = StoreReplace<Self>;
}

/// The retry quota the redirect borrowed from: put back before the next attempt.
#[derive(Debug, Clone)]
struct SavedTokenBucket(TokenBucket);

impl Storable for SavedTokenBucket {
    type Storer = StoreReplace<Self>;
}

/// Records [`crate::at_region`]'s region for the routing interceptor.
#[derive(Debug)]
pub(crate) struct ExplicitRegionMarker(pub(crate) String);

impl Intercept for ExplicitRegionMarker {
    fn name(&self) -> &'static str {
        "s3-multi-region explicit region"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(ExplicitRegion(self.0.clone()));
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct RoutingInterceptor {
    pub(crate) router: Arc<Router>,
}

/// Buckets whose endpoint is not `region + bucket`: S3 resolves them itself.
fn is_special_bucket(bucket: &str) -> bool {
    bucket.starts_with("arn:")
        || bucket.ends_with("--x-s3")
        || bucket.ends_with("--ol-s3")
        || bucket.ends_with("-s3alias")
}

fn s3_params(cfg: &ConfigBag) -> Option<&Params> {
    cfg.load::<EndpointResolverParams>()?.get::<Params>()
}

impl RoutingInterceptor {
    fn first_attempt_state(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        cfg: &ConfigBag,
    ) -> Result<CallState, BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or(Operation::Other, |m| Operation::from_name(m.name()));
        let params = s3_params(cfg);
        let original_region = params
            .and_then(Params::region)
            .map_or_else(|| self.router.default_region.clone(), str::to_owned);
        let routable = self.router.enabled
            && params.is_some_and(|p| p.endpoint().is_none() || self.router.endpoints.is_some());
        let bucket = params
            .and_then(Params::bucket)
            .filter(|b| routable && !is_special_bucket(b))
            .map(str::to_owned);
        let explicit_region = match cfg.load::<ExplicitRegion>() {
            Some(ExplicitRegion(r)) => Some(r.clone()),
            None => {
                (original_region != self.router.default_region).then(|| original_region.clone())
            }
        };
        if let Some(r) = &explicit_region {
            validate_region(r).map_err(Error::InvalidRegionArgument)?;
        }
        let body = ctx.request().body();
        let constraint = match operation {
            Operation::CreateBucket => body.bytes().and_then(redirect::location_constraint),
            _ => None,
        };
        let not_copied = match (params, &bucket) {
            (Some(p), Some(_)) => {
                crate::routing::params::dropped_by_copy(p, &self.router.uncopied_params)
            }
            _ => Vec::new(),
        };
        Ok(CallState {
            bucket,
            not_copied,
            operation,
            original_region,
            explicit_region,
            constraint,
            body_replayable: body.try_clone().is_some(),
            ..CallState::default()
        })
    }

    /// The region of the next attempt, and the discovery the resolver must run first (if any).
    fn choose(
        &self,
        state: &mut CallState,
        bucket: &str,
        content_length: Option<u64>,
    ) -> (String, Option<Arc<RouteTicket>>) {
        state.from_cache = false;
        if state.probe_next {
            state.probe_next = false;
            let tried = state.tried.clone();
            let ticket = RouteTicket::new(bucket, &tried, Discovery::Probe);
            return (tried, Some(ticket));
        }
        if let Some(region) = &state.learned {
            return (region.clone(), None);
        }
        if let Some(region) = &state.explicit_region {
            return (region.clone(), None);
        }
        if state.operation == Operation::CreateBucket {
            // A new bucket lives where its constraint says: send it there, so no endpoint rejects it.
            let region = state
                .constraint
                .clone()
                .unwrap_or_else(|| state.original_region.clone());
            return (region, None);
        }
        if let Some(region) = self.router.cached(bucket) {
            state.from_cache = true;
            return (region.to_string(), None);
        }
        let region = state.original_region.clone();
        let probe_first = probes_first(
            content_length,
            state.body_replayable,
            self.router.direct_body_limit,
        );
        let ticket = RouteTicket::new(bucket, &region, Discovery::Lookup { probe_first });
        (region, Some(ticket))
    }

    /// Lets one more attempt happen without touching the caller's retry budget or quota.
    fn allow_one_more_attempt(cfg: &mut ConfigBag) {
        let retry = cfg
            .load::<RetryConfig>()
            .cloned()
            .unwrap_or_else(RetryConfig::standard);
        let bumped = retry.clone().with_max_attempts(retry.max_attempts() + 1);
        cfg.interceptor_state().store_put(bumped);
        if let Some(bucket) = cfg.load::<TokenBucket>().cloned() {
            cfg.interceptor_state().store_put(SavedTokenBucket(bucket));
            cfg.interceptor_state().store_put(TokenBucket::unlimited());
        }
    }

    fn judge(
        &self,
        state: &mut CallState,
        ctx: &mut FinalizerInterceptorContextMut<'_>,
    ) -> Result<bool, Error> {
        let Some(bucket) = state.bucket.clone() else {
            return Ok(false);
        };
        let Some(response) = ctx.response() else {
            return Ok(false);
        };
        if let Some(ticket) = &state.ticket
            && let Some(region) = ticket.resolved_region()
        {
            state.tried = region.to_owned();
            if ticket.discovery == Discovery::Probe {
                state.learned = Some(region.to_owned());
            }
        }
        let tried = state.tried.clone();
        let header = response.headers().get("x-amz-bucket-region");
        let not_copied = state.not_copied.clone();
        let answer = Answer {
            status: response.status().as_u16(),
            bucket_region: header,
            body: response.body().bytes(),
            operation: state.operation,
        };
        match redirect::classify(&answer) {
            Verdict::Confirmed => {
                match state.operation {
                    Operation::DeleteBucket => self.router.forget(&bucket),
                    Operation::CreateBucket => {
                        let region = state.constraint.clone().unwrap_or(tried);
                        if let Ok(region) = self.router.check_region(&bucket, &region, &region) {
                            self.router.learn(&bucket, &region);
                        }
                    }
                    // A warm call confirms what the memory tier already holds.
                    _ if state.from_cache => {}
                    _ => self.router.learn(&bucket, &tried),
                }
                Ok(false)
            }
            Verdict::Other => {
                if answer.status == 404
                    && answer
                        .body
                        .map(redirect::parse_error_body)
                        .and_then(|f| f.code)
                        .as_deref()
                        == Some("NoSuchBucket")
                {
                    self.router.forget(&bucket);
                }
                Ok(false)
            }
            Verdict::Redirect { .. } | Verdict::NeedsProbe if !not_copied.is_empty() => {
                Err(Error::EndpointParamsNotCopied {
                    bucket,
                    tried,
                    fields: not_copied,
                    linked: aws_sdk_s3::meta::PKG_VERSION.to_owned(),
                    tested: crate::routing::params::TESTED_AWS_SDK_S3.to_owned(),
                })
            }
            Verdict::Redirect { region, evidence } => {
                let region = self.router.check_region(&bucket, &tried, &region)?;
                if region == tried {
                    return Err(Error::RedirectToSameRegion { bucket, tried });
                }
                if state.redirects >= 1 {
                    return Err(Error::TooManyRedirects {
                        bucket,
                        tried,
                        discovered: region,
                    });
                }
                self.router.learn(&bucket, &region);
                self.router.count_redirect();
                tracing::debug!(
                    bucket,
                    from = tried,
                    to = region,
                    ?evidence,
                    "redirecting to the bucket's region"
                );
                if !state.body_replayable {
                    return Err(Error::BodyNotReplayable {
                        bucket,
                        tried,
                        discovered: region,
                    });
                }
                state.learned = Some(region);
                state.redirects += 1;
                Ok(true)
            }
            Verdict::NeedsProbe => {
                if state.redirects >= 1 || !state.body_replayable {
                    return Ok(false);
                }
                tracing::debug!(
                    bucket,
                    tried,
                    "wrong-region answer without a region: probing"
                );
                state.probe_next = true;
                state.redirects += 1;
                Ok(true)
            }
        }
    }
}

impl Intercept for RoutingInterceptor {
    fn name(&self) -> &'static str {
        "s3-multi-region routing"
    }

    fn read_before_attempt(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(SavedTokenBucket(bucket)) = cfg.load::<SavedTokenBucket>().cloned() {
            cfg.interceptor_state().store_put(bucket);
            cfg.interceptor_state().unset::<SavedTokenBucket>();
        }
        let cell = match cfg.load::<CallCell>() {
            Some(cell) => cell.clone(),
            None => {
                let cell = CallCell(Arc::new(std::sync::Mutex::new(
                    self.first_attempt_state(ctx, cfg)?,
                )));
                cfg.interceptor_state().store_put(cell.clone());
                cell
            }
        };
        let mut state = cell.lock();
        let Some(bucket) = state.bucket.take() else {
            return Ok(());
        };
        if !state.not_copied.is_empty() {
            // Sent where the SDK sends it, untouched; `judge` explains a wrong-region answer.
            state.tried = state.original_region.clone();
            state.bucket = Some(bucket);
            return Ok(());
        }
        let content_length = ctx.request().body().content_length();
        let (region, ticket) = self.choose(&mut state, &bucket, content_length);
        state.bucket = Some(bucket);
        let resolver_params = cfg
            .get_mut_from_interceptor_state::<EndpointResolverParams>()
            .ok_or("s3-multi-region: endpoint resolver params are missing")?;
        if let Some(params) = resolver_params.get_mut::<Params>() {
            // With an endpoint map, the region's endpoint too (the resolver then copies nothing).
            let mapped = self.router.endpoints.as_ref().and_then(|m| m.get(&region));
            let current = params.region() == Some(region.as_str())
                && mapped.is_none_or(|e| params.endpoint() == Some(e));
            if !current {
                *params = crate::routing::params::with_region(params, &region, mapped);
            }
        }
        // Params survive retries: once an attempt has carried a route, overwrite it on every
        // attempt after (a first attempt with nothing to discover needs none).
        if ticket.is_some() || state.attempts > 0 {
            resolver_params.set_property(PendingRoute(ticket.clone()));
        }
        state.attempts += 1;
        state.tried = region;
        state.ticket = ticket;
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        ctx: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(cell) = cfg.load::<CallCell>().cloned() else {
            return Ok(());
        };
        let mut state = cell.lock();
        if state.operation == Operation::ListBuckets {
            // ListBuckets names every bucket's region: a free warm-up of the cache.
            if let Some(response) = ctx.response().filter(|r| r.status().is_success())
                && let Some(body) = response.body().bytes()
            {
                for (bucket, raw) in redirect::listed_bucket_regions(body) {
                    if let Ok(region) =
                        self.router
                            .check_region(&bucket, &state.original_region, &raw)
                    {
                        self.router.learn(&bucket, &region);
                    }
                }
            }
            return Ok(());
        }
        let retry = self.judge(&mut state, ctx);
        drop(state);
        match retry {
            Ok(true) => {
                Self::allow_one_more_attempt(cfg);
                if let Some(response) = ctx.response_mut() {
                    response.add_extension(RedirectTag);
                }
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(err) => {
                // Returned to the caller, who reports it: logging it at warn would say it twice.
                tracing::debug!(%err, "routing stopped");
                Err(err.into())
            }
        }
    }
}

/// Whether a request to a bucket of unknown region must learn the region (one HeadBucket, shared
/// by concurrent callers) before it is sent, rather than go to the best-known region and follow a
/// wrong-region answer as any other operation does.
///
/// hyper does not wait for `100 Continue`, so a body sent to a wrong region is sent whole before
/// S3's 301 arrives. A small replayable body costs little to send twice, and sending it at once
/// makes the common cold write (a small object to a bucket in the client's own region) one
/// request, as in botocore and Java v2. Larger bodies, bodies of unknown length and one-shot
/// streams (which could not be sent a second time) wait, so they never reach a wrong region.
/// A request without a body (CreateMultipartUpload, UploadPartCopy, GET) never waits: its own
/// wrong-region answer teaches the region before any body is sent.
pub(crate) fn probes_first(
    content_length: Option<u64>,
    replayable: bool,
    direct_limit: u64,
) -> bool {
    match content_length {
        Some(0) => false,
        Some(len) => !replayable || len > direct_limit,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::probes_first;

    #[test]
    fn which_cold_requests_wait_for_the_region() {
        const MIB: u64 = 1024 * 1024;
        // (content length, replayable, limit) -> probes first
        let table = [
            ((Some(0), true, MIB), false),
            ((Some(0), false, MIB), false),
            ((Some(1024), true, MIB), false),
            ((Some(MIB), true, MIB), false),
            ((Some(MIB + 1), true, MIB), true),
            ((Some(1024), false, MIB), true),
            ((None, true, MIB), true),
            ((None, false, MIB), true),
            // 0 = always probe first for a body
            ((Some(1), true, 0), true),
            ((Some(0), true, 0), false),
        ];
        for ((len, replayable, limit), want) in table {
            assert_eq!(
                probes_first(len, replayable, limit),
                want,
                "{len:?} {replayable} {limit}"
            );
        }
    }
}
