//! `s3mr cache init dynamodb://<table>` makes the table once and is safe to run again; the CLI
//! then shares regions between runs through it.

use crate::common::command;
use s3mr_emulator::Emulator;

/// Runs `s3mr args...`, asserting it succeeds; its output.
async fn ok(emu: &Emulator, args: &[&str]) -> std::process::Output {
    let out = command(emu, args).output().await.unwrap();
    assert!(
        out.status.success(),
        "s3mr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

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
        let out = ok(&emu, &["cache", "init", &url]).await;
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(outputs[0].trim(), format!("created {url}"));
    assert_eq!(outputs[1].trim(), format!("already exists: {url}"));

    // The first run learns eu-west-1 (one HeadBucket) and writes it to the table.
    let out = ok(&emu, &["--cache", &url, "region", "ddb-cli"]).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ddb-cli\teu-west-1"
    );
    emu.reset_counters();
    ok(&emu, &["--cache", &url, "ls", "s3://ddb-cli/"]).await;
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

/// A DynamoDB client on moto, as a user's own code would make one.
fn dynamodb(moto: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(moto)
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .http_client(s3_multi_region::http_client().unwrap())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn s(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.to_owned())
}

fn n(v: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(v.to_string())
}

async fn pks(db: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let scanned = db.scan().table_name(table).send().await.unwrap();
    let mut pks: Vec<String> = scanned
        .items()
        .iter()
        .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    pks.sort();
    pks
}

async fn ttl_status(db: &aws_sdk_dynamodb::Client, table: &str) -> String {
    db.describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

/// `cache init` on a user's table (here `orders`, with a `pk` string key and an `expires_at`
/// attribute) is an error naming it, and its TTL stays off; `cache clear` deletes only the
/// cache's own entries of the client's scope: a user's item in the cache table, another scope's
/// entry and the table's marker all stay, and `clear` on the user's table deletes nothing.
#[tokio::test]
async fn cache_init_and_clear_leave_what_is_not_theirs() {
    let moto = std::env::var("S3MR_TEST_MOTO_URL")
        .expect("S3MR_TEST_MOTO_URL is not set: run ./scripts/test.sh, which starts moto_server");
    let db = dynamodb(&moto);
    let emu = Emulator::builder()
        .region("us-east-1")
        .region("eu-west-1")
        .start()
        .await
        .unwrap();
    emu.seed_bucket("ddb-clear", "eu-west-1").unwrap();
    let pid = std::process::id();

    // A user's table: same key name, an `expires_at` of their own, TTL off.
    let orders = format!("orders-{pid}");
    db.create_table()
        .table_name(&orders)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 1..=3 {
        db.put_item()
            .table_name(&orders)
            .item("pk", s(&format!("order#{i}")))
            .item("expires_at", n(1))
            .item("total", n(10 * i))
            .send()
            .await
            .unwrap();
    }
    let orders_url =
        format!("dynamodb://{orders}?region=us-east-1&timeout_ms=10000&endpoint={moto}");
    let out = command(&emu, &["cache", "init", &orders_url])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "table {orders} exists and is not a bucket-region cache"
        )),
        "{stderr}"
    );
    assert_eq!(ttl_status(&db, &orders).await, "DISABLED");
    ok(&emu, &["--cache", &orders_url, "cache", "clear"]).await;
    assert_eq!(pks(&db, &orders).await, ["order#1", "order#2", "order#3"]);

    // The cache's own table, shared with something else.
    let table = format!("s3mr-cli-clear-{pid}");
    let url = format!("dynamodb://{table}?region=us-east-1&timeout_ms=10000&endpoint={moto}");
    ok(&emu, &["cache", "init", &url]).await;
    assert_eq!(ttl_status(&db, &table).await, "ENABLED");
    ok(&emu, &["--cache", &url, "region", "ddb-clear"]).await;
    db.put_item()
        .table_name(&table)
        .item("pk", s("order#9"))
        .item("total", n(90))
        .send()
        .await
        .unwrap();
    db.put_item()
        .table_name(&table)
        .item("pk", s("aws#someone-elses-bucket"))
        .item("region", s("ap-southeast-2"))
        .item("written_at", n(1))
        .item("expires_at", n(4_000_000_000))
        .send()
        .await
        .unwrap();
    let before = pks(&db, &table).await;
    assert_eq!(before.len(), 4, "{before:?}");
    let ours: Vec<&String> = before
        .iter()
        .filter(|pk| pk.ends_with("#ddb-clear"))
        .collect();
    assert_eq!(ours.len(), 1, "{before:?}");
    ok(&emu, &["--cache", &url, "cache", "clear"]).await;
    assert_eq!(
        pks(&db, &table).await,
        ["aws#someone-elses-bucket", "order#9", "s3mr-cache-table"]
    );
    // And it was a real clear: the next run discovers the region again.
    let out = command(&emu, &["--cache", &url, "cache", "get", "ddb-clear"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    // init again on our own table: recognised.
    let out = command(&emu, &["cache", "init", &url])
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("already exists: {url}")
    );
}
