//! The commands. Each prints what `aws s3` would, or JSON with `--json`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use indicatif::{ProgressBar, ProgressStyle};
use s3_multi_region::S3Url;
use s3_multi_region::fs::{
    EntryKind, S3Fs, UnsafeKey, local_destination, local_path_for_key, printable_key,
};
use s3_multi_region::{ErrorKind, Report};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::args::CacheAction;
use crate::context::Context;
use crate::error::CliError;

/// Size of each uploaded part.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploading at once; an upload holds at most this many parts plus one in memory.
const UPLOAD_PARALLELISM: usize = 2;

fn failed(object: impl std::fmt::Display, cause: impl std::fmt::Display) -> CliError {
    CliError::Object {
        object: object.to_string(),
        cause: cause.to_string(),
        kind: None,
        hint: None,
    }
}

/// A library error about `object`, in the library's words ([`Report`]), with its hint.
fn reported(object: impl std::fmt::Display, err: &impl Report) -> CliError {
    CliError::reported(object, err.report())
}

/// An SDK error about `object`, in the library's words.
fn s3_failed<E>(object: impl std::fmt::Display, err: SdkError<E, HttpResponse>) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    reported(object, &err)
}

/// The objects of a recursive transfer: one object's failure never stops the others. A skipped
/// object is one warning line; the first failure of each kind is printed in full, later ones
/// of that kind only counted, and the end says how many of each there were.
#[derive(Debug, Default)]
struct Tally {
    transferred: usize,
    skipped: usize,
    failed: usize,
    kinds: std::collections::BTreeMap<String, usize>,
}

impl Tally {
    fn done(&mut self) {
        self.transferred += 1;
    }

    fn skip(&mut self, what: impl std::fmt::Display) {
        self.skipped += 1;
        eprintln!("warning: Skipping {what}");
    }

    fn fail(&mut self, what: impl std::fmt::Display, err: &CliError) {
        self.failed += 1;
        let seen = self.kinds.entry(err.cause()).or_default();
        *seen += 1;
        if *seen == 1 {
            eprintln!("{what} failed: {err}");
        }
    }

    fn finish(self, verb: &'static str) -> Result<(), CliError> {
        for (kind, count) in &self.kinds {
            if *count > 1 {
                eprintln!("{} more failed with: {kind}", count - 1);
            }
        }
        if self.skipped + self.failed == 0 {
            return Ok(());
        }
        Err(CliError::Incomplete {
            verb,
            transferred: self.transferred,
            skipped: self.skipped,
            failed: self.failed,
        })
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
    if ctx.options.json || !std::io::stderr().is_terminal() {
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

pub async fn ls(ctx: &Context, url: Option<&str>, recursive: bool) -> Result<(), CliError> {
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
        for (key, size, modified, _) in objects {
            println!("{modified:<22} {size:>10} {}", printable_key(&key));
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
enum Location {
    Stdio,
    Local(PathBuf),
    S3(S3Url),
}

fn location(s: &str) -> Result<Location, CliError> {
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
    match (from, to) {
        (Location::S3(src), Location::S3(dst)) => {
            let dst = if dst.is_directory() {
                dst.join(src.file_name().unwrap_or_default())
            } else {
                dst
            };
            copy_object(ctx, &src, &dst).await?;
            println!("copy: {src} to {dst}");
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
            download(ctx, &src, Some(&path)).await?;
            println!("download: {src} to {}", path.display());
        }
        (Location::Stdio, Location::S3(dst)) => {
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
            upload_file(ctx, &path, &dst).await?;
            println!("upload: {} to {dst}", path.display());
        }
        _ => {
            return Err(CliError::Usage(
                "cp needs at least one s3:// location".into(),
            ));
        }
    }
    Ok(())
}

async fn upload_file(ctx: &Context, path: &Path, dst: &S3Url) -> Result<u64, CliError> {
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
        _ = tokio::signal::ctrl_c() => Err(failed(dst, "interrupted")),
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
async fn download(ctx: &Context, src: &S3Url, path: Option<&Path>) -> Result<u64, CliError> {
    ctx.prefer_region(src.bucket())?;
    let out = ctx
        .client
        .get_object()
        .bucket(src.bucket())
        .key(src.key())
        .send()
        .await
        .map_err(|e| s3_failed(src, e))?;
    let bar = progress(
        ctx,
        out.content_length().map(|l| l as u64),
        &format!("download {src}"),
    );
    let mut body = out.body;
    let mut written = 0u64;
    match path {
        None => {
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
        }
        Some(path) => {
            let tmp = partial_path(path);
            // create_new: never open (and so never write through) something already there.
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .await
                .map_err(|e| failed(tmp.display(), e))?;
            let copied = async {
                while let Some(chunk) = body.try_next().await.map_err(|e| failed(src, e))? {
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| failed(tmp.display(), e))?;
                    written += chunk.len() as u64;
                    if let Some(bar) = &bar {
                        bar.set_position(written);
                    }
                }
                file.flush().await.map_err(|e| failed(tmp.display(), e))
            };
            if let Err(err) = copied.await {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(err);
            }
            tokio::fs::rename(&tmp, path)
                .await
                .map_err(|e| failed(path.display(), e))?;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
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

/// Server-side copy, across regions too: CopyObject up to 5 GiB, UploadPartCopy above.
async fn copy_object(ctx: &Context, src: &S3Url, dst: &S3Url) -> Result<(), CliError> {
    ctx.prefer_region(src.bucket())?;
    ctx.prefer_region(dst.bucket())?;
    S3Fs::new(ctx.client.clone())
        .copy(src, dst)
        .await
        .map_err(|e| reported(dst, &e))?;
    Ok(())
}

async fn cp_recursive(
    ctx: &Context,
    from: Location,
    to: Location,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    let mut tally = Tally::default();
    match (from, to) {
        (Location::Local(dir), Location::S3(dst)) => {
            if !dir.is_dir() {
                return Err(failed(dir.display(), "not a directory"));
            }
            let walk = crate::tree::walk(&dir, follow_symlinks);
            for skipped in walk.skipped {
                tally.skip(skipped);
            }
            for file in walk.files {
                let target = dst.join(&file.name);
                match upload_file(ctx, &file.path, &target).await {
                    Ok(_) => {
                        println!("upload: {} to {target}", file.path.display());
                        tally.done();
                    }
                    Err(err) => tally.fail(
                        format_args!("upload: {} to {target}", file.path.display()),
                        &err,
                    ),
                }
            }
        }
        (Location::S3(src), to) => {
            if matches!(to, Location::Stdio) {
                return Err(CliError::Usage(
                    "cannot copy a prefix to standard output".into(),
                ));
            }
            let prefix = src.dir_prefix();
            ctx.prefer_region(src.bucket())?;
            let keys = S3Fs::new(ctx.client.clone())
                .keys_under(&src)
                .await
                .map_err(|e| reported(&src, &e))?;
            for (key, _) in keys {
                let shown = object_url(src.bucket(), &key);
                let Ok(from) = S3Url::new(src.bucket(), &key) else {
                    tally.skip(format_args!("{shown}: the key holds a line break or NUL"));
                    continue;
                };
                let relative = &key[prefix.len()..];
                match &to {
                    Location::S3(dst) => {
                        let target = dst.join(relative);
                        match copy_object(ctx, &from, &target).await {
                            Ok(()) => {
                                println!("copy: {from} to {target}");
                                tally.done();
                            }
                            Err(err) => tally.fail(format_args!("copy: {from} to {target}"), &err),
                        }
                    }
                    Location::Local(dir) => {
                        let path = match local_destination(dir, &prefix, &key) {
                            Ok(path) => path,
                            // A directory marker (`photos/`, the console's "Create folder")
                            // becomes an empty directory, under the same rules as a file.
                            Err(UnsafeKey::Directory) => {
                                let name = key.trim_end_matches('/');
                                if name.len() > prefix.len() {
                                    match local_destination(dir, &prefix, name) {
                                        Ok(path) => {
                                            if let Err(e) = std::fs::create_dir_all(&path) {
                                                tally.fail(&shown, &failed(path.display(), e));
                                            }
                                        }
                                        Err(why) => tally.skip(format_args!("{shown}: {why}")),
                                    }
                                }
                                continue;
                            }
                            Err(why) => {
                                tally.skip(format_args!("{shown}: {why}"));
                                continue;
                            }
                        };
                        let line = format!("download: {from} to {}", path.display());
                        let made = match path.parent() {
                            Some(parent) => std::fs::create_dir_all(parent)
                                .map_err(|e| failed(parent.display(), e)),
                            None => Ok(()),
                        };
                        match made {
                            Ok(()) => match download(ctx, &from, Some(&path)).await {
                                Ok(_) => {
                                    println!("{line}");
                                    tally.done();
                                }
                                Err(err) => tally.fail(&line, &err),
                            },
                            Err(err) => tally.fail(&line, &err),
                        }
                    }
                    Location::Stdio => unreachable!("refused above"),
                }
            }
        }
        _ => {
            return Err(CliError::Usage(
                "cp --recursive copies a directory to s3:// or an s3:// prefix anywhere".into(),
            ));
        }
    }
    tally.finish("cp")
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
        ctx.client
            .delete_object()
            .bucket(url.bucket())
            .key(url.key())
            .send()
            .await
            .map_err(|e| s3_failed(&url, e))?;
        println!("delete: {url}");
        return Ok(());
    }
    // The library lists and deletes (DeleteObjects in batches of 1000).
    let fs = S3Fs::new(ctx.client.clone());
    let keys: Vec<String> = fs
        .keys_under(&url)
        .await
        .map_err(|e| reported(&url, &e))?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    fs.remove_keys(&url, keys.clone())
        .await
        .map_err(|e| reported(&url, &e))?;
    for key in &keys {
        println!("delete: {}", object_url(url.bucket(), key));
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
    // The library knows S3's LocationConstraint rules (none for us-east-1).
    S3Fs::new(ctx.client.clone())
        .create_bucket(&url, &region)
        .await
        .map_err(|e| reported(&url, &e))?;
    println!("make_bucket: {} ({region})", url.bucket());
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
    println!("remove_bucket: {}", url.bucket());
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
                Some(cache) => cache.entries().await.map_err(|e| failed(&shown, e))?,
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
            ctx.client.memory_cache().clear();
            if let Some(cache) = shared {
                cache.clear().await.map_err(|e| failed(&shown, e))?;
            }
            println!("cleared {shown}");
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
            let created = cache.create_table().await.map_err(|e| failed(&url, e))?;
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
                    .map_err(|e| failed(&shown, e))?,
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
