//! How a batch reports: the aws CLI's line per job (or none), `warning: Skipping ...` per entry
//! passed over, the first failure of each kind in full, and one bar for the whole transfer on a
//! terminal. Lines are printed through the bar, so it is never torn.

use indicatif::ProgressBar;

use crate::context::Context;
use crate::printer::Printer;

use super::Plan;

pub(super) struct Reporter<'a> {
    printer: &'a Printer,
    bar: Option<ProgressBar>,
    files: u64,
}

impl<'a> Reporter<'a> {
    pub(super) fn new(ctx: &'a Context, plan: &Plan) -> Self {
        let total: u64 = plan.jobs.iter().map(|j| j.bytes).sum();
        let files = plan.jobs.len() as u64;
        Self {
            printer: &ctx.printer,
            bar: ctx.printer.batch_bar(total, files),
            files,
        }
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
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
            bar.set_message(format!("{done} of {} files", self.files));
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
