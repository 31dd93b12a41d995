//! `s3mr mv`: a copy, then the source removed — only once its copy succeeded, and only if it
//! is still the version copied.

use crate::cli::MvArgs;
use crate::context::Context;
use crate::error::{CliError, failed, refused};
use crate::guard::{self, Intent};
use crate::location::{Location, single_destination};
use crate::transfer::{self, Job, Mode, Planned};

use super::left_out_by_filters;

pub(crate) async fn run(ctx: &Context, args: MvArgs) -> Result<(), CliError> {
    let from = Location::parse_source(&args.source)?;
    let to = Location::parse(&args.destination)?;
    let follow_symlinks = !args.no_follow_symlinks;
    if args.recursive {
        if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
            guard::check_trees(src, dst, Intent::Move, &ctx.filters).map_err(refused)?;
        }
        return transfer::transfer_tree(ctx, "mv", &from, &to, Mode::Move, follow_symlinks).await;
    }
    if !matches!(from, Location::Stdio) && left_out_by_filters(ctx, &from.name()) {
        return Ok(());
    }
    if let Location::Local(path) = &from
        && path.is_dir()
    {
        return Err(failed(path.display(), "is a directory")
            .with_hint("use --recursive to move a directory"));
    }
    let to = single_destination(&from, to)?;
    let (job, bytes) = match (from, to) {
        (Location::Local(path), Location::S3(to)) => {
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            (Job::Upload { path, to }, bytes)
        }
        (Location::S3(from), Location::Local(path)) => (
            Job::Download {
                from,
                path,
                modified: None,
            },
            0,
        ),
        (Location::S3(from), Location::S3(to)) => {
            guard::check_object(&from, &to, Intent::Move).map_err(refused)?;
            (Job::Copy { from, to }, 0)
        }
        (Location::Local(_), Location::Local(_)) => {
            return Err(CliError::Usage(
                "both locations are local: one of them must be s3://".into(),
            ));
        }
        _ => {
            return Err(CliError::Usage(
                "mv cannot move standard input or output".into(),
            ));
        }
    };
    let planned = Planned {
        job,
        bytes,
        then_remove_source: true,
    };
    // One object: its error is the command's, in the same words as cp's.
    let line = planned.line();
    if ctx.printer.dry_run(&line) {
        return Ok(());
    }
    transfer::run(ctx, &planned, None).await?;
    ctx.printer.say(&line);
    Ok(())
}
