//! Scenario 1 (warm-cache 4 KiB GETs, multi-region ÷ raw), the routing CPU cost per call, and
//! scenario 7 (the emulator's own GET rate).

use std::time::{Duration, Instant};

use aws_types::SdkConfig;
use s3mr_emulator::Emulator;

use crate::setup::{R1, figure, median, multi_client, raw_client};

const ROUNDS: usize = 15;
const GETS_PER_ROUND: usize = 400;

async fn gets(client: &aws_sdk_s3::Client, n: usize, concurrency: usize) -> Duration {
    let started = Instant::now();
    let per_task = n / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    let out = client.get_object().bucket("bench").key("4k").send().await;
                    let body = out.expect("GET").body.collect().await.expect("body");
                    assert_eq!(body.into_bytes().len(), 4096);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    started.elapsed()
}

/// One GET, timed.
async fn timed_get(client: &aws_sdk_s3::Client) -> Duration {
    let started = Instant::now();
    let out = client.get_object().bucket("bench").key("4k").send().await;
    let body = out.expect("GET").body.collect().await.expect("body");
    assert_eq!(body.into_bytes().len(), 4096);
    started.elapsed()
}

/// At concurrency 1 the two clients take turns request by request, so that whatever the
/// machine does to one request it does to its neighbour of the other client too: ABAB… in even
/// rounds, BABA… in odd ones, so neither always goes first. A round's ratio is the raw client's
/// total time over ours.
async fn alternating(
    raw: &aws_sdk_s3::Client,
    multi: &aws_sdk_s3::Client,
    round: usize,
) -> (f64, f64) {
    let (mut raw_time, mut multi_time) = (Duration::ZERO, Duration::ZERO);
    for i in 0..GETS_PER_ROUND * 2 {
        if (i + round).is_multiple_of(2) {
            raw_time += timed_get(raw).await;
        } else {
            multi_time += timed_get(multi).await;
        }
    }
    let rate = |d: Duration| GETS_PER_ROUND as f64 / d.as_secs_f64();
    (rate(raw_time), rate(multi_time))
}

pub async fn warm_gets(emu: &Emulator, sdk: &SdkConfig, concurrency: usize) {
    let raw = raw_client(sdk, R1, &emu.endpoint(R1));
    let multi = multi_client(sdk, &emu.endpoint_map());
    gets(&raw, concurrency * 4, concurrency).await;
    gets(&multi, concurrency * 4, concurrency).await;
    assert_eq!(multi.cached_region("bench").as_deref(), Some(R1));
    let redirects_before = multi.stats().redirects;
    let (mut raw_rates, mut multi_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if concurrency == 1 {
            let (r, m) = alternating(&raw, &multi, round).await;
            raw_rates.push(r);
            multi_rates.push(m);
            ratios.push(m / r);
            continue;
        }
        // Alternate which goes first, so drift favours neither.
        let (r, m) = if round % 2 == 0 {
            let r = gets(&raw, GETS_PER_ROUND, concurrency).await;
            (r, gets(&multi, GETS_PER_ROUND, concurrency).await)
        } else {
            let m = gets(&multi, GETS_PER_ROUND, concurrency).await;
            (gets(&raw, GETS_PER_ROUND, concurrency).await, m)
        };
        let rate = |d: Duration| GETS_PER_ROUND as f64 / d.as_secs_f64();
        raw_rates.push(rate(r));
        multi_rates.push(rate(m));
        ratios.push(rate(m) / rate(r));
    }
    assert_eq!(
        multi.stats().redirects,
        redirects_before,
        "warm: no redirect"
    );
    // Both summaries: the median of per-round ratios (the verdict) and the ratio of the total
    // rates, which the table's two rate columns give.
    let totals = multi_rates.iter().sum::<f64>() / raw_rates.iter().sum::<f64>();
    let name = format!("warm_get_4k_c{concurrency}");
    figure(
        &format!("{name}_ratio_of_totals"),
        format!("{totals:.3}"),
        "multi/raw",
    );
    figure(
        &format!("{name}_raw"),
        format!("{:.0}", median(raw_rates)),
        "req/s",
    );
    figure(
        &format!("{name}_multi_region"),
        format!("{:.0}", median(multi_rates)),
        "req/s",
    );
    figure(
        &format!("{name}_ratio"),
        format!("{:.3}", median(ratios)),
        "multi/raw",
    );
}

/// Client-side cost of one call without the network: presigning runs the whole pipeline
/// (interceptors, endpoint resolution, signing) but sends nothing.
pub async fn presign_cost(emu: &Emulator, sdk: &SdkConfig) {
    let raw = raw_client(sdk, R1, &emu.endpoint(R1));
    let multi = multi_client(sdk, &emu.endpoint_map());
    multi.bucket_region("bench").await.expect("probe");
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60))
        .expect("config");
    let (mut raw_us, mut multi_us) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Who goes first alternates by round.
        let mut order = [(&raw, &mut raw_us), (&*multi, &mut multi_us)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (client, out) in order {
            let started = Instant::now();
            for _ in 0..2000 {
                let request = client.get_object().bucket("bench").key("4k");
                request.presigned(config.clone()).await.expect("presign");
            }
            out.push(started.elapsed().as_secs_f64() * 1e6 / 2000.0);
        }
    }
    let (r, m) = (median(raw_us), median(multi_us));
    figure("presign_call_raw", format!("{r:.1}"), "us");
    figure("presign_call_multi_region", format!("{m:.1}"), "us");
    figure("routing_cpu_per_call", format!("{:.1}", m - r), "us");
}

/// Scenario 7: a reference rate of the emulator — 4 KiB GETs from one raw client, 64 at once,
/// client and emulator sharing the machine's cores. Not a ceiling: other figures of the same run
/// (32 at once, fewer tasks contending) can exceed it.
pub async fn emulator_max_gets(emu: &Emulator, sdk: &SdkConfig) {
    let raw = raw_client(sdk, R1, &emu.endpoint(R1));
    gets(&raw, 256, 64).await;
    let mut rates = Vec::new();
    for _ in 0..3 {
        let took = gets(&raw, 4096, 64).await;
        rates.push(4096.0 / took.as_secs_f64());
    }
    figure(
        "emulator_reference_get_4k_c64",
        format!("{:.0}", median(rates)),
        "req/s",
    );
}
