"""TAL snippet-feature extraction speed: videos decoded inline vs by DataLoader workers.

Run: `.venv/bin/python bench/tal_extract.py --home HOME [--workers 0,1,2] [--split train]` on a home
with a finished pre-training run and a registered activitynet dataset (the demo's home: `make demo`
or `SVIML_HOME=HOME sviml data add synth --size small` + `sviml run pretrain`). Uses the newest
finished pre-training run's export and the localizer's default feature protocol, encodes every
video of the split once per worker count (no cache), and prints videos/s and windows/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: core, bench
from bench.common import machine_line, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--workers", default="0,1,2")
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    os.environ["SVIML_HOME"] = str(args.home)
    import torch

    from core.data.registration import load_registered
    from core.eval.target import resolve_target
    from core.heads.localization import LocalizerConfig
    from core.heads.snippet_features import SnippetFeatureConfig, extract
    from core.registry import Registry
    from core.settings import Settings
    from core.train.export import load_exported

    settings = Settings()
    registry = Registry.from_settings(settings)
    target = resolve_target(registry, settings)
    model = load_exported(target.export_dir)
    dataset = next(d for d in registry.list_datasets() if d.kind == "activitynet")
    index = load_registered(registry, dataset.name)
    cfg, snippets = SnippetFeatureConfig(), LocalizerConfig().snippets
    rows = []
    for workers in (int(w) for w in args.workers.split(",")):
        t0 = time.perf_counter()
        arrays = extract(model, index, args.split, cfg, snippets, torch.device("cpu"), workers=workers)
        seconds = time.perf_counter() - t0
        videos, windows = len(arrays["valid"]), int(arrays["windows"].sum())
        rows.append((workers, videos, windows, f"{seconds:.1f}", f"{videos / seconds:.2f}", f"{windows / seconds:.1f}"))
    print(machine_line(f".venv/bin/python bench/tal_extract.py --home {args.home} --workers {args.workers}"))
    print(f"input: {dataset.name} {args.split}, run {target.run.id}, torch threads {torch.get_num_threads()}\n")
    print_table(["decoding workers", "videos", "windows", "seconds", "videos/s", "windows/s"], rows)


if __name__ == "__main__":
    main()
