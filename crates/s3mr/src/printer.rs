//! The one place that decides what is printed: a command's data (`ls` rows, `stat`, JSON), its
//! account of what it did (`upload: a to s3://b/a`, hidden by `--quiet` and
//! `--only-show-errors`, prefixed `(dryrun)` under `--dryrun`), warnings and errors on standard
//! error, and progress bars (only on a terminal, never with `--json`, `--quiet` or
//! `--only-show-errors`). Standard output closed by its reader (`s3mr ls ... | head`) is not an
//! error: nothing more is printed, and a command whose output is the point stops with exit 0.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Options;
use crate::error::{CliError, stdout_failed};

#[derive(Debug)]
pub(crate) struct Printer {
    quiet: bool,
    only_errors: bool,
    no_progress: bool,
    json: bool,
    dryrun: bool,
    /// Standard error is a terminal: bars may be drawn.
    terminal: bool,
    /// Standard output was closed by its reader.
    closed: AtomicBool,
}

impl Printer {
    pub(crate) fn new(options: &Options) -> Self {
        Self {
            quiet: options.quiet,
            only_errors: options.only_show_errors,
            no_progress: options.no_progress,
            json: options.json,
            dryrun: options.dryrun,
            terminal: std::io::stderr().is_terminal(),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether `--json` was asked for.
    pub(crate) fn json_wanted(&self) -> bool {
        self.json
    }

    /// A line of the command's data (shown whatever `--quiet` says: it is what was asked for).
    pub(crate) fn out(&self, line: impl std::fmt::Display) -> Result<(), CliError> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(CliError::OutputClosed);
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}").map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed.store(true, Ordering::Relaxed);
            }
            stdout_failed(e)
        })
    }

    /// `value` as pretty JSON, the command's data under `--json`.
    pub(crate) fn json(&self, value: serde_json::Value) -> Result<(), CliError> {
        self.out(serde_json::to_string_pretty(&value).expect("a JSON value"))
    }

    /// One line of the command's account of what it did, unless `--quiet` or
    /// `--only-show-errors`. Output closed by its reader is not the command's failure: the line
    /// is dropped and the work goes on.
    pub(crate) fn say(&self, line: &str) {
        if self.quiet || self.only_errors {
            return;
        }
        let _ = self.out(line);
    }

    /// Under `--dryrun`, says `(dryrun) <line>` and returns true: the caller then does nothing.
    pub(crate) fn dry_run(&self, line: &str) -> bool {
        if self.dryrun {
            self.say(&format!("(dryrun) {line}"));
        }
        self.dryrun
    }

    /// The account line of a step that ran, or would have under `--dryrun`.
    pub(crate) fn done(&self, line: &str) {
        if self.dryrun {
            self.say(&format!("(dryrun) {line}"));
        } else {
            self.say(line);
        }
    }

    /// `warning: <what>` on standard error, unless `--quiet`.
    pub(crate) fn warn(&self, what: &str) {
        if !self.quiet {
            eprintln!("warning: {what}");
        }
    }

    /// An error line on standard error (a failed job of a batch), unless `--quiet`.
    pub(crate) fn error(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    fn bars_allowed(&self) -> bool {
        self.terminal && !self.json && !self.quiet && !self.only_errors && !self.no_progress
    }

    /// The bar of one object's transfer (`len` when known).
    pub(crate) fn bar(&self, len: Option<u64>, what: &str) -> Option<ProgressBar> {
        if !self.bars_allowed() {
            return None;
        }
        let bar = ProgressBar::new(len.unwrap_or(0));
        let template = if len.is_some() {
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
        } else {
            "{msg} {bytes} {bytes_per_sec}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_owned());
        Some(bar)
    }

    /// The one bar of a many-file transfer: bytes, files, rate, ETA.
    pub(crate) fn batch_bar(&self) -> Option<ProgressBar> {
        if !self.bars_allowed() || self.dryrun {
            return None;
        }
        // Hidden until the listing finds a first job (its length grows as jobs are found).
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "Completed {bytes}/{total_bytes} ({binary_bytes_per_sec}, ETA {eta}) {msg}",
            )
            .expect("valid template"),
        );
        Some(bar)
    }
}
