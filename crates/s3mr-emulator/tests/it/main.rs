//! The emulator from outside: its binary, boto3 against it, hostile keys, and the wire — one
//! test binary, a module per suite.

mod binary;
mod boto3;
mod common;
mod hostile_keys;
mod scale;
mod wire;
