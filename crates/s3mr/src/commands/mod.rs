//! One file per command, each with the same signature:
//! `pub async fn run(ctx: &Context, args: <Verb>Args) -> Result<(), CliError>`. Commands print
//! only through `ctx.printer` and move bytes only through `crate::transfer`.

pub(crate) mod cache;
pub(crate) mod cat;
pub(crate) mod cp;
pub(crate) mod demo;
pub(crate) mod ls;
pub(crate) mod mb;
pub(crate) mod mv;
pub(crate) mod presign;
pub(crate) mod rb;
pub(crate) mod region;
pub(crate) mod rm;
pub(crate) mod serve;
pub(crate) mod stat;
pub(crate) mod sync;

use crate::context::Context;

/// Single-object commands apply `--exclude` / `--include` to the object's or file's name
/// (relative to its parent), as the aws CLI does: `rm s3://b/k --exclude '*'` deletes nothing.
pub(crate) fn left_out_by_filters(ctx: &Context, name: &str) -> bool {
    !ctx.filters.includes(name)
}
