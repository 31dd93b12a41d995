//! The built `s3mr` binary against the emulator: every command, cross-region copies, JSON output
//! parsed, and bad input ending in one line on stderr with exit code 1 (2 for usage).

use std::process::Output;

use s3mr_emulator::Emulator;

use crate::common;
use tokio::io::AsyncWriteExt;

struct Cli {
    emu: Emulator,
}

impl Cli {
    async fn start() -> Self {
        let emu = Emulator::builder()
            .region("us-east-1")
            .region("eu-west-1")
            .region("ap-southeast-2")
            .start()
            .await
            .unwrap();
        Self { emu }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        common::command(&self.emu, args)
    }

    /// Runs `s3mr args...` (awaited, so the in-process emulator keeps serving).
    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "s3mr {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    async fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        serde_json::from_str(&self.ok(&with_json).await).unwrap()
    }

    /// Asserts `s3mr args...` fails with `code` and one line on stderr containing `needle` (and,
    /// where one exists, a second line with a hint).
    async fn fails(&self, args: &[&str], code: i32, needle: &str) {
        let out = self.run(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "s3mr {args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "s3mr {args:?}: {stderr:?} lacks {needle:?}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("SdkError {"),
            "{stderr}"
        );
        if code == 1 {
            let lines: Vec<&str> = stderr.trim_end().lines().collect();
            assert!(
                lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
                "one line (and a hint): {stderr}"
            );
        }
    }
}

#[tokio::test]
async fn buckets_objects_and_cross_region_copies() {
    let cli = Cli::start().await;
    cli.ok(&["mb", "s3://cli-east"]).await;
    cli.ok(&["mb", "s3://cli-euro", "--region", "eu-west-1"])
        .await;
    cli.ok(&["mb", "s3://cli-sydney", "--region", "ap-southeast-2"])
        .await;
    assert_eq!(
        cli.emu.bucket_region("cli-euro").as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        cli.emu.bucket_region("cli-sydney").as_deref(),
        Some("ap-southeast-2")
    );

    let buckets = cli.json(&["ls"]).await;
    let regions: Vec<(String, String)> = buckets
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        regions,
        [
            ("cli-east".into(), "us-east-1".into()),
            ("cli-euro".into(), "eu-west-1".into()),
            ("cli-sydney".into(), "ap-southeast-2".into())
        ]
    );

    // Upload: small (one PUT) and 20 MiB (multipart, 8 MiB parts), to a bucket in another region.
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"hello from the cli\n").unwrap();
    let big = dir.path().join("big.bin");
    let big_data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&big, &big_data).unwrap();
    cli.emu.reset_counters();
    cli.ok(&["cp", small.to_str().unwrap(), "s3://cli-euro/docs/"])
        .await;
    let counters = cli.emu.counters();
    assert_eq!(
        (
            counters.requests("us-east-1"),
            counters.requests("eu-west-1")
        ),
        (1, 1),
        "PUT answered 301 at us-east-1, then the PUT in eu-west-1"
    );
    assert_eq!(counters.requests_by_method("us-east-1", "HEAD"), 0);
    // A small file to a bucket in the client's own region: one request, like the aws CLI.
    cli.emu.reset_counters();
    cli.ok(&["cp", small.to_str().unwrap(), "s3://cli-east/docs/"])
        .await;
    assert_eq!(cli.emu.counters().total_requests(), 1);
    cli.ok(&["cp", big.to_str().unwrap(), "s3://cli-euro/big.bin"])
        .await;

    assert_eq!(
        cli.ok(&["cat", "s3://cli-euro/docs/small.txt"]).await,
        "hello from the cli\n"
    );
    let downloaded = dir.path().join("back.bin");
    cli.ok(&["cp", "s3://cli-euro/big.bin", downloaded.to_str().unwrap()])
        .await;
    assert_eq!(std::fs::read(&downloaded).unwrap(), big_data);

    let stat = cli.json(&["stat", "s3://cli-euro/big.bin"]).await;
    assert_eq!(stat["size"], 20 * 1024 * 1024);
    assert_eq!(stat["region"], "eu-west-1");

    // Server-side copy across regions, then a recursive copy of a prefix.
    cli.ok(&[
        "cp",
        "s3://cli-euro/docs/small.txt",
        "s3://cli-sydney/copied.txt",
    ])
    .await;
    assert_eq!(
        cli.ok(&["cat", "s3://cli-sydney/copied.txt"]).await,
        "hello from the cli\n"
    );
    cli.ok(&[
        "cp",
        "--recursive",
        "s3://cli-euro/docs/",
        "s3://cli-east/backup/",
    ])
    .await;
    let listing = cli.json(&["ls", "s3://cli-east/backup/"]).await;
    assert_eq!(listing[0]["key"], "backup/small.txt");
    // A local directory tree up, and a prefix back down.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    std::fs::write(tree.join("top.txt"), b"top").unwrap();
    std::fs::write(tree.join("a/b/deep.txt"), b"deep").unwrap();
    cli.ok(&[
        "cp",
        "--recursive",
        tree.to_str().unwrap(),
        "s3://cli-sydney/tree",
    ])
    .await;
    let back = dir.path().join("tree-back");
    cli.ok(&[
        "cp",
        "--recursive",
        "s3://cli-sydney/tree/",
        back.to_str().unwrap(),
    ])
    .await;
    assert_eq!(std::fs::read(back.join("a/b/deep.txt")).unwrap(), b"deep");
    assert_eq!(std::fs::read(back.join("top.txt")).unwrap(), b"top");
    cli.ok(&["rm", "--recursive", "s3://cli-sydney/tree"]).await;

    let top = cli.json(&["ls", "s3://cli-euro/"]).await;
    assert!(
        top.as_array()
            .unwrap()
            .iter()
            .any(|e| e["prefix"] == "docs/"),
        "{top}"
    );

    // Standard input and output.
    let mut child = cli
        .command(&["cp", "-", "s3://cli-sydney/from-stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped bytes")
        .await
        .unwrap();
    assert!(child.wait().await.unwrap().success());
    assert_eq!(
        cli.ok(&["cp", "s3://cli-sydney/from-stdin", "-"]).await,
        "piped bytes"
    );

    // Regions, presigning, removal.
    let regions = cli
        .json(&["region", "cli-east", "cli-euro", "cli-sydney"])
        .await;
    assert_eq!(
        regions,
        serde_json::json!({"cli-east": "us-east-1", "cli-euro": "eu-west-1", "cli-sydney": "ap-southeast-2"})
    );
    let url = cli
        .ok(&["presign", "s3://cli-sydney/copied.txt", "--expires", "15m"])
        .await;
    assert!(
        url.starts_with(&cli.emu.endpoint("ap-southeast-2")),
        "{url}"
    );
    assert!(
        url.contains("%2Fap-southeast-2%2Fs3%2Faws4_request") && url.contains("X-Amz-Expires=900"),
        "{url}"
    );

    cli.ok(&["rm", "s3://cli-sydney/copied.txt"]).await;
    cli.ok(&["rm", "--recursive", "s3://cli-euro/docs/"]).await;
    cli.ok(&["rb", "--force", "s3://cli-euro"]).await;
    assert_eq!(cli.emu.bucket_region("cli-euro"), None);
    cli.fails(
        &["rb", "s3://cli-sydney"],
        1,
        "bucket is not empty (BucketNotEmpty)",
    )
    .await;
}

#[tokio::test]
async fn the_file_cache_is_shared_between_runs() {
    let cli = Cli::start().await;
    cli.emu.seed_bucket("cached", "ap-southeast-2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = format!("file://{}", dir.path().join("regions.db").display());
    cli.emu.reset_counters();
    cli.ok(&["ls", "s3://cached", "--cache", &cache]).await;
    assert_eq!(
        cli.emu.counters().total_requests(),
        2,
        "first run: 301 then the listing"
    );
    cli.ok(&["ls", "s3://cached", "--cache", &cache]).await;
    assert_eq!(
        cli.emu.counters().total_requests(),
        3,
        "second run: straight to the region"
    );
    let got = cli
        .json(&["cache", "get", "cached", "--cache", &cache])
        .await;
    assert_eq!(got["region"], "ap-southeast-2");
    let stats = cli.json(&["cache", "stats", "--cache", &cache]).await;
    assert_eq!(stats["entries"], 1);
    cli.ok(&["cache", "clear", "--cache", &cache]).await;
    cli.fails(
        &["cache", "get", "cached", "--cache", &cache],
        255,
        "not in the cache",
    )
    .await;
}

#[tokio::test]
async fn at_region_and_no_redirects() {
    let cli = Cli::start().await;
    cli.emu.seed_bucket("pinned", "eu-west-1").unwrap();
    cli.emu.reset_counters();
    cli.ok(&["ls", "s3://pinned", "--at-region", "eu-west-1"])
        .await;
    assert_eq!(cli.emu.counters().requests("eu-west-1"), 1);
    assert_eq!(cli.emu.counters().requests("us-east-1"), 0);
    cli.fails(
        &["ls", "s3://pinned", "--no-redirects"],
        254,
        "s3://pinned/",
    )
    .await;
}

#[tokio::test]
async fn bad_input_gets_one_clear_line() {
    let cli = Cli::start().await;
    cli.emu.seed_bucket("present", "us-east-1").unwrap();
    cli.fails(&["cat", "not-a-url"], 252, "invalid S3 URL")
        .await;
    cli.fails(&["cat", "s3://Bad_Bucket/key"], 252, "invalid bucket name")
        .await;
    cli.fails(
        &["ls", "--region", "EVIL.example.com"],
        252,
        "invalid region",
    )
    .await;
    cli.fails(
        &["presign", "s3://present/k", "--expires", "30d"],
        252,
        "7 days",
    )
    .await;
    cli.fails(
        &["cat", "s3://present/missing"],
        254,
        "s3mr: cat s3://present/missing: no such key (NoSuchKey)",
    )
    .await;
    cli.fails(
        &["stat", "s3://present/missing"],
        254,
        "s3mr: stat s3://present/missing: not found",
    )
    .await;
    cli.fails(
        &["cat", "s3://absent-bucket/k"],
        254,
        "bucket does not exist (NoSuchBucket)",
    )
    .await;
    cli.fails(
        &["ls", "s3://present", "--cache", "ftp://x"],
        252,
        "invalid cache URL",
    )
    .await;
    let out = cli
        .command(&["ls", "s3://present"])
        .env("S3MR_ENDPOINTS", "us-east-1=http://127.0.0.1:9")
        .output()
        .await
        .unwrap();
    // Exit 255: no answer (worth retrying later), told apart from S3's refusals (254).
    assert_eq!(out.status.code(), Some(255));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("s3://present/: no answer from the endpoint"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: check the network"), "{stderr}");
    let out = cli
        .command(&["ls", "s3://present"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .await
        .unwrap();
    // Exit 253: no credentials, nothing sent.
    assert_eq!(
        out.status.code(),
        Some(253),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn an_interrupted_upload_leaves_no_object_and_no_upload() {
    let cli = Cli::start().await;
    cli.emu.seed_bucket("interrupted", "us-east-1").unwrap();
    // A stdin that delivers 9 MiB (one part uploaded) and then fails mid-stream is hard to fake
    // portably; SIGINT after the first part is the real thing.
    let mut child = cli
        .command(&["cp", "-", "s3://interrupted/partial.bin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&vec![1u8; 9 * 1024 * 1024]).await.unwrap();
    // Wait until the first part reached the emulator, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while cli.emu.counters().body_bytes("us-east-1") < 8 * 1024 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first part never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        tokio::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    let status = child.wait().await.unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130), "interrupted: 128 + SIGINT");
    cli.fails(&["stat", "s3://interrupted/partial.bin"], 254, "not found")
        .await;
    let methods = cli.emu.counters();
    assert_eq!(
        methods.requests_by_method("us-east-1", "DELETE"),
        1,
        "AbortMultipartUpload was sent"
    );
    assert_eq!(cli.emu.open_uploads(), 0, "no dangling multipart upload");
}

/// `s3mr cat s3://b/big | head -c 1` and `s3mr ls ... | head -1`: the reader goes away early;
/// as Unix tools do, the command stops quietly with exit 0 (it used to print "Broken pipe" and
/// exit 1).
#[tokio::test]
async fn a_reader_that_goes_away_ends_cat_and_ls_quietly() {
    use tokio::io::AsyncReadExt;
    let emu = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("pipe-euro", "eu-west-1").unwrap();
    let plain = common::plain_client(&emu, "eu-west-1");
    plain
        .put_object()
        .bucket("pipe-euro")
        .key("big.bin")
        .body(vec![b'x'; 16 * 1024 * 1024].into())
        .send()
        .await
        .unwrap();
    for i in 0..2000 {
        plain
            .put_object()
            .bucket("pipe-euro")
            .key(format!("many/{i:05}"))
            .body(Vec::new().into())
            .send()
            .await
            .unwrap();
    }
    for args in [
        &["cat", "s3://pipe-euro/big.bin"][..],
        &["ls", "--recursive", "s3://pipe-euro/many/"][..],
    ] {
        let mut child = common::command(&emu, args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).await.unwrap();
        drop(stdout);
        let out = child.wait_with_output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
