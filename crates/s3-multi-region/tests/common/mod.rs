//! A three-region world for the routing tests: the emulator with us-east-1 (the client's
//! default, "R0"), eu-west-1 ("R1") and ap-southeast-2 ("R2"), and clients wired to it.

#![allow(dead_code)]

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::retry::RetryConfig;
use aws_types::SdkConfig;
use s3_multi_region::{EndpointMap, MultiRegionClient};
use s3mr_emulator::{Emulator, Reported, WrongRegionAnswer};

pub(crate) const R0: &str = "us-east-1";
pub(crate) const R1: &str = "eu-west-1";
pub(crate) const R2: &str = "ap-southeast-2";

pub(crate) struct World {
    pub emu: Emulator,
    pub sdk: SdkConfig,
}

pub(crate) async fn world() -> World {
    let emu = Emulator::builder()
        .region(R0)
        .region(R1)
        .region(R2)
        .start()
        .await
        .unwrap();
    let (ak, sk) = emu.credentials();
    let sdk = sdk_for(ak, sk);
    World { emu, sdk }
}

impl World {
    pub(crate) fn endpoints(&self) -> EndpointMap {
        self.emu.endpoint_map().parse().unwrap()
    }

    /// A multi-region client whose default region is R0.
    pub(crate) fn client(&self) -> MultiRegionClient {
        self.builder().build().unwrap()
    }

    /// A builder for a multi-region client on this world (default region R0).
    pub(crate) fn builder(&self) -> s3_multi_region::MultiRegionClientBuilder {
        MultiRegionClient::builder(&self.sdk).endpoint_map(self.endpoints())
    }

    /// A plain SDK client pinned to `region` (no routing), for set-up and checks.
    pub(crate) fn direct(&self, region: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.emu.endpoint(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates `bucket` in `region` holding `key` = `body`, then zeroes the counters.
    pub(crate) async fn bucket_with_object(
        &self,
        bucket: &str,
        region: &str,
        key: &str,
        body: &[u8],
    ) {
        self.emu.seed_bucket(bucket, region).unwrap();
        self.direct(region)
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .unwrap();
        self.emu.reset_counters();
    }

    /// `bucket` gets 301 PermanentRedirect without `x-amz-bucket-region` or `<Region>` wherever
    /// it is not; its HeadBucket probe's header says `probe_says` (S3 always sends the header on
    /// HeadBucket: [`Reported::Actual`] is the real service, anything else a lying probe).
    pub(crate) fn answers_without_a_region(&self, bucket: &str, probe_says: Reported) {
        self.emu.configure(|s| {
            s.answer(WrongRegionAnswer::PermanentRedirect);
            let b = s.bucket(bucket);
            b.region_header = Some(Reported::Omit);
            b.region_element = Some(Reported::Omit);
            b.head_bucket_header = Some(probe_says);
        });
    }

    /// Requests per region now, as `(R0, R1, R2)`.
    pub(crate) fn requests(&self) -> (u64, u64, u64) {
        let c = self.emu.counters();
        (c.requests(R0), c.requests(R1), c.requests(R2))
    }
}

pub(crate) async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// The crate's error inside an SDK error, if any.
pub(crate) fn routing_error<E: std::error::Error + 'static>(
    err: &E,
) -> Option<s3_multi_region::Error> {
    s3_multi_region::Error::find(err).cloned()
}

/// An SdkConfig for the emulator's credentials, default region us-east-1, quick retries.
pub(crate) fn sdk_for(access_key: &str, secret_key: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(R0))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key, secret_key, None, None, "test",
        )))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTPS client"),
        )
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build()
}

/// A body that can be read once and not cloned, of known length.
pub(crate) fn one_shot(data: Vec<u8>) -> ByteStream {
    let chunks: Vec<Result<http_body::Frame<bytes::Bytes>, std::io::Error>> = data
        .chunks(64 * 1024)
        .map(|c| Ok(http_body::Frame::data(bytes::Bytes::copy_from_slice(c))))
        .collect();
    let len = data.len() as u64;
    let body = http_body_util::StreamBody::new(futures::stream::iter(chunks));
    struct Sized<B>(B, u64);
    impl<B: http_body::Body + Unpin> http_body::Body for Sized<B> {
        type Data = B::Data;
        type Error = B::Error;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
            std::pin::Pin::new(&mut self.0).poll_frame(cx)
        }
        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(self.1)
        }
    }
    ByteStream::from_body_1_x(Sized(body, len))
}

// Used by the services suites only (this module is shared by three test binaries).
#[allow(unused_imports)]
pub(crate) use s3mr_testkit::{PrivateMoto, PrivateRedis, wait_for_port};

/// Collects what a tracing subscriber writes, for tests of what the library logs.
#[derive(Clone, Default)]
pub(crate) struct Capture(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// What was written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
