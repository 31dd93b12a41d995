//! What the adapter adds to object_store: buckets in other regions cost one redirect, once per
//! client, never an error; stores and registry share one client. Exact request counts per region
//! (us-east-1, eu-west-1, ap-southeast-2).

use crate::common;

use std::sync::Arc;

use crate::common::{R1, R2, requests, world};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::registry::ObjectStoreRegistry;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload,
};
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

/// `(answered on the light path, left to the SDK path)` so far.
fn light(client: &s3_multi_region::MultiRegionClient) -> (u64, u64) {
    let stats = client.stats();
    (stats.light_answered, stats.light_fallbacks)
}

/// Once the bucket's region is learned, GETs and PUTs take the light path (signed and sent
/// without the SDK's orchestrator): one request each at the bucket's region, every signature
/// accepted, and the same answers object_store's suite expects of the SDK path — attributes,
/// ranges, conditional GETs, a missing key.
#[tokio::test]
async fn warm_gets_and_puts_take_the_light_path_with_the_same_answers() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-light", R1).unwrap();
    let store = MultiRegionStore::new(client.clone(), "os-light").unwrap();
    let key = Path::from("a b/ü+=&?.txt");

    // Cold: the light path does not know the region; the SDK path learns it (us-east-1's 301).
    store
        .put(&key, PutPayload::from_static(b"0123456789"))
        .await
        .unwrap();
    assert_eq!(requests(&emu), (1, 1, 0));
    assert_eq!(
        light(&client),
        (0, 1),
        "region unknown: left to the SDK path"
    );

    // Warm: seven calls, seven requests at eu-west-1, all on the light path.
    let attributes = Attributes::from_iter([
        (Attribute::ContentType, "text/csv"),
        (Attribute::CacheControl, "max-age=60"),
        (Attribute::Metadata("team".into()), "data"),
    ]);
    let csv = Path::from("t.csv");
    let put = store
        .put_opts(
            &csv,
            PutPayload::from_static(b"a,b\n1,2\n"),
            PutOptions {
                attributes: attributes.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let got = store.get(&csv).await.unwrap();
    assert_eq!(got.meta.e_tag, put.e_tag);
    assert_eq!((got.meta.size, got.range.clone()), (8, 0..8));
    assert_eq!(got.attributes, attributes);
    assert_eq!(got.bytes().await.unwrap(), "a,b\n1,2\n");
    assert_eq!(store.get_range(&key, 2..5).await.unwrap(), "234");
    let tail = store
        .get_opts(
            &key,
            GetOptions {
                range: Some(GetRange::Offset(6)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((tail.meta.size, tail.range.clone()), (10, 6..10));
    assert_eq!(tail.bytes().await.unwrap(), "6789");
    let unchanged = store
        .get_opts(
            &csv,
            GetOptions {
                if_none_match: put.e_tag.clone(),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(unchanged, Err(object_store::Error::NotModified { .. })),
        "{unchanged:?}"
    );
    let stale = store
        .get_opts(
            &csv,
            GetOptions {
                if_match: Some("\"not-the-etag\"".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(&stale, Err(object_store::Error::Precondition { source, .. })
            if source.to_string().contains("412 PreconditionFailed")),
        "{stale:?}"
    );
    let missing = store.get(&Path::from("missing")).await;
    assert!(
        matches!(&missing, Err(object_store::Error::NotFound { source, .. })
            if source.to_string().contains("404 NoSuchKey")),
        "{missing:?}"
    );
    assert_eq!(requests(&emu), (1, 1 + 7, 0), "one request per call");
    assert_eq!(light(&client), (7, 1), "every warm call on the light path");
    assert_eq!(
        emu.counters().answers_with_status(R1, 403),
        0,
        "every light-path signature accepted"
    );
    assert_eq!(client.stats().redirects, 1);
}

/// A bucket that moves after its region was learned: the light path hands its wrong-region
/// answer to the SDK path, which follows it — the caller gets the object, never a redirect —
/// and the next GET is light again, at the new region.
#[tokio::test]
async fn a_bucket_that_moves_is_followed_and_the_next_get_is_light_again() {
    let (emu, client) = world().await;
    emu.seed_bucket("os-moving", R1).unwrap();
    let store = MultiRegionStore::new(client.clone(), "os-moving").unwrap();
    let key = Path::from("k");
    store.put(&key, "before".into()).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().bytes().await.unwrap(),
        "before"
    );
    assert_eq!(light(&client), (1, 1));

    // Moved behind the client's back: emptied and deleted in eu-west-1, made in ap-southeast-2.
    let europe = s3mr_testkit::emulator_client(&emu, R1);
    europe
        .delete_object()
        .bucket("os-moving")
        .key("k")
        .send()
        .await
        .unwrap();
    europe
        .delete_bucket()
        .bucket("os-moving")
        .send()
        .await
        .unwrap();
    emu.seed_bucket("os-moving", R2).unwrap();
    s3mr_testkit::emulator_client(&emu, R2)
        .put_object()
        .bucket("os-moving")
        .key("k")
        .body(b"after".to_vec().into())
        .send()
        .await
        .unwrap();
    emu.reset_counters();

    assert_eq!(
        store.get(&key).await.unwrap().bytes().await.unwrap(),
        "after"
    );
    assert_eq!(
        requests(&emu),
        (0, 2, 1),
        "the light path's 301, the SDK path's try at the cached region (301), then the new one"
    );
    assert_eq!(emu.counters().answers_with_status(R1, 301), 2);
    assert_eq!(light(&client), (1, 2));
    assert_eq!(client.cached_region("os-moving").as_deref(), Some(R2));

    emu.reset_counters();
    assert_eq!(
        store.get(&key).await.unwrap().bytes().await.unwrap(),
        "after"
    );
    assert_eq!(requests(&emu), (0, 0, 1));
    assert_eq!(light(&client), (2, 2), "light again, at ap-southeast-2");
}
