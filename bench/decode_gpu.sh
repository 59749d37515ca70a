#!/usr/bin/env bash
# GPU decoding (NVDEC through PyNvVideoCodec) against decord on real footage (bench/decode_gpu.py),
# on a lent CUDA machine without network.
#
# Prepare here (the project's venv, PyPI access):
#   bench/decode_gpu.sh prepare     -> .gpudec/whl (PyNvVideoCodec and decord wheels for CPython 3.12)
#                                      .gpudec/clips (14 real clips + compressed/ copies, ~10 MB)
# Run there (the device tool's `run`, carrying .gpudec; torch is already installed there):
#   bash bench/decode_gpu.sh run    -> $OUT/decode-gpu.json and a Markdown table on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

case "${1:-}" in
prepare)
  rm -rf .gpudec && mkdir -p .gpudec/whl .gpudec/clips
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2010_x86_64 -d .gpudec/whl \
    PyNvVideoCodec==2.2.4 decord==0.6.0
  "$PY" - <<'PYTHON'
from pathlib import Path
from core.data.transcode import TranscodeParams, transcode
from tests.fixtures.real_footage import BENCH_CLIPS, make_clips

clips = make_clips(Path(".gpudec/clips"), BENCH_CLIPS)
for clip in clips:
    transcode(clip, Path(".gpudec/clips/compressed") / f"{clip.stem}.mp4", TranscodeParams(short_side=256, gop=8))
print(f"{len(clips)} clips and their compressed copies in .gpudec/clips")
PYTHON
  du -sh .gpudec
  ;;
run)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpudec/whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 bench/decode_gpu.py --clips .gpudec/clips --out "${OUT:-.}/decode-gpu.json"
  ;;
*)
  echo "usage: bench/decode_gpu.sh prepare|run" >&2
  exit 2
  ;;
esac
