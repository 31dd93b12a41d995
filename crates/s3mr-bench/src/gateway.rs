//! Scenario 10: the gateway (`s3mr serve`, a separate process, release build) ÷ the emulator
//! straight, with the same client: the aws-sdk-s3 Rust client and boto3. Small GETs at c=1 and
//! c=32 (rate, and the latency the gateway adds: median and p99), 256 MiB PUT and GET
//! (throughput), the gateway's peak RSS growth while 1 GiB goes up and comes back, and the
//! upstream requests per warm client request. Rounds alternate direct / gateway, so both sides
//! meet the same machine noise.

use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Region};
use bytes::Bytes;
use s3mr_emulator::Emulator;

use crate::setup::{R0, R1, figure, median};

const KEY: (&str, &str) = ("GWBENCH00000000001", "gateway-bench-secret-0123");
const ROUNDS: usize = 3;
const MIB: usize = 1024 * 1024;

/// A raw aws-sdk-s3 client on `endpoint` (path-style), pinned to eu-west-1 where the bucket is.
fn client(endpoint: &str, key: (&str, &str)) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R1))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            key.0, key.1, None, None, "bench",
        ))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTP client"),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `s3mr serve` in its own process, in front of `emu`.
struct GatewayProcess {
    child: std::process::Child,
    endpoint: String,
}

impl GatewayProcess {
    fn start(emu: &Emulator, keys: &std::path::Path) -> Self {
        use std::io::BufRead;
        let bin = std::env::var("S3MR_BIN").unwrap_or_else(|_| "target/release/s3mr".into());
        let (ak, sk) = emu.credentials();
        let mut child = std::process::Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--keys"])
            .arg(keys)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("AWS_ACCESS_KEY_ID", ak)
            .env("AWS_SECRET_ACCESS_KEY", sk)
            .env("AWS_REGION", R0)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("S3MR_ENDPOINTS", emu.endpoint_map())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("s3mr serve (build it: cargo build --release -p s3mr)");
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("the ready line");
        let endpoint = ready
            .split_whitespace()
            .nth(4)
            .expect("an address in the ready line")
            .to_owned();
        Self { child, endpoint }
    }

    /// `VmHWM` (peak resident set) of the gateway, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// Per-request latencies (µs) of `n` sequential GETs of `key`.
async fn sequential_gets(client: &aws_sdk_s3::Client, key: &str, n: usize) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let got = client
            .get_object()
            .bucket("gwbench")
            .key(key)
            .send()
            .await
            .expect("GET");
        got.body.collect().await.expect("body");
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
    }
    latencies
}

/// Requests per second of `total` GETs, `concurrency` at a time.
async fn concurrent_gets(client: &aws_sdk_s3::Client, total: usize, concurrency: usize) -> f64 {
    use futures::StreamExt;
    let started = Instant::now();
    futures::stream::iter(0..total)
        .map(|_| {
            let client = client.clone();
            async move {
                let got = client
                    .get_object()
                    .bucket("gwbench")
                    .key("4k")
                    .send()
                    .await
                    .expect("GET");
                got.body.collect().await.expect("body");
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    total as f64 / started.elapsed().as_secs_f64()
}

async fn put(client: &aws_sdk_s3::Client, key: &str, body: Bytes) -> Duration {
    let started = Instant::now();
    client
        .put_object()
        .bucket("gwbench")
        .key(key)
        .body(body.into())
        .send()
        .await
        .expect("PUT");
    started.elapsed()
}

async fn get(client: &aws_sdk_s3::Client, key: &str) -> (Duration, usize) {
    let started = Instant::now();
    let got = client
        .get_object()
        .bucket("gwbench")
        .key(key)
        .send()
        .await
        .expect("GET");
    let mut body = got.body;
    let mut n = 0;
    while let Some(chunk) = body.try_next().await.expect("body") {
        n += chunk.len();
    }
    (started.elapsed(), n)
}

/// boto3's 4 KiB GETs at c=1, direct then through the gateway (`name value unit` lines).
fn boto3_small_gets(direct: &str, direct_key: (&str, &str), gateway: &str) {
    let script = format!(
        r#"
import time, statistics, boto3
from botocore.config import Config
def run(endpoint, ak, sk, n=1000):
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                      region_name="{R1}", config=Config(s3={{"addressing_style": "path"}}))
    for _ in range(50):
        s3.get_object(Bucket="gwbench", Key="4k")["Body"].read()
    lat = []
    for _ in range(n):
        t = time.perf_counter(); s3.get_object(Bucket="gwbench", Key="4k")["Body"].read(); lat.append((time.perf_counter() - t) * 1e6)
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.99)], n / (sum(lat) / 1e6)
for side, endpoint, ak, sk in [("direct", "{direct}", "{dak}", "{dsk}"), ("gateway", "{gateway}", "{gak}", "{gsk}")]:
    med, p99, rate = run(endpoint, ak, sk)
    print(f"gw_boto3_get_4k_c1_{{side}}_median {{med:.0f}} us")
    print(f"gw_boto3_get_4k_c1_{{side}}_p99 {{p99:.0f}} us")
    print(f"gw_boto3_get_4k_c1_{{side}}_rate {{rate:.0f}} req/s")
"#,
        dak = direct_key.0,
        dsk = direct_key.1,
        gak = KEY.0,
        gsk = KEY.1,
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        eprintln!(
            "boto3 side failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub async fn through_the_gateway() {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .expect("emulator");
    emu.seed_bucket("gwbench", R1).expect("seed");
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys.toml");
    std::fs::write(
        &keys,
        format!(
            "[[key]]\naccess_key = \"{}\"\nsecret_key = \"{}\"\nbuckets = [\"*\"]\n",
            KEY.0, KEY.1
        ),
    )
    .expect("keys file");
    let gateway = GatewayProcess::start(&emu, &keys);
    let (ak, sk) = emu.credentials();
    let direct = client(&emu.endpoint(R1), (ak, sk));
    let through = client(&gateway.endpoint, KEY);
    put(&direct, "4k", Bytes::from(vec![7u8; 4096])).await;
    // Warm both: connections, and the gateway's knowledge of the bucket's region.
    sequential_gets(&direct, "4k", 50).await;
    sequential_gets(&through, "4k", 50).await;

    // Exactly one upstream request per warm client request.
    emu.reset_counters();
    sequential_gets(&through, "4k", 100).await;
    let upstream = emu.counters().total_requests();
    figure(
        "gw_upstream_requests_per_warm_get",
        upstream as f64 / 100.0,
        "req",
    );

    let at_start = gateway.peak_rss_kib();
    figure("gw_rss_peak_warm", at_start / 1024, "MiB");

    // 4 KiB GETs at c=1: latency and rate, rounds alternating.
    let (mut direct_lat, mut gateway_lat) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        direct_lat.extend(sequential_gets(&direct, "4k", 700).await);
        gateway_lat.extend(sequential_gets(&through, "4k", 700).await);
    }
    let (dm, gm) = (median(direct_lat.clone()), median(gateway_lat.clone()));
    let (dp, gp) = (percentile(direct_lat, 0.99), percentile(gateway_lat, 0.99));
    figure("gw_get_4k_c1_direct_median", format!("{dm:.0}"), "us");
    figure("gw_get_4k_c1_gateway_median", format!("{gm:.0}"), "us");
    figure("gw_get_4k_c1_added_median", format!("{:.0}", gm - dm), "us");
    figure("gw_get_4k_c1_direct_p99", format!("{dp:.0}"), "us");
    figure("gw_get_4k_c1_gateway_p99", format!("{gp:.0}"), "us");
    figure("gw_get_4k_c1_added_p99", format!("{:.0}", gp - dp), "us");
    figure("gw_get_4k_c1_rate_ratio", format!("{:.3}", dm / gm), "x");

    // 4 KiB GETs at c=32.
    let (mut direct_rates, mut gateway_rates) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        direct_rates.push(concurrent_gets(&direct, 4000, 32).await);
        gateway_rates.push(concurrent_gets(&through, 4000, 32).await);
    }
    let (dr, gr) = (median(direct_rates), median(gateway_rates));
    figure("gw_get_4k_c32_direct_rate", format!("{dr:.0}"), "req/s");
    figure("gw_get_4k_c32_gateway_rate", format!("{gr:.0}"), "req/s");
    figure("gw_get_4k_c32_rate_ratio", format!("{:.3}", gr / dr), "x");

    // 256 MiB PUT and GET, throughput.
    let big = Bytes::from(vec![5u8; 256 * MIB]);
    let (mut put_ratio, mut get_ratio) = (Vec::new(), Vec::new());
    for round in 0..2 {
        let d = put(&direct, &format!("d256-{round}"), big.clone()).await;
        let g = put(&through, &format!("g256-{round}"), big.clone()).await;
        put_ratio.push(d.as_secs_f64() / g.as_secs_f64());
        figure(
            "gw_put_256m_direct",
            format!("{:.0}", 256.0 / d.as_secs_f64()),
            "MiB/s",
        );
        figure(
            "gw_put_256m_gateway",
            format!("{:.0}", 256.0 / g.as_secs_f64()),
            "MiB/s",
        );
        let (d, dn) = get(&direct, &format!("d256-{round}")).await;
        let (g, gn) = get(&through, &format!("g256-{round}")).await;
        assert_eq!((dn, gn), (256 * MIB, 256 * MIB));
        get_ratio.push(d.as_secs_f64() / g.as_secs_f64());
        figure(
            "gw_get_256m_direct",
            format!("{:.0}", 256.0 / d.as_secs_f64()),
            "MiB/s",
        );
        figure(
            "gw_get_256m_gateway",
            format!("{:.0}", 256.0 / g.as_secs_f64()),
            "MiB/s",
        );
    }
    figure(
        "gw_put_256m_ratio",
        format!("{:.3}", median(put_ratio)),
        "x",
    );
    figure(
        "gw_get_256m_ratio",
        format!("{:.3}", median(get_ratio)),
        "x",
    );
    drop(big);

    // The gateway's peak RSS growth while 1 GiB goes up and comes back.
    let before = gateway.peak_rss_kib();
    put(&through, "g1g", Bytes::from(vec![3u8; 1024 * MIB])).await;
    let after_put = gateway.peak_rss_kib();
    let (_, n) = get(&through, "g1g").await;
    assert_eq!(n, 1024 * MIB);
    let after_get = gateway.peak_rss_kib();
    figure("gw_rss_peak_before_1g", before / 1024, "MiB");
    figure(
        "gw_rss_growth_1g_put",
        (after_put.saturating_sub(before)) / 1024,
        "MiB",
    );
    figure(
        "gw_rss_growth_1g_get",
        (after_get.saturating_sub(after_put)) / 1024,
        "MiB",
    );
    figure(
        "gw_rss_growth_from_warm",
        (after_get.saturating_sub(at_start)) / 1024,
        "MiB",
    );

    boto3_small_gets(&emu.endpoint(R1), (ak, sk), &gateway.endpoint);
    drop(gateway);
    emu.shutdown().await;
}
