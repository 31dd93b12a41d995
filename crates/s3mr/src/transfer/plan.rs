//! What `cp --recursive`, `mv --recursive` and `sync` do, decided name by name as the source
//! (and for `sync` the destination) streams by (merge.rs), each job handed to the running batch
//! at once (mod.rs): the first transfer starts after the first listing page, and memory holds
//! the job queue, not the tree.

use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{UnsafeKey, local_destination, printable_key};

use super::compare::{Direction, SyncOptions, needs_transfer};
use super::merge::{Paired, Tracked, next_pair};
use super::walk::{self, Found, Place, local_side, s3_side, under_unknown};
use super::{Job, Planned, Sink};
use crate::context::Context;
use crate::error::{CliError, failed};
use crate::location::Location;

/// What a batch does with what it finds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// `cp --recursive`: every source entry.
    Copy,
    /// `mv --recursive`: every source entry, each source removed once its copy succeeded.
    Move,
    /// `sync`: what is missing or differs (and, with `--delete`, what the source lacks).
    Sync(SyncOptions),
}

impl Mode {
    fn sync(self) -> Option<SyncOptions> {
        match self {
            Self::Sync(options) => Some(options),
            _ => None,
        }
    }

    fn moving(self) -> bool {
        matches!(self, Self::Move)
    }
}

/// What one name comes to.
enum Decision {
    Transfer(Found),
    Delete(Found),
}

/// What to do with one name of the merge: a source entry goes when the destination lacks it or
/// (sync) it differs; a destination entry the source lacks goes with `sync --delete`, unless it
/// is at or under a source entry that could not be read.
fn decide(
    pair: Paired,
    sync: Option<SyncOptions>,
    direction: Direction,
    unknown: &[String],
) -> Option<Decision> {
    match (pair, sync) {
        (Paired::Source(found), _) => Some(Decision::Transfer(found)),
        (Paired::Both(mine, theirs), Some(options))
            if !needs_transfer(&mine.entry, &theirs.entry, direction, options) =>
        {
            None
        }
        (Paired::Both(mine, _), _) => Some(Decision::Transfer(mine)),
        (Paired::Destination(theirs), Some(options))
            if options.delete && !under_unknown(unknown, &theirs.name) =>
        {
            Some(Decision::Delete(theirs))
        }
        (Paired::Destination(_), _) => None,
    }
}

/// `--delete` with a source that holds nothing (after filters) would delete the whole
/// destination: most often a mistyped source path. Refused unless `--force`, before anything
/// is deleted (the destination is read to the end only to say how much).
async fn refuse_emptying(
    sync: Option<SyncOptions>,
    source: &mut Tracked<'_>,
    destination: Option<&mut Tracked<'_>>,
    from: impl std::fmt::Display,
    to: impl std::fmt::Display,
) -> Result<(), CliError> {
    let (Some(options), Some(destination)) = (sync, destination) else {
        return Ok(());
    };
    if !options.delete || options.force || source.peek().await?.is_some() {
        return Ok(());
    }
    // A source that could not be read is unknown, not empty: its deletes are spared anyway.
    if !source.unknown.is_empty() {
        return Ok(());
    }
    let deletes = destination.count_rest().await?;
    if deletes == 0 {
        return Ok(());
    }
    Err(failed(
        from,
        format!(
            "is empty (nothing there matches): --delete would delete all {deletes} entries \
             under {to}; nothing was deleted"
        ),
    )
    .with_hint("check the source path; add --force to delete them all"))
}

/// Streams the jobs of a batch from `from` to `to` (see [`Mode`]) into `sink`; symlinks in a
/// local tree are followed unless `follow_symlinks` is false. Stops at Ctrl-C.
pub(super) async fn produce(
    ctx: &Context,
    from: &Location,
    to: &Location,
    mode: Mode,
    follow_symlinks: bool,
    sink: &mut Sink<'_>,
) -> Result<(), CliError> {
    let filters = &ctx.filters;
    let sync = mode.sync();
    let (source, destination, direction) = match (from, to) {
        (Location::Local(dir), Location::S3(dst)) => {
            if !dir.is_dir() {
                return Err(failed(dir.display(), "not a directory"));
            }
            let destination = match sync {
                Some(_) => Some(s3_side(ctx, dst)?),
                None => None,
            };
            (
                local_side(dir, follow_symlinks),
                destination,
                Direction::Upload,
            )
        }
        (Location::S3(src), Location::Local(dir)) => {
            // The destination's own unreadable entries are its own business: not warned about.
            let destination = sync.map(|_| local_side(dir, follow_symlinks));
            (s3_side(ctx, src)?, destination, Direction::Download)
        }
        (Location::S3(src), Location::S3(dst)) => {
            let destination = match sync {
                Some(_) => Some(s3_side(ctx, dst)?),
                None => None,
            };
            (s3_side(ctx, src)?, destination, Direction::Copy)
        }
        (Location::Local(_), Location::Local(_)) => {
            return Err(CliError::Usage(
                "both locations are local: one of them must be s3://".into(),
            ));
        }
        _ => {
            return Err(CliError::Usage(
                "standard input or output cannot take part in a recursive transfer".into(),
            ));
        }
    };
    let mut source = Tracked::new(from, source, filters, true);
    let mut destination = destination.map(|d| Tracked::new(to, d, filters, false));
    refuse_emptying(sync, &mut source, destination.as_mut(), from, to).await?;
    while !ctx.interrupt.is_set() && !sink.stopped() {
        let pair = next_pair(&mut source, destination.as_mut()).await;
        for warning in source.take_warnings() {
            sink.skip(warning);
        }
        let Some(pair) = pair? else {
            break;
        };
        match decide(pair, sync, direction, &source.unknown) {
            Some(Decision::Transfer(found)) => transfer(from, to, mode, found, sink).await,
            Some(Decision::Delete(found)) => delete(to, found, sink).await,
            None => {}
        }
    }
    if !ctx.interrupt.is_set() {
        for pattern in source.unmatched_patterns() {
            ctx.printer.warn(&format!(
                "the pattern {pattern:?} matches nothing under {}",
                from
            ));
        }
    }
    Ok(())
}

/// The job that copies `found` from `from` to `to`, or the reason it cannot be done.
async fn transfer(from: &Location, to: &Location, mode: Mode, found: Found, sink: &mut Sink<'_>) {
    let moving = mode.moving();
    let bytes = found.entry.size;
    match (from, to, found.place) {
        (Location::Local(dir), Location::S3(dst), Place::File(path)) => {
            // A file reached through a symlinked directory that leads out of the source is
            // uploaded, never removed: that would delete outside it.
            let removable = moving && walk::stays_inside(dir, &path);
            if moving && !removable {
                sink.skip(format!(
                    "removal of {}: reached through a symlink that leads out of {} (uploaded, \
                     not removed)",
                    path.display(),
                    dir.display()
                ));
            }
            let job = Job::Upload {
                path,
                to: dst.join(&found.name),
            };
            sink.push(planned(job, bytes, removable), &found.name).await;
        }
        (Location::S3(src), Location::Local(dir), Place::Key(key)) => {
            let shown = format!("s3://{}/{}", src.bucket(), printable_key(&key));
            let Ok(url) = S3Url::new(src.bucket(), &key) else {
                return sink.skip(format!("{shown}: the key holds a line break or NUL"));
            };
            match local_destination(dir, &src.dir_prefix(), &key) {
                Ok(path) => {
                    let job = Job::Download {
                        from: url,
                        path,
                        modified: found.entry.modified,
                    };
                    sink.push(planned(job, bytes, moving), &found.name).await;
                }
                // A key ending in `/` cannot be a file: with bytes in it, it is reported, never
                // dropped silently (the aws CLI tries it and fails).
                Err(UnsafeKey::Directory) if bytes > 0 => sink.skip(format!(
                    "{shown}: an object of {bytes} bytes whose key ends in '/' cannot be written \
                     as a file"
                )),
                // An empty one is a marker, which the listing already left out
                // (walk::is_marker): only other unsafe keys remain.
                Err(why) => sink.skip(format!("{shown}: {why}")),
            }
        }
        (Location::S3(src), Location::S3(dst), Place::Key(key)) => {
            let Ok(url) = S3Url::new(src.bucket(), &key) else {
                return sink.skip(format!(
                    "s3://{}/{}: the key holds a line break or NUL",
                    src.bucket(),
                    printable_key(&key)
                ));
            };
            let job = Job::Copy {
                from: url,
                to: dst.join(&found.name),
            };
            sink.push(planned(job, bytes, moving), &found.name).await;
        }
        _ => {}
    }
}

/// The job that deletes `found` at the destination `to` (`sync --delete`).
async fn delete(to: &Location, found: Found, sink: &mut Sink<'_>) {
    match (to, found.place) {
        (Location::S3(dst), Place::Key(key)) => {
            if let Ok(url) = S3Url::new(dst.bucket(), &key) {
                sink.push(planned(Job::DeleteObject(url), 0, false), &found.name)
                    .await;
            }
        }
        // Deletes never follow a symlink out of the destination.
        (Location::Local(dir), Place::File(path)) if !walk::stays_inside(dir, &path) => {
            sink.skip(format!(
                "{}: behind a symlink that leads out of {} (not deleted)",
                path.display(),
                dir.display()
            ));
        }
        (Location::Local(_), Place::File(path)) => {
            sink.push(planned(Job::DeleteFile(path), 0, false), &found.name)
                .await;
        }
        _ => {}
    }
}

fn planned(job: Job, bytes: u64, then_remove_source: bool) -> Planned {
    Planned {
        job,
        bytes,
        then_remove_source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::compare::Entry;
    use std::time::{Duration, UNIX_EPOCH};

    fn found(name: &str, size: u64, secs: u64) -> Found {
        Found {
            name: name.to_owned(),
            entry: Entry {
                size,
                modified: Some(UNIX_EPOCH + Duration::from_secs(secs)),
            },
            place: Place::Key(name.to_owned()),
        }
    }

    fn shown(decision: Option<Decision>) -> String {
        match decision {
            Some(Decision::Transfer(f)) => format!("transfer {}", f.name),
            Some(Decision::Delete(f)) => format!("delete {}", f.name),
            None => "nothing".into(),
        }
    }

    #[test]
    fn each_name_is_transferred_deleted_or_left() {
        let sync = SyncOptions::default();
        let delete = SyncOptions {
            delete: true,
            ..sync
        };
        let up = Direction::Upload;
        let unknown = vec!["unreadable".to_owned()];
        // (pair, sync options, want)
        let table = [
            (Paired::Source(found("a", 1, 100)), None, "transfer a"),
            (Paired::Source(found("a", 1, 100)), Some(sync), "transfer a"),
            (
                Paired::Both(found("a", 1, 100), found("a", 1, 150)),
                Some(sync),
                "nothing",
            ),
            (
                Paired::Both(found("a", 1, 200), found("a", 1, 150)),
                Some(sync),
                "transfer a",
            ),
            (
                Paired::Both(found("a", 2, 100), found("a", 1, 150)),
                Some(sync),
                "transfer a",
            ),
            (
                Paired::Destination(found("gone", 1, 1)),
                Some(sync),
                "nothing",
            ),
            (
                Paired::Destination(found("gone", 1, 1)),
                Some(delete),
                "delete gone",
            ),
            (
                Paired::Destination(found("unreadable/x", 1, 1)),
                Some(delete),
                "nothing",
            ),
            (
                Paired::Destination(found("unreadable-not/x", 1, 1)),
                Some(delete),
                "delete unreadable-not/x",
            ),
        ];
        for (i, (pair, options, want)) in table.into_iter().enumerate() {
            assert_eq!(shown(decide(pair, options, up, &unknown)), want, "row {i}");
        }
    }
}
