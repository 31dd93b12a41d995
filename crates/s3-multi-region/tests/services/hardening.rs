//! Hardening against the emulator: hostile and broken answers, faults of the target region, of
//! Redis and of the cache file, and retried uploads. Every case ends in success where S3 would
//! allow it, or in a clear error after a bounded number of requests, with nothing cached that S3
//! did not say. See RELIABILITY.md for the table these tests prove.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use crate::common::{PrivateRedis, R0, R1, R2, routing_error, world};
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::Error;
use s3_multi_region::cache::{FileCache, RedisCache};
use s3mr_emulator::{Fault, FaultKind, Reported, WrongRegionAnswer};
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

/// A bound on any single case: a stuck task fails the test instead of hanging it.
async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: still running after 60 s"))
}

fn entity_bomb() -> String {
    let mut doctype = String::from("<!DOCTYPE e [<!ENTITY a0 \"eu-west-1\">");
    for i in 1..10 {
        let previous = format!("&a{};", i - 1).repeat(10);
        doctype.push_str(&format!("<!ENTITY a{i} \"{previous}\">"));
    }
    doctype.push(']');
    doctype.push('>');
    format!(
        "{doctype}<Error><Code>AuthorizationHeaderMalformed</Code><Region>&a9;</Region></Error>"
    )
}

#[tokio::test]
async fn broken_error_bodies_are_never_followed() {
    let w = world().await;
    let padding = "<Pad>0123456789abcdef</Pad>".repeat(10 * MIB / 26);
    // What each broken body must lead to, and the requests per region it may cost.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Outcome {
        /// A wrong-region answer without a usable region: one probe (which says nothing either).
        Unresolved,
        /// A region named that is not a region: refused on the spot.
        InvalidRegion,
        /// Not S3's error at all: the 400 surfaces as it is.
        S3sOwn400,
    }
    use Outcome::*;
    let bodies = [
        ("cut mid-element", "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Reg".to_owned(), Unresolved, (2, 0, 0)),
        ("unclosed element", "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1<Region></Error>".to_owned(), Unresolved, (2, 0, 0)),
        ("not XML", "\u{0}\u{1}<<<>>>&&&; Region=eu-west-1".to_owned(), S3sOwn400, (1, 0, 0)),
        ("entity bomb", entity_bomb(), Unresolved, (2, 0, 0)),
        ("host in Region", "<Error><Code>AuthorizationHeaderMalformed</Code><Region>evil.example.com</Region></Error>".to_owned(), InvalidRegion, (1, 0, 0)),
        ("10 MB, Region past the parse bound", format!("<Error><Code>AuthorizationHeaderMalformed</Code>{padding}<Region>eu-west-1</Region></Error>"), Unresolved, (2, 0, 0)),
    ];
    for (i, (what, body, want, requests)) in bodies.into_iter().enumerate() {
        let bucket = format!("broken-body-{i}");
        w.bucket_with_object(&bucket, R1, "k", b"x").await;
        w.emu.configure(|s| {
            s.answer(WrongRegionAnswer::GlobalEndpoint);
            let b = s.bucket(&bucket);
            b.region_header = Some(Reported::Omit);
            b.head_bucket_header = Some(Reported::Omit);
            b.error_body = Some(body);
        });
        let client = w.client();
        let err = bounded(what, client.get_object().bucket(&bucket).key("k").send())
            .await
            .unwrap_err();
        let got = match routing_error(&err) {
            Some(Error::RegionUnresolved { .. }) => Unresolved,
            Some(Error::InvalidRegion { .. }) => InvalidRegion,
            None if err
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 400) =>
            {
                S3sOwn400
            }
            _ => panic!("{what}: {err:?}"),
        };
        assert_eq!(got, want, "{what}: {err:?}");
        assert_eq!(w.requests(), requests, "{what}: only us-east-1 was asked");
        assert_eq!(
            client.stats().probes,
            u64::from(want == Unresolved),
            "{what}"
        );
        assert_eq!(
            client.cached_region(&bucket),
            None,
            "{what}: nothing cached"
        );
        w.emu.configure(|s| *s = Default::default());
    }
}

#[tokio::test]
async fn a_redirect_ping_pong_stops_after_two_requests() {
    let w = world().await;
    w.bucket_with_object("ping-pong", R2, "k", b"x").await;
    w.emu.configure(|s| {
        s.per_region.entry(R0.into()).or_default().region_header = Some(Reported::Value(R1.into()));
        s.per_region.entry(R1.into()).or_default().region_header = Some(Reported::Value(R0.into()));
    });
    let client = w.client();
    let err = bounded(
        "ping-pong",
        client.get_object().bucket("ping-pong").key("k").send(),
    )
    .await
    .unwrap_err();
    // A (R0) named B (R1), B named A: the second redirect of the call stops it.
    assert!(
        matches!(
            routing_error(&err),
            Some(Error::TooManyRedirects { tried, discovered, .. }) if tried == R1 && discovered == R0
        ),
        "{err:?}"
    );
    assert_eq!(
        w.requests(),
        (1, 1, 0),
        "A → B, and B's answer A is not followed"
    );
    // What stays cached: A's answer (B), learned before B contradicted it; B's answer (A) never.
    assert_eq!(client.cached_region("ping-pong").unwrap(), R1);
}

#[tokio::test]
async fn regions_outside_the_partition_or_the_endpoint_map_are_refused() {
    let w = world().await;
    for (i, named) in ["cn-north-1", "us-gov-west-1", "ca-central-1"]
        .into_iter()
        .enumerate()
    {
        let bucket = format!("elsewhere-{i}");
        w.bucket_with_object(&bucket, R1, "k", b"x").await;
        w.emu.configure(|s| {
            s.bucket(&bucket).region_header = Some(Reported::Value(named.into()));
        });
        let client = w.client();
        let err = client
            .get_object()
            .bucket(&bucket)
            .key("k")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(routing_error(&err), Some(Error::RegionNotAllowed { .. })),
            "{named}: {err:?}"
        );
        assert_eq!(
            w.requests(),
            (1, 0, 0),
            "{named}: no request to any other host"
        );
        assert_eq!(client.cached_region(&bucket), None);
        w.emu.configure(|s| *s = Default::default());
    }
}

#[tokio::test]
async fn the_target_regions_listener_down_is_a_clear_error() {
    let w = world().await;
    w.bucket_with_object("listener-down", R1, "k", b"x").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let map = format!(
        "{R0}={},{R1}=http://127.0.0.1:{closed_port},{R2}={}",
        w.emu.endpoint(R0),
        w.emu.endpoint(R2)
    );
    let client = w
        .builder()
        .endpoint_map(map.parse().unwrap())
        .build()
        .unwrap();
    let err = bounded(
        "listener down",
        client.get_object().bucket("listener-down").key("k").send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert_eq!(w.requests(), (1, 0, 0));
}

#[tokio::test]
async fn a_region_slower_than_the_timeout_times_out_and_recovers() {
    let w = world().await;
    w.bucket_with_object("slow-region", R1, "k", b"x").await;
    w.emu.configure(|s| {
        s.per_region_latency
            .insert(R1.into(), Duration::from_secs(3));
    });
    let client = w
        .builder()
        .configure_s3(|b| {
            b.timeout_config(
                aws_smithy_types::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_millis(300))
                    .build(),
            )
            .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(2))
        })
        .build()
        .unwrap();
    let err = bounded(
        "slow",
        client.get_object().bucket("slow-region").key("k").send(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
    w.emu.configure(|s| *s = Default::default());
    tokio::time::sleep(Duration::from_secs(3)).await;
    w.emu.reset_counters();
    let got = client
        .get_object()
        .bucket("slow-region")
        .key("k")
        .send()
        .await;
    assert!(
        got.is_ok(),
        "the same client works once the region is fast again"
    );
    assert_eq!(
        w.requests(),
        (0, 1, 0),
        "the region learned before the timeout is kept"
    );
}

#[tokio::test]
async fn slow_down_around_a_redirect_is_retried() {
    let w = world().await;
    for (bucket, region) in [("slow-down-after", R1), ("slow-down-before", R0)] {
        w.bucket_with_object(bucket, R1, "k", b"x").await;
        w.emu.inject(
            Fault::new(FaultKind::SlowDown, 1)
                .in_region(region)
                .for_bucket(bucket),
        );
        let got = w.client().get_object().bucket(bucket).key("k").send().await;
        assert!(got.is_ok(), "{bucket}: {got:?}");
        let want = if region == R1 { (1, 2, 0) } else { (2, 1, 0) };
        assert_eq!(w.requests(), want, "{bucket}");
    }
}

#[tokio::test]
async fn a_paused_redis_costs_a_cache_miss_not_a_failure() {
    use s3_multi_region::cache::BucketRegionCache;
    let w = world().await;
    w.bucket_with_object("redis-paused", R1, "k", b"x").await;
    let redis = PrivateRedis::start();
    let shared = Arc::new(RedisCache::open(&redis.url()).unwrap());
    let client = w.builder().shared_cache(shared.clone()).build().unwrap();
    // Redis knows the region: a client reading it would send no redirect, (0,1,0) ...
    shared
        .put(client.cache_scope(), "redis-paused", R1)
        .await
        .unwrap();
    let paused = tokio::process::Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "CLIENT",
            "PAUSE",
            "1500",
            "ALL",
        ])
        .output()
        .await
        .unwrap();
    assert!(paused.status.success(), "{paused:?}");
    let got = bounded(
        "paused redis",
        client.get_object().bucket("redis-paused").key("k").send(),
    )
    .await;
    assert!(got.is_ok(), "{got:?}");
    // ... but paused, the lookup runs out its 100 ms bound and counts as a miss.
    assert_eq!(
        w.requests(),
        (1, 1, 0),
        "a miss: one redirect, as without a cache"
    );

    tokio::time::sleep(Duration::from_millis(1600)).await;
    w.emu.reset_counters();
    let fresh = w.builder().shared_cache(shared).build().unwrap();
    let again = fresh
        .get_object()
        .bucket("redis-paused")
        .key("k")
        .send()
        .await;
    assert!(again.is_ok(), "{again:?}");
    assert_eq!(
        w.requests(),
        (0, 1, 0),
        "Redis answers again once the pause ends"
    );
}

#[tokio::test]
async fn a_cache_file_deleted_truncated_or_replaced_in_use_never_fails_a_request() {
    use s3_multi_region::cache::BucketRegionCache;
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regions.db");
    let client = w
        .builder()
        .shared_cache(Arc::new(FileCache::open(&path).unwrap()))
        .build()
        .unwrap();
    type Damage = fn(&std::path::Path);
    let cases: [(&str, Damage); 3] = [
        ("deleted", |p| std::fs::remove_file(p).unwrap()),
        ("truncated", |p| std::fs::File::create(p).map(drop).unwrap()),
        ("replaced by a directory", |p| {
            std::fs::remove_file(p).unwrap();
            std::fs::create_dir(p).unwrap();
        }),
    ];
    for (i, (what, damage)) in cases.into_iter().enumerate() {
        let bucket = format!("file-{i}");
        w.bucket_with_object(&bucket, R1, "k", b"x").await;
        damage(&path);
        let got = client.get_object().bucket(&bucket).key("k").send().await;
        assert!(got.is_ok(), "{what}: {got:?}");
        assert_eq!(w.requests(), (1, 1, 0), "{what}");
        client.flush_cache_writes().await;
        // A file deleted (or replaced) under the open connection is reopened: what this process
        // learns reaches the file that the path names now, for the other processes. (A file
        // truncated in place keeps SQLite's WAL state in this process; other processes then
        // read "database is locked" until it reconnects: a miss for them, never a failure.)
        if what == "deleted" {
            let fresh = FileCache::open(&path).unwrap();
            assert_eq!(
                fresh
                    .get(client.cache_scope(), &bucket)
                    .await
                    .unwrap()
                    .as_deref(),
                Some(R1),
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn retried_uploads_deliver_byte_identical_objects() {
    let w = world().await;
    w.emu.seed_bucket("retried", R1).unwrap();
    let client = w.client();
    client.bucket_region("retried").await.unwrap();
    let data: Vec<u8> = (0..3 * MIB).map(|i| (i * 13 % 256) as u8).collect();
    // (fault, PUT requests it must cost, error answers it must produce): proof that the fault
    // fired and the upload was retried, not only that the bytes arrived.
    for (what, fault, puts, errors) in [
        (
            "500 then 200",
            Fault::new(FaultKind::InternalError, 1),
            2,
            (500, 1),
        ),
        (
            "dropped connection",
            Fault::new(FaultKind::DropConnection, 1),
            2,
            (0, 0),
        ),
        ("503 twice", Fault::new(FaultKind::SlowDown, 2), 3, (503, 2)),
    ] {
        w.emu
            .inject(fault.in_region(R1).for_bucket("retried").for_method("PUT"));
        w.emu.reset_counters();
        let put = client.put_object().bucket("retried").key(what);
        put.body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        let c = w.emu.counters();
        assert_eq!(c.requests_by_method(R1, "PUT"), puts, "{what}: retried");
        if errors.0 != 0 {
            assert_eq!(
                c.answers_with_status(R1, errors.0),
                errors.1,
                "{what}: fired"
            );
        }
        assert_eq!(c.answers_with_status(R1, 200), 1, "{what}: one success");
        let got = client
            .get_object()
            .bucket("retried")
            .key(what)
            .send()
            .await
            .unwrap();
        assert_eq!(common::body_of(got).await, data, "{what}");
    }

    // A multipart upload whose second part fails once: retried, the object is whole.
    let fs = s3_multi_region::fs::S3Fs::new(client.clone()).with_part_size(5 * MIB);
    let big: Vec<u8> = (0..16 * MIB).map(|i| (i * 7 % 251) as u8).collect();
    let url = "s3://retried/multipart".parse().unwrap();
    let mut writer = fs.create(&url).unwrap();
    w.emu.reset_counters();
    writer.write_all(&big[..6 * MIB]).await.unwrap();
    w.emu.inject(
        Fault::new(FaultKind::DropConnection, 1)
            .in_region(R1)
            .for_method("PUT"),
    );
    writer.write_all(&big[6 * MIB..]).await.unwrap();
    writer.shutdown().await.unwrap();
    let got = client
        .get_object()
        .bucket("retried")
        .key("multipart")
        .send()
        .await
        .unwrap();
    assert_eq!(common::body_of(got).await, big);
    assert_eq!(w.emu.open_uploads(), 0);
    // 16 MiB in 5 MiB parts is 4 parts; the dropped one was sent twice.
    assert_eq!(w.emu.counters().requests_by_method(R1, "PUT"), 5);
}

#[tokio::test]
async fn a_cache_file_another_writer_holds_locked_never_fails_a_request() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regions.db");
    let client = w
        .builder()
        .shared_cache(Arc::new(FileCache::open(&path).unwrap()))
        .build()
        .unwrap();
    w.bucket_with_object("before-lock", R1, "k", b"x").await;
    client
        .get_object()
        .bucket("before-lock")
        .key("k")
        .send()
        .await
        .unwrap();
    client.flush_cache_writes().await;

    // Another process's writer holds the database (an exclusive transaction, as a stuck or slow
    // writer would): every write of ours must fail, on any machine, root or not.
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    w.bucket_with_object("while-locked", R2, "k", b"x").await;
    let got = bounded("locked cache", async {
        let got = client
            .get_object()
            .bucket("while-locked")
            .key("k")
            .send()
            .await;
        client.flush_cache_writes().await;
        got
    })
    .await;
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(
        w.requests(),
        (1, 0, 1),
        "a cache that cannot be written costs nothing more"
    );

    // The file holds what was written before, and provably not what could not be written.
    let regions: Vec<(String, String)> = holder
        .prepare("SELECT bucket, region FROM bucket_region ORDER BY bucket")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(regions, [("before-lock".to_owned(), R1.to_owned())]);

    // The memory tier still holds what was learned.
    w.emu.reset_counters();
    let again = client
        .get_object()
        .bucket("while-locked")
        .key("k")
        .send()
        .await;
    assert!(again.is_ok());
    assert_eq!(w.requests(), (0, 0, 1));
}

#[tokio::test]
async fn a_probe_that_names_the_region_just_tried_ends_the_call() {
    let w = world().await;
    w.bucket_with_object("probe-says-here", R1, "k", b"x").await;
    w.answers_without_a_region("probe-says-here", Reported::Value(R0.into()));
    let client = w.client();
    let err = bounded(
        "probe names R0",
        client
            .get_object()
            .bucket("probe-says-here")
            .key("k")
            .send(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            routing_error(&err),
            Some(Error::RegionUnresolved { tried, .. }) if tried == R0
        ),
        "{err:?}"
    );
    assert_eq!(
        w.requests(),
        (2, 0, 0),
        "GET and probe at R0, no second GET there"
    );
    assert_eq!(client.stats().probes, 1);
    assert_eq!(client.stats().redirects, 0);
    // What the probe said stays cached: the default region, which a cold call tries first anyway,
    // so the next call costs the same two requests.
    assert_eq!(client.cached_region("probe-says-here").unwrap(), R0);
}

#[tokio::test]
async fn a_probed_region_that_answers_without_a_region_is_not_probed_again() {
    let w = world().await;
    w.bucket_with_object("probe-says-r2", R1, "k", b"x").await;
    w.answers_without_a_region("probe-says-r2", Reported::Value(R2.into()));
    let client = w.client();
    let err = bounded(
        "probe names R2",
        client.get_object().bucket("probe-says-r2").key("k").send(),
    )
    .await
    .unwrap_err();
    // One region-less answer per call is followed by a probe; R2's own region-less 301 is S3's
    // answer to the call (a second probe would only name R2 again).
    assert_eq!(
        err.raw_response().map(|r| r.status().as_u16()),
        Some(301),
        "{err:?}"
    );
    assert!(routing_error(&err).is_none(), "{err:?}");
    assert_eq!(
        w.requests(),
        (2, 0, 1),
        "GET and one probe at R0, the GET the probe sent to R2"
    );
    assert_eq!(client.stats().probes, 1);
    assert_eq!(client.stats().redirects, 1);
    // What the probe said stays cached (R2): S3's HeadBucket is the authority routing trusts.
    assert_eq!(client.cached_region("probe-says-r2").unwrap(), R2);
}
