//! An [`object_store`] store for S3 buckets in every region.
//!
//! object_store's own `AmazonS3` is pinned to one region when it is built, and a bucket elsewhere
//! fails ("Received redirect without LOCATION, this normally indicates an incorrectly configured
//! region"). [`MultiRegionStore`] sends every request through s3-multi-region's routing instead:
//! the bucket's region is learned from S3's first wrong-region answer (or a cache), and the
//! request is re-sent there; DataFusion, Polars and delta-rs users get buckets in every region
//! from one registration ([`MultiRegionRegistry`]).
//!
//! ```
//! # async fn run(client: s3_multi_region::MultiRegionClient) -> object_store::Result<()> {
//! use futures::TryStreamExt;
//! use object_store::ObjectStore;
//! use object_store::registry::ObjectStoreRegistry;
//! use s3_multi_region_object_store::MultiRegionRegistry;
//!
//! // Register once (DataFusion: `RuntimeEnv::object_store_registry`); every s3:// URL resolves.
//! let registry = MultiRegionRegistry::new(client);
//! let url = url::Url::parse("s3://sales-eu/tables/orders/").unwrap();
//! let (store, prefix) = registry.resolve(&url)?;
//! // What a query engine does with a Parquet table path: list it, then read byte ranges.
//! let files: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
//! for file in files.iter().filter(|f| f.location.as_ref().ends_with(".parquet")) {
//!     let footer = file.size.saturating_sub(8)..file.size;
//!     let magic = store.get_ranges(&file.location, &[footer]).await?;
//!     assert_eq!(&magic[0][4..], b"PAR1");
//! }
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod convert;
mod error;
mod light;
mod multipart;
mod registry;
mod store;

pub use registry::MultiRegionRegistry;
pub use store::MultiRegionStore;

// The store and registry are shared across tasks and threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<MultiRegionStore>();
    send_sync::<MultiRegionRegistry>();
};

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
