#!/usr/bin/env bash
# Installs the Debian 12 packages cbkit needs: to build (default) or to build and test
# (`deps.sh test`), or also to fuzz (`deps.sh fuzz`: clang and libFuzzer). Skips apt-get when every package is already there, so it is cheap to
# call from the demo and test commands.
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config libcli11-dev nlohmann-json3-dev libssl-dev libmagic-dev libmagic-mgc libgmime-3.0-dev
  libcurl4-openssl-dev libarchive-dev zlib1g-dev libqrencode-dev ca-certificates)
test_pkgs=(catch2 jq python3 python3-jsonschema util-linux openssl time file man-db groff-base
  minisign libarchive-tools unzip zstd wget gzip poppler-utils chromium)

pkgs=("${build_pkgs[@]}")
fuzz_pkgs=(clang libclang-rt-14-dev)
if [[ "${1:-build}" == test ]]; then pkgs+=("${test_pkgs[@]}"); fi
if [[ "${1:-build}" == fuzz ]]; then pkgs+=("${test_pkgs[@]}" "${fuzz_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  echo "cbkit: missing Debian packages: ${missing[*]}; run this as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
