//! The fleet tier for fleets without Redis: a DynamoDB table (Lambda, ECS, Batch).
//!
//! One item per bucket, partition key `pk` = `<scope>#<bucket>` (the scope rule of the Redis
//! keys), with `region`, `expires_at` (epoch seconds: the table's TTL attribute) and `written_at`
//! (epoch milliseconds). DynamoDB deletes expired items late (and test servers never), so reads
//! treat an expired item as a miss. Writes are conditional on `written_at`, so an older writer
//! never overwrites a newer region. Discovery claims are items `claim#<scope>#<bucket>` written
//! with `attribute_not_exists(pk) OR claim_until < :now`. Every call is one attempt bounded by a
//! timeout: throttling, a missing table, AccessDenied or an unreachable endpoint are errors the
//! router logs once and treats as misses — an S3 request never fails because DynamoDB did.
//!
//! The table may hold what is not ours: `clear` deletes only items of the cache's shape (an entry
//! with `region` and `written_at`, or a claim with `claim_until`) in the scope asked, each delete
//! conditional on that shape. `create_table` writes a marker item when it makes a table, and on a
//! table that exists checks its key schema (`pk`, a string hash key) and that marker: a table it
//! did not make is an error naming it, and its TTL is never touched (turning TTL on for
//! `expires_at` would have DynamoDB delete a user's items).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_smithy_types::retry::RetryConfig;
use futures::future::BoxFuture;

use super::{BucketRegionCache, CacheError, CacheUrlError};

/// Default bound on one DynamoDB call (as Redis's).
pub const DEFAULT_DYNAMODB_TIMEOUT: Duration = Duration::from_millis(100);

const CLAIM_PREFIX: &str = "claim#";

/// The key of the item `create_table` writes into a table it made. Without a `#`, it is never
/// an entry's key (`<scope>#<bucket>`) nor a claim's.
const MARKER_PK: &str = "s3mr-cache-table";
/// What the marker item says in `created_by`.
const MARKER_OWNER: &str = "s3-multi-region";

/// Whether an item with these attributes is one of the cache's (pure): an entry (`region`
/// string, `written_at` number) or a claim (`claim#` key, `claim_until` number), in `scope`
/// when one is given. The marker and anything a user stored are not.
fn is_cache_item(item: &HashMap<String, AttributeValue>, scope: Option<&str>) -> bool {
    let Some(AttributeValue::S(pk)) = item.get("pk") else {
        return false;
    };
    let (entry_key, shaped) = match pk.strip_prefix(CLAIM_PREFIX) {
        Some(rest) => (
            rest,
            matches!(item.get("claim_until"), Some(AttributeValue::N(_))),
        ),
        None => (
            pk.as_str(),
            matches!(item.get("region"), Some(AttributeValue::S(_)))
                && matches!(item.get("written_at"), Some(AttributeValue::N(_))),
        ),
    };
    let in_scope = match scope {
        Some(scope) => entry_key
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('#')),
        None => entry_key.contains('#'),
    };
    shaped && in_scope
}

/// A bucket-region cache in a DynamoDB table.
///
/// ```no_run
/// # async fn run(sdk: aws_types::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use s3_multi_region::cache::DynamoDbCache;
/// let cache = DynamoDbCache::from_url("dynamodb://s3mr-regions?region=eu-west-1", &sdk)?;
/// cache.create_table().await?; // once, or `s3mr cache init dynamodb://s3mr-regions`
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbCache {
    client: aws_sdk_dynamodb::Client,
    table: String,
    timeout: Duration,
    ttl: Duration,
}

fn cache_error(err: impl std::error::Error + Send + Sync + 'static) -> CacheError {
    CacheError::new(err)
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn number(n: u128) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn key(scope: &str, bucket: &str) -> String {
    format!("{scope}#{bucket}")
}

/// `dynamodb://<table>[?region=<r>&ttl=<secs>&endpoint=<url>&timeout_ms=<ms>]`, parsed (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DynamoUrl {
    pub(crate) table: String,
    pub(crate) region: Option<String>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) endpoint: Option<String>,
    pub(crate) timeout: Option<Duration>,
}

pub(crate) fn parse_url(url: &str) -> Result<DynamoUrl, CacheUrlError> {
    let error = |reason: &str| CacheUrlError::new(url, reason);
    let rest = url
        .strip_prefix("dynamodb://")
        .ok_or_else(|| error("expected dynamodb://<table>"))?;
    let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
    let table = table.trim_end_matches('/');
    // DynamoDB table names: 3-255 of [a-zA-Z0-9_.-].
    let valid = (3..=255).contains(&table.len())
        && table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid {
        return Err(error(
            "a table name is 3-255 letters, digits, '_', '.' or '-'",
        ));
    }
    let mut parsed = DynamoUrl {
        table: table.to_owned(),
        region: None,
        ttl: None,
        endpoint: None,
        timeout: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "region" => {
                crate::region::validate_region(value).map_err(|e| error(&e.to_string()))?;
                parsed.region = Some(value.to_owned());
            }
            "ttl" => {
                let secs: u64 = value.parse().map_err(|_| error("ttl is whole seconds"))?;
                parsed.ttl = Some(Duration::from_secs(secs.max(1)));
            }
            "timeout_ms" => {
                let ms: u64 = value
                    .parse()
                    .map_err(|_| error("timeout_ms is whole milliseconds"))?;
                parsed.timeout = Some(Duration::from_millis(ms.max(1)));
            }
            "endpoint" if value.starts_with("http://") || value.starts_with("https://") => {
                parsed.endpoint = Some(value.to_owned());
            }
            _ => return Err(error(&format!("unknown or invalid parameter {name:?}"))),
        }
    }
    Ok(parsed)
}

impl DynamoDbCache {
    /// A cache in `table`, built from `sdk` (credentials, HTTP client, proxies); the table's
    /// region is `sdk`'s unless `region` says otherwise. One attempt per call, bounded by
    /// [`DEFAULT_DYNAMODB_TIMEOUT`].
    pub fn new(sdk: &aws_types::SdkConfig, table: &str, region: Option<&str>) -> Self {
        let mut config =
            aws_sdk_dynamodb::config::Builder::from(sdk).retry_config(RetryConfig::disabled());
        if let Some(region) = region {
            config = config.region(aws_types::region::Region::new(region.to_owned()));
        }
        Self {
            client: aws_sdk_dynamodb::Client::from_conf(config.build()),
            table: table.to_owned(),
            timeout: DEFAULT_DYNAMODB_TIMEOUT,
            ttl: crate::cache::memory::DEFAULT_TTL,
        }
    }

    /// The cache a `dynamodb://<table>[?region=&ttl=&endpoint=&timeout_ms=]` URL names.
    pub fn from_url(url: &str, sdk: &aws_types::SdkConfig) -> Result<Self, CacheUrlError> {
        let parsed = parse_url(url)?;
        let sdk = match &parsed.endpoint {
            Some(endpoint) => sdk.to_builder().endpoint_url(endpoint).build(),
            None => sdk.clone(),
        };
        let mut cache = Self::new(&sdk, &parsed.table, parsed.region.as_deref());
        if let Some(ttl) = parsed.ttl {
            cache.ttl = ttl;
        }
        if let Some(timeout) = parsed.timeout {
            cache.timeout = timeout;
        }
        Ok(cache)
    }

    /// Like this cache, with a call timeout and an entry TTL (at least one second).
    pub fn with_settings(mut self, timeout: Duration, ttl: Duration) -> Self {
        self.timeout = timeout;
        self.ttl = ttl.max(Duration::from_secs(1));
        self
    }

    async fn bounded<T, E>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, CacheError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(cache_error)?
            .map_err(cache_error)
    }

    /// Creates the table (on-demand billing, TTL on `expires_at`, a marker item saying the cache
    /// made it) if it does not exist: `true` when it was created now. On a table that exists,
    /// checks that it is one this cache made (key schema `pk` string hash key, and the marker)
    /// before anything is changed: a foreign table is an error naming it, its TTL untouched.
    /// Safe to run again. Not bounded by the call timeout.
    pub async fn create_table(&self) -> Result<bool, CacheError> {
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(cache_error)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(cache_error)?,
            )
            .send()
            .await;
        let created = match created {
            Ok(_) => true,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                false
            }
            Err(err) => return Err(cache_error(err)),
        };
        if created {
            self.wait_until_active().await?;
            self.client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(MARKER_PK.to_owned()))
                .item("created_by", AttributeValue::S(MARKER_OWNER.to_owned()))
                .item("created_at", number(now().as_secs().into()))
                .send()
                .await
                .map_err(cache_error)?;
        } else {
            self.check_ours().await?;
        }
        // Enabling TTL twice is refused: ask first (no decision by error text).
        let described = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(cache_error)?;
        let status = described
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        let on = matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        if !on {
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name("expires_at")
                        .build()
                        .map_err(cache_error)?,
                )
                .send()
                .await
                .map_err(cache_error)?;
        }
        Ok(created)
    }

    /// A new table is `CREATING` for a few seconds on DynamoDB (at once on test servers): wait,
    /// bounded, until it takes writes.
    async fn wait_until_active(&self) -> Result<(), CacheError> {
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(cache_error)?;
            let status = described.table().and_then(|t| t.table_status());
            if status == Some(&aws_sdk_dynamodb::types::TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(CacheError::new(format!(
            "table {} did not become ACTIVE within 60 s",
            self.table
        )))
    }

    /// An existing table is the cache's only with its key schema and the marker item.
    async fn check_ours(&self) -> Result<(), CacheError> {
        let foreign = |why: String| {
            CacheError::new(format!(
                "table {} exists and is not a bucket-region cache made by s3mr ({why}); \
                 nothing was changed: name another table",
                self.table
            ))
        };
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(cache_error)?;
        let table = described.table();
        let schema: Vec<(String, String)> = table
            .map(|t| t.key_schema())
            .unwrap_or_default()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str().to_owned(),
                )
            })
            .collect();
        let pk_type = table
            .map(|t| t.attribute_definitions())
            .unwrap_or_default()
            .iter()
            .find(|a| a.attribute_name() == "pk")
            .map(|a| a.attribute_type().as_str().to_owned());
        if schema != [("pk".to_owned(), "HASH".to_owned())] || pk_type.as_deref() != Some("S") {
            return Err(foreign(format!(
                "its key schema is {schema:?}, not one string hash key `pk`"
            )));
        }
        let marker = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(MARKER_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(cache_error)?;
        match marker.item().and_then(|i| i.get("created_by")) {
            Some(AttributeValue::S(owner)) if owner == MARKER_OWNER => Ok(()),
            _ => Err(foreign(format!("no marker item `{MARKER_PK}`"))),
        }
    }

    /// Deletes the cache's items (in `scope`, or every scope), each only if it still has the
    /// cache's shape: nothing else in the table is touched.
    async fn delete_cache_items(&self, scope: Option<&str>) -> Result<(), CacheError> {
        for (pk, _) in self.cache_items(scope).await? {
            let condition = if pk.starts_with(CLAIM_PREFIX) {
                "attribute_exists(claim_until)"
            } else {
                "attribute_exists(#r) AND attribute_exists(written_at)"
            };
            let mut delete = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.clone()))
                .condition_expression(condition);
            if !pk.starts_with(CLAIM_PREFIX) {
                delete = delete.expression_attribute_names("#r", "region");
            }
            match self.bounded(delete.send()).await {
                Ok(_) => {}
                // Replaced meanwhile by something that is not ours: it stays.
                Err(err) if is_condition_failure(&err) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// The cache's items (see [`is_cache_item`]) in `scope`, or in every scope, each with
    /// whether it is live (not past `expires_at`): one paged Scan.
    async fn cache_items(&self, scope: Option<&str>) -> Result<Vec<(String, bool)>, CacheError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        let now_secs = now().as_secs();
        loop {
            let page = self
                .bounded(
                    self.client
                        .scan()
                        .table_name(&self.table)
                        .projection_expression("pk, expires_at, #r, written_at, claim_until")
                        .expression_attribute_names("#r", "region")
                        .set_exclusive_start_key(start.take())
                        .send(),
                )
                .await?;
            for item in page.items() {
                let Some(AttributeValue::S(pk)) = item.get("pk") else {
                    continue;
                };
                if !is_cache_item(item, scope) {
                    continue;
                }
                let live = match item.get("expires_at") {
                    Some(AttributeValue::N(n)) => n.parse::<u64>().is_ok_and(|e| e > now_secs),
                    _ => true,
                };
                items.push((pk.clone(), live));
            }
            match page.last_evaluated_key() {
                Some(last) if !last.is_empty() => start = Some(last.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Stores `value` verbatim under `bucket` (for tests of poisoned entries and tooling;
    /// feature `test-util`).
    #[cfg(feature = "test-util")]
    pub async fn put_raw(&self, scope: &str, bucket: &str, value: &str) -> Result<(), CacheError> {
        self.put_written_at(scope, bucket, value, now()).await
    }

    /// [`put_raw`](Self::put_raw) as if written at `now` (since the epoch): for tests of the
    /// older-writer rule (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub async fn put_written_at(
        &self,
        scope: &str,
        bucket: &str,
        value: &str,
        now: Duration,
    ) -> Result<(), CacheError> {
        self.put_value(scope, bucket, value, now).await
    }

    async fn put_value(
        &self,
        scope: &str,
        bucket: &str,
        value: &str,
        now: Duration,
    ) -> Result<(), CacheError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key(scope, bucket)))
            .item("region", AttributeValue::S(value.to_owned()))
            .item("expires_at", number((now + self.ttl).as_secs().into()))
            .item("written_at", number(now.as_millis()))
            // An older writer never overwrites a newer region.
            .condition_expression("attribute_not_exists(pk) OR written_at <= :now")
            .expression_attribute_values(":now", number(now.as_millis()))
            .send();
        match self.bounded(put).await {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

fn is_condition_failure(err: &CacheError) -> bool {
    let mut cursor: Option<&(dyn std::error::Error + 'static)> = Some(err.0.as_ref());
    while let Some(current) = cursor {
        if let Some(sdk) =
            current.downcast_ref::<aws_sdk_dynamodb::error::SdkError<
                aws_sdk_dynamodb::operation::put_item::PutItemError,
            >>()
        {
            return sdk
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception());
        }
        cursor = current.source();
    }
    false
}

impl BucketRegionCache for DynamoDbCache {
    fn get<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        Box::pin(async move {
            let got = self
                .bounded(
                    self.client
                        .get_item()
                        .table_name(&self.table)
                        .key("pk", AttributeValue::S(key(scope, bucket)))
                        .consistent_read(true)
                        .send(),
                )
                .await?;
            let Some(item) = got.item() else {
                return Ok(None);
            };
            let live = match item.get("expires_at") {
                Some(AttributeValue::N(n)) => n.parse::<u64>().is_ok_and(|e| e > now().as_secs()),
                _ => false,
            };
            Ok(match (live, item.get("region")) {
                (true, Some(AttributeValue::S(region))) => Some(region.clone()),
                _ => None,
            })
        })
    }

    fn put<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        region: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(self.put_value(scope, bucket, region, now()))
    }

    fn remove<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            self.bounded(
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", AttributeValue::S(key(scope, bucket)))
                    .send(),
            )
            .await
            .map(drop)
        })
    }

    fn claim_discovery<'a>(
        &'a self,
        scope: &'a str,
        bucket: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, CacheError>> {
        Box::pin(async move {
            let now = now();
            let until = now + ttl.max(Duration::from_millis(1));
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(
                    "pk",
                    AttributeValue::S(format!("{CLAIM_PREFIX}{}", key(scope, bucket))),
                )
                .item("claim_until", number(until.as_millis()))
                .item("expires_at", number((until.as_secs() + 60).into()))
                .item("owner", AttributeValue::S(std::process::id().to_string()))
                .condition_expression("attribute_not_exists(pk) OR claim_until < :now")
                .expression_attribute_values(":now", number(now.as_millis()))
                .send();
            match self.bounded(put).await {
                Ok(_) => Ok(true),
                Err(err) if is_condition_failure(&err) => Ok(false),
                Err(err) => Err(err),
            }
        })
    }

    fn entries(&self) -> BoxFuture<'_, Result<Option<usize>, CacheError>> {
        Box::pin(async {
            let keys = self.cache_items(None).await?;
            Ok(Some(
                keys.iter()
                    .filter(|(pk, live)| *live && !pk.starts_with(CLAIM_PREFIX))
                    .count(),
            ))
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), CacheError>> {
        Box::pin(self.delete_cache_items(None))
    }

    fn clear_scope<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(self.delete_cache_items(Some(scope)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_caches_own_items_in_scope_are_its_items() {
        let s = |v: &str| AttributeValue::S(v.to_owned());
        let n = |v: u64| AttributeValue::N(v.to_string());
        let item = |pairs: &[(&str, AttributeValue)]| -> HashMap<String, AttributeValue> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        let entry = item(&[
            ("pk", s("aws#logs")),
            ("region", s("eu-west-1")),
            ("written_at", n(1)),
        ]);
        let claim = item(&[("pk", s("claim#aws#logs")), ("claim_until", n(1))]);
        let other_scope = item(&[
            ("pk", s("aws-cn#logs")),
            ("region", s("cn-north-1")),
            ("written_at", n(1)),
        ]);
        let order = item(&[
            ("pk", s("order#17")),
            ("expires_at", n(1)),
            ("total", n(30)),
        ]);
        let plain = item(&[("pk", s("customer-9")), ("region", s("eu"))]);
        let marker = item(&[("pk", s(MARKER_PK)), ("created_by", s(MARKER_OWNER))]);
        let numeric_pk = item(&[("pk", n(7)), ("region", s("x")), ("written_at", n(1))]);
        // (item, scope, is the cache's)
        let table = [
            (&entry, Some("aws"), true),
            (&entry, None, true),
            (&entry, Some("aws-cn"), false),
            (&entry, Some("aw"), false),
            (&claim, Some("aws"), true),
            (&claim, Some("aws-cn"), false),
            (&other_scope, Some("aws"), false),
            (&other_scope, None, true),
            (&order, None, false),
            (&order, Some("order"), false),
            (&plain, None, false),
            (&marker, None, false),
            (&numeric_pk, None, false),
        ];
        for (item, scope, want) in table {
            assert_eq!(is_cache_item(item, scope), want, "{item:?} in {scope:?}");
        }
    }

    #[test]
    fn dynamodb_urls() {
        let parsed =
            parse_url("dynamodb://s3mr-regions?region=eu-west-1&ttl=60&timeout_ms=500").unwrap();
        assert_eq!(parsed.table, "s3mr-regions");
        assert_eq!(parsed.region.as_deref(), Some("eu-west-1"));
        assert_eq!(parsed.ttl, Some(Duration::from_secs(60)));
        assert_eq!(parsed.timeout, Some(Duration::from_millis(500)));
        let local = parse_url("dynamodb://t_1.x?endpoint=http://127.0.0.1:8000").unwrap();
        assert_eq!(local.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        for bad in [
            "dynamodb://",
            "dynamodb://ab",
            "dynamodb://bad name",
            "dynamodb://t?region=evil.example.com",
            "dynamodb://table?ttl=soon",
            "dynamodb://table?endpoint=ftp://x",
            "dynamodb://table?color=blue",
            "redis://x",
        ] {
            assert!(parse_url(bad).is_err(), "{bad:?}");
        }
    }
}
