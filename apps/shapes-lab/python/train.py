#!/usr/bin/python3
"""Train the shapes-lab tiny LocVLM from scratch, evaluate it held out, and export it in @locvlm/runtime's layout.

    /usr/bin/python3 apps/shapes-lab/python/train.py --world .tmp/world --data .tmp/data --work .tmp/run --out DIR
    torchrun --nproc_per_node=2 apps/shapes-lab/python/train.py ...      (DDP, gloo; same flags)

Stages (why each exists: apps/shapes-lab/README.md); the defaults are the current recipe (README section 6):
  0  vision encoder pretraining, dense per-patch objectives (category covering each patch + its object's box):
     the stand-in for CLIP, which cannot be had here; end-to-end from scratch learned nothing of the image.
  1  alignment on scene captions: projector + decoder, encoder frozen (off by default: --steps1 0).
  2a LocPred, NegPred and presence, with the decoder's attention supervised onto the named object's image tokens
     (or, for an absent object, the prompt's tokens): teaches the lookup (object name -> image tokens) every spatial
     answer needs, matching colour and shape; the full mix alone did not learn it in budget.
  2  instruction tuning on the LLaVA records (base data + LocPred/NegPred/RevLoc), encoder frozen, several turns
     on one image packed into one llava_v1 conversation, attention still supervised, goal kinds sampled more.
Each stage saves a checkpoint in --work; --skip-to 1 reuses stage 0 (the ablation's arms share it; the language
model is then initialised from --seed), --skip-to 2 stages 0-1. --attn-weight 0 turns the attention supervision
off in stages 2a and 2 (the paper's recipe: next-token loss only).
"""

import argparse
import json
import math
import os
import random
import re
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import evaluate as E  # noqa: E402
import model as M  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402


def log(*a):
    if RANK == 0:
        print(f"[{time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


RANK, WORLD = 0, 1


def setup_dist():
    global RANK, WORLD
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("gloo")
        RANK, WORLD = dist.get_rank(), dist.get_world_size()


def wrap(module):
    if WORLD > 1:
        return nn.parallel.DistributedDataParallel(module)
    return module


def lr_schedule(name, step, total, peak, warmup):
    """'cosine': warm-up then cosine decay to a tenth; 'constant': warm-up then flat; 'constant-decay': warm-up, flat,
    then the last tenth of the steps a cosine decay to a tenth (the plateau escapes need steps at the full rate)."""
    if name == "cosine":
        return lr_at(step, total, peak, warmup)
    if name == "constant-decay" and step >= total * 0.9:
        p = (step - total * 0.9) / max(1, total * 0.1)
        return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))
    return peak * min(1, (step + 1) / warmup)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


class LanguageModel(nn.Module):
    """Projector + token embeddings + decoder, trained in stages 1 and 2 on frozen encoder features."""

    def __init__(self, c, vocab_size, image_id):
        super().__init__()
        self.projector = M.Projector(c)
        self.embed = M.EmbedTokens(vocab_size, c["hidden"])
        self.decoder = M.LlamaDecoder(c, vocab_size)
        self.image_id = image_id

    def forward(self, feats, ids, labels, mask, shared_prefix=0):
        """Mean next-token loss on the labelled tokens. shared_prefix: the first N ids are the same in every row
        (<s> SYSTEM USER:); they run once and their keys/values are shared, which is the same computation with a
        fifth less work (the prefix holds no labels)."""
        b, n = ids.shape
        p = shared_prefix
        past = self.decoder.empty_past(b)
        if p:
            out = self.decoder(self.embed(ids[:1, :p]), mask[:1, :p], torch.arange(p)[None], *self.decoder.empty_past(1))
            past = [t.expand(b, -1, -1, -1) for t in out[1:]]
        emb = self.embed(ids[:, p:])
        img = self.projector(feats)  # [b, 16, hidden]
        is_img = (ids[:, p:] == self.image_id)
        # Each sequence holds exactly one image's tokens, in order: boolean-mask rows match img row-major.
        emb = emb.masked_scatter(is_img[..., None], img.reshape(-1, img.shape[-1]))
        pos = torch.arange(p, n)[None].expand(b, -1)
        logits = self.decoder(emb, mask, pos, *past)[0]
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, p + 1:].reshape(-1),
                               ignore_index=-100)


def load_trained(work, weights=None):
    """A train.py --work folder's config, tokenizer, frozen encoder and language model (`weights`, default
    WORK/stage2.pt), in eval mode."""
    c = dict(M.DEFAULT_CONFIG)
    tok = Tokenizer.from_json(D.load_json(os.path.join(work, "tokenizer.json")))
    enc = M.VisionEncoder(c)
    enc.load_state_dict(torch.load(os.path.join(work, "stage0.pt"))["enc"])
    enc.eval()
    lm = LanguageModel(c, tok.vocab_size, tok.image_id)
    lm.load_state_dict(torch.load(weights or os.path.join(work, "stage2.pt")))
    lm.eval()
    return c, tok, enc, lm


class Stage0Net(nn.Module):
    def __init__(self, enc, heads):
        super().__init__()
        self.enc, self.heads = enc, heads

    def forward(self, x):
        return self.heads(self.enc(x))


def attention_probs(layer, x, cos, sin, mask_bias, past_k, past_v):
    """The softmax attention of one decoder layer, recomputed from the inputs its forward received."""
    b, s, _ = x.shape
    y = layer.input_layernorm(x)
    q = layer.q_proj(y).view(b, s, layer.heads, layer.head_dim).transpose(1, 2)
    k = layer.k_proj(y).view(b, s, layer.kv_heads, layer.head_dim).transpose(1, 2)
    q = q * cos + M.rotate_half(q) * sin
    k = torch.cat([past_k, k * cos + M.rotate_half(k) * sin], 2)
    return torch.softmax(torch.matmul(q, k.transpose(2, 3)) / math.sqrt(layer.head_dim) + mask_bias, -1)


class LocateAttention:
    """Attention supervision: the last decoder layer's attention, at every position that predicts an answer token, is
    pulled onto the image tokens of the objects the turn is about (-log of the mass there, averaged over heads):
    LocPred, the box its answer names; RevLoc, the box its question names; presence (when present), left/right and
    above/below, the objects its question names; with `absent`, a question naming an object the image lacks
    (NegPred, presence "no") pulls it onto the prompt's own tokens instead. It gives the lookup the decoder has to
    learn (a name or a box to the image tokens holding it) a direct gradient; measured, LocPred-only training went
    from 15% to 25% at 2,000 steps and broke through (70% held out) by 5,000 (README sections 6-7)."""

    BOX = re.compile(r"\((\d+), (\d+), (\d+), (\d+)\)")

    def __init__(self, lm, tok, c, bins, kinds=("locpred",), objects=None, absent=False, split_heads=False):
        self.tok, self.bins, self.kinds, self.absent, self.split_heads = tok, bins, set(kinds), absent, split_heads
        self.heads = c["heads"]
        self.side = c["grid"] // c["merge"]
        self.n_image = M.image_tokens(c)
        # objects[image index] = {category name: [image token indices]}, for the kinds that name objects.
        self.objects = objects or {}
        names = sorted({n for o in self.objects.values() for n in o}, key=len, reverse=True)
        self.name_re = re.compile("|".join(re.escape(n) for n in names)) if names else None
        self.inputs = {}
        self.layer = lm.decoder.layers[-1]
        self.layer.register_forward_pre_hook(lambda mod, inputs: self.inputs.__setitem__("args", inputs))
        self.cache = {}

    def parsed(self, ids):
        """The box (in bins) and the category names a piece of text holds, decoded once per distinct text."""
        key = tuple(ids)
        if key not in self.cache:
            text = self.tok.decode(ids)
            m = self.BOX.search(text)
            # Bin b covers [b, b + 1) in bin units, so the box's last bin is x2 itself.
            box = tokens_under(*(int(g) for g in m.groups()), self.bins / self.side, self.side) if m else None
            names = self.name_re.findall(text) if self.name_re else []
            self.cache[key] = (box, names)
        return self.cache[key]

    def target_keys(self, image, kind, q, answer, prefix):
        """Key positions (0 = <s>; the image tokens follow the `prefix` shared prompt tokens) the answer should attend
        to."""
        if kind not in self.kinds:
            return None
        image_key = lambda blocks: [prefix + b for b in blocks] if blocks else None  # noqa: E731
        if kind == "locpred":
            return image_key(self.parsed(answer)[0])
        if kind == "revloc":
            return image_key(self.parsed(q)[0])
        if kind in ("presence", "side", "vertical", "negpred"):
            names = self.parsed(q)[1]
            found = self.objects.get(image, {})
            if not names:
                return None
            if any(n not in found for n in names):
                # An absent object: the prompt's own tokens (the attention sink), "nothing in the image".
                return list(range(prefix)) if self.absent else None
            distinct = list(dict.fromkeys(names))
            if self.split_heads and len(distinct) == 2 and found[distinct[0]] and found[distinct[1]]:
                # Two objects to compare (left/right, above/below): half the heads on the first named, half on the
                # second, so each object's features reach the answer separately instead of summed into one average.
                return [image_key(found[distinct[0]]), image_key(found[distinct[1]])]
            return image_key(sorted({b for n in names for b in found[n]}))
        return None

    def target(self, keys, n_keys):
        """[heads, n_keys] target mask: every head on `keys`, or (a pair of key lists) the first half of the heads on
        the first list and the rest on the second."""
        target = torch.zeros(self.heads, n_keys)
        if isinstance(keys[0], list):
            half = self.heads // 2
            target[:half, keys[0]] = 1
            target[half:, keys[1]] = 1
        else:
            target[:, keys] = 1
        return target

    def loss(self, chosen_turns, images, prefix):
        """After a forward on sequences built from `chosen_turns` (the turns of each row, in order) of `images`: the
        mean loss over the answer positions it covers, and their number (None when no turn has a target)."""
        rows, query_pos, targets = [], [], []
        for row, (turns, image) in enumerate(zip(chosen_turns, images)):
            pos = prefix + self.n_image
            for k, (kind, q_first, q_next, answer) in enumerate(turns):
                q = q_first if k == 0 else q_next
                start = pos + len(q)  # the first answer token's position
                keys = self.target_keys(image, kind, q, answer, prefix)
                if keys:
                    target = self.target(keys, prefix + self.n_image)
                    for t in range(start - 1, start + len(answer) - 1):  # the positions predicting the answer
                        rows.append(row)
                        query_pos.append(t - prefix)
                        targets.append(target)
                pos = start + len(answer)
        if not rows:
            return None
        probs = attention_probs(self.layer, *self.inputs["args"])  # [b, heads, positions after the prefix, keys]
        on_keys = probs[rows, :, query_pos][:, :, :prefix + self.n_image]
        mass = (on_keys * torch.stack(targets)).sum(-1).mean(-1)
        return -(mass + 1e-6).log().mean(), len(rows)


def object_blocks(instances, file_index, c):
    """{image index: {category name: image tokens its boxes overlap}} for LocateAttention's named-object kinds."""
    names = {cat["id"]: cat["name"] for cat in instances["categories"]}
    by_image = {img["id"]: file_index[img["file_name"]]
                for img in instances["images"] if img["file_name"] in file_index}
    side = c["grid"] // c["merge"]
    out = {}
    for a in instances["annotations"]:
        i = by_image.get(a["image_id"])
        if i is None:
            continue
        x, y, w, h = a["bbox"]  # pixels; the box ends just before x + w
        blocks = out.setdefault(i, {}).setdefault(names[a["category_id"]], [])
        blocks.extend(tokens_under(x, y, x + w - 1e-6, y + h - 1e-6, c["image_size"] / side, side))
    return out


def make_locate(args, lm, tok, c, attn_kinds, fidx):
    """The attention supervision of stages 2a and 2 (one object, used by both), or None with --attn-weight 0: then
    neither stage has any, both train on the next-token loss alone (batch_loss also adds nothing at weight 0)."""
    if not args.attn_weight:
        return None
    objects = None
    if attn_kinds & {"presence", "side", "vertical", "negpred"}:
        instances = D.load_json(os.path.join(args.world, "annotations", "instances_train.json"))
        objects = object_blocks(instances, fidx, c)
    return LocateAttention(lm, tok, c, args.bins, attn_kinds, objects, args.attn_absent, args.attn_split_heads)


def stage2a_kinds(locate_kinds, data_kinds, locate_steps, data):
    """The record kinds stage 2a trains on: --locate-kinds of those the data holds (data without the LocPred objective
    still holds the presence questions of the base data)."""
    kinds = set(locate_kinds) & set(data_kinds)
    if locate_steps and not kinds:
        sys.exit(f"--locate-steps {locate_steps}: {data} holds none of the --locate-kinds "
                 f"{sorted(locate_kinds)} to train stage 2a on; pass --locate-steps 0")
    return kinds


def tokens_under(x1, y1, x2, y2, cell, side):
    """Image tokens (row-major on a side x side grid of `cell`-sized regions) that a box's corners span."""
    cols = range(int(x1 // cell), min(side - 1, int(x2 // cell)) + 1)
    rows = range(int(y1 // cell), min(side - 1, int(y2 // cell)) + 1)
    return [r * side + col for r in rows for col in cols]


def stage0(args, c, images, cls_t, box_t, scene_t):
    enc, heads = M.VisionEncoder(c), M.PatchHeads(c)
    net = wrap(Stage0Net(enc, heads))
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr0, weight_decay=0.01)
    g = torch.Generator().manual_seed(args.seed * 100 + RANK)
    n, grid = images.shape[0], c["grid"]
    class_weight = torch.ones(c["num_classes"])
    class_weight[0] = 0.2
    t0 = time.time()
    for step in range(args.steps0):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.steps0, args.lr0, 50)
        idx = torch.randint(0, n, (args.batch0,), generator=g)
        x = D.normalise(images[idx])
        cls, box = cls_t[idx].clone(), box_t[idx].clone()
        flip_x = torch.rand(1, generator=g).item() < 0.5
        flip_y = torch.rand(1, generator=g).item() < 0.5
        present, scene_bins = (t[idx] for t in scene_t[(flip_x, flip_y)])
        # Flips: the label maps flip with the image, boxes mirror (x1' = 1 - x2).
        if flip_x:
            x = x.flip(3)
            cls = cls.view(-1, grid, grid).flip(2).reshape(-1, grid * grid)
            box = box.view(-1, grid, grid, 4).flip(2).reshape(-1, grid * grid, 4)
            box = torch.stack([1 - box[..., 2], box[..., 1], 1 - box[..., 0], box[..., 3]], -1) * (cls[..., None] > 0)
        if flip_y:
            x = x.flip(2)
            cls = cls.view(-1, grid, grid).flip(1).reshape(-1, grid * grid)
            box = box.view(-1, grid, grid, 4).flip(1).reshape(-1, grid * grid, 4)
            box = torch.stack([box[..., 0], 1 - box[..., 3], box[..., 2], 1 - box[..., 1]], -1) * (cls[..., None] > 0)
        logits, pbox, pbins, ppresent, pscene = net(x)
        obj = (cls > 0).float()
        # The same bins the IVB codec writes: floor(bins * x / W), clamped to the last bin.
        bins_t = (box * c["bins"]).floor().long().clamp(0, c["bins"] - 1)
        loss_bins = (F.cross_entropy(pbins.reshape(-1, c["bins"]), bins_t.reshape(-1), reduction="none")
                     .view(obj.shape[0], -1, 4).sum(-1) * obj).sum() / obj.sum().clamp(min=1)
        # Most patches are background: weigh them down or the head learns "background" everywhere.
        loss_cls = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), cls.reshape(-1), weight=class_weight)
        loss_box = ((pbox - box).abs().sum(-1) * obj).sum() / obj.sum().clamp(min=1)
        # Scene table in every image token's region: what is in the whole scene and where each single-instance
        # category is. Image tokens that know the scene let the decoder answer from any of them, before it has
        # learned to find the one token that holds the object asked about (measured: presence left chance ~3x sooner).
        nblock = ppresent.shape[1]
        loss_present = F.binary_cross_entropy_with_logits(ppresent, present[:, None].expand_as(ppresent))
        st = scene_bins[:, None].expand(-1, nblock, -1, -1)
        loss_scene = F.cross_entropy(pscene.reshape(-1, c["bins"]), st.reshape(-1), ignore_index=-100)
        loss = loss_cls + 5.0 * loss_box + 0.25 * loss_bins + args.scene_weight * (loss_present * 10 + loss_scene)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == args.steps0 - 1:
            acc = ((logits.argmax(-1) == cls).float() * obj).sum() / obj.sum().clamp(min=1)
            bin_acc = ((pbins.argmax(-1) == bins_t).float().mean(-1) * obj).sum() / obj.sum().clamp(min=1)
            log(f"stage0 {step}/{args.steps0} loss {loss.item():.3f} cls {loss_cls.item():.3f} "
                f"scene present {loss_present.item():.3f} scene bins {loss_scene.item():.3f} "
                f"box {loss_box.item():.3f} obj-patch acc {acc.item():.3f} bin acc {bin_acc.item():.3f} "
                f"({time.time() - t0:.0f}s)")
    return enc, heads, time.time() - t0




def sample_batch(rng, pool, conv, kinds, batch, turns_max, kind_weights=None):
    """`batch` conversations: an image from `pool`, then 1..turns_max of its turns of `kinds` (uniformly shuffled, or
    weighted by kind). Returns the token sequences, the image indices and each row's turns."""
    seqs, img_idx, chosen_turns = [], [], []
    for _ in range(batch):
        i = rng.choice(pool)
        turns = [t for t in conv.by_image[i] if t[0] in kinds]
        if kind_weights:
            # Weighted sampling without replacement (Efraimidis-Spirakis keys): rare kinds come up more often.
            turns.sort(key=lambda t: -rng.random() ** (1 / kind_weights.get(t[0], 1.0)))
        else:
            rng.shuffle(turns)
        chosen = turns[: rng.randint(1, turns_max)]
        seqs.append(conv.sequence(i, chosen))
        img_idx.append(i)
        chosen_turns.append(chosen)
    return seqs, img_idx, chosen_turns


def batch_loss(net, feats, conv, seqs, img_idx, chosen_turns, locate=None, attn_weight=0.0, groups=1):
    """Next-token loss on the answers (mean over answer tokens), plus the attention supervision (mean over the
    positions it covers) when `locate` is given. groups > 1: the rows run as that many forwards of rows sorted by
    length, so short rows are not padded to the longest (stage-2 rows hold 1-3 turns: about 45% of a one-group batch
    is padding); each group's means are weighted by its share of tokens and positions, so the loss is the same."""
    prefix = len(conv.prefix)
    order = sorted(range(len(seqs)), key=lambda r: len(seqs[r][0])) if groups > 1 else list(range(len(seqs)))
    size = -(-len(order) // max(1, groups))
    parts = [order[j:j + size] for j in range(0, len(order), size)]
    answer_tokens = [sum(1 for t in seqs[r][1][prefix + 1:] if t != -100) for r in range(len(seqs))]
    total_tokens = sum(answer_tokens)
    located = []  # (group's mean attention loss, positions it covers)
    loss = 0.0
    for part in parts:
        ids, labels, mask = D.collate([seqs[r] for r in part], conv.tok.pad_id)
        rows = [img_idx[r] for r in part]
        share = sum(answer_tokens[r] for r in part) / total_tokens
        loss = loss + net(feats[rows], ids, labels, mask, prefix) * share
        if locate is not None and attn_weight:
            # Right after its forward: the loss reads the attention inputs that forward left on the last layer.
            result = locate.loss([chosen_turns[r] for r in part], rows, prefix)
            if result is not None:
                located.append(result)
    if located:
        positions = sum(n for _, n in located)
        loss = loss + attn_weight * sum(mean * (n / positions) for mean, n in located)
    return loss


# Held-out probes are diagnostics, not training: their time is left out of the reported training time.
PROBE_SECONDS = [0.0]


def stage_lm(name, args, lm, feats, conv, steps, lr, batch, turns_max, kinds, probe=None, locate=None,
             schedule="cosine", kind_weights=None, cycle=0):
    net = wrap(lm)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    rng = random.Random(args.seed * 1000 + RANK + (1 if name == "stage1" else 2) + 100 * cycle)
    pool = [i for i in conv.images if any(t[0] in kinds for t in conv.by_image[i])]
    # Only multi-turn rows differ much in length; DDP expects one forward per backward, so ranks run one group.
    groups = args.length_groups if WORLD == 1 and turns_max > 1 else 1
    t0 = time.time()
    ema = None
    for step in range(steps):
        for group in opt.param_groups:
            warmup = min(200, steps // 10 + 1)
            group["lr"] = lr_schedule(schedule, step, steps, lr, warmup)
        loss = batch_loss(net, feats, conv, *sample_batch(rng, pool, conv, kinds, batch, turns_max, kind_weights),
                          locate, args.attn_weight, groups)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 100 == 0 or step == steps - 1:
            log(f"{name} {step}/{steps} loss {ema:.3f} ({time.time() - t0:.0f}s)")
        if RANK == 0 and args.save_every and (step + 1) % args.save_every == 0:
            # A long run stopped early (shared machine, deadline) still leaves its latest weights.
            torch.save(lm.state_dict(), os.path.join(args.work, f"{name}.partial.pt"))
        if probe and args.probe_every and (step + 1) % args.probe_every == 0 and step + 1 < steps:
            # Loss alone misleads here: the decoder sits at the text-only loss until it starts reading the image.
            t = time.time()
            log(f"{name} {step + 1} held-out probe {json.dumps(probe())} ({time.time() - t:.0f}s, not counted)")
            t0 += time.time() - t
            PROBE_SECONDS[0] += time.time() - t
    return time.time() - t0


@torch.no_grad()
def encode_all(enc, images, bs=256):
    enc.eval()
    return torch.cat([enc(D.normalise(images[s:s + bs])) for s in range(0, images.shape[0], bs)])


def run_eval(args, c, enc, lm, tok, conv_prompt, world, items, limit):
    by_kind = {}
    for it in items:
        by_kind.setdefault(it["kind"], []).append(it)
    chosen = [it for k in ("locpred", "negpred", "presence", "side", "vertical", "count", "attribute", "revloc")
              for it in by_kind.get(k, [])[:limit]]
    files = sorted({it["image"] for it in chosen})
    fidx = {f: i for i, f in enumerate(files)}
    images = D.load_images(world, files)
    lm.eval()
    with torch.no_grad():
        feats = lm.projector(encode_all(enc, images))
    prompts = [conv_prompt(it["question"]) for it in chosen]
    gen = E.generate(lm.decoder, lm.embed, feats[[fidx[it["image"]] for it in chosen]], prompts, tok.image_id,
                     tok.pad_id)
    answers = [tok.decode(g).strip() for g in gen]
    res = E.score(chosen, answers, args.bins, c["image_size"])
    samples = [{"kind": it["kind"], "q": it["question"], "want": it["answer"], "got": a}
               for it, a in list(zip(chosen, answers))[::max(1, len(chosen) // 24)]]
    lm.train()
    return res, samples


ATTN_KINDS = {"locpred", "revloc", "presence", "side", "vertical", "negpred"}
RECORD_KINDS = ATTN_KINDS | {"caption", "count", "attribute"}
# The questions the goals measure (left/right, presence, NegPred) are a small share of the records: sample them more.
DEFAULT_KIND_WEIGHTS = "side=4,vertical=2,presence=2,negpred=2,revloc=0.5,attribute=0.5,caption=0.5,count=0.5"


def parse_list(value, flag, allowed):
    kinds = {k.strip() for k in value.split(",") if k.strip()}
    unknown = kinds - allowed
    if unknown:
        sys.exit(f"{flag} {value!r}: unknown kind(s) {sorted(unknown)}; choose from {sorted(allowed)}")
    return kinds


def parse_weights(value, kinds=RECORD_KINDS, flag="--kind-weights"):
    """'side=4,presence=2' -> {'side': 4.0, 'presence': 2.0}, checked against the record kinds the data can hold."""
    weights = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        kind, _, w = part.partition("=")
        if kind not in kinds:
            sys.exit(f"{flag} {value!r}: {kind!r} is not a record kind ({sorted(kinds)})")
        try:
            weights[kind] = float(w)
        except ValueError:
            weights[kind] = math.nan  # fails the check below
        if not weights[kind] > 0:
            sys.exit(f"{flag} {value!r}: the weight of {kind!r} must be a positive number, got {w!r}")
    return weights


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", required=True, help="folder written by `npm run world`")
    ap.add_argument("--data", required=True, help="folder with llava_train.json and eval_<split>.json")
    ap.add_argument("--work", required=True, help="checkpoints, tokenizer and metrics")
    ap.add_argument("--out", help="export the model here (runtime layout)")
    ap.add_argument("--eval-split", default="test")
    ap.add_argument("--eval-limit", type=int, default=300, help="items per kind in the held-out eval")
    ap.add_argument("--bins", type=int, default=32)
    ap.add_argument("--vocab-size", type=int, default=1024)
    ap.add_argument("--steps0", type=int, default=600)
    ap.add_argument("--steps1", type=int, default=0, help="stage 1 caption alignment (off by default)")
    ap.add_argument("--steps2", type=int, default=4400)
    ap.add_argument("--stage2-cycles", type=int, default=2,
                    help="split stage 2 into this many warm-restart cycles (fresh optimizer, warm-up, cosine)")
    ap.add_argument("--stage2-replay", action=argparse.BooleanOptionalAction, default=False,
                    help="every stage-2 cycle draws the same batches (the first cycle's) instead of new ones")
    ap.add_argument("--batch0", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--turns", type=int, default=3, help="most QA turns packed into one stage-2 conversation")
    ap.add_argument("--length-groups", type=int, default=4,
                    help="run each batch as this many forwards of rows of similar length (less padding, same loss)")
    ap.add_argument("--scene-weight", type=float, default=0.0, help="stage 0 scene-table objective (0 = off)")
    ap.add_argument("--locate-steps", type=int, default=4500,
                    help="stage 2a: this many steps on --locate-kinds (constant learning rate) before stage 2's mix")
    ap.add_argument("--locate-kinds", default="locpred,negpred,presence",
                    help="record kinds stage 2a trains on, of those the data holds (LocPred plus the absent-object "
                    "questions, so the lookup learns to tell an object from one sharing its shape or colour)")
    ap.add_argument("--locate-kind-weights", default="negpred=3,presence=3",
                    help="stage-2a sampling weights by record kind ('' = uniform): the absent-object questions more "
                    "often, so the lookup matches colour as well as shape within stage 2a (8 starved LocPred)")
    ap.add_argument("--attn-weight", type=float, default=1.0,
                    help="weight of the attention supervision in stages 2a and 2 (0 = off in both: next-token loss only)")
    ap.add_argument("--attn-kinds", default="locpred,revloc,presence,side,vertical,negpred",
                    help=f"record kinds whose answers get attention supervision (of {','.join(sorted(ATTN_KINDS))})")
    ap.add_argument("--attn-absent", action=argparse.BooleanOptionalAction, default=True,
                    help="questions about an absent object attend to the prompt's tokens (negpred, presence 'no')")
    ap.add_argument("--attn-split-heads", action=argparse.BooleanOptionalAction, default=True,
                    help="questions comparing two objects: half the heads attend to each (instead of all to both)")
    ap.add_argument("--kind-weights", default=DEFAULT_KIND_WEIGHTS,
                    help="stage-2 turn sampling weights by record kind (others 1; '' = uniform)")
    ap.add_argument("--stage2-schedule", choices=["cosine", "constant", "constant-decay"], default="cosine",
                    help="learning-rate schedule of each stage-2 cycle")
    ap.add_argument("--lr0", type=float, default=2e-3)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--skip-to", type=int, default=0, help="reuse the checkpoints of stages before this one")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-stage2", help="start stage 2 from these weights (continue a stage-2 run)")
    ap.add_argument("--save-every", type=int, default=200, help="save <stage>.partial.pt every N steps")
    ap.add_argument("--only-stage0", action="store_true", help="stop after stage 0 (tuning the encoder recipe)")
    ap.add_argument("--probe-every", type=int, default=0,
                    help="every N stage-2 steps, print held-out metrics on a few items per kind (time not counted)")
    ap.add_argument("--tiny", action="store_true", help="a minute-long smoke configuration (tests, DDP check)")
    args = ap.parse_args()
    if args.tiny:
        args.steps0, args.steps1, args.steps2, args.batch0, args.batch, args.eval_limit = 20, 20, 20, 16, 8, 8
        args.locate_steps = min(args.locate_steps, 20)
    attn_kinds = parse_list(args.attn_kinds, "--attn-kinds", ATTN_KINDS)  # bad flags fail now, not after stage 0
    locate_kinds = parse_list(args.locate_kinds, "--locate-kinds", RECORD_KINDS)
    kind_weights = parse_weights(args.kind_weights)
    locate_kind_weights = parse_weights(args.locate_kind_weights, flag="--locate-kind-weights")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    setup_dist()
    c = dict(M.DEFAULT_CONFIG, bins=args.bins)
    os.makedirs(args.work, exist_ok=True)
    t_start = time.time()
    timings = {}

    records = D.load_json(os.path.join(args.data, "llava_train.json"))
    files = sorted({r["image"] for r in records})
    fidx = {f: i for i, f in enumerate(files)}
    t = time.time()
    images = D.load_images(args.world, files)
    assert images.shape[2] == c["image_size"], f"images are {images.shape[2]} px, the model takes {c['image_size']}"
    timings["load_images_s"] = round(time.time() - t, 1)
    log(f"{len(records)} records on {len(files)} images; world size {WORLD}")

    # Tokenizer: BPE learned on the rendered training conversations (rank 0 writes it, all ranks rebuild it).
    tok_path = os.path.join(args.work, "tokenizer.json")
    if args.skip_to == 0 or not os.path.exists(tok_path):
        texts = [D.SYSTEM + " USER: ASSISTANT:"] * 2000 + [
            cv["value"] for r in records for cv in r["conversations"]]
        vocab, merges = train_bpe(texts, args.vocab_size)
        tok = Tokenizer(vocab, merges)
        if RANK == 0:
            tj, tc = tok.to_json()
            D.json.dump(tj, open(tok_path, "w", encoding="utf-8"), ensure_ascii=False)
            D.json.dump(tc, open(os.path.join(args.work, "tokenizer_config.json"), "w"), indent=1)
    else:
        tok = Tokenizer.from_json(D.load_json(tok_path))
    conv = D.Conversations(records, tok, M.image_tokens(c), fidx)
    log(f"vocab {tok.vocab_size}; prompt prefix {len(conv.prefix)} tokens")

    ck0 = os.path.join(args.work, "stage0.pt")
    if args.skip_to <= 0:
        instances = D.load_json(os.path.join(args.world, "annotations", "instances_train.json"))
        cls_t, box_t = D.patch_targets(instances, fidx, c["grid"], c["image_size"])
        scene_t = {(fx, fy): D.scene_targets(instances, fidx, c["num_classes"] - 1, c["bins"], c["image_size"], fx, fy)
                   for fx in (False, True) for fy in (False, True)}
        enc, heads, timings["stage0_s"] = stage0(args, c, images, cls_t, box_t, scene_t)
        if RANK == 0:
            torch.save({"enc": enc.state_dict(), "heads": heads.state_dict()}, ck0)
    else:
        enc = M.VisionEncoder(c)
        enc.load_state_dict(torch.load(ck0)["enc"])
    if args.only_stage0:
        return
    enc.eval()
    for p in enc.parameters():
        p.requires_grad_(False)
    t = time.time()
    feats = encode_all(enc, images)
    timings["encode_s"] = round(time.time() - t, 1)

    lm = LanguageModel(c, tok.vocab_size, tok.image_id)
    ck1 = os.path.join(args.work, "stage1.pt")
    if args.skip_to <= 1:
        timings["stage1_s"] = stage_lm("stage1", args, lm, feats, conv, args.steps1, args.lr, args.batch, 1,
                                       {"caption"})
        if RANK == 0:
            torch.save(lm.state_dict(), ck1)
    else:
        lm.load_state_dict(torch.load(ck1))
    if args.init_stage2:
        lm.load_state_dict(torch.load(args.init_stage2))
        log(f"stage 2 continues from {args.init_stage2}")
    if args.skip_to <= 2:
        kinds = {t[0] for ts in conv.by_image.values() for t in ts}
        probe = None
        if RANK == 0 and args.probe_every:
            probe_items = D.load_json(os.path.join(args.data, "eval_val.json"))

            def probe():
                return run_eval(args, c, enc, lm, tok, conv.prompt_ids, args.world, probe_items, 50)[0]
        locate = make_locate(args, lm, tok, c, attn_kinds, fidx)
        # The kinds the data holds: an ablation arm without NegPred trains stage 2a on LocPred and presence only, one
        # without objectives on presence alone (so every arm trains the same number of steps).
        locate_kinds = stage2a_kinds(locate_kinds, kinds, args.locate_steps, args.data)
        if args.locate_steps:
            # Stage 2a: LocPred and the absent-object questions until the decoder has learned to find an object's image
            # tokens from its name, colour and shape both (README section 3); the full mix then builds on that lookup.
            timings["stage2a_s"] = stage_lm("stage2a", args, lm, feats, conv, args.locate_steps, args.lr,
                                            args.batch, 1, locate_kinds, probe, locate, schedule="constant",
                                            kind_weights=locate_kind_weights)
            if RANK == 0:
                torch.save(lm.state_dict(), os.path.join(args.work, "stage2a.pt"))
        # Stage 2 as warm restarts: each cycle a fresh optimizer, warm-up and cosine decay over steps2 / cycles steps.
        # Measured (README section 6): stage 2 sits on a plateau (presence ~70%, NegPred ~40%) until a second jump
        # (presence 86-98%), which came after 3,000 to over 8,800 stage-2 steps depending on the seed and start.
        timings["stage2_s"] = 0.0
        for cycle in range(args.stage2_cycles):
            timings["stage2_s"] += stage_lm("stage2", args, lm, feats, conv, args.steps2 // args.stage2_cycles,
                                            args.lr, args.batch, args.turns, kinds, probe, locate,
                                            schedule=args.stage2_schedule, kind_weights=kind_weights,
                                            cycle=0 if args.stage2_replay else cycle)
        if RANK == 0:
            torch.save(lm.state_dict(), os.path.join(args.work, "stage2.pt"))
    timings["train_total_s"] = round(time.time() - t_start - PROBE_SECONDS[0], 1)
    if PROBE_SECONDS[0]:
        timings["probes_s"] = round(PROBE_SECONDS[0], 1)

    if RANK == 0:
        items = D.load_json(os.path.join(args.data, f"eval_{args.eval_split}.json"))
        t = time.time()
        metrics, samples = run_eval(args, c, enc, lm, tok, conv.prompt_ids, args.world, items, args.eval_limit)
        timings["eval_s"] = round(time.time() - t, 1)
        log("held-out", json.dumps(metrics))
        for s in samples:
            log(f"  [{s['kind']}] {s['q']} -> {s['got']!r} (want {s['want']!r})")
        summary = {"args": vars(args), "config": c, "timings": {k: round(v, 1) for k, v in timings.items()},
                   "metrics_pytorch": metrics, "samples": samples}
        with open(os.path.join(args.work, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
        if args.out:
            import export as X
            import reference as R
            X.export_model(args.out, c, enc, lm, tok, args.bins)
            lm.eval()
            R.write_reference(args.out, tok, conv.prompt_ids,
                              R.pytorch_answers(enc, lm, tok, conv.prompt_ids, args.world, items))
            log(f"exported to {args.out}")
    if WORLD > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
