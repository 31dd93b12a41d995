//! `s3mr sync`: what is missing or differs goes; with `--delete`, what the source lacks goes
//! too.

use crate::cli::SyncArgs;
use crate::context::Context;
use crate::error::{CliError, refused};
use crate::guard::{self, Intent};
use crate::location::Location;
use crate::transfer::{self, Mode, SyncOptions};

pub(crate) async fn run(ctx: &Context, args: SyncArgs) -> Result<(), CliError> {
    let from = Location::parse_source(&args.source)?;
    let to = Location::parse(&args.destination)?;
    if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
        guard::check_trees(src, dst, Intent::Sync, &ctx.filters).map_err(refused)?;
    }
    if let (Location::Local(path), _) | (_, Location::Local(path)) = (&from, &to)
        && path.is_file()
    {
        return Err(CliError::Usage(format!(
            "{}: sync takes directories, not files (use cp for one file)",
            path.display()
        )));
    }
    let options = SyncOptions {
        delete: args.delete,
        size_only: args.size_only,
        exact_timestamps: args.exact_timestamps,
        force: args.force,
    };
    let mode = Mode::Sync(options);
    transfer::transfer_tree(ctx, "sync", &from, &to, mode, !args.no_follow_symlinks).await
}
