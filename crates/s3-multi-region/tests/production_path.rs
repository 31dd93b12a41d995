//! The path users run: no endpoint map, the SDK's own resolver building real AWS hostnames
//! (`https://<bucket>.s3.<region>.amazonaws.com`), TLS, virtual-hosted addressing, the client
//! built exactly as the README says, reaching the emulator only through `HTTPS_PROXY` (its CONNECT
//! proxy) and trusting it only through `AWS_CA_BUNDLE` (its test CA).
//!
//! One emulator serves the whole binary and the process environment is set once, so the tests
//! take turns (a lock) and each starts from zeroed counters: every count below is exact.

// The process environment is what this test is about (HTTPS_PROXY, AWS_CA_BUNDLE, as users set
// them); `set_var` is unsafe in edition 2024, used once before any client exists (see `world`).
#![allow(unsafe_code)]

mod common;

use std::sync::OnceLock;

use aws_sdk_s3::client::Waiters;
use aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::{Error, MultiRegionClient};
use s3mr_emulator::{Emulator, Reported, TlsSource, WrongRegionAnswer};

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";
const R2: &str = "ap-southeast-2";
/// Serves S3 Express zones only (no test here keeps a general-purpose bucket in it).
const R3: &str = "us-west-2";

struct World {
    emu: Emulator,
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// The emulator (TLS + CONNECT proxy) on its own runtime thread, and the environment a user on
/// AWS has: credentials, a region, `HTTPS_PROXY`, `AWS_CA_BUNDLE` — nothing else.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let emu = Emulator::builder()
                    .region(R0)
                    .region(R1)
                    .region(R2)
                    .region(R3)
                    .zone("usw2-az1", R3)
                    .zone("usw2-lax1-az1", R3)
                    .zone("euw1-az1", R1)
                    .tls(TlsSource::Generated)
                    .proxy("127.0.0.1:0".parse().unwrap())
                    .start()
                    .await
                    .unwrap();
                let (done, wait) = tokio::sync::oneshot::channel::<()>();
                tx.send((emu, done)).unwrap();
                // Serve until the process ends.
                let _ = wait.await;
                std::future::pending::<()>().await;
            });
        });
        let (emu, done) = rx.recv().unwrap();
        std::mem::forget(done);
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("emulator-ca.pem");
        std::fs::write(&ca_file, emu.ca_pem().unwrap()).unwrap();
        let (ak, sk) = emu.credentials();
        // SAFETY: set once, inside `get_or_init`, before any test of this binary builds a client;
        // every test calls `world()` first, so none reads the environment meanwhile.
        unsafe {
            for name in [
                "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_S3",
                "AWS_PROFILE",
                "NO_PROXY",
                "no_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "ALL_PROXY",
                "all_proxy",
                "https_proxy",
            ] {
                std::env::remove_var(name);
            }
            std::env::set_var("HTTPS_PROXY", emu.proxy_url().unwrap());
            std::env::set_var("AWS_CA_BUNDLE", &ca_file);
            std::env::set_var("AWS_ACCESS_KEY_ID", ak);
            std::env::set_var("AWS_SECRET_ACCESS_KEY", sk);
            std::env::set_var("AWS_REGION", R0);
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::set_var("AWS_CONFIG_FILE", dir.path().join("no-config"));
            std::env::set_var(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("no-credentials"),
            );
        }
        World {
            emu,
            ca_file,
            _dir: dir,
        }
    })
}

/// Tests take turns on the one emulator; each starts with zeroed counters.
async fn turn() -> (tokio::sync::MutexGuard<'static, ()>, &'static Emulator) {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let world = world();
    let guard = LOCK.lock().await;
    world.emu.reset_counters();
    (guard, &world.emu)
}

/// The README's quick start, line for line.
async fn readme_client() -> Result<MultiRegionClient, Box<dyn std::error::Error>> {
    // rustls + ring; honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY and AWS_CA_BUNDLE like the aws CLI.
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client()?)
        .load()
        .await;
    let client = MultiRegionClient::new(&sdk)?; // derefs to aws_sdk_s3::Client
    Ok(client)
}

async fn client() -> MultiRegionClient {
    readme_client().await.expect("the README's client")
}

fn counts(emu: &Emulator, bucket: &str) -> (u64, u64, u64) {
    let c = emu.counters();
    (
        c.requests_for_bucket(R0, bucket),
        c.requests_for_bucket(R1, bucket),
        c.requests_for_bucket(R2, bucket),
    )
}

fn vhost(bucket: &str, region: &str) -> String {
    format!("{bucket}.s3.{region}.amazonaws.com")
}

/// Every Host the emulator saw, with counts.
fn hosts(emu: &Emulator) -> std::collections::BTreeMap<String, u64> {
    let mut all = std::collections::BTreeMap::new();
    for region in emu.counters().regions.values() {
        for (host, n) in &region.by_host {
            *all.entry(host.clone()).or_default() += n;
        }
    }
    all
}

/// Puts `key` into `bucket` with a plain client pinned to the bucket's region (not counted).
async fn plant(emu: &Emulator, bucket: &str, region: &str, keys: &[&str]) {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client().unwrap())
        .region(aws_sdk_s3::config::Region::new(region.to_owned()))
        .load()
        .await;
    let plain = aws_sdk_s3::Client::new(&sdk);
    for key in keys {
        plain
            .put_object()
            .bucket(bucket)
            .key(*key)
            .body(ByteStream::from_static(b"planted"))
            .send()
            .await
            .unwrap();
    }
    emu.reset_counters();
}

#[tokio::test]
async fn permanent_redirect_on_real_hostnames() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-301", R1).unwrap();
    plant(emu, "pp-301", R1, &["k"]).await;
    let client = client().await;
    let out = client
        .get_object()
        .bucket("pp-301")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(out.body.collect().await.unwrap().to_vec(), b"planted");
    assert_eq!(counts(emu, "pp-301"), (1, 1, 0));
    assert_eq!(
        hosts(emu).get(&vhost("pp-301", R0)),
        Some(&1),
        "{:?}",
        hosts(emu)
    );
    assert_eq!(
        hosts(emu).get(&vhost("pp-301", R1)),
        Some(&1),
        "{:?}",
        hosts(emu)
    );
    client
        .get_object()
        .bucket("pp-301")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(counts(emu, "pp-301"), (1, 2, 0));
    assert_eq!(emu.counters().refused_connects(), 0);
}

/// Sets `answer` (and what the region header says) for `bucket` only.
fn answer(emu: &Emulator, bucket: &str, answer: WrongRegionAnswer, header: Reported) {
    emu.configure(|s| {
        let b = s.bucket(bucket);
        b.answer = Some(answer);
        b.region_header = Some(header);
    });
}

#[tokio::test]
async fn every_wrong_region_answer_on_real_hostnames() {
    let (_turn, emu) = turn().await;
    // (bucket, answer, header, requests per region for one cold GET)
    type Case = (&'static str, WrongRegionAnswer, Reported, (u64, u64, u64));
    let cases: &[Case] = &[
        // Header-less 301: one HeadBucket probe at R0 learns the region.
        (
            "pp-nohdr",
            WrongRegionAnswer::PermanentRedirect,
            Reported::Omit,
            (2, 1, 0),
        ),
        (
            "pp-307",
            WrongRegionAnswer::TemporaryRedirect,
            Reported::Actual,
            (1, 1, 0),
        ),
        // The global endpoint's 400 AuthorizationHeaderMalformed, `<Region>` only.
        (
            "pp-ahm",
            WrongRegionAnswer::GlobalEndpoint,
            Reported::Omit,
            (1, 1, 0),
        ),
        (
            "pp-ilce",
            WrongRegionAnswer::IllegalLocationConstraint,
            Reported::Actual,
            (1, 1, 0),
        ),
    ];
    for (bucket, kind, header, _) in cases {
        emu.seed_bucket(bucket, R1).unwrap();
        plant(emu, bucket, R1, &["k"]).await;
        answer(emu, bucket, *kind, header.clone());
    }
    emu.reset_counters();
    let client = client().await;
    for (bucket, kind, _, want) in cases {
        let out = client.get_object().bucket(*bucket).key("k").send().await;
        let out = out.unwrap_or_else(|e| panic!("{bucket} ({kind:?}): {e:?}"));
        assert_eq!(out.body.collect().await.unwrap().to_vec(), b"planted");
        assert_eq!(counts(emu, bucket), *want, "{bucket} ({kind:?})");
        assert_eq!(
            client.cached_region(bucket).as_deref(),
            Some(R1),
            "{bucket}"
        );
        // Warm: straight to R1.
        client
            .get_object()
            .bucket(*bucket)
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(counts(emu, bucket).1, want.1 + 1, "{bucket} warm");
    }
    // 307: resent to the regional host once; the cache holds the region, never the Location.
    assert_eq!(hosts(emu).get(&vhost("pp-307", R1)), Some(&2));
    assert_eq!(emu.counters().refused_connects(), 0);
}

#[tokio::test]
async fn bodiless_head_answers_on_real_hostnames() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-head301", R1).unwrap();
    plant(emu, "pp-head301", R1, &["k"]).await;
    emu.seed_bucket("pp-head400", R1).unwrap();
    answer(
        emu,
        "pp-head400",
        WrongRegionAnswer::GlobalEndpoint,
        Reported::Actual,
    );
    let client = client().await;
    let head = client
        .head_object()
        .bucket("pp-head301")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(7));
    assert_eq!(counts(emu, "pp-head301"), (1, 1, 0));
    let bucket = client
        .head_bucket()
        .bucket("pp-head400")
        .send()
        .await
        .unwrap();
    assert_eq!(bucket.bucket_region(), Some(R1));
    assert_eq!(counts(emu, "pp-head400"), (1, 1, 0));
}

#[tokio::test]
async fn list_buckets_paginators_and_waiters_on_real_hostnames() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-warm", R2).unwrap();
    emu.seed_bucket("pp-pages", R1).unwrap();
    plant(emu, "pp-pages", R1, &["a", "b", "c", "d", "e"]).await;

    // ListBuckets is never routed, and teaches every bucket's region.
    let client = client().await;
    client.list_buckets().send().await.unwrap();
    assert_eq!(
        hosts(emu).get("s3.us-east-1.amazonaws.com"),
        Some(&1),
        "{:?}",
        hosts(emu)
    );
    client.head_bucket().bucket("pp-warm").send().await.unwrap();
    assert_eq!(counts(emu, "pp-warm"), (0, 0, 1));

    // A paginator over a cold bucket: only the first page pays the redirect.
    let client = self::client().await;
    let mut pages = client
        .list_objects_v2()
        .bucket("pp-pages")
        .max_keys(2)
        .into_paginator()
        .send();
    let mut keys = 0;
    while let Some(page) = pages.next().await {
        keys += page.unwrap().contents().len();
    }
    assert_eq!(keys, 5);
    assert_eq!(counts(emu, "pp-pages"), (1, 3, 0));

    // A waiter on a cold bucket.
    emu.reset_counters();
    let client = self::client().await;
    client
        .wait_until_object_exists()
        .bucket("pp-pages")
        .key("c")
        .wait(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(counts(emu, "pp-pages"), (1, 1, 0));
}

#[tokio::test]
async fn presigned_url_of_an_unknown_bucket_names_its_region_and_works() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-presign", R1).unwrap();
    plant(emu, "pp-presign", R1, &["report.csv"]).await;
    let client = client().await;
    let url = client
        .presigned_get_object(
            "pp-presign",
            "report.csv",
            std::time::Duration::from_secs(600),
        )
        .await
        .unwrap();
    let uri: http::Uri = url.uri().parse().unwrap();
    assert_eq!(uri.host(), Some("pp-presign.s3.eu-west-1.amazonaws.com"));
    assert!(
        url.uri().contains("%2Feu-west-1%2Fs3%2Faws4_request"),
        "{}",
        url.uri()
    );
    // One probe, nothing else sent.
    assert_eq!(counts(emu, "pp-presign"), (1, 0, 0));
    // Fetched by another client (curl) through the same proxy and CA: 200, the object.
    let out = std::process::Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--proxy"])
        .arg(emu.proxy_url().unwrap())
        .arg("--cacert")
        .arg(&world().ca_file)
        .arg(url.uri())
        .output()
        .expect("curl (scripts/install-tools.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"planted");
    assert_eq!(counts(emu, "pp-presign"), (1, 1, 0));
}

#[tokio::test]
async fn a_large_put_to_an_unknown_region_sends_no_body_bytes_there() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-big", R1).unwrap();
    let client = client().await;
    let body: Vec<u8> = (0..16 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    client
        .put_object()
        .bucket("pp-big")
        .key("big.bin")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let c = emu.counters();
    assert_eq!(c.body_bytes(R0), 0);
    assert!(c.body_bytes(R1) >= body.len() as u64);
    let got = client
        .get_object()
        .bucket("pp-big")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert!(got.body.collect().await.unwrap().to_vec() == body);
}

#[tokio::test]
async fn a_bucket_with_dots_goes_path_style_on_the_regional_host() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp.dotted.bucket", R1).unwrap();
    plant(emu, "pp.dotted.bucket", R1, &["k"]).await;
    let client = client().await;
    client
        .get_object()
        .bucket("pp.dotted.bucket")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(counts(emu, "pp.dotted.bucket"), (1, 1, 0));
    let seen = hosts(emu);
    assert_eq!(seen.get("s3.us-east-1.amazonaws.com"), Some(&1), "{seen:?}");
    assert_eq!(seen.get("s3.eu-west-1.amazonaws.com"), Some(&1), "{seen:?}");
}

/// The README's client with the SDK's dual-stack and FIPS settings.
async fn flagged_client(dual: bool, fips: bool) -> MultiRegionClient {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client().unwrap())
        .use_dual_stack(dual)
        .use_fips(fips)
        .load()
        .await;
    MultiRegionClient::new(&sdk).unwrap()
}

#[tokio::test]
async fn dual_stack_and_fips_hosts_survive_reroutes() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-dual", R1).unwrap();
    emu.seed_bucket("pp-fips", R1).unwrap();
    plant(emu, "pp-dual", R1, &["k"]).await;
    plant(emu, "pp-fips", R1, &["k"]).await;
    for (bucket, dual, fips, form) in [
        ("pp-dual", true, false, "s3.dualstack"),
        ("pp-fips", false, true, "s3-fips"),
    ] {
        let client = flagged_client(dual, fips).await;
        emu.reset_counters();
        client
            .get_object()
            .bucket(bucket)
            .key("k")
            .send()
            .await
            .unwrap();
        client
            .get_object()
            .bucket(bucket)
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(counts(emu, bucket), (1, 2, 0), "{bucket}");
        let seen = hosts(emu);
        let want: std::collections::BTreeMap<String, u64> = [
            (format!("{bucket}.{form}.{R0}.amazonaws.com"), 1),
            (format!("{bucket}.{form}.{R1}.amazonaws.com"), 2),
        ]
        .into_iter()
        .collect();
        assert_eq!(seen, want, "{bucket}");
    }
}

/// The light path (`send_light`) on the path users run: the README's client, the bucket's real
/// virtual-hosted hostname — FIPS and dual-stack forms too — reached only through `HTTPS_PROXY`'s
/// CONNECT and trusted only through `AWS_CA_BUNDLE`, signed as S3 checks it; nothing is sent
/// before the region is learned.
#[tokio::test]
async fn the_light_path_reaches_the_buckets_real_hostname_through_the_proxy() {
    use s3_multi_region::{Fallback, LightOutcome, LightRequest};
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-light", R1).unwrap();
    plant(emu, "pp-light", R1, &["k"]).await;
    for (dual, fips, form) in [
        (false, false, "s3"),
        (true, false, "s3.dualstack"),
        (false, true, "s3-fips"),
    ] {
        let client = flagged_client(dual, fips).await;
        emu.reset_counters();
        let cold = client.send_light("pp-light", LightRequest::get("k")).await;
        assert!(
            matches!(cold, LightOutcome::UseSdk(Fallback::RegionUnknown)),
            "{cold:?}"
        );
        assert_eq!(emu.counters().total_requests(), 0, "nothing sent cold");
        // Learned by the SDK path: us-east-1's 301, then eu-west-1 (each host CONNECTed once;
        // the light path's requests below share the client's pool, proxy and CA).
        client
            .head_bucket()
            .bucket("pp-light")
            .send()
            .await
            .unwrap();

        let LightOutcome::Answered(got) =
            client.send_light("pp-light", LightRequest::get("k")).await
        else {
            panic!("{form}: the warm GET was left to the SDK path");
        };
        assert_eq!(got.status(), 200, "{form}");
        assert_eq!(
            got.into_body().collect().await.unwrap().to_vec(),
            b"planted"
        );
        let put = LightRequest::put("light/ü k", bytes::Bytes::from_static(b"light"))
            .header("content-type", "text/plain")
            .unwrap();
        let LightOutcome::Answered(put) = client.send_light("pp-light", put).await else {
            panic!("{form}: the warm PUT was left to the SDK path");
        };
        assert_eq!(put.status(), 200, "{form}");
        let back = client
            .get_object()
            .bucket("pp-light")
            .key("light/ü k")
            .send()
            .await
            .unwrap();
        assert_eq!(back.content_type(), Some("text/plain"));
        assert_eq!(back.body.collect().await.unwrap().to_vec(), b"light");

        // HEAD at us-east-1 (301) and eu-west-1, then GET + PUT light and the SDK's GET.
        let (home, host) = (
            format!("pp-light.{form}.{R0}.amazonaws.com"),
            format!("pp-light.{form}.{R1}.amazonaws.com"),
        );
        assert_eq!(counts(emu, "pp-light"), (1, 1 + 3, 0), "{form}");
        assert_eq!(
            hosts(emu),
            [(home.clone(), 1), (host.clone(), 4)].into_iter().collect(),
            "{form}"
        );
        let (mut connected, refused) = connects(emu);
        connected.sort();
        assert_eq!(
            (connected, refused),
            (vec![format!("{host}:443"), format!("{home}:443")], vec![]),
            "{form}"
        );
        assert_eq!(emu.counters().answers_with_status(R1, 403), 0, "{form}");
        assert_eq!(
            (
                client.stats().light_answered,
                client.stats().light_fallbacks
            ),
            (2, 1),
            "{form}"
        );
    }
}

#[tokio::test]
async fn hostile_and_foreign_regions_never_reach_the_network() {
    let (_turn, emu) = turn().await;
    let hostile = [
        "evil.example.com/x",
        "evil.example.com",
        "EU-WEST-1",
        "eu-west-1:443",
        "cn-north-1",
        "us-gov-west-1",
    ];
    for (i, value) in hostile.iter().enumerate() {
        let bucket = format!("pp-hostile-{i}");
        emu.seed_bucket(&bucket, R1).unwrap();
        answer(
            emu,
            &bucket,
            WrongRegionAnswer::PermanentRedirect,
            Reported::Value((*value).into()),
        );
    }
    emu.reset_counters();
    let client = client().await;
    for (i, value) in hostile.iter().enumerate() {
        let bucket = format!("pp-hostile-{i}");
        let err = client
            .get_object()
            .bucket(&bucket)
            .key("k")
            .send()
            .await
            .unwrap_err();
        let routing = Error::find(&err).unwrap_or_else(|| panic!("{value}: {err:?}"));
        assert!(
            matches!(
                routing,
                Error::InvalidRegion { .. } | Error::RegionNotAllowed { .. }
            ),
            "{value}: {routing:?}"
        );
        assert_eq!(counts(emu, &bucket), (1, 0, 0), "{value}");
        assert_eq!(client.cached_region(&bucket), None, "{value}");
    }
    // Not one CONNECT to a host outside the emulator's (the proxy refuses and counts those).
    let c = emu.counters();
    assert_eq!(c.refused_connects(), 0, "{:?}", c.proxy.refused);
    for host in c.proxy.connects.keys() {
        assert!(host.ends_with(".s3.us-east-1.amazonaws.com:443"), "{host}");
    }
}

/// Host, path and credential scope of a presigned GET (the signature and date vary).
fn shape(url: &str) -> (String, String, String) {
    let uri: http::Uri = url.parse().unwrap();
    let scope = url
        .split('&')
        .find_map(|p| p.split_once("X-Amz-Credential=").map(|(_, v)| v))
        .map(|c| c.split("%2F").skip(2).collect::<Vec<_>>().join("/"))
        .unwrap_or_default();
    (
        uri.host().unwrap_or_default().to_owned(),
        uri.path().to_owned(),
        scope,
    )
}

#[tokio::test]
async fn access_point_and_object_lambda_arns_are_left_alone() {
    let (_turn, emu) = turn().await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client().unwrap())
        .load()
        .await;
    let raw = aws_sdk_s3::Client::new(&sdk);
    let routed = MultiRegionClient::new(&sdk).unwrap();
    let config =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60))
            .unwrap();
    let arns = [
        "arn:aws:s3:us-east-1:123456789012:accesspoint/home-ap",
        "arn:aws:s3:eu-west-1:123456789012:accesspoint/euro-ap",
        "arn:aws:s3-object-lambda:eu-west-1:123456789012:accesspoint/euro-lambda",
    ];
    for arn in arns {
        let presign = |client: aws_sdk_s3::Client| {
            let config = config.clone();
            async move {
                client
                    .get_object()
                    .bucket(arn)
                    .key("k")
                    .presigned(config)
                    .await
                    .map(|p| shape(p.uri()))
                    .map_err(|e| format!("{e:?}"))
            }
        };
        let want = presign(raw.clone()).await;
        let got = presign(routed.s3().clone()).await;
        let (host, _, scope) = want.clone().unwrap_or_else(|e| panic!("{arn}: {e}"));
        assert!(host.contains("123456789012"), "{arn}: {host}");
        let arn_region = arn.split(':').nth(3).unwrap();
        assert!(scope.starts_with(arn_region), "{arn}: {scope}");
        assert_eq!(got, want, "{arn}");
        assert_eq!(routed.cached_region(arn), None);
    }
    // Presigning sends nothing, and routing probed nothing for them.
    assert_eq!(emu.counters().total_requests(), 0);
    assert_eq!(emu.counters().proxy.connects.len(), 0);
    assert_eq!(routed.stats().probes, 0, "{:?}", routed.stats());
}

/// Every CONNECT target and every refused one, with counts.
fn connects(emu: &Emulator) -> (Vec<String>, Vec<String>) {
    let c = emu.counters();
    (
        c.proxy.connects.keys().cloned().collect(),
        c.proxy.refused.keys().cloned().collect(),
    )
}

fn zonal(bucket: &str, zone: &str, region: &str) -> String {
    format!("{bucket}.s3express-{zone}.{region}.amazonaws.com")
}

/// Changes one signed header after signing (the signature no longer matches what is sent).
#[derive(Debug)]
struct Tamper;

impl aws_sdk_s3::config::Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_sdk_s3::config::RuntimeComponents,
        _cfg: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        let headers = context.request_mut().headers_mut();
        let date = headers.get("x-amz-date").unwrap_or_default().to_owned();
        // One second later: a signed header, well formed, not what was signed.
        let last = date.as_bytes()[14];
        let later = if last == b'9' { b'8' } else { last + 1 };
        let mut tampered = date.into_bytes();
        tampered[14] = later;
        headers.insert("x-amz-date", String::from_utf8(tampered).unwrap());
        Ok(())
    }
}

#[tokio::test]
async fn directory_buckets_reach_their_zone_with_one_session_each() {
    let (_turn, emu) = turn().await;
    let west = "pp-b--usw2-az1--x-s3";
    let euro = "pp-c--euw1-az1--x-s3";
    let local = "pp-l--usw2-lax1-az1--x-s3";
    for (bucket, region) in [(west, R3), (euro, R1), (local, R3)] {
        emu.seed_bucket(bucket, region).unwrap();
    }
    // A client defaulting to us-east-1, built as the README says.
    let client = client().await;
    for bucket in [west, euro, local] {
        client
            .put_object()
            .bucket(bucket)
            .key("k")
            .body(ByteStream::from_static(b"express"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{bucket}: {e:?}"));
        let got = client
            .get_object()
            .bucket(bucket)
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(
            &got.body.collect().await.unwrap().into_bytes()[..],
            b"express"
        );
        let listed = client
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["k"], "{bucket}");
    }
    let c = emu.counters();
    // Exactly one CreateSession per bucket, each at its zone's region.
    assert_eq!(c.sessions_created(R3, west), 1);
    assert_eq!(c.sessions_created(R1, euro), 1);
    assert_eq!(c.sessions_created(R3, local), 1);
    assert_eq!(c.total_sessions(), 3);
    // CreateSession + PUT + GET + LIST per bucket, nothing anywhere else.
    assert_eq!(c.requests(R3), 8);
    assert_eq!(c.requests(R1), 4);
    assert_eq!(c.requests(R0) + c.requests(R2), 0);
    assert_eq!(c.refused_signatures(), 0);
    let (tunnels, refused) = connects(emu);
    assert!(refused.is_empty(), "{refused:?}");
    let mut want = vec![
        format!("{}:443", zonal(west, "usw2-az1", R3)),
        format!("{}:443", zonal(euro, "euw1-az1", R1)),
        format!("{}:443", zonal(local, "usw2-lax1-az1", R3)),
    ];
    want.sort();
    assert_eq!(tunnels, want);
    // Neither probed nor cached: the zone names the region.
    assert_eq!(client.stats().probes, 0, "{:?}", client.stats());
    for bucket in [west, euro, local] {
        assert_eq!(client.cached_region(bucket), None);
    }

    // A second call reuses the session; a presigned URL names the zone's region's host.
    emu.reset_counters();
    client
        .head_object()
        .bucket(west)
        .key("k")
        .send()
        .await
        .unwrap();
    let presigned = client
        .get_object()
        .bucket(euro)
        .key("k")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let (host, _, scope) = shape(presigned.uri());
    assert_eq!(host, zonal(euro, "euw1-az1", R1));
    assert!(scope.starts_with("eu-west-1/s3express/"), "{scope}");
    let c = emu.counters();
    assert_eq!(c.total_sessions(), 0, "sessions are reused");
    assert_eq!(c.requests(R3), 1);
    assert_eq!(c.total_requests(), 1);

    // The emulator verifies the session signature: a request changed after signing is 403.
    a_tampered_get_is_refused(emu, west).await;
    assert_eq!(emu.counters().total_sessions(), 1);

    // An at_region that contradicts the zone: refused before anything is sent.
    emu.reset_counters();
    let err = client
        .get_object()
        .bucket(west)
        .key("k")
        .customize()
        .config_override(s3_multi_region::at_region(R1))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(Error::find(&err), Some(Error::ZoneRegion { .. })),
        "{err:?}"
    );
    assert_eq!(emu.counters().total_requests(), 0);
    assert!(emu.counters().proxy.connects.is_empty());
}

/// A GET of `bucket/k` by a client whose requests are changed after signing ([`Tamper`]): 403,
/// counted as one refused signature (counters reset first).
async fn a_tampered_get_is_refused(emu: &Emulator, bucket: &str) {
    let tampered = MultiRegionClient::builder(&sdk_config().await)
        .configure_s3(|b| b.interceptor(Tamper))
        .build()
        .unwrap();
    emu.reset_counters();
    let err = tampered
        .get_object()
        .bucket(bucket)
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.raw_response().map(|r| r.status().as_u16()),
        Some(403),
        "{bucket}: {err:?}"
    );
    assert_eq!(emu.counters().refused_signatures(), 1, "{bucket}");
}

async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client().unwrap())
        .load()
        .await
}

#[tokio::test]
async fn without_routing_a_directory_bucket_of_another_region_is_unreachable() {
    let (_turn, emu) = turn().await;
    let bucket = "pp-u--usw2-az1--x-s3";
    emu.seed_bucket(bucket, R3).unwrap();
    // What the SDK does alone from us-east-1: the zonal host under us-east-1, which does not
    // exist (the proxy refuses it, as DNS would fail); the SDK retries it as a network error.
    let raw = aws_sdk_s3::Client::new(&sdk_config().await);
    let err = raw
        .get_object()
        .bucket(bucket)
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, aws_sdk_s3::error::SdkError::DispatchFailure(_)),
        "{err:?}"
    );
    let (tunnels, refused) = connects(emu);
    assert!(tunnels.is_empty(), "{tunnels:?}");
    assert_eq!(refused, [format!("{}:443", zonal(bucket, "usw2-az1", R0))]);
    assert_eq!(emu.counters().total_requests(), 0);
}

#[tokio::test]
async fn a_directory_bucket_is_created_on_its_regions_control_plane() {
    use aws_sdk_s3::types::{
        BucketInfo, BucketType, CreateBucketConfiguration, DataRedundancy, LocationInfo,
        LocationType,
    };
    let (_turn, emu) = turn().await;
    let bucket = "pp-new--euw1-az1--x-s3";
    let client = client().await;
    let config = |zone: &str| {
        CreateBucketConfiguration::builder()
            .location(
                LocationInfo::builder()
                    .name(zone)
                    .r#type(LocationType::AvailabilityZone)
                    .build(),
            )
            .bucket(
                BucketInfo::builder()
                    .data_redundancy(DataRedundancy::SingleAvailabilityZone)
                    .r#type(BucketType::Directory)
                    .build(),
            )
            .build()
    };
    client
        .create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(config("euw1-az1"))
        .send()
        .await
        .unwrap();
    assert_eq!(emu.bucket_region(bucket).as_deref(), Some(R1));
    let (tunnels, refused) = connects(emu);
    assert_eq!(tunnels, ["s3express-control.eu-west-1.amazonaws.com:443"]);
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(emu.counters().requests(R1), 1);
    // Its objects then go to the zonal host.
    client
        .put_object()
        .bucket(bucket)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(emu.counters().sessions_created(R1, bucket), 1);
}

#[cfg(feature = "mrap")]
#[tokio::test]
async fn a_multi_region_access_point_is_signed_sigv4a_and_verified() {
    let (_turn, emu) = turn().await;
    let alias = "mfzwi23gnjvgw";
    let arn = format!("arn:aws:s3::123456789012:accesspoint/{alias}.mrap");
    emu.seed_bucket("pp-mrap-target", R1).unwrap();
    emu.multi_region_access_point(alias, "pp-mrap-target")
        .unwrap();
    let client = client().await;
    client
        .put_object()
        .bucket(&arn)
        .key("k")
        .body(ByteStream::from_static(b"global"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_object()
        .bucket(&arn)
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"global"
    );
    // Both verified by the emulator (SigV4a over region set *), served by the bucket's region.
    let c = emu.counters();
    assert_eq!(c.requests(R1), 2);
    assert_eq!(c.total_requests(), 2);
    assert_eq!(c.refused_signatures(), 0);
    let (tunnels, refused) = connects(emu);
    assert_eq!(
        tunnels,
        [format!(
            "{alias}.mrap.accesspoint.s3-global.amazonaws.com:443"
        )]
    );
    assert!(refused.is_empty());
    assert_eq!(client.stats().probes, 0);
    assert_eq!(client.cached_region(&arn), None);

    // Changed after signing: 403, nothing served.
    a_tampered_get_is_refused(emu, &arn).await;
}

#[tokio::test]
async fn accelerated_requests_are_signed_for_the_bucket_region() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-accel", R1).unwrap();
    plant(emu, "pp-accel", R1, &["k"]).await;
    for (dual_stack, host) in [
        (false, "pp-accel.s3-accelerate.amazonaws.com"),
        (true, "pp-accel.s3-accelerate.dualstack.amazonaws.com"),
    ] {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(s3_multi_region::http_client().unwrap())
            .use_dual_stack(dual_stack)
            .load()
            .await;
        let client = MultiRegionClient::builder(&sdk)
            .configure_s3(|b| b.accelerate(true))
            .build()
            .unwrap();
        emu.reset_counters();
        // Cold: signed for us-east-1, S3 answers 400 naming eu-west-1; re-signed: 200.
        let got = client
            .get_object()
            .bucket("pp-accel")
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(
            &got.body.collect().await.unwrap().into_bytes()[..],
            b"planted"
        );
        let c = emu.counters();
        assert_eq!(c.total_requests(), 2, "{host}");
        assert_eq!(c.answers_with_status(R1, 400), 1, "{host}");
        assert_eq!(client.cached_region("pp-accel").as_deref(), Some(R1));
        // Warm: one request.
        client
            .get_object()
            .bucket("pp-accel")
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(emu.counters().total_requests(), 3, "{host}");
        // Every request on the accelerate host (dual-stack kept).
        let seen = hosts(emu);
        assert_eq!(seen, [(host.to_owned(), 3)].into_iter().collect(), "{host}");
        assert_eq!(connects(emu).0, [format!("{host}:443")]);
    }
}

#[tokio::test]
async fn a_newer_sdk_parameter_is_never_dropped_by_a_reroute() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-drift", R1).unwrap();
    plant(emu, "pp-drift", R1, &["k"]).await;
    // Every field routing copies but `key`: how routing sees an SDK that added one.
    let (client, warning) = drifted_client(false).await;
    assert!(
        warning.contains("WARN")
            && warning.contains("does not copy")
            && warning.contains("\"key\""),
        "{warning}"
    );
    println!("the guard's warning: {warning}");

    // GetObject sets `key`: not rerouted, S3's 301 becomes a typed error that says why.
    let err = client
        .get_object()
        .bucket("pp-drift")
        .key("k")
        .send()
        .await
        .unwrap_err();
    match Error::find(&err) {
        Some(Error::EndpointParamsNotCopied { fields, tried, .. }) => {
            assert_eq!(
                (fields.as_slice(), tried.as_str()),
                (&["key".to_owned()][..], R0)
            );
        }
        other => panic!("{other:?}: {err:?}"),
    }
    println!("the error: {}", Error::find(&err).unwrap());
    assert_eq!(counts(emu, "pp-drift"), (1, 0, 0));
    assert_eq!(client.cached_region("pp-drift"), None);
    // A call that does not set it is routed as ever.
    let listed = client
        .list_objects_v2()
        .bucket("pp-drift")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1));
    assert_eq!(counts(emu, "pp-drift"), (2, 1, 0));
    // Now the region is cached: a call that sets `key` is still never sent with a lossy copy. It
    // goes where the SDK sends it, untouched, and S3's 301 is the typed error again.
    assert_eq!(client.cached_region("pp-drift").as_deref(), Some(R1));
    let err = client
        .get_object()
        .bucket("pp-drift")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            Error::find(&err),
            Some(Error::EndpointParamsNotCopied { .. })
        ),
        "{err:?}"
    );
    assert_eq!(counts(emu, "pp-drift"), (3, 1, 0));
}

/// The guard is proven with `PartialEq`, not read from `Debug`: with an SDK whose `Params` `Debug` shows
/// fewer fields than routing knows (here it hides `key`) and whose copy would lose `key`, the
/// build warns that `Debug` shows less, and a call that sets `key` is still never rerouted.
#[tokio::test]
async fn a_parameter_that_debug_hides_is_still_never_dropped_by_a_reroute() {
    let (_turn, emu) = turn().await;
    emu.seed_bucket("pp-hidden", R1).unwrap();
    plant(emu, "pp-hidden", R1, &["k"]).await;
    let (client, warning) = drifted_client(true).await;
    assert!(
        warning.contains("WARN")
            && warning.contains("fewer shown by Debug")
            && warning.contains("not_shown=[\"key\"]")
            && warning.contains("fields=[]"),
        "{warning}"
    );
    let err = client
        .get_object()
        .bucket("pp-hidden")
        .key("k")
        .send()
        .await
        .unwrap_err();
    match Error::find(&err) {
        Some(Error::EndpointParamsNotCopied { fields, tried, .. }) => {
            assert_eq!(
                (fields.as_slice(), tried.as_str()),
                (&["key".to_owned()][..], R0)
            );
        }
        other => panic!("{other:?}: {err:?}"),
    }
    assert_eq!(counts(emu, "pp-hidden"), (1, 0, 0), "nothing sent to R1");
    assert_eq!(client.cached_region("pp-hidden"), None);
}

/// A client whose copy of the endpoint parameters drops `key` (as with an SDK that added a field
/// routing does not know), and, with `debug_hides_it`, whose `Params` `Debug` does not show `key`
/// either; with the warnings its build logged.
async fn drifted_client(debug_hides_it: bool) -> (MultiRegionClient, String) {
    let all_but_key: &'static [&'static str] = Box::leak(
        s3_multi_region::COPIED_ENDPOINT_PARAMS
            .iter()
            .copied()
            .filter(|field| *field != "key")
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(s3_multi_region::http_client().unwrap())
        .load()
        .await;
    let capture = common::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let client = tracing::subscriber::with_default(subscriber, || {
        let mut builder =
            MultiRegionClient::builder(&sdk).assume_copied_endpoint_params(all_but_key);
        if debug_hides_it {
            builder = builder.assume_debug_shows_endpoint_params(all_but_key);
        }
        builder.build().unwrap()
    });
    let warning = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    (client, warning)
}
