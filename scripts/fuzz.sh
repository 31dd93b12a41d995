#!/usr/bin/env bash
# Property-based fuzzing of response classification, error-XML parsing, region validation,
# s3:// URL parsing and the key -> local path mapping of downloads
# (crates/s3-multi-region/tests/fuzz.rs), far beyond the 256 cases per property
# that `cargo test` runs. Bounded: CASES per property (default 1 000 000) and at most LIMIT seconds
# (default 600) in all. Failures are saved under proptest-regressions/ and replayed first next
# time; commit them and add a named regression test next to the code that was wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES="${CASES:-1000000}"
LIMIT="${LIMIT:-600}"
cargo build --release --locked -q -p s3-multi-region --test fuzz
PROPTEST_CASES="$CASES" timeout "$LIMIT" \
  cargo test --release --locked -q -p s3-multi-region --test fuzz -- --test-threads=4
echo "fuzz: $CASES cases per property, no failure"
