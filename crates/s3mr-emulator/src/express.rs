//! Hosts whose signatures s3s cannot check (resign.rs): S3 Express One Zone's zonal hosts
//! (`<bucket>.s3express-<zone>.<region>.amazonaws.com`) and control plane
//! (`s3express-control.<region>.amazonaws.com`), and Multi-Region Access Points
//! (`<alias>.mrap.accesspoint.s3-global.amazonaws.com`).
//!
//! As S3 does: `CreateSession` (`GET /?session` on the zonal host, signed `s3express` with the
//! account's keys) issues credentials valid for five minutes and for that bucket only; every
//! other zonal request is signed `s3express` with them and carries the session token in
//! `x-amz-s3session-token`; an MRAP request is signed SigV4a. Once verified, a request goes to
//! the listener's s3s service re-signed as plain path-style SigV4 — so the object semantics are
//! the same code as everywhere else.

use std::time::SystemTime;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use s3s::{Body, HttpError};

use crate::answers::error_response as error;
use crate::hosts::bucket_zone;
use crate::hosts::{AwsHost, Endpoint};
use crate::io::CountingBody;
use crate::resign::{self, Algorithm, Authorization, Refusal};
use crate::shared::Shared;

/// `YYYY-MM-DDTHH:MM:SSZ` (pure).
fn iso8601(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Why a request to one of these hosts is refused.
struct Refused(StatusCode, &'static str, String);

impl Refused {
    fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self(StatusCode::FORBIDDEN, code, message.into())
    }
    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, code, message.into())
    }
    fn no_such_bucket() -> Self {
        Self(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist".into(),
        )
    }
}

fn checked(refusal: Result<(), Refusal>) -> Result<(), Refused> {
    refusal.map_err(|r| match r {
        Refusal::Mismatch => Refused::forbidden(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
        Refusal::Malformed(what) => Refused::bad(
            "AuthorizationHeaderMalformed",
            format!("The authorization header is malformed: {what}"),
        ),
    })
}

/// The bucket a request counts against: the bucket behind an MRAP alias, the host's bucket, or
/// the path's.
pub(crate) fn counted_bucket(shared: &Shared, host: &AwsHost<'_>) -> Option<String> {
    match host.endpoint {
        Endpoint::Mrap => host.bucket.and_then(|alias| shared.mrap_bucket(alias)),
        _ => host.bucket.map(str::to_owned),
    }
}

/// What a verified request becomes: an answer made here, or a path-style request for s3s.
enum Verified {
    Answer(Response<Body>),
    Forward { path_and_query: String },
}

/// Serves a request on a zonal, control-plane or MRAP host at `region`'s listener.
pub(crate) async fn handle(
    shared: &Shared,
    region: &str,
    req: Request<Incoming>,
    host: &AwsHost<'_>,
) -> Result<Response<Body>, HttpError> {
    let is_head = req.method() == Method::HEAD;
    let (mut parts, body) = req.into_parts();
    match verify(shared, region, &parts, host) {
        Err(Refused(status, code, message)) => {
            tracing::debug!(region, code, %message, "refused");
            if code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" {
                shared.counters.record_refused_signature(region);
            }
            Ok(error(
                status,
                code,
                &message,
                shared.next_request_id(),
                is_head,
            ))
        }
        Ok(Verified::Answer(answer)) => Ok(answer),
        Ok(Verified::Forward { path_and_query }) => {
            let (access_key, secret) = shared.credentials();
            if resign::resign_for_s3s(&mut parts, &path_and_query, region, access_key, secret)
                .is_err()
            {
                return Ok(error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "the request could not be read",
                    shared.next_request_id(),
                    is_head,
                ));
            }
            let counters = shared.counters.bytes(region);
            let req = Request::from_parts(
                parts,
                Body::http_body_unsync(CountingBody {
                    inner: body,
                    counters,
                }),
            );
            let service = shared.services.get(region).expect("a service per listener");
            service.call(req).await
        }
    }
}

fn authorization(parts: &http::request::Parts) -> Result<Authorization, Refused> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| {
            Refused::forbidden(
                "AccessDenied",
                "these hosts need a signed Authorization header (the emulator does not verify \
                 presigned URLs on them)",
            )
        })?;
    value
        .to_str()
        .ok()
        .and_then(resign::parse_authorization)
        .ok_or_else(|| {
            Refused::bad(
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed",
            )
        })
}

/// SigV4 for `service` in `region`, with the account's keys.
fn account_signed(
    shared: &Shared,
    parts: &http::request::Parts,
    auth: &Authorization,
    service: &str,
    region: &str,
) -> Result<(), Refused> {
    if auth.algorithm != Algorithm::HmacSha256
        || auth.service != service
        || auth.region.as_deref() != Some(region)
    {
        return Err(Refused::bad(
            "AuthorizationHeaderMalformed",
            format!("expected a SigV4 scope of service '{service}' in region '{region}'"),
        ));
    }
    signed_by_account(shared, parts, auth, region)
}

/// Signed with the account's keys (the emulator's), for `scope`: the SigV4 region or the
/// SigV4a region set.
fn signed_by_account(
    shared: &Shared,
    parts: &http::request::Parts,
    auth: &Authorization,
    scope: &str,
) -> Result<(), Refused> {
    let (access_key, secret) = shared.credentials();
    if auth.access_key != access_key {
        return Err(Refused::forbidden(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ));
    }
    checked(resign::verify(parts, auth, secret, scope))
}

fn path_and_query(bucket: &str, parts: &http::request::Parts) -> String {
    let mut path = format!("/{bucket}{}", parts.uri.path());
    if let Some(query) = parts.uri.query() {
        path.push('?');
        path.push_str(query);
    }
    path
}

fn verify(
    shared: &Shared,
    listener: &str,
    parts: &http::request::Parts,
    host: &AwsHost<'_>,
) -> Result<Verified, Refused> {
    let auth = authorization(parts)?;
    match host.endpoint {
        Endpoint::ExpressControl { region } => {
            account_signed(shared, parts, &auth, "s3express", region)?;
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Ok(Verified::Forward {
                path_and_query: path.to_owned(),
            })
        }
        Endpoint::Zonal { zone, region } => {
            let bucket = host.bucket.unwrap_or_default();
            let ours = bucket_zone(bucket) == Some(zone)
                && shared
                    .registry
                    .get(bucket)
                    .is_some_and(|entry| entry.region == region);
            if !ours {
                return Err(Refused::no_such_bucket());
            }
            let create_session = parts.method == Method::GET
                && parts.uri.path() == "/"
                && parts.uri.query() == Some("session");
            if create_session {
                account_signed(shared, parts, &auth, "s3express", region)?;
                return Ok(Verified::Answer(create_session_answer(
                    shared, listener, bucket,
                )));
            }
            if auth.service != "s3express" || auth.region.as_deref() != Some(region) {
                return Err(Refused::bad(
                    "AuthorizationHeaderMalformed",
                    format!("expected a scope of service 's3express' in region '{region}'"),
                ));
            }
            let session = shared.sessions.get(&auth.access_key).ok_or_else(|| {
                Refused::forbidden(
                    "InvalidAccessKeyId",
                    "The session access key you provided does not exist in our records.",
                )
            })?;
            let token = parts
                .headers
                .get("x-amz-s3session-token")
                .and_then(|v| v.to_str().ok());
            if token != Some(session.token.as_str()) {
                return Err(Refused::bad(
                    "InvalidToken",
                    "The provided session token is malformed or otherwise invalid.",
                ));
            }
            if session.bucket != bucket {
                return Err(Refused::forbidden(
                    "AccessDenied",
                    "the session was created for another bucket",
                ));
            }
            if session.expires <= SystemTime::now() {
                return Err(Refused::bad(
                    "ExpiredToken",
                    "The provided token has expired.",
                ));
            }
            checked(resign::verify(parts, &auth, &session.secret, region))?;
            Ok(Verified::Forward {
                path_and_query: path_and_query(bucket, parts),
            })
        }
        Endpoint::Mrap => {
            let alias = host.bucket.unwrap_or_default();
            let bucket = shared.mrap_bucket(alias).ok_or_else(|| {
                Refused(
                    StatusCode::NOT_FOUND,
                    "NoSuchAccessPoint",
                    format!("no Multi-Region Access Point with alias {alias}"),
                )
            })?;
            if auth.algorithm != Algorithm::EcdsaP256 || auth.service != "s3" {
                return Err(Refused::bad(
                    "AuthorizationHeaderMalformed",
                    "a Multi-Region Access Point takes SigV4a (AWS4-ECDSA-P256-SHA256) for service s3",
                ));
            }
            let region_set = parts
                .headers
                .get("x-amz-region-set")
                .and_then(|v| v.to_str().ok())
                .filter(|_| auth.signed_headers.iter().any(|h| h == "x-amz-region-set"))
                .ok_or_else(|| {
                    Refused::bad(
                        "AuthorizationHeaderMalformed",
                        "SigV4a needs a signed x-amz-region-set",
                    )
                })?;
            if !region_set
                .split(',')
                .any(|r| r.trim() == "*" || r.trim() == listener)
            {
                return Err(Refused::forbidden(
                    "AccessDenied",
                    format!("region set '{region_set}' does not include {listener}"),
                ));
            }
            signed_by_account(shared, parts, &auth, region_set)?;
            Ok(Verified::Forward {
                path_and_query: path_and_query(&bucket, parts),
            })
        }
        Endpoint::Regional { .. } | Endpoint::Accelerate => Err(Refused::bad(
            "InvalidRequest",
            "not a host this module serves",
        )),
    }
}

fn create_session_answer(shared: &Shared, listener: &str, bucket: &str) -> Response<Body> {
    let (access_key, session) = shared.sessions.issue(bucket, shared.credentials().1);
    shared.counters.record_session(listener, bucket);
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateSessionResult \
         xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Credentials><SessionToken>{}\
         </SessionToken><SecretAccessKey>{}</SecretAccessKey><AccessKeyId>{access_key}\
         </AccessKeyId><Expiration>{}</Expiration></Credentials></CreateSessionResult>",
        session.token,
        session.secret,
        iso8601(session.expires)
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/xml")
        .header("x-amz-request-id", shared.next_request_id())
        .body(Body::from(body))
        .expect("valid response parts")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn expiration_is_iso8601() {
        assert_eq!(
            iso8601(SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)),
            "2026-05-28T20:26:40Z"
        );
    }
}
