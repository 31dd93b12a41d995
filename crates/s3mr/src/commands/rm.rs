//! `s3mr rm`: one object, or every object under a prefix with `--recursive`.

use std::collections::HashMap;

use futures::StreamExt;
use s3_multi_region::ErrorReport;
use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;

use crate::cli::RmArgs;
use crate::context::Context;
use crate::error::{CliError, reported};
use crate::location::{object_url, parse_url};
use crate::transfer;

use super::left_out_by_filters;

pub(crate) async fn run(ctx: &Context, args: RmArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    if args.recursive {
        return remove_all(ctx, &url).await;
    }
    ctx.prefer_region(url.bucket())?;
    if url.key().is_empty() {
        return Err(CliError::Usage(format!(
            "{url} is a bucket: use rb, or rm --recursive to empty it"
        )));
    }
    if left_out_by_filters(ctx, url.file_name().unwrap_or_default()) {
        return Ok(());
    }
    let line = format!("delete: {url}");
    if ctx.printer.dry_run(&line) {
        return Ok(());
    }
    transfer::delete_object(ctx, &url).await?;
    ctx.printer.say(&line);
    Ok(())
}

/// Every object under `url` that the filters let through, one DeleteObjects per listing page
/// (up to 1000 keys) sent as the page arrives — memory holds one page, however many keys; a key
/// S3 refuses fails alone, with S3's words for it; Ctrl-C stops before the next page.
/// `rb --force` too.
pub(crate) async fn remove_all(ctx: &Context, url: &S3Url) -> Result<(), CliError> {
    ctx.prefer_region(url.bucket())?;
    let fs = S3Fs::new(ctx.client.clone());
    let prefix = url.dir_prefix();
    let mut pages = std::pin::pin!(fs.stream_object_pages_under(url));
    let (mut deleted, mut failed) = (0, 0);
    while let Some(page) = pages.next().await {
        if ctx.interrupt.is_set() {
            return Err(CliError::Interrupted(format!(
                "{deleted} deleted, the rest not deleted"
            )));
        }
        let batch: Vec<String> = page
            .map_err(|e| reported(url, &e))?
            .into_iter()
            .map(|object| object.key)
            .filter(|key| ctx.filters.includes(&key[prefix.len().min(key.len())..]))
            .collect();
        if batch.is_empty() {
            continue;
        }
        let refused: HashMap<String, ErrorReport> = if ctx.options.dryrun {
            HashMap::new()
        } else {
            fs.remove_keys_each(url, &batch)
                .await
                .map_err(|e| reported(url, &e))?
                .into_iter()
                .collect()
        };
        for key in &batch {
            let line = format!("delete: {}", object_url(url.bucket(), key));
            match refused.get(key) {
                Some(report) => {
                    failed += 1;
                    let err = CliError::reported(object_url(url.bucket(), key), report.clone());
                    ctx.printer.error(&format!("{line} failed: {err}"));
                }
                None => {
                    deleted += 1;
                    ctx.printer.done(&line);
                }
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Incomplete {
            verb: "rm",
            transferred: deleted,
            skipped: 0,
            failed,
        });
    }
    Ok(())
}
