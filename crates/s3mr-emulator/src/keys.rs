//! Object keys are data, never paths.
//!
//! S3 accepts any UTF-8 key up to 1024 bytes: `../../x`, `a//b`, `..`, `/abs`, `x/./y`, a trailing
//! `/`. s3s-fs stores an object at `<root>/<bucket>/<key>`, so `../other/x` put into one bucket
//! lands in another bucket's directory, `..` cannot be stored at all, and `a` and `a/b` cannot both
//! exist. The store therefore never hands s3s-fs a key: it hands it the key's *stored name* (hex
//! SHA-256, 64 characters, below every file-name limit, in one of 256 shard directories named by
//! its first two characters: `3f/3fa9…`) and keeps the key itself in a sidecar file
//! `<stored name>.key` beside the object. Listings read the sidecars, so every legal key
//! round-trips exactly and no write can leave its bucket's directory. The shards keep each
//! directory small: creating a file in a directory of a million hashed names costs several
//! times what it costs in one of a few thousand.

use std::io;
use std::path::{Path, PathBuf};

use sha2::Digest;

/// The suffix of the sidecar file holding an object's key.
const SIDECAR: &str = ".key";

/// The name (below the bucket's directory) s3s-fs stores `key`'s object under.
pub(crate) fn stored_name(key: &str) -> String {
    let hash = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    format!("{}/{hash}", &hash[..2])
}

fn sidecar(bucket_dir: &Path, key: &str) -> PathBuf {
    sidecar_of(bucket_dir, &stored_name(key))
}

/// The sidecar of the object stored as `stored`.
pub(crate) fn sidecar_of(bucket_dir: &Path, stored: &str) -> PathBuf {
    bucket_dir.join(format!("{stored}{SIDECAR}"))
}

/// Records `key` as stored in `bucket_dir`. Written before the object, so a listing never shows a
/// key whose object is missing (listings also require the object file) nor misses one that exists.
pub(crate) fn remember(bucket_dir: &Path, key: &str) -> io::Result<()> {
    let path = sidecar(bucket_dir, key);
    if std::fs::read(&path).is_ok_and(|held| held == key.as_bytes()) {
        return Ok(());
    }
    match std::fs::write(&path, key.as_bytes()) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // The key's shard directory, made by its first object.
            if let Some(shard) = path.parent() {
                std::fs::create_dir_all(shard)?;
            }
            std::fs::write(&path, key.as_bytes())
        }
        written => written,
    }
}

/// Forgets `key` (after its object was deleted).
pub(crate) fn forget(bucket_dir: &Path, key: &str) {
    let _ = std::fs::remove_file(sidecar(bucket_dir, key));
}

/// Every key stored in `bucket_dir` whose object exists, sorted by UTF-8 bytes as S3 lists them.
pub(crate) fn keys_in(bucket_dir: &Path) -> io::Result<Vec<String>> {
    let mut keys = Vec::new();
    for shard in std::fs::read_dir(bucket_dir)? {
        let shard = shard?;
        let Some(shard_name) = shard.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(shard.path())? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(hash) = name.to_str().and_then(|n| n.strip_suffix(SIDECAR)) else {
                continue;
            };
            let stored = format!("{shard_name}/{hash}");
            if !bucket_dir.join(&stored).is_file() {
                continue;
            }
            let Ok(key) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            // A sidecar that does not hash back to its own name was not written by us: ignore it.
            if stored_name(&key) == stored {
                keys.push(key);
            }
        }
    }
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_a_shard_and_a_fixed_length_hash() {
        for key in [
            "",
            "..",
            "../../x",
            "/abs",
            "a/b",
            &"k".repeat(1024),
            "ünï/cødé",
        ] {
            let name = stored_name(key);
            let (shard, hash) = name.split_once('/').unwrap();
            assert_eq!((shard.len(), hash.len()), (2, 64), "{key:?}");
            assert!(hash.starts_with(shard), "{key:?}");
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{key:?}");
        }
        assert_ne!(stored_name("a"), stored_name("a/"));
    }

    #[test]
    fn listing_needs_object_and_matching_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        for key in ["../../escape", "a/b", "a"] {
            remember(dir.path(), key).unwrap();
            std::fs::write(dir.path().join(stored_name(key)), b"x").unwrap();
        }
        remember(dir.path(), "no-object").unwrap();
        std::fs::create_dir_all(dir.path().join("00")).unwrap();
        std::fs::write(dir.path().join("00/0000.key"), b"forged").unwrap();
        assert_eq!(keys_in(dir.path()).unwrap(), ["../../escape", "a", "a/b"]);
        forget(dir.path(), "a");
        std::fs::remove_file(dir.path().join(stored_name("a"))).unwrap();
        assert_eq!(keys_in(dir.path()).unwrap(), ["../../escape", "a/b"]);
    }
}
