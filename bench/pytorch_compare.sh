#!/usr/bin/env bash
# Trains the same GPT-NeoX config (d_model 256, 4 layers, 8 heads, T 256, B 8, vocab 50304) for 20 steps
# in the engine (C++ driver over libacodm) and in PyTorch eager (Debian's python3-torch), same thread
# count, one after the other in one run. Last line: the ratio of median step times (steps 5-20).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
threads="${THREADS:-$(nproc)}"
# Both sides run with the same OpenMP settings; sleeping waiters keep a shared machine from distorting them.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
steps="${STEPS:-20}"
ACODM_WITH_PYTORCH=1 bin/setup-system
cmake -S . -B build/cpu -DACODM_CUDA=OFF >/dev/null
cmake --build build/cpu -j "$(nproc)" --target train_step_bench >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "== acodm engine (threads $threads)"
OMP_NUM_THREADS="$threads" build/cpu/bench/engine/train_step_bench --config bench-256 --batch 8 --seq 256 \
  --steps "$steps" --threads "$threads" | tee "$out/engine.txt"
echo "== PyTorch eager (threads $threads)"
OMP_NUM_THREADS="$threads" /usr/bin/python3 bench/pytorch_compare.py --layers 4 --d 256 --heads 8 --vocab 50304 \
  --batch 8 --seq 256 --steps "$steps" --threads "$threads" | tee "$out/pytorch.txt"
e=$(awk '/^median step ms/ {print $NF}' "$out/engine.txt")
p=$(awk '/^median step ms/ {print $NF}' "$out/pytorch.txt")
echo "median step ms: acodm $e, pytorch $p"
awk -v e="$e" -v p="$p" 'BEGIN { printf "step time ratio acodm/pytorch: %.3f\n", e / p }'
