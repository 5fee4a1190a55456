#!/usr/bin/env bash
# Installs every Debian package that building, testing, fuzzing and benchmarking attestd need.
# Skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libssl-dev openssl libtss2-dev nlohmann-json3-dev libfmt-dev libcli11-dev
  libxml2-dev libxmlsec1-dev libxmlsec1-openssl xmlsec1
  libboost-dev libsqlite3-dev sqlite3 libsimdjson-dev
  libre2-dev libcbor-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 python3 python3-jwcrypto python3-cryptography python3-jsonschema jq curl jose strace
  # fuzzing (libFuzzer; clang 16 is the first whose libstdc++ 12 <expected> works)
  clang-16 libclang-rt-16-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
