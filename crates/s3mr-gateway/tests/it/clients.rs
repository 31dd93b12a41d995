//! Clients no one here wrote, each with its own documented endpoint settings, through the
//! gateway to buckets in three regions: put, get (whole and ranged), list, multipart, copy and
//! delete, byte-exact (`clients.py`). The emulator's counters then prove that every request
//! for a bucket reached that bucket's region and no other.

use crate::common;

use crate::common::{BUCKETS, World, run_client, run_client_at};

/// Every bucket's requests reached its region, and none reached another.
fn assert_each_bucket_in_its_region(world: &World, client: &str) {
    for (bucket, region) in BUCKETS {
        let (r0, r1, r2) = world.bucket_requests(bucket);
        let (own, others) = match region {
            common::R0 => (r0, r1 + r2),
            common::R1 => (r1, r0 + r2),
            _ => (r2, r0 + r1),
        };
        assert!(own > 0, "{client}: nothing reached {bucket} in {region}");
        assert_eq!(
            others,
            0,
            "{client}: {bucket} requests in other regions: {:?}",
            (r0, r1, r2)
        );
    }
}

async fn through_the_gateway(client: &str) {
    let world = World::start(true).await;
    run_client(&world, client).await;
    assert_each_bucket_in_its_region(&world, client);
    println!(
        "{client}: {:?}",
        BUCKETS.map(|(b, _)| world.bucket_requests(b))
    );
}

#[tokio::test]
async fn boto3() {
    through_the_gateway("boto3").await;
}

#[tokio::test]
async fn aws_cli() {
    through_the_gateway("aws-cli").await;
}

#[tokio::test]
async fn s3fs() {
    through_the_gateway("s3fs").await;
}

#[tokio::test]
async fn pyarrow() {
    through_the_gateway("pyarrow").await;
}

#[tokio::test]
async fn polars() {
    through_the_gateway("polars").await;
}

#[tokio::test]
async fn duckdb() {
    through_the_gateway("duckdb").await;
}

#[tokio::test]
async fn rclone() {
    through_the_gateway("rclone").await;
}

#[tokio::test]
async fn s3cmd() {
    through_the_gateway("s3cmd").await;
}

/// Over HTTPS botocore sends its CRC32 as an aws-chunked trailer: verified while streaming;
/// a wrong one is BadDigest and no object is created (clients.py rewrites it on the way out).
#[tokio::test]
async fn boto3_over_tls_with_checksum_trailers() {
    let world = World::start_tls().await;
    run_client(&world, "boto3-tls").await;
    for (bucket, region) in BUCKETS {
        let (r0, r1, r2) = world.bucket_requests(bucket);
        let others = match region {
            common::R0 => r1 + r2,
            common::R1 => r0 + r2,
            _ => r0 + r1,
        };
        assert_eq!(others, 0, "{bucket}: {:?}", (r0, r1, r2));
    }
}

/// Virtual-hosted addressing over TLS, as an operator deploys it: `--domain s3.gateway.test`
/// and a certificate for `*.s3.gateway.test` signed by the team's CA, which clients trust
/// through `AWS_CA_BUNDLE` (aws CLI) or `verify=` (boto3). A CA that did not sign it fails; a
/// Host under another domain is read path-style.
async fn virtual_hosted(client: &str) {
    const DOMAIN: &str = "s3.gateway.test";
    let world = World::start_vhost_tls(DOMAIN).await;
    let (dir, ca) = world.tls.as_ref().unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    let endpoint = format!("https://{DOMAIN}:{}", world.addr.port());
    run_client_at(
        &world,
        client,
        &endpoint,
        &[
            ("GATEWAY_DOMAIN", DOMAIN),
            ("GATEWAY_RESOLVE", &format!("{DOMAIN},other.test")),
            ("GATEWAY_CA", ca.to_str().unwrap()),
            ("GATEWAY_OTHER_CA", other_ca.to_str().unwrap()),
        ],
    )
    .await;
    assert_each_bucket_in_its_region(&world, client);
    assert_eq!(
        world
            .emu
            .counters()
            .requests_for_bucket(common::R0, "vhost"),
        0,
        "the other domain's path-style bucket was refused before forwarding"
    );
}

#[tokio::test]
async fn boto3_virtual_hosted_over_tls() {
    virtual_hosted("boto3-vhost").await;
}

#[tokio::test]
async fn aws_cli_virtual_hosted_over_tls() {
    virtual_hosted("aws-cli-vhost").await;
}
