//! What one request was, as the access log and the metrics tell it: filled in by the layers it
//! passes (the front, the access check, the forwarding) through the request's extensions, read
//! once when its answer has been sent.

use std::sync::{Arc, Mutex};

/// Why a request was refused before anything was forwarded (the `reason` label of
/// `auth_failures_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No signature at all.
    Anonymous,
    /// An access key the keys file does not hold.
    UnknownKey,
    /// A signature that does not verify (wrong secret, altered request, clock skew).
    Signature,
    /// A bucket outside the key's globs (or a copy source outside them).
    Bucket,
    /// A write with a read-only key.
    ReadOnly,
    /// An operation the gateway never offers (CreateSession).
    Operation,
}

impl Refusal {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::UnknownKey => "unknown_key",
            Self::Signature => "signature",
            Self::Bucket => "bucket",
            Self::ReadOnly => "read_only",
            Self::Operation => "operation",
        }
    }
}

/// What the access check and the forwarding learned of a request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    /// The verified key (set once the signature held).
    pub(crate) key_id: Option<String>,
    pub(crate) operation: Option<&'static str>,
    pub(crate) bucket: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) refusal: Option<Refusal>,
    /// Whether the request went on to S3.
    pub(crate) forwarded: bool,
}

/// The shared slot, put in the request's extensions by the front.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exchange(Arc<Mutex<Seen>>);

impl Exchange {
    pub(crate) fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    pub(crate) fn seen(&self) -> Seen {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Marks the request of `extensions` as sent on to S3.
pub(crate) fn mark_forwarded(extensions: &http::Extensions) {
    if let Some(exchange) = extensions.get::<Exchange>() {
        exchange.update(|seen| seen.forwarded = true);
    }
}

/// Why a 403 happened, when the access check did not say: the request's claimed access key
/// (header or presigned query) is unknown, absent, or known — then its signature failed (pure).
pub(crate) fn refusal_of_403(
    claimed: Option<&str>,
    known: impl Fn(&str) -> bool,
    seen: Option<Refusal>,
) -> Refusal {
    match (seen, claimed) {
        (Some(refusal), _) => refusal,
        (None, None) => Refusal::Anonymous,
        (None, Some(key)) if !known(key) => Refusal::UnknownKey,
        (None, Some(_)) => Refusal::Signature,
    }
}

/// The access key a request claims: `Credential=AKID/...` of a SigV4 `Authorization` header,
/// `AWS AKID:sig` of a SigV2 one, or `X-Amz-Credential` / `AWSAccessKeyId` of a presigned URL
/// (pure; nothing here is trusted, it only names the refusal).
pub(crate) fn claimed_access_key<'a>(
    authorization: Option<&'a str>,
    query: Option<&'a str>,
) -> Option<String> {
    if let Some(auth) = authorization {
        if let Some(rest) = auth.split("Credential=").nth(1) {
            return rest.split('/').next().map(str::to_owned);
        }
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return rest.split(':').next().map(str::to_owned);
        }
        return None;
    }
    let query = query?;
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .ok()?;
        match name {
            "X-Amz-Credential" => value.split('/').next().map(str::to_owned),
            "AWSAccessKeyId" => Some(value.into_owned()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_keys() {
        let table = [
            (
                Some(
                    "AWS4-HMAC-SHA256 Credential=GWKEY1/20261205/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab",
                ),
                None,
                Some("GWKEY1"),
            ),
            (Some("AWS GWKEY2:c2lnbmF0dXJl"), None, Some("GWKEY2")),
            (Some("Bearer x"), None, None),
            (
                None,
                Some(
                    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=GWKEY3%2F20261205%2Fus-east-1%2Fs3%2Faws4_request",
                ),
                Some("GWKEY3"),
            ),
            (
                None,
                Some("AWSAccessKeyId=GWKEY4&Expires=1"),
                Some("GWKEY4"),
            ),
            (None, Some("list-type=2"), None),
            (None, None, None),
        ];
        for (auth, query, want) in table {
            assert_eq!(
                claimed_access_key(auth, query).as_deref(),
                want,
                "{auth:?} {query:?}"
            );
        }
    }

    #[test]
    fn refusals_of_403() {
        let known = |k: &str| k == "KNOWN";
        let table = [
            (None, None, Refusal::Anonymous),
            (Some("NOPE"), None, Refusal::UnknownKey),
            (Some("KNOWN"), None, Refusal::Signature),
            (Some("KNOWN"), Some(Refusal::ReadOnly), Refusal::ReadOnly),
            (None, Some(Refusal::Bucket), Refusal::Bucket),
        ];
        for (claimed, seen, want) in table {
            assert_eq!(
                refusal_of_403(claimed, known, seen),
                want,
                "{claimed:?} {seen:?}"
            );
        }
        for refusal in [
            Refusal::Anonymous,
            Refusal::UnknownKey,
            Refusal::Signature,
            Refusal::Bucket,
            Refusal::ReadOnly,
            Refusal::Operation,
        ] {
            assert!(!refusal.label().is_empty());
        }
    }
}
