//! Many-file transfers (`cp --recursive`, `mv`, `sync`): jobs decided as the listings stream by
//! (plan.rs) and run `--concurrency` at a time while the listing goes on, through a queue of
//! [`QUEUE`] jobs — memory is bounded by the queue and the concurrency, not by the number of
//! keys. One line per job in the aws CLI's shape (`upload: a.txt to s3://b/a.txt`), one
//! progress bar for the whole transfer on a terminal (bytes, files, rate; the totals grow as
//! the listing goes) and nothing on a pipe. One job's failure never stops the others; the end
//! says how many were done, skipped, failed.

mod compare;
mod deletes;
mod io;
mod merge;
mod plan;
mod report;
mod walk;

pub(crate) use compare::SyncOptions;
pub(crate) use io::{Bar, copy_object, delete_object, download, upload, upload_file};
pub(crate) use plan::Mode;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use futures::StreamExt;
use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;

use crate::context::Context;
use crate::error::{CliError, failed, reported};
use crate::location::{Location, shown_path};

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

/// Jobs waiting between the listing and the transfers: the listing runs at most this far ahead.
const QUEUE: usize = 1000;

/// S3's limit of keys in one DeleteObjects request.
const KEYS_PER_REQUEST: usize = 1000;

/// One unit of work of a batch.
enum Work {
    One(Planned),
    /// Deletes of objects of one bucket (`sync --delete`), sent as one DeleteObjects.
    Deletes(Vec<Planned>),
}

/// Where the listing side of a batch puts its jobs and warnings, as it finds them.
pub(super) struct Sink<'a> {
    queue: tokio::sync::mpsc::Sender<Work>,
    reporter: &'a Reporter<'a>,
    waiting: Waiting,
    /// Downloads that must wait for every other job (see [`Waiting`]).
    deferred: Vec<Planned>,
    /// Object deletes gathered for the next DeleteObjects.
    deletes: Vec<Planned>,
    skipped: usize,
    planned: usize,
    closed: bool,
}

impl<'a> Sink<'a> {
    fn new(queue: tokio::sync::mpsc::Sender<Work>, reporter: &'a Reporter<'a>) -> Self {
        Self {
            queue,
            reporter,
            waiting: Waiting::default(),
            deferred: Vec::new(),
            deletes: Vec::new(),
            skipped: 0,
            planned: 0,
            closed: false,
        }
    }

    /// Hands `planned` (for the entry named `name` below the root) to the batch; waits while
    /// the queue is full.
    pub(super) async fn push(&mut self, planned: Planned, name: &str) {
        self.planned += 1;
        self.reporter.planned(planned.bytes);
        match &planned.job {
            Job::DeleteObject(_) if !planned.then_remove_source => {
                self.deletes.push(planned);
                if self.deletes.len() == KEYS_PER_REQUEST {
                    let batch = std::mem::take(&mut self.deletes);
                    self.send(Work::Deletes(batch)).await;
                }
            }
            Job::Download { .. } if self.waiting.must_wait(name) => self.deferred.push(planned),
            _ => self.send(Work::One(planned)).await,
        }
    }

    /// `warning: Skipping <what>`, counted in the batch's summary.
    pub(super) fn skip(&mut self, what: String) {
        self.skipped += 1;
        self.reporter.skipped(&what);
    }

    /// Whether the batch stopped taking jobs (Ctrl-C, or the listing failed).
    pub(super) fn stopped(&self) -> bool {
        self.closed
    }

    async fn send(&mut self, work: Work) {
        if self.queue.send(work).await.is_err() {
            self.closed = true;
        }
    }

    /// Sends the last deletes (unless the listing failed) and closes the queue; returns the
    /// downloads that waited, and how many entries were skipped and jobs planned.
    async fn finish(mut self, listed: bool) -> (Vec<Planned>, usize, usize) {
        if listed && !self.deletes.is_empty() {
            let batch = std::mem::take(&mut self.deletes);
            self.send(Work::Deletes(batch)).await;
        }
        (self.deferred, self.skipped, self.planned)
    }
}

/// Downloads run in parallel, but one below another download's file (`a.txt/b` after `a.txt`)
/// waits until every other job is done, so which of the two fails does not depend on timing:
/// the one S3 lists first is written, as a one-at-a-time transfer would. Names come in order,
/// and a name's descendants (`name/...`) all sort before `name0`: the names that can still have
/// descendants form a chain of prefixes, at most as deep as a name is long.
#[derive(Debug, Default)]
struct Waiting {
    chain: Vec<String>,
}

impl Waiting {
    /// Whether the download of `name` must wait; records it as a file that later names may be
    /// under.
    fn must_wait(&mut self, name: &str) -> bool {
        while self
            .chain
            .last()
            .is_some_and(|last| name >= format!("{last}0").as_str())
        {
            self.chain.pop();
        }
        let under_a_file = self.chain.iter().any(|file| {
            name.strip_prefix(file.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        });
        self.chain.push(name.to_owned());
        under_a_file
    }
}

/// Runs the batch from `from` to `to`: the listing feeds the queue while `--concurrency` jobs
/// run (or, with `--dryrun`, are printed). The deletes of objects (`sync --delete`) go 1 000 keys
/// a DeleteObjects request (deletes.rs).
pub(crate) async fn transfer_tree(
    ctx: &Context,
    verb: &'static str,
    from: &Location,
    to: &Location,
    mode: Mode,
    follow_symlinks: bool,
) -> Result<(), CliError> {
    let reporter = Reporter::new(ctx);
    let (queue, jobs) = tokio::sync::mpsc::channel(QUEUE);
    let mut tally = Tally::default();
    let listing_failed = AtomicBool::new(false);
    let listing = async {
        let mut sink = Sink::new(queue, &reporter);
        let listed = plan::produce(ctx, from, to, mode, follow_symlinks, &mut sink).await;
        if listed.is_err() {
            listing_failed.store(true, Ordering::SeqCst);
        }
        let (deferred, skipped, planned) = sink.finish(listed.is_ok()).await;
        reporter.listed();
        (listed, deferred, skipped, planned)
    };
    let queued = futures::stream::unfold(jobs, |mut jobs| async move {
        jobs.recv().await.map(|work| (work, jobs))
    });
    let running = run_all(ctx, &reporter, queued, &mut tally, &listing_failed);
    let ((listed, deferred, skipped, planned), ()) = futures::join!(listing, running);
    if let Err(err) = listed {
        reporter.finish();
        return Err(err);
    }
    let deferred = futures::stream::iter(deferred.into_iter().map(Work::One));
    run_all(ctx, &reporter, deferred, &mut tally, &listing_failed).await;
    reporter.finish();
    for (cause, count) in &tally.causes {
        if *count > 1 {
            reporter.error(&format!("{} more failed with: {cause}", count - 1));
        }
    }
    let Tally { done, failed, .. } = tally;
    if ctx.interrupt.is_set() {
        let not_started = planned - done - failed;
        return Err(CliError::Interrupted(format!(
            "{done} transferred, {skipped} skipped, {failed} failed, {not_started} not started"
        )));
    }
    if skipped == 0 && failed == 0 {
        return Ok(());
    }
    Err(CliError::Incomplete {
        verb,
        transferred: done,
        skipped,
        failed,
    })
}

/// Runs `work` as it comes, `--concurrency` at a time, recording each job in `tally`. After
/// Ctrl-C (or a failed listing) nothing more starts: not a transfer, not a delete, not a
/// source removal.
async fn run_all(
    ctx: &Context,
    reporter: &Reporter<'_>,
    work: impl futures::Stream<Item = Work>,
    tally: &mut Tally,
    listing_failed: &AtomicBool,
) {
    let dryrun = ctx.options.dryrun;
    let mut results = std::pin::pin!(
        work.take_while(|_| std::future::ready(
            !ctx.interrupt.is_set() && !listing_failed.load(Ordering::SeqCst)
        ))
        .map(|work| async move {
            match work {
                Work::One(planned) if dryrun => vec![(planned, Ok(0))],
                Work::One(planned) => {
                    let result = run(ctx, &planned, reporter.bar()).await;
                    vec![(planned, result)]
                }
                Work::Deletes(batch) if dryrun => batch.into_iter().map(|p| (p, Ok(0))).collect(),
                Work::Deletes(batch) => deletes::in_one_request(ctx, batch).await,
            }
        })
        .buffer_unordered(usize::from(ctx.options.concurrency.max(1)))
    );
    while let Some(done) = results.next().await {
        for (planned, result) in done {
            tally.record(reporter, &planned, result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_under_an_earlier_file_waits() {
        let names = [
            ("a", false),
            ("a-x", false),
            ("a.txt", false),
            ("a/b", true),
            ("a/b/c", true),
            ("a/c", true),
            ("a0", false),
            ("b/c", false),
            ("b/c/d", true),
            ("b/d", false),
            ("é/x", false),
        ];
        let mut waiting = Waiting::default();
        for (name, waits) in names {
            assert_eq!(waiting.must_wait(name), waits, "{name}");
        }
        assert!(waiting.chain.len() <= 2, "{:?}", waiting.chain);
    }
}
