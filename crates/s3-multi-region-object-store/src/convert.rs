//! Conversions between object_store's values and S3's (pure, table-tested): ranges, times,
//! attributes, copy sources.

use std::ops::Range;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetRange, GetResult, GetResultPayload, ObjectMeta,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// S3's `Range` header for `range`, or why it cannot be asked for. An empty bounded range is an
/// error, as object_store documents (S3 would ignore a malformed header and send everything).
pub(crate) fn range_header(range: &GetRange) -> Result<String, String> {
    match range {
        GetRange::Bounded(r) if r.start >= r.end => {
            Err(format!("range {}..{} is empty", r.start, r.end))
        }
        GetRange::Bounded(r) => Ok(format!("bytes={}-{}", r.start, r.end - 1)),
        GetRange::Offset(start) => Ok(format!("bytes={start}-")),
        GetRange::Suffix(0) => Err("a suffix of 0 bytes is empty".to_owned()),
        GetRange::Suffix(n) => Ok(format!("bytes=-{n}")),
    }
}

/// The byte range and the object's size from a `Content-Range: bytes first-last/size` answer.
pub(crate) fn parse_content_range(value: &str) -> Option<(Range<u64>, u64)> {
    let rest = value.strip_prefix("bytes ")?;
    let (span, size) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let (first, last, size): (u64, u64, u64) =
        (first.parse().ok()?, last.parse().ok()?, size.parse().ok()?);
    (first <= last && last < size).then_some((first..last + 1, size))
}

pub(crate) fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

pub(crate) fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

/// The object headers a put sets, read from object_store's [`Attributes`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ObjectHeaders {
    pub(crate) cache_control: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) storage_class: Option<String>,
    pub(crate) metadata: Option<std::collections::HashMap<String, String>>,
}

impl ObjectHeaders {
    pub(crate) fn from_attributes(attributes: &Attributes) -> Self {
        let mut headers = Self::default();
        for (key, value) in attributes {
            let value = value.as_ref().to_owned();
            match key {
                Attribute::CacheControl => headers.cache_control = Some(value),
                Attribute::ContentDisposition => headers.content_disposition = Some(value),
                Attribute::ContentEncoding => headers.content_encoding = Some(value),
                Attribute::ContentLanguage => headers.content_language = Some(value),
                Attribute::ContentType => headers.content_type = Some(value),
                Attribute::StorageClass => headers.storage_class = Some(value),
                Attribute::Metadata(name) => {
                    headers
                        .metadata
                        .get_or_insert_default()
                        .insert(name.to_string(), value);
                }
                // A newer object_store's attribute S3 has no header for.
                _ => {}
            }
        }
        headers
    }
}

/// The attributes of a GET or HEAD answer, as object_store reports them (no storage class:
/// S3 names it only for classes other than STANDARD).
pub(crate) fn attributes_of(
    cache_control: Option<&str>,
    content_disposition: Option<&str>,
    content_encoding: Option<&str>,
    content_language: Option<&str>,
    content_type: Option<&str>,
    metadata: Option<&std::collections::HashMap<String, String>>,
) -> Attributes {
    let mut attributes = Attributes::new();
    let mut put = |key: Attribute, value: Option<&str>| {
        if let Some(value) = value {
            attributes.insert(key, AttributeValue::from(value.to_owned()));
        }
    };
    put(Attribute::CacheControl, cache_control);
    put(Attribute::ContentDisposition, content_disposition);
    put(Attribute::ContentEncoding, content_encoding);
    put(Attribute::ContentLanguage, content_language);
    put(Attribute::ContentType, content_type);
    for (name, value) in metadata.into_iter().flatten() {
        attributes.insert(
            Attribute::Metadata(name.clone().into()),
            AttributeValue::from(value.clone()),
        );
    }
    attributes
}

/// Characters of a key left as they are in `x-amz-copy-source` (RFC 3986 unreserved and `/`).
const COPY_SOURCE_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// `x-amz-copy-source` for `bucket`/`key`: the key URL-encoded, as S3 decodes it (a literal `%`
/// in a key, as object_store's encoded delimiters have, must travel as `%25`).
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", utf8_percent_encode(key, COPY_SOURCE_KEEP))
}

/// The S3 prefix that lists `prefix` on object_store's terms: whole path segments only
/// (`a/b` lists `a/b/x`, never `a/bc`).
pub(crate) fn list_prefix(prefix: Option<&object_store::path::Path>) -> Option<String> {
    prefix
        .map(|p| p.as_ref())
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}/"))
}

/// Sets S3's object headers on a PutObject or CreateMultipartUpload builder (same setters).
macro_rules! with_headers {
    ($builder:expr, $headers:expr) => {{
        let h: $crate::convert::ObjectHeaders = $headers;
        $builder
            .set_cache_control(h.cache_control)
            .set_content_disposition(h.content_disposition)
            .set_content_encoding(h.content_encoding)
            .set_content_language(h.content_language)
            .set_content_type(h.content_type)
            .set_storage_class(h.storage_class.map(|c| c.as_str().into()))
            .set_metadata(h.metadata)
    }};
}
pub(crate) use with_headers;

/// An object's body as object_store's stream of chunks.
pub(crate) fn body_stream(
    body: aws_smithy_types::byte_stream::ByteStream,
) -> futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    stream::try_unfold(body, |mut body| async move {
        let chunk = body.try_next().await?;
        Ok(chunk.map(|chunk| (chunk, body)))
    })
    .map_err(|e: aws_smithy_types::byte_stream::error::Error| {
        crate::error::with_kind(crate::error::Kind::Generic, "", Box::new(e))
    })
    .boxed()
}

/// The fields of an object's metadata S3 answers with (as headers, or in an SDK output).
pub(crate) struct MetaFields<'a> {
    pub(crate) last_modified: Option<&'a aws_smithy_types::DateTime>,
    pub(crate) e_tag: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
}

pub(crate) fn object_meta(location: &Path, size: u64, fields: MetaFields<'_>) -> ObjectMeta {
    ObjectMeta {
        location: location.clone(),
        last_modified: fields.last_modified.and_then(to_chrono).unwrap_or_default(),
        size,
        e_tag: fields.e_tag.map(str::to_owned),
        version: fields.version.map(str::to_owned),
    }
}

/// A GetObject answer — from the SDK path or the light path — as object_store's `GetResult`:
/// the range and the object's size from `Content-Range` (the whole object without one).
pub(crate) fn get_result(
    location: &Path,
    length: u64,
    content_range: Option<&str>,
    fields: MetaFields<'_>,
    attributes: object_store::Attributes,
    body: aws_smithy_types::byte_stream::ByteStream,
) -> object_store::Result<GetResult> {
    let (range, size) = match content_range {
        Some(header) => parse_content_range(header)
            .ok_or_else(|| crate::error::generic(format!("unreadable Content-Range {header:?}")))?,
        None => (0..length, length),
    };
    Ok(GetResult {
        payload: GetResultPayload::Stream(body_stream(body)),
        meta: object_meta(location, size, fields),
        range,
        attributes,
        extensions: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_become_headers() {
        let table = [
            (GetRange::Bounded(2..5), Ok("bytes=2-4")),
            (GetRange::Bounded(0..1), Ok("bytes=0-0")),
            (GetRange::Bounded(5..5), Err(())),
            (GetRange::Offset(3), Ok("bytes=3-")),
            (GetRange::Suffix(2), Ok("bytes=-2")),
            (GetRange::Suffix(0), Err(())),
        ];
        for (range, want) in table {
            let got = range_header(&range);
            assert_eq!(got.as_deref().map_err(|_| ()), want, "{range:?}");
        }
    }

    #[test]
    fn content_ranges_are_read_strictly() {
        let table = [
            ("bytes 2-4/14", Some((2..5, 14))),
            ("bytes 0-13/14", Some((0..14, 14))),
            ("bytes 12-13/14", Some((12..14, 14))),
            ("bytes 5-4/14", None),
            ("bytes 0-14/14", None),
            ("bytes */14", None),
            ("items 0-1/2", None),
            ("bytes 0-1/x", None),
        ];
        for (header, want) in table {
            assert_eq!(parse_content_range(header), want, "{header}");
        }
    }

    #[test]
    fn copy_sources_encode_what_s3_decodes() {
        let table = [
            ("b", "plain/key.txt", "b/plain/key.txt"),
            ("b", "a/b%2Fc/foo.file", "b/a/b%252Fc/foo.file"),
            ("b", "foo bar/x", "b/foo%20bar/x"),
            ("b", "🙀/😀.parquet", "b/%F0%9F%99%80/%F0%9F%98%80.parquet"),
            ("b", "I'm a < & weird", "b/I%27m%20a%20%3C%20%26%20weird"),
            ("b", "q?x=1#f+", "b/q%3Fx%3D1%23f%2B"),
        ];
        for (bucket, key, want) in table {
            assert_eq!(copy_source(bucket, key), want, "{key}");
        }
    }

    #[test]
    fn prefixes_list_whole_segments() {
        use object_store::path::Path;
        assert_eq!(list_prefix(None), None);
        assert_eq!(list_prefix(Some(&Path::from(""))), None);
        assert_eq!(
            list_prefix(Some(&Path::from("a/b"))).as_deref(),
            Some("a/b/")
        );
    }

    #[test]
    fn attributes_round_trip_through_headers() {
        let attributes = Attributes::from_iter([
            (Attribute::CacheControl, "max-age=604800"),
            (Attribute::ContentDisposition, "attachment"),
            (Attribute::ContentEncoding, "gzip"),
            (Attribute::ContentLanguage, "en-US"),
            (Attribute::ContentType, "text/html"),
            (Attribute::Metadata("k".into()), "v"),
        ]);
        let h = ObjectHeaders::from_attributes(&attributes);
        let back = attributes_of(
            h.cache_control.as_deref(),
            h.content_disposition.as_deref(),
            h.content_encoding.as_deref(),
            h.content_language.as_deref(),
            h.content_type.as_deref(),
            h.metadata.as_ref(),
        );
        assert_eq!(back, attributes);
    }

    #[test]
    fn times_convert_both_ways() {
        let t = aws_smithy_types::DateTime::from_secs_and_nanos(1_700_000_000, 123_000_000);
        let c = to_chrono(&t).unwrap();
        assert_eq!(c.timestamp(), 1_700_000_000);
        assert_eq!(to_smithy(c), t);
    }
}
