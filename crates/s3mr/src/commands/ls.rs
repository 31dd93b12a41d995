//! `s3mr ls`: the buckets, or the objects under a prefix, in `aws s3 ls`'s columns (scripts cut
//! them): `2026-12-05 07:27:53 logs-eu`; `2026-12-05 07:27:53       1234 a.txt` (the name below
//! the listed prefix, the whole key with `--recursive`); `                           PRE 2026/`.
//! Times are UTC (the aws CLI prints local time: the same on a host whose time zone is UTC).

use s3_multi_region::aws_sdk_s3::types::EncodingType;
use s3_multi_region::fs::{decode_listed, printable_key};
use serde_json::json;

use crate::cli::LsArgs;
use crate::context::Context;
use crate::error::{CliError, failed, reported};
use crate::location::parse_url;

/// `1.5 KiB`, as `aws s3 ls --human-readable` prints sizes.
fn human_size(bytes: u64) -> String {
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

/// `2026-12-05 07:27:53`, from S3's ISO 8601 time (pure).
fn aws_time(iso: &str) -> String {
    match iso.get(..19) {
        Some(head) if iso.as_bytes().get(10) == Some(&b'T') => head.replacen('T', " ", 1),
        _ => iso.to_owned(),
    }
}

/// What a non-recursive listing prints of an object: its key's last segment (the aws CLI's
/// `Key.split('/')[-1]`).
fn basename(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// What a listing prints of a common prefix: its last directory and `/` (the aws CLI's
/// `Prefix.split('/')[-2] + '/'`).
fn last_dir(prefix: &str) -> String {
    let name = prefix
        .strip_suffix('/')
        .unwrap_or(prefix)
        .rsplit('/')
        .next()
        .unwrap_or_default();
    format!("{name}/")
}

pub(crate) async fn run(ctx: &Context, args: LsArgs) -> Result<(), CliError> {
    let recursive = args.recursive;
    let Some(url) = args.url.as_deref() else {
        let mut pages = ctx.client.list_buckets().into_paginator().send();
        let mut rows = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| reported("s3://", &e))?;
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
        if ctx.printer.json_wanted() {
            ctx.printer.json(json!(
                rows.iter()
                    .map(|(n, r, c)| json!({"name": n, "region": r, "created": c}))
                    .collect::<Vec<_>>()
            ))?;
        } else {
            for (name, region, created) in rows {
                let created = aws_time(&created);
                if args.with_region {
                    ctx.printer.out(format!("{created} {region:<16} {name}"))?;
                } else {
                    ctx.printer.out(format!("{created} {name}"))?;
                }
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
        .prefix(url.key())
        .encoding_type(EncodingType::Url);
    if !recursive {
        request = request.delimiter("/");
    }
    let mut pages = request.into_paginator().send();
    // Each page is printed as it arrives (its common prefixes, then its objects, as the aws CLI
    // prints a page): memory holds one page, however many keys there are. `--json` prints one
    // document, so it collects.
    let json = ctx.printer.json_wanted();
    let mut entries = Vec::new();
    let (mut count, mut total) = (0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reported(&url, &e))?;
        let decoded = |encoded: &str| decode_listed(encoded).map_err(|e| failed(&url, e));
        for prefix in page.common_prefixes().iter().filter_map(|p| p.prefix()) {
            let dir = decoded(prefix)?;
            if json {
                entries.push(json!({"prefix": dir}));
            } else {
                ctx.printer
                    .out(format!("{:>30} {}", "PRE", printable_key(&last_dir(&dir))))?;
            }
        }
        for object in page.contents() {
            let key = decoded(object.key().unwrap_or_default())?;
            let size = object.size().unwrap_or(0).max(0) as u64;
            let modified = object
                .last_modified()
                .map(|d| d.to_string())
                .unwrap_or_default();
            count += 1;
            total += size;
            if json {
                let etag = object.e_tag().unwrap_or_default().trim_matches('"');
                entries.push(
                    json!({"key": key, "size": size, "last_modified": modified, "etag": etag}),
                );
                continue;
            }
            let shown = if recursive { &key } else { basename(&key) };
            let size = if args.human_readable {
                human_size(size)
            } else {
                size.to_string()
            };
            ctx.printer.out(format!(
                "{} {size:>10} {}",
                aws_time(&modified),
                printable_key(shown)
            ))?;
        }
    }
    if json {
        // Prefixes first, then objects, as before pages were streamed.
        entries.sort_by_key(|e| e.get("key").is_some());
        ctx.printer.json(json!(entries))?;
    } else if args.summarize {
        let total = if args.human_readable {
            human_size(total)
        } else {
            format!("{total} Bytes")
        };
        ctx.printer
            .out(format!("\nTotal Objects: {count}\n   Total Size: {total}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_columns() {
        assert_eq!(aws_time("2026-12-05T07:27:53.917Z"), "2026-12-05 07:27:53");
        assert_eq!(aws_time("2026-12-05T07:27:53Z"), "2026-12-05 07:27:53");
        assert_eq!(aws_time("garbage"), "garbage");
        assert_eq!(basename("photos/2026/a.jpg"), "a.jpg");
        assert_eq!(basename("top.txt"), "top.txt");
        assert_eq!(last_dir("photos/2026/"), "2026/");
        assert_eq!(last_dir("photos/"), "photos/");
        assert_eq!(human_size(3584), "3.5 KiB");
    }
}
