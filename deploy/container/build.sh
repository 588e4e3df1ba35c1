#!/usr/bin/env bash
# Builds the container image of the reference daemon with podman (or
# CONTAINER_TOOL, e.g. docker): the static binary for linux/GOARCH (default amd64)
# from this checkout, or the one given by -b, and the host's CA bundle.
#
#   deploy/container/build.sh [-t TAG] [-b BINARY] [-- extra build flags]
set -euo pipefail
tag=localhost/kaspersky-tigerpawd:latest
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    -t) tag=$2; shift 2 ;;
    -b) bin=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
tool=${CONTAINER_TOOL:-podman}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$ca" ] || { echo "build.sh: no CA bundle at $ca (install ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
if [ -n "$bin" ]; then
  cp "$bin" "$ctx/kaspersky-tigerpawd"
else
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=${GOARCH:-amd64} go build -trimpath -ldflags='-s -w' \
    -o "$ctx/kaspersky-tigerpawd" ./cmd/kaspersky-tigerpawd)
fi
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -p "$ctx/state" "$ctx/skel/var/lib"
cp "$here/Containerfile" "$ctx/Containerfile"
# CONTAINER_TOOL may carry global flags: "podman --storage-driver vfs".
$tool build "$@" -t "$tag" -f "$ctx/Containerfile" "$ctx"
