//! Cross-check with an independent client: botocore's redirector follows the emulator's
//! 400 AuthorizationHeaderMalformed exactly as it follows S3's.

use crate::common;

use aws_sdk_s3::primitives::ByteStream;
use s3mr_emulator::{Emulator, WrongRegionAnswer};

/// Runs `python3 args...` (a boto3 script) against the emulator's us-east-1 listener with its
/// credentials and `bucket`, and returns the one JSON line it prints.
async fn boto3(emu: &Emulator, args: &[&str], bucket: &str) -> serde_json::Value {
    let (ak, sk) = emu.credentials();
    let output = tokio::process::Command::new("python3")
        .args(args)
        .env("S3MR_ENDPOINT", emu.endpoint("us-east-1"))
        .env("S3MR_BUCKET", bucket)
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
    serde_json::from_str(stdout.trim()).unwrap()
}

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

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/boto3_redirect.py");
    let seen = boto3(&emu, &[script], "boto-bucket").await;
    assert_eq!(seen["body"], "hello from eu-west-1");
    // First answer 400 AHM, then the re-signed request succeeds.
    assert_eq!(seen["statuses"], serde_json::json!([400, 200]));

    let counters = emu.counters();
    assert_eq!(counters.requests("us-east-1"), 2);
    assert_eq!(counters.answers_with_status("us-east-1", 400), 1);
    assert_eq!(counters.answers_with_status("us-east-1", 200), 1);
    assert_eq!(counters.requests("eu-west-1"), 0);
}

/// Keys XML 1.0 cannot carry, or that a decoder could mistake: botocore always lists with
/// `EncodingType=url` and decodes with `unquote_plus`, so an emulator that ignored the encoding
/// showed boto3 `a b c.txt` for `a b+c.txt` and `../z.txt` for `%2e%2e/z.txt`. Listed through
/// boto3 (objects, common prefixes, and two pages), every key comes back exactly.
#[tokio::test]
async fn boto3_lists_keys_with_plus_percent_space_and_control_characters_exactly() {
    let emu = Emulator::builder()
        .region("us-east-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("boto-keys", "us-east-1").unwrap();
    let keys = [
        "a b+c.txt",
        "%2e%2e/z.txt",
        "100%.txt",
        "ctl\u{1}x.txt",
        "dir a+b/inner.txt",
        "été.txt",
    ];
    let client = common::client(&emu, "us-east-1", "us-east-1");
    for key in keys {
        client
            .put_object()
            .bucket("boto-keys")
            .key(key)
            .body(ByteStream::from_static(b"k"))
            .send()
            .await
            .unwrap();
    }
    let script = r#"
import json, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3MR_ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id=os.environ["S3MR_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["S3MR_SECRET_KEY"])
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ["S3MR_BUCKET"], PaginationConfig={"PageSize": 4}):
    keys += [o["Key"] for o in page.get("Contents", [])]
top = s3.list_objects_v2(Bucket=os.environ["S3MR_BUCKET"], Delimiter="/")
print(json.dumps({"keys": keys, "prefixes": [p["Prefix"] for p in top.get("CommonPrefixes", [])]}))
"#;
    let seen = boto3(&emu, &["-c", script], "boto-keys").await;
    let mut want: Vec<&str> = keys.to_vec();
    want.sort();
    assert_eq!(seen["keys"], serde_json::json!(want));
    assert_eq!(seen["prefixes"], serde_json::json!(["%2e%2e/", "dir a+b/"]));
}
