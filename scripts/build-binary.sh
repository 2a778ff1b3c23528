#!/usr/bin/env bash
# build-binary.sh OUT: builds the static `minitwit` binary (the one the
# container image ships) at OUT. Static because the image is FROM scratch:
# no libc, no loader, so cgo (SQLite) must be linked in with -static, and
# netgo/osusergo keep the Go runtime from wanting glibc's NSS at run time.
#
# Environment: VERSION (default: git describe, else "dev"), COMMIT (default:
# git rev-parse HEAD), DATE (default: now, UTC, RFC 3339).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUT" >&2
  exit 2
fi
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

: "${COMMIT:=$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
: "${VERSION:=$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
: "${DATE:=$(date -u +%Y-%m-%dT%H:%M:%SZ)}"

pkg=github.com/minitwit-cd/kit/internal/buildinfo
ldflags="-s -w -linkmode external -extldflags \"-static\""
ldflags="$ldflags -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT -X $pkg.Date=$DATE"

CGO_ENABLED=1 go build -trimpath \
  -tags 'netgo osusergo sqlite_omit_load_extension' \
  -ldflags "$ldflags" \
  -o "$out" ./app
