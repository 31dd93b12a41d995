//! Object keys are data: every legal key round-trips through put, list, get and delete, and no
//! key of one bucket ever appears in (or writes into) another.

use crate::common;

use std::collections::BTreeSet;

use proptest::prelude::*;
use s3mr_emulator::Emulator;

const REGION: &str = "us-east-1";

/// Keys a path-minded store would mangle, and that S3 holds verbatim.
const HOSTILE: &[&str] = &[
    "../../escape1.txt",
    "a/../../escape2.txt",
    "../pw-other/steal.txt",
    "../../../outside/x",
    "..",
    ".",
    "/abs",
    "//double//slash",
    "x/./y",
    "x/../y",
    "%2e%2e/z.txt",
    "%2F",
    "dir/",
    "dir",
    "dir/child",
    "trailing/",
    "sp ace/+plus&amp",
    "ünï/cødé/€",
];

async fn keys_of(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(7)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("list");
        keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    keys
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
}

async fn get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key:?}: {e:?}"));
    out.body.collect().await.unwrap().to_vec()
}

/// Puts `keys` into two buckets with per-bucket bodies, then checks listing (full, by prefix and
/// with a delimiter), every body, that the data directory holds nothing outside the buckets, and
/// that deleting everything (half one by one, half in one DeleteObjects) empties both buckets.
async fn round_trip(emu: &Emulator, keys: &BTreeSet<String>, data_dir: &std::path::Path) {
    let client = common::client(emu, REGION, REGION);
    for bucket in ["pw-bucket", "pw-other"] {
        for key in keys {
            put(&client, bucket, key, format!("{bucket}:{key}").as_bytes()).await;
        }
    }
    let expected: Vec<String> = keys.iter().cloned().collect();
    for bucket in ["pw-bucket", "pw-other"] {
        assert_eq!(keys_of(&client, bucket).await, expected, "{bucket}");
        for key in keys {
            assert_eq!(
                get(&client, bucket, key).await,
                format!("{bucket}:{key}").as_bytes(),
                "{bucket} {key:?}"
            );
        }
    }
    // A delimiter groups exactly as S3 does over the verbatim keys.
    let listed = client
        .list_objects_v2()
        .bucket("pw-bucket")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let top: BTreeSet<String> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .chain(
            listed
                .common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_owned()),
        )
        .collect();
    let want: BTreeSet<String> = keys
        .iter()
        .map(|k| match k.find('/') {
            Some(i) => k[..=i].to_owned(),
            None => k.clone(),
        })
        .collect();
    assert_eq!(top, want);
    // Nothing was written beside the two buckets' directories.
    let mut top_level: Vec<String> = std::fs::read_dir(data_dir.join("objects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    top_level.sort();
    assert_eq!(top_level, ["pw-bucket", "pw-other"]);

    let (one_by_one, batch): (Vec<_>, Vec<_>) =
        keys.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    for bucket in ["pw-bucket", "pw-other"] {
        for (_, key) in &one_by_one {
            client
                .delete_object()
                .bucket(bucket)
                .key(key.as_str())
                .send()
                .await
                .unwrap();
        }
        if !batch.is_empty() {
            let objects = batch
                .iter()
                .map(|(_, k)| {
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key(k.as_str())
                        .build()
                        .unwrap()
                })
                .collect();
            let deleted = client
                .delete_objects()
                .bucket(bucket)
                .delete(
                    aws_sdk_s3::types::Delete::builder()
                        .set_objects(Some(objects))
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
            let named: BTreeSet<&str> = deleted.deleted().iter().filter_map(|d| d.key()).collect();
            let wanted: BTreeSet<&str> = batch.iter().map(|(_, k)| k.as_str()).collect();
            assert_eq!(named, wanted, "DeleteObjects names the keys as sent");
        }
        assert!(keys_of(&client, bucket).await.is_empty(), "{bucket} empty");
    }
}

async fn two_buckets() -> (Emulator, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let emu = Emulator::builder()
        .region(REGION)
        .data_dir(data.path())
        .start()
        .await
        .unwrap();
    emu.seed_bucket("pw-bucket", REGION).unwrap();
    emu.seed_bucket("pw-other", REGION).unwrap();
    (emu, data)
}

#[tokio::test]
async fn hostile_keys_round_trip_and_stay_in_their_bucket() {
    let (emu, data) = two_buckets().await;
    let keys: BTreeSet<String> = HOSTILE
        .iter()
        .map(|k| k.to_string())
        .chain([format!("long/{}", "k".repeat(1019))])
        .collect();
    round_trip(&emu, &keys, data.path()).await;
    // Multipart and copies keep hostile keys too.
    let client = common::client(&emu, REGION, REGION);
    let key = "../../multipart/../x";
    let upload = client
        .create_multipart_upload()
        .bucket("pw-bucket")
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.key(), Some(key));
    let part = client
        .upload_part()
        .bucket("pw-bucket")
        .key(key)
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(b"multipart body".to_vec().into())
        .send()
        .await
        .unwrap();
    let done = client
        .complete_multipart_upload()
        .bucket("pw-bucket")
        .key(key)
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(done.key(), Some(key));
    client
        .copy_object()
        .bucket("pw-other")
        .key("..")
        .copy_source(format!("pw-bucket/{}", urlencode(key)))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&client, "pw-other", "..").await, b"multipart body");
    assert_eq!(keys_of(&client, "pw-bucket").await, [key]);
    assert_eq!(keys_of(&client, "pw-other").await, [".."]);
}

fn urlencode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Keys of any printable UTF-8 up to 1024 bytes, heavy on the characters paths care about.
fn key_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => Just("..".to_owned()),
        4 => Just("/".to_owned()),
        3 => Just(".".to_owned()),
        3 => Just("%".to_owned()),
        2 => Just("%2e".to_owned()),
        1 => Just("\\".to_owned()),
        4 => "[a-z0-9]{1,8}",
        2 => "\\PC{1,4}",
    ];
    proptest::collection::vec(piece, 1..40)
        .prop_map(|pieces| pieces.concat())
        .prop_filter("S3 keys are 1..=1024 bytes", |k| {
            (1..=1024).contains(&k.len())
        })
}

#[test]
fn random_keys_round_trip() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cases = std::env::var("S3MR_KEY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..Default::default()
    });
    runner
        .run(
            &proptest::collection::btree_set(key_strategy(), 1..12),
            |keys| {
                runtime.block_on(async {
                    let (emu, data) = two_buckets().await;
                    round_trip(&emu, &keys, data.path()).await;
                });
                Ok(())
            },
        )
        .unwrap();
}
