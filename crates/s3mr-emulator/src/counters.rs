//! Request and byte counters, per region, method, bucket and status.
//!
//! Tests assert exact request counts per region from these; benches read them over the admin path.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// What one listener (region) has seen since the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionCounters {
    /// Requests received (admin requests excluded).
    pub requests: u64,
    /// Requests by HTTP method (`GET`, `PUT`, `HEAD`, ...).
    pub by_method: BTreeMap<String, u64>,
    /// Requests by bucket (bucket-less requests such as ListBuckets are not listed).
    pub by_bucket: BTreeMap<String, u64>,
    /// Requests by `Host` header as sent (`bucket.s3.eu-west-1.amazonaws.com`, `127.0.0.1:PORT`).
    #[serde(default)]
    pub by_host: BTreeMap<String, u64>,
    /// Answers by HTTP status code.
    pub by_status: BTreeMap<u16, u64>,
    /// Request body bytes that reached the S3 handler of this region.
    pub body_bytes: u64,
    /// S3 Express sessions issued (CreateSession answered 200), by bucket.
    #[serde(default)]
    pub sessions_by_bucket: BTreeMap<String, u64>,
    /// Requests refused by the signature checks the front makes itself (S3 Express, MRAP):
    /// SignatureDoesNotMatch or InvalidAccessKeyId.
    #[serde(default)]
    pub refused_signatures: u64,
    /// Every byte read from client sockets of this listener (request lines, headers and bodies):
    /// the honest upper bound of what a client sent here, whatever the handler read.
    pub wire_bytes_in: u64,
}

/// A copy of all counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    /// Counters by region name.
    pub regions: BTreeMap<String, RegionCounters>,
    /// What the CONNECT proxy saw (real-hostnames mode).
    #[serde(default)]
    pub proxy: ProxyCounters,
}

/// CONNECTs the proxy piped to a region listener, and those it refused, by target host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyCounters {
    /// Tunnels opened, by `host:port` as asked.
    pub connects: BTreeMap<String, u64>,
    /// CONNECTs refused with 403 (not an S3 hostname of a region served, or not port 443).
    pub refused: BTreeMap<String, u64>,
}

impl CountersSnapshot {
    fn region(&self, region: &str) -> Option<&RegionCounters> {
        self.regions.get(region)
    }

    /// Requests received by `region`.
    pub fn requests(&self, region: &str) -> u64 {
        self.region(region).map_or(0, |r| r.requests)
    }

    /// S3 Express sessions `region` issued for `bucket`.
    pub fn sessions_created(&self, region: &str, bucket: &str) -> u64 {
        self.region(region)
            .and_then(|r| r.sessions_by_bucket.get(bucket).copied())
            .unwrap_or(0)
    }

    /// S3 Express sessions issued by every region, for any bucket.
    pub fn total_sessions(&self) -> u64 {
        self.regions
            .values()
            .flat_map(|r| r.sessions_by_bucket.values())
            .sum()
    }

    /// Requests every region refused for their S3 Express or SigV4a signature.
    pub fn refused_signatures(&self) -> u64 {
        self.regions.values().map(|r| r.refused_signatures).sum()
    }

    /// Requests with `Host: host` received by any region.
    pub fn requests_for_host(&self, host: &str) -> u64 {
        self.regions
            .values()
            .filter_map(|r| r.by_host.get(host))
            .sum()
    }

    /// CONNECTs the proxy refused, all hosts together.
    pub fn refused_connects(&self) -> u64 {
        self.proxy.refused.values().sum()
    }

    /// Requests received by all regions together.
    pub fn total_requests(&self) -> u64 {
        self.regions.values().map(|r| r.requests).sum()
    }

    /// Requests with `method` received by `region`.
    pub fn requests_by_method(&self, region: &str, method: &str) -> u64 {
        self.region(region)
            .and_then(|r| r.by_method.get(method).copied())
            .unwrap_or(0)
    }

    /// Requests for `bucket` received by `region`.
    pub fn requests_for_bucket(&self, region: &str, bucket: &str) -> u64 {
        self.region(region)
            .and_then(|r| r.by_bucket.get(bucket).copied())
            .unwrap_or(0)
    }

    /// Request body bytes that reached `region`'s handler.
    pub fn body_bytes(&self, region: &str) -> u64 {
        self.region(region).map_or(0, |r| r.body_bytes)
    }

    /// Bytes read from sockets of `region`'s listener.
    pub fn wire_bytes_in(&self, region: &str) -> u64 {
        self.region(region).map_or(0, |r| r.wire_bytes_in)
    }

    /// Answers with `status` sent by `region`.
    pub fn answers_with_status(&self, region: &str, status: u16) -> u64 {
        self.region(region)
            .and_then(|r| r.by_status.get(&status).copied())
            .unwrap_or(0)
    }
}

/// Byte counters of one region, updated from the I/O path without a lock.
#[derive(Debug, Default)]
pub(crate) struct ByteCounters {
    pub(crate) body: AtomicU64,
    pub(crate) wire_in: AtomicU64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: Mutex<HashMap<String, RegionCounters>>,
    proxy: Mutex<ProxyCounters>,
    bytes: HashMap<String, Arc<ByteCounters>>,
}

impl Counters {
    pub(crate) fn new<'a>(regions: impl IntoIterator<Item = &'a str>) -> Self {
        let bytes = regions
            .into_iter()
            .map(|r| (r.to_owned(), Arc::default()))
            .collect();
        Self {
            requests: Mutex::default(),
            proxy: Mutex::default(),
            bytes,
        }
    }

    pub(crate) fn bytes(&self, region: &str) -> Arc<ByteCounters> {
        self.bytes.get(region).cloned().unwrap_or_default()
    }

    pub(crate) fn record_connect(&self, target: &str, refused: bool) {
        let mut proxy = self.proxy.lock().expect("counters lock");
        let map = if refused {
            &mut proxy.refused
        } else {
            &mut proxy.connects
        };
        *map.entry(target.to_owned()).or_default() += 1;
    }

    pub(crate) fn record_request(
        &self,
        region: &str,
        method: &str,
        bucket: Option<&str>,
        host: Option<&str>,
    ) {
        let mut map = self.requests.lock().expect("counters lock");
        let entry = map.entry(region.to_owned()).or_default();
        entry.requests += 1;
        if let Some(host) = host {
            *entry.by_host.entry(host.to_owned()).or_default() += 1;
        }
        *entry.by_method.entry(method.to_owned()).or_default() += 1;
        if let Some(bucket) = bucket {
            *entry.by_bucket.entry(bucket.to_owned()).or_default() += 1;
        }
    }

    pub(crate) fn record_session(&self, region: &str, bucket: &str) {
        let mut map = self.requests.lock().expect("counters lock");
        *map.entry(region.to_owned())
            .or_default()
            .sessions_by_bucket
            .entry(bucket.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn record_refused_signature(&self, region: &str) {
        let mut map = self.requests.lock().expect("counters lock");
        map.entry(region.to_owned()).or_default().refused_signatures += 1;
    }

    pub(crate) fn record_status(&self, region: &str, status: u16) {
        let mut map = self.requests.lock().expect("counters lock");
        *map.entry(region.to_owned())
            .or_default()
            .by_status
            .entry(status)
            .or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> CountersSnapshot {
        let map = self.requests.lock().expect("counters lock");
        let mut regions: BTreeMap<String, RegionCounters> = self
            .bytes
            .keys()
            .map(|r| (r.clone(), RegionCounters::default()))
            .collect();
        for (region, counters) in map.iter() {
            regions.insert(region.clone(), counters.clone());
        }
        for (region, bytes) in &self.bytes {
            let entry = regions.entry(region.clone()).or_default();
            entry.body_bytes = bytes.body.load(Ordering::Relaxed);
            entry.wire_bytes_in = bytes.wire_in.load(Ordering::Relaxed);
        }
        let proxy = self.proxy.lock().expect("counters lock").clone();
        CountersSnapshot { regions, proxy }
    }

    pub(crate) fn reset(&self) {
        self.requests.lock().expect("counters lock").clear();
        *self.proxy.lock().expect("counters lock") = ProxyCounters::default();
        for bytes in self.bytes.values() {
            bytes.body.store(0, Ordering::Relaxed);
            bytes.wire_in.store(0, Ordering::Relaxed);
        }
    }
}
