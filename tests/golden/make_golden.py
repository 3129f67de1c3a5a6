#!/usr/bin/python3
"""Writes the golden file the native and Java tests check the engine against.

The model is neox_reference.py (an independent PyTorch GPT-NeoX) with random weights and fixed tokens.
Recorded: every parameter, logits, the mean loss, every parameter's gradient, and the losses of 5 AdamW
steps (decay on matrices only, warmup + cosine schedule, global-norm clipping).

Regenerate (Debian's python3-torch):   /usr/bin/python3 tests/golden/make_golden.py tests/golden/gpt_neox_tiny.golden

File layout (little-endian): magic b"ACODMGLD", uint32 version (1), uint32 entry count, then per entry:
uint32 name length, name (UTF-8), uint32 dtype (0 float32, 1 int32, 2 float64, 3 UTF-8 text),
uint32 ndim, int64 dims[ndim], raw values.
"""
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neox_reference as ref  # noqa: E402

MAGIC = b"ACODMGLD"
VERSION = 1
CONFIG = "tiny"  # must match the engine's named config (native/src/config.cpp)
SHAPE = ref.Shape(layers=2, d=64, heads=4, vocab=384, seq=64)
BATCH, T = 4, 32
OPT = dict(max_lr=1e-3, min_lr=1e-4, warmup=2, total=5, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8, clip=1.0)


def main(path):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20261129)
    p = ref.parameters(SHAPE, gen)
    # Tokens from the whole padded vocabulary (the engine accepts any id below the padded size).
    windows = torch.randint(0, SHAPE.vocab, (BATCH, T + 1), generator=gen)
    entries = [("config", 3, CONFIG.encode()), ("tokens", 1, windows.int())]
    entries += [("param/" + k, 0, v.detach().clone()) for k, v in p.items()]

    loss, logits = ref.loss_of(SHAPE, p, windows)
    loss.backward()
    entries += [("logits", 0, logits.detach()), ("loss", 2, torch.tensor([loss.item()], dtype=torch.float64))]
    entries += [("grad/" + k, 0, v.grad.detach().clone()) for k, v in p.items()]
    for v in p.values():
        v.grad = None

    opt = ref.adamw(p, OPT)
    losses = []
    for s in range(5):
        for g in opt.param_groups:
            g["lr"] = ref.lr_at(OPT, s)
        opt.zero_grad(set_to_none=True)
        loss, _ = ref.loss_of(SHAPE, p, windows)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), OPT["clip"])
        opt.step()
        losses.append(loss.item())
    entries.append(("train_losses", 2, torch.tensor(losses, dtype=torch.float64)))
    entries.append(("optimizer", 2, torch.tensor([OPT[k] for k in
                    ("max_lr", "min_lr", "warmup", "total", "weight_decay", "beta1", "beta2", "eps", "clip")],
                    dtype=torch.float64)))

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION, len(entries)))
        for name, dtype, value in entries:
            raw = name.encode()
            f.write(struct.pack("<I", len(raw)) + raw)
            if dtype == 3:
                f.write(struct.pack("<IIq", 3, 1, len(value)) + value)
                continue
            f.write(struct.pack("<II", dtype, value.dim()) + struct.pack(f"<{value.dim()}q", *value.shape))
            np_dtype = {0: torch.float32, 1: torch.int32, 2: torch.float64}[dtype]
            f.write(value.to(np_dtype).contiguous().numpy().tobytes())
    os.replace(tmp, path)
    print(f"wrote {path}: loss {losses[0]:.6f} -> {losses[-1]:.6f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt_neox_tiny.golden"))
