#!/usr/bin/env bash
# Installs what the tests need (boto3, moto[server], redis-server), starts the services they talk to, runs every
# test and the demo, and stops the services.
# Safe to run on a fresh machine (as root, or with sudo for apt) and again on a set-up one.
set -euo pipefail
cd "$(dirname "$0")/.."

# boto3 drives botocore's redirector against the emulator (cross-check test); moto's server is
# the second AWS service for the generic regional-client pool; redis-server the fleet cache.
source scripts/install-tools.sh

# A real redis-server for the shared-cache tests, on a non-default port, stopped on exit.
REDIS_PORT="${S3MR_TEST_REDIS_PORT:-6390}"
SERVICES_DIR="$(mktemp -d)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$SERVICES_DIR" --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
MOTO_PORT="${S3MR_TEST_MOTO_PORT:-5390}"
moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$SERVICES_DIR/moto.log" 2>&1 &
MOTO_PID=$!
stop_services() {
  kill "$MOTO_PID" 2>/dev/null || true
  if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$SERVICES_DIR"
}
trap stop_services EXIT
for _ in $(seq 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping >/dev/null
export S3MR_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $MOTO_PORT), 1)" 2>/dev/null && break
  sleep 0.1
done
export S3MR_TEST_MOTO_URL="http://127.0.0.1:$MOTO_PORT"

cargo test --workspace --locked "$@"
# The workspace turns the library's `mrap` feature on (the CLI enables it): the library alone,
# without it, for the test of the error a build without SigV4a gives.
cargo test --locked -p s3-multi-region --test it mrap "$@"

# The standards, enforced: lints (missing docs, no unsafe in shipped crates, clippy) on every
# target, and rustdoc without warnings (broken intra-doc links fail).
cargo clippy --workspace --all-targets --all-features --locked -q -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked -q
echo "lints and docs: ok"

# No two sibling modules of any crate import each other (a dependency rule the layout keeps).
python3 scripts/check-cycles.py

# The main job must keep working: the demo checks every request count it prints.
cargo run --locked -q -p s3mr -- demo > /dev/null
echo "demo: ok"
