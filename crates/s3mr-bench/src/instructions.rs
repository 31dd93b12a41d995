//! `s3mr-bench instructions raw|multi|adapter|native N`: N warm 4 KiB GETs, one at a time, from
//! one client, with the emulator in a child process. Run under `valgrind --tool=callgrind`
//! (which does not follow the child), the difference between two values of N gives the client's
//! instructions per GET, free of the timing noise that hides a 1% difference on a shared 2-core
//! machine; run under `perf record` it gives a flame graph per client.
//! `scripts/instructions.sh` and `scripts/profile.sh` do this for every client:
//! - `raw`: aws-sdk-s3 pinned to the bucket's region;
//! - `multi`: the multi-region client (default us-east-1, warmed);
//! - `adapter`: the object_store adapter (`MultiRegionStore`) over the multi-region client;
//! - `native`: object_store's own `AmazonS3` pinned to the bucket's region (reqwest).
//!
//! `adapter-list` and `native-list` list a 1 000-key prefix (one ListObjectsV2 page) N times
//! instead: where a listing's client CPU goes (`scripts/instructions.sh list`).

use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::setup::{R1, multi_client, raw_client};
use crate::transfer::child_emulator;

const BUCKET: &str = "transfer";
const KEY: &str = "4k";
const SIZE: usize = 4096;
/// Keys under `listed/` for the listing variants: one ListObjectsV2 page.
const LISTED: usize = 1000;

pub async fn run(args: &[String]) {
    let [which, count] = args else {
        panic!("instructions raw|multi|adapter|native|adapter-list|native-list N");
    };
    let count: usize = count.parse().expect("N");
    // scripts/profile.sh keeps perf's samples of this process only (the emulator is a child).
    println!("pid {}", std::process::id());
    let (mut child, sdk, endpoint_map, endpoint_r1) = child_emulator().await;
    let raw = raw_client(&sdk, R1, &endpoint_r1);
    let put = raw.put_object().bucket(BUCKET).key(KEY);
    put.body(ByteStream::from(vec![7u8; SIZE]))
        .send()
        .await
        .expect("seed");
    if which.ends_with("-list") {
        futures::stream::iter(0..LISTED)
            .map(|i| {
                let put = raw
                    .put_object()
                    .bucket(BUCKET)
                    .key(format!("listed/{i:04}"));
                async move { put.body(ByteStream::from_static(b"x")).send().await }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await
            .expect("seed the listing");
    }
    // Warm: connections, and the multi-region client's cache (20 GETs before the N counted).
    let gets = 20 + count;
    match which.as_str() {
        "adapter-list" => {
            let store = s3_multi_region_object_store::MultiRegionStore::new(
                multi_client(&sdk, &endpoint_map),
                BUCKET,
            )
            .expect("store");
            store_lists(&store, 2 + count).await;
        }
        "native-list" => store_lists(&native_store(&endpoint_r1), 2 + count).await,
        "raw" => sdk_gets(&raw, gets).await,
        "multi" => sdk_gets(multi_client(&sdk, &endpoint_map).s3(), gets).await,
        "adapter" => {
            let store = s3_multi_region_object_store::MultiRegionStore::new(
                multi_client(&sdk, &endpoint_map),
                BUCKET,
            )
            .expect("store");
            store_gets(&store, gets).await;
        }
        "native" => store_gets(&native_store(&endpoint_r1), gets).await,
        other => panic!("raw, multi, adapter, native, adapter-list or native-list, not {other}"),
    }
    drop(child.stdin.take());
    let _ = child.wait().await;
}

fn native_store(endpoint: &str) -> object_store::aws::AmazonS3 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region(R1)
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_access_key_id(s3mr_emulator::DEFAULT_ACCESS_KEY)
        .with_secret_access_key(s3mr_emulator::DEFAULT_SECRET_KEY)
        .build()
        .expect("native AmazonS3")
}

async fn store_lists(store: &dyn ObjectStore, lists: usize) {
    let prefix = Path::from("listed");
    for _ in 0..lists {
        let listed: Vec<_> = store.list(Some(&prefix)).try_collect().await.expect("list");
        assert_eq!(listed.len(), LISTED);
    }
}

async fn sdk_gets(client: &aws_sdk_s3::Client, gets: usize) {
    for _ in 0..gets {
        let out = client.get_object().bucket(BUCKET).key(KEY).send().await;
        let body = out.expect("GET").body.collect().await.expect("body");
        assert_eq!(body.into_bytes().len(), SIZE);
    }
}

async fn store_gets(store: &dyn ObjectStore, gets: usize) {
    let path = Path::from(KEY);
    for _ in 0..gets {
        let body = store.get(&path).await.expect("GET").bytes().await;
        assert_eq!(body.expect("body").len(), SIZE);
    }
}
