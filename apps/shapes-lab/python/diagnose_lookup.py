#!/usr/bin/python3
"""Where the decoder looks when asked whether an object is there: the last layer's attention (mean over heads) at the
first answer position of presence questions, split by what else the scene holds.

    /usr/bin/python3 apps/shapes-lab/python/diagnose_lookup.py --work .tmp/run --world .tmp/world --data .tmp/data

For each group (the object present or absent; another object sharing its colour and/or shape in the scene): the
attention mass on the prompt's own tokens ("nothing there"), on the asked object's image tokens, and on the tokens of
objects sharing an attribute with it, and the share of correct yes/no answers. A lookup that matches on one attribute
only shows up as mass on the look-alikes (README section 6).
"""

import argparse
import os
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import model as M  # noqa: E402
from train import attention_probs, encode_all, load_trained, object_blocks  # noqa: E402

QUESTION = ("Is there a ", " in the image?")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, help="train.py --work folder (tokenizer.json, stage0.pt)")
    ap.add_argument("--weights", help="language-model weights (default: WORK/stage2.pt)")
    ap.add_argument("--world", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=200, help="presence questions to read")
    args = ap.parse_args()
    torch.set_num_threads(1)
    c, tok, enc, lm = load_trained(args.work, args.weights)
    conv = D.Conversations([], tok, M.image_tokens(c), {})
    items = [it for it in D.load_json(os.path.join(args.data, f"eval_{args.split}.json"))
             if it["kind"] == "presence" and it["question"].startswith(QUESTION[0])
             and it["question"].endswith(QUESTION[1])][:args.limit]
    if not items:
        sys.exit(f"no presence questions of the form {QUESTION[0]!r}...{QUESTION[1]!r} in eval_{args.split}.json")
    files = sorted({it["image"] for it in items})
    fidx = {f: i for i, f in enumerate(files)}
    instances = D.load_json(os.path.join(args.world, "annotations", f"instances_{args.split}.json"))
    objects = object_blocks(instances, fidx, c)
    with torch.no_grad():
        feats = lm.projector(encode_all(enc, D.load_images(args.world, files)))
    prefix = len(conv.prefix)
    last = lm.decoder.layers[-1]
    seen = {}
    last.register_forward_pre_hook(lambda mod, inputs: seen.__setitem__("args", inputs))
    groups = defaultdict(list)
    for it in items:
        ids = torch.tensor([conv.prompt_ids(it["question"])])
        emb = lm.embed(ids)
        emb[0, prefix:prefix + M.image_tokens(c)] = feats[fidx[it["image"]]]
        with torch.no_grad():
            out = lm.decoder(emb, torch.ones_like(ids), torch.arange(ids.shape[1])[None], *lm.decoder.empty_past(1))
            attn = attention_probs(last, *seen["args"])[0, :, -1].mean(0)  # the first answer token's query
        said_yes = tok.decode([out[0][0, -1].argmax().item()]).strip().startswith("Yes")
        name = it["question"][len(QUESTION[0]):-len(QUESTION[1])]
        colour, shape = name.split(" ", 1)
        found = objects.get(fidx[it["image"]], {})
        others = [n for n in found if n != name]
        same_colour = any(n.split(" ", 1)[0] == colour for n in others)
        same_shape = any(n.split(" ", 1)[1] == shape for n in others)
        exact = set(found.get(name, []))
        alike = {b for n in others if n.startswith(colour + " ") or n.endswith(" " + shape) for b in found[n]} - exact
        image = attn[prefix:prefix + M.image_tokens(c)]
        key = ("present" if name in found else "absent") + (", same colour" if same_colour else "") + (
            ", same shape" if same_shape else "")
        groups[key].append((attn[:prefix].sum().item(), image[sorted(exact)].sum().item() if exact else 0.0,
                            image[sorted(alike)].sum().item() if alike else 0.0, said_yes == (name in found)))
    print(f"{'group':32s} {'n':>4s} {'prompt':>7s} {'object':>7s} {'alike':>7s} {'correct':>8s}")
    for key, rows in sorted(groups.items()):
        n = len(rows)
        mean = [sum(r[k] for r in rows) / n for k in range(4)]
        print(f"{key:32s} {n:4d} {mean[0]:7.2f} {mean[1]:7.2f} {mean[2]:7.2f} {mean[3]:8.2f}")


if __name__ == "__main__":
    main()
