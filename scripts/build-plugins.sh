#!/usr/bin/env bash
# Builds the Rust guest plugins as WebAssembly components and copies them to one folder.
#
#   scripts/build-plugins.sh [OUT_DIR]
#
# OUT_DIR defaults to $CARGO_TARGET_DIR/plugins (or target/plugins). Writes the scaffolds
# (mini.wasm, openhands.wasm, swe-agent.wasm), the scorer tests-pass.wasm, the example
# plan-act.wasm and the test plugins (future-contract.wasm, hostile.wasm) there and prints
# their paths. Uses the workspace's one dev profile, like every other build of the project.
# Needs the target: rustup target add wasm32-wasip2.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
out_dir="${1:-$target_dir/plugins}"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "build-plugins: installing the wasm32-wasip2 target" >&2
    rustup target add wasm32-wasip2
fi

cargo build --target wasm32-wasip2 -p synth-mini -p synth-openhands -p synth-swe-agent \
    -p synth-tests-pass -p synth-example-plan-act -p synth-test-future-contract -p synth-test-hostile

mkdir -p "$out_dir"
# cargo names the artifacts after the crates (synth_mini.wasm); the host loads stable names.
for pair in synth_mini:mini synth_openhands:openhands synth_swe_agent:swe-agent \
    synth_tests_pass:tests-pass synth_example_plan_act:plan-act \
    synth_test_future_contract:future-contract \
    synth_test_hostile:hostile; do
    crate="${pair%%:*}"
    name="${pair#*:}"
    src="$target_dir/wasm32-wasip2/debug/$crate.wasm"
    dest="$out_dir/$name.wasm"
    # A component starts with \0asm then version 0x0d 0x00 and layer 0x01 0x00; a core
    # module has version 0x01 0x00 0x00 0x00. wasm32-wasip2 links components directly.
    header="$(od -An -tx1 -N8 "$src" | tr -d ' \n')"
    if [ "$header" != "0061736d0d000100" ]; then
        echo "build-plugins: $src is not a WebAssembly component (header $header)" >&2
        exit 1
    fi
    cp "$src" "$dest.tmp"
    mv "$dest.tmp" "$dest"
    echo "$dest ($(stat -c %s "$dest") bytes)"
done
