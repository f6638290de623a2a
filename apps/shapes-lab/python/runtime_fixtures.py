"""Puts packages/runtime/fixtures on sys.path: shapes-lab's LLaMA decoder, BPE pieces and decoder export are that
folder's tiny_llama.py (apps may use packages, never the reverse). Import this before `import tiny_llama`."""

import os
import sys

PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "packages", "runtime", "fixtures"))
if PATH not in sys.path:
    sys.path.insert(0, PATH)
