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
mod conditions;
mod counters;
mod front;
mod hosts;
mod io;
mod keys;
mod listing;
mod proxy;
mod registry;
mod request;
mod store;
mod switches;
mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use counters::{CountersSnapshot, ProxyCounters, RegionCounters};
pub use registry::BucketEntry;
pub use switches::{
    AnswerSwitches, DEFAULT_OPT_IN_REGIONS, Fault, FaultKind, Reported, Switches, WrongRegionAnswer,
};
pub use tls::TlsSource;

use front::Shared;
use registry::Registry;

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

/// Configures and starts an [`Emulator`].
#[derive(Debug)]
pub struct EmulatorBuilder {
    listeners: Vec<(String, SocketAddr)>,
    data_dir: Option<PathBuf>,
    access_key: String,
    secret_key: String,
    switches: Switches,
    tls: Option<TlsSource>,
    proxy: Option<SocketAddr>,
}

impl EmulatorBuilder {
    /// Serves TLS on every listener (the real-hostnames mode): with a test CA and certificate
    /// made at start for every S3 hostname of the regions served ([`TlsSource::Generated`]; the
    /// CA is [`Emulator::ca_pem`]), or with the user's PEM files.
    pub fn tls(mut self, source: TlsSource) -> Self {
        self.tls = Some(source);
        self
    }

    /// Runs an HTTPS CONNECT proxy on `addr` (port 0: any) that pipes `CONNECT <S3 host>:443` to
    /// the listener of the host's region and refuses (403, counted) every other target.
    pub fn proxy(mut self, addr: SocketAddr) -> Self {
        self.proxy = Some(addr);
        self
    }

    /// Serves `region` on `127.0.0.1` with a port chosen by the OS.
    pub fn region(self, region: &str) -> Self {
        self.listener(region, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves `region` on `addr`.
    pub fn listener(mut self, region: &str, addr: SocketAddr) -> Self {
        self.listeners.push((region.to_owned(), addr));
        self
    }

    /// Keeps objects and the bucket registry in `dir`, so they survive a restart. Without it the
    /// emulator uses a temporary directory removed when it stops.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The only credentials the emulator accepts (SigV4, header or presigned).
    pub fn credentials(mut self, access_key: &str, secret_key: &str) -> Self {
        self.access_key = access_key.to_owned();
        self.secret_key = secret_key.to_owned();
        self
    }

    /// Starts with these switches instead of the defaults.
    pub fn switches(mut self, switches: Switches) -> Self {
        self.switches = switches;
        self
    }

    /// Binds every listener and starts serving.
    pub async fn start(self) -> Result<Emulator, EmulatorError> {
        if self.listeners.is_empty() {
            return Err(EmulatorError::NoRegions);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (region, _) in &self.listeners {
            if !is_region_name(region) {
                return Err(EmulatorError::InvalidRegion(region.clone()));
            }
            if !seen.insert(region.as_str()) {
                return Err(EmulatorError::DuplicateRegion(region.clone()));
            }
        }

        let (temp, data_dir) = match self.data_dir {
            Some(dir) => (None, dir),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("s3mr-emulator-")
                    .tempdir()
                    .map_err(|source| EmulatorError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let path = temp.path().to_owned();
                (Some(temp), path)
            }
        };
        let data_error = |source| EmulatorError::DataDir {
            path: data_dir.clone(),
            source,
        };
        let root = data_dir.join("objects");
        std::fs::create_dir_all(&root).map_err(data_error)?;
        let registry =
            Arc::new(Registry::open(Some(data_dir.join("registry.json"))).map_err(data_error)?);
        let uploads = Arc::new(store::OpenUploads::default());
        let tls = match &self.tls {
            Some(source) => Some(tls::setup(
                source,
                hosts::certificate_names(self.listeners.iter().map(|(r, _)| r.as_str())),
            )?),
            None => None,
        };
        let fs = Arc::new(
            s3s_fs::FileSystem::new(&root)
                .map_err(|e| data_error(std::io::Error::other(format!("{e:?}"))))?,
        );

        let mut bound = Vec::new();
        for (region, addr) in &self.listeners {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| EmulatorError::Bind {
                    region: region.clone(),
                    addr: *addr,
                    source,
                })?;
            let local = listener
                .local_addr()
                .map_err(|source| EmulatorError::Bind {
                    region: region.clone(),
                    addr: *addr,
                    source,
                })?;
            bound.push((region.clone(), local, listener));
        }

        let locks = Arc::new(conditions::KeyLocks::default());
        let mut services = BTreeMap::new();
        for (region, _, _) in &bound {
            let store = store::RegionStore {
                region: region.clone(),
                fs: fs.clone(),
                root: root.clone(),
                registry: registry.clone(),
                uploads: uploads.clone(),
                locks: locks.clone(),
            };
            let mut builder = s3s::service::S3ServiceBuilder::new(store);
            builder.set_host(hosts::AwsHosts);
            builder.set_auth(s3s::auth::SimpleAuth::from_single(
                self.access_key.as_str(),
                self.secret_key.as_str(),
            ));
            services.insert(region.clone(), builder.build());
        }

        let shared = Arc::new(Shared {
            registry,
            switches: RwLock::new(self.switches),
            faults: Mutex::new(Vec::new()),
            counters: counters::Counters::new(bound.iter().map(|(r, _, _)| r.as_str())),
            listeners: bound.iter().map(|(r, a, _)| (r.clone(), *a)).collect(),
            services,
            objects_root: root,
            request_seq: AtomicU64::new(1),
            tls: tls.as_ref().map(|t| t.acceptor.clone()),
        });
        let (shutdown, watch_rx) = watch::channel(false);
        let mut proxy_addr = None;
        let mut proxy_task = None;
        if let Some(addr) = self.proxy {
            let bind_error = |source| EmulatorError::Bind {
                region: "proxy".into(),
                addr,
                source,
            };
            let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
            proxy_addr = Some(listener.local_addr().map_err(bind_error)?);
            proxy_task = Some(tokio::spawn(proxy::serve(
                listener,
                shared.clone(),
                watch_rx.clone(),
            )));
        }
        let mut tasks: Vec<JoinHandle<()>> = bound
            .into_iter()
            .map(|(region, _, listener)| {
                tokio::spawn(front::serve(
                    listener,
                    Arc::from(region.as_str()),
                    shared.clone(),
                    watch_rx.clone(),
                ))
            })
            .collect();
        tasks.extend(proxy_task);
        Ok(Emulator {
            shared,
            shutdown,
            tasks,
            ca_pem: tls.and_then(|t| t.ca_pem),
            proxy_addr,
            access_key: self.access_key,
            secret_key: self.secret_key,
            uploads,
            _temp: temp,
        })
    }
}

/// A running emulator. Dropping it stops every listener.
pub struct Emulator {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    access_key: String,
    secret_key: String,
    uploads: Arc<store::OpenUploads>,
    ca_pem: Option<String>,
    proxy_addr: Option<SocketAddr>,
    _temp: Option<tempfile::TempDir>,
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
        EmulatorBuilder {
            listeners: Vec::new(),
            data_dir: None,
            access_key: DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            switches: Switches::default(),
            tls: None,
            proxy: None,
        }
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
