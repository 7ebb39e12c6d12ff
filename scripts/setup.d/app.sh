#!/usr/bin/env bash
# One-time setup of the app's window tests: WebKitWebDriver (Debian's webkit2gtk-driver), Xvfb,
# a D-Bus session keyring, tauri-driver, and the npm packages of ui/ and of the runner
# (WebdriverIO, axe-core). Quick when everything is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

missing=()
for pkg in webkit2gtk-driver xvfb xauth dbus gnome-keyring libwebkit2gtk-4.1-dev ffmpeg; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Paquets Debian pour les tests de la fenêtre : ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v tauri-driver >/dev/null 2>&1 || ! tauri-driver --help 2>/dev/null | grep -q native-port; then
  echo "Installation de tauri-driver 2.1.0 (crates.io)"
  cargo install tauri-driver --locked --version 2.1.0
fi

[ -d node_modules/webdriverio ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund
[ -d ui/node_modules/svelte ] || npm --prefix ui ci --no-audit --no-fund
