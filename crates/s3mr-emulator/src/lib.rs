//! A local multi-region S3 that answers wrong-region requests exactly like AWS.
//!
//! One process serves several regions, one listener each, over one store and one global bucket
//! namespace. Object semantics and SigV4 verification come from [`s3s`] and [`s3s_fs`]; a thin
//! layer in front answers requests that reach the wrong region with the answers S3 gives
//! (301 PermanentRedirect, 307 TemporaryRedirect, 400 AuthorizationHeaderMalformed, 400
//! IllegalLocationConstraintException, bodiless HEAD errors), counts requests and bytes per region,
//! and injects faults on demand.
//!
//! Addressing is path-style (`http://127.0.0.1:PORT/bucket/key`) by default. In the
//! real-hostnames mode ([`EmulatorBuilder::tls`] + [`EmulatorBuilder::proxy`]) every listener
//! serves TLS for the AWS names of its region (`bucket.s3.eu-west-1.amazonaws.com`, dual-stack,
//! FIPS, the global `s3.amazonaws.com`), virtual-hosted and path-style, and an HTTPS CONNECT proxy
//! pipes each AWS hostname to its region's listener: a client built exactly as on AWS (no endpoint
//! map) reaches the emulator through `HTTPS_PROXY` and trusts it through `AWS_CA_BUNDLE`.
//!
//! ```no_run
//! # async fn run() -> Result<(), s3mr_emulator::EmulatorError> {
//! use s3mr_emulator::Emulator;
//!
//! let emulator = Emulator::builder().region("us-east-1").region("eu-west-1").start().await?;
//! println!("{}", emulator.endpoint_map()); // us-east-1=http://127.0.0.1:PORT,eu-west-1=...
//! emulator.seed_bucket("logs", "eu-west-1")?;
//! // ... point a client at emulator.endpoint("us-east-1") and use bucket "logs" ...
//! assert_eq!(emulator.counters().requests("eu-west-1"), 0);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod answers;
mod builder;
mod conditions;
mod counters;
mod express;
mod front;
mod hosts;
mod index;
mod io;
mod keys;
mod listing;
mod proxy;
mod registry;
mod request;
mod resign;
mod sessions;
mod shared;
mod store;
mod switches;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use builder::EmulatorBuilder;
pub use counters::{CountersSnapshot, ProxyCounters, RegionCounters};
pub use registry::BucketEntry;
pub use switches::{
    AnswerSwitches, DEFAULT_OPT_IN_REGIONS, Fault, FaultKind, Reported, Switches, WrongRegionAnswer,
};
pub use tls::TlsSource;

use shared::Shared;

/// The access key the emulator accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY: &str = "AKIAS3MREMULATOR0001";
/// The secret key the emulator accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "s3mr-emulator-secret-key-do-not-use-in-aws";

/// Why the emulator could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// No region was configured.
    #[error("no region configured: give at least one region")]
    NoRegions,
    /// A region name that S3 would not have.
    #[error("invalid region name {0:?}: expected something like us-east-1")]
    InvalidRegion(String),
    /// The same region twice.
    #[error("region {0} is configured twice")]
    DuplicateRegion(String),
    /// A listener could not bind.
    #[error("cannot listen for {region} on {addr}: {source}")]
    Bind {
        /// The region of the listener.
        region: String,
        /// The address it tried.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The data directory could not be prepared.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A bucket name S3 would reject.
    #[error("invalid bucket name {0:?}")]
    InvalidBucket(String),
    /// Seeding named a bucket that does not exist.
    #[error("no such bucket {0:?}: create it first (seed_bucket)")]
    NoSuchBucket(String),
    /// A zone ID S3 would not have.
    #[error("invalid zone ID {0:?}: expected something like usw2-az1")]
    InvalidZone(String),
    /// A zone of a region the emulator does not serve.
    #[error("zone {zone} is in {region}, which is not served: add the region too")]
    ZoneOfUnservedRegion {
        /// The zone ID.
        zone: String,
        /// Its region.
        region: String,
    },
    /// The TLS certificate could not be made or read.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Whether `name` looks like an AWS region (`us-east-1`, `us-gov-west-1`, `cn-north-1`): lower
/// case letters and digits in dash-separated parts, two or more letters first, a number last.
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let lower_alnum = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    name.len() <= 32
        && parts.len() >= 3
        && parts[0].len() >= 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(lower_alnum)
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A running emulator. Dropping it stops every listener.
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) tasks: Vec<JoinHandle<()>>,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    pub(crate) uploads: Arc<store::OpenUploads>,
    pub(crate) ca_pem: Option<String>,
    pub(crate) proxy_addr: Option<SocketAddr>,
    pub(crate) _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("listeners", &self.shared.listeners)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with no region yet, the default credentials and default switches.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::new()
    }

    /// The PEM certificate of the test CA that signed the listeners' certificate (real-hostnames
    /// mode with [`TlsSource::Generated`]): what a client's `AWS_CA_BUNDLE` names.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The CONNECT proxy's address, when one runs.
    pub fn proxy_addr(&self) -> Option<SocketAddr> {
        self.proxy_addr
    }

    /// `http://127.0.0.1:PORT` of the CONNECT proxy: a client's `HTTPS_PROXY`.
    pub fn proxy_url(&self) -> Option<String> {
        self.proxy_addr.map(|addr| format!("http://{addr}"))
    }

    /// The regions served, in name order.
    pub fn regions(&self) -> Vec<String> {
        self.shared.listeners.keys().cloned().collect()
    }

    /// The address of `region`'s listener.
    pub fn addr(&self, region: &str) -> Option<SocketAddr> {
        self.shared.listeners.get(region).copied()
    }

    /// `http://host:port` of `region`'s listener (`https://` in real-hostnames mode).
    ///
    /// # Panics
    /// When the emulator does not serve `region`.
    pub fn endpoint(&self, region: &str) -> String {
        let addr = self
            .addr(region)
            .unwrap_or_else(|| panic!("the emulator does not serve {region}"));
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{addr}")
    }

    /// `region=http://host:port,...` for every listener: the endpoint-map form clients take.
    pub fn endpoint_map(&self) -> String {
        let pairs: Vec<String> = self
            .shared
            .listeners
            .keys()
            .map(|region| format!("{region}={}", self.endpoint(region)))
            .collect();
        pairs.join(",")
    }

    /// The access key and secret key the emulator accepts.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.access_key, &self.secret_key)
    }

    /// The counters now.
    pub fn counters(&self) -> CountersSnapshot {
        self.shared.counters.snapshot()
    }

    /// Multipart uploads started in any bucket and neither completed nor aborted (what
    /// ListMultipartUploads lists).
    pub fn open_uploads(&self) -> usize {
        self.uploads.count()
    }

    /// Sets every counter to zero.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Refuses deletes of `bucket`'s keys starting with `prefix`, as a bucket policy denying
    /// `s3:DeleteObject` on them would: DeleteObject answers `403 AccessDenied`, DeleteObjects
    /// refuses each such key with its own `AccessDenied` entry and deletes the others.
    pub fn deny_deletes(&self, bucket: &str, prefix: &str) {
        self.shared.denied_deletes.deny(bucket, prefix);
    }

    /// Changes the switches in place.
    pub fn configure(&self, change: impl FnOnce(&mut Switches)) {
        change(&mut self.shared.switches.write().expect("switches lock"));
    }

    /// A copy of the switches in force.
    pub fn switches(&self) -> Switches {
        self.shared.switches.read().expect("switches lock").clone()
    }

    /// Adds a fault for the next matching requests.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.lock().expect("faults lock").push(fault);
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().expect("faults lock").clear();
    }

    /// The region that owns `bucket`, if it exists.
    pub fn bucket_region(&self, bucket: &str) -> Option<String> {
        self.shared.registry.get(bucket).map(|e| e.region)
    }

    /// Creates `bucket` in `region` directly, without a request (not counted).
    pub fn seed_bucket(&self, bucket: &str, region: &str) -> Result<(), EmulatorError> {
        if !s3s::path::check_bucket_name(bucket) {
            return Err(EmulatorError::InvalidBucket(bucket.to_owned()));
        }
        if !is_region_name(region) {
            return Err(EmulatorError::InvalidRegion(region.to_owned()));
        }
        // A bucket is a directory of the shared store.
        let dir = self.shared.objects_root.join(bucket);
        std::fs::create_dir_all(&dir).map_err(|source| EmulatorError::DataDir {
            path: dir.clone(),
            source,
        })?;
        self.shared.registry.insert(
            bucket,
            BucketEntry {
                region: region.to_owned(),
                created_unix_ms: registry::now_unix_ms(),
            },
        );
        Ok(())
    }

    /// Writes `objects` (key, bytes) into `bucket` directly, without a request (not counted),
    /// each last modified at `modified`: how a test or benchmark makes a bucket of a million
    /// keys in seconds instead of a million PUTs. Keys are data, as in a PUT (any legal key
    /// round-trips); an existing object under a key is replaced. Returns how many were written.
    ///
    /// ```
    /// # async fn run() -> Result<(), s3mr_emulator::EmulatorError> {
    /// # use s3mr_emulator::Emulator;
    /// let emulator = Emulator::builder().region("eu-west-1").start().await?;
    /// emulator.seed_bucket("logs", "eu-west-1")?;
    /// let keys = (0..10_000).map(|i| (format!("day-{}/{i:05}.log", i % 7), b"line\n".to_vec()));
    /// assert_eq!(emulator.seed_objects("logs", keys, std::time::SystemTime::now())?, 10_000);
    /// # Ok(()) }
    /// ```
    pub fn seed_objects(
        &self,
        bucket: &str,
        objects: impl IntoIterator<Item = (String, Vec<u8>)>,
        modified: std::time::SystemTime,
    ) -> Result<usize, EmulatorError> {
        let root = &self.shared.objects_root;
        if self.shared.registry.get(bucket).is_none() || !root.join(bucket).is_dir() {
            return Err(EmulatorError::NoSuchBucket(bucket.to_owned()));
        }
        // Loaded first, so the entries below land in an index that already holds the rest.
        self.shared.index.read(bucket, |_| ());
        let added = index::seed(root, bucket, objects, modified).map_err(|source| {
            EmulatorError::DataDir {
                path: root.join(bucket),
                source,
            }
        })?;
        let count = added.len();
        self.shared.index.insert_all(bucket, added);
        Ok(count)
    }

    /// Serves `bucket` through the Multi-Region Access Point `alias`
    /// (`arn:aws:s3::<account>:accesspoint/<alias>.mrap`, host
    /// `<alias>.mrap.accesspoint.s3-global.amazonaws.com`): requests signed SigV4a with the
    /// emulator's keys reach the bucket, in its region; any other signature is refused (403).
    pub fn multi_region_access_point(
        &self,
        alias: &str,
        bucket: &str,
    ) -> Result<(), EmulatorError> {
        let valid_alias = !alias.is_empty()
            && alias.len() <= 63
            && alias
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid_alias {
            return Err(EmulatorError::InvalidBucket(alias.to_owned()));
        }
        if self.shared.registry.get(bucket).is_none() {
            return Err(EmulatorError::NoSuchBucket(bucket.to_owned()));
        }
        self.shared
            .mraps
            .write()
            .expect("mraps lock")
            .insert(alias.to_owned(), bucket.to_owned());
        Ok(())
    }

    /// Makes `bucket` look `age` old, e.g. to leave the 307 window. Returns false for no such bucket.
    pub fn age_bucket(&self, bucket: &str, age: Duration) -> bool {
        let created = registry::now_unix_ms().saturating_sub(age.as_millis() as u64);
        self.shared.registry.set_created(bucket, created)
    }

    /// Stops every listener and waits for the accept loops to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
