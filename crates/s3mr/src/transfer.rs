//! Many-file transfers (`cp --recursive`, `mv`, `sync`): a plan of jobs run `--concurrency` at a
//! time, one line per job in the aws CLI's shape (`upload: a.txt to s3://b/a.txt`), one progress
//! bar for the whole transfer on a terminal (bytes, files, rate, ETA) and nothing on a pipe.
//! One job's failure never stops the others; the end says how many were done, skipped, failed.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use s3_multi_region::S3Url;
use s3_multi_region::fs::{S3Fs, UnsafeKey, local_destination, printable_key};

use crate::commands::{Location, copy_object, download_version, failed, reported, upload_file};
use crate::context::Context;
use crate::error::CliError;
use crate::filter::Filters;
use crate::plan::{self, Action, Direction, Entry, SyncOptions};

/// One thing to do.
#[derive(Debug, Clone)]
pub enum Job {
    Upload {
        path: PathBuf,
        to: S3Url,
    },
    Download {
        from: S3Url,
        path: PathBuf,
        modified: Option<SystemTime>,
    },
    Copy {
        from: S3Url,
        to: S3Url,
    },
    DeleteObject(S3Url),
    DeleteFile(PathBuf),
}

/// A job with what it moves and whether its source goes afterwards (`mv`).
#[derive(Debug, Clone)]
pub struct Planned {
    pub job: Job,
    pub bytes: u64,
    pub then_remove_source: bool,
}

impl Planned {
    /// The aws CLI's line for it: `upload: a to s3://b/a`, `move: ...`.
    pub fn line(&self) -> String {
        self.job.line(self.then_remove_source)
    }
}

/// What the plan of a transfer found, before anything is sent.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Planned>,
    /// Entries passed over, each with its reason (printed as `warning: Skipping ...`).
    pub skipped: Vec<String>,
}

impl Job {
    /// What the job reads (or deletes), as its line names it.
    fn source(&self) -> String {
        match self {
            Job::Upload { path, .. } | Job::DeleteFile(path) => path.display().to_string(),
            Job::Download { from, .. } | Job::Copy { from, .. } | Job::DeleteObject(from) => {
                from.to_string()
            }
        }
    }

    /// `upload: a.txt to s3://b/a.txt`, `move: ...`, `delete: s3://b/x`.
    fn line(&self, moving: bool) -> String {
        let (verb, from, to) = match self {
            Job::Upload { path, to } => {
                ("upload", path.display().to_string(), Some(to.to_string()))
            }
            Job::Download { from, path, .. } => (
                "download",
                from.to_string(),
                Some(path.display().to_string()),
            ),
            Job::Copy { from, to } => ("copy", from.to_string(), Some(to.to_string())),
            Job::DeleteObject(url) => ("delete", url.to_string(), None),
            Job::DeleteFile(path) => ("delete", path.display().to_string(), None),
        };
        let verb = if moving { "move" } else { verb };
        match to {
            Some(to) => format!("{verb}: {from} to {to}"),
            None => format!("{verb}: {from}"),
        }
    }
}

/// How a transfer reports: the aws CLI's lines (or none), and a progress bar on a terminal.
pub struct Reporter {
    bar: Option<ProgressBar>,
    quiet: bool,
    only_errors: bool,
    dryrun: bool,
    files: u64,
}

impl Reporter {
    pub fn new(ctx: &Context, plan: &Plan) -> Self {
        let o = &ctx.options;
        let total: u64 = plan.jobs.iter().map(|j| j.bytes).sum();
        let files = plan.jobs.len() as u64;
        let show_bar = !o.json
            && !o.quiet
            && !o.only_show_errors
            && !o.dryrun
            && files > 0
            && std::io::stderr().is_terminal();
        let bar = show_bar.then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "Completed {bytes}/{total_bytes} ({binary_bytes_per_sec}, ETA {eta}) {msg}",
                )
                .expect("valid template"),
            );
            bar.set_message(format!("0 of {files} files"));
            bar
        });
        Self {
            bar,
            quiet: o.quiet,
            only_errors: o.only_show_errors,
            dryrun: o.dryrun,
            files,
        }
    }

    fn say(&self, line: &str) {
        if self.quiet || self.only_errors {
            return;
        }
        let line = if self.dryrun {
            format!("(dryrun) {line}")
        } else {
            line.to_owned()
        };
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    fn warn(&self, what: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("warning: Skipping {what}")),
            None => eprintln!("warning: Skipping {what}"),
        }
    }

    fn error(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn advance(&self, bytes: u64, done: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            bar.set_message(format!("{done} of {} files", self.files));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a local file was when an upload read it: a move removes it only if it still is.
fn file_version(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// Runs `job`; returns the bytes moved. A move removes its source only if it is still the
/// version copied (an object's ETag, compared by S3's conditional delete; a file's size and
/// modification time), and never after Ctrl-C.
pub async fn run(ctx: &Context, planned: &Planned) -> Result<u64, CliError> {
    let mut copied_etag = None;
    let mut uploaded_version = None;
    let moved = match &planned.job {
        Job::Upload { path, to } => {
            uploaded_version = file_version(path);
            upload_file(ctx, path, to).await?
        }
        Job::Download {
            from,
            path,
            modified,
        } => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| failed(parent.display(), e))?;
            }
            let (n, etag) = download_version(ctx, from, Some(path)).await?;
            copied_etag = etag;
            // As the aws CLI does: the file takes the object's time, so the next sync of the
            // same tree finds nothing to do.
            if let Some(modified) = modified {
                let _ = std::fs::File::options()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_modified(*modified));
            }
            n
        }
        Job::Copy { from, to } => {
            let copied = copy_object(ctx, from, to).await?;
            copied_etag = copied.etag;
            copied.bytes
        }
        Job::DeleteObject(url) => {
            ctx.client
                .delete_object()
                .bucket(url.bucket())
                .key(url.key())
                .send()
                .await
                .map_err(|e| reported(url, &e))?;
            0
        }
        Job::DeleteFile(path) => {
            std::fs::remove_file(path).map_err(|e| failed(path.display(), e))?;
            0
        }
    };
    if planned.then_remove_source {
        if ctx.interrupt.is_set() {
            return Err(failed(
                planned.job.source(),
                "interrupted after the copy: the source was kept",
            ));
        }
        match &planned.job {
            Job::Upload { path, .. } => {
                if uploaded_version.is_none() || file_version(path) != uploaded_version {
                    return Err(failed(
                        path.display(),
                        "changed while it was uploaded: the file was kept",
                    ));
                }
                std::fs::remove_file(path).map_err(|e| failed(path.display(), e))?
            }
            Job::Download { from, .. } | Job::Copy { from, .. } => {
                let Some(etag) = copied_etag else {
                    return Err(failed(
                        from,
                        "S3 gave no ETag to compare: the source was kept",
                    ));
                };
                S3Fs::new(ctx.client.clone())
                    .remove_if_unchanged(from, &etag)
                    .await
                    .map_err(|e| reported(from, &e))?;
            }
            Job::DeleteObject(_) | Job::DeleteFile(_) => {}
        }
    }
    Ok(moved)
}

/// Runs `plan`, `--concurrency` jobs at a time (or prints it, with `--dryrun`).
pub async fn execute(ctx: &Context, verb: &'static str, plan: Plan) -> Result<(), CliError> {
    let reporter = Reporter::new(ctx, &plan);
    for skipped in &plan.skipped {
        reporter.warn(skipped);
    }
    let (mut done, mut failed_jobs) = (0usize, 0usize);
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    if ctx.options.dryrun {
        for planned in &plan.jobs {
            reporter.say(&planned.line());
        }
        done = plan.jobs.len();
    } else {
        ctx.batch_running
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // Jobs run in parallel, but a download below another download's file (`a.txt/b` after
        // `a.txt`) waits for it, so which of the two fails does not depend on timing: the one
        // S3 lists first is written, as a one-at-a-time transfer would.
        let (first, after) = phases(&plan.jobs);
        for phase in [first, after] {
            // After Ctrl-C no job starts: not a transfer, not a delete, not a source removal.
            let mut results = futures::stream::iter(phase)
                .take_while(|_| std::future::ready(!ctx.interrupt.is_set()))
                .map(|planned| async move { (planned, run(ctx, planned).await) })
                .buffer_unordered(usize::from(ctx.options.concurrency.max(1)));
            while let Some((planned, result)) = results.next().await {
                let line = planned.line();
                match result {
                    Ok(bytes) => {
                        done += 1;
                        reporter.advance(bytes, done as u64);
                        reporter.say(&line);
                    }
                    Err(err) => {
                        failed_jobs += 1;
                        let seen = causes.entry(err.cause()).or_default();
                        *seen += 1;
                        // The first failure of each kind in full; later ones counted.
                        if *seen == 1 {
                            reporter.error(&format!("{line} failed: {err}"));
                        }
                    }
                }
            }
        }
        ctx.batch_running
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
    reporter.finish();
    for (cause, count) in &causes {
        if *count > 1 {
            reporter.error(&format!("{} more failed with: {cause}", count - 1));
        }
    }
    if ctx.interrupt.is_set() {
        let not_started = plan.jobs.len() - done - failed_jobs;
        return Err(CliError::Interrupted(format!(
            "{done} transferred, {} skipped, {failed_jobs} failed, {not_started} not started",
            plan.skipped.len()
        )));
    }
    if plan.skipped.is_empty() && failed_jobs == 0 {
        return Ok(());
    }
    Err(CliError::Incomplete {
        verb,
        transferred: done,
        skipped: plan.skipped.len(),
        failed: failed_jobs,
    })
}

/// Warns (one line each) about `--exclude` / `--include` patterns that match nothing in the
/// source: most often a typo.
fn warn_unmatched(ctx: &Context, filters: &Filters, names: &[&str], source: &str) {
    if ctx.options.quiet {
        return;
    }
    for pattern in filters.unmatched(names) {
        eprintln!("warning: the pattern {pattern:?} matches nothing under {source}");
    }
}

/// The jobs that can start at once, and the downloads that must wait because another download
/// writes a file where they need a directory.
fn phases(jobs: &[Planned]) -> (Vec<&Planned>, Vec<&Planned>) {
    let files: std::collections::HashSet<&Path> = jobs
        .iter()
        .filter_map(|p| match &p.job {
            Job::Download { path, .. } => Some(path.as_path()),
            _ => None,
        })
        .collect();
    jobs.iter().partition(|p| match &p.job {
        Job::Download { path, .. } => !path.ancestors().skip(1).any(|a| files.contains(a)),
        _ => true,
    })
}

/// The files below `dir` (relative `/` names) that the filters let through; with `ctx`, patterns
/// that match nothing are warned about.
fn local_entries(
    ctx: Option<&Context>,
    dir: &Path,
    follow_symlinks: bool,
    filters: &Filters,
    skipped: &mut Vec<String>,
    unknown: &mut Vec<String>,
) -> BTreeMap<String, (PathBuf, Entry)> {
    let walk = crate::tree::walk(dir, follow_symlinks);
    skipped.extend(walk.skipped);
    unknown.extend(walk.skipped_names);
    if let Some(ctx) = ctx {
        let names: Vec<&str> = walk.files.iter().map(|f| f.name.as_str()).collect();
        warn_unmatched(ctx, filters, &names, &dir.display().to_string());
    }
    walk.files
        .into_iter()
        .filter(|f| filters.includes(&f.name))
        .filter_map(|f| {
            let meta = match std::fs::metadata(&f.path) {
                Ok(meta) => meta,
                Err(e) => {
                    skipped.push(format!("{}: {e}", f.path.display()));
                    unknown.push(f.name);
                    return None;
                }
            };
            let entry = Entry {
                size: meta.len(),
                modified: meta.modified().ok(),
            };
            Some((f.name, (f.path, entry)))
        })
        .collect()
}

/// The objects under `url` (relative names below its prefix) that the filters let through;
/// for a source, patterns that match nothing are warned about.
async fn s3_entries(
    ctx: &Context,
    url: &S3Url,
    filters: &Filters,
    is_source: bool,
) -> Result<BTreeMap<String, (String, Entry)>, CliError> {
    ctx.prefer_region(url.bucket())?;
    let prefix = url.dir_prefix();
    let objects = S3Fs::new(ctx.client.clone())
        .objects_under(url)
        .await
        .map_err(|e| reported(url, &e))?;
    if is_source {
        let names: Vec<&str> = objects
            .iter()
            .filter_map(|o| o.key.get(prefix.len()..))
            .collect();
        warn_unmatched(ctx, filters, &names, &url.to_string());
    }
    Ok(objects
        .into_iter()
        .filter_map(|o| {
            let relative = o.key.get(prefix.len()..)?.to_owned();
            if relative.is_empty() || !filters.includes(&relative) {
                return None;
            }
            let entry = Entry {
                size: o.size,
                modified: o.modified,
            };
            Some((relative, (o.key, entry)))
        })
        .collect())
}

/// Whether `name` is at or under a source path the walk could not read: what it holds is
/// unknown, not absent, so `--delete` must not delete its destination copy.
fn under_unknown(unknown: &[String], name: &str) -> bool {
    unknown.iter().any(|u| {
        u.is_empty()
            || name == u
            || name
                .strip_prefix(u.as_str())
                .is_some_and(|r| r.starts_with('/'))
    })
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

/// Where an object of `src`'s listing lands under `dir`, or why it is skipped.
fn download_path(dir: &Path, prefix: &str, key: &str) -> Result<PathBuf, String> {
    local_destination(dir, prefix, key).map_err(|why| match why {
        UnsafeKey::Directory => "a directory marker".to_owned(),
        other => other.to_string(),
    })
}

/// `cp --recursive`, `mv --recursive` and `sync` plans: every entry of the source (filtered)
/// that `keep` says to transfer, and with `--delete` every destination entry the source lacks.
pub async fn plan_tree(
    ctx: &Context,
    from: &Location,
    to: &Location,
    filters: &Filters,
    sync: Option<SyncOptions>,
    moving: bool,
    follow_symlinks: bool,
) -> Result<Plan, CliError> {
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
                        plan::plan(&entries, &theirs, Direction::Upload, options),
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
                        let removable = moving && crate::tree::stays_inside(dir, path);
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
                    let actions = plan::plan(&entries, &theirs, Direction::Download, options);
                    refuse_emptying(sync, entries.len(), &actions, src, dir.display())?;
                    actions
                        .into_iter()
                        .map(|a| match a {
                            // Deletes never follow a symlink out of the destination.
                            Action::Delete(name)
                                if !crate::tree::stays_inside(dir, &local[&name].0) =>
                            {
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
                match download_path(dir, &prefix, key) {
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
                    Err(why) if why == "a directory marker" && entry.size > 0 => {
                        plan.skipped.push(format!(
                            "{shown}: an object of {} bytes whose key ends in '/' cannot be \
                             written as a file",
                            entry.size
                        ));
                    }
                    // An empty directory marker (`photos/`) becomes an empty directory, silently.
                    Err(why) if why == "a directory marker" => {
                        let name = key.trim_end_matches('/');
                        if name.len() > prefix.len()
                            && let Ok(path) = local_destination(dir, &prefix, name)
                        {
                            let _ = std::fs::create_dir_all(path);
                        }
                    }
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
                        plan::plan(&entries, &theirs, Direction::Copy, options),
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
