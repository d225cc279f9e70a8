#!/usr/bin/env bash
# Installs the Debian 12 packages cbkit needs: to build (default), to build and run the demo
# (`deps.sh demo`: python3 serves its web page), to build and test
# (`deps.sh test`), or also to fuzz (`deps.sh fuzz`: clang and libFuzzer). Skips apt-get when every package is already there, so it is cheap to
# call from the demo and test commands. `test` (and `fuzz`) also install the Node tools the
# tests use (warcio.js for the WARC interop test, whatsapp-chat-parser for the chat checker
# test and bench/chat.sh, replaywebpage for the WACZ replay test), pinned in tests/node/package-lock.json, with
# `npm ci` into tests/node/node_modules (git-ignored; again only when the lock file changed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

build_pkgs=(cmake g++ make pkg-config libcli11-dev nlohmann-json3-dev libssl-dev libmagic-dev libmagic-mgc libgmime-3.0-dev
  libcurl4-openssl-dev libarchive-dev zlib1g-dev libqrencode-dev ca-certificates)
test_pkgs=(catch2 jq python3 python3-jsonschema util-linux openssl time file man-db groff-base age
  minisign libarchive-tools unzip zstd wget gzip poppler-utils chromium nodejs npm)

pkgs=("${build_pkgs[@]}")
fuzz_pkgs=(clang libclang-rt-14-dev)
if [[ "${1:-build}" == demo ]]; then pkgs+=(python3); fi
if [[ "${1:-build}" == test ]]; then pkgs+=("${test_pkgs[@]}"); fi
if [[ "${1:-build}" == fuzz ]]; then pkgs+=("${test_pkgs[@]}" "${fuzz_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  # A Node from elsewhere (e.g. NodeSource's nodejs, which bundles npm and conflicts with
  # Debian's npm) will do: only its commands are needed.
  if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "cbkit: missing Debian packages: ${missing[*]}; run this as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The tests' Node tools, project-local; the stamp records which lock file was installed.
if [[ "${1:-build}" == test || "${1:-build}" == fuzz ]]; then
  node_dir="$root/tests/node"
  stamp="$node_dir/node_modules/.cbkit-lock.sha256"
  want=$(sha256sum <"$node_dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -x $node_dir/node_modules/.bin/warcio || $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
    echo "installing the tests' Node tools (npm ci in tests/node)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" >"$stamp"
  fi
fi
