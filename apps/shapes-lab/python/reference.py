"""reference.json beside an exported model: what the TypeScript tests check the runtime against.

- tokenizer: rendered llava_v1 texts and the ids this trainer gave them (the runtime's @huggingface/tokenizers
  must give the same ids).
- pytorch_answers: greedy answers of the PyTorch model to the first held-out items, for a parity check of the export.
"""

import json
import os

import data as D
import evaluate as E


def write_reference(out, tok, conv_prompt, answers):
    texts = [
        D.SYSTEM + " USER: <image>\nIs there a red circle in the image? ASSISTANT:",
        D.SYSTEM + " USER: <image>\nWhere is the object described blue square located in image in terms of "
                   "(x1,y1,x2,y2) bbox? ASSISTANT:",
        D.SYSTEM + " USER: <image>\nWhich side of the green triangle is the yellow diamond? ASSISTANT: The yellow "
                   "diamond is on the left side of the green triangle.</s>USER: How many shapes are there? ASSISTANT:",
        "It is located at (10, 31, 25, 7)",
        "There is no such object in the image",
        "A small purple square below the blue triangle.",
        "Describe the object located at (3, 1, 13, 10)?",
    ]
    ref = {
        "note": "written by apps/shapes-lab/python/reference.py; ids are the Python trainer's tokenisation",
        "tokenizer": [{"text": t, "ids": tok.encode(t)} for t in texts],
        "pytorch_answers": answers,
    }
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)
        f.write("\n")


def pytorch_answers(enc, lm, tok, conv_prompt, world, items, n=12):
    """Greedy PyTorch answers to the first n items (file order) of the kinds the CI check asks."""
    import torch
    chosen = [it for it in items if it["kind"] in ("locpred", "negpred", "presence", "side")][:n]
    files = sorted({it["image"] for it in chosen})
    idx = {f: i for i, f in enumerate(files)}
    with torch.no_grad():
        feats = lm.projector(enc(D.normalise(D.load_images(world, files))))
    gen = E.generate(lm.decoder, lm.embed, feats[[idx[it["image"]] for it in chosen]],
                     [conv_prompt(it["question"]) for it in chosen], tok.image_id, tok.pad_id)
    return [{"image": it["image"], "question": it["question"], "answer": tok.decode(g).strip()}
            for it, g in zip(chosen, gen)]
