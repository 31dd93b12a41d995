//! The gateway as operators run it: metrics that agree with what S3 (the emulator) counted,
//! readiness that follows the shared cache, limits that answer 503 SlowDown and never hang, a
//! header timeout against slow clients, the admin prefix, and a drain that cuts what outlasts
//! it and aborts the multipart uploads it leaves open.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{BUCKETS, EURO_ONLY, R0, R1, R2, READER, Setup, WRITER, World, curl};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use s3mr_testkit::{PrivateRedis, emulator_client, poll};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A client of the gateway that sends plain bodies (no aws-chunked checksum trailer), so that
/// the bytes it sends are the bytes S3 stores.
fn plain_body_client(world: &World, key: (&str, &str)) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(R0))
        .endpoint_url(world.endpoint())
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            key.0, key.1, None, None, "client",
        ))
        .http_client(s3_multi_region::http_client().unwrap())
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `name{labels} value` lines of a scrape, by `name{labels}`.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The sum of the samples of `metric` whose labels contain every one of `labels`.
fn sum(samples: &BTreeMap<String, f64>, metric: &str, labels: &[&str]) -> u64 {
    samples
        .iter()
        .filter(|(name, _)| {
            name.split('{').next() == Some(metric) && labels.iter().all(|l| name.contains(l))
        })
        .map(|(_, v)| *v as u64)
        .sum()
}

async fn scrape(world: &World) -> (String, BTreeMap<String, f64>) {
    let (status, text) = curl(&format!("{}/_s3mr/metrics", world.endpoint()), &[]).await;
    assert_eq!(status, 200, "{text}");
    let parsed = samples(&text);
    (text, parsed)
}

#[tokio::test]
async fn metrics_agree_with_what_the_emulator_counted() {
    let world = World::start_setup(Setup::default()).await;
    // One object in each bucket, planted behind the gateway's back; then counters from zero.
    let mut seeded = BTreeMap::new();
    for (i, (bucket, region)) in BUCKETS.into_iter().enumerate() {
        let size = 1000 + 333 * i;
        emulator_client(&world.emu, region)
            .put_object()
            .bucket(bucket)
            .key("m/seed.bin")
            .body(vec![b's'; size].into())
            .send()
            .await
            .unwrap();
        seeded.insert(region, size as u64);
    }
    world.emu.reset_counters();

    let writer = plain_body_client(&world, WRITER);
    // Cold: the gateway learns each region from S3's answers. Each body is read whole: a
    // body dropped unread may be cut before the gateway sent (and counted) all of it.
    for (bucket, _) in BUCKETS {
        let got = writer
            .get_object()
            .bucket(bucket)
            .key("m/seed.bin")
            .send()
            .await
            .unwrap();
        got.body.collect().await.unwrap();
    }
    // Warm: put, head, get, delete.
    let mut put = BTreeMap::new();
    for (i, (bucket, region)) in BUCKETS.into_iter().enumerate() {
        let size = 5000 + 777 * i;
        let body = vec![b'p'; size];
        writer
            .put_object()
            .bucket(bucket)
            .key("m/put.bin")
            .body(body.into())
            .send()
            .await
            .unwrap();
        writer
            .head_object()
            .bucket(bucket)
            .key("m/put.bin")
            .send()
            .await
            .unwrap();
        let got = writer
            .get_object()
            .bucket(bucket)
            .key("m/put.bin")
            .send()
            .await
            .unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), size);
        writer
            .delete_object()
            .bucket(bucket)
            .key("m/put.bin")
            .send()
            .await
            .unwrap();
        put.insert(region, size as u64);
    }
    // One refusal of each kind.
    let refused = |result: Result<(), String>| assert!(result.is_err());
    refused(
        plain_body_client(&world, ("GWNOSUCHKEY0000001", "whatever-secret-0123"))
            .head_object()
            .bucket("gw-euro")
            .key("m/seed.bin")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    refused(
        plain_body_client(&world, (WRITER.0, "not-the-writer-secret-000"))
            .head_object()
            .bucket("gw-euro")
            .key("m/seed.bin")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    refused(
        plain_body_client(&world, READER)
            .put_object()
            .bucket("gw-euro")
            .key("m/nope")
            .body(b"x".to_vec().into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    refused(
        plain_body_client(&world, EURO_ONLY)
            .head_object()
            .bucket("gw-east")
            .key("m/seed.bin")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    let (status, _) = curl(&format!("{}/gw-euro/m/seed.bin", world.endpoint()), &[]).await;
    assert_eq!(status, 403);

    let (text, m) = scrape(&world).await;
    let c = world.emu.counters();
    let redirects = sum(&m, "s3mr_gateway_redirects_total", &[]);
    let probes = sum(&m, "s3mr_gateway_probes_total", &[]);
    assert_eq!(
        redirects, 2,
        "the two buckets outside us-east-1, once each\n{text}"
    );
    assert_eq!(
        redirects,
        c.answers_with_status(R0, 301),
        "every redirect followed is a wrong-region answer S3 gave"
    );
    // Every request the gateway forwarded is counted under the region S3 answered it from;
    // the default region also answered the wrong-region attempts and the probes.
    for region in [R0, R1, R2] {
        let forwarded = sum(
            &m,
            "s3mr_gateway_requests_total",
            &[&format!("region=\"{region}\"")],
        );
        let extra = if region == R0 { redirects + probes } else { 0 };
        assert_eq!(
            forwarded + extra,
            c.requests(region),
            "{region}: the gateway's count against the emulator's\n{text}"
        );
        assert_eq!(forwarded, 5, "{region}: get seed, put, head, get, delete");
        let received = sum(
            &m,
            "s3mr_gateway_received_bytes_total",
            &[&format!("region=\"{region}\"")],
        );
        assert_eq!(received, put[region], "{region}: bytes in");
        // The gateway's own SDK client frames what it sends (aws-chunked with a checksum).
        assert!(
            c.body_bytes(region) >= received,
            "{region}: bytes S3 received"
        );
        let sent = sum(
            &m,
            "s3mr_gateway_sent_bytes_total",
            &[&format!("region=\"{region}\"")],
        );
        assert_eq!(sent, seeded[region] + put[region], "{region}: bytes out");
        assert_eq!(
            sum(
                &m,
                "s3mr_gateway_requests_total",
                &[
                    "operation=\"GetObject\"",
                    "status=\"200\"",
                    &format!("region=\"{region}\"")
                ]
            ),
            2
        );
    }
    for reason in [
        "unknown_key",
        "signature",
        "read_only",
        "bucket",
        "anonymous",
    ] {
        assert_eq!(
            sum(
                &m,
                "s3mr_gateway_auth_failures_total",
                &[&format!("reason=\"{reason}\"")]
            ),
            1,
            "{reason}\n{text}"
        );
    }
    assert_eq!(
        sum(&m, "s3mr_gateway_requests_total", &["region=\"none\""]),
        5,
        "the refusals, answered by the gateway itself"
    );
    assert_eq!(sum(&m, "s3mr_gateway_in_flight_requests", &[]), 0);
    assert!(
        sum(
            &m,
            "s3mr_gateway_cache_lookups_total",
            &["tier=\"memory\"", "result=\"hit\""]
        ) > 0
    );
    // Labels never carry keys, secrets, buckets or object keys.
    let (emu_key, emu_secret) = world.emu.credentials();
    for private in [
        WRITER.0,
        WRITER.1,
        READER.0,
        EURO_ONLY.0,
        emu_key,
        emu_secret,
        "gw-euro",
        "gw-east",
        "seed.bin",
        "GWNOSUCHKEY",
    ] {
        assert!(!text.contains(private), "{private} in the metrics:\n{text}");
    }
}

#[tokio::test]
async fn readyz_is_503_while_the_shared_cache_is_down_and_requests_still_pass() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = PrivateRedis::start_on(port);
    let cache = s3_multi_region::cache::RedisCache::with_settings(
        &format!("redis://127.0.0.1:{port}/0"),
        Duration::from_millis(300),
        Duration::from_secs(3600),
    )
    .unwrap();
    let world = World::start_setup(Setup {
        warm: true,
        shared: Some(std::sync::Arc::new(cache)),
        ..Setup::default()
    })
    .await;
    let url = |path: &str| format!("{}/_s3mr/{path}", world.endpoint());
    assert_eq!(curl(&url("readyz"), &[]).await, (200, "ready\n".to_owned()));

    redis.stop();
    let (status, body) = curl(&url("readyz"), &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("not ready: the shared cache does not answer"),
        "{body}"
    );
    assert_eq!(curl(&url("healthz"), &[]).await, (200, "ok\n".to_owned()));
    // A cache that is down never fails a request.
    world
        .sdk_client(WRITER)
        .put_object()
        .bucket("gw-apac")
        .key("while-redis-is-down")
        .body(b"still served".to_vec().into())
        .send()
        .await
        .unwrap();

    let _redis = PrivateRedis::start_on(redis.port);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = curl(&url("readyz"), &[]).await;
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A warm world whose gateway has the default limits changed by `change`.
async fn with_limits(change: impl FnOnce(&mut s3mr_gateway::Limits)) -> World {
    let mut limits = s3mr_gateway::Limits::default();
    change(&mut limits);
    World::start_setup(Setup {
        warm: true,
        limits: Some(limits),
        ..Setup::default()
    })
    .await
}

#[tokio::test]
async fn beyond_max_requests_each_request_is_503_slowdown_and_none_hangs() {
    let world = with_limits(|l| l.max_requests = 4).await;
    world
        .sdk_client(WRITER)
        .put_object()
        .bucket("gw-euro")
        .key("slow")
        .body(b"slow answers".to_vec().into())
        .send()
        .await
        .unwrap();
    world.emu.configure(|s| {
        s.per_method_latency
            .insert("GET".into(), Duration::from_millis(400));
    });
    world.emu.reset_counters();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let client = world.sdk_client(WRITER);
        clients.spawn(async move {
            let sent = client.get_object().bucket("gw-euro").key("slow").send();
            match tokio::time::timeout(Duration::from_secs(30), sent).await {
                Err(_) => panic!("a request hung past 30 s"),
                Ok(Ok(_)) => Ok(()),
                Ok(Err(err)) => Err((
                    err.raw_response().map(|r| r.status().as_u16()),
                    err.code().map(str::to_owned),
                )),
            }
        });
    }
    let (mut ok, mut slow_down) = (0, 0);
    while let Some(done) = clients.join_next().await {
        match done.unwrap() {
            Ok(()) => ok += 1,
            Err((Some(503), Some(code))) if code == "SlowDown" => slow_down += 1,
            Err(other) => panic!("neither 200 nor 503 SlowDown: {other:?}"),
        }
    }
    assert_eq!(ok + slow_down, 32);
    assert!(ok >= 4 && slow_down >= 1, "ok {ok}, SlowDown {slow_down}");
    assert_eq!(
        world.emu.counters().requests_by_method(R1, "GET"),
        ok,
        "a request turned away is never forwarded"
    );
    let (_, m) = scrape(&world).await;
    assert_eq!(
        sum(
            &m,
            "s3mr_gateway_rejected_total",
            &["reason=\"max_requests\""]
        ),
        slow_down
    );
}

#[tokio::test]
async fn a_client_that_sends_headers_byte_by_byte_is_cut_at_the_header_timeout() {
    let world = with_limits(|l| l.header_timeout = Duration::from_secs(1)).await;
    let started = std::time::Instant::now();
    let mut slow = tokio::net::TcpStream::connect(world.addr).await.unwrap();
    let request = b"GET /gw-euro/?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut_after = None;
    for (sent, byte) in request.iter().enumerate() {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_after = Some(sent);
            break;
        }
        let mut buf = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(150), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut_after = Some(sent + 1);
                break;
            }
            Ok(Ok(n)) => panic!(
                "answered a request still being sent: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ),
            Err(_) => {}
        }
    }
    let cut_after = cut_after.expect("the whole request was sent and never cut");
    assert!(cut_after < request.len(), "cut after {cut_after} bytes");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut after {:?}",
        started.elapsed()
    );
    // A connection that sends nothing at all is closed too.
    let mut silent = tokio::net::TcpStream::connect(world.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("a silent connection was kept open past the timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert_eq!(world.forwarded(), 0);
}

#[tokio::test]
async fn beyond_max_connections_a_connection_is_answered_503_slowdown_and_closed() {
    let world = with_limits(|l| l.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(world.addr).await.unwrap();
        // A first byte, so that the connection is served (and holds its permit).
        stream.write_all(b"G").await.unwrap();
        held.push(stream);
    }
    // The two held connections are accepted (and take the two permits) as the gateway gets to
    // them: until then a third one may still be served.
    let (status, body) = poll(
        Duration::from_secs(10),
        || {
            let url = format!("{}/gw-euro/k", world.endpoint());
            async move { curl(&url, &[]).await }
        },
        |(s, _)| *s == 503,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("<Code>SlowDown</Code>"), "{body}");
    drop(held);
    let (status, _) = poll(
        Duration::from_secs(10),
        || {
            let url = format!("{}/_s3mr/healthz", world.endpoint());
            async move { curl(&url, &[]).await }
        },
        |(s, _)| *s == 200,
    )
    .await;
    assert_eq!(status, 200, "a freed slot serves again");
    assert_eq!(world.forwarded(), 0);
}

#[tokio::test]
async fn an_xml_body_over_the_limit_is_refused_before_forwarding() {
    let world = with_limits(|l| l.max_xml_body = 1024).await;
    let objects: Vec<_> = (0..100)
        .map(|i| {
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key(format!("some/rather/long/key/number/{i:04}"))
                .build()
                .unwrap()
        })
        .collect();
    let err = world
        .sdk_client(WRITER)
        .delete_objects()
        .bucket("gw-euro")
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(400), "{err:?}");
    assert_eq!(err.code(), Some("MaxMessageLengthExceeded"), "{err:?}");
    assert_eq!(world.forwarded(), 0);
}

#[tokio::test]
async fn the_admin_prefix_is_never_a_bucket() {
    let world = World::start_with(true, Some("s3.gateway.test")).await;
    let endpoint = world.endpoint();
    assert_eq!(
        curl(&format!("{endpoint}/_s3mr/healthz"), &[]).await,
        (200, "ok\n".to_owned())
    );
    let (status, _) = curl(&format!("{endpoint}/_s3mr/nothing-here"), &[]).await;
    assert_eq!(status, 404);
    // Signed S3 writes under the prefix are refused by the admin side, never forwarded.
    let put = world
        .sdk_client(WRITER)
        .put_object()
        .bucket("_s3mr")
        .key("healthz")
        .body(b"x".to_vec().into())
        .send()
        .await;
    assert!(put.is_err(), "{put:?}");
    // Virtual-hosted, `_s3mr` is not a bucket name.
    let (status, body) = curl(
        &format!("{endpoint}/metrics"),
        &["Host: _s3mr.s3.gateway.test"],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(world.forwarded(), 0);

    // With the admin endpoints on their own listener, the main one does not answer them.
    let world = World::start_setup(Setup {
        warm: true,
        admin_elsewhere: true,
        ..Setup::default()
    })
    .await;
    let (status, body) = curl(&format!("{}/_s3mr/metrics", world.endpoint()), &[]).await;
    assert_eq!(status, 404, "{body}");
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = admin.local_addr().unwrap();
    tokio::spawn(world.admin.clone().serve(admin));
    let (status, body) = curl(&format!("http://{at}/_s3mr/metrics"), &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("s3mr_gateway_in_flight_requests 0"), "{body}");
}

/// A body of `total` bytes sent in 64 KiB chunks with `pause` between them.
fn slow_body(total: usize, pause: Duration) -> ByteStream {
    let chunks = total.div_ceil(64 * 1024);
    let stream = futures::stream::unfold(0usize, move |sent| async move {
        if sent == chunks {
            return None;
        }
        tokio::time::sleep(pause).await;
        let len = (total - sent * 64 * 1024).min(64 * 1024);
        let frame = http_body::Frame::data(bytes::Bytes::from(vec![b'u'; len]));
        Some((Ok::<_, std::io::Error>(frame), sent + 1))
    });
    ByteStream::from_body_1_x(http_body_util::StreamBody::new(stream))
}

#[tokio::test]
async fn a_drain_lets_short_requests_finish_cuts_the_rest_and_aborts_open_uploads() {
    let mut world = with_limits(|l| l.drain_timeout = Duration::from_secs(2)).await;
    let writer = plain_body_client(&world, WRITER);
    // Someone else's data behind the gateway's back: an object and an upload it did not start.
    let theirs = emulator_client(&world.emu, R2);
    theirs
        .put_object()
        .bucket("gw-apac")
        .key("drain/other.txt")
        .body(b"not the gateway's".to_vec().into())
        .send()
        .await
        .unwrap();
    let their_upload = theirs
        .create_multipart_upload()
        .bucket("gw-apac")
        .key("drain/theirs.bin")
        .send()
        .await
        .unwrap();
    // An upload left open by its client, and one whose second part is still arriving.
    let idle = writer
        .create_multipart_upload()
        .bucket("gw-east")
        .key("drain/idle.bin")
        .send()
        .await
        .unwrap();
    let busy = writer
        .create_multipart_upload()
        .bucket("gw-euro")
        .key("drain/busy.bin")
        .send()
        .await
        .unwrap();
    let upload_id = busy.upload_id().unwrap().to_owned();
    writer
        .upload_part()
        .bucket("gw-euro")
        .key("drain/busy.bin")
        .upload_id(&upload_id)
        .part_number(1)
        .body(vec![b'1'; 5 * 1024 * 1024].into())
        .send()
        .await
        .unwrap();
    let part = writer
        .upload_part()
        .bucket("gw-euro")
        .key("drain/busy.bin")
        .upload_id(&upload_id)
        .part_number(2)
        .content_length(5 * 1024 * 1024)
        // 80 chunks, 100 ms apart: 8 s, far past the drain timeout.
        .body(slow_body(5 * 1024 * 1024, Duration::from_millis(100)))
        .send();
    let part = tokio::spawn(part);
    // A short request in flight when the drain starts: 1 s of S3 latency.
    world.emu.configure(|s| {
        s.per_method_latency
            .insert("HEAD".into(), Duration::from_millis(1000));
    });
    let short = tokio::spawn(writer.head_bucket().bucket("gw-apac").send());
    poll(
        Duration::from_secs(10),
        || scrape(&world),
        |(_, m)| sum(m, "s3mr_gateway_in_flight_requests", &[]) == 2,
    )
    .await;
    world.begin_drain();
    let refused = poll(
        Duration::from_secs(10),
        || async { tokio::net::TcpStream::connect(world.addr).await.is_err() },
        |refused| *refused,
    )
    .await;
    assert!(refused, "new connections are refused once the drain starts");
    assert!(world.draining(), "the part is still in flight");
    let drained = world.drained().await;
    assert_eq!(drained.requests_cut, 1, "{drained:?}");
    assert_eq!(drained.uploads_aborted, 2, "{drained:?}");
    short
        .await
        .unwrap()
        .expect("a request shorter than the drain finished");
    assert!(
        part.await.unwrap().is_err(),
        "the part past the drain was cut"
    );
    // Nothing left behind in S3: no object, no open upload.
    for (bucket, region) in [("gw-euro", R1), ("gw-east", R0)] {
        let s3 = emulator_client(&world.emu, region);
        let open = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        assert!(open.uploads().is_empty(), "{bucket}: {:?}", open.uploads());
        let listed = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix("drain/")
            .send()
            .await
            .unwrap();
        assert_eq!(listed.key_count(), Some(0), "{bucket}");
    }
    // What the gateway did not start is not its to abort: both survive the drain.
    let open = theirs
        .list_multipart_uploads()
        .bucket("gw-apac")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = open
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id())
        .collect();
    assert_eq!(ids, [their_upload.upload_id().unwrap()]);
    let kept = theirs
        .get_object()
        .bucket("gw-apac")
        .key("drain/other.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.body.collect().await.unwrap().into_bytes().as_ref(),
        b"not the gateway's"
    );
    let _ = idle;
}
