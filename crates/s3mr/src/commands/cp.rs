//! `s3mr cp`: one object or file (local ↔ S3, S3 → S3 across regions, standard input or
//! output), or with `--recursive` a tree, as a batch.

use crate::cli::CpArgs;
use crate::context::Context;
use crate::error::{CliError, failed, refused};
use crate::guard::{self, Intent};
use crate::location::{Location, shown_path, single_destination};
use crate::transfer::{self, Bar, Mode};

use super::left_out_by_filters;

pub(crate) async fn run(ctx: &Context, args: CpArgs) -> Result<(), CliError> {
    let from = Location::parse_source(&args.source)?;
    let to = Location::parse(&args.destination)?;
    let follow_symlinks = !args.no_follow_symlinks;
    if args.recursive {
        if let (Location::S3(src), Location::S3(dst)) = (&from, &to) {
            guard::check_trees(src, dst, Intent::Copy, &ctx.filters).map_err(refused)?;
        }
        return transfer::transfer_tree(ctx, "cp", &from, &to, Mode::Copy, follow_symlinks).await;
    }
    if !matches!(from, Location::Stdio) && left_out_by_filters(ctx, &from.name()) {
        return Ok(());
    }
    if let Location::Local(path) = &from
        && path.is_dir()
    {
        return Err(failed(path.display(), "is a directory")
            .with_hint("use --recursive to copy a directory"));
    }
    let to = single_destination(&from, to)?;
    match (from, to) {
        (Location::S3(src), Location::S3(dst)) => {
            guard::check_object(&src, &dst, Intent::Copy).map_err(refused)?;
            let line = format!("copy: {src} to {dst}");
            if ctx.printer.dry_run(&line) {
                return Ok(());
            }
            transfer::copy_object(ctx, &src, &dst).await?;
            ctx.printer.say(&line);
        }
        (Location::S3(src), Location::Stdio) => {
            transfer::download(ctx, &src, None, Bar::Own).await?;
        }
        (Location::S3(src), Location::Local(path)) => {
            let line = format!("download: {src} to {}", shown_path(&path));
            if ctx.printer.dry_run(&line) {
                return Ok(());
            }
            transfer::download(ctx, &src, Some(&path), Bar::Own).await?;
            ctx.printer.say(&line);
        }
        (Location::Stdio, Location::S3(dst)) => {
            if ctx.printer.dry_run(&format!("upload: - to {dst}")) {
                return Ok(());
            }
            let content_type = ctx.content_type_for(None);
            transfer::upload(ctx, tokio::io::stdin(), None, &dst, &content_type, Bar::Own).await?;
        }
        (Location::Local(path), Location::S3(dst)) => {
            let line = format!("upload: {} to {dst}", shown_path(&path));
            if ctx.printer.dry_run(&line) {
                return Ok(());
            }
            transfer::upload_file(ctx, &path, &dst, Bar::Own).await?;
            ctx.printer.say(&line);
        }
        _ => {
            return Err(CliError::Usage(
                "cp needs at least one s3:// location".into(),
            ));
        }
    }
    Ok(())
}
