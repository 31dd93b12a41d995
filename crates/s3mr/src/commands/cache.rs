//! `s3mr cache`: the configured bucket-region cache — stats, clear (this client's scope
//! only), init (a DynamoDB table), get.

use serde_json::json;

use crate::cli::{CacheAction, CacheArgs};
use crate::context::Context;
use crate::error::{CliError, failed, reported};

/// What `cache stats` says of the default cache, which would otherwise always read 0 entries.
const MEMORY_CACHE_NOTE: &str = "the memory cache lives for one command, so it is empty here; \
     share what commands learn with --cache file:///path/regions.db or --cache redis://host:6379/0";

pub(crate) async fn run(ctx: &Context, args: CacheArgs) -> Result<(), CliError> {
    let shared = ctx.client.shared_cache();
    let scope = ctx.client.cache_scope();
    // A Redis URL may carry a password: never print it.
    let shown = s3_multi_region::cache::redacted_url(&ctx.options.cache);
    match args.action {
        CacheAction::Stats => {
            let entries = match shared {
                Some(cache) => cache.entries().await.map_err(|e| reported(&shown, &e))?,
                None => Some(ctx.client.memory_cache().len()),
            };
            let count = entries.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
            let note = shared.is_none().then_some(MEMORY_CACHE_NOTE);
            if ctx.printer.json_wanted() {
                ctx.printer.json(
                    json!({"cache": shown, "scope": scope, "entries": entries, "note": note}),
                )?;
            } else {
                ctx.printer.out(format!(
                    "cache:   {shown}\nscope:   {scope}\nentries: {count}"
                ))?;
                if let Some(note) = note {
                    ctx.printer.out(format!("note:    {note}"))?;
                }
            }
        }
        CacheAction::Clear => {
            if ctx.options.dryrun {
                ctx.printer
                    .out(format!("(dryrun) clear {shown} (scope {scope})"))?;
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
            ctx.printer
                .out(format!("cleared {shown} (scope {scope})"))?;
        }
        CacheAction::Init { url } => {
            let Some(_) = url.strip_prefix("dynamodb://") else {
                return Err(CliError::Usage(format!(
                    "{}: only dynamodb:// caches need creating (file and Redis caches make themselves)",
                    s3_multi_region::cache::redacted_url(&url)
                )));
            };
            let cache = s3_multi_region::cache::DynamoDbCache::from_url(&url, &ctx.sdk)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            if ctx.options.dryrun {
                ctx.printer.out(format!("(dryrun) create {url}"))?;
                return Ok(());
            }
            let created = cache.create_table().await.map_err(|e| reported(&url, &e))?;
            let said = if created {
                "created"
            } else {
                "already exists:"
            };
            ctx.printer.out(format!("{said} {url}"))?;
        }
        CacheAction::Get { bucket } => {
            let region = match shared {
                Some(cache) => cache
                    .get(scope, &bucket)
                    .await
                    .map_err(|e| reported(&shown, &e))?,
                None => ctx.client.cached_region(&bucket).map(|r| r.to_string()),
            };
            if ctx.printer.json_wanted() {
                ctx.printer
                    .json(json!({"bucket": bucket, "region": region}))?;
            } else {
                ctx.printer
                    .out(format!("{bucket}\t{}", region.as_deref().unwrap_or("-")))?;
            }
            if region.is_none() {
                return Err(failed(format!("s3://{bucket}"), "not in the cache"));
            }
        }
    }
    Ok(())
}
