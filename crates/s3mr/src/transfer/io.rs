//! One object's transfer: an upload streamed through the library's `S3Writer`, a download (in
//! parallel ranged parts for a large object, pinned to the first part's ETag), a server-side
//! copy, a delete. Used by single-object commands and by each job of a batch alike.

use std::path::Path;

use indicatif::ProgressBar;
use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{CopiedVersion, S3Fs};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::context::Context;
use crate::error::{CliError, failed, reported, stdout_failed};

/// Size of each uploaded part.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploading at once; an upload holds at most this many parts plus one in memory.
const UPLOAD_PARALLELISM: usize = 2;

/// Which progress bar a transfer moves: a single-object command draws its own; a job of a
/// batch moves the batch's one bar (when there is one) as its bytes go, so one 10 GiB file in
/// a batch shows its progress instead of 0 until it is done.
#[derive(Debug, Clone)]
pub(crate) enum Bar {
    Own,
    Batch(Option<ProgressBar>),
}

/// How far one transfer has got, on the bar it moves.
struct Progress {
    bar: Option<ProgressBar>,
    /// The transfer's own bar (positions) rather than the batch's (increments).
    own: bool,
    at: u64,
}

impl Progress {
    fn new(ctx: &Context, bar: Bar, len: Option<u64>, what: &str) -> Self {
        match bar {
            Bar::Own => Self {
                bar: ctx.printer.bar(len, what),
                own: true,
                at: 0,
            },
            Bar::Batch(bar) => Self {
                bar,
                own: false,
                at: 0,
            },
        }
    }

    /// `position` bytes of this transfer are done.
    fn to(&mut self, position: u64) {
        match &self.bar {
            Some(bar) if self.own => bar.set_position(position),
            Some(bar) => bar.inc(position.saturating_sub(self.at)),
            None => {}
        }
        self.at = self.at.max(position);
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.as_ref().filter(|_| self.own) {
            bar.finish_and_clear();
        }
    }
}

pub(crate) async fn upload_file(
    ctx: &Context,
    path: &Path,
    dst: &S3Url,
    bar: Bar,
) -> Result<u64, CliError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| failed(path.display(), e))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| failed(path.display(), e))?
        .len();
    let content_type = ctx.content_type_for(Some(path));
    upload(ctx, file, Some(len), dst, &content_type, bar).await
}

/// Streams `reader` to `dst` through the library's `S3Writer`: one PutObject when it fits in one
/// part, a multipart upload with bounded memory otherwise. On an error or Ctrl-C the upload is
/// aborted before returning, so no partial object ever appears.
pub(crate) async fn upload(
    ctx: &Context,
    mut reader: impl AsyncRead + Unpin,
    len: Option<u64>,
    dst: &S3Url,
    content_type: &str,
    bar: Bar,
) -> Result<u64, CliError> {
    ctx.prefer_region(dst.bucket())?;
    let mut progress = Progress::new(ctx, bar, len, &format!("upload {dst}"));
    let mut writer = S3Fs::new(ctx.client.clone())
        .with_part_size(PART_SIZE)
        .with_parallel_parts(UPLOAD_PARALLELISM)
        .create_with_content_type(dst, content_type)
        .map_err(|e| reported(dst, &e))?;
    let copied = async {
        let mut chunk = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = reader
                .read(&mut chunk)
                .await
                .map_err(|e| failed("input", e))?;
            if n == 0 {
                break;
            }
            writer
                .write_all(&chunk[..n])
                .await
                .map_err(|e| reported(dst, &e))?;
            total += n as u64;
            progress.to(total);
        }
        writer.shutdown().await.map_err(|e| reported(dst, &e))?;
        Ok(total)
    };
    let outcome = tokio::select! {
        result = copied => result,
        () = ctx.interrupt.wait() => Err(failed(dst, "interrupted")),
    };
    progress.finish();
    if outcome.is_err() {
        writer.abort().await;
    }
    outcome
}

/// Writes `src` to `path` (through a temporary file renamed at the end) or to standard output.
pub(crate) async fn download(
    ctx: &Context,
    src: &S3Url,
    path: Option<&Path>,
    bar: Bar,
) -> Result<u64, CliError> {
    download_version(ctx, src, path, bar).await.map(|(n, _)| n)
}

/// [`download`], and the ETag of the version written (what `mv` compares before it deletes the
/// source). Ctrl-C stops it, leaving no partial file.
pub(super) async fn download_version(
    ctx: &Context,
    src: &S3Url,
    path: Option<&Path>,
    bar: Bar,
) -> Result<(u64, Option<String>), CliError> {
    ctx.prefer_region(src.bucket())?;
    let Some(path) = path else {
        return Ok((download_to_stdout(ctx, src).await?, None));
    };
    // Missing parent directories are made, as the aws CLI makes them.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| failed(parent.display(), e))?;
    }
    // The library's download: parallel ranged parts pinned to one version, a temporary file
    // renamed into place (removed if this is dropped by Ctrl-C).
    let shown: std::sync::OnceLock<std::sync::Mutex<Progress>> = std::sync::OnceLock::new();
    let progress = |written: u64, total: u64| {
        let progress = shown.get_or_init(|| {
            let what = format!("download {src}");
            std::sync::Mutex::new(Progress::new(ctx, bar.clone(), Some(total), &what))
        });
        if let Ok(mut progress) = progress.lock() {
            progress.to(written);
        }
    };
    let fs = S3Fs::new(ctx.client.clone()).with_part_size(PART_SIZE);
    let downloaded = tokio::select! {
        result = fs.download_to_with_progress(src, path, progress) => {
            result.map_err(|e| reported(src, &e))
        }
        () = ctx.interrupt.wait() => Err(failed(src, "interrupted")),
    };
    if let Some(Ok(progress)) = shown.get().map(|p| p.lock()) {
        progress.finish();
    }
    let downloaded = downloaded?;
    // As the aws CLI does: the file takes the object's time, so the next sync of the same tree
    // finds nothing to do.
    if let Some(modified) = downloaded.modified {
        let _ = std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(modified));
    }
    Ok((downloaded.bytes, downloaded.etag))
}

/// `cat` and `cp s3://... -`: one GET, streamed to standard output in order.
async fn download_to_stdout(ctx: &Context, src: &S3Url) -> Result<u64, CliError> {
    let out = ctx
        .client
        .get_object()
        .bucket(src.bucket())
        .key(src.key())
        .send()
        .await
        .map_err(|e| reported(src, &e))?;
    let mut body = out.body;
    let mut written = 0u64;
    let mut stdout = tokio::io::stdout();
    while let Some(chunk) = body.try_next().await.map_err(|e| failed(src, e))? {
        stdout.write_all(&chunk).await.map_err(stdout_failed)?;
        written += chunk.len() as u64;
    }
    stdout.flush().await.map_err(stdout_failed)?;
    Ok(written)
}

/// Server-side copy, across regions too: CopyObject up to 5 GiB, UploadPartCopy above, pinned
/// to the source's ETag; returns the version copied.
pub(crate) async fn copy_object(
    ctx: &Context,
    src: &S3Url,
    dst: &S3Url,
) -> Result<CopiedVersion, CliError> {
    ctx.prefer_region(src.bucket())?;
    ctx.prefer_region(dst.bucket())?;
    S3Fs::new(ctx.client.clone())
        .copy_version(src, dst)
        .await
        .map_err(|e| reported(dst, &e))
}

/// One DeleteObject.
pub(crate) async fn delete_object(ctx: &Context, url: &S3Url) -> Result<(), CliError> {
    ctx.client
        .delete_object()
        .bucket(url.bucket())
        .key(url.key())
        .send()
        .await
        .map_err(|e| reported(url, &e))?;
    Ok(())
}
