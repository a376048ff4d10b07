#!/usr/bin/env bash
# Well-known face detectors against Ocellus's on the same held-out photos, scored by the same
# AP code (`ocellus test faces --detections`). Peers come from PyPI into target/venv-peers:
# OpenCV's Haar cascade (opencv-python-headless), MediaPipe's BlazeFace full range (mediapipe),
# dlib's HOG (dlib-bin), MTCNN (facenet-pytorch, with PyTorch: several GB, only with --mtcnn).
# Prints one line per detector: AP@0.5, AP@0.5:0.95, ms per photo. Not part of CI.
#   scripts/bench-face-peers.sh [MODEL=static/models/single-shot-faces.safetensors] [--mtcnn]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:-static/models/single-shot-faces.safetensors}"
FACES="${OCELLUS_DATA:-../shared/data}/faces"
OUT=target/face-peers
VENV=target/venv-peers
mkdir -p "$OUT"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  # mediapipe 0.10.14: a release whose wheel still ships the BlazeFace models and the
  # solutions API (later ones download their models at run time, which fails offline).
  "$VENV/bin/pip" install --quiet opencv-python-headless "mediapipe==0.10.14" dlib-bin
fi
PEERS="haar mediapipe dlib"
if [ "${2:-}" = "--mtcnn" ]; then
  "$VENV/bin/pip" install --quiet facenet-pytorch --no-deps
  "$VENV/bin/pip" install --quiet torch torchvision pillow requests tqdm
  PEERS="$PEERS mtcnn"
fi
cargo build --release --quiet -p ocellus-trainer
OCELLUS=target/release/ocellus
"$OCELLUS" test faces --model "$MODEL" --data "$FACES" --list-photos > "$OUT/photos.txt"
echo "$(wc -l < "$OUT/photos.txt") held-out photos of $FACES (the test split of $MODEL)"
for peer in $PEERS; do
  "$VENV/bin/python" scripts/face_peers.py "$peer" "$OUT/photos.txt" "$OUT/$peer.jsonl"
  printf '%-10s ' "$peer"
  "$OCELLUS" test faces --model "$MODEL" --data "$FACES" --detections "$OUT/$peer.jsonl" --json | tail -1
done
printf '%-10s ' ocellus
RAYON_NUM_THREADS=1 "$OCELLUS" --threads 1 test faces --model "$MODEL" --data "$FACES" --json | tail -1
