#!/usr/bin/python3
"""bench_torch.py — the PyTorch side of `serce bench --compare`.

Same shapes and settings as serce's benchmark: vocabulary 64, training B64 x T64 with Adam on random
tokens (embedding -> nn.LSTM -> linear, cross-entropy, clipping), generation batch 1 feeding back the
argmax. Tries 1 and 2 torch threads and reports the best (on 2 cores libgomp's spin-waiting often
makes 2 threads slower). Prints lines: "SHAPE train|generate CHARS_PER_S THREADS".
"""
import argparse
import time

import torch

SHAPES = {"seed": (64, 512, 2), "small": (32, 256, 2), "tiny": (32, 128, 1)}
V = 64


class Model(torch.nn.Module):
    def __init__(self, E, H, L):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.lstm = torch.nn.LSTM(E, H, num_layers=L)
        self.head = torch.nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embedding(x), state)
        return self.head(y), state


def train_rate(E, H, L, seconds):
    torch.manual_seed(0)
    m = Model(E, H, L)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.randint(0, V, (64, 64))
    y = torch.randint(0, V, (64, 64))
    state = None

    def step():
        nonlocal state
        logits, st = m(x, state)
        state = tuple(s.detach() for s in st)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 64 * 64
    return n / (time.perf_counter() - t0)


@torch.no_grad()
def generate_rate(E, H, L, seconds):
    torch.manual_seed(0)
    m = Model(E, H, L).eval()
    tok = torch.zeros(1, 1, dtype=torch.long)
    state = None
    for _ in range(200):
        logits, state = m(tok, state)
        tok = logits.argmax(-1)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(64):
            logits, state = m(tok, state)
            tok = logits.argmax(-1)
        n += 64
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--shapes", default="seed,small,tiny")
    ap.add_argument("--custom", default=None, help="E,H,L for the shape named custom")
    a = ap.parse_args()
    if a.custom:
        SHAPES["custom"] = tuple(int(v) for v in a.custom.split(","))
    for name in a.shapes.split(","):
        E, H, L = SHAPES[name]
        best_t = max((torch.set_num_threads(t), train_rate(E, H, L, a.seconds))[1] for t in (1, 2))
        best_g = max((torch.set_num_threads(t), generate_rate(E, H, L, a.seconds))[1] for t in (1,))
        print(f"{name} train {best_t:.0f}", flush=True)
        print(f"{name} generate {best_g:.0f}", flush=True)


if __name__ == "__main__":
    main()
