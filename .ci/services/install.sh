# Sourced by .ci/run: checks the ways the daemon is installed (README,
# Install). The systemd unit passes systemd-analyze verify (the binary path
# of ExecStart rewritten to a built binary, since verify wants it to exist);
# the release build of linux/amd64 records the commit (-version names it);
# the container image builds with Debian's podman on the vfs storage driver,
# and the binary exported from it runs the demo (containers themselves
# cannot run on the CI machine: setrlimit is not permitted there). Runs only
# in CI (KT_CI set); podman and systemd are installed with apt-get when
# missing.

if [ -z "${KT_CI:-}" ]; then
  echo "install checks: skipped outside CI (KT_CI unset)"
else
  inst_tmp=$(mktemp -d /tmp/kt-install.XXXXXX)
  on_exit "rm -rf $inst_tmp"

  # The binary: the release build when this is a git checkout.
  if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
    TARGETS=linux/amd64 scripts/release.sh -o "$inst_tmp/dist"
  else
    mkdir -p "$inst_tmp/dist"
    CGO_ENABLED=0 go build -trimpath -o "$inst_tmp/dist/kaspersky-tigerpawd-linux-amd64" ./cmd/kaspersky-tigerpawd
  fi
  inst_bin="$inst_tmp/dist/kaspersky-tigerpawd-linux-amd64"

  command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd
  sed "s#/usr/local/bin/kaspersky-tigerpawd#$inst_bin#" deploy/systemd/kaspersky-tigerpawd.service \
    >"$inst_tmp/kaspersky-tigerpawd.service"
  # verify exits 0 on some complaints (an unknown key): any output fails.
  inst_out=$(systemd-analyze verify --man=no "$inst_tmp/kaspersky-tigerpawd.service" 2>&1) &&
    [ -z "$inst_out" ] || { echo "systemd-analyze verify: $inst_out" >&2; exit 1; }
  echo "systemd unit: systemd-analyze verify passed ($(systemd-analyze --version | head -n1))"

  command -v podman >/dev/null 2>&1 || apt_install podman ca-certificates
  inst_podman="podman --storage-driver vfs"
  CONTAINER_TOOL=$inst_podman deploy/container/build.sh -b "$inst_bin" -t localhost/kaspersky-tigerpawd:ci >"$inst_tmp/build.log" 2>&1 ||
    { cat "$inst_tmp/build.log" >&2; exit 1; }
  inst_id=$($inst_podman create localhost/kaspersky-tigerpawd:ci)
  mkdir "$inst_tmp/root"
  $inst_podman export "$inst_id" | tar -x -C "$inst_tmp/root"
  $inst_podman rm "$inst_id" >/dev/null
  [ "$($inst_podman image inspect localhost/kaspersky-tigerpawd:ci --format '{{.Config.User}}')" = 65532:65532 ] ||
    { echo "container image: not running as 65532:65532" >&2; exit 1; }
  [ -s "$inst_tmp/root/etc/ssl/certs/ca-certificates.crt" ] || { echo "container image: no CA bundle" >&2; exit 1; }
  "$inst_tmp/root/usr/local/bin/kaspersky-tigerpawd" -demo -once >"$inst_tmp/demo.out" 2>"$inst_tmp/demo.err" ||
    { cat "$inst_tmp/demo.out" "$inst_tmp/demo.err" >&2; exit 1; }
  grep -q '^== Tigerpaw service orders' "$inst_tmp/demo.out" || { cat "$inst_tmp/demo.out" >&2; exit 1; }
  $inst_podman rmi localhost/kaspersky-tigerpawd:ci >/dev/null
  echo "container image: built with $(podman --version); its binary ran the demo: $("$inst_tmp/root/usr/local/bin/kaspersky-tigerpawd" -version)"
fi
