//! Scenario 8: the object_store adapter (`MultiRegionStore`, client default us-east-1, warmed)
//! beside object_store's native `AmazonS3` pinned to the bucket's region, same emulator, same
//! run. Each round runs both stores, the one going first alternating by round; each figure is
//! reported as both stores' rates, the median of per-round ratios (ours ÷ native) and the ratio
//! of totals. Then what the native store cannot do: the same read with it built for us-east-1.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_types::SdkConfig;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use s3_multi_region_object_store::MultiRegionStore;
use s3mr_emulator::Emulator;

use crate::setup::{R0, R1, figure, median, multi_client};

const BUCKET: &str = "bench-os";
const MIB: usize = 1024 * 1024;
const BIG: usize = 256 * MIB;
const PART: usize = 8 * MIB;
/// Parts in flight for the multipart put, the same for both stores.
const PARTS_IN_FLIGHT: usize = 4;
const LISTED_KEYS: usize = 10_000;

fn native_store(emu: &Emulator, region: &str) -> Arc<dyn ObjectStore> {
    // reqwest is built without a TLS provider of its own (see Cargo.toml): give it ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (access_key, secret_key) = emu.credentials();
    Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_region(region)
            .with_endpoint(emu.endpoint(region))
            .with_allow_http(true)
            .with_access_key_id(access_key)
            .with_secret_access_key(secret_key)
            .build()
            .expect("native AmazonS3"),
    )
}

/// Runs `op` on both stores for `rounds` rounds, alternating who goes first; `units` is what one
/// call of `op` moves (requests, MiB, keys). Prints both rates and both ratios.
async fn side_by_side<F, Fut>(
    name: &str,
    unit: &str,
    rounds: usize,
    units: f64,
    ours: &Arc<dyn ObjectStore>,
    native: &Arc<dyn ObjectStore>,
    op: F,
) where
    F: Fn(Arc<dyn ObjectStore>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // One untimed call each first: whatever the emulator builds on a first call (a listing's
    // sorted index) is not paid by whichever store happens to go first in round 0.
    op(Arc::clone(ours)).await;
    op(Arc::clone(native)).await;
    let (mut ours_total, mut native_total) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let mut timed = [Duration::ZERO; 2];
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for who in order {
            let store = if who == 0 { ours } else { native };
            let started = Instant::now();
            op(Arc::clone(store)).await;
            timed[who] = started.elapsed();
        }
        ours_total += timed[0];
        native_total += timed[1];
        ratios.push(timed[1].as_secs_f64() / timed[0].as_secs_f64());
    }
    let rate = |d: Duration| units * rounds as f64 / d.as_secs_f64();
    figure(
        &format!("os_{name}_ours"),
        format!("{:.1}", rate(ours_total)),
        unit,
    );
    figure(
        &format!("os_{name}_native"),
        format!("{:.1}", rate(native_total)),
        unit,
    );
    figure(
        &format!("os_{name}_ratio_median"),
        format!("{:.3}", median(ratios)),
        "ours/native",
    );
    figure(
        &format!("os_{name}_ratio_totals"),
        format!(
            "{:.3}",
            native_total.as_secs_f64() / ours_total.as_secs_f64()
        ),
        "ours/native",
    );
}

/// `s3mr-bench objstore`: scenario 8 alone, on an emulator of its own.
pub async fn alone() {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .expect("emulator");
    let (access_key, secret_key) = emu.credentials();
    against_native(&emu, &crate::setup::sdk(access_key, secret_key)).await;
}

pub async fn against_native(emu: &Emulator, sdk: &SdkConfig) {
    emu.seed_bucket(BUCKET, R1).expect("seed");
    let client = multi_client(sdk, &emu.endpoint_map());
    let ours: Arc<dyn ObjectStore> =
        Arc::new(MultiRegionStore::new(client.clone(), BUCKET).expect("store"));
    let native = native_store(emu, R1);

    // Fixtures, written through our store (which warms its region cache on the way).
    let small = Path::from("4k");
    ours.put(&small, vec![7u8; 4096].into()).await.expect("4k");
    let big = Path::from("256m");
    let mut upload =
        WriteMultipart::new_with_chunk_size(ours.put_multipart(&big).await.expect("upload"), PART);
    upload.write(&vec![1u8; BIG]);
    upload.finish().await.expect("256 MiB");
    futures::stream::iter(0..LISTED_KEYS)
        .map(|i| {
            let ours = Arc::clone(&ours);
            async move {
                let key = Path::from(format!("listed/{i:05}"));
                ours.put(&key, bytes::Bytes::new().into()).await
            }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .expect("10 000 keys");

    // Where a small request's cost lies: the same adapter over an aws-sdk-s3 client pinned to
    // eu-west-1 with routing off, against the native store too.
    let pinned_sdk = sdk
        .to_builder()
        .region(aws_types::region::Region::new(R1))
        .build();
    let unrouted: Arc<dyn ObjectStore> = Arc::new(
        MultiRegionStore::new(
            s3_multi_region::MultiRegionClient::builder(&pinned_sdk)
                .endpoint_map(emu.endpoint_map().parse().expect("map"))
                .routing(false)
                .build()
                .expect("client"),
            BUCKET,
        )
        .expect("store"),
    );
    const GETS: usize = 300;
    let get_4k = |s: Arc<dyn ObjectStore>| {
        let small = small.clone();
        async move {
            for _ in 0..GETS {
                let got = s
                    .get(&small)
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("body");
                assert_eq!(got.len(), 4096);
            }
        }
    };
    side_by_side("get_4k", "req/s", 7, GETS as f64, &ours, &native, get_4k).await;
    side_by_side(
        "get_4k_sdk_unrouted",
        "req/s",
        7,
        GETS as f64,
        &unrouted,
        &native,
        get_4k,
    )
    .await;

    const PUTS: usize = 200;
    let put_4k = |s: Arc<dyn ObjectStore>| async move {
        for i in 0..PUTS {
            let key = Path::from(format!("put/{}", i % 10));
            s.put(&key, vec![3u8; 4096].into()).await.expect("put");
        }
    };
    side_by_side("put_4k", "req/s", 7, PUTS as f64, &ours, &native, put_4k).await;
    side_by_side(
        "put_4k_sdk_unrouted",
        "req/s",
        7,
        PUTS as f64,
        &unrouted,
        &native,
        put_4k,
    )
    .await;

    side_by_side(
        "list_10k",
        "keys/s",
        5,
        LISTED_KEYS as f64,
        &ours,
        &native,
        |s| async move {
            let listed: Vec<_> = s
                .list(Some(&Path::from("listed")))
                .try_collect()
                .await
                .expect("list");
            assert_eq!(listed.len(), LISTED_KEYS);
        },
    )
    .await;

    side_by_side(
        "get_256m",
        "MiB/s",
        3,
        (BIG / MIB) as f64,
        &ours,
        &native,
        |s| {
            let big = big.clone();
            async move {
                let mut body = s.get(&big).await.expect("get").into_stream();
                let mut read = 0;
                while let Some(chunk) = body.next().await {
                    read += chunk.expect("chunk").len();
                }
                assert_eq!(read, BIG);
            }
        },
    )
    .await;

    let data = bytes::Bytes::from(vec![5u8; BIG]);
    side_by_side(
        "put_256m_multipart",
        "MiB/s",
        3,
        (BIG / MIB) as f64,
        &ours,
        &native,
        |s| {
            let data = data.clone();
            async move {
                let upload = s
                    .put_multipart(&Path::from("put/256m"))
                    .await
                    .expect("upload");
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
                for part in data.chunks(PART) {
                    writer
                        .wait_for_capacity(PARTS_IN_FLIGHT)
                        .await
                        .expect("capacity");
                    writer.put(data.slice_ref(part));
                }
                writer.finish().await.expect("finish");
            }
        },
    )
    .await;

    // What the native store cannot do: built for us-east-1, the bucket is in eu-west-1.
    let wrong = native_store(emu, R0);
    let failed = wrong.get(&small).await.err().map(|e| e.to_string());
    figure(
        "os_native_wrong_region_get",
        match &failed {
            Some(_) => "fails",
            None => "succeeds",
        },
        "",
    );
    if let Some(text) = failed {
        eprintln!("native AmazonS3 (us-east-1) on a eu-west-1 bucket: {text}");
    }
    // Ours, a new client defaulting to us-east-1: one redirect, then every call goes straight.
    let fresh =
        MultiRegionStore::new(multi_client(sdk, &emu.endpoint_map()), BUCKET).expect("store");
    emu.reset_counters();
    for _ in 0..10 {
        fresh
            .get(&small)
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
    }
    let c = emu.counters();
    figure(
        "os_ours_cold_10_gets_requests",
        format!("{}+{}", c.requests(R0), c.requests(R1)),
        "us-east-1+eu-west-1",
    );
    figure(
        "os_ours_cold_redirects",
        fresh.client().stats().redirects,
        "",
    );
}
