//! Scenarios 4 and 6a: a second process's first call with a shared cache, and lookup cost per
//! cache tier.

use std::time::Instant;

use aws_types::SdkConfig;
use s3_multi_region::MultiRegionClient;
use s3_multi_region::cache::{BucketRegionCache, FileCache, MemoryCache, RedisCache};
use s3mr_emulator::Emulator;

use crate::setup::{figure, median, sdk};

fn memory_lookup() {
    let cache = MemoryCache::default();
    let region = s3_multi_region::region::ValidRegion::new("eu-west-1").unwrap();
    for i in 0..10_000 {
        cache.insert("aws", &format!("bucket-{i}"), &region);
    }
    let names: Vec<String> = (0..1024).map(|i| format!("bucket-{}", i * 7)).collect();
    let mut per_lookup = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let mut found = 0;
        for i in 0..1_000_000 {
            found += cache.get_region("aws", &names[i % names.len()]).is_some() as usize;
        }
        assert_eq!(found, 1_000_000);
        per_lookup.push(started.elapsed().as_nanos() as f64 / 1_000_000.0);
    }
    figure(
        "cache_lookup_hit_memory",
        format!("{:.1}", median(per_lookup)),
        "ns",
    );
}

/// Median latency of `get` hits on a shared tier.
async fn shared_lookup(name: &str, cache: &dyn BucketRegionCache) {
    cache
        .put("aws", "bench-bucket", "eu-west-1")
        .await
        .expect("put");
    let mut micros = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        let found = cache.get("aws", "bench-bucket").await.expect("get");
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(found.as_deref(), Some("eu-west-1"));
    }
    figure(
        &format!("cache_lookup_hit_{name}"),
        format!("{:.1}", median(micros)),
        "us",
    );
}

/// `moto`: (SDK config, moto's URL) for the DynamoDB tier, measured on moto — a Python server,
/// so the figure is moto's speed, not DynamoDB's.
pub async fn lookups(redis_url: Option<&str>, moto: Option<(&SdkConfig, &str)>) {
    memory_lookup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = FileCache::open(dir.path().join("bench.db")).expect("file cache");
    shared_lookup("file", &file).await;
    match redis_url {
        Some(url) => shared_lookup("redis", &RedisCache::open(url).expect("redis")).await,
        None => figure("cache_lookup_hit_redis", "skipped", "(no redis-server)"),
    }
    match moto {
        Some((sdk, endpoint)) => {
            let url = format!("dynamodb://s3mr-bench?region=us-east-1&endpoint={endpoint}");
            let cache = s3_multi_region::cache::DynamoDbCache::from_url(&url, sdk)
                .expect("dynamodb url")
                .with_settings(
                    std::time::Duration::from_secs(5),
                    std::time::Duration::from_secs(3600),
                );
            cache.create_table().await.expect("table");
            shared_lookup("dynamodb_on_moto", &cache).await;
        }
        None => figure(
            "cache_lookup_hit_dynamodb_on_moto",
            "skipped",
            "(no moto_server)",
        ),
    }
}

fn client_with(sdk: &SdkConfig, endpoint_map: &str, cache_url: &str) -> MultiRegionClient {
    let shared = s3_multi_region::cache::shared_cache_from_url(cache_url)
        .expect("cache url")
        .expect("a shared tier");
    MultiRegionClient::builder(sdk)
        .endpoint_map(endpoint_map.parse().expect("endpoint map"))
        .shared_cache(shared)
        .build()
        .expect("client")
}

/// The child process: one GET through a client that shares `cache_url`, then exit.
pub async fn child_get(args: &[String]) {
    let [endpoint_map, cache_url, access_key, secret_key] = args else {
        panic!("child-get ENDPOINT_MAP CACHE_URL ACCESS_KEY SECRET_KEY");
    };
    let client = client_with(&sdk(access_key, secret_key), endpoint_map, cache_url);
    let out = client.get_object().bucket("bench").key("4k").send().await;
    out.expect("child GET");
}

/// Scenario 4: the first process pays the discovery, a second OS process reads it from the cache.
pub async fn second_process(emu: &Emulator, sdk: &SdkConfig, redis_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file_url = format!("file://{}", dir.path().join("shared.db").display());
    let mut tiers = vec![("file", file_url)];
    if let Some(url) = redis_url {
        tiers.push(("redis", url.to_owned()));
    }
    for (name, url) in tiers {
        let first = client_with(sdk, &emu.endpoint_map(), &url);
        first
            .shared_cache()
            .expect("shared")
            .clear()
            .await
            .expect("clear");
        emu.reset_counters();
        first
            .get_object()
            .bucket("bench")
            .key("4k")
            .send()
            .await
            .expect("GET");
        first.flush_cache_writes().await;
        figure(
            &format!("second_process_{name}_first_process_requests"),
            emu.counters().total_requests(),
            "requests",
        );
        emu.reset_counters();
        let (access_key, secret_key) = emu.credentials();
        let status = tokio::process::Command::new(std::env::current_exe().expect("exe"))
            .args([
                "child-get",
                &emu.endpoint_map(),
                &url,
                access_key,
                secret_key,
            ])
            .status()
            .await
            .expect("child");
        assert!(status.success(), "child process failed");
        figure(
            &format!("second_process_{name}_requests"),
            emu.counters().total_requests(),
            "requests",
        );
    }
}
