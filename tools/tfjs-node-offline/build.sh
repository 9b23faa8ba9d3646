#!/usr/bin/env bash
# Builds the native addon of the workspace's @tensorflow/tfjs-node (or, with --gpu, of
# @tensorflow/tfjs-node-gpu) against a chosen TensorFlow C library from Maven Central, instead of
# the libtensorflow 2.9.1 (CUDA 11.2) that their install scripts download from Google's storage.
# Linux x86-64. Usage (README.md beside this file):
#
#   pnpm tfjs-native build                   # tfjs-node on TensorFlow 2.18.0, CPU
#   pnpm tfjs-native build --gpu             # tfjs-node-gpu on TensorFlow 2.18.0 for CUDA 12.5 / cuDNN 9.3
#   pnpm tfjs-native build --gpu --tf 2.16   # CUDA 12.3 / cuDNN 8.9;  --tf 2.10: CUDA 11.2 / cuDNN 8.1
#   pnpm tfjs-native remove [--gpu]          # takes the addon out again: selectBackend falls back to wasm
#
# What `build` does:
#   1. The TensorFlow C library from Maven Central (TensorFlow Java's jars: tensorflow-core-api 0.5.0 =
#      TF 2.10.1, tensorflow-core-native 1.0.0 = TF 2.16.2, 1.1.0 = TF 2.18.0; classifier linux-x86_64,
#      or linux-x86_64-gpu) into $LIBTF_DIR/lib.
#   2. The matching C API headers from PyPI's tensorflow-cpu wheel (headers only; the wheel is not kept).
#   3. Compiles tfjs-node's binding/*.cc with g++ into <package>/lib/napi-v8/tfjs_binding.node, with
#      $LIBTF_DIR/lib as its run path (no LD_LIBRARY_PATH needed), and writes dit-libtensorflow.json
#      beside it (which TensorFlow, where, which CUDA libraries it needs: `dit doctor` reads it).
#   4. Checks with @dit/core that the backend loads, reports that TensorFlow version and passes
#      selectBackend's works-check (a matMul and a gradient). If not, the new addon is removed and the
#      one that was there before (if any) put back.
#
# Environment: LIBTF_DIR (default ${XDG_CACHE_HOME:-~/.cache}/dit/libtensorflow-<version>[-gpu]),
# TFJS_NODE_DIR (default: the package that @dit/core resolves), PYTHON (default python3, with pip).
set -euo pipefail

say() { printf '[tfjs-native] %s\n' "$*"; }
fail() { printf '[tfjs-native] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

COMMAND=build
GPU=false
TF=2.18
[ $# -gt 0 ] && case "$1" in build | remove) COMMAND="$1"; shift ;; esac
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) GPU=true ;;
    --cpu) GPU=false ;;
    --tf) [ $# -ge 2 ] || fail "--tf needs a version (2.10, 2.16 or 2.18)"; TF="$2"; shift ;;
    --tf=*) TF="${1#--tf=}" ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

# TensorFlow Java release -> TensorFlow, and the CUDA/cuDNN its GPU build was made for (TensorFlow's
# tested build configurations). CUDA_LIBS: the libraries TensorFlow opens at run time for that CUDA.
case "$TF" in
  2.10 | 2.10.1)
    TF_VERSION=2.10.1 ARTIFACT=tensorflow-core-api JAVA_VERSION=0.5.0 HEADERS_PYTHON=3.10 CUDA=11.2 CUDNN=8.1
    CUDA_LIBS="libcuda.so.1 libcudart.so.11.0 libcublas.so.11 libcublasLt.so.11 libcufft.so.10 libcurand.so.10 libcusolver.so.11 libcusparse.so.11 libcudnn.so.8" ;;
  2.16 | 2.16.2)
    TF_VERSION=2.16.2 ARTIFACT=tensorflow-core-native JAVA_VERSION=1.0.0 HEADERS_PYTHON=3.11 CUDA=12.3 CUDNN=8.9
    CUDA_LIBS="libcuda.so.1 libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcusolver.so.11 libcusparse.so.12 libnvJitLink.so.12 libcudnn.so.8" ;;
  2.18 | 2.18.0)
    TF_VERSION=2.18.0 ARTIFACT=tensorflow-core-native JAVA_VERSION=1.1.0 HEADERS_PYTHON=3.11 CUDA=12.5 CUDNN=9.3
    CUDA_LIBS="libcuda.so.1 libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcufft.so.11 libcusolver.so.11 libcusparse.so.12 libnvJitLink.so.12 libcudnn.so.9" ;;
  *) fail "--tf $TF: expected 2.10, 2.16 or 2.18" ;;
esac
if $GPU; then
  PACKAGE=@tensorflow/tfjs-node-gpu BACKEND=node-gpu CLASSIFIER=linux-x86_64-gpu VARIANT=gpu
else
  PACKAGE=@tensorflow/tfjs-node BACKEND=node CLASSIFIER=linux-x86_64 VARIANT=cpu
fi
NAPI_VERSION=8
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

TFJS_NODE_DIR="${TFJS_NODE_DIR:-$(cd "$ROOT/packages/core" && node -p "require('path').dirname(require.resolve('$PACKAGE/package.json'))" 2>/dev/null || true)}"
[ -n "$TFJS_NODE_DIR" ] && [ -f "$TFJS_NODE_DIR/binding/tfjs_binding.cc" ] ||
  fail "$PACKAGE is not installed where @dit/core resolves it (run pnpm install first, or set TFJS_NODE_DIR)"
ADDON="$TFJS_NODE_DIR/lib/napi-v$NAPI_VERSION/tfjs_binding.node"
MANIFEST="$(dirname "$ADDON")/dit-libtensorflow.json"

if [ "$COMMAND" = remove ]; then
  rm -f "$ADDON" "$MANIFEST"
  say "removed $ADDON"
  exit 0
fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Linux x86-64 only (the Maven jars used here hold no other build)"
for tool in curl unzip g++ nm node; do command -v "$tool" >/dev/null || fail "$tool is required"; done
[ -f "$ROOT/packages/core/dist/index.js" ] || fail "@dit/core is not built (its check uses it): run pnpm build first"
LIBTF_DIR_SET_BY_USER="${LIBTF_DIR:+1}"
LIBTF_DIR="${LIBTF_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dit/libtensorflow-$TF_VERSION$($GPU && echo -gpu || true)}"
PYTHON="${PYTHON:-python3}"
JAR_URL="https://repo1.maven.org/maven2/org/tensorflow/$ARTIFACT/$JAVA_VERSION/$ARTIFACT-$JAVA_VERSION-$CLASSIFIER.jar"
say "$PACKAGE ($TFJS_NODE_DIR) on TensorFlow $TF_VERSION ($VARIANT), libtensorflow in $LIBTF_DIR"

WORK="$(mktemp -d)"
BACKUP="$WORK/previous"
trap 'rm -rf "$WORK"' EXIT

# 1. The library.
if [ ! -f "$LIBTF_DIR/lib/libtensorflow_cc.so.2" ]; then
  say "downloading org.tensorflow:$ARTIFACT:$JAVA_VERSION:$CLASSIFIER from Maven Central (150-530 MB)"
  curl -fsSL -o "$WORK/lib.jar" "$JAR_URL" || fail "cannot download $JAR_URL"
  mkdir -p "$WORK/lib"
  unzip -q -j "$WORK/lib.jar" "org/tensorflow/internal/c_api/$CLASSIFIER/libtensorflow_*" -d "$WORK/lib"
  rm -f "$WORK/lib.jar"
  mkdir -p "$LIBTF_DIR"
  rm -rf "$LIBTF_DIR/lib" && mv "$WORK/lib" "$LIBTF_DIR/lib"
fi
ln -sf libtensorflow_cc.so.2 "$LIBTF_DIR/lib/libtensorflow_cc.so"
ln -sf libtensorflow_framework.so.2 "$LIBTF_DIR/lib/libtensorflow_framework.so"

# 2. The headers (the same for the CPU and GPU builds: taken from the other's folder when it has them).
if [ ! -f "$LIBTF_DIR/include/tensorflow/c/c_api.h" ]; then
  sibling="${LIBTF_DIR%-gpu}"; $GPU || sibling="$LIBTF_DIR-gpu"
  if [ -z "${LIBTF_DIR_SET_BY_USER:-}" ] && [ -f "$sibling/include/tensorflow/c/c_api.h" ]; then
    rm -rf "$LIBTF_DIR/include" && cp -r "$sibling/include" "$LIBTF_DIR/include"
  else
    command -v "$PYTHON" >/dev/null || fail "$PYTHON with pip is needed once, to fetch TensorFlow's C headers from PyPI"
    say "downloading the tensorflow-cpu==$TF_VERSION wheel from PyPI for its C headers (~200-250 MB, not kept)"
    "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version "$HEADERS_PYTHON" --platform manylinux2014_x86_64 \
      "tensorflow-cpu==$TF_VERSION" -d "$WORK/wheel" || fail "pip download tensorflow-cpu==$TF_VERSION failed"
    # unzip exits 11 when a pattern matches nothing (tsl/ and xla/ exist from TF 2.13 on).
    unzip -q "$WORK"/wheel/tensorflow_cpu-*.whl 'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/*' \
      'tensorflow/include/tsl/*' 'tensorflow/include/xla/tsl/*' -d "$WORK/headers" 2>"$WORK/unzip.log" ||
      [ $? -eq 11 ] || { cat "$WORK/unzip.log" >&2; fail "cannot unpack the wheel's headers"; }
    rm -rf "$WORK/wheel" "$LIBTF_DIR/include" && mv "$WORK/headers/tensorflow/include" "$LIBTF_DIR/include"
  fi
fi

# Node-API headers: Node's own, else the npm package.
NODE_INCLUDE="$(dirname "$(dirname "$(command -v node)")")/include/node"
if [ ! -f "$NODE_INCLUDE/node_api.h" ]; then
  say "Node's headers are not installed; using the npm package node-api-headers"
  (cd "$WORK" && npm pack --silent node-api-headers >/dev/null && tar -xzf node-api-headers-*.tgz)
  NODE_INCLUDE="$WORK/package/include"
fi

# 3. The addon, checked against the library's exports before it replaces anything.
say "compiling tfjs_binding.node"
g++ -O3 -fPIC -shared -pthread -std=gnu++17 \
  -DNAPI_VERSION=$NAPI_VERSION -DNODE_GYP_MODULE_NAME=tfjs_binding -DBUILDING_NODE_EXTENSION \
  -I"$NODE_INCLUDE" -I"$LIBTF_DIR/include" \
  "$TFJS_NODE_DIR/binding/tfjs_backend.cc" "$TFJS_NODE_DIR/binding/tfjs_binding.cc" \
  -L"$LIBTF_DIR/lib" -ltensorflow_cc -ltensorflow_framework -Wl,-rpath,"$LIBTF_DIR/lib" \
  -o "$WORK/tfjs_binding.node"
nm -D -u "$WORK/tfjs_binding.node" | awk '{print $2}' | grep -E '^(TF|TFE)_' | sed 's/@.*//' | sort -u >"$WORK/needed"
nm -D --defined-only "$LIBTF_DIR/lib/libtensorflow_cc.so.2" "$LIBTF_DIR/lib/libtensorflow_framework.so.2" 2>/dev/null |
  awk 'NF == 3 {print $3}' | sed 's/@.*//' | sort -u >"$WORK/exported"
unresolved="$(comm -23 "$WORK/needed" "$WORK/exported" | tr '\n' ' ')"
[ -z "$unresolved" ] || fail "TensorFlow C API symbols that libtensorflow $TF_VERSION does not export: $unresolved"

# Put it in place, keeping the previous addon until the check has passed.
mkdir -p "$BACKUP" "$(dirname "$ADDON")"
[ -f "$ADDON" ] && cp -p "$ADDON" "$BACKUP/addon"
[ -f "$MANIFEST" ] && cp -p "$MANIFEST" "$BACKUP/manifest"
restore() {
  rm -f "$ADDON" "$MANIFEST"
  [ -f "$BACKUP/addon" ] && cp -p "$BACKUP/addon" "$ADDON"
  [ -f "$BACKUP/manifest" ] && cp -p "$BACKUP/manifest" "$MANIFEST"
  if [ -f "$ADDON" ]; then say "the previous addon is back in place"; else say "no addon left in place: selectBackend will skip $BACKEND"; fi
}
mv "$WORK/tfjs_binding.node" "$ADDON"
json_list() { printf '"%s",' "$@" | sed 's/,$//'; }
cat >"$MANIFEST" <<EOF
{
  "tensorflow": "$TF_VERSION",
  "variant": "$VARIANT",
  "libraryDir": "$LIBTF_DIR/lib",
  "maven": "org.tensorflow:$ARTIFACT:$JAVA_VERSION:$CLASSIFIER",
  "cuda": $($GPU && echo "\"$CUDA\"" || echo null),
  "cudnn": $($GPU && echo "\"$CUDNN\"" || echo null),
  "cudaLibraries": [$($GPU && json_list $CUDA_LIBS || true)],
  "builtBy": "tools/tfjs-node-offline/build.sh",
  "node": "$(node -p process.version)"
}
EOF

# 4. The check (from bench/, a workspace package that depends on @dit/core; needs its build).
say "checking: selectBackend({ force: '$BACKEND' }) with its works-check"
if ! (cd "$ROOT/bench" && TF_CPP_MIN_LOG_LEVEL=1 node --input-type=module -e "
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dit/core';
const choice = await selectBackend({ force: '$BACKEND' });
const version = tf.backend().binding.TF_Version;
if (version !== '$TF_VERSION') throw new Error('the addon loaded libtensorflow ' + version + ', expected $TF_VERSION');
console.log('[tfjs-native] @dit/core runs on ' + choice.name + ' (tfjs backend ' + tf.getBackend() + ') with libtensorflow ' + version);
"); then
  printf '[tfjs-native] error: the built addon failed its check (above); removing it\n' >&2
  restore
  exit 1
fi
