#!/usr/bin/env bash
# Licences, banned crates and sources of every dependency (cargo-deny, configured in deny.toml).
# The advisory database lives on GitHub, which this project's machines cannot reach: the
# advisory check is left to a machine that can (`cargo deny check advisories`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v cargo-deny >/dev/null; then
  echo "Installation de cargo-deny (une fois par machine)…"
  cargo install cargo-deny --locked --quiet
fi
cargo deny --all-features check licenses bans sources
