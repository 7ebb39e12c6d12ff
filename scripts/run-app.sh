#!/usr/bin/env bash
# Runs "L'Identité Numérique" (simulation) in a window when there is a display, and otherwise the
# headless demo of the journey. Arguments go to the app (e.g. --world-url http://127.0.0.1:8080).
# Run scripts/setup-debian.sh first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "Aucun écran disponible (ni DISPLAY ni WAYLAND_DISPLAY) : l'application ne peut pas ouvrir sa fenêtre." >&2
  echo "Lancement de la démonstration sans fenêtre à la place : idn demo." >&2
  # Without a login session there is no session keyring: `keyctl session -` gives the demo one
  # (kernel keyutils), so the device's OS-keyring vault works here too.
  if command -v keyctl >/dev/null; then
    exec keyctl session - cargo run --release --quiet -p idn-cli -- demo
  fi
  exec cargo run --release --quiet -p idn-cli -- demo
fi

[[ -x node_modules/.bin/tauri && -d ui/node_modules ]] \
  || { echo "ERREUR : paquets npm absents : lancez d'abord scripts/setup-debian.sh." >&2; exit 1; }

echo "Construction de l'application (écrans dans ui/dist, puis binaire de débogage)…" >&2
# The Tauri CLI runs beforeBuildCommand (the ui build) and enables the embedded-assets feature;
# a plain `cargo build` would make the app load the dev server's URL instead.
npx --no-install tauri build --debug --no-bundle

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps \
  | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory));')"
BIN="$TARGET_DIR/debug/idn-sandbox"
[[ -x "$BIN" ]] || { echo "ERREUR : binaire introuvable : $BIN" >&2; exit 1; }

echo "Lancement : $BIN $*" >&2
exec "$BIN" "$@"
