#!/usr/bin/env bash
# Every test of the project: formatting, lints, unit and property tests, end-to-end suites
# (the idn CLI as a user runs it, the world's HTTP API, crash recovery), the UI's type check and
# unit tests.
# Run scripts/setup-debian.sh first (the README's test command does both).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

step "Écrans : construction de ui/dist (nécessaire à la compilation de l'application)"
npm --prefix ui run build --silent

step "Format (cargo fmt --check)"
cargo fmt --all --check

step "Lints (cargo clippy --workspace --all-targets -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Tests (unitaires, propriétés, bout en bout) dans une session D-Bus avec trousseau GNOME"
# The device keeps its key in the OS keyring: give the tests a real Secret Service, and require
# that the keyring test runs rather than skips.
dbus-run-session -- sh -c '
  printf sandbox | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  IDN_REQUIRE_KEYRING=1 cargo test --workspace --quiet
'

step "API : schemathesis contre la description OpenAPI du monde (budget borné)"
bash scripts/schemathesis.sh

step "Dépendances : licences, doublons interdits et sources (cargo deny)"
bash scripts/deny.sh

if [ -f ui/package.json ] && grep -q '"check"' ui/package.json; then
  step "Écrans : vérification des types (tsc)"
  npm --prefix ui run check --silent
fi

if [ -f ui/package.json ] && grep -q '"test"' ui/package.json; then
  step "Écrans : tests unitaires (vitest)"
  npm --prefix ui test --silent
fi

# Suites that drive a real browser or the app's window, one script each (see their headers).
for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  step "Suite : $(basename "$suite")"
  bash "$suite"
done

step "Tout est vert."
