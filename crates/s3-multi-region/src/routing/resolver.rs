//! The async half of routing, run before each attempt: a ticket's discovery (shared cache tier,
//! probe) and the endpoint map. It wraps the SDK's own S3 resolver, which turns the region into a
//! URL and a signing region, so credential scope and chunk signatures follow the region.

use std::sync::Arc;

use aws_sdk_s3::config::endpoint::{DefaultResolver, Params, ResolveEndpoint as _};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::{
    EndpointFuture, EndpointResolverParams, ResolveEndpoint, SharedEndpointResolver,
};

use crate::endpoints::EndpointMap;
use crate::error::Error;
use crate::routing::params::{COPIED_FIELDS, with_region};
use crate::routing::{PendingRoute, Router};

#[derive(Debug)]
pub(crate) struct RoutingResolver {
    typed: DefaultResolver,
    inner: SharedEndpointResolver,
    endpoints: Option<Arc<EndpointMap>>,
    /// `None` for the probe client, which only applies the endpoint map.
    router: Option<Arc<Router>>,
}

impl RoutingResolver {
    pub(crate) fn new(endpoints: Option<Arc<EndpointMap>>, router: Option<Arc<Router>>) -> Self {
        Self {
            typed: DefaultResolver::new(),
            inner: DefaultResolver::new().into_shared_resolver(),
            endpoints,
            router,
        }
    }

    async fn resolve(
        &self,
        params: &EndpointResolverParams,
    ) -> Result<aws_smithy_types::endpoint::Endpoint, BoxError> {
        let Some(s3) = params.get::<Params>() else {
            return self.inner.resolve_endpoint(params).await;
        };
        let mut region = s3.region().map(str::to_owned);
        // A directory bucket's region is in its name (region/zone.rs): set here, where it covers
        // the operation, the SDK's hidden CreateSession (built with this resolver but without
        // interceptors) and presigning. Nothing to discover, cache or redirect.
        let zonal = match (&self.router, s3.bucket()) {
            (Some(router), Some(bucket)) => router.directory_bucket_region(bucket)?,
            _ => None,
        };
        if let Some((_, zone_region)) = &zonal {
            region = Some(zone_region.to_string());
        } else if let (Some(router), Some(PendingRoute(Some(ticket)))) =
            (&self.router, params.get_property::<PendingRoute>())
        {
            let outcome = ticket.outcome.get_or_init(|| router.discover(ticket)).await;
            if let Some(found) = outcome.clone()? {
                region = Some(found.to_string());
            }
        }
        let endpoint = match (&self.endpoints, &region) {
            (Some(map), Some(r)) if s3.endpoint().is_none() || map.get(r).is_some() => Some(
                map.get(r)
                    .ok_or_else(|| Error::NoEndpointForRegion { region: r.clone() })?,
            ),
            _ => None,
        };
        // The interceptor already wrote the region and mapped endpoint of a routed attempt into
        // the params; copy them only when discovery chose another region (or nothing did).
        let current =
            region.as_deref() == s3.region() && endpoint.is_none_or(|e| s3.endpoint() == Some(e));
        match region {
            Some(r) if !current => {
                // Never send a request built from a lossy copy (a newer SDK than we tested added
                // a parameter this call sets); with an endpoint map every call needs the copy.
                let copied = self
                    .router
                    .as_ref()
                    .map_or(COPIED_FIELDS, |r| r.copied_params);
                let routed = with_region(s3, &r, endpoint, copied).map_err(|lost| {
                    Error::EndpointParamsNotCopied {
                        bucket: s3.bucket().unwrap_or_default().to_owned(),
                        tried: r.clone(),
                        fields: lost.fields,
                        linked: aws_sdk_s3::meta::PKG_VERSION.to_owned(),
                        tested: crate::routing::params::TESTED_AWS_SDK_S3.to_owned(),
                    }
                })?;
                Ok(self.typed.resolve_endpoint(&routed).await?)
            }
            _ => self.inner.resolve_endpoint(params).await,
        }
    }
}

impl RoutingResolver {
    /// Whether `resolve` would hand `params` to the SDK's resolver unchanged: no directory
    /// bucket, no discovery pending, the region's mapped endpoint (if any) already in place —
    /// a warm call, whose region the interceptor wrote. Checked without building a future (the
    /// boxed one cost 1.8 k instructions of a warm GET); anything else takes `resolve`.
    fn unchanged(&self, params: &EndpointResolverParams) -> bool {
        let Some(s3) = params.get::<Params>() else {
            return true;
        };
        if let (Some(router), Some(bucket)) = (&self.router, s3.bucket())
            && (!matches!(router.directory_bucket_region(bucket), Ok(None))
                || matches!(
                    params.get_property::<PendingRoute>(),
                    Some(PendingRoute(Some(_)))
                ))
        {
            return false;
        }
        match (&self.endpoints, s3.region()) {
            (Some(map), Some(region)) => match map.get(region) {
                Some(mapped) => s3.endpoint() == Some(mapped),
                None => s3.endpoint().is_some(),
            },
            _ => true,
        }
    }
}

impl ResolveEndpoint for RoutingResolver {
    fn resolve_endpoint<'a>(&'a self, params: &'a EndpointResolverParams) -> EndpointFuture<'a> {
        if self.unchanged(params) {
            return self.inner.resolve_endpoint(params);
        }
        EndpointFuture::new(self.resolve(params))
    }

    fn finalize_params<'a>(
        &'a self,
        params: &'a mut EndpointResolverParams,
    ) -> Result<(), BoxError> {
        self.inner.finalize_params(params)
    }
}
