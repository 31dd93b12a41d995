#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md in one run (2 cores: ≈ 7 minutes with a built tree, plus
# the release build on a cold tree): the s3mr-bench scenarios (in-process emulator, raw aws-sdk-s3, botocore) and the
# criterion micro benchmarks and valgrind instruction counts. Prints one `name value unit` line
# per figure. `./scripts/bench.sh fs` runs scenario 6 alone, `objstore` scenario 8, `cli` scenario 9, `gateway` scenario 10,
# `scale` scenario 11, `profile` the per-request profiles of scenario 12.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-tools.sh

# s3mr itself too: scenario 9 runs the binary beside the aws CLI.
cargo build --release --locked -q -p s3mr-bench -p s3mr
# Every figure of the run is also kept as data, one file per run (UTC start time), beside the
# tables it feeds.
mkdir -p bench/results
# What measured, written into every results file with the figures: tool versions and the CPU.
describe_run() {
  echo "bench_tool_rustc $(rustc --version | tr ' ' '_') version"
  echo "bench_tool_awscli $(aws --version 2>&1 | awk '{print $1}' | cut -d/ -f2) version"
  echo "bench_tool_botocore $(python3 -c 'import botocore; print(botocore.__version__)') version"
  echo "bench_tool_object_store $(awk '/^name = "object_store"$/ { getline; gsub("\"", "", $3); print $3 }' Cargo.lock) version"
  echo "bench_cpu_model $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs | tr ' ' '_') cpu"
  echo "bench_cpu_cores $(nproc) cores"
}
# BENCHMARKS.md's charts (bench/charts/*.svg), rendered from every results file after each run.
trap './target/release/s3mr-bench charts >/dev/null' EXIT
if [ "${1:-}" = fs ]; then
  # Scenario 6 alone (the s3:// writer and reader against raw transfers, ≈ 1 minute).
  { describe_run; ./target/release/s3mr-bench fs; } | tee "bench/results/$(date -u +%F-%H%M)-fs.txt"
  exit
fi
if [ "${1:-}" = objstore ]; then
  # Scenario 8 alone (the object_store adapter against object_store's native store, ≈ 1 minute).
  { describe_run; ./target/release/s3mr-bench objstore; } | tee "bench/results/$(date -u +%F-%H%M)-objstore.txt"
  exit
fi
if [ "${1:-}" = cli ]; then
  # Scenario 9 alone (s3mr beside the aws CLI through TLS and a CONNECT proxy, ≈ 3 minutes).
  { describe_run; S3MR_BIN=target/release/s3mr ./target/release/s3mr-bench cli; } | tee "bench/results/$(date -u +%F-%H%M)-cli.txt"
  exit
fi
if [ "${1:-}" = scale ]; then
  # Scenario 11 alone (10 000, 100 000 and 1 000 000 seeded keys; the aws CLI up to 100 000;
  # ≈ 15 minutes and ~13 GB of small files at the peak). `scale 10000` for one size.
  shift
  { describe_run; S3MR_BIN=target/release/s3mr ./target/release/s3mr-bench scale "$@"; } | tee "bench/results/$(date -u +%F-%H%M)-scale.txt"
  exit
fi
if [ "${1:-}" = profile ]; then
  # Where a warm 4 KiB GET's client CPU goes, per client (raw SDK, routed, the object_store
  # adapter, object_store native): instructions (callgrind), CPU per GET and flame graphs (perf),
  # written to bench/profiles/ (≈ 15 minutes).
  { describe_run; ./scripts/instructions.sh && ./scripts/instructions.sh list && ./scripts/profile.sh; } | tee "bench/results/$(date -u +%F-%H%M)-profile.txt"
  exit
fi
if [ "${1:-}" = gateway ]; then
  # Scenario 10 alone (the gateway, `s3mr serve` in its own process, against the emulator straight).
  { describe_run; S3MR_BIN=target/release/s3mr ./target/release/s3mr-bench gateway; } | tee "bench/results/$(date -u +%F-%H%M)-gateway.txt"
  exit
fi
exec > >(tee "bench/results/$(date -u +%F-%H%M).txt")
describe_run
S3MR_BIN=target/release/s3mr ./target/release/s3mr-bench
S3MR_BIN=target/release/s3mr ./target/release/s3mr-bench gateway

# criterion, in its one-line "bencher" format, turned into `name value unit`.
cargo bench --locked -q -p s3-multi-region --bench micro -- --output-format bencher 2>/dev/null |
  awk '/^test .* bench:/ { gsub(",", "", $5); print "micro_" $2, $5, "ns" }'

# Client instructions per warm GET (valgrind), the noise-free view of scenario 1.
./scripts/instructions.sh
