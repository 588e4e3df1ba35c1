# Sourced by .ci/run: provides axe-core, the accessibility checker the browser
# tests of package console run inside Chromium, and exports KT_AXE, the path
# of its axe.min.js. Installs the pinned npm package (with npm, installed from
# Debian when missing) into a cache directory, once per version.

axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kt-axe-core-$axe_version"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || apt_install npm
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-save --no-audit --no-fund --loglevel=error "axe-core@$axe_version"
fi
export KT_AXE="$axe_dir/node_modules/axe-core/axe.min.js"
echo "axe-core: $(node -p "require('$axe_dir/node_modules/axe-core/package.json').version" 2>/dev/null || echo "$axe_version") at $KT_AXE"
