#!/usr/bin/python3
"""compare_quality.py — held-out quality of Serçe against PyTorch for the same wall-clock training budget.

  /usr/bin/python3 tools/compare_quality.py CORPUS --minutes M [--embed 64 --hidden 256 --layers 2 --threads 2]

(Run it with the Python that has torch: /usr/bin/python3 here. Build `build/serce` first.)

What it measures, in one run on one machine, one trainer after the other:

1. Serçe: `serce train CORPUS -o TMP/serce.safetensors --minutes M` with the given shape and otherwise
   Serçe's defaults; then `serce eval TMP/serce.safetensors TMP/val.txt --json`, where val.txt holds
   exactly the held-out songs (Serçe's hash split, re-derived here and checked against the model's
   training record), written in the songs format.
2. PyTorch: nn.Embedding + nn.LSTM + nn.Linear of the same shape, trained on exactly the same training
   songs for the same minutes of wall clock the way a competent PyTorch user would: the same tokens
   (vocabulary with the same min count, <unk>, <s> title <t> body </s>), stateful truncated BPTT over B
   streams of the shuffled concatenated songs with the state zeroed where a song starts (the chunk is
   cut at song starts so nn.LSTM's fused kernel still does the work), Adam with linear warm-up and
   cosine decay over the time budget, dropout between layers and before the head, global-norm
   clipping, batch B x T, torch threads chosen by timing 1 and 2 threads for a few updates (outside
   the budget), and the best model by a validation run every N updates (N and early-stop patience as
   Serçe chooses them). Evaluation time counts against the budget for both, as in Serçe.
3. Both models evaluated with the same protocol and the same code (each held-out song from a zero
   state, every token after <s> predicted: title, <t>, lyrics, </s>), printed as bits per character
   with their ratio, training speed (characters per second of update time, as `serce train` reports
   it) and CPU use. As a cross-check of the protocol, the PyTorch evaluation of the Serçe-trained
   model (loaded with load_state_dict) must agree with `serce eval` to within 1e-3 bpc.

What it deliberately does not measure or do:
- no tuning for either side: both use Serçe's default hyper-parameters (the PyTorch side uses PyTorch's
  default initialisation and optimizer implementation); a better recipe for either is out of scope;
- no repeated runs or seeds: one run each, so differences of a few hundredths of a bpc are noise;
- no isolation from other load: the two trainers run one after the other, and whatever else the
  machine is doing affects each differently (the load average and the CPU time each got are printed
  so a skewed comparison is visible);
- no GPU, no generation speed, no sample quality, no int8 models;
- only corpora in the songs format ('# Title' first line, blocks separated by blank lines), parsed
  here exactly as core/text.c does (the counts are checked against Serçe's record of the run).

The corpus text is only ever written to a temporary directory (outside the repository) that is
deleted at the end.
"""
import argparse
import json
import math
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as e:  # pragma: no cover
    sys.exit(f"compare_quality.py: {sys.executable} cannot import torch ({e}); run it with /usr/bin/python3")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
import serce_torch  # noqa: E402  (the safetensors reader)

UNK, BOS, EOS, TITLE, NSPECIAL = 0, 1, 2, 3, 4
SPECIALS = ["<unk>", "<s>", "</s>", "<t>"]
LN2 = math.log(2.0)

# ---------------------------------------------------------------- the songs format, as core/text.c reads it

HSPACE = " \t\f\v\xa0"
# base + combining mark -> precomposed letter (text.c compose(): only what Turkish text meets)
COMPOSE = {
    0x327: {"c": "ç", "C": "Ç", "s": "ş", "S": "Ş"},
    0x306: {"g": "ğ", "G": "Ğ"},
    0x308: {"o": "ö", "O": "Ö", "u": "ü", "U": "Ü"},
    0x302: {"a": "â", "i": "î", "u": "û", "A": "Â", "I": "Î", "U": "Û"},
    0x307: {"i": "i", "I": "İ"},
}


def decode(data):
    """UTF-8 bytes -> str: leading BOM dropped, CRLF/CR -> LF, Turkish combining sequences composed."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        cp = ord(ch)
        if 0x300 <= cp <= 0x36F and out:
            c = COMPOSE.get(cp, {}).get(out[-1])
            if c:
                out[-1] = c
                continue
        out.append(ch)
    return "".join(out)


def is_title_line(line):
    return len(line) >= 2 and line.startswith("# ")


def join_lines(lines):
    """Non-blank lines joined by '\n'; a run of blank lines inside is one stanza break '\n\n'."""
    parts, gap = [], False
    for ln in lines:
        if not ln:
            gap = bool(parts)
            continue
        if parts:
            parts.append("\n\n" if gap else "\n")
        parts.append(ln)
        gap = False
    return "".join(parts)


def parse_songs(text):
    """-> [(title or None, body)] like text.c parse_songs(): blocks of non-blank lines, '# Title' first
    line; a block that is only a title takes the untitled blocks after it as stanzas; songs without a
    body are dropped."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    lines = [ln.rstrip(HSPACE) for ln in lines]
    songs, i, m = [], 0, len(lines)
    while i < m:
        if not lines[i]:
            i += 1
            continue
        end = i
        while end < m and lines[end]:
            end += 1
        titled = is_title_line(lines[i])
        if titled and end == i + 1:
            k = end
            while True:
                s2 = k
                while s2 < m and not lines[s2]:
                    s2 += 1
                if s2 >= m or is_title_line(lines[s2]):
                    break
                while s2 < m and lines[s2]:
                    s2 += 1
                end = k = s2
        title = lines[i][2:].strip(HSPACE + "\n") if titled else ""
        body = join_lines(lines[i + 1 if titled else i : end])
        if body:
            songs.append((title or None, body))
        i = end
    return songs


def write_songs(songs):
    """Songs -> text in the songs format that parse_songs() reads back as the same songs."""
    out = []
    for title, body in songs:
        if title is None:
            out.append(body + "\n\n")
        else:  # a title-only block takes the stanzas after it, so stanza breaks survive
            out.append("# " + title + ("\n\n" if "\n\n" in body else "\n") + body + "\n\n")
    text = "".join(out)
    if parse_songs(text) != list(songs):
        raise SystemExit("compare_quality.py: the held-out songs cannot be written in the songs format so that "
                         "they read back identically (an untitled song with stanza breaks, or a stanza starting "
                         "with '# ')")
    return text


def song_hash(title, body):
    """FNV-1a 64 over the codepoints of title, U+2028, body (train.c song_hash)."""
    h = 1469598103934665603
    for cp in [ord(c) for c in (title or "")] + [0x2028] + [ord(c) for c in body]:
        h = ((h ^ cp) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def split_songs(songs, frac):
    """train.c serce_split_songs(): the first round(frac*n) by (hash, index) are held out (at least one
    when frac > 0 and n >= 2, never all); both lists in file order. -> (train indices, val indices)."""
    n = len(songs)
    nv = int(math.floor(frac * n + 0.5))
    if frac > 0 and nv == 0 and n >= 2:
        nv = 1
    if nv >= n > 0:
        nv = n - 1
    ranked = sorted(range(n), key=lambda i: (song_hash(*songs[i]), i))
    val = set(ranked[:nv])
    return [i for i in range(n) if i not in val], sorted(val)


def build_vocab(songs, min_count):
    """text.c serce_vocab_build(): characters of titles and bodies of the whole corpus seen at least
    min_count times, by codepoint, after the four special tokens."""
    counts = {}
    for title, body in songs:
        for ch in (title or "") + body:
            counts[ch] = counts.get(ch, 0) + 1
    chars = sorted(ch for ch, k in counts.items() if k >= max(min_count, 1))
    return SPECIALS + chars


def encode(song, ids):
    title, body = song
    toks = [BOS]
    if title:
        toks += [ids.get(ch, UNK) for ch in title] + [TITLE]
    toks += [ids.get(ch, UNK) for ch in body] + [EOS]
    return torch.tensor(toks, dtype=torch.long)


# ---------------------------------------------------------------- the PyTorch model

class CharLSTM(nn.Module):
    """nn.Embedding -> nn.LSTM -> dropout -> nn.Linear, time-major. State-dict names are Serçe's
    (embedding.*, lstm.*, head.*), so a Serçe model file loads with load_state_dict(strict=True)."""

    def __init__(self, V, E, H, L, dropout):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, num_layers=L, dropout=dropout if L > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(H, V)

    def forward(self, x, state=None):
        """x [T, B] -> logits [T, B, V], (h, c). A stream's state is zeroed where its input is <s>: the
        chunk is run in pieces cut at those steps (a few per chunk), each one fused nn.LSTM call."""
        T, B = x.shape
        if state is None:
            z = torch.zeros(self.lstm.num_layers, B, self.lstm.hidden_size)
            state = (z, z)
        h, c = state
        e = self.embedding(x)
        resets = x == BOS
        cuts = torch.nonzero(resets.any(1)).flatten().tolist()
        bounds = sorted(set([0, T] + cuts))
        outs = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            if resets[a].any():
                keep = (~resets[a]).to(h.dtype).view(1, B, 1)
                h, c = h * keep, c * keep
            y, (h, c) = self.lstm(e[a:b], (h, c))
            outs.append(y)
        y = outs[0] if len(outs) == 1 else torch.cat(outs)
        return self.head(self.drop(y)), (h, c)


@torch.no_grad()
def evaluate(model, songs, batch=32):
    """Mean bits per predicted token over whole songs, each from a zero state, every token after <s>
    predicted. Songs are batched by length and padded at the end (the LSTM is causal, padding is not
    scored). -> (bpc, predicted tokens)."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(songs)), key=lambda i: -len(songs[i]))
    total, count = 0.0, 0
    for k in range(0, len(order), batch):
        group = [songs[i] for i in order[k : k + batch]]
        T = max(len(s) for s in group) - 1
        x = torch.full((T, len(group)), EOS, dtype=torch.long)
        y = torch.full((T, len(group)), -1, dtype=torch.long)
        for j, s in enumerate(group):
            x[: len(s) - 1, j] = s[:-1]
            y[: len(s) - 1, j] = s[1:]
        logits, _ = model(x)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1, reduction="none")
        total += nll.double().sum().item()
        count += int((y >= 0).sum())
    model.train(was_training)
    return total / count / LN2, count


def lr_at(a, step, progress):
    """train.c serce_lr_at(): linear warm-up over the first steps, cosine decay to lr*ratio over the budget."""
    lr = a.lr
    if a.warmup > 0 and step < a.warmup:
        lr *= (step + 1) / a.warmup
    p = min(max(progress, 0.0), 1.0)
    return lr * (a.min_lr_ratio + (1 - a.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


class Streams:
    """B streams over the shuffled concatenation of the training songs, T tokens per update; every
    epoch reshuffles and restarts from a zero state. A target <s> (after </s>) is not scored."""

    def __init__(self, songs, B, T, seed):
        self.songs, self.B, self.T, self.seed = songs, B, T, seed
        self.seg = sum(len(s) for s in songs) // B
        if self.seg < 2:
            raise SystemExit(f"compare_quality.py: the training text is too short for {B} streams")
        self.epoch = 0
        self._build()

    def _build(self):
        g = torch.Generator().manual_seed(self.seed * 1000003 + self.epoch)
        seq = torch.cat([self.songs[i] for i in torch.randperm(len(self.songs), generator=g).tolist()])
        s = seq[: self.B * self.seg].view(self.B, self.seg).t().contiguous()  # [seg, B]
        self.x = s[:-1]
        self.y = s[1:].clone()
        self.y[self.y == BOS] = -1
        self.pos = 0

    def steps_per_epoch(self):
        return -(-(self.seg - 1) // self.T)

    def next(self):
        """The next chunk of every stream: -> (x [T, B], y [T, B])."""
        T = min(self.T, self.seg - 1 - self.pos)
        x, y = self.x[self.pos : self.pos + T], self.y[self.pos : self.pos + T]
        self.pos += T
        return x, y

    def wrap(self):
        """Call after an update: True when the epoch ended (a new shuffle, state back to zero)."""
        if self.pos >= self.seg - 1:
            self.epoch += 1
            self._build()
            return True
        return False


def train_torch(a, train_songs, val_songs, V, threads, log):
    torch.manual_seed(a.seed)
    model = CharLSTM(V, a.embed, a.hidden, a.layers, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    data = Streams(train_songs, a.batch, a.seq_len, a.seed)
    spe = data.steps_per_epoch()
    eval_every = min(max(spe, 25), 200)  # as `serce train` chooses it
    torch.set_num_threads(threads)
    budget = a.minutes * 60.0
    best = {"bpc": float("inf"), "step": 0, "state": None}
    state, step, bad, chars, train_time, curve = None, 0, 0, 0, 0.0, []
    why = "budget reached"
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - t0
        if elapsed >= budget:
            break
        ts = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(a, step, elapsed / budget)
        x, y = data.next()
        logits, st = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), ignore_index=-1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        state = None if data.wrap() else tuple(s.detach() for s in st)
        step += 1
        chars += int((y >= 0).sum())
        train_time += time.perf_counter() - ts
        if not math.isfinite(loss.item()):
            why = f"loss became {loss.item()} at step {step}"
            break
        if step % eval_every == 0:
            vb, _ = evaluate(model, val_songs)
            curve.append((step, round(time.perf_counter() - t0, 1), round(vb, 4)))
            if vb < best["bpc"]:
                best = {"bpc": vb, "step": step, "state": {k: v.clone() for k, v in model.state_dict().items()}}
                bad = 0
            else:
                bad += 1
            log(f"  torch step {step}  epoch {data.epoch + data.pos / (data.seg - 1):.2f}  val {vb:.4f} bpc"
                f"{' *' if bad == 0 else ''}  {chars / train_time:.0f} chars/s  {time.perf_counter() - t0:.0f} s")
            if a.patience > 0 and bad >= a.patience:
                why = "validation stopped improving (early stop)"
                break
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return model, {
        "steps": step, "epochs": data.epoch + data.pos / (data.seg - 1), "best_step": best["step"],
        "chars_per_s": chars / train_time if train_time else 0.0, "seconds": wall, "stop": why,
        "cpu_seconds": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "eval_every": eval_every, "curve": curve,
    }


def pick_threads(a, train_songs, V, log):
    """Time a few real updates with 1 and 2 torch threads (interleaved, so a load change hits both) and
    return the faster. On 2 cores OpenMP's spin-waiting can make 2 threads slower than 1."""
    torch.manual_seed(a.seed)
    model = CharLSTM(V, a.embed, a.hidden, a.layers, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    data = Streams(train_songs, a.batch, a.seq_len, a.seed)
    times = {1: 0.0, 2: 0.0}

    def update():
        x, y = data.next()
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        data.wrap()

    for n in (1, 2, 2, 1):
        torch.set_num_threads(n)
        update()  # warm-up for this thread count
        ts = time.perf_counter()
        for _ in range(4):
            update()
        times[n] += time.perf_counter() - ts
    best = min(times, key=times.get)
    rate = {n: 8 * a.batch * a.seq_len / t for n, t in times.items()}
    log(f"torch threads: 1 -> {rate[1]:.0f} chars/s, 2 -> {rate[2]:.0f} chars/s: using {best}")
    return best, rate


# ---------------------------------------------------------------- driver

def load_avg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="songs-format corpus (e.g. /work/shared/corpus/sezen-aksu.txt)")
    ap.add_argument("--minutes", type=float, required=True, help="wall-clock training budget of each trainer")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="serce train --threads (default 2)")
    ap.add_argument("--torch-threads", default="auto", help="1, 2 or auto: time both first (default auto)")
    ap.add_argument("--serce", default=os.path.join(REPO, "build", "serce"), help="the serce binary")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    a = ap.parse_args()
    # Serçe's defaults, used by both trainers (not options here: this compares, it does not tune)
    a.batch, a.seq_len, a.lr, a.warmup, a.min_lr_ratio = 32, 128, 2e-3, 100, 0.05
    a.dropout, a.clip, a.val_fraction, a.min_count, a.patience = 0.25, 1.0, 0.1, 2, 8

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if not os.access(a.serce, os.X_OK):
        sys.exit(f"compare_quality.py: {a.serce} not found: cmake -S {REPO} -B {REPO}/build && "
                 f"cmake --build {REPO}/build -j2 --target serce")
    with open(a.corpus, "rb") as f:
        songs = parse_songs(decode(f.read()))
    if not any(t is not None for t, _ in songs):
        sys.exit(f"compare_quality.py: {a.corpus}: no '# Title' blocks; only the songs format is supported")
    tr_idx, va_idx = split_songs(songs, a.val_fraction)
    vocab = build_vocab(songs, a.min_count)
    ids = {ch: i for i, ch in enumerate(vocab) if i >= NSPECIAL}
    train_songs = [encode(songs[i], ids) for i in tr_idx]
    val_songs = [encode(songs[i], ids) for i in va_idx]
    nchars = sum(len(t or "") + len(b) for t, b in songs)
    val_pred = sum(len(s) - 1 for s in val_songs)

    tmp = os.path.realpath(tempfile.mkdtemp(prefix="serce-compare-"))
    try:
        if os.path.commonpath([tmp, REPO]) == REPO:
            sys.exit(f"compare_quality.py: the temporary directory {tmp} is inside the repository; set TMPDIR")
        val_path = os.path.join(tmp, "val.txt")
        with open(val_path, "w", encoding="utf-8") as f:
            f.write(write_songs([songs[i] for i in va_idx]))
        model_path = os.path.join(tmp, "serce.safetensors")
        ncpu = os.cpu_count()
        log(f"{a.corpus}: {len(songs)} songs, {nchars} characters; {len(tr_idx)} train / {len(va_idx)} validation "
            f"songs; vocabulary {len(vocab)}; {ncpu} cores, load average {load_avg()}")

        # 1. Serçe
        train_cmd = [a.serce, "train", a.corpus, "-o", model_path, "--minutes", f"{a.minutes:g}", "--embed", str(a.embed),
                     "--hidden", str(a.hidden), "--layers", str(a.layers), "--threads", str(a.threads),
                     "--seed", str(a.seed), "--log", os.path.join(tmp, "serce.jsonl")]
        eval_cmd = [a.serce, "eval", model_path, val_path, "--format", "songs", "--json"]
        log(f"[1/3] Serçe: {shlex.join(train_cmd)}")
        load_before_serce = load_avg()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        with open(os.path.join(tmp, "serce.log"), "w") as err:
            r = subprocess.run(train_cmd, stdout=subprocess.DEVNULL, stderr=err)
        serce_wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(os.path.join(tmp, "serce.log"), encoding="utf-8", errors="replace") as f:
            serce_log = f.read()
        if r.returncode != 0:
            sys.exit(f"compare_quality.py: serce train exited with {r.returncode}:\n{serce_log[-2000:]}")
        done = re.search(r"serce: (.*) after (\d+) steps \(([\d.]+) epochs", serce_log)
        with open(os.path.join(tmp, "serce.jsonl")) as f:
            serce_curve = [json.loads(line) for line in f if line.strip()]
        tensors, meta = serce_torch.read_safetensors(model_path)
        rec = json.loads(meta["serce.training"])
        # the split, vocabulary and counts derived here must be Serçe's own
        mine = {"corpus_songs": len(songs), "corpus_chars": nchars, "train_songs": len(tr_idx),
                "val_songs": len(va_idx), "val_chars": val_pred}
        theirs = {k: rec[k] for k in mine}
        if mine != theirs or json.loads(meta["serce.vocab"]) != vocab:
            sys.exit(f"compare_quality.py: this script's reading of the corpus differs from Serçe's: {mine} vs {theirs}"
                     f"{'' if json.loads(meta['serce.vocab']) == vocab else ' (and the vocabulary differs)'}")
        ev = json.loads(subprocess.run(eval_cmd, check=True, stdout=subprocess.PIPE).stdout)
        if ev["songs"] != len(va_idx) or ev["chars"] != val_pred:
            sys.exit(f"compare_quality.py: serce eval read {ev['songs']} songs / {ev['chars']} predictions from the "
                     f"validation file, expected {len(va_idx)} / {val_pred}")
        if abs(ev["bpc"] - rec["val_bpc"]) > 1e-4:  # same songs, same order, same code: same number
            sys.exit(f"compare_quality.py: serce eval gives {ev['bpc']:.6f} bpc on the validation file written here "
                     f"but Serçe validated its model at {rec['val_bpc']:.4f}: the held-out songs differ")
        serce_model = CharLSTM(len(vocab), a.embed, a.hidden, a.layers, a.dropout)
        serce_model.load_state_dict(tensors, strict=True)
        serce_torch_bpc, _ = evaluate(serce_model, val_songs)
        serce_res = {
            "bpc": ev["bpc"], "steps": int(done.group(2)) if done else None,
            "epochs": float(done.group(3)) if done else None, "stop": done.group(1) if done else "?",
            "best_step": rec.get("best_step"), "chars_per_s": serce_curve[-1]["chars_per_s"] if serce_curve else None,
            "seconds": serce_wall, "cpu_seconds": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
            "torch_eval_bpc": serce_torch_bpc,
            "curve": [(e["step"], round(e["elapsed"], 1), round(e["val_bpc"], 4)) for e in serce_curve], "load_before": load_before_serce, "load_after": load_avg(),
        }
        log(f"      Serçe: {serce_res['stop']} after {serce_res['steps']} steps; held-out {ev['bpc']:.4f} bpc")

        # 2. PyTorch
        log("[2/3] PyTorch: choosing the thread count")
        if a.torch_threads == "auto":
            threads, rates = pick_threads(a, train_songs, len(vocab), log)
        else:
            threads, rates = int(a.torch_threads), None
        log(f"[2/3] PyTorch {torch.__version__}: training for {a.minutes:g} min on {threads} thread(s)")
        load_before_torch = load_avg()
        model, torch_res = train_torch(a, train_songs, val_songs, len(vocab), threads, log)
        torch_res["load_before"], torch_res["load_after"] = load_before_torch, load_avg()

        # 3. the same evaluation for both
        log("[3/3] evaluating both on the held-out songs")
        torch_res["bpc"], _ = evaluate(model, val_songs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    diff = serce_res["torch_eval_bpc"] - serce_res["bpc"]
    ok = abs(diff) <= 1e-3
    rows = [
        ("held-out bpc", f"{serce_res['bpc']:.4f}", f"{torch_res['bpc']:.4f}"),
        ("updates (best at)", f"{serce_res['steps']} ({serce_res['best_step']})", f"{torch_res['steps']} ({torch_res['best_step']})"),
        ("epochs", f"{serce_res['epochs']:.2f}", f"{torch_res['epochs']:.2f}"),
        ("train chars/s", f"{serce_res['chars_per_s']:.0f}", f"{torch_res['chars_per_s']:.0f}"),
        ("wall s / CPU s", f"{serce_res['seconds']:.0f} / {serce_res['cpu_seconds']:.0f}",
         f"{torch_res['seconds']:.0f} / {torch_res['cpu_seconds']:.0f}"),
        ("load avg before -> after", f"{serce_res['load_before'].split()[0]} -> {serce_res['load_after'].split()[0]}",
         f"{torch_res['load_before'].split()[0]} -> {torch_res['load_after'].split()[0]}"),
    ]
    print(f"corpus       {a.corpus}: {len(songs)} songs; {len(tr_idx)} train / {len(va_idx)} held-out songs "
          f"({val_pred} predicted tokens); vocabulary {len(vocab)}")
    print(f"model        E{a.embed} / {a.layers}x{a.hidden} LSTM, batch {a.batch} x {a.seq_len}, {a.minutes:g} min each, "
          f"one after the other on {os.cpu_count()} cores")
    print(f"{'':26s}{'Serçe':>16s}{'PyTorch ' + torch.__version__:>22s}")
    for name, s, t in rows:
        print(f"{name:26s}{s:>16s}{t:>22s}")
    print(f"bpc ratio    PyTorch / Serçe = {torch_res['bpc'] / serce_res['bpc']:.4f}")
    print(f"speed ratio  Serçe / PyTorch = {serce_res['chars_per_s'] / torch_res['chars_per_s']:.2f} (train chars/s)")
    print(f"cross-check  PyTorch evaluation of the Serçe model {serce_res['torch_eval_bpc']:.6f} vs serce eval "
          f"{serce_res['bpc']:.6f} bpc: diff {diff:+.2e} {'OK' if ok else 'FAIL (> 1e-3)'}")
    print(f"stops        Serçe: {serce_res['stop']}; PyTorch: {torch_res['stop']}")
    print(f"command      {shlex.join([sys.executable] + sys.argv)}")
    print(f"serce        {shlex.join(train_cmd)}")
    print(f"             {shlex.join(eval_cmd)}   (TMP = a deleted temporary directory)")
    print(f"pytorch      CharLSTM(nn.Embedding, nn.LSTM(dropout {a.dropout}), nn.Dropout({a.dropout}), nn.Linear); "
          f"Adam lr {a.lr:g}, warm-up {a.warmup}, cosine to x{a.min_lr_ratio:g} over {a.minutes:g} min; clip {a.clip:g}; "
          f"seed {a.seed}; torch.set_num_threads({threads}); eval every {torch_res['eval_every']} updates, patience {a.patience}")
    if a.json:
        out = {"corpus": a.corpus, "minutes": a.minutes, "shape": [a.embed, a.hidden, a.layers], "serce": serce_res,
               "torch": {k: v for k, v in torch_res.items()}, "torch_threads": threads, "torch_thread_rates": rates,
               "ratio_bpc": torch_res["bpc"] / serce_res["bpc"], "cross_check_ok": ok,
               "serce_command": shlex.join(train_cmd)}
        print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
