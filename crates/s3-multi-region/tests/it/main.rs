//! The routed client against the emulator: wrong-region scenarios by name, cold writes, the
//! s3:// filesystem, regional clients, reports and fuzzing — one test binary. The suites that
//! need Redis and moto are in `tests/services`; `production_path.rs` sets the process's
//! environment (`HTTPS_PROXY`, `AWS_CA_BUNDLE`) and so keeps a process of its own.

mod cold_writes;
#[path = "../common/mod.rs"]
mod common;
mod directory_buckets;
mod fs;
mod fs_ops;
mod fuzz;
mod regional_clients;
mod reports;
mod scenarios;
