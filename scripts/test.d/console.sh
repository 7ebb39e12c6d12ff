#!/usr/bin/env bash
# Console suite: the trainers' and support agents' console in headless Chromium (Playwright):
# staff sign-in, live learners list, review desk with a refusal reaching the learner, clerk desk,
# clock, scenarios applied from the console (catalogue and a chosen file), one learner's clock.
# Screenshots: tests/browser/artefacts-console/ (ignored by git).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ -d tests/browser/node_modules/playwright-core ]] || bash scripts/setup.d/browser.sh
cargo build --quiet -p idn-cli --bin idn
export IDN_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/idn"
timeout 300 node tests/browser/console.mjs
