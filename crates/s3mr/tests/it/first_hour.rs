//! The first hour of a new user, pinned: errors that say what to do (one line, the same words for
//! the same cause, a hint where one exists), defaults that match `--help`, output fit for pipes.

use crate::common::command;
use s3mr_emulator::Emulator;

async fn emulator() -> Emulator {
    Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .region("ap-southeast-2")
        .start()
        .await
        .unwrap()
}

/// (exit code, stdout, stderr)
async fn run(mut cmd: tokio::process::Command) -> (i32, String, String) {
    let out = cmd.output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No SDK `Debug` output, no colour codes, nothing long.
fn assert_clean(stderr: &str) {
    for bad in [
        "Error {",
        "ServiceError",
        "DispatchFailure",
        "SdkBody",
        "\u{1b}[",
        "panicked",
    ] {
        assert!(!stderr.contains(bad), "{bad:?} in {stderr}");
    }
    assert!(stderr.len() < 400, "{} bytes: {stderr}", stderr.len());
}

#[tokio::test]
async fn missing_credentials_are_named_not_blamed_on_the_endpoint() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&emu, &["ls"]);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"));
    let (code, _, stderr) = run(cmd).await;
    assert_eq!(code, 253, "exit 253 is 'no credentials' ({stderr})");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("s3mr: ls s3://: no AWS credentials found (looked in: environment"),
        "{stderr}"
    );
    assert!(lines[0].contains("instance metadata"), "{stderr}");
    assert!(
        lines[1].starts_with("hint: set AWS_ACCESS_KEY_ID"),
        "{stderr}"
    );
    assert_clean(&stderr);
    assert_eq!(emu.counters().total_requests(), 0);
}

#[tokio::test]
async fn the_same_cause_gets_the_same_one_line_on_every_command() {
    let emu = emulator().await;
    emu.seed_bucket("fh-here", "us-east-1").unwrap();
    emu.seed_bucket("fh-far", "ap-southeast-2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    let file = file.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let missing_bucket = "bucket does not exist (NoSuchBucket)";
    let missing_key = "no such key (NoSuchKey)";
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["cp", file, "s3://fh-missing/notes.txt"],
            format!("s3mr: cp s3://fh-missing/notes.txt: {missing_bucket}"),
        ),
        (
            vec!["ls", "s3://fh-missing/"],
            format!("s3mr: ls s3://fh-missing/: {missing_bucket}"),
        ),
        (
            vec!["cat", "s3://fh-missing/k"],
            format!("s3mr: cat s3://fh-missing/k: {missing_bucket}"),
        ),
        (
            vec!["rm", "s3://fh-missing/k"],
            format!("s3mr: rm s3://fh-missing/k: {missing_bucket}"),
        ),
        (
            vec!["cat", "s3://fh-here/nokey"],
            format!("s3mr: cat s3://fh-here/nokey: {missing_key}"),
        ),
        (
            vec!["cp", "s3://fh-here/nokey", out],
            format!("s3mr: cp s3://fh-here/nokey: {missing_key}"),
        ),
    ];
    for (args, want) in &cases {
        let (code, _, stderr) = run(command(&emu, args)).await;
        // A transfer that failed exits 1; a command that only asked, S3's refusal: 254.
        let transfer = ["cp", "rm"].contains(&args[0]);
        assert_eq!(code, if transfer { 1 } else { 254 }, "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end(), want, "{args:?}");
        assert_clean(&stderr);
    }
    // Access denied: a wrong secret.
    let mut cmd = command(&emu, &["ls", "s3://fh-here/"]);
    cmd.env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    let (code, _, stderr) = run(cmd).await;
    assert_eq!(code, 254);
    assert!(
        stderr
            .trim_end()
            .starts_with("s3mr: ls s3://fh-here/: access denied ("),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_clean(&stderr);
    // A region routing will not go to: ap-southeast-2 is not in this endpoint map.
    let mut cmd = command(&emu, &["cat", "s3://fh-far/k"]);
    let map: Vec<String> = ["us-east-1", "eu-west-1"]
        .iter()
        .map(|r| format!("{r}={}", emu.endpoint(r)))
        .collect();
    cmd.env("S3MR_ENDPOINTS", map.join(","));
    let (code, _, stderr) = run(cmd).await;
    assert_eq!(code, 255, "routing refused the region: S3 refused nothing");
    assert!(
        stderr.starts_with("s3mr: cat s3://fh-far/k: bucket fh-far: us-east-1 redirected to ap-southeast-2, which is outside"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_clean(&stderr);
}

#[tokio::test]
async fn hints_say_which_flag_was_missing() {
    let emu = emulator().await;
    emu.seed_bucket("fh-full", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"a").unwrap();
    let tree = dir.path().to_str().unwrap();
    let (code, _, stderr) = run(command(&emu, &["cp", tree, "s3://fh-full/"])).await;
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!("s3mr: cp {tree}: is a directory\nhint: use --recursive to copy a directory\n")
    );
    let a = dir.path().join("a.txt");
    let (code, _, _) = run(command(
        &emu,
        &["cp", a.to_str().unwrap(), "s3://fh-full/a.txt"],
    ))
    .await;
    assert_eq!(code, 0);
    let (code, _, stderr) = run(command(&emu, &["rb", "s3://fh-full"])).await;
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "s3mr: rb s3://fh-full/: bucket is not empty (BucketNotEmpty)\nhint: use --force to delete its objects first\n"
    );
}

#[tokio::test]
async fn defaults_match_the_help() {
    let emu = emulator().await;
    // An endpoint map and no region: the default is us-east-1 (the map's first region,
    // alphabetically, was eu-west-1 before), and -v says so, without colour on a pipe.
    let mut cmd = command(&emu, &["-v", "mb", "s3://fh-default"]);
    cmd.env_remove("AWS_REGION");
    let (code, stdout, stderr) = run(cmd).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "make_bucket: fh-default (us-east-1)");
    assert_eq!(
        emu.bucket_region("fh-default").as_deref(),
        Some("us-east-1")
    );
    assert!(
        stderr.contains(r#"default region region="us-east-1" from="the default""#),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes on a pipe: {stderr:?}"
    );

    // The memory cache is per command: `cache stats` says so instead of a bare 0.
    let (code, stdout, _) = run(command(&emu, &["cache", "stats"])).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("note:    the memory cache lives for one command"),
        "{stdout}"
    );
    assert!(stdout.contains("--cache file://"), "{stdout}");
}

#[tokio::test]
async fn uploads_get_a_content_type() {
    let emu = emulator().await;
    emu.seed_bucket("fh-types", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, len: usize| {
        let path = dir.path().join(name);
        std::fs::write(&path, vec![b'x'; len]).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let html = write("page.html", 10);
    let csv = write("table.data", 10);
    let big = write("big.bin", 20 * 1024 * 1024);
    let tarball = write("archive.tar.gz", 10);
    let plain = write("NOTES", 10);
    let json_of = |args: Vec<String>| {
        let emu = &emu;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, stdout, stderr) = run(command(emu, &args)).await;
            assert_eq!(code, 0, "{args:?}: {stderr}");
            stdout
        }
    };
    json_of(vec!["cp".into(), html, "s3://fh-types/page.html".into()]).await;
    json_of(vec![
        "cp".into(),
        csv,
        "s3://fh-types/table.data".into(),
        "--content-type".into(),
        "text/csv".into(),
    ])
    .await;
    json_of(vec!["cp".into(), big, "s3://fh-types/big.bin".into()]).await;
    json_of(vec![
        "cp".into(),
        tarball,
        "s3://fh-types/archive.tar.gz".into(),
    ])
    .await;
    json_of(vec!["cp".into(), plain, "s3://fh-types/NOTES".into()]).await;
    for (key, want) in [
        ("page.html", "text/html"),
        ("table.data", "text/csv"),
        // A multipart upload (20 MiB, 8 MiB parts): no longer an empty content type.
        ("big.bin", "application/octet-stream"),
        // As the aws CLI (Python's mimetypes): `.gz` is an encoding, the type is the tar's.
        ("archive.tar.gz", "application/x-tar"),
        // No type guessed: none sent, and S3 stores its default.
        ("NOTES", "binary/octet-stream"),
    ] {
        let stdout = json_of(vec![
            "stat".into(),
            format!("s3://fh-types/{key}"),
            "--json".into(),
        ])
        .await;
        let stat: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(stat["content_type"], want, "{key}");
    }
}

#[tokio::test]
async fn every_argument_is_described_in_help() {
    let emu = emulator().await;
    for sub in [
        "ls", "cat", "stat", "cp", "rm", "mb", "rb", "region", "presign", "demo",
    ] {
        let (code, stdout, _) = run(command(&emu, &[sub, "--help"])).await;
        assert_eq!(code, 0, "{sub}");
        for line in stdout.lines() {
            let t = line.trim();
            let bare_argument = (t.starts_with('<') || t.starts_with('['))
                && t.trim_end_matches("...").ends_with(['>', ']'])
                && !t.contains(' ');
            assert!(
                !bare_argument,
                "s3mr {sub} --help: {t:?} has no description"
            );
        }
        let usage = stdout.lines().find(|l| l.starts_with("Usage:")).unwrap();
        assert!(
            !usage.contains("--"),
            "an option shown as required: {usage}"
        );
    }
}

/// The README's standalone-emulator commands agree: the regions it starts are the regions its
/// `S3MR_ENDPOINTS` line maps, on the same ports.
#[test]
fn the_readme_emulator_commands_agree() {
    let readme = include_str!("../../../../README.md");
    let started: Vec<&str> = readme
        .split("--region ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|pair| pair.contains("=127.0.0.1:91"))
        .collect();
    let exported = readme
        .lines()
        .find_map(|l| l.strip_prefix("export S3MR_ENDPOINTS="))
        .expect("an S3MR_ENDPOINTS example");
    let mapped: Vec<String> = exported
        .split(',')
        .map(|pair| pair.replace("http://", ""))
        .collect();
    assert!(!started.is_empty());
    assert_eq!(
        started, mapped,
        "README: emulator regions vs S3MR_ENDPOINTS"
    );
}

#[tokio::test]
async fn the_demo_explains_its_numbers_and_keeps_its_url_working_on_request() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let emu = emulator().await;
    // Without --keep the emulator ends with the demo: no URL is offered to try.
    let (code, stdout, stderr) = run(command(&emu, &["demo"])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Routing stats, per client:"), "{stdout}");
    assert!(stdout.contains("first (mb only)"), "{stdout}");
    assert!(
        stdout.contains("body bytes: upload bytes the region's S3 handler read"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("X-Amz-Signature"),
        "a URL that dies with the demo: {stdout}"
    );
    assert!(stdout.contains("`s3mr demo --keep`"), "{stdout}");

    // With --keep: the URL works until Ctrl-C.
    let mut cmd = command(&emu, &["demo", "--keep"]);
    cmd.stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("X-Amz-Signature") {
            url = Some(line.trim().to_owned());
        }
        if line.contains("keeps running") {
            break;
        }
    }
    let url = url.expect("the presigned URL is printed with --keep");
    let out = tokio::process::Command::new("curl")
        .args(["--silent", "--fail", &url])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello from ap-southeast-2\n");
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().await.unwrap().code(), Some(0));
}
