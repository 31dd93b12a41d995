//! `s3mr-emulator`: run the multi-region S3 emulator by hand.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use s3mr_emulator::{Emulator, Switches, WrongRegionAnswer};

/// A local multi-region S3 that answers wrong-region requests exactly like AWS.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// A region and the address it listens on, e.g. `us-east-1=127.0.0.1:9101`. Repeat per region.
    #[arg(long = "region", value_name = "NAME=ADDR", required = true, value_parser = parse_listener)]
    regions: Vec<(String, SocketAddr)>,
    /// Keep objects and the bucket registry here (survives restarts); a temporary dir otherwise.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// The access key clients must sign with.
    #[arg(long, env = "S3MR_EMULATOR_ACCESS_KEY", default_value = s3mr_emulator::DEFAULT_ACCESS_KEY)]
    access_key: String,
    /// The secret key clients must sign with.
    #[arg(long, env = "S3MR_EMULATOR_SECRET_KEY", default_value = s3mr_emulator::DEFAULT_SECRET_KEY, hide_default_value = true)]
    secret_key: String,
    /// How a request for a bucket of another region is answered.
    #[arg(long, value_enum, default_value = "auto")]
    wrong_region_answer: AnswerArg,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Real-hostnames mode: serve TLS for every AWS S3 hostname of the regions served, with a
    /// test CA made now (or --cert/--key). Pair it with --proxy-port.
    #[arg(long)]
    tls: bool,
    /// Server certificate chain (PEM) for --tls instead of the generated one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<std::path::PathBuf>,
    /// Write the generated CA's PEM here (for AWS_CA_BUNDLE).
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca_out: Option<std::path::PathBuf>,
    /// Run an HTTPS CONNECT proxy on 127.0.0.1:PORT (0: any free port) that pipes AWS S3
    /// hostnames to their region's listener (for HTTPS_PROXY).
    #[arg(long, value_name = "PORT")]
    proxy_port: Option<u16>,
    /// An S3 Express zone and its region, e.g. `usw2-az1=us-west-2` (the region must be served):
    /// directory buckets `<base>--usw2-az1--x-s3` on `*.s3express-usw2-az1.us-west-2.amazonaws.com`
    /// (real-hostnames mode). Repeat per zone.
    #[arg(long = "zone", value_name = "ZONE=REGION", value_parser = parse_zone)]
    zones: Vec<(String, String)>,
}

fn parse_zone(s: &str) -> Result<(String, String), String> {
    let (zone, region) = s
        .split_once('=')
        .ok_or_else(|| format!("expected ZONE=REGION, got {s:?}"))?;
    if !s3mr_emulator::is_region_name(region) {
        return Err(format!(
            "invalid region name {region:?}: expected something like us-west-2"
        ));
    }
    Ok((zone.to_owned(), region.to_owned()))
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AnswerArg {
    Auto,
    PermanentRedirect,
    GlobalEndpoint,
    TemporaryRedirect,
    IllegalLocationConstraint,
}

impl From<AnswerArg> for WrongRegionAnswer {
    fn from(a: AnswerArg) -> Self {
        match a {
            AnswerArg::Auto => Self::Auto,
            AnswerArg::PermanentRedirect => Self::PermanentRedirect,
            AnswerArg::GlobalEndpoint => Self::GlobalEndpoint,
            AnswerArg::TemporaryRedirect => Self::TemporaryRedirect,
            AnswerArg::IllegalLocationConstraint => Self::IllegalLocationConstraint,
        }
    }
}

fn parse_listener(s: &str) -> Result<(String, SocketAddr), String> {
    let (region, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=ADDR, got {s:?}"))?;
    if !s3mr_emulator::is_region_name(region) {
        return Err(format!(
            "invalid region name {region:?}: expected something like us-east-1"
        ));
    }
    let addr = addr
        .parse()
        .map_err(|_| format!("invalid address {addr:?}: expected IP:PORT, e.g. 127.0.0.1:9101"))?;
    Ok((region.to_owned(), addr))
}

/// Ctrl-C and SIGTERM, listened for from the moment this is called: install it before printing
/// that the emulator is ready, or a signal sent right after the ready lines kills the process
/// instead of stopping it cleanly.
fn stop_signals() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
        async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("S3MR_LOG"))
        .with_writer(std::io::stderr)
        .init();

    let mut switches = Switches::default();
    switches.answer(args.wrong_region_answer.into());
    switches.latency = std::time::Duration::from_millis(args.latency_ms);
    let mut builder = Emulator::builder()
        .credentials(&args.access_key, &args.secret_key)
        .switches(switches);
    for (region, addr) in &args.regions {
        builder = builder.listener(region, *addr);
    }
    for (zone, region) in &args.zones {
        builder = builder.zone(zone, region);
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    if args.tls {
        builder = builder.tls(match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => s3mr_emulator::TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => s3mr_emulator::TlsSource::Generated,
        });
    }
    if let Some(port) = args.proxy_port {
        builder = builder.proxy(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let stopped = stop_signals();
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("s3mr-emulator: {err}");
            return ExitCode::from(2);
        }
    };
    for region in emulator.regions() {
        println!(
            "listening region={region} endpoint={}",
            emulator.endpoint(&region)
        );
    }
    println!("endpoint map: {}", emulator.endpoint_map());
    if let Some(proxy) = emulator.proxy_url() {
        println!("proxy: HTTPS_PROXY={proxy}");
    }
    if let Some(pem) = emulator.ca_pem() {
        if let Some(path) = &args.ca_out {
            if let Err(err) = std::fs::write(path, pem) {
                eprintln!("s3mr-emulator: {}: {err}", path.display());
                return ExitCode::from(2);
            }
            println!("ca: AWS_CA_BUNDLE={}", path.display());
        }
        print!("{pem}");
    }
    println!("ready");
    stopped.await;
    emulator.shutdown().await;
    println!("stopped");
    ExitCode::SUCCESS
}
