#!/usr/bin/env bash
# build-image.sh [TAG]: builds the MiniTwit container image (default tag
# minitwit:latest) from app/Dockerfile around the static binary that
# build-binary.sh produces. The image is FROM scratch, so nothing is pulled:
# it builds on a machine without any registry.
#
# Environment: VERSION, COMMIT, DATE (see build-binary.sh; they also become
# the image's OCI labels), SOURCE (org.opencontainers.image.source), and
# MINITWIT_BINARY: a static binary built already by build-binary.sh (with
# the same VERSION/COMMIT/DATE) to package instead of building one.
set -euo pipefail
tag=${1:-minitwit:latest}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export COMMIT="${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
export VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
export DATE="${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
: "${SOURCE:=https://github.com/minitwit-cd/kit}"

if ! command -v docker >/dev/null; then
  echo "build-image.sh: docker is not installed (or not on PATH)" >&2
  exit 1
fi
if [ -n "${MINITWIT_BINARY:-}" ] && [ ! -f "$MINITWIT_BINARY" ]; then
  echo "build-image.sh: MINITWIT_BINARY=$MINITWIT_BINARY: no such file" >&2
  exit 1
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

if [ -n "${MINITWIT_BINARY:-}" ]; then
  cp "$MINITWIT_BINARY" "$ctx/minitwit"
else
  scripts/build-binary.sh "$ctx/minitwit"
fi
# Empty directories that the image gives to the non-root user: the volume
# for the database and a temp dir for SQLite's spill files.
mkdir -p "$ctx/data" "$ctx/tmp"
cp app/Dockerfile "$ctx/Dockerfile"

docker build --quiet \
  --build-arg VERSION="$VERSION" \
  --build-arg COMMIT="$COMMIT" \
  --build-arg CREATED="$DATE" \
  --build-arg SOURCE="$SOURCE" \
  -t "$tag" "$ctx" >/dev/null
echo "$tag"
