//! One file per command, each with the same signature:
//! `pub async fn run(ctx: &Context, args: <Verb>Args) -> Result<(), CliError>`. Commands print
//! only through `ctx.printer` and move bytes only through `crate::transfer`.

pub mod cache;
pub mod cat;
pub mod cp;
pub mod demo;
pub mod ls;
pub mod mb;
pub mod mv;
pub mod presign;
pub mod rb;
pub mod region;
pub mod rm;
pub mod serve;
pub mod stat;
pub mod sync;

use crate::context::Context;

/// Single-object commands apply `--exclude` / `--include` to the object's or file's name
/// (relative to its parent), as the aws CLI does: `rm s3://b/k --exclude '*'` deletes nothing.
pub(crate) fn left_out_by_filters(ctx: &Context, name: &str) -> bool {
    !ctx.filters.includes(name)
}
