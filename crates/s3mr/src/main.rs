//! `s3mr`: S3 across regions from the terminal, in the manner of `aws s3`.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod context;
mod demo;
mod error;
mod filter;
mod plan;
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

async fn run_cli() -> i32 {
    let cli = Cli::parse();
    let filter = if cli.options.verbose {
        "s3_multi_region=debug,s3mr=debug"
    } else {
        "s3_multi_region=warn,s3mr=warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("S3MR_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a pipe or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .with_target(false)
        .init();
    let verb = cli.command.verb();
    let result = match cli.command {
        Command::Demo { keep } => demo::run(keep)
            .await
            .map_err(|e| CliError::Other(e.to_string())),
        command => run(cli.options, command).await,
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
        CliError::Other(_) => format!("s3mr: {verb}: {err}"),
        CliError::Usage(_) | CliError::Incomplete { .. } => format!("s3mr: {err}"),
    }
}

async fn run(options: Options, command: Command) -> Result<(), CliError> {
    let mut ctx = context::Context::new(&options).await?;
    let result = match command {
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
            commands::ls(&ctx, url.as_deref(), listing).await
        }
        Command::Cat { url } => commands::cat(&ctx, &url).await,
        Command::Stat { url } => commands::stat(&ctx, &url).await,
        Command::Cp {
            source,
            destination,
            recursive,
            no_follow_symlinks,
            content_type,
            ..
        } => {
            ctx.content_type = content_type;
            commands::cp(&ctx, &source, &destination, recursive, !no_follow_symlinks).await
        }
        Command::Rm { url, recursive, .. } => commands::rm(&ctx, &url, recursive).await,
        Command::Mv {
            source,
            destination,
            recursive,
            ..
        } => commands::mv(&ctx, &source, &destination, recursive).await,
        Command::Sync {
            source,
            destination,
            delete,
            size_only,
            exact_timestamps,
            no_follow_symlinks,
            ..
        } => {
            let options = plan::SyncOptions {
                delete,
                size_only,
                exact_timestamps,
            };
            commands::sync(&ctx, &source, &destination, options, !no_follow_symlinks).await
        }
        Command::Mb { url } => commands::mb(&ctx, &url).await,
        Command::Rb { url, force } => commands::rb(&ctx, &url, force).await,
        Command::Region { buckets } => commands::region(&ctx, &buckets).await,
        Command::Presign { url, expires } => commands::presign(&ctx, &url, expires).await,
        Command::Cache { action } => commands::cache(&ctx, action).await,
        Command::Demo { .. } => unreachable!("handled above"),
    };
    ctx.client.flush_cache_writes().await;
    result
}
