//! `s3mr stat`: an object's (or directory's) size, ETag, time, content type and region.

use s3_multi_region::fs::{EntryKind, S3Fs};
use serde_json::json;

use crate::cli::StatArgs;
use crate::context::Context;
use crate::error::{CliError, reported};
use crate::location::parse_url;

pub(crate) async fn run(ctx: &Context, args: StatArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
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
    if ctx.printer.json_wanted() {
        ctx.printer.json(
            json!({"url": url.to_string(), "kind": kind, "size": size, "etag": etag,
            "last_modified": modified, "content_type": content_type, "region": region}),
        )?;
    } else {
        ctx.printer.out(format!(
            "url:           {url}\nkind:          {kind}\nsize:          {size}\netag:          {etag}\nlast modified: {modified}\ncontent type:  {content_type}\nregion:        {region}"
        ))?;
    }
    Ok(())
}
