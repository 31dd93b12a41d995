//! `s3mr serve` run as an operator runs it, as separate processes: SIGTERM during a 256 MiB
//! upload (it finishes, new connections are refused, exit 0), SIGHUP reloading the keys while
//! a download streams, a fleet of two gateways sharing one Redis cache (each region discovered
//! once per fleet; `kill -9` of one mid-upload leaves the other serving and no object half
//! written), and the gateway's own AWS secret in no answer, log line or metric.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use s3mr_emulator::Emulator;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common;
use crate::common::{command, plain_client};

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";
const R2: &str = "ap-southeast-2";

const KEY_A: (&str, &str) = ("GWFLEETKEYA0000001", "fleet-secret-a-0123456789");
const KEY_B: (&str, &str) = ("GWFLEETKEYB0000001", "fleet-secret-b-0123456789");
const KEY_C: (&str, &str) = ("GWFLEETKEYC0000001", "fleet-secret-c-0123456789");

fn keys_file(keys: &[(&str, &str)]) -> String {
    keys.iter()
        .map(|(ak, sk)| {
            format!("[[key]]\naccess_key = \"{ak}\"\nsecret_key = \"{sk}\"\nbuckets = [\"*\"]\n\n")
        })
        .collect()
}

/// One `s3mr serve` process: its endpoint, and everything it wrote to stderr so far.
struct Served {
    child: tokio::process::Child,
    endpoint: String,
    /// `http://ADDR/_s3mr/` with `--admin-listen`.
    admin: Option<String>,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    async fn start(emu: &Emulator, keys: &std::path::Path, extra: &[&str]) -> Self {
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            keys.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut child = command(emu, &args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next_line().await.unwrap().unwrap();
        let endpoint = ready.split_whitespace().nth(4).unwrap().to_owned();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{ready}");
        let admin = ready.split_once(", admin on ").map(|(_, at)| at.to_owned());
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            endpoint,
            admin,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    async fn signal(&self, name: &str) {
        common::signal(&self.child, name).await;
    }

    async fn wait_for_stderr(&self, needle: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.stderr().contains(needle) {
            assert!(
                std::time::Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn client(&self, key: (&str, &str)) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(R0))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new(
                key.0, key.1, None, None, "client",
            ))
            .http_client(s3_multi_region::http_client().unwrap())
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.endpoint.trim_start_matches("http://").parse().unwrap()
    }
}

/// A body of `total` bytes (byte `i` is `i % 251`) in 1 MiB chunks, `pause` apart, counting
/// what was handed to the client in `sent`.
fn paced_body(total: usize, pause: Duration, sent: Arc<AtomicU64>) -> ByteStream {
    const CHUNK: usize = 1024 * 1024;
    let stream = futures::stream::unfold(0usize, move |offset| {
        let sent = sent.clone();
        async move {
            if offset >= total {
                return None;
            }
            tokio::time::sleep(pause).await;
            let len = (total - offset).min(CHUNK);
            let chunk: Vec<u8> = (offset..offset + len).map(|i| (i % 251) as u8).collect();
            sent.fetch_add(len as u64, Ordering::Relaxed);
            let frame = http_body::Frame::data(bytes::Bytes::from(chunk));
            Some((Ok::<_, std::io::Error>(frame), offset + len))
        }
    });
    ByteStream::from_body_1_x(http_body_util::StreamBody::new(stream))
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The secret of the gateway's own AWS credentials appears nowhere in `texts`.
fn assert_no_secret(emu: &Emulator, texts: &[(&str, &str)]) {
    let (_, secret) = emu.credentials();
    for (what, text) in texts {
        assert!(!text.contains(secret), "the gateway's secret is in {what}");
    }
}

#[tokio::test]
async fn sigterm_during_a_256_mib_upload_lets_it_finish_refuses_new_connections_and_exits_0() {
    const SIZE: usize = 256 * 1024 * 1024;
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .start()
        .await
        .unwrap();
    emu.seed_bucket("drain-euro", R1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, keys_file(&[KEY_A])).unwrap();
    let access_log = dir.path().join("access.log");
    let gateway = Served::start(
        &emu,
        &keys,
        &[
            "--access-log",
            access_log.to_str().unwrap(),
            "--drain-timeout",
            "60s",
        ],
    )
    .await;
    let client = gateway.client(KEY_A);
    let sent = Arc::new(AtomicU64::new(0));
    let upload = tokio::spawn(
        client
            .put_object()
            .bucket("drain-euro")
            .key("big.bin")
            .content_length(SIZE as i64)
            .body(paced_body(SIZE, Duration::from_millis(4), sent.clone()))
            .send(),
    );
    wait_until("64 MiB sent", || sent.load(Ordering::Relaxed) >= 64 << 20).await;
    gateway.signal("TERM").await;
    let addr = gateway.addr();
    let mut refused = false;
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "new connections are refused during the drain");
    assert!(
        sent.load(Ordering::Relaxed) < SIZE as u64,
        "the drain started while the upload was in flight"
    );
    upload
        .await
        .unwrap()
        .expect("the upload in flight finished");
    let mut gateway = gateway;
    let status = tokio::time::timeout(Duration::from_secs(60), gateway.child.wait())
        .await
        .expect("the gateway exited after the drain")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", gateway.stderr());
    gateway.wait_for_stderr("s3mr gateway drained:").await;
    let stderr = gateway.stderr();
    assert!(
        stderr.contains("s3mr gateway drained: 0 requests cut, 0 multipart uploads aborted"),
        "{stderr}"
    );
    let stored = plain_client(&emu, R1)
        .head_object()
        .bucket("drain-euro")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.content_length(), Some(SIZE as i64));

    // One JSON line for the upload, with every field an operator needs.
    let log = std::fs::read_to_string(&access_log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    let put = &lines[0];
    for (field, want) in [
        ("key_id", serde_json::json!(KEY_A.0)),
        ("operation", serde_json::json!("PutObject")),
        ("bucket", serde_json::json!("drain-euro")),
        ("key", serde_json::json!("big.bin")),
        ("region", serde_json::json!(R1)),
        ("status", serde_json::json!(200)),
        ("bytes_in", serde_json::json!(SIZE)),
        ("bytes_out", serde_json::json!(0)),
    ] {
        assert_eq!(put[field], want, "{field} in {put}");
    }
    assert!(
        put["timestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{put}"
    );
    assert!(
        put["request_id"].as_str().is_some_and(|id| id.len() == 16),
        "{put}"
    );
    assert!(
        put["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{put}"
    );
    assert_no_secret(&emu, &[("the access log", &log), ("stderr", &stderr)]);
}

#[tokio::test]
async fn sighup_swaps_the_keys_while_a_download_streams_and_an_invalid_file_changes_nothing() {
    const SIZE: usize = 48 * 1024 * 1024;
    let emu = Emulator::builder()
        .region(R0)
        .region(R2)
        .start()
        .await
        .unwrap();
    emu.seed_bucket("reload-apac", R2).unwrap();
    let body: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    plain_client(&emu, R2)
        .put_object()
        .bucket("reload-apac")
        .key("long.bin")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, keys_file(&[KEY_A, KEY_B])).unwrap();
    let gateway = Served::start(&emu, &keys, &["--admin-listen", "127.0.0.1:0"]).await;
    // The admin endpoints on their own listener only.
    let admin = gateway
        .admin
        .clone()
        .expect("the ready line names the admin address");
    assert_eq!(get(&format!("{admin}readyz")).await, "ready\n");
    assert!(
        get(&format!("{}/_s3mr/readyz", gateway.endpoint))
            .await
            .starts_with("not here")
    );

    // A long download on key A, read slowly across both reloads.
    let download = gateway
        .client(KEY_A)
        .get_object()
        .bucket("reload-apac")
        .key("long.bin")
        .send()
        .await
        .unwrap();
    let mut stream = download.body;
    let mut got = Vec::with_capacity(SIZE);
    while got.len() < 4 * 1024 * 1024 {
        got.extend_from_slice(&stream.next().await.unwrap().unwrap());
    }

    let list = |key: (&'static str, &'static str)| {
        let client = gateway.client(key);
        async move {
            client
                .list_objects_v2()
                .bucket("reload-apac")
                .send()
                .await
                .map(|_| 200)
                .map_err(|e| {
                    (
                        e.raw_response().map(|r| r.status().as_u16()),
                        e.code().map(str::to_owned),
                    )
                })
        }
    };
    assert_eq!(list(KEY_B).await, Ok(200));
    assert_eq!(list(KEY_C).await.unwrap_err().0, Some(403));

    // B removed, C added.
    std::fs::write(&keys, keys_file(&[KEY_A, KEY_C])).unwrap();
    gateway.signal("HUP").await;
    gateway.wait_for_stderr("keys reloaded").await;
    assert_eq!(
        list(KEY_B).await,
        Err((Some(403), Some("InvalidAccessKeyId".to_owned())))
    );
    assert_eq!(list(KEY_C).await, Ok(200));

    // A file that does not parse: nothing changes, one error line.
    std::fs::write(&keys, "[[key]]\naccess_key = \"GWBROKEN\"\n").unwrap();
    gateway.signal("HUP").await;
    gateway.wait_for_stderr("keys NOT reloaded").await;
    assert_eq!(gateway.stderr().matches("keys NOT reloaded").count(), 1);
    assert_eq!(list(KEY_C).await, Ok(200));
    assert_eq!(list(KEY_B).await.unwrap_err().0, Some(403));

    // The download never stopped.
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    assert!(got == body, "the download came whole through both reloads");
    gateway.signal("TERM").await;
    let mut gateway = gateway;
    assert_eq!(gateway.child.wait().await.unwrap().code(), Some(0));
    assert_no_secret(&emu, &[("stderr", &gateway.stderr())]);
}

#[tokio::test]
async fn a_fleet_of_two_gateways_sharing_redis_discovers_each_region_once_and_survives_kill_9() {
    const PER_REGION: usize = 100;
    const REQUESTS: usize = 10_000;
    let redis = std::env::var("S3MR_TEST_REDIS_URL").expect(
        "S3MR_TEST_REDIS_URL is not set: run ./scripts/test.sh, which installs and starts redis-server",
    );
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .region(R2)
        .start()
        .await
        .unwrap();
    let mut buckets = Vec::new();
    for region in [R0, R1, R2] {
        let plain = plain_client(&emu, region);
        for i in 0..PER_REGION {
            let bucket = format!("fleet-{}-{i:03}", &region[..2]);
            emu.seed_bucket(&bucket, region).unwrap();
            plain
                .put_object()
                .bucket(&bucket)
                .key("k")
                .body(bucket.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
            buckets.push((bucket, region));
        }
    }
    emu.reset_counters();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, keys_file(&[KEY_A])).unwrap();
    let cache = [
        "--cache",
        redis.as_str(),
        "--max-requests",
        "64",
        "--max-connections",
        "64",
        "--header-timeout",
        "5s",
        "--domain",
        "s3.fleet.test",
    ];
    let gateways = [
        Served::start(&emu, &keys, &cache).await,
        Served::start(&emu, &keys, &cache).await,
    ];
    let clients = [gateways[0].client(KEY_A), gateways[1].client(KEY_A)];

    use futures::StreamExt;
    let errors: Vec<String> = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            // Requests go in pairs, one to each gateway, for the same bucket at the same time:
            // the first pair of each bucket races to discover its region.
            let client = clients[i % 2].clone();
            let (bucket, _) = buckets[(i / 2 * 7919) % buckets.len()].clone();
            async move {
                match client.get_object().bucket(&bucket).key("k").send().await {
                    Ok(got) => {
                        let body = got.body.collect().await.map_err(|e| e.to_string())?;
                        if body.into_bytes().as_ref() == bucket.as_bytes() {
                            Ok(())
                        } else {
                            Err(format!("{bucket}: wrong body"))
                        }
                    }
                    Err(err) => Err(format!("{bucket}: {err:?}")),
                }
            }
        })
        .buffer_unordered(32)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    let c = emu.counters();
    for (bucket, region) in &buckets {
        let wrong_region = c.requests_for_bucket(R0, bucket);
        if *region != R0 {
            assert_eq!(
                wrong_region, 1,
                "{bucket}: one wrong-region discovery across the fleet"
            );
        }
    }
    assert_eq!(c.answers_with_status(R0, 301), 2 * PER_REGION as u64);
    assert_eq!(
        c.total_requests(),
        (REQUESTS + 2 * PER_REGION) as u64,
        "every request forwarded once, plus one discovery per bucket outside us-east-1"
    );

    // kill -9 of one gateway in the middle of an upload through it.
    let sent = Arc::new(AtomicU64::new(0));
    let upload = tokio::spawn(
        clients[0]
            .put_object()
            .bucket("fleet-eu-000")
            .key("half.bin")
            .content_length(32 * 1024 * 1024)
            .body(paced_body(
                32 * 1024 * 1024,
                Duration::from_millis(50),
                sent.clone(),
            ))
            .send(),
    );
    wait_until("4 MiB sent", || sent.load(Ordering::Relaxed) >= 4 << 20).await;
    gateways[0].signal("KILL").await;
    let cut = upload.await.unwrap();
    assert!(cut.is_err(), "the upload through the killed gateway failed");
    let other = &clients[1];
    let got = other
        .get_object()
        .bucket("fleet-ap-042")
        .key("k")
        .send()
        .await
        .expect("the other gateway keeps serving");
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"fleet-ap-042"
    );
    let half = other
        .head_object()
        .bucket("fleet-eu-000")
        .key("half.bin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        half.raw_response().map(|r| r.status().as_u16()),
        Some(404),
        "no half-written object"
    );
    let listed = plain_client(&emu, R1)
        .list_objects_v2()
        .bucket("fleet-eu-000")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(names, ["k"]);

    // Metrics and logs of the survivor carry no secret.
    let scraped = other_metrics(&gateways[1]).await;
    assert!(scraped.contains("s3mr_gateway_requests_total"), "{scraped}");
    assert_no_secret(
        &emu,
        &[
            ("metrics", &scraped),
            ("stderr of the killed gateway", &gateways[0].stderr()),
            ("stderr of the other", &gateways[1].stderr()),
        ],
    );
}

async fn other_metrics(gateway: &Served) -> String {
    get(&format!("{}/_s3mr/metrics", gateway.endpoint)).await
}

/// The body of `curl URL` (no proxy).
async fn get(url: &str) -> String {
    let out = tokio::process::Command::new("curl")
        .args(["--silent", "--show-error", url])
        .env_remove("HTTP_PROXY")
        .output()
        .await
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}
