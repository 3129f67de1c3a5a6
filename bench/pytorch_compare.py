#!/usr/bin/python3
"""PyTorch eager side of bench/pytorch_compare.sh: the same GPT-NeoX (tests/golden/neox_reference.py), the
same AdamW + clipping, on random tokens; one line per step, then the median of steps 5..N and the peak step
memory (resident set above the resting set after setup). With --lockstep it runs one step per "step" line on
stdin and answers "lockstep done MS" (bench/lockstep.py's protocol)."""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
import neox_reference as ref  # noqa: E402


def status_bytes(key):
    """A 'VmHWM:  1234 kB' line of /proc/self/status in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return -1


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


ap = argparse.ArgumentParser()
ap.add_argument("--layers", type=int, default=4)
ap.add_argument("--d", type=int, default=256)
ap.add_argument("--heads", type=int, default=8)
ap.add_argument("--vocab", type=int, default=50304)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--seq", type=int, default=256)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--lockstep", action="store_true")
args = ap.parse_args()

if args.threads > 0:
    torch.set_num_threads(args.threads)
shape = ref.Shape(layers=args.layers, d=args.d, heads=args.heads, vocab=args.vocab, seq=args.seq)
p = ref.parameters(shape, torch.Generator().manual_seed(1234), perturb_norms=False)
opt_cfg = dict(max_lr=6e-4, min_lr=6e-5, warmup=2, total=args.steps, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8)
opt = ref.adamw(p, opt_cfg)
print(f"pytorch {torch.__version__}: {sum(v.numel() for v in p.values())} parameters, threads {torch.get_num_threads()}",
      flush=True)
gen = torch.Generator().manual_seed(7)
times = []
resting = status_bytes("VmRSS")
reset_peak()
if args.lockstep:
    print("lockstep ready", flush=True)
step = 0
while True:
    if args.lockstep:
        command = sys.stdin.readline().strip()
        if command in ("", "quit"):
            break
        if command != "step":
            sys.exit(f"pytorch_compare.py: expected 'step' or 'quit', got {command!r}")
    elif step >= args.steps:
        break
    windows = torch.randint(0, args.vocab, (args.batch, args.seq + 1), generator=gen)
    t0 = time.perf_counter()
    for g in opt.param_groups:
        g["lr"] = ref.lr_at(opt_cfg, step)
    opt.zero_grad(set_to_none=True)
    loss, _ = ref.loss_of(shape, p, windows)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
    opt.step()
    ms = (time.perf_counter() - t0) * 1000
    times.append(ms)
    step += 1
    print(f"step {step} ms {ms:.2f} loss {loss.item():.4f}", flush=True)
    if args.lockstep:
        print(f"lockstep done {ms:.3f} loss={loss.item():.4f}", flush=True)
if len(times) < 5:
    sys.exit("pytorch_compare.py: at least 5 steps are needed for a median of steps 5..N")
print(f"median step ms (steps 5-{len(times)}): {statistics.median(times[4:]):.2f}")
print(f"peak step memory: {(status_bytes('VmHWM') - resting) / 2**20:.1f} MB above {resting / 2**20:.1f} MB resting "
      f"(resident set)", flush=True)
