//! Ctrl-C and SIGTERM, as a person at a terminal expects them: the first stops the command
//! cleanly — no new job is scheduled, no delete is sent, no `mv` source is removed, uploads in
//! flight abort their multipart uploads, and the summary so far is printed (exit 130); a second
//! one exits at once.
//!
//! Once a Tokio signal handler is installed the default action (kill the process) is gone, so
//! this is the one place that listens, and every command learns of the signal from here.

use tokio::sync::watch;

/// Whether the command was asked to stop; cheap to clone and to ask.
#[derive(Debug, Clone)]
pub(crate) struct Interrupt {
    stopped: watch::Receiver<bool>,
}

impl Interrupt {
    /// Starts listening for SIGINT and SIGTERM (call inside the runtime, once).
    pub(crate) fn install() -> Self {
        let (tx, stopped) = watch::channel(false);
        tokio::spawn(async move {
            let mut signals = Signals::new();
            let mut count = 0u32;
            while signals.next().await {
                count += 1;
                if count == 1 {
                    eprintln!(
                        "s3mr: interrupted: finishing what is in flight, starting nothing more \
                         (press Ctrl-C again to exit at once)"
                    );
                    let _ = tx.send(true);
                } else {
                    eprintln!("s3mr: interrupted again: exiting now");
                    std::process::exit(i32::from(crate::error::Exit::Interrupted.code()));
                }
            }
        });
        Self { stopped }
    }

    /// Whether a stop was asked for.
    pub(crate) fn is_set(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Resolves once a stop is asked for (never, if none is).
    pub(crate) async fn wait(&self) {
        let mut stopped = self.stopped.clone();
        if stopped.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// SIGINT and SIGTERM, one stream.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        Self {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// The next SIGINT or SIGTERM; `false` if signals cannot be listened to.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(term) = self.term.as_mut() {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
            };
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}
