//! Many-file transfers (`cp --recursive`, `mv`, `sync`): a plan of jobs run `--concurrency` at a
//! time, one line per job in the aws CLI's shape (`upload: a.txt to s3://b/a.txt`), one progress
//! bar for the whole transfer on a terminal (bytes, files, rate, ETA) and nothing on a pipe.
//! One job's failure never stops the others; the end says how many were done, skipped, failed.

mod compare;
mod deletes;
mod io;
mod plan;
mod report;
mod walk;

pub(crate) use compare::SyncOptions;
pub(crate) use io::{Bar, copy_object, delete_object, download, upload, upload_file};
pub(crate) use plan::{Mode, plan_tree};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures::StreamExt;
use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;

use crate::context::Context;
use crate::error::{CliError, failed, reported};
use crate::location::shown_path;

use report::Reporter;

/// One thing to do.
#[derive(Debug, Clone)]
pub(crate) enum Job {
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
pub(crate) struct Planned {
    pub job: Job,
    pub bytes: u64,
    pub then_remove_source: bool,
}

impl Planned {
    /// The aws CLI's line for it: `upload: a to s3://b/a`, `move: ...`.
    pub(crate) fn line(&self) -> String {
        self.job.line(self.then_remove_source)
    }
}

/// What the plan of a transfer found, before anything is sent.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub jobs: Vec<Planned>,
    /// Entries passed over, each with its reason (printed as `warning: Skipping ...`).
    pub skipped: Vec<String>,
}

impl Job {
    /// What the job reads (or deletes), as its line names it.
    fn source(&self) -> String {
        match self {
            Job::Upload { path, .. } | Job::DeleteFile(path) => shown_path(path),
            Job::Download { from, .. } | Job::Copy { from, .. } | Job::DeleteObject(from) => {
                from.to_string()
            }
        }
    }

    /// `upload: a.txt to s3://b/a.txt`, `move: ...`, `delete: s3://b/x`.
    fn line(&self, moving: bool) -> String {
        let (verb, from, to) = match self {
            Job::Upload { path, to } => ("upload", shown_path(path), Some(to.to_string())),
            Job::Download { from, path, .. } => {
                ("download", from.to_string(), Some(shown_path(path)))
            }
            Job::Copy { from, to } => ("copy", from.to_string(), Some(to.to_string())),
            Job::DeleteObject(url) => ("delete", url.to_string(), None),
            Job::DeleteFile(path) => ("delete", shown_path(path), None),
        };
        let verb = if moving { "move" } else { verb };
        match to {
            Some(to) => format!("{verb}: {from} to {to}"),
            None => format!("{verb}: {from}"),
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
pub(crate) async fn run(
    ctx: &Context,
    planned: &Planned,
    batch_bar: Option<&indicatif::ProgressBar>,
) -> Result<u64, CliError> {
    let bar = Bar::Batch(batch_bar.cloned());
    let mut copied_etag = None;
    let mut uploaded_version = None;
    let moved = match &planned.job {
        Job::Upload { path, to } => {
            uploaded_version = file_version(path);
            upload_file(ctx, path, to, bar).await?
        }
        Job::Download {
            from,
            path,
            modified,
        } => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| failed(parent.display(), e))?;
            }
            let (n, etag) = io::download_version(ctx, from, Some(path), bar).await?;
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
            delete_object(ctx, url).await?;
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

/// What a batch did so far: jobs done and failed, and how many failed with each cause (the
/// first failure of each kind is printed in full, later ones counted).
#[derive(Default)]
struct Tally {
    done: usize,
    failed: usize,
    causes: BTreeMap<String, usize>,
}

impl Tally {
    fn record(&mut self, reporter: &Reporter, planned: &Planned, result: Result<u64, CliError>) {
        let line = planned.line();
        match result {
            Ok(bytes) => {
                self.done += 1;
                // Uploads and downloads moved the bar as their bytes went; a server-side copy
                // moves it when it is done.
                let copied = matches!(planned.job, Job::Copy { .. });
                reporter.advance(if copied { bytes } else { 0 }, self.done as u64);
                reporter.say(&line);
            }
            Err(err) => {
                self.failed += 1;
                let seen = self.causes.entry(err.cause()).or_default();
                *seen += 1;
                if *seen == 1 {
                    reporter.error(&format!("{line} failed: {err}"));
                }
            }
        }
    }
}

/// Runs `plan`, `--concurrency` jobs at a time (or prints it, with `--dryrun`). The deletes of
/// objects (`sync --delete`) go last, 1 000 keys a DeleteObjects request (deletes.rs).
pub(crate) async fn execute(ctx: &Context, verb: &'static str, plan: Plan) -> Result<(), CliError> {
    let reporter = Reporter::new(ctx, &plan);
    for skipped in &plan.skipped {
        reporter.skipped(skipped);
    }
    let mut tally = Tally::default();
    if ctx.options.dryrun {
        for planned in &plan.jobs {
            reporter.say(&planned.line());
        }
        tally.done = plan.jobs.len();
    } else {
        let (object_deletes, jobs): (Vec<&Planned>, Vec<&Planned>) = plan
            .jobs
            .iter()
            .partition(|p| matches!(p.job, Job::DeleteObject(_)) && !p.then_remove_source);
        // Jobs run in parallel, but a download below another download's file (`a.txt/b` after
        // `a.txt`) waits for it, so which of the two fails does not depend on timing: the one
        // S3 lists first is written, as a one-at-a-time transfer would.
        let (first, after) = phases(&jobs);
        for phase in [first, after] {
            // After Ctrl-C no job starts: not a transfer, not a delete, not a source removal.
            let mut results = futures::stream::iter(phase)
                .take_while(|_| std::future::ready(!ctx.interrupt.is_set()))
                .map(|planned| {
                    let bar = reporter.bar();
                    async move { (planned, run(ctx, planned, bar).await) }
                })
                .buffer_unordered(usize::from(ctx.options.concurrency.max(1)));
            while let Some((planned, result)) = results.next().await {
                tally.record(&reporter, planned, result);
            }
        }
        deletes::in_batches(ctx, &object_deletes, &reporter, &mut tally).await;
    }
    reporter.finish();
    for (cause, count) in &tally.causes {
        if *count > 1 {
            reporter.error(&format!("{} more failed with: {cause}", count - 1));
        }
    }
    let Tally { done, failed, .. } = tally;
    if ctx.interrupt.is_set() {
        let not_started = plan.jobs.len() - done - failed;
        return Err(CliError::Interrupted(format!(
            "{done} transferred, {} skipped, {failed} failed, {not_started} not started",
            plan.skipped.len()
        )));
    }
    if plan.skipped.is_empty() && failed == 0 {
        return Ok(());
    }
    Err(CliError::Incomplete {
        verb,
        transferred: done,
        skipped: plan.skipped.len(),
        failed,
    })
}

/// The jobs that can start at once, and the downloads that must wait because another download
/// writes a file where they need a directory.
fn phases<'a>(jobs: &[&'a Planned]) -> (Vec<&'a Planned>, Vec<&'a Planned>) {
    let files: std::collections::HashSet<&Path> = jobs
        .iter()
        .filter_map(|p| match &p.job {
            Job::Download { path, .. } => Some(path.as_path()),
            _ => None,
        })
        .collect();
    jobs.iter().copied().partition(|p| match &p.job {
        Job::Download { path, .. } => !path.ancestors().skip(1).any(|a| files.contains(a)),
        _ => true,
    })
}
