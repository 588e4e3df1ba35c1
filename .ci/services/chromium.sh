# Sourced by .ci/run: provides the headless Chromium the browser tests of
# package console drive (with chromedp) and exports KT_CHROMIUM, the binary
# they run. Uses Debian's chromium package, installed when no Chromium is
# found. Nothing to start or stop: each test run starts its own browser.

chromium_bin() {
  local c
  if [ -n "${KT_CHROMIUM:-}" ] && [ -x "$KT_CHROMIUM" ]; then
    echo "$KT_CHROMIUM"
    return 0
  fi
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

chromium_path=$(chromium_bin || true)
if [ -z "$chromium_path" ]; then
  apt_install chromium
  chromium_path=$(chromium_bin)
fi
export KT_CHROMIUM="$chromium_path"
echo "chromium: $("$KT_CHROMIUM" --version 2>/dev/null | head -n1) at $KT_CHROMIUM"
