//! The generic pool against a real second AWS service: SQS on moto's server (started by
//! scripts/test.sh; S3MR_TEST_MOTO_URL names it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_types::SdkConfig;
use s3_multi_region::{Error, RegionalClients};

fn moto_url() -> String {
    std::env::var("S3MR_TEST_MOTO_URL")
        .expect("S3MR_TEST_MOTO_URL is not set: run ./scripts/test.sh, which installs and starts moto_server")
}

fn sdk() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .http_client(
            s3_multi_region::HttpClientBuilder::new()
                .build()
                .expect("an HTTPS client"),
        )
        .endpoint_url(moto_url())
        .build()
}

async fn queue_names(client: &aws_sdk_sqs::Client, prefix: &str) -> Vec<String> {
    let out = client
        .list_queues()
        .queue_name_prefix(prefix)
        .send()
        .await
        .unwrap();
    out.queue_urls()
        .iter()
        .map(|u| u.rsplit('/').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn resources_stay_in_their_region() {
    let pool = RegionalClients::new(&sdk(), aws_sdk_sqs::Client::new);
    let prefix = format!("s3mr-{}", std::process::id());
    let queue = format!("{prefix}-orders");

    pool.client("eu-west-1")
        .unwrap()
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .unwrap();
    let expected = vec![queue];
    assert_eq!(
        queue_names(&pool.client("eu-west-1").unwrap(), &prefix).await,
        expected
    );
    assert!(
        queue_names(&pool.client("ap-southeast-2").unwrap(), &prefix)
            .await
            .is_empty(),
        "invisible elsewhere"
    );
    assert!(
        queue_names(&pool.default_client(), &prefix)
            .await
            .is_empty(),
        "and in the default region"
    );
    assert_eq!(
        queue_names(&pool.client("eu-west-1").unwrap(), &prefix).await,
        expected,
        "visible again through A"
    );
    assert_eq!(pool.clients_built(), 3, "one client per region, reused");
    assert_eq!(pool.regions(), ["ap-southeast-2", "eu-west-1", "us-east-1"]);
}

#[tokio::test]
async fn concurrent_first_use_builds_one_client() {
    let built = Arc::new(AtomicUsize::new(0));
    let counter = built.clone();
    let pool = Arc::new(RegionalClients::new(&sdk(), move |config| {
        counter.fetch_add(1, Ordering::SeqCst);
        aws_sdk_sqs::Client::new(config)
    }));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let client = pool.client("sa-east-1").unwrap();
                client.list_queues().send().await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(built.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bounded_pools_drop_the_least_recently_used_and_regions_are_validated() {
    let pool = RegionalClients::new(&sdk(), aws_sdk_sqs::Client::new).with_capacity(2);
    pool.client("us-east-1").unwrap();
    pool.client("eu-west-1").unwrap();
    pool.client("us-east-1").unwrap(); // eu-west-1 is now the least recently used
    pool.client("ap-southeast-2").unwrap();
    assert_eq!(pool.regions(), ["ap-southeast-2", "us-east-1"]);
    assert_eq!(pool.clients_built(), 3);
    pool.client("eu-west-1")
        .unwrap()
        .list_queues()
        .send()
        .await
        .unwrap();
    assert_eq!(
        pool.clients_built(),
        4,
        "an evicted region is rebuilt on demand"
    );

    for bad in ["", "EU-WEST-1", "evil.example.com/x"] {
        assert!(
            matches!(pool.client(bad), Err(Error::InvalidRegionArgument(_))),
            "{bad:?}"
        );
    }
    let mapped = RegionalClients::new(&sdk(), aws_sdk_sqs::Client::new)
        .with_endpoint_map(format!("us-east-1={}", moto_url()).parse().unwrap());
    mapped
        .client("us-east-1")
        .unwrap()
        .list_queues()
        .send()
        .await
        .unwrap();
    assert!(matches!(
        mapped.client("eu-west-1"),
        Err(Error::NoEndpointForRegion { .. })
    ));
}
