//! `s3mr`: S3 across regions from the terminal, in the manner of `aws s3`.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod context;
mod demo;
mod error;
mod filter;
mod guard;
mod interrupt;
mod plan;
mod serve;
mod transfer;
mod tree;

use args::{Cli, Command, Options};
use clap::Parser;
use error::CliError;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let code = runtime.block_on(run_cli());
    // Exit without waiting for the runtime's blocking threads: one may sit in a read of standard
    // input that will never return (an interrupted `cp -`).
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Diagnostics on standard error (`--verbose` or `S3MR_LOG`); for `serve --access-log`, the
/// gateway's access events as JSON lines to their own file (or standard output), and only there.
fn init_logs(cli: &Cli) -> Result<(), String> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = if cli.options.verbose {
        "s3_multi_region=debug,s3mr=debug"
    } else {
        "s3_multi_region=warn,s3mr=warn"
    };
    let access_target = s3mr_gateway::ACCESS_LOG_TARGET;
    let diagnostics = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a pipe or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .with_target(false)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_env("S3MR_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
            meta.target() != access_target
        }));
    let access_log = match &cli.command {
        Command::Serve {
            access_log: Some(dest),
            ..
        } => {
            let writer = if dest == "-" {
                tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stdout)
            } else {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dest)
                    .map_err(|e| format!("--access-log {dest}: {e}"))?;
                tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::sync::Mutex::new(file))
            };
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_target(false)
                    .with_writer(writer)
                    .with_filter(
                        tracing_subscriber::filter::Targets::new()
                            .with_target(access_target, tracing::Level::INFO),
                    ),
            )
        }
        _ => None,
    };
    tracing_subscriber::registry()
        .with(diagnostics)
        .with(access_log)
        .init();
    Ok(())
}

async fn run_cli() -> i32 {
    let cli = Cli::parse();
    if let Err(err) = init_logs(&cli) {
        eprintln!("s3mr: {err}");
        return 2;
    }
    let verb = cli.command.verb();
    let result = match cli.command {
        // The demo listens for Ctrl-C itself: with --keep it is how the demo ends, exit 0.
        Command::Demo { keep } => demo::run(keep)
            .await
            .map_err(|e| CliError::Other(e.to_string())),
        command => {
            let interrupt = interrupt::Interrupt::install();
            // A gateway runs until Ctrl-C: that is its end, not an interruption.
            let runs_until_signal = matches!(command, Command::Serve { .. });
            let result = run(cli.options, command, interrupt.clone()).await;
            // Whatever the command made of it, an interrupted command exits 130.
            match result {
                other if runs_until_signal => other,
                Ok(()) if interrupt.is_set() => Err(CliError::Interrupted(String::new())),
                Err(err) if interrupt.is_set() && !matches!(err, CliError::Interrupted(_)) => {
                    Err(CliError::Interrupted(err.to_string()))
                }
                other => other,
            }
        }
    };
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("{}", error_line(verb, &err));
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            i32::from(err.exit_code())
        }
    }
}

/// `s3mr: <verb> <object>: <cause>`, the same shape for every command.
fn error_line(verb: &str, err: &CliError) -> String {
    use CliError;
    match err {
        CliError::Object { .. } => format!("s3mr: {verb} {err}"),
        CliError::Other(_) | CliError::Interrupted(_) => format!("s3mr: {verb}: {err}"),
        CliError::Usage(_) | CliError::Incomplete { .. } => format!("s3mr: {err}"),
    }
}

async fn run(
    options: Options,
    command: Command,
    interrupt: interrupt::Interrupt,
) -> Result<(), CliError> {
    let mut ctx = context::Context::new(&options, interrupt.clone()).await?;
    // Commands that change data stop themselves cleanly on Ctrl-C (see interrupt.rs); the
    // others only read, and stop at once.
    let stops_itself = matches!(
        command,
        Command::Cp { .. }
            | Command::Mv { .. }
            | Command::Sync { .. }
            | Command::Rm { .. }
            | Command::Rb { .. }
            | Command::Mb { .. }
            | Command::Cache { .. }
            | Command::Serve { .. }
    );
    let result = if stops_itself {
        dispatch(&mut ctx, command).await
    } else {
        tokio::select! {
            result = dispatch(&mut ctx, command) => result,
            () = interrupt.wait() => Err(CliError::Interrupted(String::new())),
        }
    };
    ctx.client.flush_cache_writes().await;
    result
}

async fn dispatch(ctx: &mut context::Context, command: Command) -> Result<(), CliError> {
    match command {
        Command::Ls {
            url,
            recursive,
            human_readable,
            summarize,
        } => {
            let listing = commands::Listing {
                recursive,
                human_readable,
                summarize,
            };
            commands::ls(ctx, url.as_deref(), listing).await
        }
        Command::Cat { url } => commands::cat(ctx, &url).await,
        Command::Stat { url } => commands::stat(ctx, &url).await,
        Command::Cp {
            source,
            destination,
            recursive,
            no_follow_symlinks,
            content_type,
            ..
        } => {
            ctx.content_type = content_type;
            commands::cp(ctx, &source, &destination, recursive, !no_follow_symlinks).await
        }
        Command::Rm { url, recursive, .. } => commands::rm(ctx, &url, recursive).await,
        Command::Mv {
            source,
            destination,
            recursive,
            no_follow_symlinks,
            ..
        } => commands::mv(ctx, &source, &destination, recursive, !no_follow_symlinks).await,
        Command::Sync {
            source,
            destination,
            delete,
            size_only,
            exact_timestamps,
            no_follow_symlinks,
            force,
            ..
        } => {
            let options = plan::SyncOptions {
                delete,
                size_only,
                exact_timestamps,
                force,
            };
            commands::sync(ctx, &source, &destination, options, !no_follow_symlinks).await
        }
        Command::Mb { url } => commands::mb(ctx, &url).await,
        Command::Rb { url, force } => commands::rb(ctx, &url, force).await,
        Command::Region { buckets } => commands::region(ctx, &buckets).await,
        Command::Presign { url, expires } => commands::presign(ctx, &url, expires).await,
        Command::Cache { action } => commands::cache(ctx, action).await,
        Command::Serve {
            listen,
            keys,
            tls_cert,
            tls_key,
            domain,
            admin_listen,
            access_log: _,
            drain_timeout,
            max_connections,
            max_requests,
            header_timeout,
            max_xml_body,
        } => {
            let mut limits = s3mr_gateway::Limits::default();
            limits.max_connections = max_connections;
            limits.max_requests = max_requests;
            limits.header_timeout = header_timeout;
            limits.max_xml_body = max_xml_body;
            limits.drain_timeout = drain_timeout;
            let settings = serve::Settings {
                listen,
                keys_file: keys,
                tls: tls_cert.zip(tls_key),
                domains: domain,
                admin_listen,
                limits,
            };
            serve::run(ctx, settings).await
        }
        Command::Demo { .. } => unreachable!("handled above"),
    }
}
