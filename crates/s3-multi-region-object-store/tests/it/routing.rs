//! What the adapter adds to object_store: buckets in other regions cost one redirect, once per
//! client, never an error; stores and registry share one client. Exact request counts per region
//! (us-east-1, eu-west-1, ap-southeast-2).

use crate::common;

use std::sync::Arc;

use crate::common::{R1, R2, requests, world};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::registry::ObjectStoreRegistry;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use s3_multi_region_object_store::{MultiRegionRegistry, MultiRegionStore};

#[tokio::test]
async fn a_cold_bucket_costs_one_redirect_once_per_client() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-euro", R1).unwrap();
    let store = MultiRegionStore::new(client.clone(), "os-euro").unwrap();

    // The first call: us-east-1 answers 301, eu-west-1 answers. Never an error.
    store.put(&Path::from("a.txt"), "a".into()).await.unwrap();
    assert_eq!(requests(&emu), (1, 1, 0), "first call: 2 requests");
    assert_eq!(emu.counters().answers_with_status(common::R0, 301), 1);

    // Every call after goes straight there, a second store on the same client too.
    let again = MultiRegionStore::new(client.clone(), "os-euro").unwrap();
    let got = again.get(&Path::from("a.txt")).await.unwrap().bytes().await;
    assert_eq!(got.unwrap(), "a");
    store.head(&Path::from("a.txt")).await.unwrap();
    let listed: Vec<_> = again.list(None).try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        requests(&emu),
        (1, 4, 0),
        "no discovery request after the first"
    );
    assert_eq!(client.stats().redirects, 1);
}

#[tokio::test]
async fn buckets_of_three_regions_through_one_registry() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-home", common::R0).unwrap();
    emu.seed_bucket("os-euro", R1).unwrap();
    emu.seed_bucket("os-sydney", R2).unwrap();
    let registry = MultiRegionRegistry::new(client);

    for bucket in ["os-home", "os-euro", "os-sydney"] {
        let url = url::Url::parse(&format!("s3://{bucket}/t/part-0.parquet")).unwrap();
        let (store, path) = registry.resolve(&url).unwrap();
        assert_eq!(path, Path::from("t/part-0.parquet"));
        store
            .put(&path, PutPayload::from(bucket.as_bytes().to_vec()))
            .await
            .unwrap();
        let back = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(back, bucket.as_bytes());
    }
    // Home: 2 requests. Elsewhere: one 301 each, then 2 in the bucket's region.
    assert_eq!(requests(&emu), (2 + 1 + 1, 2, 2));

    // One store per bucket, kept; s3a:// too.
    let a = registry
        .resolve(&url::Url::parse("s3://os-euro/x").unwrap())
        .unwrap()
        .0;
    let b = registry
        .resolve(&url::Url::parse("s3a://os-euro/y").unwrap())
        .unwrap()
        .0;
    assert!(Arc::ptr_eq(&a, &b));

    // An explicit registration wins; other schemes and bad names are clear errors.
    let memory: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    registry.register(url::Url::parse("s3://os-euro").unwrap(), memory.clone());
    let c = registry
        .resolve(&url::Url::parse("s3://os-euro/z").unwrap())
        .unwrap()
        .0;
    assert!(Arc::ptr_eq(&c, &memory));
    for bad in ["gs://bucket/x", "s3://Not_A_Bucket/x"] {
        let err = registry
            .resolve(&url::Url::parse(bad).unwrap())
            .unwrap_err();
        assert!(
            matches!(err, object_store::Error::Generic { .. }),
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn an_upload_dropped_unfinished_is_aborted() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-drop", R2).unwrap();
    let store = MultiRegionStore::new(client, "os-drop").unwrap();
    let mut upload = store.put_multipart(&Path::from("big.bin")).await.unwrap();
    upload
        .put_part(vec![7u8; 5 * 1024 * 1024].into())
        .await
        .unwrap();
    assert_eq!(emu.open_uploads(), 1);
    drop(upload);
    // The abort runs in the background: wait for it (bounded), then check nothing is left.
    for _ in 0..200 {
        if emu.open_uploads() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(emu.open_uploads(), 0, "the dropped upload was aborted");
    let err = store.head(&Path::from("big.bin")).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

/// object_store's own S3 store refuses to complete an upload with a part missing ("Missing
/// part"); completing around the hole would store a silently truncated object. A part that
/// failed, and a part never sent: both refused, the upload aborted, no object.
#[tokio::test]
async fn complete_with_a_missing_part_is_refused_and_aborts() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-holes", R2).unwrap();
    let store = MultiRegionStore::new(client, "os-holes").unwrap();
    for failed_part in [true, false] {
        let path = Path::from(format!("holed-{failed_part}.bin"));
        let mut upload = store.put_multipart(&path).await.unwrap();
        upload
            .put_part(vec![1u8; 5 * 1024 * 1024].into())
            .await
            .unwrap();
        let second = upload.put_part(vec![2u8; 5 * 1024 * 1024].into());
        if failed_part {
            // Every attempt of the second part fails (the SDK retries 500s three times).
            emu.inject(
                s3mr_emulator::Fault::new(s3mr_emulator::FaultKind::InternalError, 3)
                    .in_region(R2)
                    .for_method("PUT"),
            );
            assert!(second.await.is_err());
        } else {
            drop(second); // never polled: never sent
        }
        upload.put_part(vec![3u8; 1024].into()).await.unwrap();
        assert_eq!(emu.open_uploads(), 1);
        let err = upload.complete().await.unwrap_err();
        assert!(
            matches!(&err, object_store::Error::Generic { source, .. }
                if source.to_string().contains("Missing part")),
            "{err}"
        );
        assert_eq!(emu.open_uploads(), 0, "aborted");
        let head = store.head(&path).await.unwrap_err();
        assert!(
            matches!(head, object_store::Error::NotFound { .. }),
            "{head}"
        );
    }
}

#[tokio::test]
async fn list_with_offset_asks_s3_to_start_after_it() {
    use futures::StreamExt;
    let (emu, client) = world().await;
    emu.seed_bucket("os-offset", R1).unwrap();
    let store = MultiRegionStore::new(client, "os-offset").unwrap();
    // 1 003 keys: more than one page of 1 000.
    futures::stream::iter(0..1003)
        .map(|i| {
            let store = store.clone();
            async move {
                store
                    .put(&Path::from(format!("k/{i:04}")), "x".into())
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    emu.reset_counters();
    let after: Vec<_> = store
        .list_with_offset(Some(&Path::from("k")), &Path::from("k/1000"))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(after, ["k/1001", "k/1002"]);
    // One ListObjectsV2 with StartAfter; filtering a full listing would take two pages.
    assert_eq!(requests(&emu), (0, 1, 0));
}
