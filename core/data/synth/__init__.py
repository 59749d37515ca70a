"""The synthetic suite: a seeded, license-free video-language benchmark in the real datasets' formats.

`generate_suite(root, size, seed)` writes seven parts (pre-training captions, MSR-VTT, MSRVTT-QA,
MSVD-QA, UCF101, HMDB51, ActivityNet layouts) of 64x64 videos showing coloured shapes in motion,
each with the ground truth real data lacks (object masks, scene cuts, action flags); read it
back with `load_ground_truth(part_root, video_stem)`. See docs/synthetic.md.
"""

from .ground_truth import load_ground_truth
from .sizes import SUITE_SIZES
from .suite import GENERATOR_VERSION, MANIFEST, SynthPart, generate_suite

__all__ = ["GENERATOR_VERSION", "MANIFEST", "SUITE_SIZES", "SynthPart", "generate_suite", "load_ground_truth"]
