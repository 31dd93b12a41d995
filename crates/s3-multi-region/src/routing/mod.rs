//! The routing seam: one interceptor, one retry classifier and one endpoint resolver on a real
//! `aws_sdk_s3::Client` (docs/ARCHITECTURE.md §2). Nothing above this module special-cases regions.
//!
//! - [`interceptor::RoutingInterceptor`] picks each attempt's region (learned in this call >
//!   explicit override > cached > default), rewrites the endpoint params, and judges each answer.
//! - [`classifier::RedirectClassifier`] turns a tagged wrong-region answer into an immediate retry.
//! - [`resolver::RoutingResolver`] does the async part before an attempt (shared cache tier, probe)
//!   and applies the endpoint map.

pub(crate) mod classifier;
mod decision;
pub(crate) mod interceptor;
pub(crate) mod params;
pub(crate) mod resolver;
mod route;
mod router;

pub(crate) use interceptor::is_special_bucket;
pub(crate) use route::{Discovery, ExplicitRegion, PendingRoute, RedirectTag, RouteTicket};
pub use router::Stats;
pub(crate) use router::{Policy, Router};
