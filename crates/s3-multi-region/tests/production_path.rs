//! The path users run: no endpoint map, the SDK's own resolver building real AWS hostnames
//! (`https://<bucket>.s3.<region>.amazonaws.com`), TLS, virtual-hosted addressing, the client
//! built exactly as the README says, reaching the emulator only through `HTTPS_PROXY` (its CONNECT
//! proxy) and trusting it only through `AWS_CA_BUNDLE` (its test CA).
//!
//! One emulator serves the whole binary and the process environment is set once, so the tests
//! take turns (a lock) and each starts from zeroed counters: every count below is exact.

use std::sync::OnceLock;

use aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::{Error, MultiRegionClient};
use s3mr_emulator::{Emulator, Reported, TlsSource, WrongRegionAnswer};

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";
const R2: &str = "ap-southeast-2";

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
    let _ = Error::NoSuchBucket {
        bucket: String::new(),
    };
    let _ = (Reported::Omit, WrongRegionAnswer::Auto);
}
