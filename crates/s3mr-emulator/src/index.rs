//! Each bucket's keys in order, with what a listing shows of each object (size, ETag, time):
//! a listing page costs O(log n + page), whatever the bucket holds.
//!
//! The disk stays the truth (object files and their key sidecars, keys.rs); the index is a
//! cache of it, loaded the first time a bucket is listed (so an emulator restarted on a data
//! directory lists what it held) and kept exact by every write, delete, copy and multipart
//! completion, which re-read their key under the key's write lock. In memory rather than in an
//! embedded database: one process owns the data directory, a key costs about 150 bytes
//! (150 MB at a million keys, in the emulator, not in the client measured), and a page is a
//! B-tree range with no query language or second copy of the data on disk.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use md5::Digest;
use s3s::dto::ETag;

use crate::keys;

/// What a listing shows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) size: u64,
    pub(crate) etag: String,
    pub(crate) modified: SystemTime,
}

impl Listed {
    pub(crate) fn etag(&self) -> ETag {
        ETag::Strong(self.etag.clone())
    }
}

/// The keys of one bucket, in UTF-8 byte order (S3's listing order).
pub(crate) type BucketIndex = BTreeMap<String, Listed>;

/// Every bucket's index, shared by all regions' stores.
#[derive(Debug)]
pub(crate) struct Index {
    root: PathBuf,
    buckets: RwLock<HashMap<String, BucketIndex>>,
}

impl Index {
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            buckets: RwLock::default(),
        }
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// Runs `read` over `bucket`'s index, loading it from disk the first time; `None` when
    /// there is no such bucket.
    pub(crate) fn read<T>(&self, bucket: &str, read: impl FnOnce(&BucketIndex) -> T) -> Option<T> {
        {
            let buckets = self.buckets.read().unwrap_or_else(|e| e.into_inner());
            if let Some(index) = buckets.get(bucket) {
                return self.bucket_dir(bucket).is_dir().then(|| read(index));
            }
        }
        let dir = self.bucket_dir(bucket);
        if !dir.is_dir() {
            return None;
        }
        let mut buckets = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        let index = buckets
            .entry(bucket.to_owned())
            .or_insert_with(|| load(&self.root, bucket));
        Some(read(index))
    }

    /// Re-reads `key` of `bucket` from disk after a write or delete of it (called under the
    /// key's write lock, so what it reads is what the write left).
    pub(crate) fn refresh(&self, bucket: &str, key: &str) {
        let found = read_object(&self.root, bucket, key);
        let mut buckets = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        // A bucket not loaded yet is read whole when it is first listed.
        if let Some(index) = buckets.get_mut(bucket) {
            match found {
                Some(listed) => index.insert(key.to_owned(), listed),
                None => index.remove(key),
            };
        }
    }

    /// Adds objects written straight to disk (seeding).
    pub(crate) fn insert_all(&self, bucket: &str, objects: Vec<(String, Listed)>) {
        let mut buckets = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = buckets.get_mut(bucket) {
            index.extend(objects);
        }
    }

    /// Forgets a deleted bucket (one made again under the same name starts empty).
    pub(crate) fn drop_bucket(&self, bucket: &str) {
        let mut buckets = self.buckets.write().unwrap_or_else(|e| e.into_inner());
        buckets.remove(bucket);
    }
}

/// The path s3s-fs keeps an object's internal info at (its ETag among it).
pub(crate) fn internal_info_path(root: &Path, bucket: &str, stored: &str) -> PathBuf {
    let encode = |s: &str| base64_simd::URL_SAFE_NO_PAD.encode_to_string(s);
    root.join(format!(
        ".bucket-{}.object-{}.internal.json",
        encode(bucket),
        encode(stored)
    ))
}

/// The hex MD5 of `bytes`: the ETag of an object put in one request.
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}

/// An object as a listing shows it, read from disk: `None` when it does not exist. The ETag is
/// the one s3s-fs recorded, or (for an object seeded straight to disk) the MD5 of its bytes, as
/// s3s-fs answers a HEAD of it.
fn read_object(root: &Path, bucket: &str, key: &str) -> Option<Listed> {
    let stored = keys::stored_name(key);
    let path = root.join(bucket).join(&stored);
    let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
    let recorded = std::fs::read(internal_info_path(root, bucket, &stored))
        .ok()
        .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok())
        .and_then(|info| info.get("e_tag")?.as_str().map(str::to_owned));
    let etag = match recorded {
        Some(etag) => etag,
        None => md5_hex(&std::fs::read(&path).ok()?),
    };
    Some(Listed {
        size: meta.len(),
        etag,
        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    })
}

/// A bucket's index read from its directory: every key whose sidecar and object exist.
fn load(root: &Path, bucket: &str) -> BucketIndex {
    let keys = keys::keys_in(&root.join(bucket)).unwrap_or_default();
    keys.into_iter()
        .filter_map(|key| {
            let listed = read_object(root, bucket, &key)?;
            Some((key, listed))
        })
        .collect()
}

/// Objects seeded per round, split among threads (small files: the disk, not the CPU, is the
/// limit, so a few threads per core keep it busy).
const SEED_ROUND: usize = 20_000;

/// Writes `objects` of `bucket` straight to disk as the store keeps them (object file and key
/// sidecar, the time set to `modified`), without a request: how tests and benchmarks make a
/// bucket of a million keys in seconds. Returns the index entries to add.
pub(crate) fn seed(
    root: &Path,
    bucket: &str,
    objects: impl IntoIterator<Item = (String, Vec<u8>)>,
    modified: SystemTime,
) -> io::Result<Vec<(String, Listed)>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    for shard in 0..=255u8 {
        std::fs::create_dir_all(root.join(bucket).join(hex::encode([shard])))?;
    }
    let mut objects = objects.into_iter();
    let mut added = Vec::new();
    loop {
        let round: Vec<(String, Vec<u8>)> = objects.by_ref().take(SEED_ROUND).collect();
        if round.is_empty() {
            return Ok(added);
        }
        let written: io::Result<Vec<Vec<(String, Listed)>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = round
                .chunks(round.len().div_ceil(threads))
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(key, body)| seed_one(root, bucket, key, body, modified))
                            .collect::<io::Result<Vec<_>>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().expect("a seeding thread panicked"))
                .collect()
        });
        added.extend(written?.into_iter().flatten());
    }
}

fn seed_one(
    root: &Path,
    bucket: &str,
    key: &str,
    body: &[u8],
    modified: SystemTime,
) -> io::Result<(String, Listed)> {
    let dir = root.join(bucket);
    let stored = keys::stored_name(key);
    // The sidecar first, as a PUT writes it (keys.rs).
    std::fs::write(keys::sidecar_of(&dir, &stored), key.as_bytes())?;
    // A stale internal info (an earlier object under this key) would give another ETag.
    let _ = std::fs::remove_file(internal_info_path(root, bucket, &stored));
    let file = std::fs::File::create(dir.join(&stored))?;
    io::Write::write_all(&mut &file, body)?;
    file.set_modified(modified)?;
    let listed = Listed {
        size: body.len() as u64,
        etag: md5_hex(body),
        modified,
    };
    Ok((key.to_owned(), listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_follows_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        let index = Index::new(dir.path());
        assert_eq!(index.read("none", |i| i.len()), None);
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let seeded = seed(
            dir.path(),
            "b",
            [
                ("../x".to_owned(), b"abc".to_vec()),
                ("a".to_owned(), vec![]),
            ],
            at,
        )
        .unwrap();
        // Loaded from disk on first use: what was seeded before is there.
        let keys = index.read("b", |i| i.keys().cloned().collect::<Vec<_>>());
        assert_eq!(keys, Some(vec!["../x".to_owned(), "a".to_owned()]));
        let listed = index.read("b", |i| i["../x"].clone()).unwrap();
        assert_eq!(listed, seeded[0].1);
        assert_eq!(listed.etag, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(listed.modified, at);
        // A delete on disk, then the refresh its request makes.
        std::fs::remove_file(dir.path().join("b").join(keys::stored_name("a"))).unwrap();
        index.refresh("b", "a");
        assert_eq!(index.read("b", |i| i.len()), Some(1));
        index.drop_bucket("b");
        std::fs::remove_dir_all(dir.path().join("b")).unwrap();
        assert_eq!(index.read("b", |i| i.len()), None);
    }
}
