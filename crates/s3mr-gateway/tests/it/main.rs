//! The gateway against a three-region emulator: clients no one here wrote (`clients.py`), the
//! production layer (limits, metrics, drain), refusals and routing — one test binary, a module
//! per suite.

mod clients;
mod common;
mod production;
mod refusals;
mod routing;
