# shellcheck shell=bash
# Shared by scripts/run and scripts/test: find or install what Modelshelf needs, only once.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"

# Debian 12 / Ubuntu 22.04+ package names.
BUILD_PACKAGES=(libwebkit2gtk-4.1-dev pkg-config build-essential)
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver chromium dbus-daemon)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Installs the Debian packages given that are not installed yet; elsewhere says what to install.
ensure_system_packages() {
  local missing=() pkg
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    cat >&2 <<TXT
This is not a Debian-like system, so Modelshelf cannot install its system packages itself.
Install the equivalents of these Debian packages, then run this command again:
  $*
(Fedora: webkit2gtk4.1-devel pkgconf-pkg-config gcc; Arch: webkit2gtk-4.1 base-devel;
 for the tests also Xvfb, WebKitWebDriver and Chromium.)
TXT
    exit 1
  fi
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
    exit 1
  fi
}

# npm packages for the type check and the browser tests, reinstalled only when the lock changes.
ensure_node_modules() {
  if ! command -v npm >/dev/null; then
    echo "Node.js 20+ and npm are missing: install them (Debian: apt-get install nodejs npm)." >&2
    exit 1
  fi
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages"
    npm ci --no-fund --no-audit
  fi
}

# A Python venv with huggingface_hub for the interop tests, rebuilt only when requirements change.
ensure_python_venv() {
  local req=tests/python/requirements.txt stamp=.venv/.requirements.txt
  if [ ! -x .venv/bin/python ] || ! cmp -s "$req" "$stamp"; then
    say "preparing the Python venv (.venv)"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
  fi
}
