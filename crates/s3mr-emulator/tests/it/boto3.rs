//! Cross-check with an independent client: botocore's redirector follows the emulator's
//! 400 AuthorizationHeaderMalformed exactly as it follows S3's.

use crate::common;

use aws_sdk_s3::primitives::ByteStream;
use s3mr_emulator::{Emulator, WrongRegionAnswer};

#[tokio::test]
async fn botocore_follows_authorization_header_malformed() {
    let emu = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("boto-bucket", "eu-west-1").unwrap();
    common::client(&emu, "eu-west-1", "eu-west-1")
        .put_object()
        .bucket("boto-bucket")
        .key("hello.txt")
        .body(ByteStream::from_static(b"hello from eu-west-1"))
        .send()
        .await
        .unwrap();
    emu.configure(|s| {
        s.answer(WrongRegionAnswer::GlobalEndpoint);
    });
    emu.reset_counters();

    let (ak, sk) = emu.credentials();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/boto3_redirect.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .env("S3MR_ENDPOINT", emu.endpoint("us-east-1"))
        .env("S3MR_BUCKET", "boto-bucket")
        .env("S3MR_ACCESS_KEY", ak)
        .env("S3MR_SECRET_KEY", sk)
        .output()
        .await
        .expect("python3 runs (CI installs boto3)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "boto3 failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["body"], "hello from eu-west-1");
    // First answer 400 AHM, then the re-signed request succeeds.
    assert_eq!(seen["statuses"], serde_json::json!([400, 200]));

    let counters = emu.counters();
    assert_eq!(counters.requests("us-east-1"), 2);
    assert_eq!(counters.answers_with_status("us-east-1", 400), 1);
    assert_eq!(counters.answers_with_status("us-east-1", 200), 1);
    assert_eq!(counters.requests("eu-west-1"), 0);
}
