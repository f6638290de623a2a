# Regenerates src/fixtures/video-chatgpt-indices.json: Video-ChatGPT's get_seq_frames (video_chatgpt/eval/
# model_utils.py, NumPy's round-half-to-even) for many frame counts, so the TypeScript port is checked against NumPy.
# Run: python3 packages/video-pool/scripts/video-chatgpt-indices.py
import json
import pathlib

import numpy as np


def get_seq_frames(total_num_frames, desired_num_frames):
    seg_size = float(total_num_frames - 1) / desired_num_frames
    seq = []
    for i in range(desired_num_frames):
        start = int(np.round(seg_size * i))
        end = int(np.round(seg_size * (i + 1)))
        seq.append((start + end) // 2)
    return seq


cases = []
for max_frames in (4, 8, 100):
    for total in list(range(1, 41)) + [99, 100, 101, 150, 250, 1000, 1001, 3000, 7201, 180000]:
        cases.append({"total": total, "max": max_frames, "indices": get_seq_frames(total, min(total, max_frames))})

out = pathlib.Path(__file__).resolve().parent.parent / "src" / "fixtures" / "video-chatgpt-indices.json"
out.write_text(json.dumps({"source": "numpy " + np.__version__, "cases": cases}, separators=(",", ":")) + "\n")
print(f"wrote {out} ({len(cases)} cases)")
