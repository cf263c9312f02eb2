#!/usr/bin/env bash
# The test suite: unit tests of the host and the plugins, and the end-to-end tests that run
# the real binary against real Docker, real DuckDB files and real components.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
echo "==> Python tools for the tests (the analysts' DuckDB CLI, componentize-py)"
python3 -m pip install --quiet --disable-pip-version-check "duckdb-cli==1.5.6" \
    "componentize-py==0.25.1" "pytest>=7"
echo "==> the Python example scaffold (componentize-py) and its own tests"
bash examples/python-agent/build.sh "$SYNTH_PLUGIN_DIR/python-agent.wasm"
python3 -m pytest -q examples/python-agent
echo "==> tests"
cargo test --workspace -- --test-threads 2
