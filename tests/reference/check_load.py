"""check_load.py — a model file written by `serce` loads into PyTorch as is, and computes what serce computes.

  /usr/bin/python3 tests/reference/check_load.py MODEL [--serce BIN] [--train CORPUS]

1. MODEL is read (safetensors by hand, see serce_torch.py) and loaded into serce_torch.Serce
   (nn.Embedding + nn.LSTM + nn.Linear) with load_state_dict(strict=True): no renaming, no conversion.
   A few tokens give finite logits.
2. With --serce BIN (the built CLI):
   - `BIN eval MODEL TEXT --raw --json` on a text made of the model's characters must print the same
     mean cross-entropy (nats per character, zero state, first character only input) as PyTorch
     computes, to 2e-5 (the CLI prints 6 decimals);
   - `BIN sample MODEL --temperature 0 --length 20` (greedy) must print the text PyTorch's greedy
     decoding gives with serce's rules: <s> first, <unk> and <s> never picked, <t> only in the title
     line, ties to the lower id, <t> rendered as an empty line, </s> as a newline then an empty line
     and a new song (state reset). If two candidates are within 1e-4 of each other somewhere, the
     float32-vs-float64 order may legitimately differ from there on, so only the text before is
     compared (reported).
3. With --train CORPUS, MODEL is first trained by the CLI:
   BIN train CORPUS -o MODEL --steps 5 --hidden 16 --embed 8 --val-fraction 0 -q
Exit status: 0 pass, 1 fail, 77 (CTest's skip) when torch cannot be imported.
"""
import argparse
import json
import math
import os
import random
import subprocess
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

failures = []


def check(cond, msg):
    print(("ok:   " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {r.returncode}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def render(vocab, tok):
    if tok == st.TITLE:
        return "\n\n"
    if tok == st.EOS:
        return "\n"
    if tok < st.NSPECIAL:
        return ""
    return vocab[tok]


def greedy(model, vocab, length, gap_limit=1e-4):
    """serce's greedy generation (sampler.c) -> (pieces of text per generated token, first ambiguous step or None)."""
    V = len(vocab)
    state = model.zero_state()
    z, state = model.step(st.BOS, state)
    in_title, pieces, ambiguous = True, [], None
    for i in range(length):
        banned = {st.UNK, st.BOS} | (set() if in_title else {st.TITLE})
        cand = [v for v in range(V) if v not in banned]
        best = cand[0]
        for v in cand[1:]:
            if z[v] > z[best]:  # strict: ties go to the lower id
                best = v
        others = sorted((z[best] - z[v]).item() for v in cand if v != best)
        if ambiguous is None and others and others[0] < gap_limit:
            ambiguous = i
        tok = best
        piece = render(vocab, tok)
        if tok == st.TITLE:
            in_title = False
        if tok == st.EOS:  # --length without --songs: no song limit, the next song starts
            piece += "\n"
            tok = st.BOS
            in_title = True
        pieces.append(piece)
        if i + 1 < length:
            z, state = model.step(tok, state)
    return pieces, ambiguous


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--serce", help="the serce binary, to compare with its eval and sample output")
    ap.add_argument("--train", metavar="CORPUS", help="train MODEL first with the serce binary")
    ap.add_argument("--length", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.train:
        if not args.serce:
            ap.error("--train needs --serce")
        run([args.serce, "train", args.train, "-o", args.model, "--steps", "5", "--hidden", "16", "--embed", "8",
             "--val-fraction", "0", "-q"])
        print(f"trained {args.model} with {args.serce}")

    # 1. load_state_dict(strict=True), no conversion
    try:
        model, cfg, vocab, tensors, meta = st.model_from_file(args.model, dtype=torch.float64)
    except Exception as e:  # the message says which tensor is missing, unexpected or mis-shaped
        check(False, f"load_state_dict(strict=True) of {args.model}: {e}")
        return 1
    check(True, f"load_state_dict(strict=True): {len(tensors)} tensors {list(tensors)[:3]}... "
          f"V={cfg['vocab']} E={cfg['embed']} H={cfg['hidden']} L={cfg['layers']}")
    check(all(t.dtype == torch.float32 for t in tensors.values()), "every tensor is F32")
    check(len(vocab) == cfg["vocab"] and vocab[: st.NSPECIAL] == st.SPECIALS, "vocabulary: the 4 special tokens first")
    model.eval()
    with torch.no_grad():
        toks = torch.tensor([[st.BOS]] + [[st.NSPECIAL + i % (len(vocab) - st.NSPECIAL)] for i in range(7)])
        logits, _ = model(toks)
        check(bool(torch.isfinite(logits).all()), f"logits of {toks.shape[0]} tokens are finite "
              f"(first: {[round(x, 4) for x in logits[0, 0, :5].tolist()]}...)")
        if not args.serce:
            return 1 if failures else 0

        # 2a. eval --raw: mean cross-entropy of a text from a zero state
        chars = [c for c in vocab[st.NSPECIAL :] if c.isprintable() or c == "\n"]
        rnd = random.Random(7)
        text = "".join(rnd.choice(chars) for _ in range(80))
        ids = [vocab.index(c) for c in text]
        path = args.model + ".eval.txt"
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        out = json.loads(run([args.serce, "eval", args.model, path, "--raw", "--json"]).decode())
        os.remove(path)
        z, _ = model(torch.tensor(ids[:-1]).reshape(-1, 1))
        nats = F.cross_entropy(z[:, 0, :], torch.tensor(ids[1:]), reduction="mean").item()
        check(out["chars"] == len(ids) - 1, f"eval counts {out['chars']} predicted characters, PyTorch {len(ids) - 1}")
        check(abs(out["nats"] - nats) <= 2e-5,
              f"eval --raw: serce {out['nats']:.6f} nats per character, PyTorch {nats:.6f} "
              f"(difference {abs(out['nats'] - nats):.2g}, limit 2e-5)")

        # 2b. greedy sampling
        got = run([args.serce, "sample", args.model, "--temperature", "0", "--length", str(args.length)]).decode("utf-8")
        pieces, amb = greedy(model, vocab, args.length)
        want = "".join(pieces)
        if not want.endswith("\n"):
            want += "\n"  # the CLI ends its output with a newline
        if amb is None:
            check(got == want, f"greedy sample of {args.length} characters: serce {got!r}, PyTorch {want!r}")
        else:
            prefix = "".join(pieces[:amb])
            check(got.startswith(prefix), f"greedy sample: the first {amb} characters (before a near-tie at step "
                  f"{amb}): serce {got!r}, PyTorch {prefix!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
