#!/usr/bin/env bash
# Mutation testing of the routing core (cargo-mutants): every mutant must be caught, or be listed
# with its reason in RELIABILITY.md. Not run by CI (≈ 20 s a mutant for the pure files, ≈ 30 s
# for the rest of routing/, on 2 cores). RELIABILITY.md records each run's table.
#
#   ./scripts/mutants.sh                 # the pure files, against the library's unit tests
#   ./scripts/mutants.sh routing         # interceptor, router, resolver, classifier, route:
#                                        #   unit tests, the emulator scenarios (in-process
#                                        #   emulator, and in its TLS + proxy mode for the
#                                        #   production path), the hardening and shared-cache
#                                        #   tests, which need the redis-server and moto that
#                                        #   scripts/test.sh starts
#                                        #   (S3MR_TEST_REDIS_URL, S3MR_TEST_MOTO_URL)
#   ./scripts/mutants.sh [routing] -f <file> --iterate ...   # cargo-mutants' options pass through
#
# Results land in mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
src=crates/s3-multi-region/src
# --in-place: mutate this tree and reuse its target directory (a copy would rebuild the whole
# aws-sdk-s3 from scratch); cargo-mutants restores each file after its mutant.
common=(--in-place --no-shuffle -p s3-multi-region --all-features --timeout 120)
if [ "${1:-}" = routing ]; then
  shift
  exec cargo mutants "${common[@]}" \
    -f "$src/routing/interceptor.rs" -f "$src/routing/router.rs" -f "$src/routing/resolver.rs" \
    -f "$src/routing/classifier.rs" -f "$src/routing/route.rs" \
    --cargo-test-arg=--lib --cargo-test-arg=--test=scenarios --cargo-test-arg=--test=shared_caches \
    --cargo-test-arg=--test=production_path --cargo-test-arg=--test=hardening \
    "$@"
fi
exec cargo mutants "${common[@]}" \
  -f "$src/redirect.rs" -f "$src/region.rs" -f "$src/routing/decision.rs" \
  -f "$src/routing/params.rs" -f "$src/cache/memory.rs" -f "$src/cache/file.rs" \
  -f "$src/fs/url.rs" \
  --cargo-test-arg=--lib "$@"
