//! Shared cache tiers against real backends: a SQLite file shared by two OS processes, a real
//! redis-server (started by scripts/test.sh, plus private ones for fault tests), poisoned entries,
//! a corrupt file, Redis stopped and restarted mid-run, TTLs.

#![cfg(all(feature = "file-cache", feature = "redis"))]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_types::SdkConfig;
use common::{PrivateRedis, R0, R1, world};
use s3_multi_region::{
    BucketRegionCache, FileCache, MultiRegionClient, RedisCache, shared_cache_from_url,
};

/// The Redis that scripts/test.sh starts for the suite.
fn suite_redis_url() -> String {
    std::env::var("S3MR_TEST_REDIS_URL")
        .expect("S3MR_TEST_REDIS_URL is not set: run ./scripts/test.sh, which installs and starts redis-server")
}

/// Runs `child_process_one_get` in a new OS process of this test binary (awaited, so the
/// emulator on this test's runtime keeps serving).
async fn run_child(endpoints: &str, keys: (&str, &str), cache_url: &str, bucket: &str) {
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process_one_get",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("S3MR_CHILD_ENDPOINTS", endpoints)
        .env("S3MR_CHILD_ACCESS_KEY", keys.0)
        .env("S3MR_CHILD_SECRET_KEY", keys.1)
        .env("S3MR_CHILD_CACHE", cache_url)
        .env("S3MR_CHILD_BUCKET", bucket)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("child: got 5 bytes"), "{stdout}");
}

/// Not a test of its own: the second OS process of the two-process tests (run by `run_child`).
#[tokio::test]
#[ignore = "run as a child process by the two-process tests"]
async fn child_process_one_get() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent test"))
    };
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R0))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            var("S3MR_CHILD_ACCESS_KEY"),
            var("S3MR_CHILD_SECRET_KEY"),
            None,
            None,
            "child",
        )))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTPS client"),
        )
        .build();
    let mut builder =
        MultiRegionClient::builder(&sdk).endpoint_map(var("S3MR_CHILD_ENDPOINTS").parse().unwrap());
    if let Some(shared) = shared_cache_from_url(&var("S3MR_CHILD_CACHE")).unwrap() {
        builder = builder.shared_cache(shared);
    }
    let client = builder.build().unwrap();
    let got = client
        .get_object()
        .bucket(var("S3MR_CHILD_BUCKET"))
        .key("k")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    client.flush_cache_writes().await;
    println!("child: got {} bytes", body.len());
}

async fn two_processes_share(cache_url: &str) {
    let w = world().await;
    w.bucket_with_object("two-procs", R1, "k", b"hello").await;
    let endpoints = w.emu.endpoint_map();
    run_child(&endpoints, w.emu.credentials(), cache_url, "two-procs").await;
    assert_eq!(
        w.requests(),
        (1, 1, 0),
        "the first process pays the redirect"
    );
    run_child(&endpoints, w.emu.credentials(), cache_url, "two-procs").await;
    assert_eq!(
        w.requests(),
        (1, 2, 0),
        "the second process's first call is one request"
    );
}

#[tokio::test]
async fn two_processes_share_the_file_cache() {
    let dir = tempfile::tempdir().unwrap();
    two_processes_share(&format!(
        "file://{}",
        dir.path().join("regions.db").display()
    ))
    .await;
}

#[tokio::test]
async fn two_processes_share_the_redis_cache() {
    two_processes_share(&suite_redis_url()).await;
}

#[tokio::test]
async fn a_corrupt_cache_file_never_fails_a_request() {
    let w = world().await;
    w.bucket_with_object("corrupt", R1, "k", b"hello").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regions.db");
    std::fs::write(&path, b"this is not a database, it is garbage ".repeat(200)).unwrap();
    let cache = Arc::new(FileCache::open(&path).unwrap());
    let client = w.builder().shared_cache(cache.clone()).build().unwrap();
    client
        .get_object()
        .bucket("corrupt")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(w.requests(), (1, 1, 0));
    client.flush_cache_writes().await;
    let scope = client.cache_scope().to_owned();
    assert_eq!(
        cache.get(&scope, "corrupt").await.unwrap().as_deref(),
        Some(R1),
        "recreated and written"
    );
}

#[tokio::test]
async fn a_poisoned_redis_value_is_ignored_and_replaced() {
    let w = world().await;
    w.bucket_with_object("poisoned", R1, "k", b"hello").await;
    let redis = Arc::new(RedisCache::open(&suite_redis_url()).unwrap());
    let client = w.builder().shared_cache(redis.clone()).build().unwrap();
    let scope = client.cache_scope().to_owned();
    redis
        .put_raw(&scope, "poisoned", "evil.example.com/x")
        .await
        .unwrap();

    client
        .get_object()
        .bucket("poisoned")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.requests(),
        (1, 1, 0),
        "no request to the planted host: default region, then the redirect"
    );
    client.flush_cache_writes().await;
    assert_eq!(
        redis.get(&scope, "poisoned").await.unwrap().as_deref(),
        Some(R1)
    );

    // A planted region of another partition is refused the same way.
    redis
        .put_raw(&scope, "poisoned-cn", "cn-north-1")
        .await
        .unwrap();
    w.bucket_with_object("poisoned-cn", R1, "k", b"hello").await;
    client
        .get_object()
        .bucket("poisoned-cn")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(w.requests(), (1, 1, 0));
}

#[tokio::test]
async fn redis_entries_expire() {
    let redis = RedisCache::with_settings(
        &suite_redis_url(),
        Duration::from_millis(200),
        Duration::from_secs(1),
    )
    .unwrap();
    let scope = format!("ttl-test-{}", std::process::id());
    redis.put(&scope, "b", R1).await.unwrap();
    assert_eq!(redis.get(&scope, "b").await.unwrap().as_deref(), Some(R1));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(redis.get(&scope, "b").await.unwrap(), None);
}

#[tokio::test]
async fn redis_stopped_mid_run_fails_no_request_and_is_used_again_when_back() {
    let w = world().await;
    for i in 0..6 {
        w.bucket_with_object(&format!("fleet-{i}"), R1, "k", b"hello")
            .await;
    }
    let mut server = PrivateRedis::start();
    let redis = Arc::new(RedisCache::open(&server.url()).unwrap());
    let client = w.builder().shared_cache(redis.clone()).build().unwrap();
    let scope = client.cache_scope().to_owned();

    client
        .get_object()
        .bucket("fleet-0")
        .key("k")
        .send()
        .await
        .unwrap();
    client.flush_cache_writes().await;
    assert_eq!(
        redis.get(&scope, "fleet-0").await.unwrap().as_deref(),
        Some(R1)
    );

    server.stop();
    for i in 0..4 {
        // Cold buckets: the shared tier is asked and fails; cached ones: it is not asked.
        client
            .get_object()
            .bucket(format!("fleet-{i}"))
            .key("k")
            .send()
            .await
            .unwrap();
        client
            .get_object()
            .bucket(format!("fleet-{i}"))
            .key("k")
            .send()
            .await
            .unwrap();
    }
    client.flush_cache_writes().await;
    assert_eq!(
        client.stats().redirects,
        4,
        "every bucket's region was still learned, in memory"
    );

    let server = PrivateRedis::start_on(server.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        client
            .get_object()
            .bucket("fleet-5")
            .key("k")
            .send()
            .await
            .unwrap();
        client.flush_cache_writes().await;
        if redis.get(&scope, "fleet-5").await.ok().flatten().as_deref() == Some(R1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cache reconnected to the restarted Redis"
        );
        client.memory_cache().invalidate(&scope, "fleet-5");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);
}

#[test]
fn cache_urls() {
    assert!(shared_cache_from_url("memory").unwrap().is_none());
    assert!(
        shared_cache_from_url("redis://127.0.0.1:6390/0")
            .unwrap()
            .is_some()
    );
    let dir = tempfile::tempdir().unwrap();
    assert!(
        shared_cache_from_url(&format!("file://{}/c.db", dir.path().display()))
            .unwrap()
            .is_some()
    );
    for bad in [
        "",
        "file://relative/path.db",
        "http://example.com",
        "memcached://x",
    ] {
        assert!(shared_cache_from_url(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn one_process_at_a_time_claims_a_discovery_in_redis() {
    let server = PrivateRedis::start();
    let (first, second) = (
        RedisCache::open(&server.url()).unwrap(),
        RedisCache::open(&server.url()).unwrap(),
    );
    let ttl = Duration::from_millis(300);
    assert!(first.claim_discovery("aws", "b", ttl).await.unwrap());
    assert!(!second.claim_discovery("aws", "b", ttl).await.unwrap());
    assert!(second.claim_discovery("aws", "c", ttl).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        second.claim_discovery("aws", "b", ttl).await.unwrap(),
        "claims lapse"
    );
    assert_eq!(
        first.entries().await.unwrap(),
        Some(0),
        "claims are not entries"
    );
}
