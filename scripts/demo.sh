#!/usr/bin/env bash
# The main job end to end on the embedded default: the bash-only `mini` scaffold driven by
# the `oracle` model through every template, in local Docker, into runs/demo.duckdb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
mkdir -p runs
"$SYNTH_BIN" run \
    --scaffold "$SYNTH_PLUGIN_DIR/mini.wasm" \
    --scorer "$SYNTH_PLUGIN_DIR/tests-pass.wasm" \
    --tasks templates \
    --model oracle \
    --db runs/demo.duckdb "$@"
"$SYNTH_BIN" query runs/demo.duckdb \
    "SELECT instance_id, scaffold, model, status, termination, reward, steps, wall_ms FROM v_episodes ORDER BY instance_id"
