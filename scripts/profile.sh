#!/usr/bin/env bash
# Where a warm 4 KiB GET spends the client's CPU, per client: raw aws-sdk-s3, the multi-region
# client, the object_store adapter over it, and object_store's native AmazonS3 (see
# crates/s3mr-bench/src/instructions.rs). For each: callgrind's inclusive instruction counts
# by function (bench/profiles/callgrind-<client>.txt, the top of `callgrind_annotate`) and a
# flame graph of perf's samples (bench/profiles/flame-<client>.svg, rendered by inferno from
# `perf script`; the emulator runs in a child process and is left out), and `name value unit`
# figures: CPU per GET from perf's samples, instructions per GET of the pipeline's main stages
# from callgrind. About 10 minutes on 2 cores with a built tree.
set -euo pipefail
cd "$(dirname "$0")/.."
install_debian() {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; fi
}
command -v valgrind >/dev/null 2>&1 || install_debian valgrind
command -v perf >/dev/null 2>&1 || install_debian linux-perf
# inferno (flame graphs from perf's stacks), built once into the target directory.
tools="$PWD/target/tools"
inferno_version=0.12.8
if [ ! -x "$tools/bin/inferno-flamegraph" ]; then
  cargo install --locked -q --root "$tools" inferno --version "$inferno_version"
fi
cargo build --release --locked -q -p s3mr-bench
mkdir -p bench/profiles
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bench=./target/release/s3mr-bench
# What measured: the tools and the machine, written with the figures.
echo "profile_tool_rustc $(rustc --version | tr ' ' '_') version"
echo "profile_tool_valgrind $(valgrind --version) version"
echo "profile_tool_perf $(perf --version | awk '{print $3}') version"
echo "profile_tool_inferno $inferno_version version"
echo "profile_cpu_model $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs | tr ' ' '_') cpu"
echo "profile_cpu_sha_extensions $(grep -c -w sha_ni /proc/cpuinfo) cores (valgrind hides them: SHA-256 runs its software path there)"
for client in raw multi adapter native; do
  # Instructions by function, inclusive (600 GETs after 20 warm-up ones).
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$client" \
    "$bench" instructions "$client" 600 >/dev/null 2>"$out/cg.$client.log"
  callgrind_annotate --inclusive=yes --threshold=100 "$out/cg.$client" 2>/dev/null |
    sed "s#$PWD/##g; s#$HOME/.cargo/registry/src/[^/]*/##g" >"$out/annotated.$client"
  awk "NR <= 90" "$out/annotated.$client" >"bench/profiles/callgrind-$client.txt"
  # Inclusive instructions of one function (first match) per GET (620 in the run, setup in).
  per_get() { # label pattern
    awk -v label="$1" -v pat="$2" -v client="$client" '
      index($0, pat) { n = $1; gsub(",", "", n);
        printf "profile_instructions_%s_%s %d instructions/GET\n", label, client, n / 620; exit }' \
      "$out/annotated.$client"
  }
  per_get sign_request "orchestrator::auth::sign_request"
  per_get signing_key "aws_sigv4::sign::v4::generate_signing_key"
  per_get sha256 "sha2::sha256::compress256"
  per_get apply_configuration "orchestrator::apply_configuration"
  per_get deserialize "GetObjectResponseDeserializer as"
  per_get malloc "malloc.c:malloc "
  per_get routing_before_attempt "RoutingInterceptor as aws_smithy_runtime_api::client::interceptors::Intercept>::read_before_attempt"
  per_get routing_resolver "RoutingResolver as aws_smithy_runtime_api::client::endpoint::ResolveEndpoint>::resolve_endpoint"
  per_get routing_params_copy "routing::params::with_region"
  per_get routing_copy_check "routing::params::check_copy"
  per_get routing_after_attempt "RoutingInterceptor as aws_smithy_runtime_api::client::interceptors::Intercept>::modify_before_attempt_completion"
  # The SDK's per-interceptor bookkeeping: whether each interceptor is enabled, per hook.
  per_get interceptor_enabled_checks "ConditionallyEnabledInterceptor::if_enabled"
  per_get light_path_send "s3_multi_region::light::LightPath::send"
  per_get native_authorize "AwsAuthorizer::try_authorize"
  per_get native_request "S3Client as object_store::client::get::GetClient>::get_request"
  # Samples with call stacks (DWARF unwinding: the release build keeps no frame pointers).
  perf record -q -F 2999 --call-graph dwarf,16384 -o "$out/perf.$client" \
    "$bench" instructions "$client" 3000 >"$out/pid.$client" 2>/dev/null
  pid="$(sed -n 's/^pid //p' "$out/pid.$client")"
  perf script -i "$out/perf.$client" --pid "$pid" 2>/dev/null |
    "$tools/bin/inferno-collapse-perf" |
    "$tools/bin/inferno-flamegraph" --title "warm 4 KiB GET, client $client (3 020 GETs)" \
    >"bench/profiles/flame-$client.svg"
  # perf's cpu-clock samples weigh nanoseconds on the CPU: the client process's CPU per GET.
  grep -o '<title>all ([0-9,]* samples' "bench/profiles/flame-$client.svg" | tr -dc '0-9' |
    awk -v client="$client" '{ printf "profile_cpu_per_get_%s %.1f us\n", client, $1 / 3020 / 1000 }'
  echo "profile_files_$client bench/profiles/flame-$client.svg bench/profiles/callgrind-$client.txt"
done
