//! Cold writes cost no more requests than the peers (botocore, Java v2): a small replayable body
//! goes straight to the best-known region and follows a wrong-region answer like any other
//! operation; larger, unknown-length and one-shot bodies learn the region first, so none of their
//! bytes reach a wrong region. Client default us-east-1 (R0), cold cache, exact counts per region.

use crate::common;

use crate::common::{R0, R1, world};
use aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;
use tokio::io::AsyncWriteExt;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// What reached R0, by method, and the bytes read from its sockets.
fn at_r0(w: &common::World) -> (u64, u64, u64, u64) {
    let c = w.emu.counters();
    (
        c.requests_by_method(R0, "PUT"),
        c.requests_by_method(R0, "HEAD"),
        c.requests_by_method(R0, "POST"),
        c.wire_bytes_in(R0),
    )
}

async fn put(client: &s3_multi_region::MultiRegionClient, bucket: &str, body: ByteStream) {
    client
        .put_object()
        .bucket(bucket)
        .key("k")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{bucket}: {e:?}"));
}

#[tokio::test]
async fn a_small_put_to_a_bucket_in_the_clients_region_is_one_request() {
    let w = world().await;
    w.emu.seed_bucket("cw-home", R0).unwrap();
    put(&w.client(), "cw-home", ByteStream::from(vec![1u8; KIB])).await;
    assert_eq!(w.requests(), (1, 0, 0));
    assert_eq!(at_r0(&w).0, 1, "the PUT itself, no HeadBucket");

    // `direct_body_limit(0)`: every body waits for the region, as before.
    w.emu.seed_bucket("cw-always-probe", R0).unwrap();
    w.emu.reset_counters();
    let careful = w.builder().direct_body_limit(0).build().unwrap();
    put(
        &careful,
        "cw-always-probe",
        ByteStream::from(vec![1u8; KIB]),
    )
    .await;
    assert_eq!(w.requests(), (2, 0, 0));
    assert_eq!(at_r0(&w).1, 1, "HeadBucket, then the PUT");
}

#[tokio::test]
async fn a_small_put_to_another_region_is_sent_twice_and_lands_once() {
    let w = world().await;
    w.emu.seed_bucket("cw-away", R1).unwrap();
    let body: Vec<u8> = (0..KIB as u32).map(|i| (i % 251) as u8).collect();
    put(&w.client(), "cw-away", ByteStream::from(body.clone())).await;
    assert_eq!(w.requests(), (1, 1, 0));
    let (puts, heads, _, wire) = at_r0(&w);
    assert_eq!(
        (puts, heads),
        (1, 0),
        "the PUT went first, and was answered 301"
    );
    assert!(
        wire < (KIB + 2 * KIB) as u64,
        "at most the 1 KiB body and headers at R0: {wire}"
    );
    let got = w
        .direct(R1)
        .get_object()
        .bucket("cw-away")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        common::body_of(got).await,
        body,
        "re-sent whole from the replayable copy"
    );
}

#[tokio::test]
async fn larger_unknown_length_and_one_shot_bodies_wait_for_the_region() {
    let w = world().await;
    w.emu.seed_bucket("cw-large", R1).unwrap();
    put(
        &w.client(),
        "cw-large",
        ByteStream::from(vec![7u8; MIB + 1]),
    )
    .await;
    assert_eq!(w.requests(), (1, 1, 0));
    let (puts, heads, _, wire) = at_r0(&w);
    assert_eq!((puts, heads), (0, 1), "HeadBucket first: no body to R0");
    assert!(wire < 2 * KIB as u64, "{wire}");

    // A small one-shot stream could not be sent twice: it waits too.
    w.emu.seed_bucket("cw-stream", R1).unwrap();
    w.emu.reset_counters();
    put(&w.client(), "cw-stream", common::one_shot(vec![3u8; KIB])).await;
    assert_eq!(w.requests(), (1, 1, 0));
    let (puts, heads, _, wire) = at_r0(&w);
    assert_eq!((puts, heads), (0, 1));
    assert!(wire < 2 * KIB as u64, "{wire}");
}

#[tokio::test]
async fn a_streamed_multipart_write_needs_no_probe() {
    let w = world().await;
    w.emu.seed_bucket("cw-multipart", R1).unwrap();
    let fs = S3Fs::new(w.client());
    let url: S3Url = "s3://cw-multipart/big.bin".parse().unwrap();
    let data: Vec<u8> = (0..64 * MIB as u32).map(|i| (i % 241) as u8).collect();
    let mut writer = fs.create(&url).unwrap();
    writer.write_all(&data).await.unwrap();
    writer.shutdown().await.unwrap();
    let c = w.emu.counters();
    // CreateMultipartUpload (no body) at R0 answers 301; it, the parts and the completion then
    // go to R1. 8 MiB parts: 8 of them.
    let (puts, heads, posts, _) = at_r0(&w);
    assert_eq!(
        (puts, heads, posts),
        (0, 0, 1),
        "R0: the create's 301 only, no HeadBucket"
    );
    assert_eq!(c.requests(R0), 1);
    assert_eq!(c.requests_by_method(R1, "POST"), 2, "create + complete");
    assert_eq!(c.requests_by_method(R1, "PUT"), 8, "parts");
    assert_eq!(c.body_bytes(R0), 0);
    assert!(
        c.wire_bytes_in(R0) < 2 * KIB as u64,
        "{}",
        c.wire_bytes_in(R0)
    );
    let got = w
        .direct(R1)
        .get_object()
        .bucket("cw-multipart")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert!(common::body_of(got).await == data);
}

#[tokio::test]
async fn sixteen_concurrent_small_puts_share_one_wrong_region_answer() {
    let w = world().await;
    w.emu.seed_bucket("cw-many", R1).unwrap();
    let client = w.client();
    let puts = (0..16).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .put_object()
                .bucket("cw-many")
                .key(format!("k{i}"))
                .body(ByteStream::from(vec![i as u8; KIB]))
                .send()
                .await
                .map(|_| ())
        })
    });
    for put in puts.collect::<Vec<_>>() {
        put.await.unwrap().unwrap();
    }
    assert_eq!(
        w.requests(),
        (1, 16, 0),
        "the pioneer's 301, then sixteen PUTs in R1"
    );
    let (puts, heads, _, _) = at_r0(&w);
    assert_eq!((puts, heads), (1, 0));
}
