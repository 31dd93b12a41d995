#!/usr/bin/env bash
# Installs what tests and benchmarks need when missing: boto3 (botocore's redirector, the
# cross-check), awscli (the CLI benchmark), moto[server,dynamodb] (a second AWS service and the DynamoDB tier), redis-server (the fleet cache), curl (a
# second client fetching presigned URLs through the emulator's CONNECT proxy), and the gateway's
# clients: DuckDB with httpfs, pyarrow, polars, s3fs (PyPI), rclone and s3cmd (Debian).
# Sourced by scripts/test.sh and scripts/bench.sh; safe to run again on a set-up machine.
if ! python3 -c 'import boto3' 2>/dev/null; then
  python3 -m pip install --quiet boto3
fi
# The aws CLI: scenario 9 of the benchmarks runs `aws s3` beside `s3mr` (scripts/bench.sh).
if ! python3 -c 'import awscli' 2>/dev/null; then
  python3 -m pip install --quiet awscli
fi
# The DynamoDB extra brings moto's expression parser (conditional writes of the DynamoDB tier).
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import flask, flask_cors, py_partiql_parser, docker' 2>/dev/null; then
  python3 -m pip install --quiet 'moto[server,dynamodb]'
fi
# The gateway's judges (crates/s3mr-gateway/tests/clients.py): S3 clients no one here wrote.
# DuckDB's httpfs comes as a wheel, loaded offline; its version must match DuckDB's exactly.
if ! python3 -c 'import duckdb, duckdb_extensions, pyarrow, polars, s3fs' 2>/dev/null; then
  python3 -m pip install --quiet duckdb==1.5.5 duckdb-extensions==1.5.5 duckdb-extension-httpfs==1.5.5 \
    pyarrow polars s3fs
fi
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
command -v s3cmd >/dev/null 2>&1 || missing+=(s3cmd)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}" >/dev/null; fi
fi
