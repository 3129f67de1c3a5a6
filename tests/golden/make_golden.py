#!/usr/bin/python3
"""Writes the golden file the native and Java tests check the engine against.

An independent GPT-NeoX (Pythia) written here from the architecture with plain PyTorch ops -- parallel
residual, fused QKV laid out per head as [q|k|v], rotary embeddings on rotary_pct of each head, GELU MLP,
untied embeddings -- with random weights and fixed tokens. Recorded: every parameter, logits, the mean
loss, every parameter's gradient, and the losses of 5 AdamW steps (decay on matrices only, warmup +
cosine schedule, global-norm clipping).

Regenerate (Debian's python3-torch):   /usr/bin/python3 tests/golden/make_golden.py tests/golden/gpt_neox_tiny.golden

File layout (little-endian): magic b"ACODMGLD", uint32 version (1), uint32 entry count, then per entry:
uint32 name length, name (UTF-8), uint32 dtype (0 float32, 1 int32, 2 float64, 3 UTF-8 text),
uint32 ndim, int64 dims[ndim], raw values.
"""
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

MAGIC = b"ACODMGLD"
VERSION = 1

# Must match the engine's named config "tiny" (native/src/config.cpp).
LAYERS, D, HEADS, VOCAB, SEQ = 2, 64, 4, 384, 64
ROTARY_PCT, ROTARY_BASE, LN_EPS = 0.25, 10000.0, 1e-5
BATCH, T = 4, 32
OPT = dict(max_lr=1e-3, min_lr=1e-4, warmup=2, total=5, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8, clip=1.0)
CONFIG = "tiny"


def parameters(gen):
    small = math.sqrt(2.0 / (5.0 * D))
    wang = 2.0 / (LAYERS * math.sqrt(D))
    # Non-trivial LayerNorm affine parameters and biases so their gradients and use are exercised too.
    def normal(*shape, std):
        return torch.randn(*shape, generator=gen) * std
    p = {"gpt_neox.embed_in.weight": normal(VOCAB, D, std=small)}
    for i in range(LAYERS):
        pre = f"gpt_neox.layers.{i}."
        p[pre + "input_layernorm.weight"] = 1.0 + normal(D, std=0.1)
        p[pre + "input_layernorm.bias"] = normal(D, std=0.1)
        p[pre + "post_attention_layernorm.weight"] = 1.0 + normal(D, std=0.1)
        p[pre + "post_attention_layernorm.bias"] = normal(D, std=0.1)
        p[pre + "attention.query_key_value.weight"] = normal(3 * D, D, std=small)
        p[pre + "attention.query_key_value.bias"] = normal(3 * D, std=0.02)
        p[pre + "attention.dense.weight"] = normal(D, D, std=wang)
        p[pre + "attention.dense.bias"] = normal(D, std=0.02)
        p[pre + "mlp.dense_h_to_4h.weight"] = normal(4 * D, D, std=small)
        p[pre + "mlp.dense_h_to_4h.bias"] = normal(4 * D, std=0.02)
        p[pre + "mlp.dense_4h_to_h.weight"] = normal(D, 4 * D, std=wang)
        p[pre + "mlp.dense_4h_to_h.bias"] = normal(D, std=0.02)
    p["gpt_neox.final_layer_norm.weight"] = 1.0 + normal(D, std=0.1)
    p["gpt_neox.final_layer_norm.bias"] = normal(D, std=0.1)
    p["embed_out.weight"] = normal(VOCAB, D, std=small)
    return {k: v.float().requires_grad_(True) for k, v in p.items()}


def rotary(x, n):
    hs = x.shape[-1]
    rd = int(hs * ROTARY_PCT)
    rd -= rd % 2
    inv = 1.0 / (ROTARY_BASE ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    ang = torch.outer(torch.arange(n, dtype=torch.float64), inv)
    cos = torch.cat([ang, ang], -1).cos().float()
    sin = torch.cat([ang, ang], -1).sin().float()
    rot, rest = x[..., :rd], x[..., rd:]
    half = rd // 2
    rotated = torch.cat([-rot[..., half:], rot[..., :half]], -1)
    return torch.cat([rot * cos + rotated * sin, rest], -1)


def forward(p, tokens):
    b, n = tokens.shape
    hs = D // HEADS
    x = p["gpt_neox.embed_in.weight"][tokens]
    mask = torch.ones(n, n, dtype=torch.bool).triu(1)
    for i in range(LAYERS):
        pre = f"gpt_neox.layers.{i}."
        h1 = F.layer_norm(x, (D,), p[pre + "input_layernorm.weight"], p[pre + "input_layernorm.bias"], LN_EPS)
        h2 = F.layer_norm(x, (D,), p[pre + "post_attention_layernorm.weight"], p[pre + "post_attention_layernorm.bias"], LN_EPS)
        qkv = F.linear(h1, p[pre + "attention.query_key_value.weight"], p[pre + "attention.query_key_value.bias"])
        qkv = qkv.view(b, n, HEADS, 3 * hs).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hs], qkv[..., hs:2 * hs], qkv[..., 2 * hs:]
        q, k = rotary(q, n), rotary(k, n)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        ctx = (att @ v).permute(0, 2, 1, 3).reshape(b, n, D)
        attn = F.linear(ctx, p[pre + "attention.dense.weight"], p[pre + "attention.dense.bias"])
        mlp = F.linear(F.gelu(F.linear(h2, p[pre + "mlp.dense_h_to_4h.weight"], p[pre + "mlp.dense_h_to_4h.bias"])),
                       p[pre + "mlp.dense_4h_to_h.weight"], p[pre + "mlp.dense_4h_to_h.bias"])
        x = x + attn + mlp
    x = F.layer_norm(x, (D,), p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], LN_EPS)
    return F.linear(x, p["embed_out.weight"])


def loss_of(p, windows):
    logits = forward(p, windows[:, :-1])
    return F.cross_entropy(logits.reshape(-1, VOCAB), windows[:, 1:].reshape(-1)), logits


def lr_at(s):
    if OPT["warmup"] > 0 and s < OPT["warmup"]:
        return OPT["max_lr"] * (s + 1) / OPT["warmup"]
    progress = min(1.0, (s - OPT["warmup"]) / max(1, OPT["total"] - OPT["warmup"]))
    return OPT["min_lr"] + 0.5 * (OPT["max_lr"] - OPT["min_lr"]) * (1 + math.cos(math.pi * progress))


def main(path):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20261129)
    p = parameters(gen)
    # Tokens from the whole padded vocabulary (the engine accepts any id below the padded size).
    windows = torch.randint(0, VOCAB, (BATCH, T + 1), generator=gen)
    entries = [("config", 3, CONFIG.encode()), ("tokens", 1, windows.int())]
    entries += [("param/" + k, 0, v.detach().clone()) for k, v in p.items()]

    loss, logits = loss_of(p, windows)
    loss.backward()
    entries += [("logits", 0, logits.detach()), ("loss", 2, torch.tensor([loss.item()], dtype=torch.float64))]
    entries += [("grad/" + k, 0, v.grad.detach().clone()) for k, v in p.items()]
    for v in p.values():
        v.grad = None

    decay = [v for v in p.values() if v.dim() >= 2]
    no_decay = [v for v in p.values() if v.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": OPT["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=OPT["max_lr"], betas=(OPT["beta1"], OPT["beta2"]), eps=OPT["eps"], foreach=False)
    losses = []
    for s in range(5):
        for g in opt.param_groups:
            g["lr"] = lr_at(s)
        opt.zero_grad(set_to_none=True)
        loss, _ = loss_of(p, windows)
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
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "gpt_neox_tiny.golden"))
