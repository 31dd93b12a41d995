#!/usr/bin/env bash
# Installs what the tests need, starts the services they talk to, runs every test, stops them.
# Safe to run on a fresh machine (as root, or with sudo for apt) and again on a set-up one.
set -euo pipefail
cd "$(dirname "$0")/.."


# boto3 drives botocore's redirector against the emulator (cross-check test).
if ! python3 -c 'import boto3' 2>/dev/null; then
  python3 -m pip install --quiet boto3
fi

cargo test --workspace --locked "$@"

# The main job must keep working: the demo checks every request count it prints.
cargo run --locked -q -p s3mr -- demo > /dev/null
echo "demo: ok"
