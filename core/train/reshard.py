"""Resuming a run on another number of processes (an allocation of 8 GPUs continued on 4).

What a checkpoint holds per process is resharded:
- ZeRO 1-3 shard the optimizer state (and ZeRO-3 the weights) by rank: the checkpoint is converted
  once, by rank 0, into DeepSpeed's universal format (`deepspeed.checkpoint.ds_to_universal`: one
  file per parameter, rank-free), written beside it as `<tag>.universal` with its own manifest, and
  loaded with DeepSpeed's `load_universal` switch;
- without ZeRO every rank holds everything: the checkpoint loads as it is;
- the data position: the sampler spreads the epoch's remaining samples over the new ranks
  (`ResumableSampler.load_state_dict(..., reshard=True)`): none is seen twice, none skipped;
- RNG: ranks the checkpoint knows restore their state; new ranks keep their seeded stream.
The change is logged and recorded in the run's tags (`world_size_history`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
from pathlib import Path

from core.train.checkpoint import MANIFEST, saved_world_size, write_manifest

SUFFIX = ".universal"


def universal_copy(checkpoint: Path) -> Path:
    """Where `checkpoint`'s universal conversion lives."""
    return checkpoint.with_name(checkpoint.name + SUFFIX)


def convert_to_universal(checkpoint: Path) -> Path:
    """Rank 0: `checkpoint` in DeepSpeed's universal format (reused when already converted)."""
    from deepspeed.checkpoint.ds_to_universal import main as ds_to_universal

    target = universal_copy(checkpoint)
    if (target / MANIFEST).is_file():
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    args = argparse.Namespace(input_folder=str(checkpoint), output_folder=str(tmp), num_extract_workers=1,
                              num_merge_workers=1, keep_temp_folder=False, strict=True,
                              inject_missing_state=True)  # sviml's checkpoints carry no Megatron metadata
    with contextlib.redirect_stdout(io.StringIO()):  # its progress bars belong to no terminal
        ds_to_universal(args)
    write_manifest(tmp, {"converted_from": checkpoint.name, "world_size": saved_world_size(checkpoint)})
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return target
