#!/usr/bin/env bash
# Builds hello.wasm, a synth scaffold component, from app.py with componentize-py (PyPI).
# Usage: ./build.sh [OUTPUT]   (default: hello.wasm beside this script)
# Needs: pip install componentize-py==0.25.1
set -euo pipefail
cd "$(dirname "$0")"

wit="${WIT_DIR:-../../wit/v0.1.0}"
out="${1:-hello.wasm}"

if ! command -v componentize-py >/dev/null; then
    echo "componentize-py not found: pip install componentize-py==0.25.1" >&2
    exit 1
fi

# Bindings for editors and type checkers only (wit_world/, componentize_py_types.py):
# `componentize` generates its own copy, so they are written outside the module path.
rm -rf build/bindings
componentize-py -d "$wit" -w scaffold bindings build/bindings

start=$(date +%s%N)
componentize-py -d "$wit" -w scaffold componentize app -o "$out"
end=$(date +%s%N)

ms=$(( (end - start) / 1000000 ))
echo "$out: $(stat -c %s "$out") bytes, componentize took $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
