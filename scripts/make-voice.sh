#!/usr/bin/env bash
# Regenerates the synthetic French voice of the spoken-digit video (crates/capture/assets/voice-fr):
# each digit said by espeak-ng's French voice, trimmed of silence, stored as headerless G.711
# µ-law at 16 kHz mono (a few kB each). Run once by a developer; the files are committed, so
# builds and tests need neither espeak-ng nor ffmpeg for this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/crates/capture/assets/voice-fr"
WORDS=(zéro un deux trois quatre cinq six sept huit neuf)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
for digit in "${!WORDS[@]}"; do
  espeak-ng -v fr -s 140 -a 160 -w "$TMP/$digit.wav" "${WORDS[$digit]}"
  ffmpeg -loglevel error -y -i "$TMP/$digit.wav" \
    -af "silenceremove=start_periods=1:start_threshold=-45dB,areverse,silenceremove=start_periods=1:start_threshold=-45dB,areverse" \
    -ar 16000 -ac 1 -f mulaw "$OUT/$digit.ulaw"
done
ls -l "$OUT"
