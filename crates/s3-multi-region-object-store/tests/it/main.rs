//! The object_store adapter: object_store's own integration suite, and routing across regions
//! — one test binary.

mod common;
mod object_store_suite;
mod routing;
