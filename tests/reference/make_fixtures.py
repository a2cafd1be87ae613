"""make_fixtures.py — write tests/data/reference/lstm_small.safetensors, the PyTorch reference of
tests/test_reference.c.

A Serçe-shaped model (serce_torch.Serce: nn.Embedding(V, E) + nn.LSTM(E, H, num_layers=2) +
nn.Linear(H, V), PyTorch's default initialisation with a fixed seed, V=11 E=6 H=9 L=2) runs on random
inputs [T=5, B=3] (no <s>, i.e. token 1, among them: Serçe resets the state at <s>, nn.LSTM does not)
from a nonzero initial state, with random targets of which two are -1 (not scored, as in Serçe;
ignore_index here). It records the logits, the mean cross-entropy, the final state and the gradient
of the mean loss with respect to every parameter (dropout 0).

The weights are float32 (they are what Serçe loads); the reference values are computed in float64
from those float32 weights and stored as F32, so they are the exact results rounded once, and
regenerating them elsewhere gives the same values to ~1e-7.

File layout (one safetensors file, ~6 KB):
  model tensors under their state_dict names (embedding.weight, lstm.weight_ih_l0, ..., head.bias),
  metadata serce.format "1", serce.config, serce.vocab (so serce_model_load reads it; it ignores the
  other tensors), then ref.inputs, ref.targets (I32 [T,B]), ref.h0, ref.c0 (F32 [L,B,H]),
  ref.logits (F32 [T,B,V]), ref.loss (F32 [1]), ref.hT, ref.cT (F32 [L,B,H]) and grad.<name>.

Run:   /usr/bin/python3 tests/reference/make_fixtures.py                    (rewrites the fixture)
       /usr/bin/python3 tests/reference/make_fixtures.py --out X --check F  (CTest reference_fixture_fresh:
       regenerate into X and fail unless the committed F holds the same tensors and metadata, values
       within 1e-6 relative)
Exit status 77 (CTest's skip) when torch cannot be imported.
"""
import argparse
import json
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {sys.executable} cannot import torch ({e}); the PyTorch reference checks need it")
    sys.exit(77)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serce_torch as st  # noqa: E402

V, E, H, L, T, B = 11, 6, 9, 2, 5, 3
SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "data", "reference", "lstm_small.safetensors")


def build():
    torch.manual_seed(SEED)
    model = st.Serce(V, E, H, L)  # float32 weights, PyTorch's default initialisation
    g = torch.Generator().manual_seed(SEED + 1)
    allowed = torch.tensor([t for t in range(V) if t != st.BOS])  # no <s> in the inputs
    inputs = allowed[torch.randint(len(allowed), (T, B), generator=g)]
    targets = torch.randint(V, (T, B), generator=g)
    targets[1, 2] = -1  # not scored
    targets[3, 0] = -1
    h0 = (0.5 * torch.randn(L, B, H, generator=g)).float()
    c0 = (0.8 * torch.randn(L, B, H, generator=g)).float()

    # the reference computation in float64 from the float32 weights
    ref = st.Serce(V, E, H, L).double()
    ref.load_state_dict({k: v.double() for k, v in model.state_dict().items()}, strict=True)
    logits, (hT, cT) = ref(inputs.long(), (h0.double(), c0.double()))
    loss = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B), ignore_index=-1, reduction="mean")
    loss.backward()

    tensors = [(k, v.float()) for k, v in model.state_dict().items()]
    tensors += [
        ("ref.inputs", inputs.to(torch.int32)),
        ("ref.targets", targets.to(torch.int32)),
        ("ref.h0", h0),
        ("ref.c0", c0),
        ("ref.logits", logits.detach().float()),
        ("ref.loss", loss.detach().float().reshape(1)),
        ("ref.hT", hT.detach().float()),
        ("ref.cT", cT.detach().float()),
    ]
    grads = dict(ref.named_parameters())
    tensors += [("grad." + k, grads[k].grad.float()) for k, _ in model.state_dict().items()]
    vocab = st.SPECIALS + [chr(ord("a") + i) for i in range(V - st.NSPECIAL)]
    meta = {
        "serce.format": "1",
        "serce.config": json.dumps(
            {"vocab": V, "embed": E, "hidden": H, "layers": L, "lowercase": False}, separators=(",", ":")
        ),
        "serce.vocab": json.dumps(vocab, separators=(",", ":")),
        "serce.special": '{"unk":0,"bos":1,"eos":2,"title":3}',
        "ref.about": "PyTorch reference for tests/test_reference.c, written by tests/reference/make_fixtures.py: "
        "float32 weights, values computed in float64 and stored as F32; loss = mean cross-entropy over "
        "targets >= 0; grad.* = gradients of that loss; dropout 0",
    }
    return tensors, meta


def compare(fresh_path, committed_path, tol=1e-6):
    a, ma = st.read_safetensors(fresh_path)
    b, mb = st.read_safetensors(committed_path)
    bad = []
    if list(a) != list(b):
        bad.append(f"tensor names/order differ: regenerated {list(a)} vs committed {list(b)}")
    if ma != mb:
        bad.append(f"metadata differs: regenerated {ma} vs committed {mb}")
    worst = 0.0
    for name in a:
        if name not in b:
            continue
        x, y = a[name], b[name]
        if x.dtype != y.dtype or x.shape != y.shape:
            bad.append(f"{name}: {x.dtype} {list(x.shape)} regenerated vs {y.dtype} {list(y.shape)} committed")
            continue
        x, y = x.double(), y.double()
        scale = torch.maximum(torch.maximum(x.abs(), y.abs()), torch.full_like(x, 1e-3))
        err = ((x - y).abs() / scale).max().item() if x.numel() else 0.0
        worst = max(worst, err)
        if err > tol:
            bad.append(f"{name}: regenerated values differ from the committed ones by {err:.3g} (relative)")
    print(f"compared {len(a)} tensors: max relative difference {worst:.3g} (limit {tol:g})")
    for m in bad:
        print("STALE: " + m)
    if bad:
        print(f"the committed fixture {committed_path} is stale: rerun /usr/bin/python3 {os.path.abspath(__file__)}")
    return not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="where to write the fixture")
    ap.add_argument("--check", metavar="COMMITTED", help="compare the regenerated fixture with this file")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one summation order for the float64 reference
    tensors, meta = build()
    n = st.write_safetensors(args.out, tensors, meta)
    print(f"wrote {os.path.normpath(args.out)} ({n} bytes, torch {torch.__version__})")
    if args.check:
        return 0 if compare(args.out, args.check) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
