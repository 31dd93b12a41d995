//! `s3mr-bench`: every whole-scenario figure of BENCHMARKS.md, one `name value unit` line each.
//!
//! Starts the emulator in-process (eu-west-1 holds the bucket, us-east-1 is the client's default)
//! and measures the multi-region client side by side with a raw aws-sdk-s3 client pinned to the
//! right region, and with botocore (through `botocore_scenarios.py`). Run it with
//! `scripts/bench.sh`, which also runs the criterion micro benchmarks.

mod alloc;
mod caches;
mod charts;
mod cli;
mod cold;
mod gateway;
mod instructions;
mod objstore;
mod scale;
mod setup;
mod transfer;
mod warm;

use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use s3mr_emulator::Emulator;
use setup::{R0, R1, figure, raw_client, sdk};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child-get") => return caches::child_get(&args[1..]).await,
        Some("emulator-process") => return transfer::emulator_process().await,
        Some("charts") => return charts::run(&args[1..]),
        Some("instructions") => return instructions::run(&args[1..]).await,
        Some("objstore") => return objstore::alone().await,
        Some("cli") => return cli::against_aws_cli().await,
        Some("fs") => return transfer::fs_sequential_256m().await,
        Some("gateway") => return gateway::through_the_gateway().await,
        Some("scale") => {
            // `scale 10000 100000`: those sizes only (default: 10 000, 100 000, 1 000 000).
            let sizes: Vec<usize> = args[1..].iter().filter_map(|a| a.parse().ok()).collect();
            let sizes = if sizes.is_empty() {
                vec![10_000, 100_000, 1_000_000]
            } else {
                sizes
            };
            return scale::listings_at_scale(&sizes).await;
        }
        Some(other) => {
            eprintln!("usage: s3mr-bench (no arguments); unknown {other:?}");
            std::process::exit(2);
        }
        None => {}
    }
    let all = Instant::now();
    let started = Instant::now();
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .expect("emulator");
    figure(
        "emulator_start",
        format!("{:.2}", started.elapsed().as_secs_f64() * 1e3),
        "ms",
    );
    emu.seed_bucket("bench", R1).expect("seed");
    let (access_key, secret_key) = emu.credentials();
    let sdk = sdk(access_key, secret_key);
    let put = raw_client(&sdk, R1, &emu.endpoint(R1))
        .put_object()
        .bucket("bench")
        .key("4k");
    put.body(ByteStream::from(vec![7u8; 4096]))
        .send()
        .await
        .expect("seed object");

    let redis = setup::start_redis();
    let redis_url = redis.as_ref().map(|(_, url)| url.as_str());
    warm::warm_gets(&emu, &sdk, 1).await;
    warm::warm_gets(&emu, &sdk, 32).await;
    warm::presign_cost(&emu, &sdk).await;
    cold::first_calls(&emu, &sdk).await;
    cold::concurrent_first_calls(&emu, &sdk).await;
    caches::second_process(&emu, &sdk, redis_url).await;
    transfer::wrong_region_put(&emu, &sdk).await;
    let moto = setup::start_moto();
    caches::lookups(
        redis_url,
        moto.as_ref().map(|(_, url)| (&sdk, url.as_str())),
    )
    .await;
    if let Some((mut child, _)) = moto {
        let _ = child.kill();
        let _ = child.wait();
    }
    transfer::fs_sequential_256m().await;
    objstore::against_native(&emu, &sdk).await;
    cli::against_aws_cli().await;
    warm::emulator_max_gets(&emu, &sdk).await;
    if let Some((mut child, _)) = redis {
        let _ = child.kill();
        let _ = child.wait();
    }
    figure(
        "bench_total",
        format!("{:.0}", all.elapsed().as_secs_f64()),
        "s",
    );
}
