#!/usr/bin/env bash
# Property-based tests of the world's HTTP API from its own OpenAPI description (schemathesis),
# with a bounded budget: no 5xx, no response that breaks the schema.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/idn-sandbox/schemathesis-venv"
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

cargo build --quiet -p idn-cli
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DATA="$(mktemp -d)"
"$TARGET_DIR/debug/idn" world serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --seed 1 2>"$DATA/world.log" &
WORLD=$!
trap 'kill "$WORLD" 2>/dev/null || true; rm -rf "$DATA"' EXIT

for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/api/status" >/dev/null 2>&1 && break
  sleep 0.1
done

# Every route but a few needs a credential: one run as a trainer (an account and an API token
# made on the world's data directory, as a trainer would), one anonymous (every refusal must be
# a 401/403 in the API's error format, never a 5xx).
printf 'schemathesis-formateur\n' | "$TARGET_DIR/debug/idn" staff add --data-dir "$DATA" --role formateur \
  --email formateur@simulation.example --password-stdin >/dev/null
TOKEN="$("$TARGET_DIR/debug/idn" --json staff token create --data-dir "$DATA" --email formateur@simulation.example --nom schemathesis \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

timeout 600 "$VENV/bin/st" run "http://127.0.0.1:$PORT/api/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples 25 --seed 1 \
  --checks not_a_server_error,response_schema_conformance

timeout 300 "$VENV/bin/st" run "http://127.0.0.1:$PORT/api/openapi.json" \
  --max-examples 5 --seed 2 \
  --checks not_a_server_error,response_schema_conformance
