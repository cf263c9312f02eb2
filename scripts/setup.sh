#!/usr/bin/env bash
# Installs what synth needs on a fresh machine and builds it: the wasm32-wasip2 target, the
# offline base image, the plugin components and the host binary. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    echo "==> adding the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
fi
if ! docker info >/dev/null 2>&1; then
    echo "error: no Docker engine reachable at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start it and re-run" >&2
    exit 1
fi
# Cargo gives a workspace crate the same artifact names in every clone, and judges freshness
# by file times: after a build from another clone, an older tree here could pass for built.
# When the source folder changed since the last build, forget the workspace crates' state.
marker="$CARGO_TARGET_DIR/.synth-source-root"
if [ -f "$marker" ] && [ "$(cat "$marker")" != "$PWD" ]; then
    rm -rf "$CARGO_TARGET_DIR"/debug/.fingerprint/synth-* \
        "$CARGO_TARGET_DIR"/wasm32-wasip2/debug/.fingerprint/synth-*
fi
mkdir -p "$CARGO_TARGET_DIR"
echo "$PWD" > "$marker"
echo "==> base image"
bash scripts/base-image.sh
bash scripts/toolchain-images.sh
echo "==> plugins"
bash scripts/build-plugins.sh "$SYNTH_PLUGIN_DIR"
echo "==> host"
# `cargo test --no-run` builds the binary too. Building it through the test command keeps a
# single build of DuckDB's C++: dev-dependencies change feature unification, so a plain
# `cargo build` would compile a second copy.
cargo test --workspace --no-run
