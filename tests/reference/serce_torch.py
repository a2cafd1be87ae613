"""serce_torch.py — the Serçe model as a PyTorch module, and safetensors read/write with struct + json.

Shared by make_fixtures.py and check_load.py (run with /usr/bin/python3, torch 1.13; the `safetensors`
package is not installed, so the format is handled by hand: 8-byte little-endian header length N, a
JSON header with "__metadata__" first, padded with spaces so the data starts at a multiple of 8,
then the tensors' little-endian bytes back to back with no gaps).

The module's state_dict names are exactly those of a Serçe model file: embedding.weight,
lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0, ..., head.weight,
head.bias. So a model written by `serce` loads with load_state_dict(strict=True), no conversion.
Token ids: 0 <unk>, 1 <s> (song start: Serçe resets the LSTM state to zero where the input is <s>),
2 </s>, 3 <t>, then one token per character.
"""
import json
import struct

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}
UNK, BOS, EOS, TITLE, NSPECIAL = 0, 1, 2, 3, 4
SPECIALS = ["<unk>", "<s>", "</s>", "<t>"]


class Serce(nn.Module):
    """nn.Embedding(V, E) -> nn.LSTM(E, H, L) -> nn.Linear(H, V), time-major ([T, B])."""

    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=False)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens, state=None):
        """tokens [T, B] (no <s> inside: use step() for streams with resets) -> logits [T, B, V], (h, c)."""
        y, state = self.lstm(self.embedding(tokens), state)
        return self.head(y), state

    def step(self, token, state):
        """One token of one stream, with Serçe's reset at <s>. state: (h, c) each [L, 1, H]."""
        if token == BOS:
            state = tuple(torch.zeros_like(s) for s in state)
        x = torch.tensor([[token]], dtype=torch.long)
        logits, state = self.forward(x, state)
        return logits[0, 0], state

    def zero_state(self):
        p = next(self.parameters())
        shape = (self.lstm.num_layers, 1, self.lstm.hidden_size)
        return torch.zeros(shape, dtype=p.dtype), torch.zeros(shape, dtype=p.dtype)


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor) in data order; metadata: dict of str -> str."""
    entries, blobs, off = {}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous()
        raw = t.numpy().tobytes()  # little-endian hosts only, as Serçe itself
        entries[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header = {"__metadata__": dict(metadata)}
    header.update(entries)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    data = struct.pack("<Q", len(text)) + text + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def read_safetensors(path):
    """-> (dict name -> tensor (in file order), metadata dict). Checks the layout strictly."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    body = data[8 + n :]
    out, spans = {}, []
    for name, e in header.items():
        b, end = e["data_offsets"]
        dtype = DTYPES[e["dtype"]]
        shape = e["shape"]
        count = 1
        for d in shape:
            count *= d
        if end - b != count * torch.tensor([], dtype=dtype).element_size() or end > len(body):
            raise ValueError(f"{path}: tensor {name}: bad data_offsets {b}, {end}")
        spans.append((b, end))
        t = torch.frombuffer(bytearray(body[b:end]), dtype=dtype) if end > b else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(shape).clone()
    spans.sort()
    pos = 0
    for b, end in spans:
        if b != pos:
            raise ValueError(f"{path}: data block not covered exactly at byte {pos}")
        pos = end
    if pos != len(body):
        raise ValueError(f"{path}: {len(body) - pos} trailing bytes after the tensors")
    return out, meta


def model_from_file(path, dtype=torch.float64):
    """Load a Serçe model file into the module with load_state_dict(strict=True).
    Returns (module, config dict, vocab list, every tensor of the file, metadata)."""
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["serce.config"])
    vocab = json.loads(meta["serce.vocab"])
    m = Serce(cfg["vocab"], cfg["embed"], cfg["hidden"], cfg["layers"])
    state = {k: v for k, v in tensors.items()}
    m.load_state_dict(state, strict=True)  # raises on a missing, unexpected or mis-shaped tensor
    return m.to(dtype), cfg, vocab, tensors, meta
