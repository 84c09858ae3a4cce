#!/usr/bin/env python3
"""Stores the tuned encoder layers (`top.*`) of a fine-tuned stance model as f16, as
`quotestance train stance --tune-layers` now writes them; the head and its scalars stay f32.
Rounding is IEEE round-to-nearest-even, as candle's `to_dtype(F16)`. Stdlib only.

    python3 tools/f16_layers.py IN.safetensors OUT.safetensors
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    return header, data, meta


def main(src, dst):
    header, data, meta = read(src)
    out_header, chunks, offset = {}, [], 0
    for name in sorted(header):
        info = header[name]
        raw = data[info["data_offsets"][0]:info["data_offsets"][1]]
        dtype = info["dtype"]
        if name.startswith("top.") and dtype == "F32":
            values = struct.unpack(f"<{len(raw) // 4}f", raw)
            raw, dtype = struct.pack(f"<{len(values)}e", *values), "F16"
        out_header[name] = {"dtype": dtype, "shape": info["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if meta is not None:
        out_header["__metadata__"] = meta
    blob = json.dumps(out_header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob + b"".join(chunks))


if __name__ == "__main__":
    main(*sys.argv[1:3])
