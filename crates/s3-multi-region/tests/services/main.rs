//! The suites backed by services (a real `redis-server`, moto for DynamoDB): shared caches
//! across processes, hardening and load — one test binary, built with the features they need
//! (`required-features` in Cargo.toml).

#[path = "../common/mod.rs"]
mod common;
mod hardening;
mod load;
mod shared_caches;
