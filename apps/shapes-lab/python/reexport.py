#!/usr/bin/python3
"""Export (again) from a --work folder of train.py: checkpoints + tokenizer -> runtime layout + reference.json.

    /usr/bin/python3 apps/shapes-lab/python/reexport.py --work .tmp/run --data .tmp/data --world .tmp/world --out DIR
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import export as X  # noqa: E402
import model as M  # noqa: E402
import reference as R  # noqa: E402
from train import load_trained  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--world", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bins", type=int, default=32)
    ap.add_argument("--eval-split", default="test")
    ap.add_argument("--weights", default="stage2.pt", help="e.g. stage2.partial.pt of a run stopped early")
    args = ap.parse_args()
    torch.set_num_threads(1)
    c, tok, enc, lm = load_trained(args.work, os.path.join(args.work, args.weights))
    X.export_model(args.out, c, enc, lm, tok, args.bins)
    conv = D.Conversations([], tok, M.image_tokens(c), {})
    items = D.load_json(os.path.join(args.data, f"eval_{args.eval_split}.json"))
    answers = R.pytorch_answers(enc, lm, tok, conv.prompt_ids, args.world, items)
    R.write_reference(args.out, tok, conv.prompt_ids, answers)
    print(f"exported {args.out}")


if __name__ == "__main__":
    main()
