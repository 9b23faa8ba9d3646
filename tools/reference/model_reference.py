"""PyTorch reference of SingleStreamDiTV2, written from SPEC section 2 (dev-only).

Module and parameter names follow the original project's state dict
(x_embedder, text_embedder, t_embedder.{0,2}, blocks.{i}.{qkv,proj,mlp.{0,2},adaLN_modulation.1},
final_layer), so checkpoints are exchangeable. The text length is taken from the text input
instead of the original's literal 256.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

ROPE_BASE = 10000.0


def rope_2d(grid_h, grid_w, head_dim):
    """cos, sin of [grid_h * grid_w, head_dim / 2]: concat(row * inv_freq, col * inv_freq)."""
    inv_freq = 1.0 / (ROPE_BASE ** (torch.arange(0, head_dim, 4).float() / head_dim))
    rows = torch.arange(grid_h).repeat_interleave(grid_w).float()[:, None]
    cols = torch.arange(grid_w).repeat(grid_h).float()[:, None]
    angles = torch.cat([rows * inv_freq, cols * inv_freq], dim=-1)
    return angles.cos(), angles.sin()


def rotate_split_half(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def timestep_features(t, dim=256):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half).float() / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([args.cos(), args.sin()], dim=-1)


class Block(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(hidden, 4 * hidden), nn.GELU(approximate="tanh"), nn.Linear(4 * hidden, hidden))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 6 * hidden))

    def forward(self, x, c, cos, sin, text_len):
        b, n, d = x.shape
        head_dim = d // self.heads
        shift1, scale1, gate1, shift2, scale2, gate2 = self.adaLN_modulation(c)[:, None, :].chunk(6, dim=-1)
        h = self.norm1(x) * (1 + scale1) + shift1
        q, k, v = self.qkv(h).view(b, n, 3, self.heads, head_dim).unbind(dim=2)  # each [B, N, heads, hd]
        rope_cos, rope_sin = cos[None, :, None, :], sin[None, :, None, :]
        q = torch.cat([q[:, :text_len], rotate_split_half(q[:, text_len:], rope_cos, rope_sin)], dim=1)
        k = torch.cat([k[:, :text_len], rotate_split_half(k[:, text_len:], rope_cos, rope_sin)], dim=1)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))  # [B, heads, N, hd]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, d)
        x = x + gate1 * self.proj(attended)
        h = self.norm2(x) * (1 + scale2) + shift2
        return x + gate2 * self.mlp(h)


class SingleStreamDiTV2(nn.Module):
    def __init__(self, in_channels=4, patch_size=2, hidden_size=1024, depth=12, num_heads=16, text_embed_dim=1152, text_length=256):
        super().__init__()
        self.patch_size = patch_size
        self.num_heads = num_heads
        self.text_length = text_length
        patch_dim = in_channels * patch_size * patch_size
        self.x_embedder = nn.Linear(patch_dim, hidden_size)
        self.text_embedder = nn.Linear(text_embed_dim, hidden_size)
        self.t_embedder = nn.Sequential(nn.Linear(256, hidden_size), nn.SiLU(), nn.Linear(hidden_size, hidden_size))
        self.blocks = nn.ModuleList([Block(hidden_size, num_heads) for _ in range(depth)])
        self.final_layer = nn.Linear(hidden_size, patch_dim)
        self.initialize_weights()

    def initialize_weights(self):
        for layer in (self.x_embedder, self.text_embedder, self.t_embedder[0], self.t_embedder[2]):
            nn.init.normal_(layer.weight, std=0.02)
        nn.init.zeros_(self.final_layer.weight)
        nn.init.zeros_(self.final_layer.bias)
        for block in self.blocks:
            nn.init.zeros_(block.adaLN_modulation[1].weight)
            nn.init.zeros_(block.adaLN_modulation[1].bias)

    def forward(self, x, t, text):
        b, c, height, width = x.shape
        p = self.patch_size
        gh, gw = height // p, width // p
        assert text.shape[1] == self.text_length, "text length must equal config text_length"
        # Patches flattened channel-major (c, py, px), tokens row-major over the grid.
        patches = x.reshape(b, c, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c * p * p)
        tokens = torch.cat([self.text_embedder(text), self.x_embedder(patches)], dim=1)
        cond = self.t_embedder(timestep_features(t))
        cos, sin = rope_2d(gh, gw, tokens.shape[-1] // self.num_heads)
        for block in self.blocks:
            tokens = block(tokens, cond, cos, sin, self.text_length)
        out = self.final_layer(tokens[:, self.text_length:])
        return out.reshape(b, gh, gw, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, c, height, width)


def randomize(model, generator):
    """Non-zero weights everywhere (adaLN and final layer included), scaled so activations stay
    O(1) through the blocks: the fixtures' and the GPU correctness check's test models."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p.shape[1] if p.dim() == 2 else 16
            std = 1.0 / math.sqrt(fan_in)
            if "adaLN_modulation" in name:
                std *= 0.5
            p.copy_(torch.randn(p.shape, generator=generator) * std)
