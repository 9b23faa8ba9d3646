#!/usr/bin/env bash
# The one-shot GPU measurement (bench/README.md, "The GPU measurement"): @dit on WebGPU (tfjs
# generic kernels, then @dit's WebGPU kernels) against PyTorch float32 with TF32 off, on the same
# GPU, for the original preset at batch 8 / 512 px; needs no network and no installed Node.
#
#   bash .gpu-bench/run.sh --out DIR [--scale full|tiny] [--python python3] [--budget 330]
#                          [--check] [--shipped-loader]
#
# --scale tiny runs the tiny preset instead (a wiring check, e.g. on lavapipe without a GPU);
# --budget is the seconds the measurements may take in all (unpacking comes before, ~10 s);
# --check only sets up and runs one tiny forward on WebGPU (which adapter, does it work);
# --shipped-loader uses the shipped Vulkan loader even where the system has one (to test it).
# Writes DIR/gpu-bench.json, DIR/gpu-bench.md and DIR/log.txt; prints the table last.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${OUT:-$PWD/gpu-bench-out}"
SCALE=full
PYTHON=python3
BUDGET=330
CHECK=0
SHIPPED_LOADER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) CHECK=1; shift ;;
    --shipped-loader) SHIPPED_LOADER=1; shift ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument '$1' (--out DIR, --scale full|tiny, --python CMD, --budget SECONDS, --check, --shipped-loader)" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dit-gpu-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log() { echo "[gpu-bench] $*" | tee -a "$OUT_DIR/log.txt" >&2; }
: > "$OUT_DIR/log.txt"

# 1. Node and Dawn, unpacked into a temp folder (the carried folder stays as it came); with
# xz-utils, or else Python's lzma module.
started=$(date +%s)
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  else "$PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
unxz_to "$HERE/node.xz" "$WORK/node" && chmod +x "$WORK/node" || { log "cannot unpack node.xz (neither xz nor $PYTHON with lzma)"; exit 1; }
cp -r "$HERE/app" "$WORK/app"
unxz_to "$HERE/dawn.node.xz" "$WORK/app/node_modules/webgpu/dist/linux-x64/dawn.node" || { log "cannot unpack dawn.node.xz"; exit 1; }
log "unpacked Node $("$WORK/node" --version) and Dawn in $(( $(date +%s) - started )) s"

# 2. The Vulkan loader: Dawn opens libvulkan.so.1. Where the system has none, the shipped
# libvulkan1 and libglvnd0 (NVIDIA's Vulkan driver links libGLdispatch) go into the temp folder,
# found through LD_LIBRARY_PATH: nothing is written outside it.
LOADER=system
# grep reads the whole list: with pipefail, grep -q's early exit would fail the pipeline now and
# then (SIGPIPE to ldconfig) and the system's loader would be missed.
system_has() { { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep "$1" >/dev/null; }
if [ $SHIPPED_LOADER = 1 ] || ! system_has 'libvulkan\.so\.1'; then
  LOADER="shipped"
  found=0
  for deb in "$HERE"/debs/*.deb; do
    [ -f "$deb" ] || continue
    if command -v dpkg-deb >/dev/null 2>&1; then dpkg-deb -x "$deb" "$WORK/root" && found=1
    else (mkdir -p "$WORK/deb" && cd "$WORK/deb" && ar x "$deb" && mkdir -p "$WORK/root" && tar -xf data.tar.* -C "$WORK/root" && rm -f data.tar.* control.tar.* debian-binary) && found=1
    fi
  done
  if [ $found = 1 ]; then
    export LD_LIBRARY_PATH="$WORK/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    LOADER="missing (no libvulkan.so.1 here and none shipped in debs/)"
  fi
fi
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$dir" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$dir:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$dir" ;; esac
done
# NVIDIA's Vulkan driver manifest, where the image keeps it outside the loader's search path.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
log "Vulkan loader: $LOADER; VK_DRIVER_FILES=${VK_DRIVER_FILES:-<loader default>}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"

# 3. The measurements (or, with --check, one tiny forward on WebGPU).
if [ $CHECK = 1 ]; then
  "$WORK/node" "$WORK/app/run-tfjs.mjs" --backend webgpu --case tiny --measures forward --reps 1 | tee "$OUT_DIR/check.json"
  status=${PIPESTATUS[0]}
  log "check done in $(( $(date +%s) - started )) s (exit $status)"
  exit $status
fi
"$WORK/node" "$WORK/app/main.mjs" --scale "$SCALE" --out "$OUT_DIR" --python "$PYTHON" --python-dir "$HERE/python" --budget "$BUDGET" --loader "$LOADER"
status=$?
log "done in $(( $(date +%s) - started )) s (exit $status)"
exit $status
