//! An object to a local file, as the aws CLI downloads: the first part ranged (its answer says
//! how large the object is), the other parts fetched in parallel and pinned to the first part's
//! ETag with `If-Match` — so an object replaced meanwhile fails the download instead of mixing
//! two versions — written at their offsets into a temporary file beside the destination, which
//! is renamed over it only once whole. A download that fails or is dropped (Ctrl-C) removes its
//! temporary file: the destination is either the old file or the whole new object, never a part.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;

use crate::fs::error::s3_error;
use crate::fs::{FsError, S3Fs, S3Url};

/// Ranged GETs in flight for one download (each holds one part in memory).
pub const DOWNLOAD_PARALLELISM: usize = 6;

/// What a download wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// Bytes written.
    pub bytes: u64,
    /// The ETag of the version written (what a move compares before it deletes its source).
    pub etag: Option<String>,
    /// The version's LastModified (what a later sync compares the file's time with).
    pub modified: Option<std::time::SystemTime>,
}

/// The temporary file of a download in progress, removed unless it was renamed into place.
struct Partial {
    path: PathBuf,
    kept: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A temporary name beside `path`, unique to this process and call.
fn partial_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}-{n}.s3mr-partial", std::process::id()))
}

fn io_error(path: &Path, source: std::io::Error) -> FsError {
    FsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` at `offset` of `file` on a blocking thread.
async fn write_at(
    file: &Arc<std::fs::File>,
    bytes: bytes::Bytes,
    offset: u64,
) -> std::io::Result<()> {
    let file = Arc::clone(file);
    tokio::task::spawn_blocking(move || {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::write_all_at(&*file, &bytes, offset)
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < bytes.len() {
                done += std::os::windows::fs::FileExt::seek_write(
                    &*file,
                    &bytes[done..],
                    offset + done as u64,
                )?;
            }
            Ok(())
        }
    })
    .await
    .map_err(std::io::Error::other)?
}

impl S3Fs {
    /// Downloads `url` to `path` (see the module's rules: parallel ranged parts of the part size,
    /// pinned to one version, a temporary file renamed into place).
    ///
    /// ```no_run
    /// # async fn run(fs: s3_multi_region::fs::S3Fs) -> Result<(), s3_multi_region::fs::FsError> {
    /// let url = "s3://logs-in-eu-west-1/2026/12/05.parquet".parse().unwrap();
    /// let written = fs.download_to(&url, std::path::Path::new("05.parquet")).await?;
    /// println!("{} bytes, version {:?}", written.bytes, written.etag);
    /// # Ok(()) }
    /// ```
    pub async fn download_to(&self, url: &S3Url, path: &Path) -> Result<Downloaded, FsError> {
        self.download_to_with_progress(url, path, |_, _| {}).await
    }

    /// [`download_to`](Self::download_to), calling `progress(written, total)` after each chunk
    /// written (from the first answer on, when the total is known).
    pub async fn download_to_with_progress(
        &self,
        url: &S3Url,
        path: &Path,
        progress: impl Fn(u64, u64) + Send + Sync,
    ) -> Result<Downloaded, FsError> {
        let client = self.client().s3();
        let part = self.part_size() as u64;
        let first = client
            .get_object()
            .bucket(url.bucket())
            .key(url.key())
            .range(format!("bytes=0-{}", part - 1))
            .send()
            .await;
        let first = match first {
            Ok(out) => out,
            // An empty object has no byte 0: S3 answers 416; fetch it whole.
            Err(err) if err.raw_response().map(|r| r.status().as_u16()) == Some(416) => client
                .get_object()
                .bucket(url.bucket())
                .key(url.key())
                .send()
                .await
                .map_err(|e| s3_error(url, e))?,
            Err(err) => return Err(s3_error(url, err)),
        };
        let received = first.content_length().unwrap_or(0).max(0) as u64;
        let total = first
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(received);
        let etag = first.e_tag().map(str::to_owned);
        let modified = first
            .last_modified()
            .and_then(|t| std::time::SystemTime::try_from(*t).ok());
        let mut partial = Partial {
            path: partial_path(path),
            kept: false,
        };
        // create_new: never open (and so never write through) something already there.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial.path)
            .map_err(|e| io_error(&partial.path, e))?;
        let file = Arc::new(file);
        let written = AtomicU64::new(0);
        let advance = |n: u64| {
            let now = written.fetch_add(n, Ordering::Relaxed) + n;
            progress(now, total);
        };
        let mut offset = 0u64;
        let mut body = first.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| io_error(path, std::io::Error::other(e)))?
        {
            let len = chunk.len() as u64;
            write_at(&file, chunk, offset)
                .await
                .map_err(|e| io_error(&partial.path, e))?;
            offset += len;
            advance(len);
        }
        let ranges: Vec<(u64, u64)> = (received..total)
            .step_by(part as usize)
            .map(|start| (start, (start + part).min(total) - 1))
            .collect();
        let mut parts = futures::stream::iter(ranges)
            .map(|(start, end)| {
                let etag = etag.clone();
                async move {
                    let got = client
                        .get_object()
                        .bucket(url.bucket())
                        .key(url.key())
                        .range(format!("bytes={start}-{end}"))
                        .set_if_match(etag)
                        .send()
                        .await
                        .map_err(|e| s3_error(url, e))?;
                    let bytes = got
                        .body
                        .collect()
                        .await
                        .map_err(|e| io_error(path, std::io::Error::other(e)))?
                        .into_bytes();
                    Ok::<_, FsError>((start, bytes))
                }
            })
            .buffer_unordered(DOWNLOAD_PARALLELISM);
        while let Some(got) = parts.next().await {
            let (start, bytes) = got?;
            let len = bytes.len() as u64;
            write_at(&file, bytes, start)
                .await
                .map_err(|e| io_error(&partial.path, e))?;
            advance(len);
        }
        drop(parts);
        file.sync_data().map_err(|e| io_error(&partial.path, e))?;
        tokio::fs::rename(&partial.path, path)
            .await
            .map_err(|e| io_error(path, e))?;
        partial.kept = true;
        Ok(Downloaded {
            bytes: written.into_inner(),
            etag,
            modified,
        })
    }
}
