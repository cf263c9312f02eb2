#!/usr/bin/env bash
# Builds the toolchain images that templates name in `environment.image`, each FROM the offline
# base image synth-base:bookworm with Debian packages only (apt-get inside the build; no container
# registry, no language package registry):
#
#   synth-c:bookworm       gcc, make, libc6-dev           (C templates built with make)
#   synth-go:bookworm      golang-go                      (Go templates; modules vendored/offline)
#   synth-node:bookworm    nodejs                         (Node.js templates; no npm registry)
#   synth-sqlite:bookworm  sqlite3                        (SQL templates run through the sqlite3 CLI)
#
# Usage: scripts/toolchain-images.sh [--force] [NAME...]
#   NAME      c, go, node or sqlite (default: all of them)
#   --force   rebuild even if the image already exists
#
# Idempotent: an image that already exists is skipped (unless --force). Needs the base image
# (scripts/base-image.sh) and a Debian mirror reachable at build time. Prints each build's time
# and the image's size.
set -euo pipefail

BASE="synth-base:bookworm"
FORCE=0
NAMES=()

log() { printf 'toolchain-images: %s\n' "$*" >&2; }
die() { printf 'toolchain-images: error: %s\n' "$*" >&2; exit 1; }

# name -> Debian packages (besides what the base image has).
packages() {
    case "$1" in
        c) echo "gcc make libc6-dev" ;;
        go) echo "golang-go" ;;
        node) echo "nodejs" ;;
        sqlite) echo "sqlite3" ;;
        *) return 1 ;;
    esac
}

while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) packages "$1" >/dev/null || die "unknown toolchain: $1 (expected c, go, node or sqlite)"
           NAMES+=("$1") ;;
    esac
    shift
done
[ "${#NAMES[@]}" -gt 0 ] || NAMES=(c go node sqlite)

command -v docker >/dev/null 2>&1 || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker engine unreachable (socket ${DOCKER_HOST:-/var/run/docker.sock})"
docker image inspect "$BASE" >/dev/null 2>&1 || die "base image $BASE missing: run scripts/base-image.sh first"

for name in "${NAMES[@]}"; do
    tag="synth-$name:bookworm"
    if [ "$FORCE" -eq 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
        log "image $tag already exists; use --force to rebuild"
        continue
    fi
    pkgs="$(packages "$name")"
    start=$(date +%s)
    log "building $tag ($pkgs)"
    out="$(mktemp)"
    # No build context: the Dockerfile comes on stdin.
    if ! docker build --quiet --label "synth.toolchain=$name" -t "$tag" - >"$out" 2>&1 <<DOCKERFILE
FROM $BASE
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \\
      /usr/share/doc/* /usr/share/man/* /usr/share/info/*
DOCKERFILE
    then
        tail -n 30 "$out" >&2
        rm -f "$out"
        die "building $tag failed (output above)"
    fi
    rm -f "$out"
    size="$(docker image inspect -f '{{.Size}}' "$tag")"
    log "built $tag ($((size / 1000000)) MB) in $(( $(date +%s) - start )) s"
done
