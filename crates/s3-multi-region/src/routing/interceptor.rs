//! The interceptor: chooses each attempt's region and judges each answer. Each hook says, as
//! smithy's own `Intercept` docs do, when it runs, what it can see, and what its errors do.

use std::sync::Arc;

use aws_sdk_s3::config::endpoint::Params;
use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointResolverParams;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, dyn_dispatch_hint};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use crate::error::Error;
use crate::redirect::{self, Answer, Operation};
use crate::region::ValidRegion;
use crate::routing::decision::{self, CallState, Choice, Judgement};
use crate::routing::{Discovery, ExplicitRegion, PendingRoute, RedirectTag, RouteTicket, Router};

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

// `dyn_dispatch_hint` declares the hooks each implements (`Intercept::overridden_hooks`), so
// the SDK skips the others instead of checking, on each of its ~19 hooks per attempt, whether
// the interceptor is enabled: 6.6 k of the instructions routing added to a warm GET.
#[dyn_dispatch_hint]
impl Intercept for ExplicitRegionMarker {
    fn name(&self) -> &'static str {
        "s3-multi-region explicit region"
    }

    /// **When:** once per call, before the input is serialized.
    /// **Available information:** the input (unused); the config bag.
    /// **Error behavior:** never fails; it only stores the [`ExplicitRegion`] that
    /// `at_region` asked for, which `read_before_attempt` reads.
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

/// Buckets whose endpoint is not `region + bucket`, never probed nor cached: ARNs (access points,
/// Outposts, Multi-Region Access Points), directory buckets and access points on them (`--x-s3`,
/// `--xa-s3`: their region comes from their zone, in the resolver), Object Lambda and Outposts
/// access point aliases (`--ol-s3`, `--op-s3`), access point aliases (`-s3alias`) and
/// Multi-Region Access Point aliases (`.mrap`).
pub(crate) fn is_special_bucket(bucket: &str) -> bool {
    bucket.starts_with("arn:")
        || [
            "--x-s3", "--xa-s3", "--ol-s3", "--op-s3", "-s3alias", ".mrap",
        ]
        .iter()
        .any(|suffix| bucket.ends_with(suffix))
}

/// A Multi-Region Access Point ARN: `arn:<partition>:s3::<account>:accesspoint/<alias>.mrap`
/// (no region: S3 picks one, and the request is signed for all of them with SigV4a).
fn is_mrap_arn(bucket: &str) -> bool {
    // Most calls name a plain bucket: two suffix checks, no allocation.
    if !bucket.starts_with("arn:") || !bucket.ends_with(".mrap") {
        return false;
    }
    let parts: Vec<&str> = bucket.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "s3", "", _, resource]
        if resource.starts_with("accesspoint/") && resource.ends_with(".mrap"))
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
        // The common case is the client's default, validated once at build: reuse it (no
        // validation, no allocation per call); only another region is checked here.
        let original_region = match params.and_then(Params::region) {
            Some(region) if region != self.router.default_region.as_str() => {
                ValidRegion::new(region).map_err(Error::InvalidRegionArgument)?
            }
            _ => self.router.default_region.clone(),
        };
        let routable = self.router.enabled
            && params.is_some_and(|p| p.endpoint().is_none() || self.router.endpoints.is_some());
        let bucket = params
            .and_then(Params::bucket)
            .filter(|b| routable && !is_special_bucket(b))
            .map(str::to_owned);
        let explicit_region = match cfg.load::<ExplicitRegion>() {
            Some(ExplicitRegion(r)) => {
                Some(ValidRegion::new(r).map_err(Error::InvalidRegionArgument)?)
            }
            None => {
                (original_region != self.router.default_region).then(|| original_region.clone())
            }
        };
        // Without SigV4a the SDK fails an MRAP call with "missing endpoint config", which reads
        // like a network error; say what is missing instead.
        if let Some(bucket) = params.and_then(Params::bucket)
            && !cfg!(feature = "mrap")
            && is_mrap_arn(bucket)
        {
            return Err(Error::MrapNeedsFeature {
                bucket: bucket.to_owned(),
            }
            .into());
        }
        // A directory bucket goes to its zone's region: a call that asked for another one
        // (`at_region`) is refused before anything is sent, rather than quietly moved. Only a
        // call with its own region pays for the look at the name.
        if let (Some(asked), Some(bucket)) = (&explicit_region, params.and_then(Params::bucket))
            && let Ok(Some((zone, zone_region))) = self.router.directory_bucket_region(bucket)
            && *asked != zone_region
        {
            return Err(Error::ZoneRegion {
                bucket: bucket.to_owned(),
                zone: zone.to_owned(),
                zone_region: zone_region.to_string(),
                why: format!("but the call asked for {asked} (at_region)"),
            }
            .into());
        }
        let body = ctx.request().body();
        // A constraint builds a hostname too: refused before anything is sent if it is not a
        // region name.
        let constraint = match operation {
            Operation::CreateBucket => body
                .bytes()
                .and_then(redirect::location_constraint)
                .map(|c| ValidRegion::new(&c).map_err(Error::InvalidRegionArgument))
                .transpose()?,
            _ => None,
        };
        let mut state = CallState::new(operation, original_region);
        state.bucket = bucket;
        state.explicit_region = explicit_region;
        state.constraint = constraint;
        state.body_replayable = body.try_clone().is_some();
        Ok(state)
    }

    /// The region of the next attempt, and the discovery the resolver must run first (if any).
    fn choose(
        &self,
        state: &mut CallState,
        bucket: &str,
        content_length: Option<u64>,
    ) -> (ValidRegion, Option<Arc<RouteTicket>>) {
        let choice = decision::choose(
            state,
            || self.router.cached(bucket),
            content_length,
            self.router.direct_body_limit,
        );
        state.from_cache = false;
        match choice {
            Choice::Probe { from } => {
                state.probe_next = false;
                let ticket = RouteTicket::new(bucket, &from, Discovery::Probe);
                (from, Some(ticket))
            }
            Choice::Known { region, from_cache } => {
                state.from_cache = from_cache;
                (region, None)
            }
            Choice::Discover {
                region,
                probe_first,
            } => {
                let ticket = RouteTicket::new(bucket, &region, Discovery::Lookup { probe_first });
                (region, Some(ticket))
            }
        }
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

    /// Judges the answer ([`decision::judge`]) and carries it out: `Ok(true)` re-sends.
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
            state.tried = region.clone();
            if ticket.discovery == Discovery::Probe {
                state.learned = Some(region.clone());
            }
        }
        let tried = state.tried.to_string();
        let answer = Answer {
            status: response.status().as_u16(),
            bucket_region: response.headers().get("x-amz-bucket-region"),
            body: response.body().bytes(),
            operation: state.operation,
        };
        let judgement = decision::judge(state, &answer, |raw| {
            self.router.check_region(&bucket, &tried, raw)
        })?;
        match judgement {
            Judgement::Nothing => Ok(false),
            Judgement::Learn(region) => {
                // A CreateBucket constraint is the caller's: learned only inside the partition.
                if let Ok(region) = self.router.check_region(&bucket, &region, &region) {
                    self.router.learn(&bucket, &region);
                }
                Ok(false)
            }
            Judgement::Forget => {
                self.router.forget(&bucket);
                Ok(false)
            }
            Judgement::Follow { region, evidence } => {
                self.router.learn(&bucket, &region);
                self.router.count_redirect();
                tracing::debug!(
                    bucket,
                    from = tried,
                    to = %region,
                    ?evidence,
                    "redirecting to the bucket's region"
                );
                state.learned = Some(region);
                state.redirects += 1;
                Ok(true)
            }
            Judgement::ProbeAndResend => {
                tracing::debug!(
                    bucket,
                    tried,
                    "wrong-region answer without a region: probing"
                );
                state.probe_next = true;
                state.redirects += 1;
                Ok(true)
            }
            Judgement::SameRegion => Err(Error::RedirectToSameRegion { bucket, tried }),
            Judgement::TooManyRedirects { discovered } => Err(Error::TooManyRedirects {
                bucket,
                tried,
                discovered: discovered.to_string(),
            }),
            Judgement::NotReplayable { discovered } => {
                self.router.learn(&bucket, &discovered);
                self.router.count_redirect();
                Err(Error::BodyNotReplayable {
                    bucket,
                    tried,
                    discovered: discovered.to_string(),
                })
            }
            Judgement::ParamsNotCopied => Err(Error::EndpointParamsNotCopied {
                bucket,
                tried,
                fields: state.not_copied.clone(),
                linked: aws_sdk_s3::meta::PKG_VERSION.to_owned(),
                tested: crate::routing::params::TESTED_AWS_SDK_S3.to_owned(),
            }),
        }
    }
}

#[dyn_dispatch_hint]
impl Intercept for RoutingInterceptor {
    fn name(&self) -> &'static str {
        "s3-multi-region routing"
    }

    /// **When:** before every attempt (the first, retries and re-sends after a wrong-region
    /// answer), after the request is serialized and before it is signed and sent.
    /// **Available information:** the serialized request; the config bag, holding the endpoint
    /// parameters, the call's state (created here on the first attempt) and any explicit region.
    /// **Error behavior:** an error ends the call with it (a region that cannot be trusted, a
    /// copy of the endpoint parameters that would lose a value); the orchestrator does not retry
    /// interceptor errors. Sets the attempt's region in the endpoint parameters the resolver
    /// reads, after the cache (or a discovery) has named it.
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
                match crate::routing::params::with_region(
                    params,
                    &region,
                    mapped,
                    self.router.copied_params,
                ) {
                    Ok(routed) => *params = routed,
                    // A first attempt (a cached region elsewhere) whose copy would lose a
                    // value: sent where the SDK sends it, untouched, as above.
                    Err(lost) if state.attempts == 0 => {
                        state.not_copied = lost.fields;
                        state.tried = state.original_region.clone();
                        return Ok(());
                    }
                    Err(lost) => {
                        return Err(Error::EndpointParamsNotCopied {
                            bucket: state.bucket.clone().unwrap_or_default(),
                            tried: region.to_string(),
                            fields: lost.fields,
                            linked: aws_sdk_s3::meta::PKG_VERSION.to_owned(),
                            tested: crate::routing::params::TESTED_AWS_SDK_S3.to_owned(),
                        }
                        .into());
                    }
                }
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

    /// **When:** after every attempt, whatever its outcome, before the retry classifiers run.
    /// **Available information:** the response (status, headers, a buffered body for error
    /// answers), or the dispatch error; the call's state.
    /// **Error behavior:** an error replaces the attempt's outcome (a typed routing error such as
    /// `RedirectToSameRegion`). A wrong-region answer is judged here ([`decision::judge`]):
    /// the region is learned and cached, and the attempt is marked to be re-sent through
    /// `RedirectTag` (which the retry classifier honours without spending the retry budget).
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
        // Whether a reroute could lose an endpoint parameter (a newer SDK's field): proven with
        // `Params: PartialEq`, whatever `Debug` prints, only when an error answer may lead to a
        // reroute — never on the path of a successful call.
        if state.not_copied.is_empty()
            && state.bucket.is_some()
            && ctx.response().is_some_and(|r| !r.status().is_success())
            && let Some(params) = s3_params(cfg)
            && let Err(lost) = crate::routing::params::check_copy(params, self.router.copied_params)
        {
            state.not_copied = lost.fields;
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
                tracing::debug!(err = %crate::report::chain(&err), "routing stopped");
                Err(err.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_s3_resolves_itself() {
        let table = [
            (
                "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
                true,
                true,
            ),
            (
                "arn:aws-cn:s3::123456789012:accesspoint/abc.mrap",
                true,
                true,
            ),
            (
                "arn:aws:s3:us-east-1:123456789012:accesspoint/ap",
                true,
                false,
            ),
            ("arn:aws:s3::123456789012:accesspoint/ap", true, false),
            ("mfzwi23gnjvgw.mrap", true, false),
            ("b--usw2-az1--x-s3", true, false),
            ("ap--usw2-az1--xa-s3", true, false),
            ("alias--op-s3", true, false),
            ("alias--ol-s3", true, false),
            ("ap-abc-s3alias", true, false),
            ("plain-bucket", false, false),
            ("x-s3", false, false),
        ];
        for (bucket, special, mrap) in table {
            assert_eq!(is_special_bucket(bucket), special, "{bucket}");
            assert_eq!(is_mrap_arn(bucket), mrap, "{bucket}");
        }
    }
}
