"""GPU decoding, on a CPU: the decoder's selection and fallback, decode plans that give exactly the
clips the workers make, the device-side transform against the CPU one, per-clip fallback.
(PyNvVideoCodec's own decoding needs an NVIDIA GPU: bench/decode_gpu.sh measures it there.)"""

from __future__ import annotations

import importlib.util
import types

import numpy as np
import pytest
import torch

from core.data import gpu_decode
from core.data.clip_plan import execute_on_cpu, plan_clip
from core.data.formats import read_index
from core.data.gpu_decode import DeviceBatches, select_decoder, transform_on_device
from core.data.tasks import PretrainDataset
from core.data.transforms import TrainTransform
from core.data.video import open_video
from tests.core.data.layouts import CAPTIONS
from tests.core.data.media import write_frame_folder


def test_gpu_is_chosen_only_with_a_device_and_the_library(monkeypatch):
    assert select_decoder("cpu", "cuda").name == "cpu"
    choice = select_decoder("gpu", "cpu")
    assert choice.name == "cpu" and "no CUDA device" in choice.reason
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    choice = select_decoder("gpu", "cuda")
    assert choice.name == "cpu" and "PyNvVideoCodec is not installed" in choice.reason
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: types.SimpleNamespace(name=name))
    import sys

    monkeypatch.setitem(sys.modules, "PyNvVideoCodec", None)  # present but failing to load (no driver)
    choice = select_decoder("gpu", "cuda")
    assert choice.name == "cpu" and "does not load" in choice.reason
    with pytest.raises(ValueError, match="cpu, gpu"):
        select_decoder("tpu", "cuda")


class CpuExecutor:
    """Stands in for NVDEC: runs each plan with the CPU decoder."""

    def __init__(self, transform: TrainTransform, fail_on: str = ""):
        self.transform, self.fail_on = transform, fail_on

    def decode(self, plan):
        if self.fail_on and self.fail_on in plan.name:
            raise RuntimeError("unsupported codec")
        return execute_on_cpu(plan, self.transform)


@pytest.fixture
def real_index(tmp_path, real_clips):
    root = tmp_path / "real"
    (root / "videos").mkdir(parents=True)
    lines = ["video_path,caption"]
    for n, clip in enumerate(real_clips):
        (root / "videos" / f"c{n}{clip.suffix}").write_bytes(clip.read_bytes())
        lines.append(f"videos/c{n}{clip.suffix},{CAPTIONS[n]}")
    write_frame_folder(root / "videos" / "frames", count=12)
    lines.append(f"videos/frames,{CAPTIONS[4]}")
    (root / "captions.csv").write_text("\n".join(lines) + "\n")
    return read_index("captions", root, fps=8.0)


@pytest.mark.parametrize("short_side", [None, 112])
def test_plans_run_on_the_cpu_give_the_workers_clips_exactly(real_index, minilm_tokenizer, tmp_path, short_side):
    def dataset(deferred: bool) -> PretrainDataset:
        return PretrainDataset([real_index], minilm_tokenizer, num_frames=4, size=64, seed=3, jitter=True,
                               noun_cache=tmp_path / "nouns", decode_short_side=short_side, deferred=deferred)

    direct, planned = dataset(False), dataset(True)
    items = [planned[(1, i)] for i in range(len(planned))]
    assert sum("clip" in it for it in items) == 4  # the frame folder is decoded in the worker, the files planned
    batch = planned.collate()(items)
    assert "frames" not in batch and len(batch["clips"]) == 5
    executor = CpuExecutor(planned.pairs.transform, fail_on="c1")
    batches = DeviceBatches(iter([batch]), executor, torch.device("cpu"), planned.pairs.transform)
    decoded = next(batches)
    expected = direct.collate()([direct[(1, i)] for i in range(len(direct))])
    assert torch.equal(decoded["frames"], expected["frames"])  # [5, 4, 3, 64, 64], bit for bit
    assert torch.equal(decoded["caption_ids"], expected["caption_ids"])
    assert batches.fallbacks == 1  # c1 "failed on the GPU" and was decoded on the CPU, identically


@pytest.mark.parametrize("short_side,size,bound", [(256, 224, 2.0), (224, 112, 4.0)])
def test_the_device_transform_matches_the_cpu_one(real_clips, short_side, size, bound):
    source = real_clips[0]  # 1280x720 H.264
    plan = plan_clip(str(source), "bbb", np.array([0, 9, 18, 27]), short_side)
    transform = TrainTransform(size)
    for seed in range(3):
        drawn = plan.with_crop(*transform.draw(plan.height, plan.width, np.random.default_rng(seed)))
        cpu = execute_on_cpu(drawn, transform).int()  # [4, 3, S, S]
        full = torch.from_numpy(open_video(source).frames(drawn.indices))  # [4, 720, 1280, 3]: what NVDEC gives
        device = transform_on_device(full, drawn, size).int()
        assert device.shape == cpu.shape == (4, 3, size, size)
        # Mean absolute difference in levels of 255: resampling filters differ, not content.
        assert (device - cpu).abs().float().mean() < bound
        mirrored = transform_on_device(full, drawn.with_crop(drawn.box, not drawn.flip), size).int()
        assert (mirrored - cpu).abs().float().mean() > 10


def test_nvdec_needs_the_library():
    if importlib.util.find_spec("PyNvVideoCodec") is not None:
        pytest.skip("PyNvVideoCodec installed here")
    with pytest.raises(ImportError):
        gpu_decode.NvdecClips(torch.device("cpu"), 64)
