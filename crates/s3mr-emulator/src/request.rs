//! Pure reading of an incoming request: which bucket, which kind of operation, which region the
//! client signed for. Path-style addressing only (`/bucket/key`), as clients given an endpoint
//! map use.

use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

/// The operations whose region handling differs from plain object operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    ListBuckets,
    CreateBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketLocation,
    /// ListObjects (v1 or v2): S3 adds `x-amz-bucket-region` to its answers.
    ListObjects,
    Other,
}

/// The bucket named by a path-style request path, if any.
pub(crate) fn bucket_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let bucket = rest.split('/').next().unwrap_or("");
    (!bucket.is_empty()).then_some(bucket)
}

fn has_key(path: &str) -> bool {
    let rest = path.strip_prefix('/').unwrap_or(path);
    matches!(rest.split_once('/'), Some((_, key)) if !key.is_empty())
}

fn query_names(query: Option<&str>) -> impl Iterator<Item = &str> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
}

const LIST_PARAMS: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "x-id",
];

/// Classifies a request by method, path and query (names only).
pub(crate) fn op_kind(method: &Method, path: &str, query: Option<&str>) -> OpKind {
    if bucket_of(path).is_none() {
        return if *method == Method::GET {
            OpKind::ListBuckets
        } else {
            OpKind::Other
        };
    }
    if has_key(path) {
        return OpKind::Other;
    }
    // Presigned-URL parameters and the SDK's `x-id` say nothing about the operation.
    let names: Vec<&str> = query_names(query)
        .filter(|n| !n.starts_with("X-Amz-") && *n != "x-id")
        .collect();
    match *method {
        Method::PUT if names.is_empty() => OpKind::CreateBucket,
        Method::DELETE if names.is_empty() => OpKind::DeleteBucket,
        Method::HEAD if names.is_empty() => OpKind::HeadBucket,
        Method::GET if names == ["location"] => OpKind::GetBucketLocation,
        Method::GET if names.iter().all(|n| LIST_PARAMS.contains(n)) => OpKind::ListObjects,
        _ => OpKind::Other,
    }
}

/// How the request was signed, with the region of its credential scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signature {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/s3/aws4_request, ...`
    Header(String),
    /// `?X-Amz-Credential=AK%2FDATE%2FREGION%2Fs3%2Faws4_request&...` (presigned URL).
    Query(String),
}

impl Signature {
    pub(crate) fn region(&self) -> &str {
        match self {
            Self::Header(r) | Self::Query(r) => r,
        }
    }
}

fn scope_region(credential: &str) -> Option<String> {
    // AK / date / region / service / aws4_request
    let mut parts = credential.split('/');
    let (_ak, _date, region) = (parts.next()?, parts.next()?, parts.next()?);
    (!region.is_empty()).then(|| region.to_owned())
}

/// Reads the SigV4 credential scope's region from the `Authorization` header or the presigned
/// query. Unsigned and SigV2 requests have none.
pub(crate) fn signature(headers: &HeaderMap, query: Option<&str>) -> Option<Signature> {
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
        let credential = rest
            .split(',')
            .map(str::trim)
            .find_map(|part| part.strip_prefix("Credential="))?;
        return scope_region(credential).map(Signature::Header);
    }
    let credential = query?
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    let decoded = percent_decode_str(credential).decode_utf8().ok()?;
    scope_region(&decoded).map(Signature::Query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_operations() {
        let cases: &[(Method, &str, Option<&str>, OpKind)] = &[
            (Method::GET, "/", None, OpKind::ListBuckets),
            (Method::GET, "/", Some("max-buckets=2"), OpKind::ListBuckets),
            (Method::PUT, "/b", None, OpKind::CreateBucket),
            (Method::PUT, "/b/", None, OpKind::CreateBucket),
            (Method::PUT, "/b", Some("versioning"), OpKind::Other),
            (Method::PUT, "/b/k", None, OpKind::Other),
            (Method::DELETE, "/b", None, OpKind::DeleteBucket),
            (Method::DELETE, "/b/k", None, OpKind::Other),
            (Method::HEAD, "/b", None, OpKind::HeadBucket),
            (Method::HEAD, "/b/k", None, OpKind::Other),
            (
                Method::GET,
                "/b",
                Some("location"),
                OpKind::GetBucketLocation,
            ),
            (
                Method::GET,
                "/b",
                Some("list-type=2&prefix=a"),
                OpKind::ListObjects,
            ),
            (
                Method::GET,
                "/b",
                Some("list-type=2&x-id=ListObjectsV2"),
                OpKind::ListObjects,
            ),
            (Method::GET, "/b", None, OpKind::ListObjects),
            (Method::GET, "/b", Some("uploads"), OpKind::Other),
            (
                Method::GET,
                "/b/k",
                Some("X-Amz-Credential=x"),
                OpKind::Other,
            ),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(
                op_kind(method, path, *query),
                *want,
                "{method} {path} {query:?}"
            );
        }
    }

    #[test]
    fn finds_bucket() {
        assert_eq!(bucket_of("/"), None);
        assert_eq!(bucket_of("/b"), Some("b"));
        assert_eq!(bucket_of("/b/k/x"), Some("b"));
        assert_eq!(bucket_of(""), None);
    }

    #[test]
    fn reads_signing_region() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            signature(&headers, None),
            Some(Signature::Header("eu-west-1".into()))
        );
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261127%2Fap-southeast-2%2Fs3%2Faws4_request";
        assert_eq!(
            signature(&HeaderMap::new(), Some(q)),
            Some(Signature::Query("ap-southeast-2".into()))
        );
        assert_eq!(signature(&HeaderMap::new(), None), None);
        headers.insert(http::header::AUTHORIZATION, "AWS AKID:sig".parse().unwrap());
        assert_eq!(signature(&headers, None), None);
    }
}
