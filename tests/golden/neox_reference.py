"""An independent GPT-NeoX (Pythia) in plain PyTorch ops, written from the architecture: parallel residual,
fused QKV laid out per head as [q|k|v], rotary embeddings on rotary_pct of each head's dims, GELU MLP,
untied input/output embeddings. Used to write golden files and as the PyTorch side of benchmarks."""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Shape:
    layers: int
    d: int
    heads: int
    vocab: int
    seq: int
    rotary_pct: float = 0.25
    rotary_base: float = 10000.0
    ln_eps: float = 1e-5


def parameters(s, gen, perturb_norms=True):
    """GPT-NeoX init (small_init / wang_init). With perturb_norms the LayerNorm affine parameters and
    biases get random values too, so tests exercise their use and gradients."""
    small = math.sqrt(2.0 / (5.0 * s.d))
    wang = 2.0 / (s.layers * math.sqrt(s.d))
    d = s.d

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    def ones(n):
        return 1.0 + normal(n, std=0.1) if perturb_norms else torch.ones(n)

    def bias(n, std):
        return normal(n, std=std) if perturb_norms else torch.zeros(n)

    p = {"gpt_neox.embed_in.weight": normal(s.vocab, d, std=small)}
    for i in range(s.layers):
        pre = f"gpt_neox.layers.{i}."
        p[pre + "input_layernorm.weight"] = ones(d)
        p[pre + "input_layernorm.bias"] = bias(d, 0.1)
        p[pre + "post_attention_layernorm.weight"] = ones(d)
        p[pre + "post_attention_layernorm.bias"] = bias(d, 0.1)
        p[pre + "attention.query_key_value.weight"] = normal(3 * d, d, std=small)
        p[pre + "attention.query_key_value.bias"] = bias(3 * d, 0.02)
        p[pre + "attention.dense.weight"] = normal(d, d, std=wang)
        p[pre + "attention.dense.bias"] = bias(d, 0.02)
        p[pre + "mlp.dense_h_to_4h.weight"] = normal(4 * d, d, std=small)
        p[pre + "mlp.dense_h_to_4h.bias"] = bias(4 * d, 0.02)
        p[pre + "mlp.dense_4h_to_h.weight"] = normal(d, 4 * d, std=wang)
        p[pre + "mlp.dense_4h_to_h.bias"] = bias(d, 0.02)
    p["gpt_neox.final_layer_norm.weight"] = ones(d)
    p["gpt_neox.final_layer_norm.bias"] = bias(d, 0.1)
    p["embed_out.weight"] = normal(s.vocab, d, std=small)
    return {k: v.float().requires_grad_(True) for k, v in p.items()}


def rotary_tables(s, n):
    hs = s.d // s.heads
    rd = int(hs * s.rotary_pct)
    rd -= rd % 2
    inv = 1.0 / (s.rotary_base ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    ang = torch.outer(torch.arange(n, dtype=torch.float64), inv)
    return rd, torch.cat([ang, ang], -1).cos().float(), torch.cat([ang, ang], -1).sin().float()


def rotary(x, rd, cos, sin):
    rot, rest = x[..., :rd], x[..., rd:]
    half = rd // 2
    rotated = torch.cat([-rot[..., half:], rot[..., :half]], -1)
    return torch.cat([rot * cos + rotated * sin, rest], -1)


def forward(s, p, tokens):
    b, n = tokens.shape
    d, hs = s.d, s.d // s.heads
    rd, cos, sin = rotary_tables(s, n)
    x = p["gpt_neox.embed_in.weight"][tokens]
    mask = torch.ones(n, n, dtype=torch.bool).triu(1)
    for i in range(s.layers):
        pre = f"gpt_neox.layers.{i}."
        h1 = F.layer_norm(x, (d,), p[pre + "input_layernorm.weight"], p[pre + "input_layernorm.bias"], s.ln_eps)
        h2 = F.layer_norm(x, (d,), p[pre + "post_attention_layernorm.weight"], p[pre + "post_attention_layernorm.bias"], s.ln_eps)
        qkv = F.linear(h1, p[pre + "attention.query_key_value.weight"], p[pre + "attention.query_key_value.bias"])
        qkv = qkv.view(b, n, s.heads, 3 * hs).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hs], qkv[..., hs:2 * hs], qkv[..., 2 * hs:]
        q, k = rotary(q, rd, cos, sin), rotary(k, rd, cos, sin)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        ctx = (att @ v).permute(0, 2, 1, 3).reshape(b, n, d)
        attn = F.linear(ctx, p[pre + "attention.dense.weight"], p[pre + "attention.dense.bias"])
        mlp = F.linear(F.gelu(F.linear(h2, p[pre + "mlp.dense_h_to_4h.weight"], p[pre + "mlp.dense_h_to_4h.bias"])),
                       p[pre + "mlp.dense_4h_to_h.weight"], p[pre + "mlp.dense_4h_to_h.bias"])
        x = x + attn + mlp
    x = F.layer_norm(x, (d,), p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], s.ln_eps)
    return F.linear(x, p["embed_out.weight"])


def loss_of(s, p, windows):
    logits = forward(s, p, windows[:, :-1])
    return F.cross_entropy(logits.reshape(-1, s.vocab), windows[:, 1:].reshape(-1)), logits


def lr_at(opt, step):
    """Linear warmup to max_lr, then cosine to min_lr (the engine's schedule)."""
    if opt["warmup"] > 0 and step < opt["warmup"]:
        return opt["max_lr"] * (step + 1) / opt["warmup"]
    progress = min(1.0, (step - opt["warmup"]) / max(1, opt["total"] - opt["warmup"]))
    return opt["min_lr"] + 0.5 * (opt["max_lr"] - opt["min_lr"]) * (1 + math.cos(math.pi * progress))


def adamw(p, opt):
    """torch.optim.AdamW with decay on matrices only, as the engine."""
    decay = [v for v in p.values() if v.dim() >= 2]
    no_decay = [v for v in p.values() if v.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": opt["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=opt["max_lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"], foreach=False)
