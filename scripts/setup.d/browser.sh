#!/usr/bin/env bash
# Browser suite (tests/browser): playwright-core, jose and openid-client from npm (exact versions); Chromium is Debian's
# (`chromium`, installed by setup-debian.sh). Skipped when the lock file has not changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/tests/browser"
command -v chromium >/dev/null || { echo "chromium manque : apt-get install -y chromium" >&2; exit 1; }
STAMP="$DIR/node_modules/.idn-setup-lock.sha256"
WANT="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  echo "npm (tests/browser) : déjà à jour."
  exit 0
fi
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error
printf '%s\n' "$WANT" >"$STAMP"
