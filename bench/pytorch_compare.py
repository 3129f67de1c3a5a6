#!/usr/bin/python3
"""PyTorch eager side of bench/pytorch_compare.sh: the same GPT-NeoX (tests/golden/neox_reference.py), the
same AdamW + clipping, on random tokens; one line per step, then the median of steps 5..N."""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
import neox_reference as ref  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--layers", type=int, default=4)
ap.add_argument("--d", type=int, default=256)
ap.add_argument("--heads", type=int, default=8)
ap.add_argument("--vocab", type=int, default=50304)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--seq", type=int, default=256)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--threads", type=int, default=0)
args = ap.parse_args()

if args.threads > 0:
    torch.set_num_threads(args.threads)
shape = ref.Shape(layers=args.layers, d=args.d, heads=args.heads, vocab=args.vocab, seq=args.seq)
p = ref.parameters(shape, torch.Generator().manual_seed(1234), perturb_norms=False)
opt_cfg = dict(max_lr=6e-4, min_lr=6e-5, warmup=2, total=args.steps, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8)
opt = ref.adamw(p, opt_cfg)
print(f"pytorch {torch.__version__}: {sum(v.numel() for v in p.values())} parameters, threads {torch.get_num_threads()}")
gen = torch.Generator().manual_seed(7)
times = []
for step in range(args.steps):
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
    print(f"step {step + 1} ms {ms:.2f} loss {loss.item():.4f}")
print(f"median step ms (steps 5-{args.steps}): {statistics.median(times[4:]):.2f}")
