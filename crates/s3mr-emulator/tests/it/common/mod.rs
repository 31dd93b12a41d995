//! Helpers shared by the emulator's integration tests: a plain aws-sdk-s3 client (no routing)
//! and a raw HTTP/1.1 request for presigned URLs and the admin path.

#![allow(dead_code)]

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::retry::RetryConfig;
use s3mr_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(crate) fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// A plain client that sends everything to `endpoint_region`'s listener, signed for
/// `signing_region`, with retries off so every answer is seen as sent.
pub(crate) fn client(
    emu: &Emulator,
    endpoint_region: &str,
    signing_region: &str,
) -> aws_sdk_s3::Client {
    let (ak, sk) = emu.credentials();
    client_with_keys(emu, endpoint_region, signing_region, ak, sk)
}

pub(crate) fn client_with_keys(
    emu: &Emulator,
    endpoint_region: &str,
    signing_region: &str,
    access_key: &str,
    secret_key: &str,
) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(signing_region.to_owned()))
        .endpoint_url(emu.endpoint(endpoint_region))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "emulator-test",
        ))
        .retry_config(RetryConfig::disabled())
        .http_client(http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// What a raw HTTP exchange returned.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` to `url` (`http://host:port/path?query`).
pub(crate) async fn raw_request(method: &str, url: &str, body: &[u8]) -> RawResponse {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}
