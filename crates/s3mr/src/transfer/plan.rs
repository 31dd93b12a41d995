//! The plan of `cp --recursive`, `mv --recursive` and `sync`: every entry of the source
//! (filtered) that the mode says to transfer, and with `sync --delete` every destination entry
//! the source lacks — before anything is sent.

use std::collections::BTreeMap;

use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{UnsafeKey, local_destination, printable_key};

use super::compare::{self, Action, Direction, Entry, SyncOptions};
use super::walk::{self, local_entries, s3_entries, under_unknown};
use super::{Job, Plan, Planned};
use crate::context::Context;
use crate::error::{CliError, failed};
use crate::filter::Filters;
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

/// `--delete` with a source that holds nothing (after filters) would delete the whole
/// destination: most often a mistyped source path. Refused unless `--force`.
fn refuse_emptying(
    sync: Option<SyncOptions>,
    source_len: usize,
    actions: &[Action],
    from: impl std::fmt::Display,
    to: impl std::fmt::Display,
) -> Result<(), CliError> {
    let deletes = actions
        .iter()
        .filter(|a| matches!(a, Action::Delete(_)))
        .count();
    match sync {
        Some(options) if options.delete && !options.force && source_len == 0 && deletes > 0 => {
            Err(failed(
                from,
                format!(
                    "is empty (nothing there matches): --delete would delete all {deletes} \
                     entries under {to}; nothing was deleted"
                ),
            )
            .with_hint("check the source path; add --force to delete them all"))
        }
        _ => Ok(()),
    }
}

/// The plan of a batch from `from` to `to` (see [`Mode`]); symlinks in a local tree are
/// followed unless `follow_symlinks` is false.
pub(crate) async fn plan_tree(
    ctx: &Context,
    from: &Location,
    to: &Location,
    mode: Mode,
    follow_symlinks: bool,
) -> Result<Plan, CliError> {
    let filters: &Filters = &ctx.filters;
    let (sync, moving) = (mode.sync(), mode.moving());
    let mut plan = Plan::default();
    let keep_all = |source: &BTreeMap<String, Entry>| -> Vec<Action> {
        source.keys().map(|k| Action::Transfer(k.clone())).collect()
    };
    match (from, to) {
        (Location::Local(dir), Location::S3(dst)) => {
            if !dir.is_dir() {
                return Err(failed(dir.display(), "not a directory"));
            }
            let mut unknown = Vec::new();
            let source = local_entries(
                Some(ctx),
                dir,
                follow_symlinks,
                filters,
                &mut plan.skipped,
                &mut unknown,
            );
            let entries: BTreeMap<_, _> =
                source.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
            let (actions, existing) = match sync {
                Some(options) => {
                    let existing = s3_entries(ctx, dst, filters, false).await?;
                    let theirs = existing.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
                    (
                        compare::plan(&entries, &theirs, Direction::Upload, options),
                        existing,
                    )
                }
                None => (keep_all(&entries), BTreeMap::new()),
            };
            if unknown.is_empty() {
                refuse_emptying(sync, entries.len(), &actions, dir.display(), dst)?;
            }
            for action in actions {
                match action {
                    Action::Transfer(name) => {
                        let (path, entry) = &source[&name];
                        // A file reached through a symlinked directory that leads out of the
                        // source is uploaded, never removed: that would delete outside it.
                        let removable = moving && walk::stays_inside(dir, path);
                        if moving && !removable {
                            plan.skipped.push(format!(
                                "removal of {}: reached through a symlink that leads out of {} \
                                 (uploaded, not removed)",
                                path.display(),
                                dir.display()
                            ));
                        }
                        plan.jobs.push(Planned {
                            job: Job::Upload {
                                path: path.clone(),
                                to: dst.join(&name),
                            },
                            bytes: entry.size,
                            then_remove_source: removable,
                        });
                    }
                    Action::Delete(name) if under_unknown(&unknown, &name) => {}
                    Action::Delete(name) => {
                        let key = &existing[&name].0;
                        if let Ok(url) = S3Url::new(dst.bucket(), key) {
                            plan.jobs.push(delete(Job::DeleteObject(url)));
                        }
                    }
                }
            }
        }
        (Location::S3(src), Location::Local(dir)) => {
            let source = s3_entries(ctx, src, filters, true).await?;
            let prefix = src.dir_prefix();
            let entries: BTreeMap<_, _> =
                source.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
            let actions = match sync {
                Some(options) => {
                    let (mut ignored, mut unreadable) = (Vec::new(), Vec::new());
                    let local = if dir.is_dir() {
                        local_entries(
                            None,
                            dir,
                            follow_symlinks,
                            filters,
                            &mut ignored,
                            &mut unreadable,
                        )
                    } else {
                        BTreeMap::new()
                    };
                    let theirs = local.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
                    let actions = compare::plan(&entries, &theirs, Direction::Download, options);
                    refuse_emptying(sync, entries.len(), &actions, src, dir.display())?;
                    actions
                        .into_iter()
                        .map(|a| match a {
                            // Deletes never follow a symlink out of the destination.
                            Action::Delete(name) if !walk::stays_inside(dir, &local[&name].0) => {
                                plan.skipped.push(format!(
                                    "{}: behind a symlink that leads out of {} (not deleted)",
                                    local[&name].0.display(),
                                    dir.display()
                                ));
                                None
                            }
                            Action::Delete(name) => {
                                plan.jobs
                                    .push(delete(Job::DeleteFile(local[&name].0.clone())));
                                None
                            }
                            transfer => Some(transfer),
                        })
                        .collect::<Vec<_>>()
                        .into_iter()
                        .flatten()
                        .collect()
                }
                None => keep_all(&entries),
            };
            for action in actions {
                let Action::Transfer(name) = action else {
                    continue;
                };
                let (key, entry) = &source[&name];
                let shown = format!("s3://{}/{}", src.bucket(), printable_key(key));
                let Ok(from) = S3Url::new(src.bucket(), key) else {
                    plan.skipped
                        .push(format!("{shown}: the key holds a line break or NUL"));
                    continue;
                };
                match local_destination(dir, &prefix, key) {
                    Ok(path) => plan.jobs.push(Planned {
                        job: Job::Download {
                            from,
                            path,
                            modified: entry.modified,
                        },
                        bytes: entry.size,
                        then_remove_source: moving,
                    }),
                    // A key ending in `/` cannot be a file: with bytes in it, it is reported,
                    // never dropped silently (the aws CLI tries it and fails).
                    Err(UnsafeKey::Directory) if entry.size > 0 => {
                        plan.skipped.push(format!(
                            "{shown}: an object of {} bytes whose key ends in '/' cannot be \
                             written as a file",
                            entry.size
                        ));
                    }
                    // An empty one is a marker, which the listing already left out
                    // (walk::is_marker): only other unsafe keys remain.
                    Err(why) => plan.skipped.push(format!("{shown}: {why}")),
                }
            }
        }
        (Location::S3(src), Location::S3(dst)) => {
            let source = s3_entries(ctx, src, filters, true).await?;
            let entries: BTreeMap<_, _> =
                source.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
            let (actions, existing) = match sync {
                Some(options) => {
                    let existing = s3_entries(ctx, dst, filters, false).await?;
                    let theirs = existing.iter().map(|(k, (_, e))| (k.clone(), *e)).collect();
                    (
                        compare::plan(&entries, &theirs, Direction::Copy, options),
                        existing,
                    )
                }
                None => (keep_all(&entries), BTreeMap::new()),
            };
            refuse_emptying(sync, entries.len(), &actions, src, dst)?;
            for action in actions {
                match action {
                    Action::Transfer(name) => {
                        let (key, entry) = &source[&name];
                        let Ok(from) = S3Url::new(src.bucket(), key) else {
                            plan.skipped.push(format!(
                                "s3://{}/{}: the key holds a line break or NUL",
                                src.bucket(),
                                printable_key(key)
                            ));
                            continue;
                        };
                        plan.jobs.push(Planned {
                            job: Job::Copy {
                                from,
                                to: dst.join(&name),
                            },
                            bytes: entry.size,
                            then_remove_source: moving,
                        });
                    }
                    Action::Delete(name) => {
                        if let Ok(url) = S3Url::new(dst.bucket(), &existing[&name].0) {
                            plan.jobs.push(delete(Job::DeleteObject(url)));
                        }
                    }
                }
            }
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
    }
    Ok(plan)
}

fn delete(job: Job) -> Planned {
    Planned {
        job,
        bytes: 0,
        then_remove_source: false,
    }
}
