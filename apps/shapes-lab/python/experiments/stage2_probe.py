#!/usr/bin/python3
"""Short stage-2 experiments on frozen stage-0 features, with held-out probes: how fast does the decoder learn to
read the image, and what changes that? (apps/shapes-lab/README.md section 6 lists what was measured with it.)

    /usr/bin/python3 apps/shapes-lab/python/experiments/stage2_probe.py --world .tmp/world --data .tmp/data \\
        --work .tmp/run --fresh --kinds locpred --steps 2000 --every 250 [--attn 1] [--layers 4 --heads 8]

--work holds train.py's stage0.pt and tokenizer.json (`train.py --only-stage0` writes them). Prints one JSON line of
validation metrics (60 items per kind) every --every steps. Nothing here is part of the shipped recipe.
"""

import argparse
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data as D  # noqa: E402
import model as M  # noqa: E402
import train as T  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


class EncoderWithHeadOutputs(torch.nn.Module):
    """--head-features: the stage-0 heads' category probabilities and box appended to each patch's features."""

    def __init__(self, enc, heads):
        super().__init__()
        self.enc, self.heads = enc, heads

    def forward(self, x):
        f = self.enc(x)
        out = self.heads(f)
        return torch.cat([f, torch.softmax(out[0], -1) * 3, out[1] * 3], -1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kinds", default="locpred", help="comma-separated record kinds to train on, or 'all'")
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--turns", type=int, default=1)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--fresh", action="store_true", help="new projector + decoder (else --init from --work)")
    ap.add_argument("--init", default="stage1.pt")
    ap.add_argument("--bins", type=int, default=32)
    ap.add_argument("--merge", type=int, default=2, help="patches per image-token side (1 = 64 image tokens)")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--head-features", action="store_true")
    ap.add_argument("--embed-std", type=float, default=0, help="re-initialise token embeddings N(0, std)")
    ap.add_argument("--linear-std", type=float, default=0, help="re-initialise decoder linears N(0, std)")
    ap.add_argument("--whole-numbers", action="store_true",
                    help="numbers 10..bins-1 become single tokens (BPE merges of their digits), unlike LLaMA's digits")
    ap.add_argument("--attn", type=float, default=0,
                    help="weight of train.py's LocateAttention loss (attention supervision, LocPred answers only here)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    c = dict(M.DEFAULT_CONFIG, bins=a.bins, merge=a.merge, layers=a.layers, heads=a.heads, kv_heads=a.heads)
    tok = Tokenizer.from_json(D.load_json(os.path.join(a.work, "tokenizer.json")))
    if a.whole_numbers:
        vocab, merges = dict(tok.vocab), list(tok.merges)
        for n in range(10, a.bins):
            digits = str(n)
            vocab.setdefault(digits, len(vocab))
            merges.insert(0, (digits[0], digits[1]))
        tok = Tokenizer(vocab, merges)
        assert tok.decode(tok.encode("(1, 15, 10, 24)", add_bos=False)) == "(1, 15, 10, 24)"
    records = D.load_json(os.path.join(a.data, "llava_train.json"))
    files = sorted({r["image"] for r in records})
    fidx = {f: i for i, f in enumerate(files)}
    stage0 = torch.load(os.path.join(a.work, "stage0.pt"))
    enc = M.VisionEncoder(c)
    enc.load_state_dict(stage0["enc"])
    if a.head_features:
        heads = M.PatchHeads(c)
        heads.load_state_dict(stage0["heads"])
        enc = EncoderWithHeadOutputs(enc, heads)
    enc.eval()
    feats = T.encode_all(enc, D.load_images(a.world, files))
    n_image = M.image_tokens(c)
    conv = D.Conversations(records, tok, n_image, fidx)
    lm = T.LanguageModel(c, tok.vocab_size, tok.image_id)
    if a.head_features:
        lm.projector = M.Projector(dict(c, v_hidden=c["v_hidden"] + c["num_classes"] + 4))
    if a.embed_std:
        torch.nn.init.normal_(lm.embed.embed.weight, std=a.embed_std)
    if a.linear_std:
        for mod in lm.decoder.modules():
            if isinstance(mod, torch.nn.Linear):
                torch.nn.init.normal_(mod.weight, std=a.linear_std)
    if not a.fresh:
        lm.load_state_dict(torch.load(os.path.join(a.work, a.init)))

    locate = T.LocateAttention(lm, tok, c, a.bins) if a.attn else None

    kinds = set(a.kinds.split(",")) if a.kinds != "all" else {t[0] for ts in conv.by_image.values() for t in ts}
    items = D.load_json(os.path.join(a.data, "eval_val.json"))
    eval_args = argparse.Namespace(bins=a.bins)
    opt = torch.optim.AdamW(lm.parameters(), lr=a.lr, weight_decay=0.01)
    rng = random.Random(0)
    pool = [i for i in conv.images if any(t[0] in kinds for t in conv.by_image[i])]
    t0 = time.time()
    for step in range(a.steps + 1):
        if step % a.every == 0:
            probe = [it for it in items if it["kind"] in kinds or it["kind"] in ("presence", "locpred", "side")]
            res, _ = T.run_eval(eval_args, c, enc, lm, tok, conv.prompt_ids, a.world, probe, 60)
            res.pop("counts", None)
            print(step, f"{time.time() - t0:.0f}s", json.dumps(res), flush=True)
        if step == a.steps:
            break
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1, (step + 1) / 50)
        loss = T.batch_loss(lm, feats, conv, *T.sample_batch(rng, pool, conv, kinds, a.batch, a.turns), locate, a.attn)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
        opt.step()


if __name__ == "__main__":
    main()
