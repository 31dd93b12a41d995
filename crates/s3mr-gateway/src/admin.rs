//! `/_s3mr/healthz`, `/_s3mr/readyz` and `/_s3mr/metrics`, on the main listener or on
//! `--admin-listen`. Unauthenticated, as load balancers and Prometheus expect: they tell no
//! secret, key id, bucket or object key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use http::{HeaderValue, Response, StatusCode};
use s3_multi_region::MultiRegionClient;

use crate::metrics::Metrics;

/// How long `readyz` waits for credentials or the shared cache before calling them down.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A bucket name no S3 bucket can have (`_`): the shared cache is asked for it, and only
/// whether the tier answered matters.
const READY_PROBE_BUCKET: &str = "_s3mr-readyz";

/// A plain-text answer of the gateway's own (admin endpoints, limits).
pub(crate) fn plain(status: StatusCode, text: impl Into<String>) -> Response<s3s::Body> {
    let mut response = Response::new(s3s::Body::from(text.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[derive(Debug)]
pub(crate) struct Admin {
    pub(crate) client: MultiRegionClient,
    /// The gateway's own credentials, which `readyz` resolves.
    pub(crate) credentials: Option<SharedCredentialsProvider>,
    pub(crate) metrics: Arc<Metrics>,
    /// Set when the drain starts: `readyz` answers 503 so load balancers stop sending.
    pub(crate) draining: AtomicBool,
}

impl Admin {
    pub(crate) async fn answer(
        &self,
        method: &http::Method,
        path: &str,
    ) -> http::Response<s3s::Body> {
        if method != http::Method::GET && method != http::Method::HEAD {
            let mut response = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "the admin endpoints only answer GET\n",
            );
            response
                .headers_mut()
                .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        match path.trim_start_matches("/_s3mr").trim_matches('/') {
            "healthz" => plain(StatusCode::OK, "ok\n"),
            "readyz" => match self.not_ready().await {
                None => plain(StatusCode::OK, "ready\n"),
                Some(why) => plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("not ready: {why}\n"),
                ),
            },
            "metrics" => {
                let mut response = plain(StatusCode::OK, self.metrics.render());
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    ),
                );
                response
            }
            _ => plain(
                StatusCode::NOT_FOUND,
                "not found: /_s3mr/healthz, /_s3mr/readyz and /_s3mr/metrics are here\n",
            ),
        }
    }

    /// Why the gateway should not be sent requests now, if it should not.
    async fn not_ready(&self) -> Option<String> {
        if self.draining.load(Ordering::Relaxed) {
            return Some("draining".into());
        }
        if let Some(provider) = &self.credentials {
            match tokio::time::timeout(READY_CHECK_TIMEOUT, provider.provide_credentials()).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    return Some(format!(
                        "credentials do not resolve: {}",
                        s3_multi_region::error_chain(&err)
                    ));
                }
                Err(_) => return Some("credentials do not resolve: timed out".into()),
            }
        }
        if let Some(shared) = self.client.shared_cache() {
            let asked = shared.get(self.client.cache_scope(), READY_PROBE_BUCKET);
            match tokio::time::timeout(READY_CHECK_TIMEOUT, asked).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    return Some(format!(
                        "the shared cache does not answer: {}",
                        s3_multi_region::error_chain(&err)
                    ));
                }
                Err(_) => return Some("the shared cache does not answer: timed out".into()),
            }
        }
        None
    }
}
