//! What one attempt carries between the interceptor, the resolver and the router (a leaf: it
//! uses none of them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use aws_smithy_types::config_bag::{Storable, StoreReplace};

use crate::region::ValidRegion;

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
    pub(crate) outcome: tokio::sync::OnceCell<Result<Option<ValidRegion>, crate::Error>>,
    /// Held while this attempt leads the discovery of a cold bucket.
    pub(crate) flight: std::sync::Mutex<Option<FlightGuard>>,
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
    pub(crate) fn resolved_region(&self) -> Option<&ValidRegion> {
        self.outcome
            .get()
            .and_then(|r| r.as_ref().ok())
            .and_then(Option::as_ref)
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

/// The discoveries in flight, by bucket: the pioneer's channel, which waiters subscribe to.
pub(crate) type Flights = Arc<Mutex<HashMap<String, Arc<watch::Sender<Option<ValidRegion>>>>>>;

/// Held by the first caller on a cold bucket (the pioneer). Dropping it without a region (the call
/// failed or ended) releases the waiters to proceed on their own.
#[derive(Debug)]
pub(crate) struct FlightGuard {
    pub(crate) flights: Flights,
    pub(crate) bucket: String,
    pub(crate) sender: Arc<watch::Sender<Option<ValidRegion>>>,
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        let mut flights = crate::lock(&self.flights);
        if flights
            .get(&self.bucket)
            .is_some_and(|s| Arc::ptr_eq(s, &self.sender))
        {
            flights.remove(&self.bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flight(flights: &Flights, bucket: &str) -> FlightGuard {
        let sender = Arc::new(watch::channel(None).0);
        crate::lock(flights).insert(bucket.to_owned(), sender.clone());
        FlightGuard {
            flights: flights.clone(),
            bucket: bucket.to_owned(),
            sender,
        }
    }

    /// A pioneer that ends without a region takes its flight with it: the next caller on the
    /// bucket leads a discovery of its own at once instead of waiting `FLIGHT_WAIT` for nobody.
    #[test]
    fn a_pioneer_that_ends_without_a_region_leaves_no_flight_behind() {
        let flights = Flights::default();
        let guard = flight(&flights, "b");
        let mut waiter = guard.sender.subscribe();
        drop(guard);
        assert!(crate::lock(&flights).is_empty());
        // The waiter already subscribed is released with no region (the channel closed).
        assert!(waiter.has_changed().is_err());
        assert_eq!(*waiter.borrow_and_update(), None);
    }

    /// An old guard never removes the flight of a later pioneer of the same bucket.
    #[test]
    fn an_old_guard_leaves_a_newer_flight_alone() {
        let flights = Flights::default();
        let old = flight(&flights, "b");
        let newer = flight(&flights, "b");
        drop(old);
        assert!(
            crate::lock(&flights)
                .get("b")
                .is_some_and(|s| Arc::ptr_eq(s, &newer.sender))
        );
        drop(newer);
        assert!(crate::lock(&flights).is_empty());
    }
}
