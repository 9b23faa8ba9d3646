"""Malformed (and valid-but-unusual) safetensors files, with the Python `safetensors` package's
verdict on each (dev-only; CI never runs it).

Output: packages/core/fixtures/safetensors-validation.json, a list of
  {"name", "bytes" (base64), "python": {"ok": bool, "keys"?: [...], "metadata"?: {...}, "error"?: str}}
The TypeScript reader must accept exactly the files Python accepts (packages/core/src/safetensors/
validation.test.ts). The rules come from safetensors/src/tensor.rs (`Metadata::validate`,
`SafeTensors::read_metadata`); the torch cases are what `torch.save` writes.
Run: /work/venv/bin/python tools/reference/safetensors_validation_fixture.py
"""
import base64
import io
import json
import pathlib
import struct
import tempfile

import safetensors
import torch
from safetensors import safe_open

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "core" / "fixtures" / "safetensors-validation.json"


def file_bytes(header, data_len: int, trailing: bytes = b"") -> bytes:
    text = header if isinstance(header, bytes) else header.encode()
    return struct.pack("<Q", len(text)) + text + bytes(i % 251 for i in range(data_len)) + trailing


def t(name, dtype, shape, begin, end):
    return f'"{name}":{{"dtype":"{dtype}","shape":{json.dumps(shape)},"data_offsets":[{begin},{end}]}}'


def obj(*entries):
    return "{" + ",".join(entries) + "}"


def torch_bytes(**kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(4, dtype=torch.float32)}, buffer, **kwargs)
    return buffer.getvalue()


cases = {
    # Accepted by Python.
    "valid": file_bytes(obj(t("a", "F32", [2], 0, 8), t("b", "F16", [2, 2], 8, 16)), 16),
    "valid-offset-order-differs-from-key-order": file_bytes(obj(t("b", "F32", [2], 8, 16), t("a", "F32", [2], 0, 8)), 16),
    "valid-empty-header": file_bytes("{}", 0),
    "valid-metadata-null": file_bytes('{"__metadata__":null}', 0),
    "valid-duplicate-tensor-identical": file_bytes(obj(t("a", "F32", [2], 0, 8), t("a", "F32", [2], 0, 8)), 8),
    "valid-duplicate-metadata-key-last-wins": file_bytes('{"__metadata__":{"x":"1","x":"2"}}', 0),
    "valid-unknown-entry-field": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"note":1.5}}', 8),
    "valid-zero-sized-tensor": file_bytes(obj(t("e", "F32", [0, 3], 0, 0), t("a", "F32", [2], 0, 8)), 8),
    "valid-whitespace-around-header": file_bytes("  " + obj(t("a", "F32", [2], 0, 8)) + "    ", 8),
    "valid-undecodable-dtype-u16": file_bytes(obj(t("a", "U16", [2], 0, 4)), 4),
    "valid-fp8": file_bytes(obj(t("a", "F8_E4M3", [2], 0, 2)), 2),
    "valid-empty-name": file_bytes(obj(t("", "F32", [2], 0, 8)), 8),
    "valid-scalar": file_bytes(obj(t("s", "F32", [], 0, 4)), 4),
    # Rejected by Python: layout.
    "overlapping-offsets": file_bytes(obj(t("a", "F32", [2], 0, 8), t("b", "F32", [2], 0, 8)), 8),
    "partly-overlapping-offsets": file_bytes(obj(t("a", "F32", [4], 0, 16), t("b", "F32", [2], 8, 16)), 16),
    "gap-between-tensors": file_bytes(obj(t("a", "F32", [2], 0, 8), t("b", "F32", [2], 12, 20)), 20),
    "first-tensor-not-at-zero": file_bytes(obj(t("a", "F32", [2], 4, 12)), 12),
    "trailing-bytes": file_bytes(obj(t("a", "F32", [2], 0, 8)), 8, b"\0\0\0\0"),
    "truncated-data": file_bytes(obj(t("a", "F32", [2], 0, 8)), 5),
    "duplicate-tensor-different-offsets": file_bytes(obj(t("a", "F32", [2], 0, 8), t("a", "F32", [2], 8, 16)), 16),
    "offsets-reversed": file_bytes(obj(t("a", "F32", [0], 8, 0)), 8),
    "size-mismatch-dtype-times-shape": file_bytes(obj(t("a", "F32", [3], 0, 8)), 8),
    "sub-byte-dtype-not-byte-aligned": file_bytes(obj(t("a", "F4", [3], 0, 2)), 2),
    "size-overflow": file_bytes(obj(t("a", "F32", [4611686018427387904, 4], 0, 8)), 8),
    # Rejected by Python: header.
    "header-not-object-array": file_bytes("[]", 0),
    "header-not-object-string": file_bytes('"x"', 0),
    "header-empty": file_bytes("", 0),
    "header-invalid-json": file_bytes("{x}", 0),
    "header-trailing-nul": file_bytes(obj(t("a", "F32", [2], 0, 8)) + "\0\0", 8),
    "header-comment": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}/*c*/}', 8),
    "header-trailing-comma": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},}', 8),
    "header-invalid-utf8": file_bytes(b'{"a\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8),
    "header-too-small": b"\x01\x00\x00",
    "header-too-large": struct.pack("<Q", 100_000_001) + b"{}",
    "header-longer-than-file": struct.pack("<Q", 1000) + b"{}",
    "duplicate-metadata": file_bytes('{"__metadata__":{"x":"1"},"__metadata__":{"y":"2"}}', 0),
    "metadata-value-number": file_bytes('{"__metadata__":{"x":1}}', 0),
    "metadata-value-object": file_bytes('{"__metadata__":{"x":{"y":"z"}}}', 0),
    "metadata-value-null": file_bytes('{"__metadata__":{"x":null}}', 0),
    "metadata-array": file_bytes('{"__metadata__":["x"]}', 0),
    "metadata-string": file_bytes('{"__metadata__":"x"}', 0),
    "entry-not-object": file_bytes('{"a":true}', 0),
    "entry-missing-shape": file_bytes('{"a":{"dtype":"F32","data_offsets":[0,8]}}', 8),
    "entry-missing-dtype": file_bytes('{"a":{"shape":[2],"data_offsets":[0,8]}}', 8),
    "entry-missing-offsets": file_bytes('{"a":{"dtype":"F32","shape":[2]}}', 8),
    "unknown-dtype": file_bytes(obj(t("a", "F7", [2], 0, 8)), 8),
    "lowercase-dtype": file_bytes(obj(t("a", "f32", [2], 0, 8)), 8),
    "shape-float": file_bytes('{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', 8),
    "shape-exponent": file_bytes('{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}', 8),
    "shape-negative": file_bytes('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', 8),
    "shape-string": file_bytes('{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}', 8),
    "shape-not-array": file_bytes('{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}', 8),
    "offsets-float": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}', 8),
    "offsets-negative-zero": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[-0,8]}}', 8),
    "offsets-three": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}', 8),
    "offsets-one": file_bytes('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}', 8),
    # Not safetensors at all.
    "torch-save-zip": torch_bytes(),
    "torch-save-legacy-pickle": torch_bytes(_use_new_zipfile_serialization=False),
    "git-lfs-pointer": b"version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 1234\n",
    "html-page": b"<!DOCTYPE html><html><body>Not found</body></html>",
}

verdicts = []
with tempfile.TemporaryDirectory() as folder:
    for name, content in cases.items():
        path = pathlib.Path(folder) / f"{name}.safetensors"
        path.write_bytes(content)
        try:
            with safe_open(str(path), "np") as f:
                verdict = {"ok": True, "keys": sorted(f.keys()), "metadata": f.metadata()}
        except Exception as error:  # noqa: BLE001 - the verdict is the message
            verdict = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        verdicts.append({"name": name, "bytes": base64.b64encode(content).decode(), "python": verdict})
        print(f"{name:45s} {'accepted' if verdict['ok'] else 'rejected: ' + verdict['error'][:90]}")

out.write_text(json.dumps({"safetensors": safetensors.__version__, "torch": torch.__version__, "cases": verdicts}, indent=1) + "\n")
print("wrote", out)
