//! `s3mr demo`: the embedded emulator and one client across three regions.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_types::SdkConfig;
use s3_multi_region::MultiRegionClient;
use s3mr_emulator::{CountersSnapshot, Emulator};

type DemoError = Box<dyn std::error::Error + Send + Sync>;

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const BUCKETS: [(&str, &str); 3] = [
    ("demo-virginia", "us-east-1"),
    ("demo-ireland", "eu-west-1"),
    ("demo-sydney", "ap-southeast-2"),
];

/// Requests each region received between two snapshots, as `us-east-1=1 eu-west-1=2 ...`.
fn delta(before: &CountersSnapshot, after: &CountersSnapshot) -> (u64, String) {
    let mut total = 0;
    let parts: Vec<String> = REGIONS
        .iter()
        .filter_map(|r| {
            let n = after.requests(r) - before.requests(r);
            total += n;
            (n > 0).then(|| format!("{r}={n}"))
        })
        .collect();
    (total, parts.join(" "))
}

struct Step<'a> {
    emu: &'a Emulator,
    before: CountersSnapshot,
}

impl<'a> Step<'a> {
    fn start(emu: &'a Emulator) -> Self {
        Self {
            emu,
            before: emu.counters(),
        }
    }

    /// Prints what the step cost and checks it against what the demo claims.
    fn finish(self, what: &str, expected_total: u64) -> Result<(), DemoError> {
        let (total, per_region) = delta(&self.before, &self.emu.counters());
        let per_region = if per_region.is_empty() {
            "-".to_owned()
        } else {
            per_region
        };
        println!("  {what:<64} {total} request(s): {per_region}");
        if total != expected_total {
            return Err(format!(
                "{what}: expected {expected_total} request(s), the emulator counted {total}"
            )
            .into());
        }
        Ok(())
    }
}

/// The demo builds its own emulator and clients: it takes no [`crate::context::Context`].
pub(crate) async fn run(args: crate::cli::DemoArgs) -> Result<(), DemoError> {
    let keep = args.keep;
    let started = std::time::Instant::now();
    let mut builder = Emulator::builder();
    for region in REGIONS {
        builder = builder.region(region);
    }
    let emu = builder.start().await?;
    println!(
        "Embedded S3 emulator up in {:.1} ms:",
        started.elapsed().as_secs_f64() * 1000.0
    );
    for region in REGIONS {
        println!("  {region:<15} {}", emu.endpoint(region));
    }

    let (ak, sk) = emu.credentials();
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ak, sk, None, None, "demo",
        )))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTPS client"),
        )
        .build();
    let endpoints = emu.endpoint_map().parse()?;
    let client = MultiRegionClient::builder(&sdk)
        .endpoint_map(endpoints)
        .build()?;
    println!(
        "\nOne client, default region us-east-1. Every line below is one call; counts come from the emulator."
    );

    println!(
        "\nCreate a bucket in each region (CreateBucket goes where its LocationConstraint says):"
    );
    for (bucket, region) in BUCKETS {
        let step = Step::start(&emu);
        let mut create = client.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            let constraint = CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build();
            create = create.create_bucket_configuration(constraint);
        }
        create.send().await?;
        step.finish(&format!("create s3://{bucket} in {region}"), 1)?;
    }

    // A second client that has never met these buckets: what a new process would see.
    let cold = MultiRegionClient::builder(&sdk)
        .endpoint_map(emu.endpoint_map().parse()?)
        .build()?;
    println!("\nA cold client (empty cache) writes and reads in every region:");
    for (bucket, region) in BUCKETS {
        let body = format!("hello from {region}\n");
        let step = Step::start(&emu);
        cold.put_object()
            .bucket(bucket)
            .key("hello.txt")
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await?;
        // A small body goes straight to the best-known region (us-east-1, the default); a
        // wrong-region answer is followed and the body re-sent once. Bodies over 1 MiB, of
        // unknown length or one-shot would ask the bucket's region first instead.
        let (what, requests) = if region == "us-east-1" {
            ("PUT, right the first time", 1)
        } else {
            ("301 from us-east-1, PUT re-sent", 2)
        };
        step.finish(&format!("put s3://{bucket}/hello.txt ({what})"), requests)?;
        let step = Step::start(&emu);
        let got = cold
            .get_object()
            .bucket(bucket)
            .key("hello.txt")
            .send()
            .await?;
        let text = got.body.collect().await?.into_bytes();
        if text.as_ref() != body.as_bytes() {
            return Err(format!("s3://{bucket}/hello.txt came back different").into());
        }
        step.finish(&format!("get s3://{bucket}/hello.txt (region cached)"), 1)?;
    }

    println!("\nAnother cold client meets S3's redirects:");
    let third = MultiRegionClient::builder(&sdk)
        .endpoint_map(emu.endpoint_map().parse()?)
        .build()?;
    let step = Step::start(&emu);
    third
        .get_object()
        .bucket("demo-sydney")
        .key("hello.txt")
        .send()
        .await?;
    step.finish(
        "get s3://demo-sydney/hello.txt (301 from us-east-1, resent)",
        2,
    )?;
    let step = Step::start(&emu);
    let listing = third
        .list_objects_v2()
        .bucket("demo-ireland")
        .send()
        .await?;
    step.finish(
        &format!(
            "list s3://demo-ireland/ ({} key(s); 301, resent)",
            listing.key_count().unwrap_or(0)
        ),
        2,
    )?;
    let step = Step::start(&emu);
    third
        .copy_object()
        .bucket("demo-sydney")
        .key("copied-from-ireland.txt")
        .copy_source("demo-ireland/hello.txt")
        .send()
        .await?;
    step.finish(
        "copy s3://demo-ireland/hello.txt → s3://demo-sydney/ (cached)",
        1,
    )?;

    println!("\nListBuckets names every bucket's region: a free warm-up for a fresh client:");
    let warm = MultiRegionClient::builder(&sdk)
        .endpoint_map(emu.endpoint_map().parse()?)
        .build()?;
    let step = Step::start(&emu);
    let buckets = warm.list_buckets().send().await?;
    step.finish(
        &format!("ls ({} buckets, regions learned)", buckets.buckets().len()),
        1,
    )?;
    for (bucket, _) in BUCKETS {
        let step = Step::start(&emu);
        warm.head_object()
            .bucket(bucket)
            .key("hello.txt")
            .send()
            .await?;
        step.finish(&format!("stat s3://{bucket}/hello.txt (no redirect)"), 1)?;
    }

    println!(
        "\nPresigned URL for a bucket in ap-southeast-2 (host and credential scope name its region):"
    );
    let step = Step::start(&emu);
    let url = warm
        .presigned_get_object("demo-sydney", "hello.txt", Duration::from_secs(3600))
        .await?;
    step.finish(
        "presign s3://demo-sydney/hello.txt (cached: nothing sent)",
        0,
    )?;
    if keep {
        println!("  {}", url.uri());
    } else {
        println!(
            "  (the URL is valid while the emulator runs, which ends with the demo: `s3mr demo --keep` keeps it up to try)"
        );
    }
    if !url.uri().contains("%2Fap-southeast-2%2Fs3%2Faws4_request") {
        return Err("the presigned URL does not name ap-southeast-2".into());
    }

    println!("\nRouting stats, per client:");
    for (name, c) in [
        // CreateBucket goes where its LocationConstraint says: nothing to learn or look up.
        ("first (mb only)", &client),
        ("cold (put, get)", &cold),
        ("redirected", &third),
        ("warmed by ls", &warm),
    ] {
        let s = c.stats();
        println!(
            "  {name:<16} redirects={} probes={} cache_hits={} cache_misses={}",
            s.redirects, s.probes, s.cache_hits, s.cache_misses
        );
    }
    let counters = emu.counters();
    println!(
        "\nRequests per region, whole demo (body bytes: upload bytes the region's S3 handler read; \
         a wrong-region answer reads none):"
    );
    for region in REGIONS {
        println!(
            "  {region:<15} {:>3} requests, {:>3} body bytes",
            counters.requests(region),
            counters.body_bytes(region)
        );
    }
    println!("\nNo call above surfaced a PermanentRedirect.");
    if keep {
        // Listen before saying so: a Ctrl-C right after the line must stop the demo cleanly.
        #[cfg(unix)]
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        println!(
            "\nThe emulator keeps running (endpoint map: {}); Ctrl-C stops it.",
            emu.endpoint_map()
        );
        #[cfg(unix)]
        interrupt.recv().await;
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
    emu.shutdown().await;
    Ok(())
}
