//! Shared cache tiers against real backends: a SQLite file shared by two OS processes, a real
//! redis-server (started by scripts/test.sh, plus private ones for fault tests), poisoned entries,
//! a corrupt file, Redis stopped and restarted mid-run, TTLs.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{PrivateRedis, R0, R1, R2, body_of, world};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_types::SdkConfig;
use s3_multi_region::MultiRegionClient;
use s3_multi_region::cache::{
    BucketRegionCache, DynamoDbCache, FileCache, RedisCache, shared_cache_for,
    shared_cache_from_url,
};

/// The Redis that scripts/test.sh starts for the suite.
fn suite_redis_url() -> String {
    std::env::var("S3MR_TEST_REDIS_URL")
        .expect("S3MR_TEST_REDIS_URL is not set: run ./scripts/test.sh, which installs and starts redis-server")
}

/// Runs `child_process_one_get` in a new OS process of this test binary (awaited, so the
/// emulator on this test's runtime keeps serving).
async fn run_child(endpoints: &str, keys: (&str, &str), cache_url: &str, bucket: &str) {
    run_child_with(endpoints, keys, cache_url, bucket, 1).await;
}

/// `run_child` whose child sends `concurrent` GETs at once.
async fn run_child_with(
    endpoints: &str,
    keys: (&str, &str),
    cache_url: &str,
    bucket: &str,
    concurrent: usize,
) {
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "shared_caches::child_process_one_get",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("S3MR_CHILD_ENDPOINTS", endpoints)
        .env("S3MR_CHILD_ACCESS_KEY", keys.0)
        .env("S3MR_CHILD_SECRET_KEY", keys.1)
        .env("S3MR_CHILD_CACHE", cache_url)
        .env("S3MR_CHILD_BUCKET", bucket)
        .env("S3MR_CHILD_CONCURRENT", concurrent.to_string())
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
    if let Some(shared) = shared_cache_for(&var("S3MR_CHILD_CACHE"), &sdk).unwrap() {
        builder = builder.shared_cache(shared);
    }
    let client = builder.build().unwrap();
    let concurrent: usize = var("S3MR_CHILD_CONCURRENT").parse().unwrap();
    let gets = (0..concurrent).map(|_| {
        let (client, bucket) = (client.clone(), var("S3MR_CHILD_BUCKET"));
        async move {
            let got = client
                .get_object()
                .bucket(bucket)
                .key("k")
                .send()
                .await
                .unwrap();
            got.body.collect().await.unwrap().into_bytes().len()
        }
    });
    let sizes = futures::future::join_all(gets).await;
    client.flush_cache_writes().await;
    println!("child: got {} bytes", sizes[0]);
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

    // The tier is read: a good value planted there saves the redirect (0,1,0).
    w.bucket_with_object("seeded", R1, "k", b"hello").await;
    redis.put_raw(&scope, "seeded", R1).await.unwrap();
    client
        .get_object()
        .bucket("seeded")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(w.requests(), (0, 1, 0), "the seeded value was used");
    assert_eq!(client.stats().shared_hits, 1);
    w.emu.reset_counters();

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
    client.flush_cache_writes().await;
    assert_eq!(
        redis.get(&scope, "poisoned-cn").await.unwrap().as_deref(),
        Some(R1),
        "the second planted value is replaced too"
    );
    assert_eq!(
        client.stats().shared_hits,
        1,
        "no poisoned value counted as a hit"
    );
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

/// A table of its own on the suite's moto (`S3MR_TEST_MOTO_URL`, started by scripts/test.sh),
/// with a call bound that leaves moto (a Python server) room; the table is created first.
async fn dynamodb_url(table: &str, sdk: &SdkConfig) -> String {
    let moto = std::env::var("S3MR_TEST_MOTO_URL")
        .expect("S3MR_TEST_MOTO_URL is not set: run ./scripts/test.sh, which starts moto_server");
    // A table per test process: the suite's moto outlives one `cargo test`.
    let table = format!("{table}-{}", std::process::id());
    let url = format!("dynamodb://{table}?region=us-east-1&timeout_ms=3000&endpoint={moto}");
    DynamoDbCache::from_url(&url, sdk)
        .unwrap()
        .create_table()
        .await
        .unwrap();
    url
}

#[tokio::test]
async fn two_processes_share_the_dynamodb_cache() {
    let w = world().await;
    let url = dynamodb_url("s3mr-two-procs", &w.sdk).await;
    two_processes_share(&url).await;
}

#[tokio::test]
async fn sixteen_cold_gets_in_each_of_two_processes_discover_once_through_dynamodb() {
    let w = world().await;
    w.bucket_with_object("ddb-herd", R1, "k", b"hello").await;
    let url = dynamodb_url("s3mr-herd", &w.sdk).await;
    let endpoints = w.emu.endpoint_map();
    let keys = w.emu.credentials();
    futures::future::join(
        run_child_with(&endpoints, keys, &url, "ddb-herd", 16),
        run_child_with(&endpoints, keys, &url, "ddb-herd", 16),
    )
    .await;
    let c = w.emu.counters();
    assert_eq!(
        c.answers_with_status(R0, 301),
        1,
        "one discovery in total across 32 cold GETs in two processes"
    );
    assert_eq!(c.requests(R1), 32);
}

#[tokio::test]
async fn dynamodb_items_expire_are_poisoned_and_get_replaced() {
    let w = world().await;
    for bucket in ["ddb-expired", "ddb-host", "ddb-long"] {
        w.bucket_with_object(bucket, R1, "k", b"hello").await;
    }
    let url = dynamodb_url("s3mr-items", &w.sdk).await;
    let short = DynamoDbCache::from_url(&url, &w.sdk)
        .unwrap()
        .with_settings(Duration::from_secs(3), Duration::from_secs(1));
    let client = w
        .builder()
        .shared_cache(Arc::new(DynamoDbCache::from_url(&url, &w.sdk).unwrap()))
        .build()
        .unwrap();
    let scope = client.cache_scope().to_owned();

    // Expired: a miss (moto, like DynamoDB for a while, still holds the item), then replaced.
    short
        .put(&scope, "ddb-expired", "ap-southeast-2")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(short.get(&scope, "ddb-expired").await.unwrap(), None);
    // Poisoned: a host name, and 300 characters.
    short
        .put_raw(&scope, "ddb-host", "evil.example.com/x")
        .await
        .unwrap();
    short
        .put_raw(&scope, "ddb-long", &"a".repeat(300))
        .await
        .unwrap();
    w.emu.reset_counters();
    for bucket in ["ddb-expired", "ddb-host", "ddb-long"] {
        client
            .get_object()
            .bucket(bucket)
            .key("k")
            .send()
            .await
            .unwrap();
    }
    client.flush_cache_writes().await;
    assert_eq!(
        w.requests(),
        (3, 3, 0),
        "each one redirect, no request to a poisoned host"
    );
    for bucket in ["ddb-expired", "ddb-host", "ddb-long"] {
        assert_eq!(
            short.get(&scope, bucket).await.unwrap().as_deref(),
            Some(R1),
            "{bucket}"
        );
    }
    // An older writer never overwrites a newer region (conditional on written_at): a value
    // written "a minute from now" (another host's clock) stays when this host writes now.
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        + Duration::from_secs(60);
    short
        .put_written_at(&scope, "ddb-host", "ap-southeast-2", later)
        .await
        .unwrap();
    short.put(&scope, "ddb-host", R1).await.unwrap();
    assert_eq!(
        short.get(&scope, "ddb-host").await.unwrap().as_deref(),
        Some("ap-southeast-2"),
        "the older write was refused"
    );
}

#[tokio::test]
async fn dynamodb_claims_let_one_process_discover() {
    let w = world().await;
    let url = dynamodb_url("s3mr-claims", &w.sdk).await;
    let first = DynamoDbCache::from_url(&url, &w.sdk).unwrap();
    let second = DynamoDbCache::from_url(&url, &w.sdk).unwrap();
    let ttl = Duration::from_millis(500);
    assert!(first.claim_discovery("aws", "b", ttl).await.unwrap());
    assert!(!second.claim_discovery("aws", "b", ttl).await.unwrap());
    assert!(second.claim_discovery("aws", "c", ttl).await.unwrap());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        second.claim_discovery("aws", "b", ttl).await.unwrap(),
        "claims lapse"
    );
    first.put("aws", "b", R1).await.unwrap();
    assert_eq!(
        first.entries().await.unwrap(),
        Some(1),
        "claims are not entries"
    );
    first.clear().await.unwrap();
    assert_eq!(first.entries().await.unwrap(), Some(0));
}

#[tokio::test]
async fn dynamodb_down_or_missing_never_fails_a_request() {
    let w = world().await;
    for i in 0..6 {
        w.bucket_with_object(&format!("ddb-fleet-{i}"), R1, "k", b"hello")
            .await;
    }
    let mut moto = common::PrivateMoto::start();
    let url = format!(
        "dynamodb://s3mr-fleet?region=us-east-1&timeout_ms=3000&endpoint={}",
        moto.url()
    );
    let cache = Arc::new(DynamoDbCache::from_url(&url, &w.sdk).unwrap());
    cache.create_table().await.unwrap();
    let client = w.builder().shared_cache(cache.clone()).build().unwrap();
    let scope = client.cache_scope().to_owned();
    client
        .get_object()
        .bucket("ddb-fleet-0")
        .key("k")
        .send()
        .await
        .unwrap();
    client.flush_cache_writes().await;
    assert_eq!(
        cache.get(&scope, "ddb-fleet-0").await.unwrap().as_deref(),
        Some(R1)
    );

    moto.stop();
    for i in 1..4 {
        client
            .get_object()
            .bucket(format!("ddb-fleet-{i}"))
            .key("k")
            .send()
            .await
            .unwrap();
        client
            .get_object()
            .bucket(format!("ddb-fleet-{i}"))
            .key("k")
            .send()
            .await
            .unwrap();
    }
    client.flush_cache_writes().await;
    assert_eq!(
        client.stats().redirects,
        4,
        "learned in memory while DynamoDB was down"
    );

    // Back (a new moto holds nothing: the table is made again, as an operator would).
    let moto = common::PrivateMoto::start_on(moto.port);
    cache.create_table().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        client
            .get_object()
            .bucket("ddb-fleet-5")
            .key("k")
            .send()
            .await
            .unwrap();
        client.flush_cache_writes().await;
        if cache
            .get(&scope, "ddb-fleet-5")
            .await
            .ok()
            .flatten()
            .as_deref()
            == Some(R1)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the tier is used again once DynamoDB is back"
        );
        client.memory_cache().invalidate(&scope, "ddb-fleet-5");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(moto);

    // A table that does not exist: a warning, and requests succeed.
    let missing = format!(
        "dynamodb://s3mr-no-such-table?region=us-east-1&timeout_ms=3000&endpoint={}",
        std::env::var("S3MR_TEST_MOTO_URL").unwrap()
    );
    let client = w
        .builder()
        .shared_cache(Arc::new(DynamoDbCache::from_url(&missing, &w.sdk).unwrap()))
        .build()
        .unwrap();
    w.emu.reset_counters();
    client
        .get_object()
        .bucket("ddb-fleet-4")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(w.requests(), (1, 1, 0));
}

/// A region in the shared tier that is valid but stale (the bucket was deleted and recreated
/// elsewhere) costs one wrong-region answer; the answer replaces it in both tiers, and the
/// re-sent attempt goes where S3 said, not back to the stale region.
#[tokio::test]
async fn a_stale_shared_region_costs_one_redirect_and_is_replaced() {
    let w = world().await;
    w.bucket_with_object("stale", R1, "k", b"moved").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(FileCache::open(dir.path().join("regions.db")).unwrap());
    let client = w.builder().shared_cache(cache.clone()).build().unwrap();
    let scope = client.cache_scope().to_owned();
    cache.put(&scope, "stale", R2).await.unwrap();
    w.emu.reset_counters();
    let got = client
        .get_object()
        .bucket("stale")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, b"moved");
    assert_eq!(
        w.requests(),
        (0, 1, 1),
        "R2 from the shared tier, its 301, then R1"
    );
    assert_eq!(client.stats().shared_hits, 1);
    assert_eq!(client.stats().redirects, 1);
    client.flush_cache_writes().await;
    assert_eq!(
        cache.get(&scope, "stale").await.unwrap().as_deref(),
        Some(R1)
    );
    assert_eq!(client.cached_region("stale").as_deref(), Some(R1));
}

type CacheFuture<'a, T> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<T, s3_multi_region::cache::CacheError>> + Send + 'a,
    >,
>;

/// A user's own shared tier (the trait is public) backed by a `MemoryCache`, whose writes of one
/// bucket wait until the test opens a gate: a tier slower to write than anything on 127.0.0.1.
#[derive(Debug)]
struct SlowToWrite {
    store: s3_multi_region::cache::MemoryCache,
    slow_bucket: &'static str,
    gate: tokio::sync::Semaphore,
}

impl BucketRegionCache for SlowToWrite {
    fn get<'a>(&'a self, scope: &'a str, bucket: &'a str) -> CacheFuture<'a, Option<String>> {
        self.store.get(scope, bucket)
    }

    fn put<'a>(&'a self, scope: &'a str, bucket: &'a str, region: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            if bucket == self.slow_bucket {
                let _open = self.gate.acquire().await;
            }
            self.store.put(scope, bucket, region).await
        })
    }

    fn remove<'a>(&'a self, scope: &'a str, bucket: &'a str) -> CacheFuture<'a, ()> {
        self.store.remove(scope, bucket)
    }

    fn clear(&self) -> CacheFuture<'_, ()> {
        BucketRegionCache::clear(&self.store)
    }
}

/// `flush_cache_writes` waits for every shared-tier write still running, including one started
/// before a later write that finished first.
#[tokio::test]
async fn flush_waits_for_every_shared_write_still_running() {
    let w = world().await;
    w.bucket_with_object("slow-write", R1, "k", b"s").await;
    w.bucket_with_object("quick-write", R2, "k", b"q").await;
    let tier = Arc::new(SlowToWrite {
        store: s3_multi_region::cache::MemoryCache::default(),
        slow_bucket: "slow-write",
        gate: tokio::sync::Semaphore::new(0),
    });
    let client = w.builder().shared_cache(tier.clone()).build().unwrap();
    for bucket in ["slow-write", "quick-write"] {
        let got = client.get_object().bucket(bucket).key("k").send();
        body_of(got.await.unwrap()).await;
    }
    assert_eq!(w.requests(), (2, 1, 1), "one redirect per bucket");
    let scope = client.cache_scope().to_owned();
    let flush = {
        let client = client.clone();
        tokio::spawn(async move { client.flush_cache_writes().await })
    };
    let mut flush = std::pin::pin!(flush);
    // The quick write ends at once; the slow one is held at the gate, and so is the flush.
    let early = tokio::time::timeout(Duration::from_millis(300), &mut flush).await;
    assert!(early.is_err(), "flush returned with a write still running");
    assert_eq!(
        tier.store.get_region(&scope, "quick-write").as_deref(),
        Some(R2)
    );
    assert_eq!(tier.store.get_region(&scope, "slow-write"), None);
    tier.gate.add_permits(1);
    tokio::time::timeout(Duration::from_secs(10), flush)
        .await
        .expect("flush ends once the write is let through")
        .unwrap();
    assert_eq!(
        tier.store.get_region(&scope, "slow-write").as_deref(),
        Some(R1),
        "the write flush waited for is done"
    );
}
