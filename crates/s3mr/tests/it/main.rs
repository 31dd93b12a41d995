//! The `s3mr` binary end to end against the emulator (and Redis and moto where a suite needs
//! them): one test binary for the crate, a module per suite.

mod beside_aws;
mod cache_init;
mod cli;
mod common;
mod first_hour;
mod hostile_input;
mod parity;
mod production_path;
mod scale;
mod serve;
mod serve_production;
mod transfers_safe;
