//! Routing overhead, measured side by side in one run against the in-process emulator.
//!
//! `cargo bench -p s3-multi-region --bench routing` prints one `name value unit` line per figure:
//! warm-cache 4 KiB GETs through the multi-region client and through a raw aws-sdk-s3 client
//! pinned to the bucket's region (sequential and 32 concurrent, rounds interleaved so machine
//! noise hits both alike), memory-tier lookup cost, and the requests a first call on a bucket in
//! another region costs for each wrong-region answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_types::SdkConfig;
use s3_multi_region::{BucketRegionCache, FileCache, MemoryCache, MultiRegionClient, RedisCache};
use s3mr_emulator::{Emulator, Reported, WrongRegionAnswer};

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";
const ROUNDS: usize = 7;
const GETS_PER_ROUND: usize = 400;

fn sdk(emu: &Emulator) -> SdkConfig {
    let (ak, sk) = emu.credentials();
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R0))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ak, sk, None, None, "bench",
        )))
        .http_client(s3_multi_region::http_client())
        .build()
}

fn raw_client(emu: &Emulator, sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .region(Region::new(R1))
        .endpoint_url(emu.endpoint(R1))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn multi_client(emu: &Emulator, sdk: &SdkConfig) -> MultiRegionClient {
    MultiRegionClient::builder(sdk)
        .endpoint_map(emu.endpoint_map().parse().unwrap())
        .build()
        .unwrap()
}

async fn gets(client: &aws_sdk_s3::Client, n: usize, concurrency: usize) -> Duration {
    let started = Instant::now();
    let per_task = n / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    let out = client
                        .get_object()
                        .bucket("bench")
                        .key("4k")
                        .send()
                        .await
                        .unwrap();
                    let body = out.body.collect().await.unwrap();
                    assert_eq!(body.into_bytes().len(), 4096);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

async fn warm_gets(emu: &Emulator, sdk: &SdkConfig, concurrency: usize) {
    let raw = raw_client(emu, sdk);
    let multi = multi_client(emu, sdk);
    // Warm both: connections, and the multi-region client's cache.
    gets(&raw, concurrency * 4, concurrency).await;
    gets(&multi, concurrency * 4, concurrency).await;
    assert_eq!(multi.cached_region("bench").as_deref(), Some(R1));
    let redirects_before = multi.stats().redirects;
    let (mut raw_rates, mut multi_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first, so drift favours neither.
        let (r, m) = if round % 2 == 0 {
            let r = gets(&raw, GETS_PER_ROUND, concurrency).await;
            (r, gets(&multi, GETS_PER_ROUND, concurrency).await)
        } else {
            let m = gets(&multi, GETS_PER_ROUND, concurrency).await;
            (gets(&raw, GETS_PER_ROUND, concurrency).await, m)
        };
        let (r, m) = (
            GETS_PER_ROUND as f64 / r.as_secs_f64(),
            GETS_PER_ROUND as f64 / m.as_secs_f64(),
        );
        raw_rates.push(r);
        multi_rates.push(m);
        ratios.push(m / r);
    }
    assert_eq!(
        multi.stats().redirects,
        redirects_before,
        "warm: no redirect during the measurement"
    );
    println!(
        "warm_get_4k_c{concurrency}_raw {:.0} req/s",
        median(raw_rates)
    );
    println!(
        "warm_get_4k_c{concurrency}_multi_region {:.0} req/s",
        median(multi_rates)
    );
    println!(
        "warm_get_4k_c{concurrency}_ratio {:.3} multi/raw",
        median(ratios)
    );
}

fn memory_lookup() {
    let cache = MemoryCache::default();
    for i in 0..10_000 {
        cache.insert("aws", &format!("bucket-{i}"), "eu-west-1");
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
    println!("memory_cache_lookup_hit {:.1} ns", median(per_lookup));
}

/// Client-side cost of one call without the network: presigning runs the whole pipeline
/// (interceptors, endpoint resolution, signing) but sends nothing.
async fn presign_cost(emu: &Emulator, sdk: &SdkConfig) {
    let raw = raw_client(emu, sdk);
    let multi = multi_client(emu, sdk);
    multi.bucket_region("bench").await.unwrap();
    let config =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();
    let (mut raw_us, mut multi_us) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for (client, out) in [(&raw, &mut raw_us), (&*multi, &mut multi_us)] {
            let started = Instant::now();
            for _ in 0..2000 {
                client
                    .get_object()
                    .bucket("bench")
                    .key("4k")
                    .presigned(config.clone())
                    .await
                    .unwrap();
            }
            out.push(started.elapsed().as_secs_f64() * 1e6 / 2000.0);
        }
    }
    let (r, m) = (median(raw_us), median(multi_us));
    println!("presign_call_raw {r:.1} us");
    println!("presign_call_multi_region {m:.1} us");
    println!("routing_cpu_per_call {:.1} us", m - r);
}

/// Median latency of `get` hits on a shared tier.
async fn shared_lookup(name: &str, cache: &dyn BucketRegionCache) {
    cache.put("aws", "bench-bucket", "eu-west-1").await.unwrap();
    let mut micros = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        let found = cache.get("aws", "bench-bucket").await.unwrap();
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(found.as_deref(), Some("eu-west-1"));
    }
    println!("{name}_cache_lookup_hit {:.1} us", median(micros));
}

/// A private redis-server for the Redis figure, if one is installed.
fn start_redis() -> Option<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("redis://127.0.0.1:{port}/0")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

async fn cold_first_call(emu: &Emulator, sdk: &SdkConfig) {
    let cases: [(&str, WrongRegionAnswer, bool); 4] = [
        ("301", WrongRegionAnswer::PermanentRedirect, true),
        ("400_ahm", WrongRegionAnswer::GlobalEndpoint, true),
        ("307", WrongRegionAnswer::TemporaryRedirect, true),
        ("301_no_header", WrongRegionAnswer::PermanentRedirect, false),
    ];
    for (name, answer, header) in cases {
        emu.configure(|s| {
            s.answer(answer);
            s.bucket("bench").region_header = Some(if header {
                Reported::Actual
            } else {
                Reported::Omit
            });
        });
        let client = multi_client(emu, sdk);
        emu.reset_counters();
        client
            .get_object()
            .bucket("bench")
            .key("4k")
            .send()
            .await
            .unwrap();
        println!(
            "cold_first_get_{name}_requests {} requests",
            emu.counters().total_requests()
        );
    }
    emu.configure(|s| *s = Default::default());

    for concurrency in [16, 128] {
        let client = multi_client(emu, sdk);
        emu.reset_counters();
        let calls: Vec<_> = (0..concurrency)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .get_object()
                        .bucket("bench")
                        .key("4k")
                        .send()
                        .await
                        .unwrap()
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
        println!(
            "cold_concurrent_{concurrency}_first_gets_requests {} requests",
            emu.counters().total_requests()
        );
    }
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .unwrap();
    println!(
        "emulator_start {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    emu.seed_bucket("bench", R1).unwrap();
    let sdk = sdk(&emu);
    raw_client(&emu, &sdk)
        .put_object()
        .bucket("bench")
        .key("4k")
        .body(ByteStream::from(vec![7u8; 4096]))
        .send()
        .await
        .unwrap();

    let emu = Arc::new(emu);
    memory_lookup();
    let dir = tempfile::tempdir().unwrap();
    shared_lookup(
        "file",
        &FileCache::open(dir.path().join("bench.db")).unwrap(),
    )
    .await;
    match start_redis() {
        Some((mut child, url)) => {
            shared_lookup("redis", &RedisCache::open(&url).unwrap()).await;
            let _ = child.kill();
        }
        None => println!("redis_cache_lookup_hit skipped (no redis-server installed)"),
    }
    presign_cost(&emu, &sdk).await;
    warm_gets(&emu, &sdk, 1).await;
    warm_gets(&emu, &sdk, 32).await;
    cold_first_call(&emu, &sdk).await;
}
