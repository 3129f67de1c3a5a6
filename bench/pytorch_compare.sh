#!/usr/bin/env bash
# Trains the same GPT-NeoX config (d_model 256, 4 layers, 8 heads, T 256, B 8, vocab 50304) in the engine (C++
# driver over libacodm) and in PyTorch eager (Debian's python3-torch), same thread count, in lockstep: both load,
# then they take turns step by step (bench/lockstep.py), so every pair of steps sees the same machine. The
# engine also replays its step's matrix products after each step (the BLAS roofline, same process) and both
# report their peak step memory. Last line: the median of the per-pair step-time ratios, with its spread.
#   STEPS=20 THREADS=$(nproc) bench/pytorch_compare.sh [extra train_step_bench options, e.g. --loss plain]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
threads="${THREADS:-$(nproc)}"
# Both sides run with the same OpenMP settings; sleeping waiters keep a shared machine from distorting them.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export OMP_NUM_THREADS="$threads"
steps="${STEPS:-20}"
ACODM_WITH_PYTORCH=1 bin/setup-system
cmake -S . -B build/cpu -DACODM_CUDA=OFF >/dev/null
cmake --build build/cpu -j "$(nproc)" --target train_step_bench >/dev/null
echo "== $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, threads $threads"
engine="build/cpu/bench/engine/train_step_bench --config bench-256 --batch 8 --seq 256 --steps $steps --threads $threads --roofline --lockstep $*"
pytorch="/usr/bin/python3 bench/pytorch_compare.py --layers 4 --d 256 --heads 8 --vocab 50304 --batch 8 --seq 256 --steps $steps --threads $threads --lockstep"
/usr/bin/python3 bench/lockstep.py --steps "$steps" --skip 4 --side acodm "$engine" --side pytorch "$pytorch"
