#!/usr/bin/python3
"""Makes Llama-architecture test models with Debian's torch and exports them to ONNX.

  make_llama.py --config tiny|small|h768|big --mode prefill|decode --out DIR [--seed S]
      [--train FILE... --steps N] [--text FILE --windows N] [--outliers FACTOR]

The model is written from scratch (no transformers package): RMSNorm (decomposed
the way torch exports it), rotary position embedding, grouped-query attention with
a causal mask, SwiGLU MLP, tied-free output head. `prefill` takes input_ids [1, S]
and returns logits [1, S, V]; `decode` takes one token plus past keys/values of a
fixed length and returns logits and the updated keys/values. DIR receives
model.onnx, inputs as input_<i>.npy (signature order) and torch's outputs as
expected_<i>.npy, so any runtime can be compared with torch. With --text
(prefill), torch's perplexity on the first N windows of the file's byte-level
tokens (byte mod vocab) goes to DIR/perplexity.txt: the reference for
lbc-eval --text. With --train, the model first learns next-byte prediction
on the files (Adam, seeded batches of random windows, one thread: the same
weights on every run of the same torch), so that quantization shows up as a
perplexity change as it would on a real model; random weights alone give a
perplexity near the vocabulary size whatever the recipe.
"""

import argparse
import math
import os

import numpy as np
import torch
from torch import nn

CONFIGS = {
    # hidden, heads, kv heads, intermediate, layers, vocab, sequence
    "tiny": dict(hidden=64, heads=4, kv_heads=2, intermediate=172, layers=2, vocab=128, seq=16),
    # Trained on text (--train): wide enough for K-quant super-blocks (768 = 3 x 256).
    "small": dict(hidden=256, heads=4, kv_heads=2, intermediate=768, layers=2, vocab=128, seq=32),
    # Hadamard size of 768 is 12 * 64: not a power of two.
    "h768": dict(hidden=768, heads=12, kv_heads=4, intermediate=2048, layers=1, vocab=256, seq=8),
    # Big enough to be memory-bound when decoding (~1.1 GB of FP32 weights).
    "big": dict(hidden=2048, heads=16, kv_heads=4, intermediate=5632, layers=6, vocab=8192, seq=8),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim) + 0.1 * torch.randn(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c["heads"], c["kv_heads"]
        self.head_dim = c["hidden"] // c["heads"]
        self.q_proj = nn.Linear(c["hidden"], self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(c["hidden"], self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(c["hidden"], self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c["hidden"], bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        rep = self.heads // self.kv_heads
        total = k.shape[2]
        k = k[:, :, None].expand(b, self.kv_heads, rep, total, self.head_dim)
        k = k.reshape(b, self.heads, total, self.head_dim)
        v = v[:, :, None].expand(b, self.kv_heads, rep, total, self.head_dim)
        v = v.reshape(b, self.heads, total, self.head_dim)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim) + mask
        out = torch.softmax(scores, dim=-1) @ v
        out = out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.o_proj(out), present_k, present_v


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.up_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.down_proj = nn.Linear(c["intermediate"], c["hidden"], bias=False)

    def forward(self, x):
        gate = self.gate_proj(x)
        return self.down_proj(gate * torch.sigmoid(gate) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        attn, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + attn
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([Block(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["hidden"])
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        head_dim = c["hidden"] // c["heads"]
        positions = torch.arange(4 * c["seq"], dtype=torch.float32)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        angles = torch.outer(positions, inv_freq)
        self.register_buffer("cos_table", torch.cat([angles, angles], -1).cos())
        self.register_buffer("sin_table", torch.cat([angles, angles], -1).sin())

    def rope(self, start, length):
        return (self.cos_table[start:start + length][None, None],
                self.sin_table[start:start + length][None, None])

    def prefill(self, input_ids):
        s = input_ids.shape[1]
        cos, sin = self.rope(0, s)
        mask = torch.triu(torch.full((s, s), -1e9), diagonal=1)[None, None]
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x, _, _ = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))

    def decode(self, input_ids, past_keys, past_values):
        past = past_keys.shape[3]
        cos, sin = self.rope(past, 1)
        mask = torch.zeros(1, 1, 1, past + 1)
        x = self.embed_tokens(input_ids)
        keys, values = [], []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, mask, past_keys[i], past_values[i])
            keys.append(k)
            values.append(v)
        return self.lm_head(self.norm(x)), torch.stack(keys), torch.stack(values)


def byte_tokens(paths, vocab):
    """The files' bytes as token ids (byte mod vocab)."""
    data = b"".join(open(path, "rb").read() for path in paths)
    return torch.tensor(list(data), dtype=torch.int64) % vocab


def train(model, c, paths, steps, seed):
    """Next-byte prediction on the files: Adam, batches of 32 random windows."""
    torch.set_num_threads(1)
    tokens = byte_tokens(paths, c["vocab"])
    generator = torch.Generator().manual_seed(seed + 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    seq = c["seq"]
    for step in range(steps):
        starts = torch.randint(0, len(tokens) - seq, (32,), generator=generator)
        batch = torch.stack([tokens[s:s + seq] for s in starts.tolist()])
        logits = model.prefill(batch)[:, :-1]
        loss = nn.functional.cross_entropy(logits.reshape(-1, c["vocab"]),
                                           batch[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"trained {steps} steps on {len(tokens)} bytes: last batch loss {loss.item():.3f}")


def plant_outliers(model, c, factor, seed):
    """Activation outliers by an exact rescaling, as real LLMs have them.

    In every block, a few channels (1%, at least 2) of each RMSNorm's output get
    their norm weight multiplied by `factor` and the columns of the linears
    reading them (q/k/v, gate/up) divided by it; a few intermediate channels
    get up_proj's rows multiplied and down_proj's columns divided. The function
    is unchanged (up to float rounding) while those linear inputs carry
    channels `factor` times larger than the rest: what smoothing and
    rotation are for.
    """
    generator = torch.Generator().manual_seed(seed + 3)

    def channels(n):
        return torch.randperm(n, generator=generator)[:max(2, n // 100)]

    with torch.no_grad():
        for block in model.layers:
            attention, mlp = block.self_attn, block.mlp
            for norm, readers in [(block.input_layernorm,
                                   [attention.q_proj, attention.k_proj, attention.v_proj]),
                                  (block.post_attention_layernorm, [mlp.gate_proj, mlp.up_proj])]:
                picked = channels(c["hidden"])
                norm.weight[picked] *= factor
                for linear in readers:
                    linear.weight[:, picked] /= factor
            picked = channels(c["intermediate"])
            mlp.up_proj.weight[picked, :] *= factor
            mlp.down_proj.weight[:, picked] /= factor


class Exported(nn.Module):
    def __init__(self, model, mode):
        super().__init__()
        self.model, self.mode = model, mode

    def forward(self, *args):
        return self.model.prefill(*args) if self.mode == "prefill" else self.model.decode(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="tiny")
    parser.add_argument("--mode", choices=["prefill", "decode"], default="prefill")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dynamic", action="store_true",
                        help="export the sequence (prefill) or past length (decode) as a named "
                             "dynamic dim instead of a fixed one")
    parser.add_argument("--train", nargs="+", help="text files to train on (byte-level)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--text", help="text file: write torch's byte-level perplexity")
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--outliers", type=float, default=0.0,
                        help="plant activation outliers this many times larger than the "
                             "other channels by an exact rescaling (e.g. 50)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    c = CONFIGS[args.config]
    model = Llama(c)
    if args.train:
        train(model, c, args.train, args.steps, args.seed)
    if args.outliers:
        plant_outliers(model, c, args.outliers, args.seed)
    model.eval()
    generator = torch.Generator().manual_seed(args.seed + 1)
    head_dim = c["hidden"] // c["heads"]
    if args.mode == "prefill":
        inputs = (torch.randint(0, c["vocab"], (1, c["seq"]), generator=generator),)
        input_names, output_names = ["input_ids"], ["logits"]
        dynamic_axes = {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    else:
        past = c["seq"] - 1
        shape = (c["layers"], 1, c["kv_heads"], past, head_dim)
        inputs = (torch.randint(0, c["vocab"], (1, 1), generator=generator),
                  torch.randn(shape, generator=generator),
                  torch.randn(shape, generator=generator))
        input_names = ["input_ids", "past_keys", "past_values"]
        output_names = ["logits", "present_keys", "present_values"]
        dynamic_axes = {"past_keys": {3: "past"}, "past_values": {3: "past"},
                        "present_keys": {3: "total"}, "present_values": {3: "total"}}
    exported = Exported(model, args.mode).eval()
    with torch.no_grad():
        outputs = exported(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        torch.onnx.export(exported, inputs, os.path.join(args.out, "model.onnx"),
                          input_names=input_names, output_names=output_names,
                          opset_version=17, do_constant_folding=True,
                          dynamic_axes=dynamic_axes if args.dynamic else None)
    for i, tensor in enumerate(inputs):
        np.save(os.path.join(args.out, f"input_{i}.npy"), tensor.numpy())
    for i, tensor in enumerate(outputs):
        np.save(os.path.join(args.out, f"expected_{i}.npy"), tensor.numpy())
    if args.text and args.mode == "prefill":
        tokens = byte_tokens([args.text], c["vocab"])
        total, count = 0.0, 0
        with torch.no_grad():
            for w in range(args.windows):
                window = tokens[w * c["seq"]:(w + 1) * c["seq"]].reshape(1, -1)
                logits = exported(window).double()[0, :-1]
                total += float(nn.functional.cross_entropy(logits, window[0, 1:],
                                                           reduction="sum"))
                count += c["seq"] - 1
        with open(os.path.join(args.out, "perplexity.txt"), "w") as f:
            f.write(f"{math.exp(total / count):.6f}\n")
    print(f"wrote {args.config} {args.mode} model to {args.out}")


if __name__ == "__main__":
    main()
