//! The emulator with us-east-1 (the client's default), eu-west-1 and ap-southeast-2, and a
//! multi-region client on it.

#![allow(dead_code)]

use s3_multi_region::MultiRegionClient;
use s3mr_emulator::Emulator;

pub(crate) const R0: &str = "us-east-1";
pub(crate) const R1: &str = "eu-west-1";
pub(crate) const R2: &str = "ap-southeast-2";

/// A fresh emulator and a client defaulting to us-east-1, routed by its endpoint map.
pub(crate) async fn world() -> (Emulator, MultiRegionClient) {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .region(R2)
        .start()
        .await
        .unwrap();
    let (ak, sk) = emu.credentials();
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(R0))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(ak, sk, None, None, "test"),
            ),
        )
        .http_client(s3_multi_region::http_client().unwrap())
        .build();
    let client = MultiRegionClient::builder(&sdk)
        .endpoint_map(emu.endpoint_map().parse().unwrap())
        .build()
        .unwrap();
    (emu, client)
}

/// Requests per region now, as `(us-east-1, eu-west-1, ap-southeast-2)`.
pub(crate) fn requests(emu: &Emulator) -> (u64, u64, u64) {
    let c = emu.counters();
    (c.requests(R0), c.requests(R1), c.requests(R2))
}
