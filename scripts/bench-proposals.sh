#!/usr/bin/env bash
# Selective search, ours against OpenCV's, on the first N photos of ../shared/data/faces:
# recall of the face boxes at IoU 0.5 / 0.7 with the first 100 / 500 / 2000 proposals, and
# milliseconds per image (both single-threaded). Not part of CI.
#   scripts/bench-proposals.sh [N=50] [fast|quality]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50}"; MODE="${2:-fast}"
FACES="${OCELLUS_DATA:-../shared/data}/faces"
VENV=target/venv-opencv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet opencv-contrib-python-headless
fi
cargo build --release --quiet -p ocellus-e2e --bin proposal-bench
RAYON_NUM_THREADS=1 target/release/proposal-bench "$N" --mode "$MODE"
THREADS=1 "$VENV/bin/python" scripts/opencv_proposals.py "$FACES" "$N" "$MODE"
