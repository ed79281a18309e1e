#!/usr/bin/env bash
# The GPU benchmark in one command, for a machine without internet that has torch, JAX
# and transformers but not Keras, keras-hub or TensorFlow.
#
# Here (with a package index):
#   bash tools/gpu_benchmark.sh
#     builds the keras-electra wheel and downloads keras, keras-hub and the pure-python
#     and binary (CPython 3.11-3.13, manylinux x86_64) packages they need that such a
#     machine lacks into build/gpu_wheels (WHEELS=dir to change it). No dependency is
#     resolved: the list below is the whole set.
# There (in the repository root, with build/gpu_wheels copied along):
#   bash tools/gpu_benchmark.sh --remote [extra benchmark arguments]
#     makes a virtual environment that sees the system's torch/JAX/transformers
#     (VENV, default /tmp/keras-electra-venv), installs the wheels with --no-index
#     --no-deps, checks `import keras_electra`, then runs
#     keras-electra benchmark --size small --batch-size 128 --seq-len 128
#       --precision bfloat16 --backends jax torch --out $OUT/bench
#     under `timeout $BUDGET` (default 480 s). Extra arguments are appended, so
#     `--size tiny --steps 1` overrides the defaults for a dry run.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=${WHEELS:-build/gpu_wheels}

# Pure-python packages (one wheel serves every Python).
PURE=(
  keras==3.15.1 keras-hub==0.32.0 absl-py namex rich markdown-it-py mdurl pygments
  kagglehub kagglesdk==0.1.28 protobuf packaging requests tqdm charset-normalizer idna
  urllib3 certifi typing-extensions
)
# Compiled packages Keras or keras-hub import. ml-dtypes comes with JAX; tokenizers,
# regex and pyyaml with transformers. tensorflow-text is left out: keras-hub imports
# without it.
BINARY=(h5py optree sentencepiece)
PYTHONS=(3.11 3.12 3.13)

if [ "${1:-}" != "--remote" ]; then
  rm -rf "$WHEELS"
  mkdir -p "$WHEELS"
  python -m pip wheel --no-deps --no-build-isolation -q -w "$WHEELS" .
  python -m pip download --no-deps -q -d "$WHEELS" --only-binary=:all: \
    --implementation py --abi none --platform any --python-version 3.11 "${PURE[@]}"
  for py in "${PYTHONS[@]}"; do
    python -m pip download --no-deps -q -d "$WHEELS" --only-binary=:all: \
      --implementation cp --python-version "$py" \
      --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux_2_28_x86_64 "${BINARY[@]}"
  done
  echo "wrote $(ls "$WHEELS" | wc -l) wheels ($(du -sh "$WHEELS" | cut -f1)) to $WHEELS"
  echo "on the GPU machine, from the repository root: bash tools/gpu_benchmark.sh --remote"
  exit 0
fi

shift
BUDGET=${BUDGET:-480}
VENV=${VENV:-/tmp/keras-electra-venv}
OUT=${OUT:-$PWD/gpu_benchmark_out}
[ -d "$WHEELS" ] || { echo "no $WHEELS: run tools/gpu_benchmark.sh here first" >&2; exit 2; }
python -m venv --system-site-packages "$VENV"
PY="$VENV/bin/python"
# Only the packages this Python lacks; --no-deps so keras-hub does not ask for
# tensorflow-text, --no-index so nothing is fetched.
# ALL=1 installs every wheel into the environment, over what the system has (a test
# of the set on a machine that has Keras already).
missing=(keras-electra)
for spec in "${PURE[@]}" "${BINARY[@]}"; do
  if [ "${ALL:-0}" = 1 ] || ! "$PY" -m pip show -q "${spec%%==*}" >/dev/null 2>&1; then
    missing+=("$spec")
  fi
done
"$PY" -m pip install -q --no-index --no-deps --ignore-installed --find-links "$WHEELS" \
  "${missing[@]}"
KERAS_BACKEND=jax "$PY" -c "import keras_electra, keras, keras_hub; print('keras', keras.__version__, 'keras-hub', keras_hub.__version__)"
mkdir -p "$OUT"
cd /tmp  # the installed wheel, not the source tree, is benchmarked
status=0
timeout --signal=INT --kill-after=30 "$BUDGET" "$VENV/bin/keras-electra" benchmark \
  --size small --batch-size 128 --seq-len 128 --precision bfloat16 \
  --backends jax torch --out "$OUT/bench" --overwrite "$@" || status=$?
[ $status -eq 124 ] && echo "stopped at the time budget (${BUDGET}s)" >&2
exit $status
