//! One `aws_sdk_s3::Client` for buckets in every region.
//!
//! The official SDK surfaces S3's `PermanentRedirect` when a bucket lives in another region than
//! the client's. [`MultiRegionClient`] installs routing on a real `aws_sdk_s3::Client` — one
//! interceptor, one retry classifier and one endpoint resolver, no per-operation wrappers — so
//! that every operation, paginator, waiter and presigned request goes to the bucket's region. It
//! learns the region from S3's wrong-region answers (301, 307, 400 AuthorizationHeaderMalformed,
//! 400 IllegalLocationConstraintException, bodiless HEAD errors, a HeadBucket probe as fallback),
//! caches it, and re-sends at once without touching your retry budget.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use s3_multi_region::MultiRegionClient;
//!
//! let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
//!     .http_client(s3_multi_region::http_client()?)
//!     .load()
//!     .await;
//! let client = MultiRegionClient::new(&sdk)?;
//! for bucket in ["logs-in-us-east-1", "photos-in-eu-west-1", "backups-in-ap-southeast-2"] {
//!     let head = client.head_bucket().bucket(bucket).send().await?;
//!     println!("{bucket}: {:?}", head.bucket_region());
//! }
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

//!
//! # Supported SDK versions
//!
//! Tested with aws-sdk-s3 1.157 (aws-config 1.13, aws-smithy-runtime 1.16) on Rust 1.95. A newer
//! aws-sdk-s3 whose endpoint `Params` gained a field routing does not copy is detected when the
//! first client is built (one `warn`); calls that set such a field are not rerouted and their
//! wrong-region answers become [`Error::EndpointParamsNotCopied`].

/// The AWS config loader this crate is built against (lean features), re-exported so a user's
/// version always matches.
pub use aws_config;
/// The S3 SDK this crate is built against, re-exported so a user's version always matches.
pub use aws_sdk_s3;

pub mod cache;
mod client;
mod endpoints;
mod error;
pub mod fs;
mod http;
mod light;
mod multi;
/// S3's wrong-region answers read as data (pure; public with feature `test-util`, for the fuzz
/// tests and benches: not part of the supported API).
#[cfg(feature = "test-util")]
pub mod redirect;
// Without `test-util` its public items are the crate's alone (and `Evidence::Probe` is read only
// by the benches and fuzz tests).
#[cfg(not(feature = "test-util"))]
#[allow(unreachable_pub, dead_code)]
mod redirect;
pub mod region;
mod report;
mod reports;
mod routing;

pub use client::{
    DEFAULT_DIRECT_BODY_LIMIT, MultiRegionClient, MultiRegionClientBuilder, at_region,
};
pub use endpoints::EndpointMap;
pub use error::Error;
pub use http::{HttpClientBuilder, HttpClientError, http_client};
pub use light::{Fallback, LightError, LightOutcome, LightRequest, LightResponse};
pub use multi::RegionalClients;
pub use report::{CREDENTIAL_SOURCES, ErrorKind, ErrorReport, Report, chain as error_chain};
pub use routing::Stats;
/// The endpoint parameters routing copies into a rerouted request (for the SDK-drift tests;
/// feature `test-util`).
#[cfg(feature = "test-util")]
pub const COPIED_ENDPOINT_PARAMS: &[&str] = routing::params::COPIED_FIELDS;

// The client, the caches and the file API are shared across tasks and threads: say so at compile
// time, so a change that loses `Send` or `Sync` fails here rather than in a user's build.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<MultiRegionClient>();
    send_sync::<cache::MemoryCache>();
    send_sync::<std::sync::Arc<dyn cache::BucketRegionCache>>();
    send_sync::<fs::S3Fs>();
    send_sync::<Error>();
    send_sync::<fs::FsError>();
    #[cfg(feature = "redis")]
    send_sync::<cache::RedisCache>();
    #[cfg(feature = "dynamodb")]
    send_sync::<cache::DynamoDbCache>();
    #[cfg(feature = "file-cache")]
    send_sync::<cache::FileCache>();
};

/// Locks `mutex`, recovering it if a panic elsewhere poisoned it: the one policy for the crate's
/// locks, which guard maps and caches that stay usable (at worst an entry is stale or missing).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
