#!/usr/bin/env bash
# The GPU benchmark of the base recipe (bench/gpu.py) on a lent CUDA machine without network.
#
# Prepare here (CPU machine with the project's .venv and a small synthetic suite):
#   bench/gpu.sh prepare          -> .whl/ (deepspeed, pydantic, decord wheels for Python 3.12)
#                                    .gpu/  (420 synthetic clips, their noun-phrase cache, the tokenizer)
# Run there (the device tool's `run`, carrying .whl and .gpu):
#   bash bench/gpu.sh run         -> $OUT/gpu-bench.json and a Markdown table on stdout
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
prepare)
  rm -rf .whl && mkdir -p .whl
  DS_BUILD_OPS=0 .venv/bin/pip wheel -q --no-deps deepspeed==0.19.8 -w .whl
  .venv/bin/pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux2010_x86_64 -d .whl \
    pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 hjson==3.1.0 decord==0.6.0
  SYNTH="${SYNTH:-/tmp/synth-small}"
  [ -d "$SYNTH/synth-pretrain" ] || .venv/bin/python -c \
    "from core.data.synth import generate_suite; generate_suite('$SYNTH', size='small')"
  rm -rf .gpu && mkdir -p .gpu/data/synth-pretrain/videos .gpu/tokenizer
  SYNTH="$SYNTH" .venv/bin/python bench/gpu_prepare.py
  ;;
run)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 bench/gpu.py --data .gpu/data/synth-pretrain --tokenizer .gpu/tokenizer \
    --out "${OUT:-.}/gpu-bench.json" --steps "${STEPS:-20}" ${QUICK:+--quick} ${TUNE:+--tune} ${TUNE2:+--tune2}
  ;;
*)
  echo "usage: bench/gpu.sh prepare|run" >&2
  exit 2
  ;;
esac
