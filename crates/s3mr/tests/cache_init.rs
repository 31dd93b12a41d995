//! `s3mr cache init dynamodb://<table>` makes the table once and is safe to run again; the CLI
//! then shares regions between runs through it.

mod common;

use common::command;
use s3mr_emulator::Emulator;

#[tokio::test]
async fn cache_init_is_idempotent_and_the_table_serves_the_next_run() {
    let moto = std::env::var("S3MR_TEST_MOTO_URL")
        .expect("S3MR_TEST_MOTO_URL is not set: run ./scripts/test.sh, which starts moto_server");
    let emu = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("ddb-cli", "eu-west-1").unwrap();
    // A table per test process: the suite's moto outlives one `cargo test`.
    let table = format!("s3mr-cli-init-{}", std::process::id());
    let url = format!("dynamodb://{table}?region=us-east-1&timeout_ms=3000&endpoint={moto}");
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let out = command(&emu, &["cache", "init", &url])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(outputs[0].trim(), format!("created {url}"));
    assert_eq!(outputs[1].trim(), format!("already exists: {url}"));

    // The first run learns eu-west-1 (one HeadBucket) and writes it to the table.
    let out = command(&emu, &["--cache", &url, "region", "ddb-cli"])
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
        "ddb-cli\teu-west-1"
    );
    emu.reset_counters();
    let out = command(&emu, &["--cache", &url, "ls", "s3://ddb-cli/"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (
            emu.counters().requests("us-east-1"),
            emu.counters().requests("eu-west-1")
        ),
        (0, 1),
        "the region came from DynamoDB: straight to eu-west-1"
    );
    let out = command(&emu, &["--cache", &url, "cache", "get", "ddb-cli"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ddb-cli\teu-west-1"
    );
}
