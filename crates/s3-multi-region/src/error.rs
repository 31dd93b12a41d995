//! The crate's error type. Each variant names the bucket and the regions involved.
//!
//! A variant's message never repeats its source: chain printers (`anyhow`'s `{:#}`, `tracing`'s
//! error chains, [`Report`](crate::Report)) print each cause once.

use std::sync::Arc;

use crate::region::InvalidRegion;
use crate::report::ErrorKind;

/// What routing refused or could not do. Errors raised inside an S3 call reach the caller inside
/// the SDK's `SdkError`; [`Error::find`] digs them out, and [`Error::kind`] says what to decide on.
///
/// Cloneable, because concurrent callers that shared one region probe all get its error: causes
/// are kept behind an `Arc`, never turned into strings.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// S3 (or a cache, or a probe) named a region that is not a valid region name. Nothing was
    /// sent to it and nothing was cached.
    #[error("bucket {bucket}: {tried} named an invalid region")]
    InvalidRegion {
        /// The bucket.
        bucket: String,
        /// The region whose answer named it.
        tried: String,
        /// Why it was refused.
        source: InvalidRegion,
    },
    /// A region outside the client's partition (or missing from its endpoint map).
    #[error("bucket {bucket}: {tried} redirected to {discovered}, which is outside {allowed}")]
    RegionNotAllowed {
        /// The bucket.
        bucket: String,
        /// The region tried.
        tried: String,
        /// The region named.
        discovered: String,
        /// The partition or endpoint map the client is confined to.
        allowed: String,
    },
    /// A directory bucket's zone names a region this call may not use: outside the client's
    /// partition (or endpoint map), or not the region the call asked for with `at_region`.
    /// Nothing was sent.
    #[error("bucket {bucket}: its zone {zone} is in {zone_region}, {why}")]
    ZoneRegion {
        /// The directory bucket (or access point on one).
        bucket: String,
        /// The zone ID in its name.
        zone: String,
        /// The region the zone is in.
        zone_region: String,
        /// Why that region cannot be used here.
        why: String,
    },
    /// A Multi-Region Access Point ARN in a build without the `mrap` feature: its requests are
    /// signed with SigV4a, which this build leaves out. Nothing was sent.
    #[error(
        "bucket {bucket}: a Multi-Region Access Point is signed with SigV4a, which this build \
         leaves out: enable the `mrap` feature of s3-multi-region"
    )]
    MrapNeedsFeature {
        /// The ARN.
        bucket: String,
    },
    /// S3 redirected to the region just tried.
    #[error("bucket {bucket}: {tried} answered with a redirect to itself")]
    RedirectToSameRegion {
        /// The bucket.
        bucket: String,
        /// The region tried.
        tried: String,
    },
    /// A second wrong-region answer in one call (e.g. A → B → A): routing stops rather than loop.
    #[error(
        "bucket {bucket}: {tried} redirected again, to {discovered}, after one redirect already"
    )]
    TooManyRedirects {
        /// The bucket.
        bucket: String,
        /// The region tried last.
        tried: String,
        /// The region it named.
        discovered: String,
    },
    /// The bucket is in another region but the request body is a one-shot stream that cannot be
    /// sent again. Nothing truncated was stored; the region is now cached, so calling again with a
    /// fresh body goes straight to it.
    #[error(
        "bucket {bucket} is in {discovered}, not {tried}; the request body cannot be replayed, so the call \
         was not re-sent (the region is cached: call again)"
    )]
    BodyNotReplayable {
        /// The bucket.
        bucket: String,
        /// The region tried.
        tried: String,
        /// The bucket's region.
        discovered: String,
    },
    /// A wrong-region answer named no region and a HeadBucket probe found none either.
    #[error(
        "bucket {bucket}: {tried} answered for another region without naming it, and a probe found none"
    )]
    RegionUnresolved {
        /// The bucket.
        bucket: String,
        /// The region tried.
        tried: String,
    },
    /// The bucket does not exist (a probe answered 404), so it has no region.
    #[error("bucket {bucket} does not exist")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// A HeadBucket probe failed without an answer (network, credentials, ...).
    #[error("bucket {bucket}: probing its region failed")]
    ProbeFailed {
        /// The bucket.
        bucket: String,
        /// The HeadBucket's error (an `SdkError`).
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A region given by the caller or configuration is invalid.
    #[error(transparent)]
    InvalidRegionArgument(InvalidRegion),
    /// An endpoint map that cannot be read.
    #[error("invalid endpoint map: {0}")]
    InvalidEndpointMap(String),
    /// The bucket is in another region, but the call sets endpoint parameters that this version
    /// of s3-multi-region cannot copy into a rerouted request (a newer aws-sdk-s3 added them), so
    /// it was not rerouted: S3's wrong-region answer stands.
    #[error(
        "bucket {bucket}: {tried} answered that the bucket is elsewhere, but the call sets endpoint \
         parameters s3-multi-region does not copy ({}; linked aws-sdk-s3 {linked}, tested with \
         {tested}), so it was not rerouted rather than sent without them. Upgrade s3-multi-region \
         or pin aws-sdk-s3 to the tested release",
        fields.join(", ")
    )]
    EndpointParamsNotCopied {
        /// The bucket.
        bucket: String,
        /// The region tried.
        tried: String,
        /// The parameters set on the call that a copy would drop.
        fields: Vec<String>,
        /// The aws-sdk-s3 version linked.
        linked: String,
        /// The aws-sdk-s3 version routing was written against.
        tested: String,
    },
    /// The HTTPS client could not be built (a bad `AWS_CA_BUNDLE`, a bad proxy URL).
    #[error("the HTTPS client could not be built")]
    HttpClient {
        /// What is wrong, naming the file or URL.
        source: Arc<crate::http::HttpClientError>,
    },
    /// `configure_s3` set an endpoint resolver, which routing must own.
    #[error(
        "configure_s3 replaced the endpoint resolver, which routing needs; \
         use an endpoint map for non-AWS endpoints"
    )]
    EndpointResolverReplaced,
    /// The endpoint map has no endpoint for a region routing needs.
    #[error("no endpoint for region {region} in the endpoint map")]
    NoEndpointForRegion {
        /// The region.
        region: String,
    },
    /// A light-path request header whose name or value HTTP does not allow (refused before
    /// anything is sent; the value is not repeated).
    #[error("header {name:?}: the name or its value is not valid in HTTP")]
    InvalidHeader {
        /// The header's name, as given.
        name: String,
    },
}

impl Error {
    /// What kind of failure this is: [`ErrorKind::NoSuchBucket`], [`ErrorKind::Region`] for
    /// every refusal or failure of routing, [`ErrorKind::Unreachable`] for a probe that got no
    /// answer, [`ErrorKind::Other`] for configuration.
    ///
    /// ```
    /// use s3_multi_region::{Error, ErrorKind};
    /// assert_eq!(Error::NoSuchBucket { bucket: "b".into() }.kind(), ErrorKind::NoSuchBucket);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NoSuchBucket { .. } => ErrorKind::NoSuchBucket,
            Self::ProbeFailed { .. } => ErrorKind::Unreachable,
            Self::HttpClient { .. }
            | Self::EndpointResolverReplaced
            | Self::InvalidEndpointMap(_)
            | Self::NoEndpointForRegion { .. }
            | Self::InvalidHeader { .. }
            | Self::MrapNeedsFeature { .. } => ErrorKind::Other,
            _ => ErrorKind::Region,
        }
    }

    /// Finds this crate's error in `err` or its chain of sources (as inside an `SdkError`).
    ///
    /// ```
    /// use s3_multi_region::Error;
    /// let err = Error::NoSuchBucket { bucket: "b".into() };
    /// assert!(matches!(Error::find(&err), Some(Error::NoSuchBucket { .. })));
    /// ```
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<Error>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report as _;

    /// Chain printers print each cause once: no message repeats its source's words.
    #[test]
    fn no_message_repeats_its_source() {
        let invalid = crate::region::ValidRegion::new("Evil.Example").unwrap_err();
        let probe_cause = std::io::Error::other("connection refused");
        let errors = [
            Error::InvalidRegion {
                bucket: "b".into(),
                tried: "us-east-1".into(),
                source: invalid.clone(),
            },
            Error::ProbeFailed {
                bucket: "b".into(),
                source: Arc::new(probe_cause),
            },
            Error::InvalidRegionArgument(invalid),
        ];
        for err in &errors {
            let own = err.to_string();
            if let Some(source) = std::error::Error::source(err) {
                assert!(
                    !own.contains(&source.to_string()),
                    "{own:?} repeats {source}"
                );
            }
            // The report tells the whole story once.
            let report = err.report().to_string();
            let mut cause: Option<&dyn std::error::Error> = Some(err);
            while let Some(current) = cause {
                let words = current.to_string();
                assert_eq!(report.matches(&words).count(), 1, "{report:?}: {words:?}");
                cause = current.source();
            }
        }
    }
}
