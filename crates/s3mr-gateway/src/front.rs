//! The HTTP service in front of s3s: the admin prefix, the in-flight limit, and the record of
//! each request (metrics and the access log line, written when its answer has been sent or
//! abandoned).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use s3_multi_region::MultiRegionClient;
use s3s::service::S3Service;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::admin::{Admin, plain};
use crate::exchange::{Exchange, claimed_access_key, refusal_of_403};
use crate::keys::KeysHandle;
use crate::metrics::{ReasonLabel, RegionLabel, RequestLabels};

/// The path prefix of the admin endpoints. S3 bucket names cannot start with `_`, so no
/// bucket is ever hidden by it.
pub(crate) const ADMIN_PREFIX: &str = "/_s3mr/";

/// The target of access log events (`s3mr serve --access-log` writes only these, as JSON).
pub const ACCESS_LOG_TARGET: &str = "s3mr_gateway::access";

pub(crate) struct Shared {
    pub(crate) s3: S3Service,
    pub(crate) client: MultiRegionClient,
    pub(crate) keys: KeysHandle,
    pub(crate) admin: Arc<Admin>,
    /// Whether the admin endpoints answer on this listener (no `--admin-listen`).
    pub(crate) admin_here: bool,
    /// `--max-requests`: permits for requests in flight.
    pub(crate) requests: Option<Arc<Semaphore>>,
    /// `--max-xml-body`, as s3s was given it.
    pub(crate) max_xml_body: usize,
}

/// One listener's service (cheap to clone: one per connection). With `refuse`, the connection
/// came beyond `--max-connections`: each request on it is answered 503 SlowDown and the
/// connection closed.
#[derive(Clone)]
pub(crate) struct Front(pub(crate) Arc<Shared>, bool);

impl Front {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self(shared, false)
    }

    pub(crate) fn refusing(self) -> Self {
        Self(self.0, true)
    }
}

/// 503 SlowDown, as S3 answers a client to slow down: every SDK retries it with backoff.
pub(crate) fn slow_down(why: &str) -> Response<s3s::Body> {
    let mut response = s3_answer(
        s3s::S3ErrorCode::SlowDown,
        why.to_owned(),
        StatusCode::SERVICE_UNAVAILABLE,
    );
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// An S3 error answer of the gateway's own (XML, as S3 words it) with `status`.
fn s3_answer(code: s3s::S3ErrorCode, message: String, status: StatusCode) -> Response<s3s::Body> {
    let mut error = s3s::S3Error::with_message(code, message);
    error.set_status_code(status);
    error
        .to_http_response()
        .unwrap_or_else(|_| plain(status, format!("{}\n", status.as_str())))
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(0);

/// A request id unique within the process and unlikely to repeat across restarts: the start
/// time's low bits and a counter, 16 hex digits as S3's own.
fn request_id() -> String {
    use std::sync::OnceLock;
    static BASE: OnceLock<u64> = OnceLock::new();
    let base = *BASE.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            .rotate_left(32)
    });
    format!(
        "{:016X}",
        base.wrapping_add(REQUEST_IDS.fetch_add(1, Ordering::Relaxed))
    )
}

impl hyper::service::Service<Request<Incoming>> for Front {
    type Response = Response<Answer>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let shared = self.0.clone();
        if self.1 {
            let mut response = slow_down("Too many connections to this gateway: please retry");
            response
                .headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            drop(req);
            return Box::pin(async move { Ok(response.map(Answer::untracked)) });
        }
        Box::pin(async move { Ok(handle(shared, req).await) })
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Answer> {
    if req.uri().path().starts_with(ADMIN_PREFIX) || req.uri().path() == "/_s3mr" {
        let response = if shared.admin_here {
            shared.admin.answer(req.method(), req.uri().path()).await
        } else {
            plain(StatusCode::NOT_FOUND, "not here: see --admin-listen\n")
        };
        return response.map(Answer::untracked);
    }
    let metrics = shared.admin.metrics.clone();
    let started = Instant::now();
    let id = request_id();
    let permit = match &shared.requests {
        Some(limit) => match limit.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                metrics
                    .rejected
                    .get_or_create(&ReasonLabel {
                        reason: "max_requests",
                    })
                    .inc();
                let mut tracker = Tracker::new(shared, Exchange::default(), id, started, None);
                tracker.status = 503;
                return slow_down("Too many requests in flight at this gateway: please retry")
                    .map(|body| Answer::tracked(body, tracker));
            }
        },
        None => None,
    };
    let exchange = Exchange::default();
    let claimed = claimed_access_key(
        req.headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        req.uri().query(),
    );
    let mut tracker = Tracker::new(shared.clone(), exchange.clone(), id, started, permit);
    tracker.claimed = claimed;
    let received = tracker.bytes_in.clone();
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(exchange);
    let body = s3s::Body::http_body(Counted {
        inner: body,
        count: received,
    });
    let answered = match shared.s3.call(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(err) => {
            tracing::warn!(err = ?err, "request could not be answered");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    };
    let answered = too_long_is_not_internal(answered, &tracker, shared.max_xml_body);
    let (mut parts, body) = answered.into_parts();
    tracker.status = parts.status.as_u16();
    match parts.headers.get("x-amz-request-id") {
        Some(theirs) => {
            if let Ok(theirs) = theirs.to_str() {
                tracker.request_id = theirs.to_owned();
            }
        }
        None => {
            if let Ok(value) = HeaderValue::from_str(&tracker.request_id) {
                parts.headers.insert("x-amz-request-id", value);
            }
        }
    }
    Response::from_parts(parts, Answer::tracked(body, tracker))
}

/// s3s 0.14.1 answers an XML body over its limit 500 InternalError when the body streams (its
/// `store_all_limited` wraps `http_body_util::Limited`, whose error is not the
/// `BodySizeLimitExceeded` it looks for), and every SDK retries a 500. A request that was not
/// forwarded, sent more than the limit and got a 500 is answered as S3 does: 400
/// MaxMessageLengthExceeded.
fn too_long_is_not_internal(
    answered: Response<s3s::Body>,
    tracker: &Tracker,
    max_xml_body: usize,
) -> Response<s3s::Body> {
    let over = tracker.bytes_in.load(Ordering::Relaxed) > max_xml_body as u64;
    if answered.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !over
        || tracker.exchange.seen().forwarded
    {
        return answered;
    }
    s3_answer(
        s3s::S3ErrorCode::MaxMessageLengthExceeded,
        format!("Your request was too big: XML bodies are limited to {max_xml_body} bytes here"),
        StatusCode::BAD_REQUEST,
    )
}

/// A request body that counts what the client sent.
struct Counted<B> {
    inner: B,
    count: Arc<AtomicU64>,
}

impl<B> Body for Counted<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.count.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Everything known of one request until its answer is gone: then (on drop, whether the answer
/// was sent whole or the client went away) it is counted and logged, once.
struct Tracker {
    shared: Arc<Shared>,
    exchange: Exchange,
    request_id: String,
    started: Instant,
    status: u16,
    claimed: Option<String>,
    bytes_in: Arc<AtomicU64>,
    bytes_out: u64,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Tracker {
    fn new(
        shared: Arc<Shared>,
        exchange: Exchange,
        request_id: String,
        started: Instant,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Self {
        shared.admin.metrics.in_flight.inc();
        Self {
            shared,
            exchange,
            request_id,
            started,
            status: 0,
            claimed: None,
            bytes_in: Arc::default(),
            bytes_out: 0,
            _permit: permit,
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let metrics = &self.shared.admin.metrics;
        metrics.in_flight.dec();
        let seen = self.exchange.seen();
        let region = if seen.forwarded {
            match &seen.bucket {
                Some(bucket) => self
                    .shared
                    .client
                    .cached_region(bucket)
                    .map_or_else(|| "unknown".to_owned(), |r| r.to_string()),
                None => self.shared.client.default_region().to_owned(),
            }
        } else {
            "none".to_owned()
        };
        let operation = seen.operation.unwrap_or("Unknown");
        let bytes_in = self.bytes_in.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed();
        metrics
            .requests
            .get_or_create(&RequestLabels {
                operation,
                status: self.status,
                region: region.clone(),
            })
            .inc();
        let by_region = RegionLabel {
            region: region.clone(),
        };
        metrics.bytes_in.get_or_create(&by_region).inc_by(bytes_in);
        metrics
            .bytes_out
            .get_or_create(&by_region)
            .inc_by(self.bytes_out);
        metrics.duration.observe(elapsed.as_secs_f64());
        if self.status == 403 {
            let keys = self.shared.keys.current();
            let refusal = refusal_of_403(
                self.claimed.as_deref(),
                |k| keys.get(k).is_some(),
                seen.refusal,
            );
            metrics
                .auth_failures
                .get_or_create(&ReasonLabel {
                    reason: refusal.label(),
                })
                .inc();
        }
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            request_id = %self.request_id,
            key_id = seen.key_id.as_deref(),
            operation,
            bucket = seen.bucket.as_deref(),
            key = seen.key.as_deref(),
            region = %region,
            status = self.status,
            bytes_in,
            bytes_out = self.bytes_out,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
        );
    }
}

/// An answer's body, counted as it is sent.
pub(crate) struct Answer {
    inner: s3s::Body,
    tracker: Option<Tracker>,
}

impl Answer {
    fn untracked(inner: s3s::Body) -> Self {
        Self {
            inner,
            tracker: None,
        }
    }

    fn tracked(inner: s3s::Body, tracker: Tracker) -> Self {
        Self {
            inner,
            tracker: Some(tracker),
        }
    }
}

impl Body for Answer {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, s3s::StdError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
            && let Some(tracker) = self.tracker.as_mut()
        {
            tracker.bytes_out += data.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
