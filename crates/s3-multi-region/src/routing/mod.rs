//! The routing seam: one interceptor, one retry classifier and one endpoint resolver on a real
//! `aws_sdk_s3::Client` (docs/ARCHITECTURE.md §2). Nothing above this module special-cases regions.
//!
//! - [`interceptor::RoutingInterceptor`] picks each attempt's region (learned in this call >
//!   explicit override > cached > default), rewrites the endpoint params, and judges each answer.
//! - [`classifier::RedirectClassifier`] turns a tagged wrong-region answer into an immediate retry.
//! - [`resolver::RoutingResolver`] does the async part before an attempt (shared cache tier, probe)
//!   and applies the endpoint map.

pub(crate) mod classifier;
pub(crate) mod interceptor;
pub(crate) mod params;
pub(crate) mod resolver;
mod router;

pub use router::Stats;
pub(crate) use router::{Policy, Router};

use std::sync::Arc;

use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// How the resolver should find the region of an attempt the interceptor could not route from
/// memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Discovery {
    /// Ask the shared cache tier; if it has nothing and `probe_first`, probe before sending (a
    /// body must not go to a wrong region).
    Lookup { probe_first: bool },
    /// The last answer was a wrong-region answer that named no region: probe now.
    Probe,
}

/// One attempt's pending discovery, shared by the interceptor (which reads the outcome) and the
/// resolver (which runs it, exactly once, though it is called twice per attempt).
#[derive(Debug)]
pub(crate) struct RouteTicket {
    pub(crate) bucket: String,
    pub(crate) tried: String,
    pub(crate) discovery: Discovery,
    pub(crate) outcome: tokio::sync::OnceCell<Result<Option<String>, crate::Error>>,
    /// Held while this attempt leads the discovery of a cold bucket.
    pub(crate) flight: std::sync::Mutex<Option<router::FlightGuard>>,
}

impl RouteTicket {
    pub(crate) fn new(bucket: &str, tried: &str, discovery: Discovery) -> Arc<Self> {
        Arc::new(Self {
            bucket: bucket.to_owned(),
            tried: tried.to_owned(),
            discovery,
            outcome: tokio::sync::OnceCell::new(),
            flight: std::sync::Mutex::new(None),
        })
    }

    /// The region the resolver chose, once it ran.
    pub(crate) fn resolved_region(&self) -> Option<&str> {
        self.outcome
            .get()
            .and_then(|r| r.as_ref().ok())
            .and_then(|r| r.as_deref())
    }
}

/// The endpoint-params property carrying this attempt's ticket (`None`: nothing to discover).
#[derive(Debug, Clone)]
pub(crate) struct PendingRoute(pub(crate) Option<Arc<RouteTicket>>);

/// Marks a response the classifier must retry at once (a redirect or a probe to follow).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RedirectTag;

/// The region a caller asked for with [`crate::at_region`].
#[derive(Debug, Clone)]
pub(crate) struct ExplicitRegion(pub(crate) String);

impl Storable for ExplicitRegion {
    type Storer = StoreReplace<Self>;
}
