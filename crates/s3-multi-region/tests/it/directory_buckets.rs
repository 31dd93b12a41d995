//! Directory buckets (S3 Express One Zone) at the resolver, with no network: a client built as
//! the README builds it (default us-east-1, real AWS hostnames, no endpoint map) over an HTTP
//! client that records each request and answers as S3 Express would (a CreateSession result, or
//! the object). Pins what the emulator cannot yet show: the SDK's hidden CreateSession and the
//! operation both go to the zonal host of the zone's region, signed for it — so an SDK upgrade
//! that stops passing our resolver to CreateSession fails here.

use std::sync::{Arc, Mutex};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use s3_multi_region::{Error, MultiRegionClient, at_region};

/// One request as sent: method, URI, and the headers that say how it was signed.
#[derive(Debug, Clone)]
struct Sent {
    uri: String,
    authorization: String,
    session_token: Option<String>,
}

/// Records every request and answers it: `GET /?session` with session credentials, anything
/// else with `hello` — or, when `redirecting`, any request to us-east-1 with S3's 301 naming
/// eu-west-1.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Sent>>>, bool);

impl Recorder {
    fn sent(&self) -> Vec<Sent> {
        self.0.lock().unwrap().clone()
    }
}

impl HttpConnector for Recorder {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let header = |name: &str| request.headers().get(name).map(str::to_owned);
        let uri = request.uri().to_owned();
        self.0.lock().unwrap().push(Sent {
            uri: uri.clone(),
            authorization: header("authorization").unwrap_or_default(),
            session_token: header("x-amz-s3session-token"),
        });
        let body = if uri.ends_with("?session") {
            "<CreateSessionResult><Credentials><SessionToken>session-token</SessionToken>\
             <SecretAccessKey>session-secret</SecretAccessKey><AccessKeyId>ASIASESSION\
             </AccessKeyId><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
             </CreateSessionResult>"
        } else {
            "hello"
        };
        if self.1 && uri.contains(".us-east-1.") {
            let mut response = Response::new(
                StatusCode::try_from(301).unwrap(),
                SdkBody::from(
                    "<Error><Code>PermanentRedirect</Code><Message>moved</Message></Error>",
                ),
            );
            response
                .headers_mut()
                .insert("x-amz-bucket-region", "eu-west-1");
            return HttpConnectorFuture::ready(Ok(response));
        }
        let response = Response::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body));
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Recorder {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn client(recorder: &Recorder, zones: &[(&str, &str)]) -> MultiRegionClient {
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "AKIDBASE",
                "base-secret",
                None,
                None,
                "test",
            )),
        )
        .http_client(recorder.clone())
        .build();
    let mut builder = MultiRegionClient::builder(&sdk);
    for (zone, region) in zones {
        builder = builder.zone_region(zone, region);
    }
    builder.build().unwrap()
}

fn host(uri: &str) -> &str {
    uri.trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
}

async fn get(client: &MultiRegionClient, bucket: &str) -> Result<String, String> {
    match client.get_object().bucket(bucket).key("k").send().await {
        Ok(out) => Ok(String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()),
        Err(err) => Err(s3_multi_region::Report::report(&err).to_string()),
    }
}

#[tokio::test]
async fn directory_buckets_go_to_their_zones_region_create_session_included() {
    let recorder = Recorder::default();
    let client = client(&recorder, &[("dusw2-dlz1-az1", "us-west-2")]);

    // us-west-2 and eu-west-1 zones from a us-east-1 client: one CreateSession per bucket, then
    // the GETs, every request on the zonal host of the zone's region, signed for it.
    for _ in 0..2 {
        assert_eq!(get(&client, "b--usw2-az1--x-s3").await.unwrap(), "hello");
        assert_eq!(get(&client, "c--euw1-az1--x-s3").await.unwrap(), "hello");
    }
    let sent = recorder.sent();
    let hosts: Vec<&str> = sent.iter().map(|s| host(&s.uri)).collect();
    let usw2 = "b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com";
    let euw1 = "c--euw1-az1--x-s3.s3express-euw1-az1.eu-west-1.amazonaws.com";
    assert_eq!(hosts, [usw2, usw2, euw1, euw1, usw2, euw1], "{sent:#?}");
    assert!(sent[0].uri.ends_with("/?session") && sent[2].uri.ends_with("/?session"));
    assert_eq!(
        sent.iter().filter(|s| s.uri.ends_with("?session")).count(),
        2
    );
    assert!(
        sent[0]
            .authorization
            .contains("/us-west-2/s3express/aws4_request"),
        "{sent:#?}"
    );
    assert!(
        sent[1].authorization.contains("ASIASESSION/"),
        "{:?}",
        sent[1]
    );
    assert!(
        sent[1]
            .authorization
            .contains("/us-west-2/s3express/aws4_request")
    );
    assert_eq!(sent[1].session_token.as_deref(), Some("session-token"));
    assert!(
        sent[3]
            .authorization
            .contains("/eu-west-1/s3express/aws4_request")
    );
    // No probe, no cache entry: nothing to learn from a directory bucket.
    assert_eq!(client.cached_region("b--usw2-az1--x-s3"), None);

    // A presigned URL names the zonal host of the right region (the session is reused).
    let presigned = client
        .get_object()
        .bucket("b--usw2-az1--x-s3")
        .key("k")
        .presigned(PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    assert_eq!(host(presigned.uri()), usw2);
    assert!(
        presigned
            .uri()
            .contains("us-west-2%2Fs3express%2Faws4_request")
    );
    assert_eq!(recorder.sent().len(), 6, "no new CreateSession");

    // Local Zones, access points on directory buckets, and a zone the builder named.
    let before = recorder.sent().len();
    for (bucket, want) in [
        (
            "l--usw2-lax1-az1--x-s3",
            "l--usw2-lax1-az1--x-s3.s3express-usw2-lax1-az1.us-west-2.amazonaws.com",
        ),
        (
            "ap--apne1-az4--xa-s3",
            "ap--apne1-az4--xa-s3.s3express-apne1-az4.ap-northeast-1.amazonaws.com",
        ),
        (
            "d--dusw2-dlz1-az1--x-s3",
            "d--dusw2-dlz1-az1--x-s3.s3express-dusw2-dlz1-az1.us-west-2.amazonaws.com",
        ),
    ] {
        assert_eq!(get(&client, bucket).await.unwrap(), "hello");
        let sent = recorder.sent();
        assert!(
            sent[before..].iter().all(|s| host(&s.uri) == want),
            "{bucket}: {sent:#?}"
        );
        let _ = recorder.0.lock().unwrap().drain(before..);
    }
}

#[tokio::test]
async fn zones_a_call_may_not_use_are_refused_before_anything_is_sent() {
    let recorder = Recorder::default();
    let client = client(&recorder, &[]);

    // at_region contradicting the zone.
    let err = client
        .get_object()
        .bucket("b--usw2-az1--x-s3")
        .key("k")
        .customize()
        .config_override(at_region("eu-west-1"))
        .send()
        .await
        .unwrap_err();
    let found = Error::find(&err).map(ToString::to_string);
    assert_eq!(
        found.as_deref(),
        Some(
            "bucket b--usw2-az1--x-s3: its zone usw2-az1 is in us-west-2, but the call asked \
             for eu-west-1 (at_region)"
        )
    );
    // A China zone on an aws-partition client.
    let err = get(&client, "b--cnn1-az1--x-s3").await.unwrap_err();
    assert!(
        err.contains("its zone cnn1-az1 is in cn-north-1, which is outside partition aws"),
        "{err}"
    );
    assert!(recorder.sent().is_empty(), "{:#?}", recorder.sent());

    // at_region agreeing with the zone is fine.
    let ok = client
        .get_object()
        .bucket("b--usw2-az1--x-s3")
        .key("k")
        .customize()
        .config_override(at_region("us-west-2"))
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");

    // A zone no rule names keeps the SDK's behaviour: the client's region.
    let before = recorder.sent().len();
    let _ = get(&client, "b--xyz1-az1--x-s3").await;
    let sent = recorder.sent();
    assert_eq!(
        host(&sent[before].uri),
        "b--xyz1-az1--x-s3.s3express-xyz1-az1.us-east-1.amazonaws.com"
    );
}

#[tokio::test]
async fn names_s3_resolves_itself_are_never_probed_nor_cached() {
    let recorder = Recorder(Arc::default(), true);
    let client = client(&recorder, &[]);
    // An ordinary bucket: the 301 is followed and its region learned (2 requests).
    assert_eq!(get(&client, "plain-bucket").await.unwrap(), "hello");
    assert_eq!(recorder.sent().len(), 2);
    assert_eq!(
        client.cached_region("plain-bucket").as_deref(),
        Some("eu-west-1")
    );
    // Outposts access point aliases and Multi-Region Access Point aliases are S3's to resolve:
    // the answer is the caller's, nothing is probed, re-sent or cached.
    for bucket in ["myap-abc123--op-s3", "mfzwi23gnjvgw.mrap"] {
        let before = recorder.sent().len();
        assert!(get(&client, bucket).await.is_err(), "{bucket}");
        assert_eq!(
            recorder.sent().len() - before,
            1,
            "{bucket}: {:#?}",
            recorder.sent()
        );
        assert_eq!(client.cached_region(bucket), None, "{bucket}");
    }
}

/// With the `mrap` feature (as the workspace builds it: the CLI enables it), an MRAP call is
/// signed with SigV4a for every region and sent to the global MRAP host; nothing is probed or
/// cached. (Whether S3 accepts the signature is for the emulator to verify: not yet.)
#[cfg(feature = "mrap")]
#[tokio::test]
async fn an_mrap_call_is_signed_with_sigv4a_on_the_global_host() {
    let recorder = Recorder::default();
    let client = client(&recorder, &[]);
    let arn = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap";
    assert_eq!(get(&client, arn).await.unwrap(), "hello");
    let sent = recorder.sent();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        host(&sent[0].uri),
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
    );
    assert!(
        sent[0]
            .authorization
            .starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDBASE/"),
        "{:?}",
        sent[0]
    );
    assert!(sent[0].authorization.contains("x-amz-region-set"));
    assert_eq!(client.cached_region(arn), None);
    assert_eq!(client.stats().probes, 0);
}

/// Run without the `mrap` feature by `scripts/test.sh` (`cargo test -p s3-multi-region`; the
/// workspace build turns the feature on).
#[cfg(not(feature = "mrap"))]
#[tokio::test]
async fn an_mrap_call_without_sigv4a_names_the_feature_before_anything_is_sent() {
    let recorder = Recorder::default();
    let client = client(&recorder, &[]);
    let arn = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap";
    let err = client
        .get_object()
        .bucket(arn)
        .key("k")
        .send()
        .await
        .unwrap_err();
    let found = Error::find(&err).expect("our error");
    assert_eq!(found.kind(), s3_multi_region::ErrorKind::Other);
    assert_eq!(
        found.to_string(),
        format!(
            "bucket {arn}: a Multi-Region Access Point is signed with SigV4a, which this build \
             leaves out: enable the `mrap` feature of s3-multi-region"
        )
    );
    assert!(recorder.sent().is_empty());
}
