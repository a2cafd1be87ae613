#!/usr/bin/python3
"""make_models.py — the models of the browser benchmark (tools/bench_browser.mjs), one set per shape.

For each shape (seed E64/2x512, small E32/2x256, tiny E32/1x128; vocabulary 64) it writes into OUT:
  SHAPE.f32.safetensors   a Serçe model: `serce train` for 1 step on a small text written here (60
                          characters + 4 specials = vocabulary 64), so the weights are Serçe's random
                          initialisation moved by one Adam step
  SHAPE.int8.safetensors  the same model through `serce export --int8`
  SHAPE.onnx              the same weights in PyTorch 1.13 (nn.Embedding -> nn.LSTM -> nn.Linear, loaded
                          with load_state_dict(strict=True)), exported by torch.onnx.export as ONE step:
                          (token[1,1] int64, h[L,1,H], c[L,1,H]) -> (logits[1,V], h', c')
  SHAPE.tfjs.bin/.json    the same weights laid out for TensorFlow.js's basicLSTMCell: per layer the
                          kernel [in+H, 4H] (gates i, g, f, o), bias b_ih + b_hh; head W^T [H,V], bias [V]
  SHAPE.ref.json          PyTorch's answers, which every engine is checked against: the logits of 64 steps
                          fed a fixed pseudo-random token sequence from a zero state ("forced"), and the
                          greedy sequence from token START (argmax over the non-special tokens 4..V-1)

usage: /usr/bin/python3 tools/bench_browser/make_models.py --serce build/serce --out DIR [--shapes seed,small,tiny]
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys

import numpy as np
import torch

SHAPES = {"seed": (64, 512, 2), "small": (32, 256, 2), "tiny": (32, 128, 1)}
NSPECIAL = 4   # <unk> <s> </s> <t>
START = 4      # first token fed (the first non-special token)
REF_STEPS = 64


class Serce(torch.nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.lstm = torch.nn.LSTM(E, H, num_layers=L)
        self.head = torch.nn.Linear(H, V)


class Step(torch.nn.Module):
    """One character: token [1,1] int64, state (h, c) [L,1,H] -> logits [1,V], h', c'."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, token, h, c):
        y, (h2, c2) = self.m.lstm(self.m.embedding(token), (h, c))
        return self.m.head(y[0]), h2, c2


def corpus_text():
    """60 distinct characters (letters, 6 digits, space, newline): vocabulary 64 with the specials."""
    r = random.Random(1)
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    songs = []
    for _ in range(12):
        lines = [" ".join("".join(r.choice(chars) for _ in range(r.randint(2, 7))) for _ in range(5)) for _ in range(6)]
        songs.append("\n".join(lines))
    songs.append(" ".join(chars[i:i + 6] for i in range(0, len(chars), 6)))
    return "\n\n\n".join(songs) + "\n"


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(buf[8 + n + a:8 + n + b], dtype="<f4").copy().reshape(t["shape"]))
    return out, meta


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"make_models: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def tfjs_weights(m, E, H, L, V):
    """name -> (array float32, shape) in TensorFlow.js's basicLSTMCell layout."""
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in m.state_dict().items()}
    order = [0, 2, 1, 3]  # torch gates i, f, g, o -> TF's basicLSTMCell i, j(=g), f, o
    out = [("embedding", sd["embedding.weight"])]
    for l in range(L):
        wih, whh = sd[f"lstm.weight_ih_l{l}"], sd[f"lstm.weight_hh_l{l}"]
        b = sd[f"lstm.bias_ih_l{l}"] + sd[f"lstm.bias_hh_l{l}"]
        w = np.concatenate([wih, whh], axis=1)  # [4H, in+H]
        w = np.concatenate([w[g * H:(g + 1) * H] for g in order], axis=0)
        b = np.concatenate([b[g * H:(g + 1) * H] for g in order], axis=0)
        out.append((f"kernel{l}", np.ascontiguousarray(w.T)))  # [in+H, 4H]
        out.append((f"bias{l}", b))
    out.append(("head_w", np.ascontiguousarray(sd["head.weight"].T)))  # [H, V]
    out.append(("head_b", sd["head.bias"]))
    return out


@torch.no_grad()
def forced(m, L, H, V, steps):
    r = random.Random(5)
    toks = [r.randrange(NSPECIAL, V) for _ in range(steps)]
    h, c = torch.zeros(L, 1, H), torch.zeros(L, 1, H)
    step, logits = Step(m), []
    for t in toks:
        z, h, c = step(torch.tensor([[t]]), h, c)
        logits.append([round(float(v), 7) for v in z[0]])
    return toks, logits


@torch.no_grad()
def greedy(m, L, H, V, steps):
    tok, h, c = START, torch.zeros(L, 1, H), torch.zeros(L, 1, H)
    seq = []
    step = Step(m)
    for _ in range(steps):
        z, h, c = step(torch.tensor([[tok]]), h, c)
        tok = NSPECIAL + int(torch.argmax(z[0, NSPECIAL:]))
        seq.append(tok)
    return seq


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serce", required=True, help="the serce CLI (build/serce)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--shapes", default="seed,small,tiny")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    corpus = os.path.join(a.out, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write(corpus_text())
    torch.set_num_threads(1)
    for name in a.shapes.split(","):
        E, H, L = SHAPES[name]
        base = os.path.join(a.out, name)
        f32, i8 = base + ".f32.safetensors", base + ".int8.safetensors"
        run([a.serce, "train", corpus, "-o", f32, "--format", "plain", "--embed", str(E), "--hidden", str(H),
             "--layers", str(L), "--steps", "1", "--val-fraction", "0", "--min-count", "1", "--batch", "4",
             "--seq-len", "32", "--dropout", "0", "--threads", "1", "--seed", "7", "--checkpoint", base + ".ckpt", "-q"])
        os.remove(base + ".ckpt")
        run([a.serce, "export", f32, "-o", i8, "--int8"])
        sd, meta = read_safetensors(f32)
        cfg = json.loads(meta["serce.config"])
        V = cfg["vocab"]
        assert (cfg["embed"], cfg["hidden"], cfg["layers"]) == (E, H, L), cfg
        m = Serce(V, E, H, L).eval()
        m.load_state_dict(sd, strict=True)
        h0, c0 = torch.zeros(L, 1, H), torch.zeros(L, 1, H)
        torch.onnx.export(Step(m), (torch.tensor([[START]]), h0, c0), base + ".onnx", opset_version=14,
                          input_names=["token", "h", "c"], output_names=["logits", "h_out", "c_out"],
                          do_constant_folding=True)
        arrays = tfjs_weights(m, E, H, L, V)
        manifest, off = [], 0
        with open(base + ".tfjs.bin", "wb") as f:
            for nm, arr in arrays:
                arr = np.ascontiguousarray(arr, dtype="<f4")
                f.write(arr.tobytes())
                manifest.append({"name": nm, "shape": list(arr.shape), "offset": off})
                off += arr.nbytes
        with open(base + ".tfjs.json", "w") as f:
            json.dump({"E": E, "H": H, "L": L, "V": V, "tensors": manifest}, f)
        with open(base + ".ref.json", "w") as f:
            toks, logits = forced(m, L, H, V, REF_STEPS)
            json.dump({"shape": name, "E": E, "H": H, "L": L, "V": V, "start": START, "nspecial": NSPECIAL,
                       "greedy": greedy(m, L, H, V, REF_STEPS), "forced": toks, "forced_logits": logits}, f)
        print(f"make_models: {name} E{E}/{L}x{H} V{V}: {os.path.getsize(f32)} B f32, {os.path.getsize(i8)} B int8, "
              f"{os.path.getsize(base + '.onnx')} B onnx", flush=True)
    os.remove(corpus)


if __name__ == "__main__":
    main()
