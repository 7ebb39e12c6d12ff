#!/usr/bin/env bash
# Browser suite: Mon Compte Formation → FranceConnect+ → La Poste → approval through the device
# core (idn CLI) → back, in headless Chromium, with the refused, expired and wrong-number cases
# and an independent OIDC client. Screenshots: tests/browser/artefacts/. The device keeps its key
# in the OS keyring, so the suite runs in a D-Bus session with GNOME Keyring unlocked.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ -d tests/browser/node_modules/playwright-core ]] || bash scripts/setup.d/browser.sh
cargo build --quiet -p idn-cli --bin idn
export IDN_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/idn"
timeout 300 dbus-run-session -- sh -c '
  printf sandbox | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  node tests/browser/run.mjs
'
