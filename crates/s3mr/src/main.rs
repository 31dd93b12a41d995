//! `s3mr`: S3 across regions from the terminal.

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An `aws s3`-style tool whose one client works with buckets in every region.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Print one line per redirect, probe and cache event on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start an embedded three-region emulator and walk one client across it, printing what
    /// routing did and how many requests each region received. Needs no AWS account.
    Demo,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = if cli.verbose {
        "s3_multi_region=debug"
    } else {
        "off"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("S3MR_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let result = match cli.command {
        Command::Demo => demo::run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("s3mr: {err}");
            ExitCode::FAILURE
        }
    }
}
