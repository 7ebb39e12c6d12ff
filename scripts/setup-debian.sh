#!/usr/bin/env bash
# Installs what IDN Sandbox needs on Debian 12, as root: system packages, then the npm packages
# of the app's tooling (package.json) and of its screens (ui/). Safe and fast to rerun: apt is
# skipped when every package is there, npm when its lock file has not changed since last time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="$(mktemp -t idn-setup.XXXXXX.log)"
trap 'rm -f "$LOG"' EXIT

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERREUR : %s\n' "$*" >&2; exit 1; }

# Runs a command quietly; on failure shows what it printed and stops.
quietly() {
  if ! "$@" >"$LOG" 2>&1; then
    printf 'ERREUR : la commande a échoué : %s\n' "$*" >&2
    tail -n 60 "$LOG" >&2
    exit 1
  fi
}

# Everything the project builds and tests with (see shared/toolchain-notes.md); perl and
# build-essential build the OpenSSL that josekit uses (vendored: Debian 12's 3.0 is slow).
PACKAGES=(
  ca-certificates curl git build-essential pkg-config file perl
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libasound2-dev clang libclang-dev nasm cmake
  dbus gnome-keyring libsecret-1-dev keyutils
  xvfb xauth webkit2gtk-driver
  ffmpeg chromium espeak-ng
  gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-base
)

missing=()
for package in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  say "Paquets Debian : déjà installés (${#PACKAGES[@]})."
else
  [[ "$(id -u)" == 0 ]] || die "il manque des paquets Debian (${missing[*]}) : relancez ce script en root."
  say "Paquets Debian : installation de ${#missing[@]} paquet(s) : ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quietly apt-get update
  quietly apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Rust and Node.js come with the machine (rustup's toolchain, Debian's nodejs); check, don't fetch.
command -v cargo >/dev/null || die "cargo est introuvable : installez Rust (rustup) puis relancez."
command -v npm >/dev/null || die "npm est introuvable : installez Node.js 20.19+ (paquet nodejs) puis relancez."
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) process.exit(1);
' || die "Node.js $(node --version) est trop ancien : Vite 7 demande Node.js 20.19 ou plus récent."

# `npm install` with the committed lock file, not `npm ci`: the registry reached here lacks some
# other platforms' optional packages (@rollup/rollup-darwin-*, @tauri-apps/cli-win32-*), so the
# lock files cannot list them and `npm ci` refuses them as out of sync. Skipped when the lock file
# has not changed since the last install.
npm_install() {
  local dir="$1" stamp="$1/node_modules/.idn-setup-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "npm ($dir) : déjà à jour."
    return
  fi
  say "npm ($dir) : installation des paquets."
  quietly npm install --prefix "$dir" --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want" >"$stamp"
}

npm_install "$ROOT"
npm_install "$ROOT/ui"

# Extra set-up steps of individual suites (browser tests, app tests), one script each.
for extra in "$ROOT"/scripts/setup.d/*.sh; do
  [[ -e "$extra" ]] || continue
  say "Préparation : $(basename "$extra")"
  bash "$extra"
done

say "Installation terminée."
