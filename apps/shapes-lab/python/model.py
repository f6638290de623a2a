"""Tiny LLaVA-architecture model for the shapes world.

vision encoder (conv stem to an 8x8 patch grid, row/column position embeddings, 2 pre-LN transformer layers)
  -> projector (merge 2x2 neighbouring patches into one token: 16 image tokens; mlp2x_gelu)
  -> LLaMA-style decoder (RMSNorm, RoPE, SwiGLU, causal attention with a KV cache).

The decoder (and token embedding) is packages/runtime/fixtures/tiny_llama.py, the same code
make_tiny_llava.py (the runtime's fixture exporter) uses: same parameter names,
`forward(inputs_embeds, attention_mask, position_ids, *past) -> (logits, *present)`, so the ONNX graphs it exports
load in @locvlm/runtime and transformers.js. The vision side differs from that file's
CLIP ViT on purpose: a ViT trained from scratch on 64-px scenes learned nothing of the image here (FORMATS.md 7),
a conv stem with dense per-patch pretraining did.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import runtime_fixtures  # noqa: F401  (sys.path: packages/runtime/fixtures)
from tiny_llama import EmbedTokens, LlamaDecoder, LlamaLayer, RMSNorm, rotate_half  # noqa: E402, F401

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

DEFAULT_CONFIG = dict(
    image_size=64, grid=8, v_hidden=128, v_layers=2, v_heads=4, v_inter=256, merge=2,
    hidden=128, layers=3, heads=4, kv_heads=4, inter=352, max_pos=512, num_classes=21, bins=32,
)


class EncoderLayer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(h)
        self.qkv = nn.Linear(h, 3 * h)
        self.out = nn.Linear(h, h)
        self.norm2 = nn.LayerNorm(h)
        self.fc1 = nn.Linear(h, inter)
        self.fc2 = nn.Linear(inter, h)

    def forward(self, x):
        b, n, h = x.shape
        d = h // self.heads
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(torch.matmul(q, k.transpose(2, 3)) / math.sqrt(d), dim=-1)
        x = x + self.out(torch.matmul(attn, v).transpose(1, 2).reshape(b, n, h))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class VisionEncoder(nn.Module):
    """pixels [b,3,64,64] (CLIP-normalised) -> patch features [b, 64, v_hidden] on an 8x8 grid (row-major)."""

    def __init__(self, c):
        super().__init__()
        h = c["v_hidden"]
        self.grid = c["grid"]
        # 64 -> 32 -> 16 -> 8 -> 8: each patch sees its 8x8 pixels plus context from the 3x3 convolutions.
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.GELU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.GELU(),
            nn.Conv2d(64, h, 3, stride=2, padding=1), nn.BatchNorm2d(h), nn.GELU(),
            nn.Conv2d(h, h, 3, stride=1, padding=1),
        )
        self.row_embed = nn.Parameter(torch.randn(self.grid, h) * 0.02)
        self.col_embed = nn.Parameter(torch.randn(self.grid, h) * 0.02)
        self.layers = nn.ModuleList([EncoderLayer(h, c["v_heads"], c["v_inter"]) for _ in range(c["v_layers"])])
        self.norm = nn.LayerNorm(h)

    def forward(self, pixel_values):
        x = self.stem(pixel_values).flatten(2).transpose(1, 2)  # [b, 64, h], row-major
        g = self.grid
        pos = (self.row_embed[:, None, :] + self.col_embed[None, :, :]).reshape(g * g, -1)
        x = x + pos[None]
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class PatchHeads(nn.Module):
    """Stage 0 only. Per patch: which category covers it (20 + background), its object's box (x1,y1,x2,y2)/size,
    and that box's four coordinate bins (the IVB integers the decoder will have to write). Per 2x2 block of patches
    (one image token's region): the scene table, i.e. which categories are in the scene and each single-instance
    category's box bins."""

    def __init__(self, c):
        super().__init__()
        self.bins, self.grid, self.merge = c["bins"], c["grid"], c["merge"]
        self.cls = nn.Linear(c["v_hidden"], c["num_classes"])
        self.box = nn.Linear(c["v_hidden"], 4)
        self.box_bins = nn.Linear(c["v_hidden"], 4 * c["bins"])
        k = c["num_classes"] - 1
        self.scene_present = nn.Linear(c["v_hidden"], k)
        self.scene_bins = nn.Linear(c["v_hidden"], k * 4 * c["bins"])

    def forward(self, feats):
        b, n, h = feats.shape
        k = self.scene_present.out_features
        # The scene table is asked of each 2x2 block (the region one image token covers), not of every patch.
        g, m = self.grid, self.merge
        blocks = feats.view(b, g // m, m, g // m, m, h).mean((2, 4)).reshape(b, -1, h)
        nb = blocks.shape[1]
        return (self.cls(feats), torch.sigmoid(self.box(feats)), self.box_bins(feats).view(b, n, 4, self.bins),
                self.scene_present(blocks), self.scene_bins(blocks).view(b, nb, k, 4, self.bins))


class Projector(nn.Module):
    """Merge each 2x2 block of patches (concatenated features) into one token, then mlp2x_gelu to the decoder width."""

    def __init__(self, c):
        super().__init__()
        self.grid, self.merge = c["grid"], c["merge"]
        self.fc1 = nn.Linear(c["v_hidden"] * c["merge"] ** 2, c["hidden"])
        self.fc2 = nn.Linear(c["hidden"], c["hidden"])

    def forward(self, feats):
        b, n, h = feats.shape
        g, m = self.grid, self.merge
        x = feats.view(b, g // m, m, g // m, m, h).permute(0, 1, 3, 2, 4, 5).reshape(b, (g // m) ** 2, m * m * h)
        return self.fc2(F.gelu(self.fc1(x)))


class VisionTower(nn.Module):
    """What onnx/vision_encoder.onnx holds: pixel_values -> image_features (projector included)."""

    def __init__(self, encoder, projector):
        super().__init__()
        self.encoder = encoder
        self.projector = projector

    def forward(self, pixel_values):
        return self.projector(self.encoder(pixel_values))


def image_tokens(c):
    return (c["grid"] // c["merge"]) ** 2
