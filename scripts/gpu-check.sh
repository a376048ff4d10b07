#!/usr/bin/env bash
# The GPU check (issue 19), in two halves, because the GPU machines this project is lent have a
# driver, CUDA 13.0 and PyTorch but no Rust toolchain and no network:
#   scripts/gpu-check.sh pack   on the build machine: builds the CUDA trainer (`cargo xtask
#                               build-cuda`) and packs it, gzipped, into .gpu/ (ignored by git)
#   scripts/gpu-check.sh run    on the GPU machine, with .gpu/ carried: times a training step of
#                               each model (LeNet, ResNet-18, the captcha ResNet-18, the whitened
#                               CNN) on CUDA, on the CPU and in PyTorch on the same GPU, checks
#                               that the CUDA losses follow the CPU's (same seeded weights and
#                               batch), runs the parity tests (shared/tests/cuda_parity.rs: each
#                               op and each model's inference; trainer/tests/cuda_steps.rs: one
#                               training step of each of the seven models, face detectors
#                               included) and writes the table to ${OUT:-target}/gpu-check.md.
# Meant to finish in well under 8 minutes. Never run on a GPU yet: no GPU was lent to the task
# that wrote it. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

pack() {
  cargo xtask build-cuda
  mkdir -p .gpu
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  gzip -6 -c target/cuda-build/release/ocellus > .gpu/ocellus.gz
  # The CUDA parity tests (every op, every model's inference and training step against the
  # CPU), compiled by build-cuda; the newest build of each.
  local test exe
  for test in cuda_parity cuda_steps; do
    exe=$(ls -t target/cuda-build/release/deps/"$test"-* | grep -v '\.d$' | head -1)
    gzip -6 -c "$exe" > ".gpu/$test.gz"
  done
  ls -l .gpu/
  echo "next, on the GPU machine (carry .gpu): bash scripts/gpu-check.sh run"
}

# Folders holding the CUDA libraries the trainer links (PyTorch's wheels bring them).
cuda_library_dirs() {
  python3 - <<'EOF'
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()] + sys.path
found = []
for lib in ["libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudart.so.13", "libnvrtc.so.13"]:
    for root in roots:
        hits = glob.glob(os.path.join(root, "nvidia", "**", lib), recursive=True)
        if hits:
            d = os.path.dirname(hits[0])
            if d not in found:
                found.append(d)
            break
print(":".join(found))
EOF
}

run() {
  local out="${OUT:-target}" report jsonl bin
  mkdir -p "$out"
  report="$out/gpu-check.md"; jsonl="$out/gpu-check.jsonl"
  if ! nvidia-smi -L > /dev/null 2>&1; then
    echo "skipping: no CUDA device" | tee "$report"
    return 0
  fi
  bin=/tmp/ocellus-cuda
  gzip -dc .gpu/ocellus.gz > "$bin" && chmod +x "$bin"
  export LD_LIBRARY_PATH="$(cuda_library_dirs)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local threads; threads=$(nproc)
  # The parity tests first: OCELLUS_REQUIRE_CUDA turns their "skipping" into a failure here.
  local test tests_log="$out/gpu-tests.txt"
  : > "$tests_log"
  for test in cuda_parity cuda_steps; do
    gzip -dc ".gpu/$test.gz" > "/tmp/$test" && chmod +x "/tmp/$test"
    if OCELLUS_REQUIRE_CUDA=1 timeout 180 "/tmp/$test" --nocapture --test-threads 1 >> "$tests_log" 2>&1; then
      echo "$test: passed" | tee -a "$tests_log" >&2
    else
      echo "$test: FAILED" | tee -a "$tests_log" >&2
    fi
  done
  : > "$jsonl"
  for model in lenet captcha resnet18 whitened-cnn; do
    local batch=100
    [ "$model" = whitened-cnn ] && batch=512
    # 20 timed steps on the GPU, 3 on the CPU (the losses of the first 3 are compared).
    timeout 120 "$bin" bench-step --model "$model" --batch "$batch" --steps 20 --device cuda >> "$jsonl" \
      || echo "{\"impl\": \"ocellus\", \"device\": \"cuda\", \"model\": \"$model\", \"failed\": true}" >> "$jsonl"
    RAYON_NUM_THREADS=$threads timeout 120 "$bin" bench-step --model "$model" --batch "$batch" --steps 3 --device cpu >> "$jsonl" \
      || echo "{\"impl\": \"ocellus\", \"device\": \"cpu\", \"model\": \"$model\", \"failed\": true}" >> "$jsonl"
    timeout 120 python3 scripts/torch_train_step.py "$model" "$threads" "$batch" 20 cuda >> "$jsonl" 2>/dev/null \
      || echo "{\"impl\": \"pytorch\", \"device\": \"cuda\", \"model\": \"$model\", \"failed\": true}" >> "$jsonl"
    echo "$model done" >&2
  done
  python3 - "$jsonl" "$threads" > "$report" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# bench-step names the whitened CNN "whitenedcnn", PyTorch's script "whitened-cnn".
same = lambda a, b: a.replace("-", "") == b.replace("-", "")
def find(impl, device, model):
    return next((r for r in rows if r["impl"].startswith(impl) and r.get("device") == device and same(r["model"], model)), {})
print("| model | batch | Ocellus on CUDA, ms/step | PyTorch on CUDA, ms/step | Ocellus / PyTorch | Ocellus on the CPU (%s threads), ms/step | CUDA losses vs CPU (first steps) |" % sys.argv[2])
print("|---|---:|---:|---:|---:|---:|---|")
for model in ["lenet", "captcha", "resnet18", "whitened-cnn"]:
    gpu, cpu, torch = find("ocellus", "cuda", model), find("ocellus", "cpu", model), find("pytorch", "cuda", model)
    ms = lambda r: "-" if not r else ("failed" if r.get("failed") or "ms" not in r else "%.2f" % r["ms"])
    ratio = "%.2fx" % (gpu["ms"] / torch["ms"]) if "ms" in gpu and "ms" in torch else "-"
    if "losses" in gpu and "losses" in cpu:
        pairs = list(zip(gpu["losses"], cpu["losses"]))
        worst = max(abs(a - b) / max(abs(b), 1e-6) for a, b in pairs)
        match = "%s (worst relative difference %.1e over %d steps)" % ("same" if worst < 1e-2 else "DIFFERENT", worst, len(pairs))
    else:
        match = "-"
    print("| %s | %s | %s | %s | %s | %s | %s |" % (model, gpu.get("batch", cpu.get("batch", "-")), ms(gpu), ms(torch), ratio, ms(cpu), match))
EOF
  { echo; echo "Parity tests (each op, each model's inference and one training step, CUDA against the CPU):"; echo; grep -E '^(test |cuda_)' "$tests_log" | sed 's/^/    /'; } >> "$report"
  cat "$report"
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: scripts/gpu-check.sh pack|run" >&2; exit 2 ;;
esac
