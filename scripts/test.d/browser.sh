#!/usr/bin/env bash
# Browser suite: Mon Compte Formation → FranceConnect+ → La Poste → approval through the device
# core (idn CLI) → back, in headless Chromium, with the refused, expired and wrong-number cases,
# an independent OIDC client (jose), and a certified relying-party library (openid-client 6, its
# default checks) against a second world served over HTTPS under its local authority; then the
# app in a phone's browser (tests/browser/phone.mjs: Chromium as a phone over the world's HTTPS,
# the screens test.sh built in ui/dist, the device key in the browser, no keyring); then
# L'Identité Numérique's web site on a computer and the phone going on from it
# (tests/browser/website.mjs); then the postal procedure (tests/browser/postal.mjs).
# Screenshots: tests/browser/artefacts/. The device keeps its key in the OS keyring, so the suite
# runs in a D-Bus session with GNOME Keyring unlocked.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# Stamped on the lock file's hash: a no-op unless the dependencies changed.
bash scripts/setup.d/browser.sh
cargo build --quiet -p idn-cli --bin idn
export IDN_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/idn"
timeout 300 dbus-run-session -- sh -c '
  printf sandbox | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  node tests/browser/run.mjs
'
timeout 300 node tests/browser/phone.mjs
# The phone's camera and microphone: live guidance from the world, auto-capture, the video filmed
# with MediaRecorder and checked by the world (tests/browser/phone-video.mjs).
timeout 300 node tests/browser/phone-video.mjs
timeout 300 node tests/browser/website.mjs
# The postal procedure for people without a smartphone: the site's form, the letter, the desk
# (tests/browser/postal.mjs).
timeout 300 node tests/browser/postal.mjs
