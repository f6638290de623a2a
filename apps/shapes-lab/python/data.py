"""Reading what the TypeScript side wrote: world images + COCO annotations, LLaVA records, eval items."""

import json
import os
from collections import defaultdict

import numpy as np
import torch
from PIL import Image

from model import CLIP_MEAN, CLIP_STD

# LLaVA's llava_v1 conversation template (llava/conversation.py conv_llava_v1; FORMATS.md 3).
SYSTEM = ("A chat between a curious human and an artificial intelligence assistant. "
          "The assistant gives helpful, detailed, and polite answers to the human's questions.")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_images(world, file_names):
    """uint8 tensor [n, 3, H, W] of the named images (relative to world/images)."""
    arrs = [np.asarray(Image.open(os.path.join(world, "images", f)).convert("RGB")) for f in file_names]
    return torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).contiguous()


def normalise(images_u8):
    """CLIPImageProcessor's rescale + normalise (resize and crop are identities at the native 64 px)."""
    x = images_u8.float() / 255.0
    mean = torch.tensor(CLIP_MEAN)[None, :, None, None]
    std = torch.tensor(CLIP_STD)[None, :, None, None]
    return (x - mean) / std


def patch_targets(instances, file_index, grid, size):
    """Stage 0 labels per patch: category id (0 = background) of the object whose box holds the patch centre,
    and that object's box (x1, y1, x2, y2) / size."""
    n = len(file_index)
    cls = torch.zeros(n, grid, grid, dtype=torch.long)
    box = torch.zeros(n, grid, grid, 4)
    by_image = {img["id"]: file_index[img["file_name"]] for img in instances["images"] if img["file_name"] in file_index}
    step = size / grid
    centres = [(k + 0.5) * step for k in range(grid)]
    for a in instances["annotations"]:
        i = by_image.get(a["image_id"])
        if i is None:
            continue
        x, y, w, h = a["bbox"]
        for r, cy in enumerate(centres):
            if not (y <= cy <= y + h):
                continue
            for c, cx in enumerate(centres):
                if x <= cx <= x + w:
                    cls[i, r, c] = a["category_id"]
                    box[i, r, c] = torch.tensor([x, y, x + w, y + h]) / size
    return cls.view(n, -1), box.view(n, -1, 4)


def scene_targets(instances, file_index, num_categories, bins, size, flip_x=False, flip_y=False):
    """Stage 0 scene-table labels per image: which categories are present (multi-hot) and, for each category with
    exactly one instance, its box as coordinate bins (floor(bins * x / size)); -100 where there is no single box."""
    n = len(file_index)
    present = torch.zeros(n, num_categories)
    count = torch.zeros(n, num_categories, dtype=torch.long)
    box_bins = torch.full((n, num_categories, 4), -100, dtype=torch.long)
    by_image = {img["id"]: file_index[img["file_name"]] for img in instances["images"] if img["file_name"] in file_index}
    for a in instances["annotations"]:
        i = by_image.get(a["image_id"])
        if i is None:
            continue
        k = a["category_id"] - 1
        x, y, w, h = a["bbox"]
        if flip_x:
            x = size - x - w
        if flip_y:
            y = size - y - h
        present[i, k] = 1
        count[i, k] += 1
        box_bins[i, k] = torch.tensor([min(bins - 1, int(bins * v / size)) for v in (x, y, x + w, y + h)])
    box_bins[count != 1] = -100
    return present, box_bins


class Conversations:
    """Token ids of LLaVA records, grouped by image, assembled into (multi-turn) llava_v1 sequences.

    Sequence = <s> SYSTEM USER: <image>x16 \\n Q1 ASSISTANT: A1</s>USER: Q2 ASSISTANT: A2</s>...
    built piecewise so the ids equal tokenizer.json's encoding of the whole rendered text; the loss covers the
    answers and their </s> only.
    """

    def __init__(self, records, tok, n_image_tokens, file_index):
        self.tok = tok
        self.n_image = n_image_tokens
        self.prefix = tok.encode(SYSTEM + " USER: ", add_bos=True)
        self.by_image = defaultdict(list)
        for r in records:
            conv = r["conversations"]
            for k in range(0, len(conv) - 1, 2):
                q = conv[k]["value"].replace("<image>\n", "").replace("<image>", "")
                a = conv[k + 1]["value"]
                kind = r["id"].split(":")[-1]
                self.by_image[file_index[r["image"]]].append((
                    kind,
                    tok.encode("\n" + q + " ASSISTANT:", add_bos=False),
                    tok.encode("USER: " + q + " ASSISTANT:", add_bos=False),
                    tok.encode_continuation(" " + a) + [2],
                ))
        self.images = sorted(self.by_image)

    def prompt_ids(self, question):
        """Inference prompt for a first-turn question (what the runtime renders for one user message)."""
        return self.prefix + [self.tok.image_id] * self.n_image + self.tok.encode(
            "\n" + question + " ASSISTANT:", add_bos=False)

    def sequence(self, image, turns):
        ids = self.prefix + [self.tok.image_id] * self.n_image
        labels = [-100] * len(ids)
        for k, (_, q_first, q_next, a) in enumerate(turns):
            q = q_first if k == 0 else q_next
            ids = ids + q + a
            labels = labels + [-100] * len(q) + a
        return ids, labels


def collate(seqs, pad_id):
    """Right-padded batch: ids, labels (next-token targets aligned to ids), attention mask."""
    n = max(len(s[0]) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    labels = torch.full((len(seqs), n), -100, dtype=torch.long)
    mask = torch.zeros(len(seqs), n, dtype=torch.long)
    for i, (s, l) in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        labels[i, :len(l)] = torch.tensor(l)
        mask[i, :len(s)] = 1
    return ids, labels, mask
