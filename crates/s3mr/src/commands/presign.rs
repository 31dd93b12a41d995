//! `s3mr presign`: a presigned GET URL that names the bucket's own region.

use serde_json::json;

use crate::cli::PresignArgs;
use crate::context::Context;
use crate::error::{CliError, failed};
use crate::location::parse_url;

pub(crate) async fn run(ctx: &Context, args: PresignArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url)?;
    let expires = args.expires;
    ctx.prefer_region(url.bucket())?;
    let signed = ctx
        .client
        .presigned_get_object(url.bucket(), url.key(), expires)
        .await
        .map_err(|e| failed(&url, e))?;
    if ctx.printer.json_wanted() {
        ctx.printer
            .json(json!({"url": signed.uri(), "expires_in_seconds": expires.as_secs()}))?;
    } else {
        ctx.printer.out(signed.uri())?;
    }
    Ok(())
}
