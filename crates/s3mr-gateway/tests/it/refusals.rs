//! Bad input at the gateway: every request below is refused with the error S3 would give, and
//! the emulator behind it receives nothing (0 requests forwarded). The gateway's own AWS
//! credentials appear in no answer.

use std::time::Duration;

use crate::common::{EURO_ONLY, READER, WRITER, World, curl, sdk_client_at};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;

/// `(status, code)` of a failed SDK call.
fn refusal<E: ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> (u16, String) {
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    (status, err.code().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_forwarded() {
    let world = World::start_with(true, Some("s3.gateway.test")).await;
    let (emulator_key, emulator_secret) = world.emu.credentials();
    let endpoint = world.endpoint();
    // Every answer, whole: none may carry the gateway's own credentials.
    let mut answers: Vec<String> = Vec::new();

    let unknown = sdk_client_at(
        &endpoint,
        ("GWNOBODY0000000001", "nobody-secret-0123456789"),
        None,
    );
    let err = unknown
        .list_objects_v2()
        .bucket("gw-euro")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "InvalidAccessKeyId".into()));

    let wrong_secret = sdk_client_at(&endpoint, (WRITER.0, "not-the-writer-secret-000"), None);
    let err = wrong_secret
        .get_object()
        .bucket("gw-euro")
        .key("k")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "SignatureDoesNotMatch".into()));

    let skewed = sdk_client_at(&endpoint, WRITER, Some(Duration::from_secs(20 * 60)));
    let err = skewed
        .list_objects_v2()
        .bucket("gw-euro")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err).0, 403, "{err:?}");
    assert_eq!(refusal(&err).1, "RequestTimeTooSkewed", "{err:?}");

    let reader = world.sdk_client(READER);
    let err = reader
        .put_object()
        .bucket("gw-euro")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "AccessDenied".into()));
    let err = reader
        .delete_object()
        .bucket("gw-euro")
        .key("k")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "AccessDenied".into()));

    // A key limited to gw-euro: not another bucket, not as a copy source either.
    let euro_only = world.sdk_client(EURO_ONLY);
    let err = euro_only
        .list_objects_v2()
        .bucket("gw-east")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "AccessDenied".into()));
    let err = euro_only
        .copy_object()
        .bucket("gw-euro")
        .key("stolen")
        .copy_source("gw-east/secret.txt")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "AccessDenied".into()));
    let err = euro_only
        .upload_part_copy()
        .bucket("gw-euro")
        .key("stolen")
        .upload_id("x")
        .part_number(1)
        .copy_source("gw-east/secret.txt")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err), (403, "AccessDenied".into()));

    // S3 Express sessions would hand out the gateway's own credentials.
    let err = world
        .sdk_client(WRITER)
        .create_session()
        .bucket("gw-euro")
        .send()
        .await
        .unwrap_err();
    answers.push(format!("{err:?}"));
    assert_eq!(refusal(&err).0, 403, "{err:?}");

    // A presigned URL that expired an hour ago.
    let presigned = world
        .sdk_client(WRITER)
        .get_object()
        .bucket("gw-euro")
        .key("k")
        .presigned(
            PresigningConfig::builder()
                .start_time(std::time::SystemTime::now() - Duration::from_secs(3600))
                .expires_in(Duration::from_secs(60))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, body) = curl(presigned.uri(), &[]).await;
    answers.push(body.clone());
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("AccessDenied") || body.contains("expired"),
        "{body}"
    );

    // A Host outside the gateway's domain is read path-style (the bucket comes from the path:
    // here none, an unsigned ListBuckets), and the emulator's admin path is not the gateway's.
    let (status, body) = curl(&format!("{endpoint}/"), &["Host: gw-euro.s3.other.test"]).await;
    answers.push(body.clone());
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");
    let (status, body) = curl(&format!("{endpoint}/_s3mr/counters"), &[]).await;
    assert_eq!(status, 404, "{status}: {body}");
    assert!(!body.contains("requests"), "{body}");
    answers.push(body);
    for answer in &answers {
        assert!(
            !answer.contains(emulator_key) && !answer.contains(emulator_secret),
            "{answer}"
        );
    }

    assert_eq!(world.forwarded(), 0, "nothing reached the emulator");
}

#[tokio::test]
async fn a_key_sees_only_its_buckets_and_an_unsigned_virtual_host_request_is_refused() {
    let world = World::start_with(true, Some("s3.gateway.test")).await;
    let listed = world
        .sdk_client(EURO_ONLY)
        .list_buckets()
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["gw-euro"]);
    let listed = world
        .sdk_client(WRITER)
        .list_buckets()
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    names.sort();
    assert_eq!(names, ["gw-apac", "gw-east", "gw-euro"]);

    // Virtual-hosted under the domain: the Host names the bucket.
    world
        .sdk_client(WRITER)
        .put_object()
        .bucket("gw-euro")
        .key("vhost.txt")
        .body(b"virtual".to_vec().into())
        .send()
        .await
        .unwrap();
    world.emu.reset_counters();
    let (status, body) = curl(
        &format!("{}/vhost.txt", world.endpoint()),
        &["Host: gw-euro.s3.gateway.test"],
    )
    .await;
    // Unsigned: refused before anything is forwarded, as an anonymous request.
    assert_eq!(status, 403, "{body}");
    assert_eq!(world.forwarded(), 0);
}

#[tokio::test]
async fn create_bucket_takes_the_region_the_client_signed_for() {
    let world = World::start(true).await;
    for (signed, bucket) in [("eu-west-1", "gw-new-euro"), ("us-east-1", "gw-new-east")] {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(signed))
            .endpoint_url(world.endpoint())
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new(
                WRITER.0, WRITER.1, None, None, "client",
            ))
            .http_client(s3_multi_region::http_client().unwrap())
            .build();
        // No LocationConstraint in the body (as rclone and DuckDB send it).
        aws_sdk_s3::Client::from_conf(config)
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        assert_eq!(
            world.emu.bucket_region(bucket).as_deref(),
            Some(signed),
            "{bucket}"
        );
    }
    // The true region, from any client: GetBucketLocation and HeadBucket.
    let client = world.sdk_client(WRITER);
    let location = client
        .get_bucket_location()
        .bucket("gw-new-euro")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
    let head = client.head_bucket().bucket("gw-apac").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("ap-southeast-2"));
}

/// A routing error that remains is an S3 error a client understands: a bucket that does not
/// exist is 404 NoSuchBucket, never a 500 or a redirect.
#[tokio::test]
async fn a_missing_bucket_is_no_such_bucket() {
    let world = World::start(true).await;
    let err = world
        .sdk_client(WRITER)
        .get_object()
        .bucket("gw-missing")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(&err), (404, "NoSuchBucket".into()));
    let (key, secret) = world.emu.credentials();
    let answer = format!("{err:?}");
    assert!(
        !answer.contains(key) && !answer.contains(secret),
        "{answer}"
    );
}
