#!/usr/bin/env bash
# Training-step speed and peak memory, side by side: PyTorch, plain candle (OCELLUS_KERNELS=
# candle) and Ocellus, for LeNet, ResNet-18 (CIFAR, width 64), the captcha ResNet-18 (batch
# 100) and the whitened CNN (batch 512, its recipe's SGD), at 1 and 2 threads; every (model, threads) cell runs the three one after another,
# and the whole set ROUNDS times, so that machine noise hits all three alike. Prints a
# markdown table of median ms per step, the ratios to PyTorch and peak RSS. Not part of CI.
# STEPS is ResNet-18's count; the shorter steps get more (the captcha model 3x, LeNet 20x), so
# that their medians are not one noisy sample.
#   scripts/bench-training.sh [ROUNDS=2] [STEPS=3] [MODELS="lenet captcha resnet18 whitened-cnn"]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-2}"; STEPS="${2:-3}"; MODELS="${3:-lenet captcha resnet18 whitened-cnn}"
VENV="${TORCH_VENV:-target/venv-torch}"   # any venv with torch (TORCH_VENV=target/venv-peers)
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch   # CPU use; PyPI's wheel brings CUDA libraries (~5 GB)
fi
cargo build --release --quiet -p ocellus-trainer
OUT=target/bench-training.jsonl
: > "$OUT"
for round in $(seq "$ROUNDS"); do
  for model in $MODELS; do
    batch=100
    case "$model" in lenet) steps=$((STEPS * 20)) ;; captcha) steps=$((STEPS * 3)) ;; whitened-cnn) steps=$STEPS; batch=512 ;; *) steps=$STEPS ;; esac
    for threads in 1 2; do
      "$VENV/bin/python" scripts/torch_train_step.py "$model" "$threads" "$batch" "$steps" 2>/dev/null >> "$OUT"
      for kernels in candle ocellus; do
        OCELLUS_KERNELS=$kernels RAYON_NUM_THREADS=$threads target/release/ocellus bench-step --model "$model" --batch "$batch" --steps "$steps" >> "$OUT"
      done
      echo "round $round: $model, $threads thread(s) done" >&2
    done
  done
done
python3 scripts/training_table.py "$OUT"
