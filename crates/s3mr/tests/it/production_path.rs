//! The CLI on the path users run: no endpoint map, real AWS hostnames over TLS, reaching the
//! emulator only through `HTTPS_PROXY` and trusting it only through `AWS_CA_BUNDLE` (or
//! `--ca-bundle`), with exact counts per region.

use s3mr_emulator::{Emulator, TlsSource};

use crate::common::BIN;

const R0: &str = "us-east-1";
const R1: &str = "eu-west-1";
const R2: &str = "ap-southeast-2";
/// Serves one S3 Express zone (usw2-az1).
const R3: &str = "us-west-2";

struct Site {
    emu: Emulator,
    ca: std::path::PathBuf,
    dir: tempfile::TempDir,
}

async fn site() -> Site {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .region(R2)
        .region(R3)
        .zone("usw2-az1", R3)
        .tls(TlsSource::Generated)
        .proxy("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    Site { emu, ca, dir }
}

impl Site {
    /// `s3mr --region us-east-1` with only a proxy, credentials and (when given) a CA bundle in
    /// the environment.
    fn command(&self, ca_bundle: Option<&std::path::Path>) -> tokio::process::Command {
        let (ak, sk) = self.emu.credentials();
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(["--region", R0])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("HTTPS_PROXY", self.emu.proxy_url().unwrap())
            .env("AWS_ACCESS_KEY_ID", ak)
            .env("AWS_SECRET_ACCESS_KEY", sk)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(path) = ca_bundle {
            cmd.env("AWS_CA_BUNDLE", path);
        }
        cmd
    }

    /// `s3mr --region us-east-1 args...` with `AWS_CA_BUNDLE` naming the emulator's CA.
    async fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self
            .command(Some(&self.ca))
            .args(args)
            .output()
            .await
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    async fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args).await;
        assert!(ok, "s3mr {args:?}: {stderr}");
        stdout
    }

    fn counts(&self, bucket: &str) -> (u64, u64, u64) {
        let c = self.emu.counters();
        (
            c.requests_for_bucket(R0, bucket),
            c.requests_for_bucket(R1, bucket),
            c.requests_for_bucket(R2, bucket),
        )
    }
}

#[tokio::test]
async fn every_command_across_regions_through_a_proxy_and_a_ca_bundle() {
    let site = site().await;
    site.emu.seed_bucket("cli-pp-euro", R1).unwrap();
    site.emu.seed_bucket("cli-pp-sydney", R2).unwrap();
    let local = site.dir.path().join("hello.txt");
    std::fs::write(&local, b"hello over TLS\n").unwrap();

    // Each command is its own process with its own (memory) cache: every one pays its redirect.
    type Case = (&'static [&'static str], &'static str, (u64, u64, u64));
    let cases: &[Case] = &[
        (&["region", "cli-pp-euro"], "cli-pp-euro", (1, 0, 0)),
        // Upload of a small file: the PUT meets the 301 at us-east-1, then goes to eu-west-1.
        (
            &["cp", "LOCAL", "s3://cli-pp-euro/hello.txt"],
            "cli-pp-euro",
            (1, 1, 0),
        ),
        (
            &["stat", "s3://cli-pp-euro/hello.txt"],
            "cli-pp-euro",
            (1, 1, 0),
        ),
        (
            &["cat", "s3://cli-pp-euro/hello.txt"],
            "cli-pp-euro",
            (1, 1, 0),
        ),
        (&["ls", "s3://cli-pp-euro/"], "cli-pp-euro", (1, 1, 0)),
        (
            &[
                "cp",
                "s3://cli-pp-euro/hello.txt",
                "s3://cli-pp-sydney/copy.txt",
            ],
            "cli-pp-sydney",
            (1, 0, 1),
        ),
        (
            &["presign", "s3://cli-pp-sydney/copy.txt"],
            "cli-pp-sydney",
            (1, 0, 0),
        ),
    ];
    for (args, bucket, want) in cases {
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "LOCAL" {
                    local.to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        site.emu.reset_counters();
        let stdout = site.ok(&args).await;
        assert_eq!(site.counts(bucket), *want, "s3mr {args:?}: {stdout}");
        match args[0] {
            "region" => assert_eq!(stdout.trim(), "cli-pp-euro\teu-west-1"),
            "cat" => assert_eq!(stdout, "hello over TLS\n"),
            "stat" => assert!(stdout.contains("region:        eu-west-1"), "{stdout}"),
            "ls" => assert!(stdout.contains("hello.txt"), "{stdout}"),
            "presign" => assert!(
                stdout
                    .starts_with("https://cli-pp-sydney.s3.ap-southeast-2.amazonaws.com/copy.txt?")
                    && stdout.contains("%2Fap-southeast-2%2Fs3%2Faws4_request"),
                "{stdout}"
            ),
            _ => {}
        }
        assert_eq!(site.emu.counters().refused_connects(), 0, "{args:?}");
    }
    // The copy arrived, server-side, in Sydney.
    site.emu.reset_counters();
    assert_eq!(
        site.ok(&["cat", "s3://cli-pp-sydney/copy.txt"]).await,
        "hello over TLS\n"
    );

    // Without the CA bundle the TLS handshake fails: the tool really trusts only what it is told.
    let out = site
        .command(None)
        .args(["region", "cli-pp-euro"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());

    // --ca-bundle does what AWS_CA_BUNDLE does; a missing bundle is a clear usage error.
    let out = site
        .command(None)
        .arg("--ca-bundle")
        .arg(&site.ca)
        .args(["region", "cli-pp-sydney"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "cli-pp-sydney\tap-southeast-2"
    );
    let (ok, _, stderr) = site
        .run(&["--ca-bundle", "/nonexistent/ca.pem", "ls"])
        .await;
    assert!(!ok);
    assert!(stderr.contains("CA bundle /nonexistent/ca.pem"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn directory_buckets_access_points_and_acceleration_with_unchanged_syntax() {
    let site = site().await;
    let express = "cli-d--usw2-az1--x-s3";
    let alias = "clialias1";
    let arn = format!("arn:aws:s3::123456789012:accesspoint/{alias}.mrap");
    site.emu.seed_bucket(express, R3).unwrap();
    site.emu.seed_bucket("cli-mrap-target", R1).unwrap();
    site.emu
        .multi_region_access_point(alias, "cli-mrap-target")
        .unwrap();
    site.emu.seed_bucket("cli-accel", R1).unwrap();
    let local = site.dir.path().join("x.txt");
    std::fs::write(&local, b"express\n").unwrap();
    let local = local.to_str().unwrap();

    // The same commands as for any bucket, each its own process.
    for base in [format!("s3://{express}"), format!("s3://{arn}")] {
        site.ok(&["cp", local, &format!("{base}/x.txt")]).await;
        assert_eq!(
            site.ok(&["cat", &format!("{base}/x.txt")]).await,
            "express\n"
        );
        let listed = site.ok(&["ls", &format!("{base}/")]).await;
        assert!(listed.contains("x.txt"), "{base}: {listed}");
        site.ok(&["rm", &format!("{base}/x.txt")]).await;
        let listed = site.ok(&["ls", &format!("{base}/")]).await;
        assert!(!listed.contains("x.txt"), "{base}: {listed}");
    }
    let c = site.emu.counters();
    // One session per process for the directory bucket, at its zone's region; the MRAP's
    // SigV4a verified every time; nothing reached us-east-1 or a host outside the emulator.
    assert_eq!(c.sessions_created(R3, express), 5);
    assert_eq!(c.refused_signatures(), 0);
    assert_eq!(c.requests(R0), 0);
    assert!(c.proxy.refused.is_empty(), "{:?}", c.proxy.refused);
    assert!(
        c.proxy.connects.keys().all(|target| target
            == &format!("{express}.s3express-usw2-az1.{R3}.amazonaws.com:443")
            || target == &format!("{alias}.mrap.accesspoint.s3-global.amazonaws.com:443")),
        "{:?}",
        c.proxy.connects
    );
    assert!(site.emu.bucket_region("cli-mrap-target").is_some());

    // --accelerate: the accelerate host, signed for the bucket's region after one 400.
    site.emu.reset_counters();
    site.ok(&["--accelerate", "cp", local, "s3://cli-accel/x.txt"])
        .await;
    let accelerate_host = "cli-accel.s3-accelerate.amazonaws.com";
    let c = site.emu.counters();
    assert_eq!(c.requests_for_host(accelerate_host), 2);
    assert_eq!(c.answers_with_status(R1, 400), 1);
    assert_eq!(c.total_requests(), 2);
    // The profile's `s3.use_accelerate_endpoint`, as the aws CLI reads it.
    let aws_dir = site.dir.path().join(".aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("config"),
        "[default]\ns3 =\n  use_accelerate_endpoint = true\n",
    )
    .unwrap();
    site.emu.reset_counters();
    assert_eq!(site.ok(&["cat", "s3://cli-accel/x.txt"]).await, "express\n");
    assert_eq!(site.emu.counters().requests_for_host(accelerate_host), 2);
    assert_eq!(site.emu.counters().total_requests(), 2);
}
