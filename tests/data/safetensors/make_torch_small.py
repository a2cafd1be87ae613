"""Write torch_small.safetensors, the interop fixture of tests/test_safetensors.c.

The `safetensors` package is not installed here, so this reproduces its layout by hand with torch
and struct + json, as safetensors.torch.save_file does: 8-byte little-endian header length N,
compact JSON header with "__metadata__" first, padded with spaces so 8 + N is a multiple of 8,
then the raw little-endian tensor bytes. The header lists the tensors by name while the data is
laid out in a different order, to check that the reader sorts by offset.
Run: /usr/bin/python3 make_torch_small.py   (torch 1.13)
"""
import json
import os
import struct

import torch

tensors = [  # data order
    ("lstm.bias", torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16)),
    ("embed.weight", torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8),
    ("mask", torch.tensor([True, False])),
    ("step", torch.tensor([-1, 0, 2**40], dtype=torch.int64)),
    ("bf", torch.tensor([1.5, -0.0078125], dtype=torch.bfloat16)),
]
dtypes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.bool: "BOOL"}

entries, blobs, off = {}, [], 0
for name, t in tensors:
    raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).contiguous().numpy().tobytes()
    entries[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)

header = {"__metadata__": {"format": "pt", "note": "Serçe fixture"}}
header.update(sorted(entries.items()))
text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_small.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
print(out, 8 + len(text) + off, "bytes")
