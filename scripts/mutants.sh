#!/usr/bin/env bash
# Mutation testing of the routing core's pure parts (cargo-mutants): every mutant of these files
# must be caught by the library's unit tests (no outside service). Not run by CI: about 21 s per
# mutant on 2 cores (an incremental build of the library's test binary), 304 mutants for the
# files below ≈ 1 h 45 min. RELIABILITY.md records each run's table.
#
#   ./scripts/mutants.sh                 # the files below
#   ./scripts/mutants.sh -f <file>       # more files (cargo-mutants' own options pass through)
#
# Results land in mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
src=crates/s3-multi-region/src
# --in-place: mutate this tree and reuse its target directory (a copy would rebuild the whole
# aws-sdk-s3 from scratch); cargo-mutants restores each file after its mutant.
exec cargo mutants --in-place --no-shuffle -p s3-multi-region --all-features \
  -f "$src/redirect.rs" -f "$src/region.rs" -f "$src/routing/decision.rs" \
  -f "$src/routing/params.rs" -f "$src/cache/memory.rs" -f "$src/cache/file.rs" \
  -f "$src/fs/url.rs" \
  --cargo-test-arg=--lib --timeout 90 "$@"
