#!/usr/bin/python3
"""Do the frozen stage-0 image tokens hold the boxes? A reader that is told which object is meant (a learned query per
object name, one cross-attention over a fresh projector's image tokens, an MLP to 4 x bins classes) is trained on the
LocPred records and scored on held-out ones. If it learns fast and the decoder does not, the slow part is the
decoder forming that query from the question's words, not the image features.

    /usr/bin/python3 apps/shapes-lab/python/experiments/reader_probe.py --world .tmp/world --data .tmp/data --work .tmp/run
"""

import argparse
import os
import random
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data as D  # noqa: E402
import model as M  # noqa: E402
import train as T  # noqa: E402


class NamedBoxReader(nn.Module):
    def __init__(self, names, hidden, bins):
        super().__init__()
        self.bins = bins
        self.query = nn.Embedding(names, hidden)
        self.attention = nn.MultiheadAttention(hidden, 4, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, 4 * bins))

    def forward(self, image_tokens, name):
        read, _ = self.attention(self.query(name)[:, None], image_tokens, image_tokens)
        return self.mlp(read[:, 0]).view(-1, 4, self.bins)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True, help="holds train.py's stage0.pt")
    ap.add_argument("--bins", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1500)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    c = dict(M.DEFAULT_CONFIG, bins=a.bins)
    records = [r for r in D.load_json(os.path.join(a.data, "llava_train.json")) if r["id"].endswith(":locpred")]
    files = sorted({r["image"] for r in records})
    fidx = {f: i for i, f in enumerate(files)}
    enc = M.VisionEncoder(c)
    enc.load_state_dict(torch.load(os.path.join(a.work, "stage0.pt"))["enc"])
    feats = T.encode_all(enc, D.load_images(a.world, files))
    names, items = {}, []
    for r in records:
        question, answer = r["conversations"][0]["value"], r["conversations"][1]["value"]
        name = re.search(r"described (.*)\?", question).group(1)
        items.append((fidx[r["image"]], names.setdefault(name, len(names)), [int(x) for x in re.findall(r"\d+", answer)]))
    # Held out by scene: the last 10% of images.
    cut = int(len(files) * 0.9)
    train = [it for it in items if it[0] < cut]
    held_out = [it for it in items if it[0] >= cut]
    print(f"{len(train)} training and {len(held_out)} held-out LocPred items, {len(names)} object names", flush=True)
    projector, reader = M.Projector(c), NamedBoxReader(len(names), c["hidden"], a.bins)
    opt = torch.optim.AdamW(list(projector.parameters()) + list(reader.parameters()), lr=1.5e-3)

    def batch(its):
        return (feats[[it[0] for it in its]], torch.tensor([it[1] for it in its]), torch.tensor([it[2] for it in its]))

    rng = random.Random(0)
    t0 = time.time()
    for step in range(a.steps + 1):
        if step % 100 == 0:
            with torch.no_grad():
                f, name, want = batch(held_out[:1000])
                got = reader(projector(f), name).argmax(-1)
                exact = (got == want).float().mean().item()
                within1 = ((got - want).abs() <= 1).all(-1).float().mean().item()
            print(f"{step} {time.time() - t0:.0f}s bins exact {exact:.3f}, all four within one bin {within1:.3f}",
                  flush=True)
        f, name, want = batch(rng.sample(train, 32))
        loss = F.cross_entropy(reader(projector(f), name).reshape(-1, a.bins), want.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
