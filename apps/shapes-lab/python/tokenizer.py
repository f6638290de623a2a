"""LLaMA-style BPE tokenizer for the shapes world, written as a Hugging Face tokenizer.json.

Same conventions as packages/runtime/fixtures/make_tiny_llava.py, whose merge learning and tokenizer.json writer
(packages/runtime/fixtures/tiny_llama.py) this uses (and LLaMA's SentencePiece export): spaces become
U+2581, a U+2581 is prepended to every text segment between special tokens, digits are never merged (so each digit is
one token, as LLaMA's tokenizer does), unknown characters fall back to UTF-8 byte tokens <0xXX>.

Encoding here must give exactly the ids @huggingface/tokenizers and transformers.js give for the same text; merges
never span a word boundary (U+2581 only starts a token), so text can be encoded word by word.
"""

import re
from collections import Counter
from functools import lru_cache

import runtime_fixtures  # noqa: F401  (sys.path: packages/runtime/fixtures)
from tiny_llama import IMAGE_TOKEN, PAD_TOKEN, SPACE, tokenizer_json, train_bpe_merges  # noqa: E402

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
    # Ids left for <image> and <pad> after the merges.
    return train_bpe_merges(words, vocab_size - 2)


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
        return tokenizer_json(self.vocab, self.merges, self.image_id, self.pad_id)

    @staticmethod
    def from_json(tokenizer_json):
        m = tokenizer_json["model"]
        return Tokenizer(m["vocab"], [tuple(x.split(" ")) for x in m["merges"]])
