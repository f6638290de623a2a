"""Held-out metrics in PyTorch (before export): greedy answers to the eval items the TypeScript side wrote.

box accuracy: IoU >= 0.5 between the IVB box in the answer (bins decoded to their centres) and the target box;
an unparsable answer is a miss. negpred: 'no such object' in the answer. presence: POPE's yes/no parsing against
the expected answer. side: the expected side word (left/right) in the answer and not the other one.
"""

import re

import torch

BOX_RE = re.compile(r"\((\d+),\s*(\d+),\s*(\d+),\s*(\d+)\)")


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def decode_box(text, bins, size):
    m = BOX_RE.search(text)
    if not m:
        return None
    return [(int(v) + 0.5) * size / bins for v in m.groups()]


def pope_no(text):
    words = text.split(".")[0].replace(",", "").split(" ")
    return "no" in words or "No" in words or "not" in words


@torch.no_grad()
def generate(decoder, embed, feats, prompts, image_id, pad_id, max_new=32, batch=32):
    """Greedy decoding with a KV cache; prompts left-padded. feats: [n, tokens, hidden] for each prompt's image."""
    outs = []
    for s in range(0, len(prompts), batch):
        chunk = prompts[s:s + batch]
        f = feats[s:s + batch]
        n = max(len(p) for p in chunk)
        ids = torch.full((len(chunk), n), pad_id, dtype=torch.long)
        mask = torch.zeros(len(chunk), n, dtype=torch.long)
        for i, p in enumerate(chunk):
            ids[i, n - len(p):] = torch.tensor(p)
            mask[i, n - len(p):] = 1
        emb = embed(ids)
        is_img = ids == image_id
        for i in range(len(chunk)):
            rows = is_img[i].nonzero().flatten()
            emb[i, rows] = f[i]
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        past = decoder.empty_past(len(chunk))
        out = decoder(emb, mask, pos, *past)
        logits, past = out[0], list(out[1:])
        done = torch.zeros(len(chunk), dtype=torch.bool)
        gen = [[] for _ in chunk]
        last_pos = pos[:, -1]
        for _ in range(max_new):
            nxt = logits[:, -1].argmax(-1)
            for i in range(len(chunk)):
                if not done[i]:
                    if int(nxt[i]) == 2:
                        done[i] = True
                    else:
                        gen[i].append(int(nxt[i]))
            if bool(done.all()):
                break
            mask = torch.cat([mask, torch.ones(len(chunk), 1, dtype=torch.long)], 1)
            last_pos = last_pos + 1
            out = decoder(embed(nxt[:, None]), mask, last_pos[:, None], *past)
            logits, past = out[0], list(out[1:])
        outs.extend(gen)
    return outs


def score(items, answers, bins, size):
    """Metrics by kind from eval items and generated answer texts."""
    stats = {}

    def add(name, ok):
        s = stats.setdefault(name, [0, 0])
        s[0] += int(bool(ok))
        s[1] += 1

    ious = []
    for it, ans in zip(items, answers):
        k = it["kind"]
        if k == "locpred":
            x, y, w, h = it["bbox"]
            pred = decode_box(ans, bins, size)
            v = iou(pred, [x, y, x + w, y + h]) if pred else 0.0
            ious.append(v)
            add("box_acc_iou50", v >= 0.5)
        elif k == "negpred":
            add("negpred_no_such_object", "no such object" in ans)
        elif k == "presence":
            add("presence", pope_no(ans) == pope_no(it["answer"]))
        elif k == "side":
            want = "left" if " left " in it["answer"] else "right"
            other = "right" if want == "left" else "left"
            add("left_right", want in ans and other not in ans)
        elif k == "vertical":
            want = "above" if " above " in it["answer"] else "below"
            other = "below" if want == "above" else "above"
            add("above_below", want in ans and other not in ans)
        else:
            add(f"{k}_exact", ans.strip() == it["answer"].strip())
    res = {k: round(100.0 * a / b, 1) for k, (a, b) in sorted(stats.items())}
    res["counts"] = {k: b for k, (a, b) in sorted(stats.items())}
    if ious:
        res["mean_iou"] = round(sum(ious) / len(ious), 3)
    return res
