#!/usr/bin/env bash
# Builds python-agent.wasm, a synth scaffold component, from app.py and logic.py with
# componentize-py (PyPI), then checks that the result is a component.
# Usage: ./build.sh [OUTPUT]   (default: python-agent.wasm beside this script)
# Needs: pip install componentize-py==0.25.1
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

wit="${WIT_DIR:-$here/../../wit/v0.1.0}"
out="${1:-$here/python-agent.wasm}"
# A relative OUTPUT is taken relative to where the script was called from.
case "$out" in
    /*) ;;
    *) out="$PWD/$out" ;;
esac
cd "$here"

if ! command -v componentize-py >/dev/null; then
    echo "componentize-py not found: pip install componentize-py==0.25.1" >&2
    exit 1
fi

# Bindings for editors and type checkers only (wit_world/, componentize_py_types.py):
# `componentize` generates its own copy, so they are written outside the module path.
rm -rf build/bindings
componentize-py -d "$wit" -w scaffold bindings build/bindings

mkdir -p "$(dirname "$out")"
start=$(date +%s%N)
componentize-py -d "$wit" -w scaffold componentize app -o "$out"
end=$(date +%s%N)

# A component starts with \0asm, version 0x0d 0x00, layer 0x01 0x00 (a core module: 01 00 00 00).
header="$(od -An -tx1 -N8 "$out" | tr -d ' \n')"
if [ "$header" != "0061736d0d000100" ]; then
    echo "build.sh: $out is not a WebAssembly component (header $header)" >&2
    exit 1
fi

ms=$(( (end - start) / 1000000 ))
echo "$out: $(stat -c %s "$out") bytes, componentize took $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
