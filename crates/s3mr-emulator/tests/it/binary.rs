//! The `s3mr-emulator` binary: argument errors exit 2, listeners are announced, SIGTERM stops it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_s3mr-emulator");

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let cases: &[&[&str]] = &[
        &[],
        &["--region", "us-east-1"],
        &["--region", "us-east-1=127.0.0.1:99999"],
        &["--region", "EVIL=127.0.0.1:0"],
        &[
            "--region",
            "us-east-1=127.0.0.1:0",
            "--region",
            "us-east-1=127.0.0.1:0",
        ],
    ];
    for args in cases {
        let out = Command::new(BIN).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.trim().is_empty() && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn announces_listeners_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "--region",
            "us-east-1=127.0.0.1:0",
            "--region",
            "eu-west-1=127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("listening region=us-east-1 endpoint=http://127.0.0.1:")),
        "{first:?}"
    );
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("listening region=eu-west-1 endpoint=http://127.0.0.1:")),
        "{first:?}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(rest.last().map(String::as_str), Some("stopped"));
}
