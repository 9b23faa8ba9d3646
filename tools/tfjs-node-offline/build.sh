#!/usr/bin/env bash
# Gives the workspace's @tensorflow/tfjs-node its native addon without its install script, which
# downloads libtensorflow and a prebuilt addon from storage.googleapis.com. For machines that reach
# Maven Central, PyPI and the npm registry but not Google's storage (dev-only: CI and users who can
# run tfjs-node's own install script never need it). Linux x86-64, CPU only.
#
#   tools/tfjs-node-offline/build.sh            # then: DIT_BACKEND=node pnpm ... / pnpm bench
#
# What it does:
#   1. TensorFlow 2.10.1's CPU C library from Maven Central (org.tensorflow:tensorflow-core-api:0.5.0,
#      classifier linux-x86_64: libtensorflow_cc.so.2 exports the C and eager C APIs tfjs-node uses)
#      into $LIBTF_DIR/lib.
#   2. The matching C API headers from PyPI's tensorflow-cpu==2.10.1 wheel (headers only).
#   3. Compiles tfjs-node's binding/*.cc with g++ against them and Node's own headers, into
#      <tfjs-node>/lib/napi-v8/tfjs_binding.node (the path its loader looks for on Node >= 15),
#      with $LIBTF_DIR/lib as its run path (no LD_LIBRARY_PATH needed).
#   4. Checks that @dit/core's selectBackend picks the 'node' backend.
#
# Environment: LIBTF_DIR (default ~/.cache/dit/libtensorflow-2.10.1), TFJS_NODE_DIR (default: the
# @tensorflow/tfjs-node that @dit/core resolves), PYTHON (default python3, with pip).
# tfjs-node 4.22 is built for TensorFlow 2.9.1; it uses only the stable C API, and @dit's model,
# flow, samplers, encoders, train and data tests pass on this 2.10.1 build (docs/performance.md).
set -euo pipefail

TF_VERSION=2.10.1
TF_JAVA_VERSION=0.5.0 # tensorflow-core-api 0.5.0 = TensorFlow 2.10.1
NAPI_VERSION=8
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LIBTF_DIR="${LIBTF_DIR:-$HOME/.cache/dit/libtensorflow-$TF_VERSION}"
PYTHON="${PYTHON:-python3}"
JAR_URL="https://repo1.maven.org/maven2/org/tensorflow/tensorflow-core-api/$TF_JAVA_VERSION/tensorflow-core-api-$TF_JAVA_VERSION-linux-x86_64.jar"

say() { printf '[tfjs-node-offline] %s\n' "$*"; }
fail() { printf '[tfjs-node-offline] error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Linux x86-64 only (Maven's jar has no other build of this TensorFlow)"
for tool in curl unzip g++ node; do command -v "$tool" >/dev/null || fail "$tool is required"; done

TFJS_NODE_DIR="${TFJS_NODE_DIR:-$(cd "$ROOT/packages/core" && node -p "require('path').dirname(require.resolve('@tensorflow/tfjs-node/package.json'))" 2>/dev/null || true)}"
[ -n "$TFJS_NODE_DIR" ] && [ -f "$TFJS_NODE_DIR/binding/tfjs_binding.cc" ] ||
  fail "@tensorflow/tfjs-node is not installed where @dit/core resolves it (run pnpm install first, or set TFJS_NODE_DIR)"
say "tfjs-node: $TFJS_NODE_DIR"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# 1. The library.
if [ ! -f "$LIBTF_DIR/lib/libtensorflow_cc.so.2" ]; then
  say "downloading TensorFlow $TF_VERSION's C library from Maven Central (~117 MB)"
  curl -fsSL -o "$WORK/api.jar" "$JAR_URL" || fail "cannot download $JAR_URL"
  mkdir -p "$WORK/lib"
  unzip -q -j "$WORK/api.jar" 'org/tensorflow/internal/c_api/linux-x86_64/libtensorflow_*' -d "$WORK/lib"
  mkdir -p "$LIBTF_DIR"
  rm -rf "$LIBTF_DIR/lib" && mv "$WORK/lib" "$LIBTF_DIR/lib"
fi
ln -sf libtensorflow_cc.so.2 "$LIBTF_DIR/lib/libtensorflow_cc.so"
ln -sf libtensorflow_framework.so.2 "$LIBTF_DIR/lib/libtensorflow_framework.so"

# 2. The headers.
if [ ! -f "$LIBTF_DIR/include/tensorflow/c/c_api.h" ]; then
  say "downloading the tensorflow-cpu==$TF_VERSION wheel from PyPI for its C headers (~205 MB, not kept)"
  "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.10 --platform manylinux2014_x86_64 \
    "tensorflow-cpu==$TF_VERSION" -d "$WORK/wheel" || fail "pip download tensorflow-cpu==$TF_VERSION failed"
  unzip -q "$WORK"/wheel/tensorflow_cpu-*.whl 'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/ctstring*' -d "$WORK/headers"
  rm -rf "$LIBTF_DIR/include" && mv "$WORK/headers/tensorflow/include" "$LIBTF_DIR/include"
fi

# Node-API headers: Node's own, else the npm package.
NODE_INCLUDE="$(dirname "$(dirname "$(command -v node)")")/include/node"
if [ ! -f "$NODE_INCLUDE/node_api.h" ]; then
  say "Node's headers are not installed; using the npm package node-api-headers"
  (cd "$WORK" && npm pack --silent node-api-headers >/dev/null && tar -xzf node-api-headers-*.tgz)
  NODE_INCLUDE="$WORK/package/include"
fi

# 3. The addon.
OUT="$TFJS_NODE_DIR/lib/napi-v$NAPI_VERSION/tfjs_binding.node"
mkdir -p "$(dirname "$OUT")"
say "compiling $OUT"
g++ -O3 -fPIC -shared -pthread -std=gnu++17 \
  -DNAPI_VERSION=$NAPI_VERSION -DNODE_GYP_MODULE_NAME=tfjs_binding -DBUILDING_NODE_EXTENSION \
  -I"$NODE_INCLUDE" -I"$LIBTF_DIR/include" \
  "$TFJS_NODE_DIR/binding/tfjs_backend.cc" "$TFJS_NODE_DIR/binding/tfjs_binding.cc" \
  -L"$LIBTF_DIR/lib" -ltensorflow_cc -ltensorflow_framework -Wl,-rpath,"$LIBTF_DIR/lib" \
  -o "$WORK/tfjs_binding.node"
unresolved="$(nm -D -u "$WORK/tfjs_binding.node" | grep -E ' (TF|TFE)_' | grep -v '@tensorflow' || true)"
[ -z "$unresolved" ] || fail "TensorFlow C API symbols the library does not export: $unresolved"
mv "$WORK/tfjs_binding.node" "$OUT"

# 4. The check (from bench/, a workspace package that depends on @dit/core; needs its build).
cd "$ROOT/bench"
TF_CPP_MIN_LOG_LEVEL=1 node --input-type=module -e "
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dit/core';
await selectBackend({ force: 'node' });
const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
const values = Array.from(await product.data());
if (values.join() !== '17,39') throw new Error('matMul gave ' + values);
console.log('[tfjs-node-offline] @dit/core runs on tfjs backend', tf.getBackend(), 'with libtensorflow ' + tf.backend().binding.TF_Version);
"
