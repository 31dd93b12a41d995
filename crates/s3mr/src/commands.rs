//! The commands. Each prints what `aws s3` would, or JSON with `--json`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use s3_multi_region::S3Url;
use s3_multi_region::fs::{CopiedVersion, EntryKind, S3Fs, local_path_for_key, printable_key};
use s3_multi_region::{ErrorKind, Report};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::args::CacheAction;
use crate::context::Context;
use crate::error::CliError;
use crate::guard::{self, Intent};

/// Size of each uploaded part.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploading at once; an upload holds at most this many parts plus one in memory.
const UPLOAD_PARALLELISM: usize = 2;
/// Ranged GETs in flight for one large download (each holds one part in memory).
const RANGED_PARALLELISM: usize = 6;

pub(crate) fn failed(object: impl std::fmt::Display, cause: impl std::fmt::Display) -> CliError {
    CliError::Object {
        object: object.to_string(),
        cause: cause.to_string(),
        kind: None,
        hint: None,
    }
}

/// A library error about `object`, in the library's words ([`Report`]), with its hint.
pub(crate) fn reported(object: impl std::fmt::Display, err: &impl Report) -> CliError {
    CliError::reported(object, err.report())
}

/// An SDK error about `object`, in the library's words.
fn s3_failed<E>(object: impl std::fmt::Display, err: SdkError<E, HttpResponse>) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    reported(object, &err)
}

/// One line of a command's account of what it did, unless `--quiet` or `--only-show-errors`.
pub(crate) fn say(ctx: &Context, line: &str) {
    if !ctx.options.quiet && !ctx.options.only_show_errors {
        println!("{line}");
    }
}

/// `s3://bucket/key` as printed everywhere: the key as S3 holds it, control characters escaped.
fn object_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{}", printable_key(key))
}

fn parse_url(s: &str) -> Result<S3Url, CliError> {
    s.parse()
        .map_err(|e: s3_multi_region::S3UrlError| CliError::Usage(e.to_string()))
}

fn progress(ctx: &Context, len: Option<u64>, what: &str) -> Option<ProgressBar> {
    let o = &ctx.options;
    if o.json
        || o.quiet
        || o.only_show_errors
        || ctx.batch_running.load(std::sync::atomic::Ordering::Relaxed)
        || !std::io::stderr().is_terminal()
    {
        return None;
    }
    let bar = ProgressBar::new(len.unwrap_or(0));
    let template = if len.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
    } else {
        "{msg} {bytes} {bytes_per_sec}"
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    Some(bar)
}

fn print_json(value: serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON value")
    );
}

/// How `ls` lists objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    pub recursive: bool,
    pub human_readable: bool,
    pub summarize: bool,
}

/// `1.5 KiB`, as `aws s3 ls --human-readable` prints sizes.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} Bytes");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub async fn ls(ctx: &Context, url: Option<&str>, listing: Listing) -> Result<(), CliError> {
    let recursive = listing.recursive;
    let Some(url) = url else {
        let mut pages = ctx.client.list_buckets().into_paginator().send();
        let mut rows = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_failed("s3://", e))?;
            for bucket in page.buckets() {
                let name = bucket.name().unwrap_or_default().to_owned();
                let region = bucket.bucket_region().unwrap_or("?").to_owned();
                let created = bucket
                    .creation_date()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                rows.push((name, region, created));
            }
        }
        if ctx.options.json {
            print_json(json!(
                rows.iter()
                    .map(|(n, r, c)| json!({"name": n, "region": r, "created": c}))
                    .collect::<Vec<_>>()
            ));
        } else {
            for (name, region, created) in rows {
                println!("{created:<22} {region:<16} {name}");
            }
        }
        return Ok(());
    };
    let url = parse_url(url)?;
    ctx.prefer_region(url.bucket())?;
    let mut request = ctx
        .client
        .list_objects_v2()
        .bucket(url.bucket())
        .prefix(url.key());
    if !recursive {
        request = request.delimiter("/");
    }
    let mut pages = request.into_paginator().send();
    let (mut dirs, mut objects) = (Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| s3_failed(&url, e))?;
        dirs.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        for object in page.contents() {
            let modified = object
                .last_modified()
                .map(|d| d.to_string())
                .unwrap_or_default();
            let etag = object
                .e_tag()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned();
            objects.push((
                object.key().unwrap_or_default().to_owned(),
                object.size().unwrap_or(0),
                modified,
                etag,
            ));
        }
    }
    if ctx.options.json {
        let mut entries: Vec<_> = dirs.iter().map(|d| json!({"prefix": d})).collect();
        entries.extend(
            objects
                .iter()
                .map(|(k, s, m, e)| json!({"key": k, "size": s, "last_modified": m, "etag": e})),
        );
        print_json(json!(entries));
    } else {
        for dir in dirs {
            println!("{:>33} {}", "PRE", printable_key(&dir));
        }
        for (key, size, modified, _) in &objects {
            let size = if listing.human_readable {
                human_size((*size).max(0) as u64)
            } else {
                size.to_string()
            };
            println!("{modified:<22} {size:>10} {}", printable_key(key));
        }
        if listing.summarize {
            let total: u64 = objects.iter().map(|o| o.1.max(0) as u64).sum();
            let total = if listing.human_readable {
                human_size(total)
            } else {
                format!("{total} Bytes")
            };
            println!("\nTotal Objects: {}\n   Total Size: {total}", objects.len());
        }
    }
    Ok(())
}

pub async fn cat(ctx: &Context, url: &str) -> Result<(), CliError> {
    let url = parse_url(url)?;
    download(ctx, &url, None).await.map(drop)
}

pub async fn stat(ctx: &Context, url: &str) -> Result<(), CliError> {
    let url = parse_url(url)?;
    ctx.prefer_region(url.bucket())?;
    let meta = S3Fs::new(ctx.client.clone())
        .metadata(&url)
        .await
        .map_err(|e| reported(&url, &e))?;
    let region = ctx
        .client
        .cached_region(url.bucket())
        .map(|r| r.to_string())
        .unwrap_or_default();
    let kind = match meta.kind {
        EntryKind::Directory => "directory",
        _ => "object",
    };
    let etag = meta.etag.unwrap_or_default();
    let modified = meta
        .modified
        .map(|t| aws_smithy_types::DateTime::from(t).to_string())
        .unwrap_or_default();
    let content_type = meta.content_type.unwrap_or_default();
    let size = meta.size;
    if ctx.options.json {
        print_json(
            json!({"url": url.to_string(), "kind": kind, "size": size, "etag": etag,
            "last_modified": modified, "content_type": content_type, "region": region}),
        );
    } else {
        println!(
            "url:           {url}\nkind:          {kind}\nsize:          {size}\netag:          {etag}\nlast modified: {modified}\ncontent type:  {content_type}\nregion:        {region}"
        );
    }
    Ok(())
}

/// Where `cp` reads or writes.
pub(crate) enum Location {
    Stdio,
    Local(PathBuf),
    S3(S3Url),
}

pub(crate) fn location(s: &str) -> Result<Location, CliError> {
    Ok(match s {
        "-" => Location::Stdio,
        s if s.starts_with("s3://") => Location::S3(parse_url(s)?),
        s => Location::Local(PathBuf::from(s)),
    })
}

pub async fn cp(
    ctx: &Context,
    source: &str,
    destination: &str,
    recursive: bool,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    let (from, to) = (location(source)?, location(destination)?);
    if recursive {
        return cp_recursive(ctx, from, to, follow_symlinks).await;
    }
    if !matches!(from, Location::Stdio) && left_out_by_filters(ctx, &single_name(&from)) {
        return Ok(());
    }
    match (from, to) {
        (Location::S3(src), Location::S3(dst)) => {
            let dst = if dst.is_directory() {
                dst.join(src.file_name().unwrap_or_default())
            } else {
                dst
            };
            guard::check_object(&src, &dst, Intent::Copy).map_err(refused)?;
            let line = format!("copy: {src} to {dst}");
            if ctx.options.dryrun {
                say(ctx, &format!("(dryrun) {line}"));
                return Ok(());
            }
            copy_object(ctx, &src, &dst).await?;
            say(ctx, &line);
        }
        (Location::S3(src), Location::Stdio) => download(ctx, &src, None).await.map(drop)?,
        (Location::S3(src), Location::Local(path)) => {
            let path = if path.is_dir() {
                // The key's last segment names the file: never `..` or `.`.
                let name = src.file_name().unwrap_or_default();
                let name = local_path_for_key("", name).map_err(|e| failed(&src, e))?;
                path.join(name)
            } else {
                path
            };
            let line = format!("download: {src} to {}", path.display());
            if ctx.options.dryrun {
                say(ctx, &format!("(dryrun) {line}"));
                return Ok(());
            }
            download(ctx, &src, Some(&path)).await?;
            say(ctx, &line);
        }
        (Location::Stdio, Location::S3(dst)) => {
            if ctx.options.dryrun {
                say(ctx, &format!("(dryrun) upload: - to {dst}"));
                return Ok(());
            }
            let content_type = ctx.content_type_for(None);
            upload(ctx, tokio::io::stdin(), None, &dst, &content_type).await?;
        }
        (Location::Local(path), Location::S3(dst)) => {
            if path.is_dir() {
                return Err(failed(path.display(), "is a directory")
                    .with_hint("use --recursive to copy a directory"));
            }
            let dst = if dst.is_directory() {
                dst.join(
                    &path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                )
            } else {
                dst
            };
            let line = format!("upload: {} to {dst}", path.display());
            if ctx.options.dryrun {
                say(ctx, &format!("(dryrun) {line}"));
                return Ok(());
            }
            upload_file(ctx, &path, &dst).await?;
            say(ctx, &line);
        }
        _ => {
            return Err(CliError::Usage(
                "cp needs at least one s3:// location".into(),
            ));
        }
    }
    Ok(())
}

pub(crate) async fn upload_file(ctx: &Context, path: &Path, dst: &S3Url) -> Result<u64, CliError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| failed(path.display(), e))?;
    let len = file
        .metadata()
        .await
        .map_err(|e| failed(path.display(), e))?
        .len();
    let content_type = ctx.content_type_for(Some(path));
    upload(ctx, file, Some(len), dst, &content_type).await
}

/// Streams `reader` to `dst` through the library's `S3Writer`: one PutObject when it fits in one
/// part, a multipart upload with bounded memory otherwise. On an error or Ctrl-C the upload is
/// aborted before returning, so no partial object ever appears.
async fn upload(
    ctx: &Context,
    mut reader: impl AsyncRead + Unpin,
    len: Option<u64>,
    dst: &S3Url,
    content_type: &str,
) -> Result<u64, CliError> {
    ctx.prefer_region(dst.bucket())?;
    let bar = progress(ctx, len, &format!("upload {dst}"));
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
) -> Result<u64, CliError> {
    download_version(ctx, src, path).await.map(|(n, _)| n)
}

/// [`download`], and the ETag of the version written (what `mv` compares before it deletes the
/// source). Ctrl-C stops it, leaving no partial file.
pub(crate) async fn download_version(
    ctx: &Context,
    src: &S3Url,
    path: Option<&Path>,
) -> Result<(u64, Option<String>), CliError> {
    ctx.prefer_region(src.bucket())?;
    let Some(path) = path else {
        return Ok((download_to_stdout(ctx, src).await?, None));
    };
    // The first part, ranged: its answer says how large the object is, and a larger object's
    // other parts are fetched in parallel (as the aws CLI does), pinned to the first part's
    // ETag so an object replaced meanwhile fails the download instead of mixing two versions.
    let first = ctx
        .client
        .get_object()
        .bucket(src.bucket())
        .key(src.key())
        .range(format!("bytes=0-{}", PART_SIZE - 1))
        .send()
        .await;
    let first = match first {
        Ok(out) => out,
        // An empty object has no byte 0: S3 answers 416; fetch it whole.
        Err(err) if err.raw_response().map(|r| r.status().as_u16()) == Some(416) => ctx
            .client
            .get_object()
            .bucket(src.bucket())
            .key(src.key())
            .send()
            .await
            .map_err(|e| s3_failed(src, e))?,
        Err(err) => return Err(s3_failed(src, err)),
    };
    let received = first.content_length().unwrap_or(0).max(0) as u64;
    let total = first
        .content_range()
        .and_then(|r| r.rsplit('/').next())
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(received);
    let etag = first.e_tag().map(str::to_owned);
    let bar = progress(ctx, Some(total), &format!("download {src}"));
    let tmp = partial_path(path);
    // create_new: never open (and so never write through) something already there.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| failed(tmp.display(), e))?;
    let file = std::sync::Arc::new(file);
    let written = std::sync::atomic::AtomicU64::new(0);
    let advance = |n: u64| {
        let now = written.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        if let Some(bar) = &bar {
            bar.set_position(now);
        }
    };
    let copied = async {
        let mut offset = 0u64;
        let mut body = first.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| failed(src, e))? {
            let len = chunk.len() as u64;
            write_at(&file, chunk, offset)
                .await
                .map_err(|e| failed(tmp.display(), e))?;
            offset += len;
            advance(len);
        }
        let ranges: Vec<(u64, u64)> = (received..total)
            .step_by(PART_SIZE)
            .map(|start| (start, (start + PART_SIZE as u64).min(total) - 1))
            .collect();
        let mut parts = futures::stream::iter(ranges)
            .map(|(start, end)| {
                let etag = etag.clone();
                async move {
                    let part = ctx
                        .client
                        .get_object()
                        .bucket(src.bucket())
                        .key(src.key())
                        .range(format!("bytes={start}-{end}"))
                        .set_if_match(etag)
                        .send()
                        .await
                        .map_err(|e| s3_failed(src, e))?;
                    let bytes = part
                        .body
                        .collect()
                        .await
                        .map_err(|e| failed(src, e))?
                        .into_bytes();
                    Ok::<_, CliError>((start, bytes))
                }
            })
            .buffer_unordered(RANGED_PARALLELISM);
        while let Some(part) = parts.next().await {
            let (start, bytes) = part?;
            let len = bytes.len() as u64;
            write_at(&file, bytes, start)
                .await
                .map_err(|e| failed(tmp.display(), e))?;
            advance(len);
        }
        file.sync_data().map_err(|e| failed(tmp.display(), e))
    };
    let outcome = tokio::select! {
        result = copied => result,
        () = ctx.interrupt.wait() => Err(failed(src, "interrupted")),
    };
    if let Err(err) = outcome {
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| failed(path.display(), e))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok((written.into_inner(), etag))
}

/// Writes `bytes` at `offset` of `file` on a blocking thread.
async fn write_at(
    file: &std::sync::Arc<std::fs::File>,
    bytes: bytes::Bytes,
    offset: u64,
) -> std::io::Result<()> {
    let file = std::sync::Arc::clone(file);
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

/// `cat` and `cp s3://... -`: one GET, streamed to standard output in order.
async fn download_to_stdout(ctx: &Context, src: &S3Url) -> Result<u64, CliError> {
    let out = ctx
        .client
        .get_object()
        .bucket(src.bucket())
        .key(src.key())
        .send()
        .await
        .map_err(|e| s3_failed(src, e))?;
    let mut body = out.body;
    let mut written = 0u64;
    let mut stdout = tokio::io::stdout();
    while let Some(chunk) = body.try_next().await.map_err(|e| failed(src, e))? {
        stdout
            .write_all(&chunk)
            .await
            .map_err(|e| failed("standard output", e))?;
        written += chunk.len() as u64;
    }
    stdout
        .flush()
        .await
        .map_err(|e| failed("standard output", e))?;
    Ok(written)
}

/// A temporary name beside `path`, unique to this process and call, for a download in progress.
fn partial_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}-{n}.s3mr-partial", std::process::id()))
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

/// Single-object commands apply `--exclude` / `--include` to the object's or file's name
/// (relative to its parent), as the aws CLI does: `rm s3://b/k --exclude '*'` deletes nothing.
fn left_out_by_filters(ctx: &Context, name: &str) -> bool {
    !ctx.filters.includes(name)
}

/// The name filters see for a single object or file.
fn single_name(location: &Location) -> String {
    match location {
        Location::S3(url) => url.file_name().unwrap_or_default().to_owned(),
        Location::Local(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        Location::Stdio => String::new(),
    }
}

/// A usage error from a guard's refusal (exit 2, nothing sent).
fn refused(why: String) -> CliError {
    CliError::Usage(why)
}

async fn cp_recursive(
    ctx: &Context,
    from: Location,
    to: Location,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
        guard::check_trees(src, dst, Intent::Copy, &ctx.filters).map_err(refused)?;
    }
    let plan =
        crate::transfer::plan_tree(ctx, &from, &to, &ctx.filters, None, false, follow_symlinks)
            .await?;
    crate::transfer::execute(ctx, "cp", plan).await
}

/// `mv`: a copy, then the source removed — only once its copy succeeded.
pub async fn mv(
    ctx: &Context,
    source: &str,
    destination: &str,
    recursive: bool,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    let (from, to) = (location(source)?, location(destination)?);
    if recursive {
        if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
            guard::check_trees(src, dst, Intent::Move, &ctx.filters).map_err(refused)?;
        }
        let plan =
            crate::transfer::plan_tree(ctx, &from, &to, &ctx.filters, None, true, follow_symlinks)
                .await?;
        return crate::transfer::execute(ctx, "mv", plan).await;
    }
    if !matches!(from, Location::Stdio) && left_out_by_filters(ctx, &single_name(&from)) {
        return Ok(());
    }
    let (job, bytes) = match (from, to) {
        (Location::Local(path), Location::S3(dst)) => {
            if path.is_dir() {
                return Err(failed(path.display(), "is a directory")
                    .with_hint("use --recursive to move a directory"));
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let to = if dst.is_directory() {
                dst.join(&name)
            } else {
                dst
            };
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            (crate::transfer::Job::Upload { path, to }, bytes)
        }
        (Location::S3(src), Location::Local(path)) => {
            let path = if path.is_dir() {
                let name = src.file_name().unwrap_or_default();
                path.join(local_path_for_key("", name).map_err(|e| failed(&src, e))?)
            } else {
                path
            };
            (
                crate::transfer::Job::Download {
                    from: src,
                    path,
                    modified: None,
                },
                0,
            )
        }
        (Location::S3(src), Location::S3(dst)) => {
            let to = if dst.is_directory() {
                dst.join(src.file_name().unwrap_or_default())
            } else {
                dst
            };
            guard::check_object(&src, &to, Intent::Move).map_err(refused)?;
            (crate::transfer::Job::Copy { from: src, to }, 0)
        }
        (Location::Local(_), Location::Local(_)) => {
            return Err(CliError::Usage(
                "both locations are local: one of them must be s3://".into(),
            ));
        }
        _ => {
            return Err(CliError::Usage(
                "mv cannot move standard input or output".into(),
            ));
        }
    };
    let planned = crate::transfer::Planned {
        job,
        bytes,
        then_remove_source: true,
    };
    // One object: its error is the command's, in the same words as cp's.
    let line = planned.line();
    if ctx.options.dryrun {
        say(ctx, &format!("(dryrun) {line}"));
        return Ok(());
    }
    crate::transfer::run(ctx, &planned).await?;
    say(ctx, &line);
    Ok(())
}

/// `sync`: what is missing or differs goes; with `--delete`, what the source lacks goes too.
pub async fn sync(
    ctx: &Context,
    source: &str,
    destination: &str,
    options: crate::plan::SyncOptions,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    let (from, to) = (location(source)?, location(destination)?);
    if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
        guard::check_trees(src, dst, Intent::Sync, &ctx.filters).map_err(refused)?;
    }
    if let (Location::Local(path), _) | (_, Location::Local(path)) = (&from, &to)
        && path.is_file()
    {
        return Err(CliError::Usage(format!(
            "{}: sync takes directories, not files (use cp for one file)",
            path.display()
        )));
    }
    let plan = crate::transfer::plan_tree(
        ctx,
        &from,
        &to,
        &ctx.filters,
        Some(options),
        false,
        follow_symlinks,
    )
    .await?;
    crate::transfer::execute(ctx, "sync", plan).await
}

pub async fn rm(ctx: &Context, url: &str, recursive: bool) -> Result<(), CliError> {
    let url = parse_url(url)?;
    ctx.prefer_region(url.bucket())?;
    if !recursive {
        if url.key().is_empty() {
            return Err(CliError::Usage(format!(
                "{url} is a bucket: use rb, or rm --recursive to empty it"
            )));
        }
        if left_out_by_filters(ctx, url.file_name().unwrap_or_default()) {
            return Ok(());
        }
        if ctx.options.dryrun {
            say(ctx, &format!("(dryrun) delete: {url}"));
            return Ok(());
        }
        ctx.client
            .delete_object()
            .bucket(url.bucket())
            .key(url.key())
            .send()
            .await
            .map_err(|e| s3_failed(&url, e))?;
        say(ctx, &format!("delete: {url}"));
        return Ok(());
    }
    // The library lists and deletes (DeleteObjects in batches of 1000).
    let fs = S3Fs::new(ctx.client.clone());
    let prefix = url.dir_prefix();
    let keys: Vec<String> = fs
        .keys_under(&url)
        .await
        .map_err(|e| reported(&url, &e))?
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| ctx.filters.includes(&key[prefix.len().min(key.len())..]))
        .collect();
    let tag = if ctx.options.dryrun { "(dryrun) " } else { "" };
    // One DeleteObjects of up to 1000 keys at a time; Ctrl-C stops before the next batch.
    let total = keys.len();
    let mut deleted = 0;
    for batch in keys.chunks(1000) {
        if ctx.interrupt.is_set() {
            return Err(CliError::Interrupted(format!(
                "{deleted} deleted, {} not deleted",
                total - deleted
            )));
        }
        if !ctx.options.dryrun {
            fs.remove_keys(&url, batch.to_vec())
                .await
                .map_err(|e| reported(&url, &e))?;
        }
        deleted += batch.len();
        for key in batch {
            say(
                ctx,
                &format!("{tag}delete: {}", object_url(url.bucket(), key)),
            );
        }
    }
    Ok(())
}

pub async fn mb(ctx: &Context, url: &str) -> Result<(), CliError> {
    let url = parse_url(url)?;
    let region = ctx
        .options
        .region
        .clone()
        .unwrap_or_else(|| ctx.client.default_region().to_owned());
    if ctx.options.dryrun {
        say(
            ctx,
            &format!("(dryrun) make_bucket: {} ({region})", url.bucket()),
        );
        return Ok(());
    }
    // The library knows S3's LocationConstraint rules (none for us-east-1).
    S3Fs::new(ctx.client.clone())
        .create_bucket(&url, &region)
        .await
        .map_err(|e| reported(&url, &e))?;
    say(ctx, &format!("make_bucket: {} ({region})", url.bucket()));
    Ok(())
}

pub async fn rb(ctx: &Context, url: &str, force: bool) -> Result<(), CliError> {
    let url = parse_url(url)?;
    if !url.key().is_empty() {
        return Err(CliError::Usage(format!("{url} is not a bucket")));
    }
    if force {
        rm(ctx, &url.to_string(), true).await?;
    }
    if ctx.options.dryrun {
        say(ctx, &format!("(dryrun) remove_bucket: {}", url.bucket()));
        return Ok(());
    }
    if ctx.interrupt.is_set() {
        return Err(CliError::Interrupted("the bucket was not removed".into()));
    }
    ctx.prefer_region(url.bucket())?;
    ctx.client
        .delete_bucket()
        .bucket(url.bucket())
        .send()
        .await
        .map_err(|e| {
            let not_empty = e.report().kind() == ErrorKind::NotEmpty;
            let err = s3_failed(&url, e);
            if not_empty {
                err.with_hint("use --force to delete its objects first")
            } else {
                err
            }
        })?;
    say(ctx, &format!("remove_bucket: {}", url.bucket()));
    Ok(())
}

pub async fn region(ctx: &Context, buckets: &[String]) -> Result<(), CliError> {
    let mut found = serde_json::Map::new();
    for bucket in buckets {
        let name = bucket.trim_start_matches("s3://").trim_end_matches('/');
        if !s3_multi_region::is_valid_bucket_name(name) {
            return Err(CliError::Usage(format!("invalid bucket name {name:?}")));
        }
        let region = ctx
            .client
            .bucket_region(name)
            .await
            .map_err(|e| reported(format!("s3://{name}"), &e))?;
        if !ctx.options.json {
            println!("{name}\t{region}");
        }
        found.insert(name.to_owned(), json!(region.as_str()));
    }
    if ctx.options.json {
        print_json(serde_json::Value::Object(found));
    }
    Ok(())
}

pub async fn presign(ctx: &Context, url: &str, expires: Duration) -> Result<(), CliError> {
    let url = parse_url(url)?;
    ctx.prefer_region(url.bucket())?;
    let signed = ctx
        .client
        .presigned_get_object(url.bucket(), url.key(), expires)
        .await
        .map_err(|e| failed(&url, e))?;
    if ctx.options.json {
        print_json(json!({"url": signed.uri(), "expires_in_seconds": expires.as_secs()}));
    } else {
        println!("{}", signed.uri());
    }
    Ok(())
}

/// What `cache stats` says of the default cache, which would otherwise always read 0 entries.
const MEMORY_CACHE_NOTE: &str = "the memory cache lives for one command, so it is empty here; \
     share what commands learn with --cache file:///path/regions.db or --cache redis://host:6379/0";

pub async fn cache(ctx: &Context, action: CacheAction) -> Result<(), CliError> {
    let shared = ctx.client.shared_cache();
    let scope = ctx.client.cache_scope();
    // A Redis URL may carry a password: never print it.
    let shown = s3_multi_region::redacted_url(&ctx.options.cache);
    match action {
        CacheAction::Stats => {
            let entries = match shared {
                Some(cache) => cache.entries().await.map_err(|e| reported(&shown, &e))?,
                None => Some(ctx.client.memory_cache().len()),
            };
            let count = entries.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
            let note = shared.is_none().then_some(MEMORY_CACHE_NOTE);
            if ctx.options.json {
                print_json(
                    json!({"cache": shown, "scope": scope, "entries": entries, "note": note}),
                );
            } else {
                println!("cache:   {shown}\nscope:   {scope}\nentries: {count}");
                if let Some(note) = note {
                    println!("note:    {note}");
                }
            }
        }
        CacheAction::Clear => {
            if ctx.options.dryrun {
                println!("(dryrun) clear {shown} (scope {scope})");
                return Ok(());
            }
            ctx.client.memory_cache().clear();
            // Only this client's scope: other partitions or endpoint maps sharing the tier,
            // and anything in it that is not the cache's, stay.
            if let Some(cache) = shared {
                cache
                    .clear_scope(scope)
                    .await
                    .map_err(|e| reported(&shown, &e))?;
            }
            println!("cleared {shown} (scope {scope})");
        }
        CacheAction::Init { url } => {
            let Some(_) = url.strip_prefix("dynamodb://") else {
                return Err(CliError::Usage(format!(
                    "{}: only dynamodb:// caches need creating (file and Redis caches make themselves)",
                    s3_multi_region::redacted_url(&url)
                )));
            };
            let cache = s3_multi_region::DynamoDbCache::from_url(&url, &ctx.sdk)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            if ctx.options.dryrun {
                println!("(dryrun) create {url}");
                return Ok(());
            }
            let created = cache.create_table().await.map_err(|e| reported(&url, &e))?;
            println!(
                "{} {url}",
                if created {
                    "created"
                } else {
                    "already exists:"
                }
            );
        }
        CacheAction::Get { bucket } => {
            let region = match shared {
                Some(cache) => cache
                    .get(scope, &bucket)
                    .await
                    .map_err(|e| reported(&shown, &e))?,
                None => ctx.client.cached_region(&bucket).map(|r| r.to_string()),
            };
            if ctx.options.json {
                print_json(json!({"bucket": bucket, "region": region}));
            } else {
                println!("{bucket}\t{}", region.as_deref().unwrap_or("-"));
            }
            if region.is_none() {
                return Err(failed(format!("s3://{bucket}"), "not in the cache"));
            }
        }
    }
    Ok(())
}
