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

/// Whether a transfer draws its own progress bar: a single-object command's does; a job of a
/// batch does not (the batch has one bar for all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bar {
    Own,
    Batch,
}

fn bar_for(ctx: &Context, bar: Bar, len: Option<u64>, what: &str) -> Option<ProgressBar> {
    match bar {
        Bar::Own => ctx.printer.bar(len, what),
        Bar::Batch => None,
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
    let bar = bar_for(ctx, bar, len, &format!("upload {dst}"));
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
            if let Some(bar) = &bar {
                bar.set_position(total);
            }
        }
        writer.shutdown().await.map_err(|e| reported(dst, &e))?;
        Ok(total)
    };
    let outcome = tokio::select! {
        result = copied => result,
        () = ctx.interrupt.wait() => Err(failed(dst, "interrupted")),
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
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
    let shown = std::sync::OnceLock::new();
    let progress = |written: u64, total: u64| {
        let bar = shown.get_or_init(|| bar_for(ctx, bar, Some(total), &format!("download {src}")));
        if let Some(bar) = bar {
            bar.set_position(written);
        }
    };
    let fs = S3Fs::new(ctx.client.clone()).with_part_size(PART_SIZE);
    let downloaded = tokio::select! {
        result = fs.download_to_with_progress(src, path, progress) => {
            result.map_err(|e| reported(src, &e))
        }
        () = ctx.interrupt.wait() => Err(failed(src, "interrupted")),
    };
    if let Some(Some(bar)) = shown.get() {
        bar.finish_and_clear();
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
