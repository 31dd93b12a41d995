//! How a batch reports: the aws CLI's line per job (or none), `warning: Skipping ...` per entry
//! passed over, the first failure of each kind in full, and one bar for the whole transfer on a
//! terminal. Lines are printed through the bar, so it is never torn. The bar's totals are what
//! the listing has found so far (`120 of 3000+ files` while it goes on): no listing pass is
//! spent just to count.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use indicatif::ProgressBar;

use crate::context::Context;
use crate::printer::Printer;

pub(super) struct Reporter<'a> {
    printer: &'a Printer,
    bar: Option<ProgressBar>,
    /// Jobs found so far, and whether the listing is over.
    files: AtomicU64,
    listed: AtomicBool,
    done: AtomicU64,
}

impl<'a> Reporter<'a> {
    pub(super) fn new(ctx: &'a Context) -> Self {
        Self {
            printer: &ctx.printer,
            bar: ctx.printer.batch_bar(),
            files: AtomicU64::new(0),
            listed: AtomicBool::new(false),
            done: AtomicU64::new(0),
        }
    }

    /// A job of `bytes` found by the listing.
    pub(super) fn planned(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc_length(bytes);
            self.show_count(bar);
        }
    }

    /// The listing is over: the totals are final.
    pub(super) fn listed(&self) {
        self.listed.store(true, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            self.show_count(bar);
        }
    }

    fn show_count(&self, bar: &ProgressBar) {
        let more = if self.listed.load(Ordering::Relaxed) {
            ""
        } else {
            "+"
        };
        bar.set_message(format!(
            "{} of {}{more} files",
            self.done.load(Ordering::Relaxed),
            self.files.load(Ordering::Relaxed)
        ));
    }

    fn through_bar(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// A job's line (`(dryrun) ` first under `--dryrun`).
    pub(super) fn say(&self, line: &str) {
        self.through_bar(|| self.printer.done(line));
    }

    /// `warning: Skipping <what>`.
    pub(super) fn skipped(&self, what: &str) {
        self.through_bar(|| self.printer.warn(&format!("Skipping {what}")));
    }

    pub(super) fn error(&self, line: &str) {
        self.through_bar(|| self.printer.error(line));
    }

    /// The batch's bar, which uploads and downloads move as their bytes go.
    pub(super) fn bar(&self) -> Option<&ProgressBar> {
        self.bar.as_ref()
    }

    pub(super) fn advance(&self, bytes: u64, done: u64) {
        self.done.store(done, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            self.show_count(bar);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
