//! The global bucket namespace: bucket name → the region that owns it.
//!
//! S3 has one namespace for all regions: a bucket lives in exactly one region and every other
//! region answers for it with a wrong-region error. This registry is that mapping, shared by every
//! listener. With a data dir it is a JSON file rewritten atomically on every change, so it
//! survives a restart.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One bucket's entry in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEntry {
    /// The region that owns the bucket.
    pub region: String,
    /// Creation time, milliseconds since the Unix epoch (drives the 307 window for young buckets).
    pub created_unix_ms: u64,
}

impl BucketEntry {
    /// How long ago the bucket was created.
    pub fn age(&self) -> Duration {
        let now = now_unix_ms();
        Duration::from_millis(now.saturating_sub(self.created_unix_ms))
    }

    /// Creation time as a [`SystemTime`].
    pub fn created(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.created_unix_ms)
    }
}

pub(crate) fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[derive(Debug)]
pub(crate) struct Registry {
    buckets: RwLock<BTreeMap<String, BucketEntry>>,
    file: Option<PathBuf>,
}

impl Registry {
    /// Opens the registry, loading `file` when it exists.
    pub(crate) fn open(file: Option<PathBuf>) -> io::Result<Self> {
        let buckets = match &file {
            Some(path) if path.exists() => {
                let text = std::fs::read(path)?;
                serde_json::from_slice(&text)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            }
            _ => BTreeMap::new(),
        };
        Ok(Self {
            buckets: RwLock::new(buckets),
            file,
        })
    }

    pub(crate) fn get(&self, bucket: &str) -> Option<BucketEntry> {
        self.buckets
            .read()
            .expect("registry lock")
            .get(bucket)
            .cloned()
    }

    pub(crate) fn insert(&self, bucket: &str, entry: BucketEntry) {
        let mut map = self.buckets.write().expect("registry lock");
        map.insert(bucket.to_owned(), entry);
        self.persist(&map);
    }

    pub(crate) fn remove(&self, bucket: &str) {
        let mut map = self.buckets.write().expect("registry lock");
        if map.remove(bucket).is_some() {
            self.persist(&map);
        }
    }

    pub(crate) fn set_created(&self, bucket: &str, created_unix_ms: u64) -> bool {
        let mut map = self.buckets.write().expect("registry lock");
        let Some(entry) = map.get_mut(bucket) else {
            return false;
        };
        entry.created_unix_ms = created_unix_ms;
        self.persist(&map);
        true
    }

    pub(crate) fn list(&self) -> Vec<(String, BucketEntry)> {
        let map = self.buckets.read().expect("registry lock");
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Writes the whole map to a temporary file and renames it over the old one, so a crash never
    /// leaves a half-written registry behind.
    fn persist(&self, map: &BTreeMap<String, BucketEntry>) {
        let Some(path) = &self.file else { return };
        let tmp = path.with_extension("json.tmp");
        let result = serde_json::to_vec_pretty(map)
            .map_err(io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(err) = result {
            tracing::error!(path = %path.display(), %err, "could not persist the bucket registry");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("registry.json");
        let reg = Registry::open(Some(file.clone())).unwrap();
        reg.insert(
            "a",
            BucketEntry {
                region: "eu-west-1".into(),
                created_unix_ms: 5,
            },
        );
        reg.insert(
            "b",
            BucketEntry {
                region: "us-east-1".into(),
                created_unix_ms: 6,
            },
        );
        reg.remove("b");
        let again = Registry::open(Some(file)).unwrap();
        assert_eq!(again.get("a").unwrap().region, "eu-west-1");
        assert!(again.get("b").is_none());
    }
}
