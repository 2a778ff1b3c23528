#!/usr/bin/env bash
# bench.sh [simulator bench flags]: the benchmark table on this machine.
# Builds minitwit (go build ./app, no race detector, the commit stamped) and
# the simulator into a temporary directory, then runs
# `simulator bench --start-server minitwit`: the sequential course replay on
# a fresh database, then mixed traffic and GET /msgs?no=100 on a database
# `minitwit seed` loaded, cached in ~/.cache/minitwit-bench under a hash of
# the SQLite migrations (a schema change reseeds). Extra flags go to
# `simulator bench` (see its --help), e.g. a quick run:
#
#   scripts/bench.sh --duration 10s --messages 100000 --read-duration 5s
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
pkg=github.com/minitwit-cd/kit/internal/buildinfo
ldflags="-X $pkg.Version=bench -X $pkg.Commit=$commit -X $pkg.Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "building minitwit and the simulator (no -race)" >&2
go build -ldflags "$ldflags" -o "$bin/minitwit" ./app
go build -ldflags "$ldflags" -o "$bin/simulator" ./simulator

key=$(cat app/sqlite/migrations/* | sha256sum | cut -c1-12)
exec "$bin/simulator" bench --start-server "$bin/minitwit" --cache-key "$key" "$@"
