#!/usr/bin/env bash
# Release build of the reference daemon: static binaries (CGO_ENABLED=0,
# -trimpath) for linux/amd64, linux/arm64 and windows/amd64, and their
# SHA-256 sums in SHA256SUMS.
#
#   scripts/release.sh [-o DIR] [--verify] [COMMIT]
#
# It builds the committed tree of COMMIT (default HEAD) from a fresh clone,
# never the working tree, so that uncommitted changes stay out and the build
# records the commit (-version prints it). The build is reproducible: the
# same commit and the same Go version (printed first) give the same bytes
# whatever the directory, the user or the time. --verify builds a second
# time, from another clone with an empty build cache, and fails unless the
# sums are the same. TARGETS (GOOS/GOARCH, space-separated) narrows the
# targets, e.g. TARGETS=linux/amd64.
set -euo pipefail

out=dist
verify=""
rev=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    --verify) verify=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "release.sh: unknown flag $1" >&2; exit 2 ;;
    *) rev=$1; shift ;;
  esac
done

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
targets=${TARGETS:-linux/amd64 linux/arm64 windows/amd64}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# build DIR: builds every target of commit into DIR and writes DIR/SHA256SUMS.
build() {
  local dir=$1 src
  src=$(mktemp -d "$tmp/src.XXXXXX")
  git clone -q --no-checkout "$root" "$src"
  git -C "$src" checkout -q --detach "$commit"
  mkdir -p "$dir"
  local t goos goarch name
  for t in $targets; do
    goos=${t%/*} goarch=${t#*/}
    name=kaspersky-tigerpawd-$goos-$goarch
    [ "$goos" = windows ] && name=$name.exe
    # GOFLAGS is emptied: the flags here are the whole of the build's.
    GOFLAGS= CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -C "$src" \
      -trimpath -buildvcs=true -ldflags='-s -w -buildid=' \
      -o "$(cd "$dir" && pwd)/$name" ./cmd/kaspersky-tigerpawd
  done
  (cd "$dir" && sha256sum kaspersky-tigerpawd-* >SHA256SUMS)
}

echo "release of $commit with $(go version)"
rm -rf "$out"
build "$out"
cat "$out/SHA256SUMS"

if [ "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" = linux/amd64 ] && [ -x "$out/kaspersky-tigerpawd-linux-amd64" ]; then
  v=$("$out/kaspersky-tigerpawd-linux-amd64" -version)
  echo "$v"
  case "$v" in
    *"commit $commit"*) ;;
    *) echo "release.sh: -version does not name commit $commit" >&2; exit 1 ;;
  esac
fi

if [ -n "$verify" ]; then
  echo "== second build, from another clone with an empty build cache"
  mkdir -p "$tmp/cache"
  GOCACHE="$tmp/cache" build "$tmp/again"
  if ! diff "$out/SHA256SUMS" "$tmp/again/SHA256SUMS"; then
    echo "release.sh: the second build differs" >&2
    exit 1
  fi
  echo "reproducible: the second build has the same sums"
fi
