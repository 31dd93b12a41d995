//! `s3mr serve` as a user runs it: the ready line, a client through it to a bucket in another
//! region, Ctrl-C ending it cleanly; a bad keys file or PEM is one line naming the file.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::command;

const KEYS: &str = r#"
[[key]]
access_key = "GWSERVE00000000001"
secret_key = "serve-secret-0123456789"
buckets = ["*"]
"#;

#[tokio::test]
async fn serve_prints_its_address_forwards_and_stops_on_ctrl_c() {
    let emu = s3mr_emulator::Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("serve-euro", "eu-west-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, KEYS).unwrap();
    let mut child = command(
        &emu,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            keys.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next_line().await.unwrap().unwrap();
    assert!(
        ready.starts_with("s3mr gateway listening on http://127.0.0.1:")
            && ready.ends_with("(1 key, default region us-east-1)"),
        "{ready}"
    );
    let endpoint = ready
        .split_whitespace()
        .nth(4)
        .unwrap()
        .trim_end_matches(' ')
        .to_owned();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            "GWSERVE00000000001",
            "serve-secret-0123456789",
            None,
            None,
            "client",
        ))
        .http_client(s3_multi_region::http_client().unwrap())
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    client
        .put_object()
        .bucket("serve-euro")
        .key("k.txt")
        .body(b"through the gateway".to_vec().into())
        .send()
        .await
        .unwrap();
    let got = client
        .get_object()
        .bucket("serve-euro")
        .key("k.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(got.as_ref(), b"through the gateway");
    let c = emu.counters();
    assert_eq!(
        c.body_bytes("us-east-1"),
        0,
        "no body byte to a wrong region"
    );
    assert!(c.requests_for_bucket("eu-west-1", "serve-euro") >= 2);
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    assert_eq!(
        child.wait().await.unwrap().code(),
        Some(0),
        "Ctrl-C ends a gateway"
    );
}

#[tokio::test]
async fn a_bad_keys_file_or_pem_is_one_line_naming_it() {
    let emu = s3mr_emulator::Emulator::builder()
        .region("us-east-1")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, "[[key]]\naccess_key = \"short\"\n").unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, KEYS).unwrap();
    let not_pem = dir.path().join("cert.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let k = keys.to_str().unwrap();
    let g = good.to_str().unwrap();
    let p = not_pem.to_str().unwrap();
    for (args, code, needle) in [
        (vec!["serve", "--keys", k], 252, k),
        (
            vec!["serve", "--keys", "/nonexistent/keys.toml"],
            255,
            "/nonexistent/keys.toml",
        ),
        (
            vec!["serve", "--keys", g, "--tls-cert", p, "--tls-key", p],
            252,
            p,
        ),
        (
            vec!["serve", "--keys", g, "--tls-cert", p],
            252,
            "--tls-key",
        ),
        (
            vec!["serve", "--keys", g, "--domain", "127.0.0.1"],
            252,
            "--domain \"127.0.0.1\": an IP address",
        ),
        (
            vec!["serve", "--keys", g, "--domain", "s3.example.net:9000"],
            252,
            "not a DNS name",
        ),
        (
            vec!["serve", "--keys", g, "--drain-timeout", "0s"],
            252,
            "longer than zero",
        ),
        (
            vec![
                "serve",
                "--keys",
                g,
                "--access-log",
                "/nonexistent/dir/access.log",
            ],
            252,
            "--access-log /nonexistent/dir/access.log",
        ),
    ] {
        let out = command(&emu, &args).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
