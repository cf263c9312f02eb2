#!/usr/bin/env bash
# Formatting and lints, as every change must pass them: `cargo fmt --check` and
# `cargo clippy --all-targets -D warnings` over the whole workspace.
# Clippy checks in its own build folder: it would otherwise compile a second copy of DuckDB's
# C++ into the shared one and hold its lock (about 20 minutes, once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
export CARGO_TARGET_DIR="${SYNTH_LINT_TARGET_DIR:-$HOME/.cache/synth-lint-target}"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
