//! `/_s3mr/metrics`: the gateway's counters in the Prometheus text format, through
//! `prometheus-client`. Labels carry operations, statuses, regions and refusal reasons only:
//! never a secret, a key id, a bucket or an object key (their values are unbounded, and some
//! are private).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use s3_multi_region::MultiRegionClient;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    /// The region the request went to; "none" when it was answered by the gateway itself.
    pub(crate) region: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RegionLabel {
    pub(crate) region: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReasonLabel {
    pub(crate) reason: &'static str,
}

/// Every metric the gateway keeps.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) bytes_in: Family<RegionLabel, Counter>,
    pub(crate) bytes_out: Family<RegionLabel, Counter>,
    pub(crate) auth_failures: Family<ReasonLabel, Counter>,
    pub(crate) rejected: Family<ReasonLabel, Counter>,
    pub(crate) in_flight: Gauge,
    pub(crate) connections: Gauge,
    pub(crate) duration: Histogram,
}

impl Metrics {
    pub(crate) fn new(client: &MultiRegionClient) -> Arc<Self> {
        let mut registry = Registry::with_prefix("s3mr_gateway");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by S3 operation, HTTP status and the region they went to",
            requests.clone(),
        );
        let bytes_in = Family::<RegionLabel, Counter>::default();
        registry.register(
            "received_bytes",
            "Request body bytes received from clients, by the region they went to",
            bytes_in.clone(),
        );
        let bytes_out = Family::<RegionLabel, Counter>::default();
        registry.register(
            "sent_bytes",
            "Response body bytes sent to clients, by the region they came from",
            bytes_out.clone(),
        );
        let auth_failures = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "auth_failures",
            "Requests refused before forwarding: anonymous, unknown_key, signature, bucket, read_only, operation",
            auth_failures.clone(),
        );
        let rejected = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "rejected",
            "Requests or connections turned away with 503 SlowDown by a limit: max_requests, max_connections",
            rejected.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "in_flight_requests",
            "Requests being answered",
            in_flight.clone(),
        );
        let connections = Gauge::default();
        registry.register(
            "open_connections",
            "Client connections open",
            connections.clone(),
        );
        let duration = Histogram::new(exponential_buckets(0.001, 4.0, 10));
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to the last byte of its answer",
            duration.clone(),
        );
        registry.register_collector(Box::new(Routing(client.clone())));
        Arc::new(Self {
            registry,
            requests,
            bytes_in,
            bytes_out,
            auth_failures,
            rejected,
            in_flight,
            connections,
            duration,
        })
    }

    /// The text exposition (`text/plain; version=0.0.4` compatible OpenMetrics).
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The routed client's own counters, read at each scrape.
#[derive(Debug)]
struct Routing(MultiRegionClient);

impl Collector for Routing {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.0.stats();
        for (name, help, value) in [
            (
                "redirects",
                "Wrong-region answers followed to the bucket's region",
                stats.redirects,
            ),
            (
                "probes",
                "HeadBucket probes sent to learn a bucket's region",
                stats.probes,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        let lookups = [
            (("memory", "hit"), stats.cache_hits),
            (("memory", "miss"), stats.cache_misses),
            (("shared", "hit"), stats.shared_hits),
            (("shared", "miss"), stats.shared_misses),
        ];
        let mut family = encoder.encode_descriptor(
            "cache_lookups",
            "Bucket-region cache lookups, by tier and result",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for ((tier, result), value) in lookups {
            let labels = [("tier", tier), ("result", result)];
            let metric = family.encode_family(&labels)?;
            ConstCounter::new(value).encode(metric)?;
        }
        Ok(())
    }
}
