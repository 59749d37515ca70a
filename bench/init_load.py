"""Load time of the `base` recipe's initialisation: ViT-B/16 video tower + BERT-base text tower on this CPU.

Random weights of the real shapes are written to disk first, as `transformers` folders (what
`hf download google/vit-base-patch16-224-in21k` and `hf download bert-base-uncased` give: a ViT-B/16
at 224 px with its preprocessor config, a BERT-base with the bert-base-uncased vocabulary), then
the `base` model is built from them the way the recipe does (`SViLM(cfg)` on the resolved config).
Printed: the time to build the model without loading (architecture + random init), with both
towers loaded (inflation, position split, SHA-256 of both weight files included), each tower's load
alone (into an already built model: read, inflate or convert, copy, hash), the SHA-256 of both
files alone, and the process's peak memory.

    python bench/init_load.py [--repeat 2] [--frames 32]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, print_table  # noqa: E402


def write_checkpoints(folder: Path) -> tuple[Path, Path, float]:
    """A random ViT-B/16 and a random BERT-base saved as `transformers` folders; returns their paths and MB."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel, ViTConfig, ViTImageProcessor, ViTModel

    from core.model.sources import resolve_source

    torch.manual_seed(0)
    vit, bert = folder / "vit-b16", folder / "bert-base"
    ViTModel(ViTConfig()).save_pretrained(vit)  # transformers' defaults are ViT-B/16 at 224 px
    ViTImageProcessor(image_mean=[0.5] * 3, image_std=[0.5] * 3).save_pretrained(vit)
    BertModel(BertConfig()).save_pretrained(bert)  # and BERT-base (uncased vocabulary size)
    AutoTokenizer.from_pretrained(str(resolve_source("minilm", "bench")), local_files_only=True).save_pretrained(bert)
    megabytes = sum(p.stat().st_size for d in (vit, bert) for p in d.glob("*.safetensors")) / 1e6
    return vit, bert, megabytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--frames", type=int, default=32)
    args = parser.parse_args()
    import torch

    from core.model import build_config
    from core.model.inflate import load_2d_vit
    from core.model.initialization import resolve_model_config
    from core.model.sources import file_sha256
    from core.model.svilm import SViLM
    from core.model.text_encoder import build_bert
    from core.model.vit_checkpoint import open_vit

    torch.set_grad_enabled(False)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        vit, bert, megabytes = write_checkpoints(Path(tmp))
        write_s = time.perf_counter() - t0
        cfg = build_config("base", **{"video.pretrained": str(vit), "text.pretrained": str(bert),
                                      "video.num_frames": args.frames})
        rows = []
        for attempt in range(args.repeat):
            t0 = time.perf_counter()
            resolved = resolve_model_config(cfg)
            resolve_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            scratch = SViLM(resolved, pretrained=False)
            scratch_s = time.perf_counter() - t0
            del scratch
            t0 = time.perf_counter()
            model = SViLM(resolved)
            loaded_s = time.perf_counter() - t0
            t0 = time.perf_counter()  # the video tower's load alone, into the built model: read, inflate, copy, hash
            load_2d_vit(model.video, open_vit(str(vit)), "average")
            video_s = time.perf_counter() - t0
            t0 = time.perf_counter()  # the text tower's load alone: BertModel.from_pretrained and the hash
            build_bert(resolved.text)
            text_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            for folder in (vit, bert):
                file_sha256(folder / "model.safetensors")
            hash_s = time.perf_counter() - t0
            init = model.initialization
            rows.append([attempt + 1, f"{resolve_s:.2f}", f"{scratch_s:.1f}", f"{loaded_s:.1f}", f"{video_s:.1f}",
                         f"{text_s:.1f}", f"{hash_s:.1f}",
                         f"{init['video']['loaded']}/{init['video']['new']}", f"{init['text']['loaded']}/{init['text']['new']}"])
            del model
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"checkpoints written in {write_s:.1f} s ({megabytes:.0f} MB of safetensors); base at {args.frames} frames")
    print_table(["try", "resolve s", "build, no load s", "build + load s", "video load alone s", "text load alone s",
                 "SHA-256 of both s",
                 "video loaded/new", "text loaded/new"], rows)
    print(f"peak RSS {peak_gb:.1f} GB; torch threads {torch.get_num_threads()}")
    print(machine_line(" ".join(sys.argv)))


if __name__ == "__main__":
    main()
