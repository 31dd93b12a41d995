//! What every listener, the proxy and the front share: the registry, switches, counters, the
//! s3s service per region, and the state of the hosts the front verifies itself.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use s3s::service::S3Service;

use crate::counters::Counters;
use crate::registry::Registry;
use crate::switches::{Fault, Switches};

pub(crate) struct Shared {
    pub(crate) registry: Arc<Registry>,
    pub(crate) switches: RwLock<Switches>,
    pub(crate) faults: Mutex<Vec<Fault>>,
    pub(crate) denied_deletes: Arc<crate::store::DeniedDeletes>,
    pub(crate) counters: Counters,
    pub(crate) listeners: BTreeMap<String, SocketAddr>,
    pub(crate) services: BTreeMap<String, S3Service>,
    pub(crate) objects_root: std::path::PathBuf,
    /// Every bucket's keys in order (index.rs), shared with the stores.
    pub(crate) index: Arc<crate::index::Index>,
    pub(crate) request_seq: AtomicU64,
    /// Real-hostnames mode: TLS on every listener, answers name AWS hosts.
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    /// Directory-bucket zones served (zone ID → region): their zonal hosts have certificates
    /// and CONNECT targets; a zone of another region does not resolve.
    pub(crate) zones: Arc<BTreeMap<String, String>>,
    /// Multi-Region Access Points: alias → the bucket behind it.
    pub(crate) mraps: RwLock<BTreeMap<String, String>>,
    /// S3 Express sessions issued by CreateSession.
    pub(crate) sessions: crate::sessions::Sessions,
    /// The account's keys (what s3s accepts; what the front re-signs with).
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
}

impl Shared {
    /// What a wrong-region answer names as `region`'s endpoint: the listener's address, or in
    /// real-hostnames mode (and for regions not served) the AWS host, with the bucket in front
    /// for a virtual-hosted request, as S3 writes it.
    pub(crate) fn endpoint_of(&self, region: &str, virtual_bucket: Option<&str>) -> String {
        match self.listeners.get(region) {
            Some(addr) if self.tls.is_none() => addr.to_string(),
            _ => match virtual_bucket {
                Some(bucket) => format!("{bucket}.s3.{region}.amazonaws.com"),
                None => format!("s3.{region}.amazonaws.com"),
            },
        }
    }

    pub(crate) fn credentials(&self) -> (&str, &str) {
        (&self.access_key, &self.secret_key)
    }

    pub(crate) fn mrap_bucket(&self, alias: &str) -> Option<String> {
        self.mraps.read().expect("mraps lock").get(alias).cloned()
    }

    pub(crate) fn next_request_id(&self) -> String {
        format!(
            "S3MR{:012X}",
            self.request_seq.fetch_add(1, Ordering::Relaxed)
        )
    }
}
