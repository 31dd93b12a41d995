//! `s3mr serve`: the gateway (`s3mr-gateway`) on this tool's client — its credentials, region,
//! endpoint map, proxies, CA bundle and bucket-region cache — until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::CliError;

pub async fn run(
    ctx: &Context,
    listen: SocketAddr,
    keys_file: &Path,
    tls: Option<(PathBuf, PathBuf)>,
    domain: Option<String>,
) -> Result<(), CliError> {
    let text = std::fs::read_to_string(keys_file)
        .map_err(|e| crate::commands::failed(keys_file.display(), e))?;
    let keys = s3mr_gateway::Keys::parse(&text)
        .map_err(|e| CliError::Usage(format!("{}: {e}", keys_file.display())))?;
    let count = keys.len();
    let mut builder = s3mr_gateway::Gateway::builder(&ctx.client, keys);
    if let Some(domain) = domain {
        builder = builder.domain(domain);
    }
    if let Some((cert, key)) = tls {
        builder = builder.tls(cert, key);
    }
    let gateway = builder
        .build()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| crate::commands::failed(listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| crate::commands::failed(listen, e))?;
    let scheme = if gateway.is_tls() { "https" } else { "http" };
    // One ready line, as the emulator prints: scripts wait for it and read the address.
    println!(
        "s3mr gateway listening on {scheme}://{addr} ({count} key{}, default region {})",
        if count == 1 { "" } else { "s" },
        ctx.client.default_region()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    gateway.serve(listener, ctx.interrupt.wait()).await;
    Ok(())
}
