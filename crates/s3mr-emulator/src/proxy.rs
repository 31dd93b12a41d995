//! An HTTPS CONNECT proxy for the real-hostnames mode.
//!
//! Clients built exactly as on AWS (no endpoint map, the SDK's own resolver, TLS) reach the
//! emulator through `HTTPS_PROXY`: `CONNECT logs.s3.eu-west-1.amazonaws.com:443` is piped to the
//! eu-west-1 listener, which does TLS with that name. Any other target gets 403 and is counted,
//! so a test can prove a client never tried to reach a host outside the emulator.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::hosts::Endpoint;
use crate::shared::Shared;

/// Longest CONNECT request head read.
const HEAD_LIMIT: usize = 8 * 1024;

/// The target of `CONNECT host:port HTTP/1.1` (pure).
pub(crate) fn connect_target(head: &str) -> Option<&str> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("CONNECT"), Some(target), Some(version)) if version.starts_with("HTTP/1.") => {
            Some(target)
        }
        _ => None,
    }
}

/// The region listener a CONNECT target belongs to, if the emulator serves it.
fn listener_for(shared: &Shared, target: &str) -> Option<std::net::SocketAddr> {
    let (host, port) = target.rsplit_once(':')?;
    if port != "443" {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let aws = crate::hosts::parse(&host)?;
    let any_listener = || shared.listeners.keys().next().cloned();
    let region = match aws.endpoint {
        Endpoint::Regional { region, .. } | Endpoint::ExpressControl { region } => {
            region.to_owned()
        }
        // Another region's zonal host does not resolve on AWS: refused like a foreign host.
        Endpoint::Zonal { zone, region } => shared
            .zones
            .get(zone)
            .filter(|served| *served == region)?
            .clone(),
        // One name for every region: AWS's edge takes it to the bucket's region (a bucket that
        // does not exist gets its NoSuchBucket from any).
        Endpoint::Accelerate => aws
            .bucket
            .and_then(|b| shared.registry.get(b))
            .map(|entry| entry.region)
            .or_else(any_listener)?,
        Endpoint::Mrap => aws
            .bucket
            .and_then(|alias| shared.mrap_bucket(alias))
            .and_then(|b| shared.registry.get(&b))
            .map(|entry| entry.region)
            .or_else(any_listener)?,
    };
    shared.listeners.get(&region).copied()
}

async fn tunnel(shared: Arc<Shared>, mut client: TcpStream) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let end = loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > HEAD_LIMIT {
            client
                .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n")
                .await?;
            return Ok(());
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let Some(target) = connect_target(&text) else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let Some(addr) = listener_for(&shared, target) else {
        tracing::debug!(target, "refused CONNECT");
        shared.counters.record_connect(target, true);
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    shared.counters.record_connect(target, false);
    let mut upstream = TcpStream::connect(addr).await?;
    let _ = upstream.set_nodelay(true);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    // Bytes the client sent after the head (a TLS ClientHello already) go first.
    upstream.write_all(&head[end..]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Accepts CONNECTs on `listener` until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    crate::front::accept_until_shutdown(listener, shutdown, move |stream| {
        let shared = shared.clone();
        async move {
            if let Err(err) = tunnel(shared, stream).await {
                tracing::debug!(%err, "proxy tunnel ended");
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_lines() {
        assert_eq!(
            connect_target("CONNECT b.s3.eu-west-1.amazonaws.com:443 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some("b.s3.eu-west-1.amazonaws.com:443")
        );
        assert_eq!(connect_target("GET / HTTP/1.1\r\n\r\n"), None);
        assert_eq!(connect_target("CONNECT x:443\r\n\r\n"), None);
        assert_eq!(connect_target(""), None);
    }
}
