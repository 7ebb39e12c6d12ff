#!/usr/bin/env bash
# End-to-end tests of the app's real window: the screens built into the debug binary, driven by
# tauri-driver and WebKitWebDriver under Xvfb, in a D-Bus session with an unlocked GNOME keyring
# (the device keeps its key in the OS keyring). Screenshots of every screen and a report go to
# tests/app/artifacts/ (gitignored). Arguments: scenario names (default: all).
# IDN_APP_RELEASE=1 runs the release build instead: report.json then holds the figures of the
# issue's benchmark (launch to first interactive screen against the same binary's static-page
# baseline, tests/app/launch.mjs, run first; memory on the services screen; preview).
# `lancement` alone runs the launch benchmark.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

npm --prefix ui run build --silent
# The custom-protocol feature embeds ui/dist (what `tauri build` does); without it the app would
# look for the dev server.
if [ "${IDN_APP_RELEASE:-0}" = 1 ]; then
  cargo build --quiet --release -p idn-sandbox --features tauri/custom-protocol
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/idn-sandbox"
else
  cargo build --quiet -p idn-sandbox --features tauri/custom-protocol
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/idn-sandbox"
fi

# The class's world server that the QR scenario joins (`idn world serve`).
cargo build --quiet -p idn-cli --bin idn

rm -rf tests/app/artifacts
mkdir -p tests/app/artifacts
PORT="${IDN_DRIVER_PORT:-4444}"
NATIVE_PORT="${IDN_NATIVE_DRIVER_PORT:-4445}"

export NO_AT_BRIDGE=1
export RUST_LOG="${RUST_LOG:-info,idn_sandbox_app=debug}"
export BIN PORT NATIVE_PORT
timeout --kill-after=10 "${IDN_APP_TEST_TIMEOUT:-900}" dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" bash -c '
  printf sandbox | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  tauri-driver --port "$PORT" --native-port "$NATIVE_PORT" >tests/app/artifacts/tauri-driver.log 2>&1 &
  DRIVER=$!
  trap "kill $DRIVER 2>/dev/null || true" EXIT
  for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
    sleep 0.1
  done
  node tests/app/journey.mjs "$BIN" "$PORT" "$@"
' app-tests "$@"
echo "Captures d'écran : tests/app/artifacts/"
