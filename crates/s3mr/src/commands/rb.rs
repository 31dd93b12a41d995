//! `s3mr rb`: a bucket removed; `--force` deletes its objects first.

use s3_multi_region::{ErrorKind, Report};

use crate::cli::RbArgs;
use crate::context::Context;
use crate::error::{CliError, reported};
use crate::location::parse_url;

pub(crate) async fn run(ctx: &Context, args: RbArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    if !url.key().is_empty() {
        return Err(CliError::Usage(format!("{url} is not a bucket")));
    }
    if args.force {
        super::rm::remove_all(ctx, &url).await?;
    }
    let line = format!("remove_bucket: {}", url.bucket());
    if ctx.printer.dry_run(&line) {
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
            let err = reported(&url, &e);
            if not_empty {
                err.with_hint("use --force to delete its objects first")
            } else {
                err
            }
        })?;
    ctx.printer.say(&line);
    Ok(())
}
