//! `s3mr`: S3 across regions from the terminal, in the manner of `aws s3`.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod context;
mod durations;
mod error;
mod filter;
mod guard;
mod interrupt;
mod location;
mod printer;
mod settings;
mod transfer;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command, Options};
use error::{CliError, Exit};

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
        Command::Serve(cli::ServeArgs {
            access_log: Some(dest),
            ..
        }) => {
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
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (matches, cli)));
    let (matches, cli) = match parsed {
        Ok(parsed) => parsed,
        // --help and --version print to standard output and exit 0; bad arguments exit 252 (the
        // aws CLI's usage code; clap's own would be 2, which the aws CLI means "skipped").
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                i32::from(Exit::Usage.code())
            } else {
                0
            };
        }
    };
    if let Err(err) = init_logs(&cli) {
        eprintln!("s3mr: {err}");
        return i32::from(Exit::Usage.code());
    }
    let verb = cli.command.verb();
    let work = cli.command.work();
    let result = match cli.command {
        // The demo listens for Ctrl-C itself: with --keep it is how the demo ends, exit 0.
        Command::Demo(args) => commands::demo::run(args)
            .await
            .map_err(|e| CliError::Other(e.to_string())),
        command => {
            let interrupt = interrupt::Interrupt::install();
            // A gateway runs until Ctrl-C: that is its end, not an interruption.
            let runs_until_signal = matches!(command, Command::Serve(_));
            let settings = settings::Settings::new(&matches, &command);
            let result = run(cli.options, settings, command, interrupt.clone()).await;
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
        // Its reader went away (`| head`): as Unix tools, quietly.
        Err(CliError::OutputClosed) => 0,
        Err(err) => {
            eprintln!("{}", error_line(verb, &err));
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            i32::from(err.exit(work).code())
        }
    }
}

/// `s3mr: <verb> <object>: <cause>`, the same shape for every command.
fn error_line(verb: &str, err: &CliError) -> String {
    use CliError;
    match err {
        CliError::Object { .. } => format!("s3mr: {verb} {err}"),
        CliError::Other(_) | CliError::Missing(_) | CliError::Interrupted(_) => {
            format!("s3mr: {verb}: {err}")
        }
        CliError::Usage(_) | CliError::Incomplete { .. } | CliError::OutputClosed => {
            format!("s3mr: {err}")
        }
    }
}

async fn run(
    options: Options,
    settings: settings::Settings,
    command: Command,
    interrupt: interrupt::Interrupt,
) -> Result<(), CliError> {
    let ctx = context::Context::new(&options, settings, interrupt.clone()).await?;
    // Commands that change data stop themselves cleanly on Ctrl-C (see interrupt.rs); the
    // others only read, and stop at once.
    let stops_itself = matches!(
        command,
        Command::Cp(_)
            | Command::Mv(_)
            | Command::Sync(_)
            | Command::Rm(_)
            | Command::Rb(_)
            | Command::Mb(_)
            | Command::Cache(_)
            | Command::Serve(_)
    );
    let result = if stops_itself {
        dispatch(&ctx, command).await
    } else {
        tokio::select! {
            result = dispatch(&ctx, command) => result,
            () = interrupt.wait() => Err(CliError::Interrupted(String::new())),
        }
    };
    ctx.client.flush_cache_writes().await;
    result
}

async fn dispatch(ctx: &context::Context, command: Command) -> Result<(), CliError> {
    use commands::*;
    match command {
        Command::Ls(args) => ls::run(ctx, args).await,
        Command::Cat(args) => cat::run(ctx, args).await,
        Command::Stat(args) => stat::run(ctx, args).await,
        Command::Cp(args) => cp::run(ctx, args).await,
        Command::Mv(args) => mv::run(ctx, args).await,
        Command::Sync(args) => sync::run(ctx, args).await,
        Command::Rm(args) => rm::run(ctx, args).await,
        Command::Mb(args) => mb::run(ctx, args).await,
        Command::Rb(args) => rb::run(ctx, args).await,
        Command::Region(args) => region::run(ctx, args).await,
        Command::Presign(args) => presign::run(ctx, args).await,
        Command::Cache(args) => cache::run(ctx, args).await,
        Command::Serve(args) => serve::run(ctx, args).await,
        Command::Demo(_) => unreachable!("handled above"),
    }
}
