//! GETs and PUTs on the library's light path (`MultiRegionClient::send_light`): once the
//! bucket's region is learned, a small request is signed and sent without aws-sdk-s3's
//! orchestrator, which costs more client CPU than a 4 KiB request itself (BENCHMARKS.md,
//! scenario 12). Each function answers `None` when the request must go through the SDK path —
//! region not learned yet, an option the light path does not carry, or an answer it does not
//! hand back (a bucket that moved, a throttle, an error S3 explains) — and the caller then sends
//! the same request through the routed client, so a redirect still never reaches the user.

use bytes::Bytes;
use object_store::path::Path;
use object_store::{GetOptions, GetResult, PutMode, PutOptions, PutResult, Result};
use s3_multi_region::{LightOutcome, LightRequest, LightResponse, MultiRegionClient};

use crate::convert::{self, MetaFields, ObjectHeaders};
use crate::error::{self, generic, with_kind};

/// A GetObject (not HEAD) on the light path.
pub(crate) async fn get(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    options: &GetOptions,
) -> Option<Result<GetResult>> {
    let request = get_request(location, options).ok()?;
    let answer = match client.send_light(bucket, request).await {
        LightOutcome::Answered(answer) => answer,
        _ => return None,
    };
    Some(match answer.status() {
        200..=299 => get_result(location, answer),
        status => {
            let kind = error::kind_of(Some(status), None);
            Err(with_kind(
                kind,
                location.as_ref(),
                Box::new(answer.into_error().await),
            ))
        }
    })
}

/// A PutObject on the light path: plain overwrites only (conditional writes and tags keep the
/// SDK path, whose error mapping tells a lost race from a missing key). Only a success is
/// taken: any other answer is left to the SDK path, which reports it with S3's code.
pub(crate) async fn put(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    body: &Bytes,
    opts: &PutOptions,
) -> Option<PutResult> {
    if !matches!(opts.mode, PutMode::Overwrite) || !opts.tags.encoded().is_empty() {
        return None;
    }
    let request = put_request(location, body, opts).ok()?;
    match client.send_light(bucket, request).await {
        LightOutcome::Answered(answer) if (200..300).contains(&answer.status()) => {
            Some(PutResult {
                e_tag: answer.header("etag").map(str::to_owned),
                version: answer.header("x-amz-version-id").map(str::to_owned),
                extensions: Default::default(),
            })
        }
        _ => None,
    }
}

fn get_request(location: &Path, options: &GetOptions) -> Result<LightRequest> {
    let mut request = LightRequest::get(location.as_ref());
    let bad = |e: s3_multi_region::Error| generic(e.to_string());
    if let Some(range) = &options.range {
        request = request
            .header("range", &convert::range_header(range).map_err(generic)?)
            .map_err(bad)?;
    }
    if let Some(etag) = &options.if_match {
        request = request.header("if-match", etag).map_err(bad)?;
    }
    if let Some(etag) = &options.if_none_match {
        request = request.header("if-none-match", etag).map_err(bad)?;
    }
    for (name, when) in [
        ("if-modified-since", options.if_modified_since),
        ("if-unmodified-since", options.if_unmodified_since),
    ] {
        if let Some(when) = when {
            let date = convert::to_smithy(when)
                .fmt(aws_smithy_types::date_time::Format::HttpDate)
                .map_err(|e| generic(e.to_string()))?;
            request = request.header(name, &date).map_err(bad)?;
        }
    }
    if let Some(version) = &options.version {
        request = request.version_id(version);
    }
    Ok(request)
}

fn put_request(location: &Path, body: &Bytes, opts: &PutOptions) -> Result<LightRequest> {
    let bad = |e: s3_multi_region::Error| generic(e.to_string());
    let headers = ObjectHeaders::from_attributes(&opts.attributes);
    let mut request = LightRequest::put(location.as_ref(), body.clone());
    for (name, value) in [
        ("cache-control", &headers.cache_control),
        ("content-disposition", &headers.content_disposition),
        ("content-encoding", &headers.content_encoding),
        ("content-language", &headers.content_language),
        ("content-type", &headers.content_type),
        ("x-amz-storage-class", &headers.storage_class),
    ] {
        if let Some(value) = value {
            request = request.header(name, value).map_err(bad)?;
        }
    }
    for (name, value) in headers.metadata.iter().flatten() {
        request = request
            .header(&format!("x-amz-meta-{name}"), value)
            .map_err(bad)?;
    }
    Ok(request)
}

/// A 200 or 206 answer as object_store's `GetResult`, read from the headers S3 sends.
fn get_result(location: &Path, answer: LightResponse) -> Result<GetResult> {
    let header = |name: &str| answer.header(name);
    let length = header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let last_modified = header("last-modified").and_then(|v| {
        aws_smithy_types::DateTime::from_str(v, aws_smithy_types::date_time::Format::HttpDate).ok()
    });
    let metadata: std::collections::HashMap<String, String> = answer
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let attributes = convert::attributes_of(
        header("cache-control"),
        header("content-disposition"),
        header("content-encoding"),
        header("content-language"),
        header("content-type"),
        (!metadata.is_empty()).then_some(&metadata),
    );
    let content_range = header("content-range").map(str::to_owned);
    let (e_tag, version) = (
        header("etag").map(str::to_owned),
        header("x-amz-version-id").map(str::to_owned),
    );
    convert::get_result(
        location,
        length,
        content_range.as_deref(),
        MetaFields {
            last_modified: last_modified.as_ref(),
            e_tag: e_tag.as_deref(),
            version: version.as_deref(),
        },
        attributes,
        answer.into_body(),
    )
}
