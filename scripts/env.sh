# Shared settings for the scripts (sourced, not run).
# A persistent target folder outside the clone: DuckDB's C++ is compiled once per machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/synth-target}"
# Where the built plugin components are copied.
export SYNTH_PLUGIN_DIR="${SYNTH_PLUGIN_DIR:-$CARGO_TARGET_DIR/plugins}"
export SYNTH_BIN="$CARGO_TARGET_DIR/debug/synth"
