//! [`EmulatorBuilder`]: the regions, listeners, TLS, proxy and credentials of an emulator, and
//! the routine that starts it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::registry::Registry;
use crate::shared::Shared;
use crate::switches::Switches;
use crate::tls::TlsSource;
use crate::{
    Emulator, EmulatorError, conditions, counters, front, hosts, is_region_name, proxy, store, tls,
};

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
    zones: BTreeMap<String, String>,
}

impl EmulatorBuilder {
    pub(crate) fn new() -> Self {
        Self {
            listeners: Vec::new(),
            data_dir: None,
            access_key: crate::DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: crate::DEFAULT_SECRET_KEY.to_owned(),
            switches: Switches::default(),
            tls: None,
            proxy: None,
            zones: BTreeMap::new(),
        }
    }

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

    /// Serves the S3 Express zone `zone` (an Availability or Local Zone ID such as `usw2-az1`)
    /// in `region`: its zonal host `<bucket>.s3express-<zone>.<region>.amazonaws.com` gets a
    /// certificate name and a CONNECT route, directory buckets `<base>--<zone>--x-s3` can be
    /// created in it, and a zonal host naming the zone with another region is refused, as it
    /// does not resolve on AWS. `region` must be served too.
    pub fn zone(mut self, zone: &str, region: &str) -> Self {
        self.zones.insert(zone.to_owned(), region.to_owned());
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
        for (zone, region) in &self.zones {
            let valid_zone = !zone.is_empty()
                && zone
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_zone {
                return Err(EmulatorError::InvalidZone(zone.clone()));
            }
            if !seen.contains(region.as_str()) {
                return Err(EmulatorError::ZoneOfUnservedRegion {
                    zone: zone.clone(),
                    region: region.clone(),
                });
            }
        }
        let uploads = Arc::new(store::OpenUploads::default());
        let tls = match &self.tls {
            Some(source) => Some(tls::setup(
                source,
                hosts::certificate_names(
                    self.listeners.iter().map(|(r, _)| r.as_str()),
                    self.zones.iter().map(|(z, r)| (z.as_str(), r.as_str())),
                ),
            )?),
            None => None,
        };
        let zones = Arc::new(self.zones);
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
        let denied_deletes = Arc::new(store::DeniedDeletes::default());
        let index = Arc::new(crate::index::Index::new(&root));
        let mut services = BTreeMap::new();
        for (region, _, _) in &bound {
            let store = store::RegionStore {
                region: region.clone(),
                fs: fs.clone(),
                root: root.clone(),
                registry: registry.clone(),
                uploads: uploads.clone(),
                locks: locks.clone(),
                denied_deletes: denied_deletes.clone(),
                index: index.clone(),
                zones: zones.clone(),
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
            denied_deletes,
            counters: counters::Counters::new(bound.iter().map(|(r, _, _)| r.as_str())),
            listeners: bound.iter().map(|(r, a, _)| (r.clone(), *a)).collect(),
            services,
            objects_root: root,
            index,
            request_seq: AtomicU64::new(1),
            tls: tls.as_ref().map(|t| t.acceptor.clone()),
            zones,
            mraps: RwLock::default(),
            sessions: crate::sessions::Sessions::default(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
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
