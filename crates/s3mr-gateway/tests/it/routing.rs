//! What the gateway costs in requests: a cold upload learns the bucket's region before any body
//! byte leaves (0 body bytes to a wrong region), and a warm client request is exactly one
//! upstream request.

use crate::common;

use crate::common::{R0, R1, R2, WRITER, World};

#[tokio::test]
async fn a_cold_upload_sends_no_body_byte_to_a_wrong_region() {
    let world = World::start(false).await;
    let body = vec![9u8; 2 * 1024 * 1024];
    world
        .sdk_client(WRITER)
        .put_object()
        .bucket("gw-apac")
        .key("cold.bin")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let c = world.emu.counters();
    assert_eq!(
        (c.body_bytes(R0), c.body_bytes(R1)),
        (0, 0),
        "no body byte elsewhere"
    );
    assert!(c.body_bytes(R2) >= body.len() as u64);
    // One probe where the client defaults (us-east-1), then the PUT where the bucket lives.
    assert_eq!(world.bucket_requests("gw-apac"), (1, 0, 1));
    let got = world
        .sdk_client(WRITER)
        .get_object()
        .bucket("gw-apac")
        .key("cold.bin")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(got.as_ref(), body.as_slice());
    assert_eq!(
        world.bucket_requests("gw-apac"),
        (1, 0, 2),
        "the GET went straight there"
    );
}

#[tokio::test]
async fn a_warm_request_is_one_upstream_request() {
    let world = World::start(true).await;
    let client = world.sdk_client(WRITER);
    for (bucket, _) in common::BUCKETS {
        client
            .put_object()
            .bucket(bucket)
            .key("warm.txt")
            .body(b"warm".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    world.emu.reset_counters();
    for _ in 0..10 {
        for (bucket, _) in common::BUCKETS {
            client
                .get_object()
                .bucket(bucket)
                .key("warm.txt")
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(world.forwarded(), 30);
    assert_eq!(world.bucket_requests("gw-euro"), (0, 10, 0));
}
