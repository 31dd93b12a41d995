//! `s3mr region`: each bucket's region, discovered (one HeadBucket at most) and cached.

use serde_json::json;

use crate::cli::RegionArgs;
use crate::context::Context;
use crate::error::{CliError, reported};

pub(crate) async fn run(ctx: &Context, args: RegionArgs) -> Result<(), CliError> {
    let mut found = serde_json::Map::new();
    for bucket in &args.buckets {
        let name = bucket.trim_start_matches("s3://").trim_end_matches('/');
        if !s3_multi_region::fs::is_valid_bucket_name(name) {
            return Err(CliError::Usage(format!("invalid bucket name {name:?}")));
        }
        let region = ctx
            .client
            .bucket_region(name)
            .await
            .map_err(|e| reported(format!("s3://{name}"), &e))?;
        if !ctx.printer.json_wanted() {
            ctx.printer.out(format!("{name}\t{region}"))?;
        }
        found.insert(name.to_owned(), json!(region.as_str()));
    }
    if ctx.printer.json_wanted() {
        ctx.printer.json(serde_json::Value::Object(found))?;
    }
    Ok(())
}
