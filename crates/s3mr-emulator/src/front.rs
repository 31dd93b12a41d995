//! The thin HTTP layer in front of s3s: counts, injects faults, answers wrong-region requests as
//! S3 does, and hands everything else to the region's s3s service.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use s3s::{Body, HttpError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::answers::{self, Decision, ErrorAnswer, RenderContext, to_response};
use crate::hosts::Endpoint;
use crate::io::{CountingBody, CountingStream};
use crate::request::{self, OpKind};
use crate::shared::Shared;
use crate::switches::{Fault, FaultKind, Switches, take_fault};

/// The admin path prefix. Bucket names cannot contain `_`, so it never collides with a bucket.
pub(crate) const ADMIN_PREFIX: &str = "/_s3mr/";

/// Accepts connections on `listener` until `shutdown` changes, and runs `serve` on each (Nagle
/// off) in its own task, which also ends when `shutdown` changes. Shared by the region
/// listeners and the CONNECT proxy.
pub(crate) async fn accept_until_shutdown<F, Fut>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    mut serve: F,
) where
    F: FnMut(TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        let stream = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = serve(stream);
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

/// Serves `region`'s listener (TLS first in real-hostnames mode) until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    region: Arc<str>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let bytes = shared.counters.bytes(&region);
    accept_until_shutdown(listener, shutdown, move |stream| {
        let io = CountingStream {
            inner: stream,
            counters: bytes.clone(),
        };
        let (shared, region) = (shared.clone(), region.clone());
        async move {
            match shared.tls.clone() {
                Some(acceptor) => match acceptor.accept(io).await {
                    Ok(tls) => serve_connection(tls, shared, region).await,
                    Err(err) => tracing::debug!(%err, "TLS handshake failed"),
                },
                None => serve_connection(io, shared, region).await,
            }
        }
    })
    .await;
}

async fn serve_connection<I>(io: I, shared: Arc<Shared>, region: Arc<str>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| handle(shared.clone(), region.clone(), req));
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

fn fault_response(kind: FaultKind, is_head: bool, request_id: &str) -> Response<Body> {
    let (status, code, message) = match kind {
        FaultKind::SlowDown => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
    };
    answers::error_response(status, code, message, request_id.to_owned(), is_head)
}

async fn handle(
    shared: Arc<Shared>,
    region: Arc<str>,
    req: Request<Incoming>,
) -> Result<Response<Body>, HttpError> {
    if req.uri().path().starts_with(ADMIN_PREFIX) {
        return Ok(admin(&shared, req).await);
    }
    let method = req.method().clone();
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let aws_host = host.as_deref().and_then(crate::hosts::parse);
    // Zonal, S3 Express control and MRAP hosts: signatures s3s cannot check (express.rs).
    let front_verified = aws_host.as_ref().filter(|h| {
        matches!(
            h.endpoint,
            Endpoint::Zonal { .. } | Endpoint::ExpressControl { .. } | Endpoint::Mrap
        )
    });
    // Virtual-hosted (`bucket.s3.<region>.amazonaws.com/key`) reads as path-style `/bucket/key`.
    let virtual_bucket = match front_verified {
        Some(h) => crate::express::counted_bucket(&shared, h),
        None => aws_host.as_ref().and_then(|h| h.bucket.map(str::to_owned)),
    };
    let path = match &virtual_bucket {
        Some(bucket) => format!("/{bucket}{}", req.uri().path()),
        None => req.uri().path().to_owned(),
    };
    let bucket = request::bucket_of(&path).map(str::to_owned);
    shared
        .counters
        .record_request(&region, method.as_str(), bucket.as_deref(), host.as_deref());

    let latency = shared
        .switches
        .read()
        .expect("switches lock")
        .latency_for(&region, method.as_str());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = take_fault(
        &mut shared.faults.lock().expect("faults lock"),
        &region,
        bucket.as_deref(),
        method.as_str(),
    );
    let response = match fault {
        Some(FaultKind::DropConnection) => {
            // An error from the service makes hyper close the connection without an answer.
            return Err(HttpError::new(
                "connection dropped by an injected fault".into(),
            ));
        }
        Some(kind) => fault_response(kind, method == Method::HEAD, &shared.next_request_id()),
        None if front_verified.is_some() => {
            let host = front_verified.expect("checked");
            crate::express::handle(&shared, &region, req, host).await?
        }
        None => {
            let target = Target {
                bucket: bucket.as_deref(),
                path: &path,
                virtual_bucket: virtual_bucket.as_deref(),
            };
            route(&shared, &region, req, target).await?
        }
    };
    shared
        .counters
        .record_status(&region, response.status().as_u16());
    Ok(response)
}

/// What a request addresses, read from its path and (virtual-hosted) `Host`.
struct Target<'a> {
    bucket: Option<&'a str>,
    /// The path as path-style would have it: `/bucket/key`.
    path: &'a str,
    /// The bucket when it came from the `Host` header.
    virtual_bucket: Option<&'a str>,
}

async fn route(
    shared: &Shared,
    region: &str,
    req: Request<Incoming>,
    target: Target<'_>,
) -> Result<Response<Body>, HttpError> {
    let bucket = target.bucket;
    let uri = req.uri().clone();
    let op = request::op_kind(req.method(), target.path, uri.query());
    let entry = bucket.and_then(|b| shared.registry.get(b));
    let signature = request::signature(req.headers(), uri.query());
    let (effective, window) = {
        let switches = shared.switches.read().expect("switches lock");
        (
            switches.effective(region, bucket),
            switches.temporary_redirect_window,
        )
    };
    let is_opt_in = |r: &str| shared.switches.read().expect("switches lock").is_opt_in(r);
    let cx = answers::Context {
        listener_region: region,
        switches: &effective,
        temporary_redirect_window: window,
        is_opt_in: &is_opt_in,
    };
    match answers::decide(&cx, op, entry.as_ref(), signature.as_ref()) {
        Decision::Answer(wrong) => {
            // Like S3, answer without reading the body: a client that waits for `100 Continue`
            // sends none, one that does not finds the connection closed after the answer.
            let endpoint_of = |r: &str| shared.endpoint_of(r, target.virtual_bucket);
            let request_id = shared.next_request_id();
            let answer = answers::render(
                &wrong,
                &RenderContext {
                    is_head: req.method() == Method::HEAD,
                    is_head_bucket: matches!(op, OpKind::HeadBucket),
                    bucket,
                    path_and_query: uri.path_and_query().map_or("/", |p| p.as_str()),
                    scheme: if shared.tls.is_some() {
                        "https"
                    } else {
                        "http"
                    },
                    switches: &effective,
                    endpoint_of: &endpoint_of,
                    request_id: &request_id,
                },
            );
            tracing::debug!(region, ?bucket, status = %answer.status, "wrong-region answer");
            Ok(to_response(answer))
        }
        Decision::Forward
            if entry.is_none() && bucket.is_some() && !matches!(op, OpKind::CreateBucket) =>
        {
            // The global namespace has no such bucket: S3 says so from every region.
            let request_id = shared.next_request_id();
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>\
                 <Message>The specified bucket does not exist</Message><BucketName>{}</BucketName>\
                 <RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>",
                quick_xml::escape::partial_escape(bucket.unwrap_or_default())
            );
            Ok(to_response(ErrorAnswer {
                status: StatusCode::NOT_FOUND,
                headers: vec![
                    ("content-type", "application/xml".into()),
                    ("x-amz-request-id", request_id),
                ],
                body: (req.method() != Method::HEAD).then_some(body),
            }))
        }
        Decision::Forward => {
            let counters = shared.counters.bytes(region);
            let req = req.map(|inner| Body::http_body_unsync(CountingBody { inner, counters }));
            let service = shared.services.get(region).expect("a service per listener");
            let mut response = service.call(req).await?;
            // S3 names the bucket's region on HeadBucket whatever the status, and on listings.
            let tagged = matches!(op, OpKind::HeadBucket)
                || (matches!(op, OpKind::ListObjects) && response.status().is_success());
            if let Some(entry) = entry.filter(|_| tagged) {
                let headers = response.headers_mut();
                let policy = match op {
                    OpKind::HeadBucket => &effective.head_bucket_header,
                    _ => &effective.region_header,
                };
                match policy.apply(&entry.region) {
                    Some(value) => {
                        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                            headers.insert("x-amz-bucket-region", value);
                        }
                    }
                    None => {
                        headers.remove("x-amz-bucket-region");
                    }
                }
            }
            Ok(response)
        }
    }
}

fn json_response<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("valid response parts")
}

fn admin_error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json_response(status, &serde_json::json!({ "error": message.into() }))
}

const ADMIN_BODY_LIMIT: usize = 1 << 20;

async fn read_json<T: serde::de::DeserializeOwned>(body: Incoming) -> Result<T, Response<Body>> {
    let limited = http_body_util::Limited::new(body, ADMIN_BODY_LIMIT);
    let bytes: Bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            return Err(admin_error(
                StatusCode::BAD_REQUEST,
                format!("could not read body: {err}"),
            ));
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|err| admin_error(StatusCode::BAD_REQUEST, format!("bad JSON: {err}")))
}

/// The admin API, on every listener:
/// `GET|DELETE /_s3mr/counters`, `GET|PUT /_s3mr/switches`, `POST|DELETE /_s3mr/faults`,
/// `GET /_s3mr/buckets`.
async fn admin(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let what = parts
        .uri
        .path()
        .trim_start_matches(ADMIN_PREFIX)
        .trim_end_matches('/');
    match (parts.method, what) {
        (Method::GET, "counters") => json_response(StatusCode::OK, &shared.counters.snapshot()),
        (Method::DELETE, "counters") => {
            shared.counters.reset();
            json_response(StatusCode::OK, &shared.counters.snapshot())
        }
        (Method::GET, "switches") => json_response(
            StatusCode::OK,
            &*shared.switches.read().expect("switches lock"),
        ),
        (Method::PUT, "switches") => match read_json::<Switches>(body).await {
            Ok(switches) => {
                *shared.switches.write().expect("switches lock") = switches.clone();
                json_response(StatusCode::OK, &switches)
            }
            Err(response) => response,
        },
        (Method::POST, "faults") => match read_json::<Fault>(body).await {
            Ok(fault) => {
                let mut faults = shared.faults.lock().expect("faults lock");
                faults.push(fault);
                json_response(StatusCode::OK, &*faults)
            }
            Err(response) => response,
        },
        (Method::DELETE, "faults") => {
            shared.faults.lock().expect("faults lock").clear();
            json_response(StatusCode::OK, &Vec::<Fault>::new())
        }
        (Method::GET, "buckets") => {
            let buckets: BTreeMap<_, _> = shared.registry.list().into_iter().collect();
            json_response(StatusCode::OK, &buckets)
        }
        _ => admin_error(StatusCode::NOT_FOUND, format!("no admin resource {what:?}")),
    }
}
