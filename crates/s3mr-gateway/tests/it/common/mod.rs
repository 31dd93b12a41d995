//! A gateway in front of a three-region emulator, as `s3mr serve` runs it: a routed client with
//! the emulator's endpoint map and credentials behind, a keys file's clients in front.

#![allow(dead_code)]

use std::net::SocketAddr;

use s3_multi_region::MultiRegionClient;
use s3mr_emulator::Emulator;
use s3mr_gateway::{Gateway, Keys};

pub(crate) const R0: &str = "us-east-1";
pub(crate) const R1: &str = "eu-west-1";
pub(crate) const R2: &str = "ap-southeast-2";

/// A bucket in each region.
pub(crate) const BUCKETS: [(&str, &str); 3] = [("gw-east", R0), ("gw-euro", R1), ("gw-apac", R2)];

pub(crate) const WRITER: (&str, &str) = ("GWWRITER0000000001", "writer-secret-0123456789");
pub(crate) const READER: (&str, &str) = ("GWREADER0000000001", "reader-secret-0123456789");
pub(crate) const EURO_ONLY: (&str, &str) = ("GWEUROONLY00000001", "euro-only-secret-0123456789");

pub(crate) const KEYS: &str = r#"
[[key]]
access_key = "GWWRITER0000000001"
secret_key = "writer-secret-0123456789"
buckets = ["gw-*"]

[[key]]
access_key = "GWREADER0000000001"
secret_key = "reader-secret-0123456789"
buckets = ["gw-*"]
read_only = true

[[key]]
access_key = "GWEUROONLY00000001"
secret_key = "euro-only-secret-0123456789"
buckets = ["gw-euro"]
"#;

pub(crate) struct World {
    pub emu: Emulator,
    pub client: MultiRegionClient,
    pub addr: SocketAddr,
    /// With TLS: the certificate clients trust (a self-signed one for 127.0.0.1), in its dir.
    pub tls: Option<(tempfile::TempDir, std::path::PathBuf)>,
    pub keys: s3mr_gateway::KeysHandle,
    pub admin: s3mr_gateway::AdminEndpoint,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<s3mr_gateway::Drained>>,
}

/// How [`World::start_setup`] starts its gateway.
#[derive(Default)]
pub(crate) struct Setup {
    /// The gateway's client knows every bucket's region before the counters are reset.
    pub warm: bool,
    pub domain: Option<String>,
    pub tls: Tls,
    pub limits: Option<s3mr_gateway::Limits>,
    /// The client's shared cache tier.
    pub shared: Option<std::sync::Arc<dyn s3_multi_region::cache::BucketRegionCache>>,
    pub admin_elsewhere: bool,
}

impl World {
    /// The emulator, a bucket in each region, and a gateway on a free port. With `warm`, the
    /// gateway's client knows every bucket's region before the counters are reset.
    pub(crate) async fn start(warm: bool) -> Self {
        Self::start_with(warm, None).await
    }

    pub(crate) async fn start_with(warm: bool, domain: Option<&str>) -> Self {
        Self::start_full(warm, domain, Tls::None).await
    }

    async fn start_full(warm: bool, domain: Option<&str>, tls: Tls) -> Self {
        Self::start_setup(Setup {
            warm,
            domain: domain.map(str::to_owned),
            tls,
            ..Setup::default()
        })
        .await
    }

    /// A gateway serving HTTPS with a certificate made for 127.0.0.1.
    pub(crate) async fn start_tls() -> Self {
        Self::start_full(true, None, Tls::SelfSigned).await
    }

    /// A gateway serving HTTPS for virtual hosts under `domain`, with a leaf certificate for
    /// `*.<domain>`, `<domain>` and 127.0.0.1 signed by a test CA (`ca.pem` in the TLS dir; a
    /// CA that did not sign it is `other-ca.pem` beside it).
    pub(crate) async fn start_vhost_tls(domain: &str) -> Self {
        Self::start_full(true, Some(domain), Tls::Ca(domain.to_owned())).await
    }

    /// The emulator and a gateway as `setup` says.
    pub(crate) async fn start_setup(setup: Setup) -> Self {
        let Setup {
            warm,
            domain,
            tls,
            limits,
            shared,
            admin_elsewhere,
        } = setup;
        let emu = Emulator::builder()
            .region(R0)
            .region(R1)
            .region(R2)
            .start()
            .await
            .unwrap();
        for (bucket, region) in BUCKETS {
            emu.seed_bucket(bucket, region).unwrap();
        }
        let (ak, sk) = emu.credentials();
        let sdk = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(R0))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(ak, sk, None, None, "gateway"),
                ),
            )
            .http_client(s3_multi_region::http_client().unwrap())
            .build();
        let mut client =
            MultiRegionClient::builder(&sdk).endpoint_map(emu.endpoint_map().parse().unwrap());
        if let Some(shared) = shared {
            client = client.shared_cache(shared);
        }
        let client = client.build().unwrap();
        if warm {
            for (bucket, region) in BUCKETS {
                assert_eq!(client.bucket_region(bucket).await.unwrap().as_str(), region);
            }
        }
        let mut builder = Gateway::builder(&client, Keys::parse(KEYS).unwrap())
            .credentials(sdk.credentials_provider().unwrap());
        if let Some(domain) = domain {
            builder = builder.domain(domain);
        }
        if let Some(limits) = limits {
            builder = builder.limits(limits);
        }
        if admin_elsewhere {
            builder = builder.admin_elsewhere();
        }
        let tls = tls.make();
        if let Some((dir, _)) = &tls {
            builder = builder.tls(dir.path().join("cert.pem"), dir.path().join("key.pem"));
        }
        let gateway = builder.build().unwrap();
        let keys = gateway.keys();
        let admin = gateway.admin();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(gateway.serve(listener, async {
            let _ = stopped.await;
        }));
        emu.reset_counters();
        Self {
            emu,
            client,
            addr,
            tls,
            keys,
            admin,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    /// Starts the drain (see [`World::drained`]).
    pub(crate) fn begin_drain(&mut self) {
        let _ = self.stop.take().unwrap().send(());
    }

    /// Whether the gateway is still draining.
    pub(crate) fn draining(&self) -> bool {
        self.serving.as_ref().is_some_and(|s| !s.is_finished())
    }

    /// Waits for the end of the drain.
    pub(crate) async fn drained(&mut self) -> s3mr_gateway::Drained {
        self.serving.take().unwrap().await.unwrap()
    }

    pub(crate) fn endpoint(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Requests every region received for `bucket`, as `(us-east-1, eu-west-1, ap-southeast-2)`.
    pub(crate) fn bucket_requests(&self, bucket: &str) -> (u64, u64, u64) {
        let c = self.emu.counters();
        (
            c.requests_for_bucket(R0, bucket),
            c.requests_for_bucket(R1, bucket),
            c.requests_for_bucket(R2, bucket),
        )
    }

    /// Every request the emulator received (what the gateway forwarded).
    pub(crate) fn forwarded(&self) -> u64 {
        self.emu.counters().total_requests()
    }

    /// An aws-sdk-s3 client pointed at the gateway, signing with `key`.
    pub(crate) fn sdk_client(&self, key: (&str, &str)) -> aws_sdk_s3::Client {
        sdk_client_at(&self.endpoint(), key, None)
    }
}

#[derive(Default)]
pub(crate) enum Tls {
    #[default]
    None,
    SelfSigned,
    Ca(String),
}

impl Tls {
    /// The gateway's `cert.pem` and `key.pem` in a temporary dir, and the certificate clients
    /// trust.
    fn make(self) -> Option<(tempfile::TempDir, std::path::PathBuf)> {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let trusted = match self {
            Self::None => return None,
            Self::SelfSigned => {
                let made = rcgen::generate_simple_self_signed(vec![
                    "127.0.0.1".to_owned(),
                    "localhost".to_owned(),
                ])
                .unwrap();
                write("key.pem", made.signing_key.serialize_pem());
                write("cert.pem", made.cert.pem())
            }
            Self::Ca(domain) => {
                let ca = |name: &str| {
                    let key = rcgen::KeyPair::generate().unwrap();
                    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
                    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                    params
                        .distinguished_name
                        .push(rcgen::DnType::CommonName, name);
                    let cert = params.self_signed(&key).unwrap();
                    (params, key, cert)
                };
                let (ca_params, ca_key, ca_cert) = ca("s3mr test CA");
                let (_, _, other) = ca("a CA that signed nothing here");
                let leaf_key = rcgen::KeyPair::generate().unwrap();
                let leaf = rcgen::CertificateParams::new(vec![
                    format!("*.{domain}"),
                    domain.clone(),
                    "127.0.0.1".to_owned(),
                ])
                .unwrap()
                .signed_by(&leaf_key, &rcgen::Issuer::from_params(&ca_params, &ca_key))
                .unwrap();
                write("key.pem", leaf_key.serialize_pem());
                write("cert.pem", leaf.pem());
                write("other-ca.pem", other.pem());
                write("ca.pem", ca_cert.pem())
            }
        };
        Some((dir, trusted))
    }
}

/// An aws-sdk-s3 client on `endpoint` (path-style), signing with `key`, with a clock that is
/// `skew` off when given.
pub(crate) fn sdk_client_at(
    endpoint: &str,
    key: (&str, &str),
    skew: Option<std::time::Duration>,
) -> aws_sdk_s3::Client {
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(R0))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            key.0, key.1, None, None, "client",
        ))
        .http_client(s3_multi_region::http_client().unwrap())
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled());
    if let Some(skew) = skew {
        config = config.time_source(Behind(skew));
    }
    aws_sdk_s3::Client::from_conf(config.build())
}

/// A clock that runs `.0` behind.
#[derive(Debug)]
struct Behind(std::time::Duration);

impl aws_smithy_async::time::TimeSource for Behind {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now() - self.0
    }
}

/// `curl URL` with extra headers, no proxy: the status and the body.
pub(crate) async fn curl(url: &str, headers: &[&str]) -> (u16, String) {
    let mut args = vec!["--silent", "--show-error", "--write-out", "\n%{http_code}"];
    for header in headers {
        args.extend(["--header", header]);
    }
    args.push(url);
    let out = tokio::process::Command::new("curl")
        .args(&args)
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.trim().parse().unwrap(), body.to_owned())
}

/// Runs `clients.py CLIENT ...` against the gateway for every bucket; panics with its output on
/// failure, and returns its `ok` lines.
pub(crate) async fn run_client(world: &World, client: &str) -> Vec<String> {
    run_client_at(world, client, &world.endpoint(), &[]).await
}

/// [`run_client`] with the gateway at `endpoint` and more environment for the script.
pub(crate) async fn run_client_at(
    world: &World,
    client: &str,
    endpoint: &str,
    env: &[(&str, &str)],
) -> Vec<String> {
    let scratch = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients.py");
    let mut args = vec![
        script.to_owned(),
        client.to_owned(),
        endpoint.to_owned(),
        WRITER.0.to_owned(),
        WRITER.1.to_owned(),
        scratch.path().display().to_string(),
    ];
    args.extend(BUCKETS.iter().map(|(b, _)| (*b).to_owned()));
    let mut command = tokio::process::Command::new("python3");
    command.args(&args).env("HOME", scratch.path());
    if let Some((_, cert)) = &world.tls {
        command.env("GATEWAY_CA", cert);
    }
    command.envs(env.iter().copied());
    let out = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{client} failed:\n{stdout}\n{stderr}");
    let oks: Vec<String> = stdout
        .lines()
        .filter(|l| l.starts_with("ok "))
        .map(str::to_owned)
        .collect();
    let want: Vec<String> = BUCKETS
        .iter()
        .map(|(b, _)| format!("ok {client} {b}"))
        .collect();
    assert_eq!(oks, want, "{stdout}\n{stderr}");
    oks
}
