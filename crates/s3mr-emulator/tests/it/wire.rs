//! The emulator driven by aws-sdk-s3 itself (a plain client, no routing): every wrong-region
//! answer of docs/ARCHITECTURE.md §3, object semantics, SigV4, switches, faults and counters.

use std::time::Duration;

use crate::common::{client, client_with_keys, raw_request};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
};
use s3mr_emulator::{Emulator, Fault, FaultKind, Reported, WrongRegionAnswer};

async fn emulator() -> Emulator {
    Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .region("me-south-1")
        .start()
        .await
        .unwrap()
}

/// Status, header, code and raw body of a failed SDK call.
fn raw<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug + RawResponseLike>(
    err: &aws_sdk_s3::error::SdkError<E, R>,
) -> (u16, Option<String>, Option<String>, String) {
    let response = err.raw_response().expect("a response");
    let code = err
        .as_service_error()
        .and_then(|e| e.code().map(str::to_owned));
    (
        response.status_u16(),
        response.bucket_region(),
        code,
        response.body_text(),
    )
}

trait RawResponseLike {
    fn status_u16(&self) -> u16;
    fn bucket_region(&self) -> Option<String>;
    fn body_text(&self) -> String;
    fn header(&self, name: &str) -> Option<String>;
}

impl RawResponseLike for aws_smithy_runtime_api::http::Response {
    fn status_u16(&self) -> u16 {
        self.status().as_u16()
    }
    fn bucket_region(&self) -> Option<String> {
        self.header("x-amz-bucket-region")
    }
    fn body_text(&self) -> String {
        String::from_utf8_lossy(self.body().bytes().unwrap_or_default()).into_owned()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).map(str::to_owned)
    }
}

#[tokio::test]
async fn object_round_trip_in_the_right_region() {
    let emu = emulator().await;
    emu.seed_bucket("photos", "eu-west-1").unwrap();
    let s3 = client(&emu, "eu-west-1", "eu-west-1");

    s3.put_object()
        .bucket("photos")
        .key("a/1.txt")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("photos")
        .key("a/1.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello"
    );
    let head = s3
        .head_object()
        .bucket("photos")
        .key("a/1.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(5));

    s3.copy_object()
        .bucket("photos")
        .key("b/2.txt")
        .copy_source("photos/a/1.txt")
        .send()
        .await
        .unwrap();
    let v2 = s3.list_objects_v2().bucket("photos").send().await.unwrap();
    let keys: Vec<_> = v2.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/1.txt", "b/2.txt"]);
    let v1 = s3
        .list_objects()
        .bucket("photos")
        .prefix("b/")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents().len(), 1);

    // Multipart: two parts, the first at S3's 5 MiB minimum.
    let part1 = vec![b'x'; 5 * 1024 * 1024];
    let upload = s3
        .create_multipart_upload()
        .bucket("photos")
        .key("big")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, data) in [(1, part1.clone()), (2, b"tail".to_vec())] {
        let p = s3
            .upload_part()
            .bucket("photos")
            .key("big")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket("photos")
        .key("big")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let big = s3
        .get_object()
        .bucket("photos")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(
        big.body.collect().await.unwrap().into_bytes().len(),
        part1.len() + 4
    );

    s3.delete_object()
        .bucket("photos")
        .key("b/2.txt")
        .send()
        .await
        .unwrap();
    let after = s3.list_objects_v2().bucket("photos").send().await.unwrap();
    assert_eq!(after.key_count(), Some(2));

    let counters = emu.counters();
    // PUT, GET, HEAD, CopyObject, ListObjectsV2, ListObjects, CreateMultipartUpload, 2 parts,
    // CompleteMultipartUpload, GET, DELETE, ListObjectsV2: 13, all in the bucket's region.
    assert_eq!(counters.requests("eu-west-1"), 13);
    assert_eq!(counters.requests("us-east-1"), 0);
    assert!(counters.body_bytes("eu-west-1") >= part1.len() as u64);
}

#[tokio::test]
async fn streaming_upload_from_a_file_is_verified() {
    // A file body goes out as a streaming (aws-chunked) payload with a checksum trailer.
    let emu = emulator().await;
    emu.seed_bucket("files", "us-east-1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let body = ByteStream::from_path(&path).await.unwrap();
    s3.put_object()
        .bucket("files")
        .key("data.bin")
        .body(body)
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("files")
        .key("data.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );
}

#[tokio::test]
async fn wrong_secret_gets_403() {
    let emu = emulator().await;
    emu.seed_bucket("locked", "us-east-1").unwrap();
    let (ak, _) = emu.credentials();
    let s3 = client_with_keys(&emu, "us-east-1", "us-east-1", ak, "not-the-secret");
    let err = s3
        .get_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, _, code, _) = raw(&err);
    assert_eq!(status, 403);
    assert_eq!(code.as_deref(), Some("SignatureDoesNotMatch"));
    // HeadBucket names the region whatever the status, 403 included.
    let err = s3.head_bucket().bucket("locked").send().await.unwrap_err();
    let (status, region, _, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), body.as_str()),
        (403, Some("us-east-1"), "")
    );
}

#[tokio::test]
async fn presigned_urls_are_verified() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let emu = emulator().await;
    emu.seed_bucket("shared", "eu-west-1").unwrap();
    let s3 = client(&emu, "eu-west-1", "eu-west-1");
    s3.put_object()
        .bucket("shared")
        .key("doc")
        .body(ByteStream::from_static(b"presigned!"))
        .send()
        .await
        .unwrap();
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let url = s3
        .get_object()
        .bucket("shared")
        .key("doc")
        .presigned(cfg.clone())
        .await
        .unwrap();
    let ok = raw_request("GET", url.uri(), b"").await;
    assert_eq!((ok.status, ok.text().as_str()), (200, "presigned!"));

    let at = url.uri().find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = url.uri().to_owned();
    let flipped = if &tampered[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    tampered.replace_range(at..at + 1, flipped);
    assert_eq!(raw_request("GET", &tampered, b"").await.status, 403);

    // Signed for us-east-1 but sent to eu-west-1's endpoint: S3's query-string variant of AHM.
    let wrong = client(&emu, "eu-west-1", "us-east-1");
    let url = wrong
        .get_object()
        .bucket("shared")
        .key("doc")
        .presigned(cfg)
        .await
        .unwrap();
    let answer = raw_request("GET", url.uri(), b"").await;
    assert_eq!(answer.status, 400);
    assert!(
        answer
            .text()
            .contains("<Code>AuthorizationQueryParametersError</Code>"),
        "{}",
        answer.text()
    );
    assert!(answer.text().contains("<Region>eu-west-1</Region>"));
}

#[tokio::test]
async fn permanent_redirect_301() {
    let emu = emulator().await;
    emu.seed_bucket("euro", "eu-west-1").unwrap();
    let s3 = client(&emu, "us-east-1", "us-east-1");

    let err = s3
        .get_object()
        .bucket("euro")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), code.as_deref()),
        (301, Some("eu-west-1"), Some("PermanentRedirect"))
    );
    let endpoint = emu.addr("eu-west-1").unwrap().to_string();
    assert!(
        body.contains(&format!("<Endpoint>{endpoint}</Endpoint>")),
        "{body}"
    );
    assert!(body.contains("<Bucket>euro</Bucket>"), "{body}");
    assert!(
        body.contains("<RequestId>") && body.contains("<HostId>"),
        "{body}"
    );
    assert_eq!(err.raw_response().unwrap().header("location"), None);

    // HEAD: same status and header, no body.
    let err = s3
        .head_object()
        .bucket("euro")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, _, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), body.as_str()),
        (301, Some("eu-west-1"), "")
    );

    let counters = emu.counters();
    assert_eq!(counters.requests("us-east-1"), 2);
    assert_eq!(counters.requests_by_method("us-east-1", "HEAD"), 1);
    assert_eq!(counters.answers_with_status("us-east-1", 301), 2);
    assert_eq!(counters.requests("eu-west-1"), 0);
}

#[tokio::test]
async fn header_less_301_and_hostile_header_switches() {
    let emu = emulator().await;
    emu.seed_bucket("quiet", "eu-west-1").unwrap();
    emu.seed_bucket("evil", "eu-west-1").unwrap();
    emu.configure(|s| {
        s.bucket("quiet").region_header = Some(Reported::Omit);
        s.bucket("evil").region_header = Some(Reported::Value("evil.example.com/x".into()));
    });
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let err = s3
        .get_object()
        .bucket("quiet")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, _) = raw(&err);
    assert_eq!(
        (status, region, code.as_deref()),
        (301, None, Some("PermanentRedirect"))
    );
    let err = s3
        .get_object()
        .bucket("evil")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).1.as_deref(), Some("evil.example.com/x"));
    // The hostile value also reaches HeadBucket answers in the bucket's own region.
    let home = client(&emu, "eu-west-1", "eu-west-1");
    let ok = home.head_bucket().bucket("evil").send().await.unwrap();
    assert_eq!(ok.bucket_region(), Some("evil.example.com/x"));
}

#[tokio::test]
async fn global_endpoint_authorization_header_malformed() {
    let emu = emulator().await;
    emu.seed_bucket("old-bucket", "eu-west-1").unwrap();
    emu.configure(|s| {
        s.answer(WrongRegionAnswer::GlobalEndpoint);
    });
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let err = s3
        .get_object()
        .bucket("old-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), code.as_deref()),
        (400, Some("eu-west-1"), Some("AuthorizationHeaderMalformed"))
    );
    assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");
    assert!(
        body.contains("the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
        "{body}"
    );

    let err = s3
        .head_object()
        .bucket("old-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, _, _, body) = raw(&err);
    assert_eq!((status, body.as_str()), (400, ""));

    // Signed for the bucket's region, the global endpoint serves the request.
    let right_signature = client(&emu, "us-east-1", "eu-west-1");
    right_signature
        .put_object()
        .bucket("old-bucket")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();

    // <Region> and the header can each be left out, as S3 sometimes does.
    emu.configure(|s| {
        s.bucket("old-bucket").region_header = Some(Reported::Omit);
        s.bucket("old-bucket").region_element = Some(Reported::Omit);
    });
    let err = s3
        .get_object()
        .bucket("old-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, body) = raw(&err);
    assert_eq!(
        (status, region, code.as_deref()),
        (400, None, Some("AuthorizationHeaderMalformed"))
    );
    assert!(!body.contains("<Region>"), "{body}");
}

#[tokio::test]
async fn temporary_redirect_for_young_buckets() {
    let emu = emulator().await;
    emu.seed_bucket("fresh", "eu-west-1").unwrap();
    emu.configure(|s| {
        s.answer(WrongRegionAnswer::TemporaryRedirect);
        s.temporary_redirect_window = Duration::from_secs(3600);
    });
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let err = s3
        .get_object()
        .bucket("fresh")
        .key("k?x")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), code.as_deref()),
        (307, Some("eu-west-1"), Some("TemporaryRedirect"))
    );
    let endpoint = emu.endpoint("eu-west-1");
    let location = err.raw_response().unwrap().header("location").unwrap();
    assert!(
        location.starts_with(&format!("{endpoint}/fresh/k%3Fx")),
        "{location}"
    );
    assert!(body.contains("<Endpoint>"), "{body}");

    // Once the bucket is older than the window, the global endpoint answers 400 AHM instead.
    assert!(emu.age_bucket("fresh", Duration::from_secs(7200)));
    let err = s3
        .get_object()
        .bucket("fresh")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).2.as_deref(), Some("AuthorizationHeaderMalformed"));
}

#[tokio::test]
async fn opt_in_regions_answer_illegal_location_constraint() {
    let emu = emulator().await;
    emu.seed_bucket("gulf", "me-south-1").unwrap();
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let err = s3
        .get_object()
        .bucket("gulf")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, code, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), code.as_deref()),
        (
            400,
            Some("me-south-1"),
            Some("IllegalLocationConstraintException")
        )
    );
    assert!(
        body.contains("The me-south-1 location constraint is incompatible"),
        "{body}"
    );
    let err = s3
        .head_object()
        .bucket("gulf")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let (status, region, _, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), body.as_str()),
        (400, Some("me-south-1"), "")
    );
}

#[tokio::test]
async fn create_bucket_checks_location_constraint() {
    let emu = emulator().await;
    let east = client(&emu, "us-east-1", "us-east-1");
    let euro = client(&emu, "eu-west-1", "eu-west-1");
    let config = |r: &str| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(r))
            .build()
    };

    // us-east-1 accepts another region's constraint and records it.
    east.create_bucket()
        .bucket("made-in-east")
        .create_bucket_configuration(config("eu-west-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        emu.bucket_region("made-in-east").as_deref(),
        Some("eu-west-1")
    );
    east.create_bucket()
        .bucket("plain-east")
        .send()
        .await
        .unwrap();
    assert_eq!(
        emu.bucket_region("plain-east").as_deref(),
        Some("us-east-1")
    );

    // Other regions accept only their own.
    let err = euro
        .create_bucket()
        .bucket("no-constraint")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        raw(&err).2.as_deref(),
        Some("IllegalLocationConstraintException")
    );
    let err = euro
        .create_bucket()
        .bucket("mismatch")
        .create_bucket_configuration(config("me-south-1"))
        .send()
        .await
        .unwrap_err();
    let (status, region, code, _) = raw(&err);
    assert_eq!(
        (status, region, code.as_deref()),
        (400, None, Some("IllegalLocationConstraintException"))
    );
    euro.create_bucket()
        .bucket("euro-own")
        .create_bucket_configuration(config("eu-west-1"))
        .send()
        .await
        .unwrap();

    let err = east
        .create_bucket()
        .bucket("explicit-east")
        .create_bucket_configuration(config("us-east-1"))
        .send()
        .await;
    assert_eq!(
        raw(&err.unwrap_err()).2.as_deref(),
        Some("InvalidLocationConstraint")
    );
    let err = east
        .create_bucket()
        .bucket("euro-own")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).2.as_deref(), Some("BucketAlreadyOwnedByYou"));
    assert!(
        emu.bucket_region("no-constraint").is_none() && emu.bucket_region("mismatch").is_none()
    );

    // DeleteBucket refuses a bucket with objects and forgets an empty one.
    euro.put_object()
        .bucket("euro-own")
        .key("k")
        .body(ByteStream::from_static(b"1"))
        .send()
        .await
        .unwrap();
    let err = euro
        .delete_bucket()
        .bucket("euro-own")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).2.as_deref(), Some("BucketNotEmpty"));
    euro.delete_object()
        .bucket("euro-own")
        .key("k")
        .send()
        .await
        .unwrap();
    euro.delete_bucket()
        .bucket("euro-own")
        .send()
        .await
        .unwrap();
    assert!(emu.bucket_region("euro-own").is_none());
}

#[tokio::test]
async fn head_bucket_names_the_region_whatever_the_status() {
    let emu = emulator().await;
    emu.seed_bucket("here", "eu-west-1").unwrap();
    let home = client(&emu, "eu-west-1", "eu-west-1");
    let ok = home.head_bucket().bucket("here").send().await.unwrap();
    assert_eq!(ok.bucket_region(), Some("eu-west-1"));
    let away = client(&emu, "us-east-1", "us-east-1");
    let err = away.head_bucket().bucket("here").send().await.unwrap_err();
    let (status, region, _, body) = raw(&err);
    assert_eq!(
        (status, region.as_deref(), body.as_str()),
        (301, Some("eu-west-1"), "")
    );
    let err = away
        .head_bucket()
        .bucket("nowhere")
        .send()
        .await
        .unwrap_err();
    let (status, region, _, _) = raw(&err);
    assert_eq!((status, region), (404, None));
    // Listings in the right region carry the header too.
    let unsigned = raw_request(
        "GET",
        &format!("{}/here?list-type=2", emu.endpoint("eu-west-1")),
        b"",
    )
    .await;
    assert_eq!(unsigned.status, 403, "unsigned requests are refused");
}

#[tokio::test]
async fn get_bucket_location_from_any_region() {
    let emu = emulator().await;
    emu.seed_bucket("in-east", "us-east-1").unwrap();
    emu.seed_bucket("in-euro", "eu-west-1").unwrap();
    for listener in ["us-east-1", "eu-west-1", "me-south-1"] {
        let s3 = client(&emu, listener, listener);
        let east = s3
            .get_bucket_location()
            .bucket("in-east")
            .send()
            .await
            .unwrap();
        let east = east.location_constraint().map_or("", |c| c.as_str());
        assert_eq!(east, "", "us-east-1 is an empty constraint");
        let euro = s3
            .get_bucket_location()
            .bucket("in-euro")
            .send()
            .await
            .unwrap();
        assert_eq!(
            euro.location_constraint(),
            Some(&BucketLocationConstraint::EuWest1)
        );
    }
}

#[tokio::test]
async fn list_buckets_from_any_region_with_regions_and_pages() {
    let emu = emulator().await;
    for (bucket, region) in [
        ("b-1", "us-east-1"),
        ("b-2", "eu-west-1"),
        ("b-3", "me-south-1"),
        ("c-1", "eu-west-1"),
    ] {
        emu.seed_bucket(bucket, region).unwrap();
    }
    let s3 = client(&emu, "me-south-1", "me-south-1");
    let page = s3.list_buckets().max_buckets(2).send().await.unwrap();
    let names: Vec<_> = page
        .buckets()
        .iter()
        .map(|b| (b.name().unwrap(), b.bucket_region().unwrap()))
        .collect();
    assert_eq!(names, [("b-1", "us-east-1"), ("b-2", "eu-west-1")]);
    let token = page.continuation_token().expect("more pages").to_owned();
    let next = s3
        .list_buckets()
        .max_buckets(2)
        .continuation_token(token)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = next.buckets().iter().map(|b| b.name().unwrap()).collect();
    assert_eq!(names, ["b-3", "c-1"]);
    assert_eq!(next.continuation_token(), None);

    let all: Vec<_> = s3
        .list_buckets()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert!(all.iter().all(Result::is_ok));
    let euro = s3
        .list_buckets()
        .bucket_region("eu-west-1")
        .send()
        .await
        .unwrap();
    assert_eq!(euro.buckets().len(), 2);
    let prefixed = s3.list_buckets().prefix("c-").send().await.unwrap();
    assert_eq!(prefixed.buckets().len(), 1);
}

#[tokio::test]
async fn faults_and_latency() {
    let emu = emulator().await;
    emu.seed_bucket("flaky", "us-east-1").unwrap();
    let s3 = client(&emu, "us-east-1", "us-east-1");
    s3.put_object()
        .bucket("flaky")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();

    emu.inject(Fault::new(FaultKind::SlowDown, 2).for_bucket("flaky"));
    for _ in 0..2 {
        let err = s3
            .get_object()
            .bucket("flaky")
            .key("k")
            .send()
            .await
            .unwrap_err();
        assert_eq!(raw(&err).0, 503);
        assert_eq!(raw(&err).2.as_deref(), Some("SlowDown"));
    }
    emu.inject(Fault::new(FaultKind::InternalError, 1).in_region("us-east-1"));
    let err = s3
        .get_object()
        .bucket("flaky")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).2.as_deref(), Some("InternalError"));

    emu.inject(Fault::new(FaultKind::DropConnection, 1));
    let err = s3
        .get_object()
        .bucket("flaky")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.raw_response().is_none(),
        "a dropped connection has no answer: {err:?}"
    );

    s3.get_object()
        .bucket("flaky")
        .key("k")
        .send()
        .await
        .expect("faults are spent");
    let counters = emu.counters();
    assert_eq!(counters.answers_with_status("us-east-1", 503), 2);
    assert_eq!(counters.answers_with_status("us-east-1", 500), 1);
    assert_eq!(counters.requests_for_bucket("us-east-1", "flaky"), 6);

    emu.configure(|s| {
        s.per_region_latency
            .insert("us-east-1".into(), Duration::from_millis(50));
    });
    let started = std::time::Instant::now();
    s3.get_object()
        .bucket("flaky")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "latency is added, never removed"
    );
}

#[tokio::test]
async fn counters_over_the_admin_path() {
    let emu = emulator().await;
    emu.seed_bucket("counted", "eu-west-1").unwrap();
    let s3 = client(&emu, "us-east-1", "us-east-1");
    let _ = s3.get_object().bucket("counted").key("k").send().await;
    let admin = format!("{}/_s3mr/counters", emu.endpoint("eu-west-1"));
    let answer = raw_request("GET", &admin, b"").await;
    assert_eq!(answer.status, 200);
    let snapshot: s3mr_emulator::CountersSnapshot = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(snapshot.requests("us-east-1"), 1);
    assert_eq!(snapshot.requests_for_bucket("us-east-1", "counted"), 1);
    assert_eq!(snapshot, emu.counters(), "admin requests are not counted");

    assert_eq!(raw_request("DELETE", &admin, b"").await.status, 200);
    assert_eq!(emu.counters().total_requests(), 0);

    let switches = format!("{}/_s3mr/switches", emu.endpoint("us-east-1"));
    let body = br#"{"defaults":{"answer":"global-endpoint"}}"#;
    assert_eq!(raw_request("PUT", &switches, body).await.status, 200);
    let err = s3
        .get_object()
        .bucket("counted")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).2.as_deref(), Some("AuthorizationHeaderMalformed"));
    assert_eq!(
        raw_request("PUT", &switches, b"{not json").await.status,
        400
    );

    let faults = format!("{}/_s3mr/faults", emu.endpoint("us-east-1"));
    let fault = br#"{"kind":"slow-down","count":1}"#;
    assert_eq!(raw_request("POST", &faults, fault).await.status, 200);
    let err = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(raw(&err).0, 503);
}

#[tokio::test]
async fn registry_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let s3 = client(&first, "us-east-1", "us-east-1");
    let cfg = CreateBucketConfiguration::builder()
        .location_constraint(BucketLocationConstraint::EuWest1)
        .build();
    s3.create_bucket()
        .bucket("kept")
        .create_bucket_configuration(cfg)
        .send()
        .await
        .unwrap();
    client(&first, "eu-west-1", "eu-west-1")
        .put_object()
        .bucket("kept")
        .key("k")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
        .unwrap();
    first.shutdown().await;

    let second = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_eq!(second.bucket_region("kept").as_deref(), Some("eu-west-1"));
    let err = client(&second, "us-east-1", "us-east-1")
        .get_object()
        .bucket("kept")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(raw(&err).0, 301);
    let got = client(&second, "eu-west-1", "eu-west-1")
        .get_object()
        .bucket("kept")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"still here"
    );
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    use s3mr_emulator::EmulatorError;
    assert!(matches!(
        Emulator::builder().start().await,
        Err(EmulatorError::NoRegions)
    ));
    let dup = Emulator::builder()
        .region("us-east-1")
        .region("us-east-1")
        .start()
        .await;
    assert!(matches!(dup, Err(EmulatorError::DuplicateRegion(r)) if r == "us-east-1"));
    let bad = Emulator::builder().region("evil.example.com").start().await;
    assert!(matches!(bad, Err(EmulatorError::InvalidRegion(_))));
}
