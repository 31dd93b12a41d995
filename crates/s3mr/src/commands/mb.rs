//! `s3mr mb`: a bucket in `--region` (or the default region).

use s3_multi_region::fs::S3Fs;

use crate::cli::MbArgs;
use crate::context::Context;
use crate::error::{CliError, reported};
use crate::location::parse_url;

pub(crate) async fn run(ctx: &Context, args: MbArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    let region = ctx
        .options
        .region
        .clone()
        .unwrap_or_else(|| ctx.client.default_region().to_owned());
    let line = format!("make_bucket: {} ({region})", url.bucket());
    if ctx.printer.dry_run(&line) {
        return Ok(());
    }
    // The library knows S3's LocationConstraint rules (none for us-east-1).
    S3Fs::new(ctx.client.clone())
        .create_bucket(&url, &region)
        .await
        .map_err(|e| reported(&url, &e))?;
    ctx.printer.say(&line);
    Ok(())
}
