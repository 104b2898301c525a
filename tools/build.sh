#!/usr/bin/env bash
# Configures (once) and builds the WebAssembly module into dist/, then prints the size of each
# file that a user downloads. Incremental: a second run rebuilds only what changed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build/wasm"
deps="$repo_root/build/deps/src"

command -v emcmake >/dev/null || { echo "build: error: emcmake not found; run 'bash tools/setup.sh' or 'apt-get install emscripten'" >&2; exit 1; }
[[ -f "$deps/xnnpack/.adapterkit-unpacked" ]] || { echo "build: error: XNNPACK sources missing in $deps; run 'bash tools/setup.sh' first" >&2; exit 1; }

# Debian's emscripten runs its JavaScript tools with the system node and needs Debian's modules.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"

if [[ ! -f "$build_dir/build.ninja" ]]; then
  emcmake cmake -S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DXNNPACK_SOURCE_DIR="$deps/xnnpack" \
    -DPTHREADPOOL_SOURCE_DIR="$deps/pthreadpool" \
    -DFXDIV_SOURCE_DIR="$deps/fxdiv" >"$build_dir.configure.log" 2>&1 \
    || { cat "$build_dir.configure.log" >&2; echo "build: error: cmake configure failed" >&2; exit 1; }
fi
build_log="$repo_root/build/wasm.build.log"
if ! cmake --build "$build_dir" -j "$(nproc)" >"$build_log" 2>&1; then
  grep -v '^\[[0-9]*/[0-9]*\] Building' "$build_log" >&2 || true
  echo "build: error: compilation failed (full log: $build_log)" >&2
  exit 1
fi

for file in dist/adapterkit.wasm dist/adapterkit.mjs; do
  printf 'build: %-22s %8d bytes\n' "$file" "$(stat -c %s "$repo_root/$file")"
done
