#!/usr/bin/env bash
# Builds the offline base image `synth-base:bookworm` without any container registry:
# debootstrap (variant minbase) of Debian bookworm into a temporary folder, from the Debian
# mirror this machine's apt already uses, then `docker import` of that folder.
#
# Usage: scripts/base-image.sh [--force] [--tag NAME:TAG]
#   --force   rebuild even if the image already exists
#   --tag     image name (default synth-base:bookworm)
# Environment:
#   SYNTH_DEBIAN_MIRROR   mirror URL (default: first Debian URI in /etc/apt, else deb.debian.org)
#
# Idempotent: exits at once when the image exists (unless --force). Needs root (debootstrap).
set -euo pipefail

TAG="synth-base:bookworm"
FORCE=0
SUITE="bookworm"
PACKAGES="bash,coreutils,findutils,grep,sed,git,python3,python3-pytest,python3-flake8,procps,ca-certificates,tar,gzip,bzip2,xz-utils,diffutils,patch,less,util-linux,passwd,make"

log() { printf 'base-image: %s\n' "$*" >&2; }
die() { printf 'base-image: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --force) FORCE=1 ;;
        --tag) shift; [ $# -gt 0 ] || die "--tag needs a value"; TAG="$1" ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

command -v docker >/dev/null 2>&1 || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker engine unreachable (socket ${DOCKER_HOST:-/var/run/docker.sock})"

if [ "$FORCE" -eq 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    log "image $TAG already exists ($(docker image inspect -f '{{.Id}}' "$TAG")); use --force to rebuild"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "debootstrap needs root and sudo is not available"
    SUDO="sudo"
fi

if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
    log "installing debootstrap with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
fi
DEBOOTSTRAP="$(command -v debootstrap || echo /usr/sbin/debootstrap)"

# The mirror: explicit override, else the first Debian (non-security) URI apt is configured with.
mirror="${SYNTH_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' \
        | grep -E '/debian/?$' | head -n 1 || true)"
fi
if [ -z "$mirror" ]; then
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\/\{0,1\}\)[[:space:]].*/\2/p' \
        | head -n 1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

keyring_args=()
if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    keyring_args=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
fi

workdir="$(mktemp -d "${TMPDIR:-/var/tmp}/synth-base.XXXXXX")"
rootfs="$workdir/rootfs"
cleanup() {
    # debootstrap mounts /proc and /sys inside the target; a failed run can leave them mounted.
    if command -v findmnt >/dev/null 2>&1; then
        { findmnt -rn -o TARGET | grep -F "$rootfs" | sort -r || true; } | while read -r m; do
            $SUDO umount -l "$m" 2>/dev/null || true
        done
    fi
    $SUDO rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT

start=$(date +%s)
log "debootstrap $SUITE (minbase) from $mirror into $rootfs"
if ! $SUDO "$DEBOOTSTRAP" --variant=minbase --include="$PACKAGES" "${keyring_args[@]}" \
        "$SUITE" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
    tail -n 30 "$workdir/debootstrap.log" >&2 || true
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (log above)"
fi

log "stripping apt caches, docs and man pages"
$SUDO rm -rf \
    "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/lintian/* \
    "$rootfs"/var/log/*.log \
    "$rootfs"/var/log/apt/* \
    "$rootfs"/debootstrap
# Docker supplies /dev, /proc, /sys, hostname and resolv.conf at run time.
$SUDO find "$rootfs/dev" -mindepth 1 -delete 2>/dev/null || true
printf 'deb %s %s main\n' "$mirror" "$SUITE" | $SUDO tee "$rootfs/etc/apt/sources.list" >/dev/null

log "importing into docker as $TAG"
id="$($SUDO tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    --message "synth base image: debootstrap minbase $SUITE from $mirror" \
    - "$TAG")"

size="$(docker image inspect -f '{{.Size}}' "$TAG")"
log "built $TAG ($id, $((size / 1000000)) MB) in $(( $(date +%s) - start )) s"
