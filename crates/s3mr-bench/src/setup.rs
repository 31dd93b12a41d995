//! Clients, statistics and helper processes shared by the scenarios.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_types::SdkConfig;
use s3_multi_region::MultiRegionClient;

pub const R0: &str = "us-east-1";
pub const R1: &str = "eu-west-1";

/// Prints one figure as `name value unit`.
pub fn figure(name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("{name} {value} {unit}");
}

pub fn sdk(access_key: &str, secret_key: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R0))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key, secret_key, None, None, "bench",
        )))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTPS client"),
        )
        .build()
}

/// A plain aws-sdk-s3 client pinned to `region`'s endpoint: what a user who knows the region has.
pub fn raw_client(sdk: &SdkConfig, region: &str, endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub fn multi_client(sdk: &SdkConfig, endpoint_map: &str) -> MultiRegionClient {
    MultiRegionClient::builder(sdk)
        .endpoint_map(endpoint_map.parse().expect("endpoint map"))
        .build()
        .expect("client")
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// A private redis-server on a free port, if one is installed.
pub fn start_redis() -> Option<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("redis://127.0.0.1:{port}/0")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A moto server (a Python stand-in for DynamoDB) on a free port, if `moto_server` is installed.
pub fn start_moto() -> Option<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("http://127.0.0.1:{port}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
