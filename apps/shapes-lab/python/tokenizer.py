"""LLaMA-style BPE tokenizer for the shapes world, written as a Hugging Face tokenizer.json.

Same conventions as packages/runtime/fixtures/make_tiny_llava.py (and LLaMA's SentencePiece export): spaces become
U+2581, a U+2581 is prepended to every text segment between special tokens, digits are never merged (so each digit is
one token, as LLaMA's tokenizer does), unknown characters fall back to UTF-8 byte tokens <0xXX>.

Encoding here must give exactly the ids @huggingface/tokenizers and transformers.js give for the same text; merges
never span a word boundary (U+2581 only starts a token), so text can be encoded word by word.
"""

import re
from collections import Counter
from functools import lru_cache

SPACE = "\u2581"
SPECIALS = ["<unk>", "<s>", "</s>"]
IMAGE_TOKEN = "<image>"
PAD_TOKEN = "<pad>"
WORD_RE = re.compile(SPACE + "?[^" + SPACE + "]+|" + SPACE)
SPECIAL_RE = re.compile(r"(<image>|</s>|<s>|<unk>|<pad>)")


def _words(segment_normalized):
    return WORD_RE.findall(segment_normalized)


def _normalize(segment):
    return SPACE + segment.replace(" ", SPACE)


def train_bpe(texts, vocab_size):
    """Learn merges from `texts` (plain strings, specials removed) until the vocab holds `vocab_size` entries."""
    words = Counter()
    for t in texts:
        for seg in SPECIAL_RE.split(t):
            if seg and not SPECIAL_RE.fullmatch(seg):
                words.update(_words(_normalize(seg)))
    vocab = {tok: i for i, tok in enumerate(SPECIALS + [f"<0x{b:02X}>" for b in range(256)])}
    for ch in sorted({ch for w in words for ch in w}):
        vocab.setdefault(ch, len(vocab))
    splits = {w: list(w) for w in words}
    merges = []
    # Ids left for <image> and <pad> after the merges.
    while len(vocab) < vocab_size - 2:
        pairs = Counter()
        for w, n in words.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                if any(c.isdigit() for c in a + b):
                    continue
                pairs[(a, b)] += n
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        vocab[a + b] = len(vocab)
        for w in words:
            s = splits[w]
            if a not in s:
                continue
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return vocab, merges


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = dict(vocab)
        self.merges = [tuple(m) for m in merges]
        self.image_id = len(self.vocab)
        self.pad_id = self.image_id + 1
        self.vocab_size = self.pad_id + 1
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token[self.image_id] = IMAGE_TOKEN
        self.id_to_token[self.pad_id] = PAD_TOKEN
        self.special_ids = {"<unk>": 0, "<s>": 1, "</s>": 2, IMAGE_TOKEN: self.image_id, PAD_TOKEN: self.pad_id}
        self._word = lru_cache(maxsize=200_000)(self._encode_word)

    def _encode_word(self, word):
        parts = list(word)
        while len(parts) > 1:
            best, best_rank = None, None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        ids = []
        for p in parts:
            if p in self.vocab:
                ids.append(self.vocab[p])
            else:
                ids.extend(self.vocab[f"<0x{b:02X}>"] for b in p.encode("utf-8"))
        return tuple(ids)

    def encode(self, text, add_bos=True):
        """Ids for `text` exactly as tokenizer.json encodes it (special tokens in the text become their ids)."""
        ids = [1] if add_bos else []
        for seg in SPECIAL_RE.split(text):
            if not seg:
                continue
            if seg in self.special_ids:
                ids.append(self.special_ids[seg])
            else:
                for w in _words(_normalize(seg)):
                    ids.extend(self._word(w))
        return ids

    def encode_continuation(self, text):
        """Ids of `text` that directly follows other text in the same segment (no U+2581 prepended)."""
        ids = []
        for w in _words(text.replace(" ", SPACE)):
            ids.extend(self._word(w))
        return ids

    def decode(self, ids):
        out, pending = [], bytearray()
        for i in ids:
            tok = self.id_to_token.get(int(i), "")
            m = re.fullmatch(r"<0x([0-9A-F]{2})>", tok)
            if m:
                pending.append(int(m.group(1), 16))
                continue
            if pending:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
            if int(i) in (0, 1, 2, self.pad_id):
                continue
            out.append(tok)
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        text = "".join(out).replace(SPACE, " ")
        return text[1:] if text.startswith(" ") else text

    def to_json(self):
        def added(i, content):
            return dict(id=i, content=content, single_word=False, lstrip=False, rstrip=False, normalized=False,
                        special=True)

        added_tokens = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"), added(self.image_id, IMAGE_TOKEN),
                        added(self.pad_id, PAD_TOKEN)]
        tokenizer = {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": SPACE},
                {"type": "Replace", "pattern": {"String": " "}, "content": SPACE},
            ]},
            "pre_tokenizer": None,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
            },
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ]},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }
        config = {
            "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
            "unk_token": "<unk>", "pad_token": PAD_TOKEN, "legacy": True, "clean_up_tokenization_spaces": False,
            "model_max_length": 4096, "padding_side": "left", "tokenizer_class": "LlamaTokenizer",
            "added_tokens_decoder": {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added_tokens},
        }
        return tokenizer, config

    @staticmethod
    def from_json(tokenizer_json):
        m = tokenizer_json["model"]
        return Tokenizer(m["vocab"], [tuple(x.split(" ")) for x in m["merges"]])
