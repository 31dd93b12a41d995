#!/usr/bin/env bash
# Client instructions per warm 4 KiB GET, counted by valgrind's callgrind (deterministic, unlike
# timings on a shared machine): raw aws-sdk-s3, the multi-region client, the object_store
# adapter over it, and object_store's native AmazonS3. Each client runs 100 and 600 GETs; the
# difference / 500 is its cost per GET. About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq valgrind >/dev/null; fi
fi
cargo build --release --locked -q -p s3mr-bench
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count() { # client N -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2" \
    ./target/release/s3mr-bench instructions "$1" "$2" >/dev/null 2>"$out/log.$1.$2"
  grep -E '^(summary|totals):' "$out/cg.$1.$2" | head -1 | awk '{print $2}'
}
if [ "${1:-}" = list ]; then
  # Listing a 1 000-key prefix (one ListObjectsV2 page): the adapter against native, per list.
  declare -A per_list
  for client in adapter-list native-list; do
    low="$(count "$client" 5)"; high="$(count "$client" 25)"
    per_list[$client]=$(( (high - low) / 20 ))
    echo "instructions_per_list_1000_${client%-list} ${per_list[$client]} instructions"
  done
  awk -v a="${per_list[adapter-list]}" -v n="${per_list[native-list]}" \
    'BEGIN { printf "instructions_per_list_1000_adapter_over_native %.4f native/adapter\n", n / a }'
  # Where the adapter's listing goes: inclusive counts over the 27 listings of the larger run.
  callgrind_annotate --inclusive=yes --threshold=100 "$out/cg.adapter-list.25" 2>/dev/null >"$out/annotated"
  for stage in "ListObjectsV2ResponseDeserializer as:sdk_deserializer" \
               "s3_multi_region_object_store::store::list_result:adapter_conversion"; do
    awk -v pat="${stage%%:*}" -v label="${stage##*:}" 'index($0, pat) { n = $1; gsub(",", "", n);
      printf "instructions_per_list_1000_adapter_%s %d instructions\n", label, n / 27; exit }' "$out/annotated"
  done
  exit
fi
declare -A per_get
for client in raw multi adapter native; do
  low="$(count "$client" 100)"; high="$(count "$client" 600)"
  per_get[$client]=$(( (high - low) / 500 ))
  echo "instructions_per_get_$client ${per_get[$client]} instructions"
done
awk -v r="${per_get[raw]}" -v m="${per_get[multi]}" -v a="${per_get[adapter]}" -v n="${per_get[native]}" \
  'BEGIN { printf "instructions_per_get_ratio %.4f raw/multi\n", r / m;
           printf "instructions_per_get_added %d instructions\n", m - r;
           printf "instructions_per_get_adapter_over_native %.4f native/adapter\n", n / a }'
