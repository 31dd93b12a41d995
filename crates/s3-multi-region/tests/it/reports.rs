//! Errors a user can act on, from the library: a kind to decide on and one readable line for what
//! the client, `S3Fs` and its writers return; a writer dropped without `shutdown` says so.

use crate::common;

use crate::common::{R0, R1, world};
use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{FsError, S3Fs};
use s3_multi_region::{ErrorKind, Report};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn client_and_fs_errors_have_kinds_and_words() {
    let w = world().await;
    w.emu.seed_bucket("rp-here", R1).unwrap();
    let client = w.client();

    let err = client
        .get_object()
        .bucket("rp-missing")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let report = err.report();
    assert_eq!(report.kind(), ErrorKind::NoSuchBucket);
    assert_eq!(report.to_string(), "bucket does not exist (NoSuchBucket)");
    // The SDK's own Display of the same error says only this:
    assert_eq!(err.to_string(), "service error");

    let err = client
        .get_object()
        .bucket("rp-here")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.report().kind(), ErrorKind::NoSuchKey);

    let fs = S3Fs::new(w.client());
    let missing_bucket: S3Url = "s3://rp-missing/k".parse().unwrap();
    let err = fs.metadata(&missing_bucket).await.unwrap_err();
    assert_eq!(err.report().kind(), ErrorKind::NoSuchBucket, "{err}");
    assert_eq!(
        err.to_string(),
        "s3://rp-missing/k: bucket does not exist (NoSuchBucket)"
    );
    let missing_key: S3Url = "s3://rp-here/nope".parse().unwrap();
    let err = fs.metadata(&missing_key).await.unwrap_err();
    assert!(matches!(err, FsError::NotFound(_)), "{err:?}");
    assert_eq!(err.report().kind(), ErrorKind::NoSuchKey);

    // A writer's io::Error carries the same report: no SDK Debug in it.
    let mut writer = fs.create(&missing_bucket).unwrap();
    writer.write_all(b"x").await.unwrap();
    let err = writer.shutdown().await.unwrap_err();
    assert_eq!(err.report().kind(), ErrorKind::NoSuchBucket, "{err}");
    assert!(!format!("{err}").contains("ErrorMetadata"), "{err}");
}

// A current-thread runtime: the writer's background task logs on this thread, where the
// subscriber below is the default.
#[tokio::test(flavor = "current_thread")]
async fn a_writer_dropped_without_shutdown_says_so() {
    let capture = common::Capture::default();
    let writer_capture = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer_capture.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let w = world().await;
    w.emu.seed_bucket("rp-dropped", R0).unwrap();
    let fs = S3Fs::new(w.client());
    let url: S3Url = "s3://rp-dropped/forgotten.txt".parse().unwrap();
    let mut writer = fs.create(&url).unwrap();
    writer.write_all(b"never written").await.unwrap();
    drop(writer);
    for _ in 0..100 {
        if !capture.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("WARN")
            && logged.contains("s3://rp-dropped/forgotten.txt")
            && logged.contains("shutdown()"),
        "{logged}"
    );
    assert!(fs.metadata(&url).await.is_err(), "nothing was written");
}

/// No hidden panic: a writer asked for outside a Tokio runtime is an error, not a panic in
/// `tokio::spawn`.
#[test]
fn a_writer_outside_a_runtime_is_an_error() {
    let sdk = s3_multi_region::aws_config::SdkConfig::builder()
        .region(s3_multi_region::aws_sdk_s3::config::Region::new(
            "us-east-1",
        ))
        .behavior_version(s3_multi_region::aws_sdk_s3::config::BehaviorVersion::latest())
        .build();
    let fs = S3Fs::new(s3_multi_region::MultiRegionClient::new(&sdk).unwrap());
    let url: S3Url = "s3://rp-any/k".parse().unwrap();
    assert!(matches!(fs.create(&url), Err(FsError::NoRuntime(_))));
    assert!(matches!(
        fs.create_with_content_type(&url, "text/plain"),
        Err(FsError::NoRuntime(_))
    ));
}
