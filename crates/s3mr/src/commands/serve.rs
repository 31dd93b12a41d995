//! `s3mr serve`: the gateway (`s3mr-gateway`) on this tool's client — its credentials, region,
//! endpoint map, proxies, CA bundle and bucket-region cache — until SIGTERM or Ctrl-C, then a
//! drain; SIGHUP reloads the keys file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::error::{CliError, failed};

/// What `s3mr serve` was asked for.
struct Settings {
    listen: SocketAddr,
    keys_file: PathBuf,
    tls: Option<(PathBuf, PathBuf)>,
    domains: Vec<String>,
    admin_listen: Option<SocketAddr>,
    limits: s3mr_gateway::Limits,
}

impl From<ServeArgs> for Settings {
    fn from(args: ServeArgs) -> Self {
        let mut limits = s3mr_gateway::Limits::default();
        limits.max_connections = args.max_connections;
        limits.max_requests = args.max_requests;
        limits.header_timeout = args.header_timeout;
        limits.max_xml_body = args.max_xml_body;
        limits.drain_timeout = args.drain_timeout;
        Self {
            listen: args.listen,
            keys_file: args.keys,
            tls: args.tls_cert.zip(args.tls_key),
            domains: args.domain,
            admin_listen: args.admin_listen,
            limits,
        }
    }
}

fn read_keys(path: &Path) -> Result<s3mr_gateway::Keys, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| failed(path.display(), e))?;
    s3mr_gateway::Keys::parse(&text)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), CliError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| failed(addr, e))?;
    let bound = listener.local_addr().map_err(|e| failed(addr, e))?;
    Ok((listener, bound))
}

/// `--access-log` is set up with the process's logging (main.rs), before the context.
pub(crate) async fn run(ctx: &Context, args: ServeArgs) -> Result<(), CliError> {
    let settings = Settings::from(args);
    let keys = read_keys(&settings.keys_file)?;
    let count = keys.len();
    let mut builder = s3mr_gateway::Gateway::builder(&ctx.client, keys).limits(settings.limits);
    for domain in settings.domains {
        builder = builder.domain(domain);
    }
    if let Some((cert, key)) = settings.tls {
        builder = builder.tls(cert, key);
    }
    if let Some(credentials) = ctx.sdk.credentials_provider() {
        builder = builder.credentials(credentials);
    }
    if settings.admin_listen.is_some() {
        builder = builder.admin_elsewhere();
    }
    let gateway = builder
        .build()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let (listener, addr) = bind(settings.listen).await?;
    let admin = match settings.admin_listen {
        Some(at) => {
            let (listener, bound) = bind(at).await?;
            Some((gateway.admin(), listener, bound))
        }
        None => None,
    };
    // Listening for SIGHUP before the ready line: its default action would end the process.
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| CliError::Other(format!("cannot listen for SIGHUP: {e}")))?;
    let scheme = if gateway.is_tls() { "https" } else { "http" };
    // One ready line, as the emulator prints: scripts wait for it and read the address.
    println!(
        "s3mr gateway listening on {scheme}://{addr} ({count} key{}, default region {}){}",
        if count == 1 { "" } else { "s" },
        ctx.client.default_region(),
        admin
            .as_ref()
            .map(|(_, _, at)| format!(", admin on http://{at}/_s3mr/"))
            .unwrap_or_default(),
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let admin_task = admin.map(|(endpoint, listener, _)| tokio::spawn(endpoint.serve(listener)));
    let reloads = tokio::spawn(reload_on_sighup(
        hangups,
        gateway.keys(),
        settings.keys_file.clone(),
    ));
    let drained = gateway.serve(listener, ctx.interrupt.wait()).await;
    reloads.abort();
    if let Some(task) = admin_task {
        task.abort();
    }
    eprintln!(
        "s3mr gateway drained: {} request{} cut, {} multipart upload{} aborted",
        drained.requests_cut,
        if drained.requests_cut == 1 { "" } else { "s" },
        drained.uploads_aborted,
        if drained.uploads_aborted == 1 {
            ""
        } else {
            "s"
        },
    );
    Ok(())
}

/// On each SIGHUP, the keys file again: a valid one replaces the keys for new requests
/// (connections and requests in flight are untouched), an invalid one changes nothing. One line
/// on standard error either way.
async fn reload_on_sighup(
    mut hangups: tokio::signal::unix::Signal,
    keys: s3mr_gateway::KeysHandle,
    path: PathBuf,
) {
    while hangups.recv().await.is_some() {
        let read = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| keys.reload(&text).map_err(|e| e.to_string()));
        match read {
            Ok(count) => eprintln!(
                "s3mr gateway: keys reloaded from {}: {count} key{}",
                path.display(),
                if count == 1 { "" } else { "s" }
            ),
            Err(err) => eprintln!(
                "s3mr gateway: keys NOT reloaded from {}: {err}; the keys in force stay",
                path.display()
            ),
        }
    }
}
