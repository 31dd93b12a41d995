//! The host tier: one SQLite file in WAL mode, shared by every process on a host.
//!
//! SQLite's WAL journal lets many processes read while one writes; `busy_timeout` bounds how long
//! a writer waits for another. The file is created `0600` (bucket names can be private). A file
//! that is corrupt or unreadable is moved aside and recreated; until then the cache answers with
//! errors, which routing logs once and treats as misses.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};

use super::{BucketRegionCache, CacheError};

/// How long an operation waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// A bucket-region cache in a SQLite file, shared by processes on one host.
///
/// ```no_run
/// # fn run() -> Result<(), s3_multi_region::cache::CacheError> {
/// let cache = s3_multi_region::cache::FileCache::open("/var/cache/s3mr/regions.db")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    ttl: Duration,
    /// The connection and the identity of the file it opened.
    conn: Mutex<Option<(Connection, Option<FileId>)>>,
}

/// Device and inode: which file a path named when the connection was opened.
type FileId = (u64, u64);

fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| (0, 0))
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn cache_error(err: impl std::error::Error + Send + Sync + 'static) -> CacheError {
    CacheError::new(err)
}

fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

fn connect(path: &Path) -> Result<Connection, CacheError> {
    create_private(path).map_err(cache_error)?;
    let conn = Connection::open(path).map_err(cache_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(cache_error)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(cache_error)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(cache_error)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bucket_region (
             scope TEXT NOT NULL,
             bucket TEXT NOT NULL,
             region TEXT NOT NULL,
             expires_at INTEGER NOT NULL,
             PRIMARY KEY (scope, bucket)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS discovery_claim (
             scope TEXT NOT NULL,
             bucket TEXT NOT NULL,
             until_ms INTEGER NOT NULL,
             PRIMARY KEY (scope, bucket)
         ) WITHOUT ROWID;",
    )
    .map_err(cache_error)?;
    Ok(conn)
}

/// Whether `err` says the file is not a usable database (corrupt, not SQLite, truncated).
fn is_corruption(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

impl Inner {
    /// Runs `op` on the connection, opening it when needed; a corrupt file is moved aside and the
    /// operation retried once on a fresh one.
    fn with_conn<T>(
        &self,
        op: impl Fn(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, CacheError> {
        let mut slot = crate::lock(&self.conn);
        // A file deleted or replaced under an open connection would take our writes into an
        // unlinked inode that no other process sees: reopen the path when it names another file.
        if slot
            .as_ref()
            .is_some_and(|(_, id)| *id != file_id(&self.path))
        {
            *slot = None;
        }
        for attempt in 0..2 {
            if slot.is_none() {
                match connect(&self.path) {
                    Ok(conn) => *slot = Some((conn, file_id(&self.path))),
                    Err(err) if attempt == 0 && self.set_aside_if_corrupt(&err) => continue,
                    Err(err) => return Err(err),
                }
            }
            let (conn, _) = slot.as_ref().expect("connection just opened");
            match op(conn) {
                Ok(value) => return Ok(value),
                Err(err) => {
                    // Drop the connection: the file may have been deleted or replaced under us.
                    *slot = None;
                    if attempt == 0 && is_corruption(&err) && self.set_aside(&err) {
                        continue;
                    }
                    return Err(cache_error(err));
                }
            }
        }
        Err(CacheError::new("the cache file could not be recreated"))
    }

    fn set_aside_if_corrupt(&self, err: &CacheError) -> bool {
        err.0
            .downcast_ref::<rusqlite::Error>()
            .is_some_and(is_corruption)
            && self.set_aside(err)
    }

    fn set_aside(&self, err: &dyn std::fmt::Display) -> bool {
        let aside = self.path.with_extension(format!("corrupt-{}", now_secs()));
        tracing::warn!(path = %self.path.display(), %err, aside = %aside.display(), "bucket-region cache file is corrupt; recreating it");
        for suffix in ["-wal", "-shm"] {
            let mut side = self.path.clone().into_os_string();
            side.push(suffix);
            let _ = std::fs::remove_file(side);
        }
        std::fs::rename(&self.path, &aside).is_ok()
    }
}

impl FileCache {
    /// Opens (creating it `0600` if needed) the cache file at `path`, entries living 24 hours.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, CacheError> {
        Self::with_ttl(path, crate::cache::memory::DEFAULT_TTL)
    }

    /// Like [`FileCache::open`], with entries living `ttl`.
    pub fn with_ttl(path: impl Into<PathBuf>, ttl: Duration) -> Result<Self, CacheError> {
        let inner = Arc::new(Inner {
            path: path.into(),
            ttl,
            conn: Mutex::new(None),
        });
        // Open now to report a bad path early; a failure later is survived.
        if let Err(err) = inner.with_conn(|_| Ok(())) {
            tracing::warn!(err = %crate::report::chain(&err), "bucket-region cache file unavailable for now");
        }
        Ok(Self { inner })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn live_entries(&self) -> Result<usize, CacheError> {
        self.blocking(|inner| {
            inner.with_conn(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM bucket_region WHERE expires_at > ?1",
                    [now_secs()],
                    |r| r.get::<_, i64>(0),
                )
            })
        })
        .await
        .map(|n| n as usize)
    }

    async fn clear_all(&self) -> Result<(), CacheError> {
        self.blocking(|inner| {
            inner.with_conn(|c| c.execute("DELETE FROM bucket_region", []).map(drop))
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Inner) -> Result<T, CacheError> + Send + 'static,
    ) -> Result<T, CacheError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || op(&inner))
            .await
            .map_err(cache_error)?
    }
}

impl BucketRegionCache for FileCache {
    fn get<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        let (scope, bucket) = (scope.to_owned(), bucket.to_owned());
        Box::pin(self.blocking(move |inner| {
            inner.with_conn(|c| {
                c.query_row(
                    "SELECT region FROM bucket_region WHERE scope = ?1 AND bucket = ?2 AND expires_at > ?3",
                    params![scope, bucket, now_secs()],
                    |row| row.get::<_, String>(0),
                )
                .optional()
            })
        }))
    }

    fn put<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        let (scope, bucket, region) = (scope.to_owned(), bucket.to_owned(), region.to_owned());
        Box::pin(self.blocking(move |inner| {
            let expires = now_secs() + inner.ttl.as_secs() as i64;
            inner.with_conn(|c| {
                c.execute(
                    "INSERT INTO bucket_region (scope, bucket, region, expires_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (scope, bucket) DO UPDATE SET region = excluded.region, expires_at = excluded.expires_at",
                    params![scope, bucket, region, expires],
                )
                .map(drop)
            })
        }))
    }

    /// One row per bucket being discovered, taken with `INSERT OR IGNORE` after lapsed claims
    /// are deleted; SQLite's write lock makes exactly one process win.
    fn claim_discovery<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheError>> {
        let (scope, bucket) = (scope.to_owned(), bucket.to_owned());
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let until_ms = now_ms + ttl.as_millis() as i64;
        Box::pin(self.blocking(move |inner| {
            inner.with_conn(|c| {
                c.execute(
                    "DELETE FROM discovery_claim WHERE scope = ?1 AND bucket = ?2 AND until_ms < ?3",
                    params![scope, bucket, now_ms],
                )?;
                let won = c.execute(
                    "INSERT OR IGNORE INTO discovery_claim (scope, bucket, until_ms) VALUES (?1, ?2, ?3)",
                    params![scope, bucket, until_ms],
                )?;
                Ok(won == 1)
            })
        }))
    }

    fn entries(&self) -> BoxFuture<'_, Result<Option<usize>, CacheError>> {
        Box::pin(async { self.live_entries().await.map(Some) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        Box::pin(self.clear_all())
    }

    fn clear_scope<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        let scope = scope.to_owned();
        Box::pin(self.blocking(move |inner| {
            inner.with_conn(|c| {
                c.execute("DELETE FROM bucket_region WHERE scope = ?1", params![scope])
                    .map(drop)
            })
        }))
    }

    fn remove<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        let (scope, bucket) = (scope.to_owned(), bucket.to_owned());
        Box::pin(self.blocking(move |inner| {
            inner.with_conn(|c| {
                c.execute(
                    "DELETE FROM bucket_region WHERE scope = ?1 AND bucket = ?2",
                    params![scope, bucket],
                )
                .map(drop)
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_process_at_a_time_claims_a_discovery() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims.db");
        let (first, second) = (
            FileCache::open(&path).unwrap(),
            FileCache::open(&path).unwrap(),
        );
        let ttl = Duration::from_millis(200);
        assert!(first.claim_discovery("aws", "b", ttl).await.unwrap());
        assert!(!second.claim_discovery("aws", "b", ttl).await.unwrap());
        assert!(second.claim_discovery("aws", "other", ttl).await.unwrap());
        assert!(second.claim_discovery("aws-cn", "b", ttl).await.unwrap());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(
            second.claim_discovery("aws", "b", ttl).await.unwrap(),
            "a lapsed claim is free"
        );
        assert_eq!(
            first.live_entries().await.unwrap(),
            0,
            "claims are not entries"
        );
    }

    #[tokio::test]
    async fn round_trip_ttl_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/regions.db");
        let cache = FileCache::with_ttl(&path, Duration::from_secs(3600)).unwrap();
        cache.put("aws", "b", "eu-west-1").await.unwrap();
        assert_eq!(
            cache.get("aws", "b").await.unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(cache.get("aws-cn", "b").await.unwrap(), None);
        cache.remove("aws", "b").await.unwrap();
        assert_eq!(cache.get("aws", "b").await.unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }

        let expired = FileCache::with_ttl(dir.path().join("ttl.db"), Duration::ZERO).unwrap();
        expired.put("aws", "b", "eu-west-1").await.unwrap();
        assert_eq!(
            expired.get("aws", "b").await.unwrap(),
            None,
            "an entry past its TTL is not served"
        );
    }

    #[tokio::test]
    async fn a_corrupt_file_is_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        std::fs::write(&path, vec![0xAB; 8192]).unwrap();
        let cache = FileCache::open(&path).unwrap();
        cache.put("aws", "b", "eu-west-1").await.unwrap();
        assert_eq!(
            cache.get("aws", "b").await.unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert!(
            set_aside_files(dir.path()) > 0,
            "the corrupt file was kept aside for inspection"
        );
    }

    /// A row as another process (or an older version) wrote it, straight into the file.
    fn write_row(path: &Path, bucket: &str, region: &str, expires_at: i64) {
        let conn = Connection::open(path).unwrap();
        conn.execute(
            "INSERT OR REPLACE INTO bucket_region (scope, bucket, region, expires_at) VALUES ('aws', ?1, ?2, ?3)",
            params![bucket, region, expires_at],
        )
        .unwrap();
    }

    fn wall_clock_secs() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    /// Deletes the database file and its `-wal` and `-shm` (SQLite's rule: they go together).
    fn remove_with_journal(path: &Path) {
        for side in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", path.display()));
        }
    }

    fn set_aside_files(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("corrupt-"))
            .count()
    }

    #[tokio::test]
    async fn expiry_is_wall_clock_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        let cache = FileCache::with_ttl(&path, Duration::from_secs(3600)).unwrap();
        let now = wall_clock_secs();
        write_row(&path, "lapsed", "eu-west-1", now - 5);
        write_row(&path, "live", "eu-west-1", now + 60);
        assert_eq!(cache.get("aws", "lapsed").await.unwrap(), None);
        assert_eq!(
            cache.get("aws", "live").await.unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            cache.entries().await.unwrap(),
            Some(1),
            "the lapsed row is not counted"
        );

        cache.put("aws", "b", "ap-southeast-2").await.unwrap();
        let conn = Connection::open(&path).unwrap();
        let expires: i64 = conn
            .query_row(
                "SELECT expires_at FROM bucket_region WHERE bucket = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let expected = wall_clock_secs() + 3600;
        assert!(
            (expected - 5..=expected).contains(&expires),
            "written to expire one TTL from now: {expires} vs {expected}"
        );
    }

    #[tokio::test]
    async fn entries_counts_and_clear_empties() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path().join("regions.db")).unwrap();
        assert_eq!(cache.entries().await.unwrap(), Some(0));
        for bucket in ["a", "b", "c"] {
            cache.put("aws", bucket, "eu-west-1").await.unwrap();
        }
        cache.put("aws", "a", "us-west-2").await.unwrap();
        assert_eq!(
            cache.entries().await.unwrap(),
            Some(3),
            "a put again replaces"
        );
        cache.clear().await.unwrap();
        assert_eq!(cache.entries().await.unwrap(), Some(0));
        assert_eq!(cache.get("aws", "b").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_file_deleted_or_replaced_under_an_open_connection_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        let cache = FileCache::open(&path).unwrap();
        cache.put("aws", "before", "eu-west-1").await.unwrap();

        // Deleted (a user cleaning up, tmpfiles.d): the next write must land in a file at the path.
        remove_with_journal(&path);
        cache.put("aws", "after-delete", "eu-west-1").await.unwrap();
        let other = FileCache::open(&path).unwrap();
        assert_eq!(
            other.get("aws", "after-delete").await.unwrap().as_deref(),
            Some("eu-west-1"),
            "another process sees what was written after the delete"
        );

        // Replaced by another file (a restore, a `mv` over it) once the other process is gone:
        // read the new one.
        drop(other);
        let replacement = dir.path().join("replacement.db");
        let fresh = FileCache::open(&replacement).unwrap();
        fresh
            .put("aws", "restored", "ap-southeast-2")
            .await
            .unwrap();
        drop(fresh);
        // SQLite's rule for a file replaced while open: its -wal and -shm go with it (else the
        // old journal is replayed over the new file).
        remove_with_journal(&path);
        std::fs::rename(&replacement, &path).unwrap();
        assert_eq!(
            cache.get("aws", "restored").await.unwrap().as_deref(),
            Some("ap-southeast-2"),
            "the replaced file is read, not the one held open"
        );
    }

    #[tokio::test]
    async fn a_busy_file_is_an_error_and_never_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        let cache = FileCache::open(&path).unwrap();
        cache.put("aws", "kept", "eu-west-1").await.unwrap();
        // Another process holds the write lock past our busy timeout.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        assert!(cache.put("aws", "b", "eu-west-1").await.is_err());
        holder.execute_batch("ROLLBACK").unwrap();
        drop(holder);
        assert_eq!(set_aside_files(dir.path()), 0, "a lock is not corruption");
        assert_eq!(
            cache.get("aws", "kept").await.unwrap().as_deref(),
            Some("eu-west-1"),
            "nothing was lost"
        );
    }

    #[tokio::test]
    async fn a_table_found_corrupt_by_a_query_is_set_aside_and_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        let cache = FileCache::open(&path).unwrap();
        cache.put("aws", "b", "eu-west-1").await.unwrap();
        drop(cache);
        // The schema page is intact (the file opens), the entries' page is garbage: only the
        // query finds the corruption, on a connection that opened fine.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() >= 3 * 4096, "schema, entries and claims pages");
        bytes[4096..2 * 4096].fill(0xAB);
        std::fs::write(&path, bytes).unwrap();
        let cache = FileCache::open(&path).unwrap();
        assert_eq!(set_aside_files(dir.path()), 0, "the file opened");
        assert_eq!(
            cache.get("aws", "b").await.unwrap(),
            None,
            "a fresh file answers, without the lost entry"
        );
        assert_eq!(set_aside_files(dir.path()), 1);
        cache.put("aws", "b", "eu-west-1").await.unwrap();
        assert_eq!(cache.entries().await.unwrap(), Some(1));
    }

    /// The file swapped for garbage under an open cache: the very next call sets it aside,
    /// recreates it and answers (no error, no second call needed).
    #[tokio::test]
    async fn a_corrupt_file_found_on_reopen_is_replaced_within_the_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.db");
        let cache = FileCache::open(&path).unwrap();
        cache.put("aws", "b", "eu-west-1").await.unwrap();
        remove_with_journal(&path);
        std::fs::write(&path, vec![0xAB; 8192]).unwrap();
        assert_eq!(cache.get("aws", "b").await.unwrap(), None);
        assert_eq!(set_aside_files(dir.path()), 1);
    }
}
