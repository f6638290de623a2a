"""Unit checks of the Python recipe: /usr/bin/python3 -m unittest discover -s apps/shapes-lab/python"""

import os
import sys
import unittest
from types import SimpleNamespace

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import evaluate as E  # noqa: E402
import model as M  # noqa: E402
import train as T  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402

TEXTS = [D.SYSTEM + " USER: ASSISTANT:", "Where is the object described red circle located in image in terms of "
         "(x1,y1,x2,y2) bbox?", "It is located at (1, 15, 10, 24)", "There is no such object in the image",
         "Is there a blue square in the image?", "No, there is no blue square."] * 20


class TokenizerTest(unittest.TestCase):
    def setUp(self):
        vocab, merges = train_bpe(TEXTS, 600)
        self.tok = Tokenizer(vocab, merges)

    def test_digits_are_single_tokens(self):
        ids = self.tok.encode_continuation(" (10, 245)")
        pieces = [self.tok.id_to_token[i] for i in ids]
        for p in pieces:
            if any(ch.isdigit() for ch in p):
                self.assertEqual(len(p), 1, pieces)

    def test_piecewise_encoding_equals_whole_text(self):
        whole = self.tok.encode(D.SYSTEM + " USER: <image>\nIs there a blue square in the image? ASSISTANT: "
                                "No, there is no blue square.</s>USER: Hi ASSISTANT:")
        parts = (self.tok.encode(D.SYSTEM + " USER: ") + [self.tok.image_id]
                 + self.tok.encode("\nIs there a blue square in the image? ASSISTANT:", add_bos=False)
                 + self.tok.encode_continuation(" No, there is no blue square.") + [2]
                 + self.tok.encode("USER: Hi ASSISTANT:", add_bos=False))
        self.assertEqual(whole, parts)

    def test_decode_round_trip_and_byte_fallback(self):
        text = "It is located at (1, 15, 10, 24) ünknown"
        self.assertEqual(self.tok.decode(self.tok.encode(text)), text)

    def test_json_round_trip(self):
        tj, _ = self.tok.to_json()
        again = Tokenizer.from_json(tj)
        self.assertEqual(again.encode(TEXTS[1]), self.tok.encode(TEXTS[1]))


class ModelTest(unittest.TestCase):
    def test_kv_cache_matches_full_forward(self):
        torch.manual_seed(0)
        c = dict(M.DEFAULT_CONFIG)
        dec = M.LlamaDecoder(c, 50).eval()
        x = torch.randn(1, 7, c["hidden"])
        mask = torch.ones(1, 7, dtype=torch.long)
        full = dec(x, mask, torch.arange(7)[None], *dec.empty_past(1))[0]
        out = dec(x[:, :5], mask[:, :5], torch.arange(5)[None], *dec.empty_past(1))
        step = dec(x[:, 5:], mask, torch.arange(5, 7)[None], *out[1:])[0]
        self.assertTrue(torch.allclose(full[:, 5:], step, atol=1e-5))

    def test_vision_tower_gives_16_tokens(self):
        c = dict(M.DEFAULT_CONFIG)
        tower = M.VisionTower(M.VisionEncoder(c), M.Projector(c)).eval()
        self.assertEqual(tuple(tower(torch.randn(2, 3, 64, 64)).shape), (2, M.image_tokens(c), c["hidden"]))


class BatchLossTest(unittest.TestCase):
    def test_length_groups_give_the_same_loss_and_gradients(self):
        torch.manual_seed(0)
        vocab, merges = train_bpe(TEXTS, 600)
        tok = Tokenizer(vocab, merges)
        c = dict(M.DEFAULT_CONFIG)
        qa = [("locpred", TEXTS[1], TEXTS[2]), ("negpred", TEXTS[1], TEXTS[3]), ("presence", TEXTS[4], TEXTS[5])]
        records = [{"id": f"{i}:{kind}", "image": f"{i % 3}.png",
                    "conversations": [{"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": a}]}
                   for i, (kind, q, a) in enumerate(qa * 3)]
        conv = D.Conversations(records, tok, M.image_tokens(c), {f"{i}.png": i for i in range(3)})
        lm = T.LanguageModel(c, tok.vocab_size, tok.image_id)
        locate = T.LocateAttention(lm, tok, c, 32, {"locpred", "presence", "negpred"}, {0: {"red circle": [5]}}, True)
        feats = torch.randn(3, c["grid"] ** 2, c["v_hidden"])
        # Rows of 1-3 turns, so the groups differ in length.
        chosen = [conv.by_image[i % 3][: 1 + i % 3] for i in range(6)]
        batch = ([conv.sequence(i % 3, turns) for i, turns in enumerate(chosen)], [i % 3 for i in range(6)], chosen)
        results = []
        for groups in (1, 3):
            lm.zero_grad()
            loss = T.batch_loss(lm, feats, conv, *batch, locate, 1.0, groups)
            loss.backward()
            results.append((loss.item(), torch.cat([p.grad.flatten() for p in lm.parameters()])))
        self.assertAlmostEqual(results[0][0], results[1][0], places=5)
        self.assertTrue(torch.allclose(results[0][1], results[1][1], atol=1e-6))


class AttentionOffTest(unittest.TestCase):
    """--attn-weight 0 (the clean ablation): no attention supervision in stage 2a or stage 2."""

    def setUp(self):
        torch.manual_seed(0)
        vocab, merges = train_bpe(TEXTS, 600)
        self.tok = Tokenizer(vocab, merges)
        self.c = dict(M.DEFAULT_CONFIG)
        qa = [("locpred", TEXTS[1], TEXTS[2]), ("negpred", TEXTS[1], TEXTS[3]), ("presence", TEXTS[4], TEXTS[5])]
        records = [{"id": f"{i}:{kind}", "image": f"{i % 3}.png",
                    "conversations": [{"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": a}]}
                   for i, (kind, q, a) in enumerate(qa * 3)]
        self.conv = D.Conversations(records, self.tok, M.image_tokens(self.c), {f"{i}.png": i for i in range(3)})
        self.feats = torch.randn(3, self.c["grid"] ** 2, self.c["v_hidden"])
        self.init = T.LanguageModel(self.c, self.tok.vocab_size, self.tok.image_id).state_dict()

    def args(self, attn_weight):
        return SimpleNamespace(attn_weight=attn_weight, attn_absent=True, attn_split_heads=True, bins=32, seed=0,
                               length_groups=1, save_every=0, probe_every=0, work=None, world=None)

    def stage2a(self, attn_weight, with_locate):
        """Two stage-2a steps (stage_lm as main() calls it) from the same weights; returns the weights after."""
        lm = T.LanguageModel(self.c, self.tok.vocab_size, self.tok.image_id)
        lm.load_state_dict(self.init)
        locate = (T.LocateAttention(lm, self.tok, self.c, 32, {"locpred", "presence", "negpred"},
                                    {0: {"red circle": [5]}}, True) if with_locate else None)
        T.stage_lm("stage2a", self.args(attn_weight), lm, self.feats, self.conv, 2, 1e-3, 4, 1,
                   {"locpred", "negpred", "presence"}, locate=locate, schedule="constant")
        return torch.cat([p.detach().flatten() for p in lm.parameters()])

    def test_weight_zero_builds_no_supervision(self):
        lm = T.LanguageModel(self.c, self.tok.vocab_size, self.tok.image_id)
        self.assertIsNone(T.make_locate(self.args(0.0), lm, self.tok, self.c, {"locpred"}, {}))

    def test_weight_zero_trains_stage2a_on_the_next_token_loss_alone(self):
        plain = self.stage2a(0.0, with_locate=False)
        self.assertTrue(torch.equal(self.stage2a(0.0, with_locate=True), plain))
        # ... while weight 1 with the same targets does change the training.
        self.assertFalse(torch.allclose(self.stage2a(1.0, with_locate=True), plain))

    def test_stage2a_without_locpred_trains_on_the_presence_questions(self):
        self.assertEqual(T.stage2a_kinds({"locpred", "negpred", "presence"}, {"presence", "side", "caption"}, 4500,
                                         "d"), {"presence"})
        with self.assertRaises(SystemExit):
            T.stage2a_kinds({"locpred"}, {"presence"}, 4500, "d")
        self.assertEqual(T.stage2a_kinds({"locpred"}, {"presence"}, 0, "d"), set())


class LocateTargetTest(unittest.TestCase):
    def setUp(self):
        vocab, merges = train_bpe(TEXTS + ["Which side of the blue square is the red circle?"] * 20, 600)
        self.tok = Tokenizer(vocab, merges)
        self.c = dict(M.DEFAULT_CONFIG)
        self.lm = T.LanguageModel(self.c, self.tok.vocab_size, self.tok.image_id)
        self.objects = {0: {"red circle": [5, 6], "blue square": [10]}}

    def keys(self, split_heads):
        locate = T.LocateAttention(self.lm, self.tok, self.c, 32, {"side"}, self.objects, True, split_heads)
        q = self.tok.encode("\nWhich side of the blue square is the red circle? ASSISTANT:", add_bos=False)
        keys = locate.target_keys(0, "side", q, [], prefix=3)
        return keys, locate.target(keys, 3 + 16)

    def test_two_objects_share_every_head_by_default(self):
        keys, target = self.keys(False)
        self.assertEqual(keys, [8, 9, 13])
        self.assertTrue(torch.equal(target[0], target[-1]))
        self.assertEqual(target[0].nonzero().flatten().tolist(), [8, 9, 13])

    def test_split_heads_put_each_named_object_on_its_own_half(self):
        keys, target = self.keys(True)
        self.assertEqual(keys, [[13], [8, 9]])  # blue square is named first
        half = self.c["heads"] // 2
        for h in range(self.c["heads"]):
            self.assertEqual(target[h].nonzero().flatten().tolist(), [13] if h < half else [8, 9])


class ParseWeightsTest(unittest.TestCase):
    def test_weights_by_kind(self):
        self.assertEqual(T.parse_weights("negpred=3, presence=1.5"), {"negpred": 3.0, "presence": 1.5})
        self.assertEqual(T.parse_weights(""), {})

    def test_bad_input_names_the_flag_and_the_value(self):
        for value in ("negpred=0", "negpred=x", "nokind=2"):
            with self.assertRaises(SystemExit) as raised:
                T.parse_weights(value, flag="--locate-kind-weights")
            self.assertIn(f"--locate-kind-weights {value!r}", str(raised.exception.code))


class ScoreTest(unittest.TestCase):
    def test_box_and_answers(self):
        items = [
            {"kind": "locpred", "bbox": [2, 2, 20, 20], "answer": ""},
            {"kind": "locpred", "bbox": [2, 2, 20, 20], "answer": ""},
            {"kind": "negpred", "answer": "There is no such object in the image"},
            {"kind": "presence", "answer": "No, there is no red circle."},
            {"kind": "side", "answer": "The a b is on the left side of the c d."},
        ]
        answers = ["It is located at (1, 1, 11, 11)", "It is located at (20, 20, 30, 30)",
                   "There is no such object in the image", "Yes, there is a red circle.",
                   "The a b is on the left side of the c d."]
        res = E.score(items, answers, bins=32, size=64)
        self.assertEqual(res["box_acc_iou50"], 50.0)
        self.assertEqual(res["negpred_no_such_object"], 100.0)
        self.assertEqual(res["presence"], 0.0)
        self.assertEqual(res["left_right"], 100.0)


if __name__ == "__main__":
    unittest.main()
