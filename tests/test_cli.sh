#!/usr/bin/env bash
# test_cli.sh — the `serce` CLI end to end, as a user runs it, on a tiny corpus the project wrote
# itself (tests/data/tiny-songs.txt; no lyrics from ../shared). Checks: training loss falls; eval,
# sample and info work, for an int8 export too; an interrupted and resumed run ends with exactly the same weights as an
# uninterrupted one; bad input is a one-line error with a non-zero exit.
# Usage: test_cli.sh PATH/TO/serce
set -u
SERCE=${1:?usage: test_cli.sh SERCE}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/data/tiny-songs.txt
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
. "$HERE/check.sh"
PY=python3
SMALL=(--hidden 32 --embed 16 --batch 4 --seq-len 32 --seed 5)

# --- training: loss falls, log written, model and checkpoint present
"$SERCE" train "$CORPUS" -o "$W/m.safetensors" "${SMALL[@]}" --steps 120 --eval-every 20 --val-fraction 0.25 \
    --log "$W/log.jsonl" -q
check '[ $? -eq 0 ]' "train exits 0"
check '[ -s "$W/m.safetensors" ] && [ -s "$W/m.safetensors.ckpt" ]' "model and checkpoint written"
check '[ $(wc -l < "$W/log.jsonl") -eq 6 ]' "one log line per evaluation"
check "$PY -c \"
import json,sys
rows=[json.loads(l) for l in open('$W/log.jsonl')]
assert rows[-1]['train_bpc'] < rows[0]['train_bpc'] - 0.5, rows
assert all('val_bpc' in r and 'chars_per_s' in r for r in rows)
\"" "training loss falls by at least 0.5 bpc"
check '! ls "$W" | grep -q "tmp-"' "no temporary files left"

# --- info, eval, sample
out=$("$SERCE" info "$W/m.safetensors")
check '[[ "$out" == *"2 LSTM layers of 32"* && "$out" == *"held-out"* ]]' "info shows shape and held-out bpc: $out"
out=$("$SERCE" info "$W/m.safetensors" --json)
check "echo '$out' | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[\"parameters\"]>0 and d[\"config\"][\"hidden\"]==32 and d[\"training\"][\"corpus\"]==\"tiny-songs.txt\"'" "info --json"
out=$("$SERCE" eval "$W/m.safetensors" "$CORPUS" --json)
check "echo '$out' | $PY -c 'import json,sys; d=json.load(sys.stdin); assert 0<d[\"bpc\"]<8 and d[\"chars\"]>1000 and abs(d[\"nats\"]-d[\"bpc\"]*0.6931)<1e-3'" "eval --json: $out"
printf 'Gece iner limana' > "$W/raw.txt"
out=$("$SERCE" eval "$W/m.safetensors" "$W/raw.txt" --raw --json)
check "echo '$out' | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[\"chars\"]==15'" "eval --raw predicts n-1 characters: $out"
out=$("$SERCE" sample "$W/m.safetensors" --length 80 --seed 3)
check '[ $? -eq 0 ] && [ ${#out} -ge 60 ]' "sample --length prints text"
out2=$("$SERCE" sample "$W/m.safetensors" --length 80 --seed 3)
check '[ "$out" == "$out2" ]' "same seed, same text"
out3=$("$SERCE" sample "$W/m.safetensors" --length 80 --seed 4)
check '[ "$out" != "$out3" ]' "another seed, other text"
out=$("$SERCE" sample "$W/m.safetensors" --prime "Gece" --length 30 --seed 1 --temperature 0)
check '[[ "$out" == Gece* ]]' "the prime starts the output"
out=$("$SERCE" sample "$W/m.safetensors" --prime "Qxw" --length 30 2>&1); rc=$?
check '[ $rc -ne 0 ] && [[ "$out" == *"Q"*"U+0051"* ]] && [ $(echo "$out" | wc -l) -eq 1 ]' "unknown prime characters listed: $out"
out=$("$SERCE" sample "$W/m.safetensors" --songs 2 --seed 9 --length 5000)
check '[ $? -eq 0 ]' "sample --songs"

# --- an int8 export: measured on the held-out songs, evaluated and sampled like a float model
out=$("$SERCE" export "$W/m.safetensors" -o "$W/q8.safetensors" --int8 --corpus "$CORPUS" 2>&1)
check '[ $? -eq 0 ] && [[ "$out" == *"int8 check on "*" held-out songs: float32 "*" bpc, int8 "*" bpc"* ]]' "export --int8 --corpus: $out"
check '[ $(stat -c %s "$W/q8.safetensors") -lt $(stat -c %s "$W/m.safetensors") ]' "the int8 file is smaller"
out=$("$SERCE" eval "$W/q8.safetensors" "$CORPUS" --json)
f32=$("$SERCE" eval "$W/m.safetensors" "$CORPUS" --json)
check "$PY -c 'import json; a=json.loads(\"\"\"$out\"\"\"); b=json.loads(\"\"\"$f32\"\"\"); assert a[\"chars\"]==b[\"chars\"] and abs(a[\"bpc\"]-b[\"bpc\"])<0.05, (a, b)'" "int8 eval close to float: $out vs $f32"
out=$("$SERCE" sample "$W/q8.safetensors" --prime "Gece" --length 80 --seed 3)
out2=$("$SERCE" sample "$W/q8.safetensors" --prime "Gece" --length 80 --seed 3)
check '[[ "$out" == Gece* ]] && [ ${#out} -ge 60 ] && [ "$out" == "$out2" ]' "int8 sample: same seed, same text"

# --- eval --held-out: exactly the songs (and bpc) that training held out; --exclude leaves out songs
#     that share 2+ lines with another file (here another singer's version of the first song)
"$SERCE" eval "$W/m.safetensors" "$CORPUS" --held-out 0.25 --json > "$W/held.json"
"$SERCE" info "$W/m.safetensors" --json > "$W/info.json"
check "$PY -c 'import json; a=json.load(open(\"$W/held.json\")); t=json.load(open(\"$W/info.json\"))[\"training\"]; assert a[\"songs\"]==t[\"val_songs\"] and a[\"chars\"]==t[\"val_chars\"] and abs(a[\"bpc\"]-t[\"val_bpc\"])<1e-4, (a, t)'" "eval --held-out reproduces training's held-out bpc: $(cat "$W/held.json")"
printf '# Başkası - Deniz Feneri\nGECE İNER LİMANA, usul usul\nfener yanar dalga söyler türkü\n' > "$W/other.txt"
out=$("$SERCE" eval "$W/m.safetensors" "$CORPUS" --exclude "$W/other.txt" 2>&1)
check '[[ "$out" == *"1 of "*" left out"* ]]' "eval --exclude leaves out the shared song: $out"
out=$("$SERCE" eval "$W/m.safetensors" "$CORPUS" --held-out 1.5 2>&1); rc=$?
check '[ $rc -eq 2 ] && [ $(echo "$out" | wc -l) -eq 1 ]' "eval --held-out out of range: $out"

# --- interrupted + resumed == uninterrupted (bit-exact weights); --exclude is kept in the checkpoint
"$SERCE" train "$CORPUS" -o "$W/a.safetensors" "${SMALL[@]}" --steps 50 --val-fraction 0 --eval-every 10 -q --dropout 0.2 \
    --exclude "$W/other.txt"
"$SERCE" train "$CORPUS" -o "$W/b.safetensors" "${SMALL[@]}" --steps 50 --val-fraction 0 --eval-every 10 -q --dropout 0.2 \
    --exclude "$W/other.txt" --halt-after 23 2>/dev/null
check '[ $? -eq 130 ]' "an interrupted run exits 130"
"$SERCE" train "$CORPUS" -o "$W/b.safetensors" --resume "$W/b.safetensors.ckpt" -q
check '[ $? -eq 0 ]' "resume exits 0"
check "$PY - '$W/a.safetensors' '$W/b.safetensors' <<'PYEOF'
import json, struct, sys
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); d = b[8+n:]
    return {k: d[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__'}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), [k for k in a if a[k] != b.get(k)]
PYEOF" "resumed weights equal uninterrupted weights"

# --- bad input: one line, non-zero exit, nothing overwritten
cp "$W/m.safetensors" "$W/keep.safetensors"
: > "$W/empty.txt"
out=$("$SERCE" train "$W/empty.txt" -o "$W/m.safetensors" -q 2>&1); rc=$?
check '[ $rc -ne 0 ] && [ $(echo "$out" | wc -l) -eq 1 ] && [[ "$out" == *empty.txt* ]]' "empty corpus: $out"
check 'cmp -s "$W/m.safetensors" "$W/keep.safetensors"' "the model is not overwritten by a failed run"
printf '# A\nabc\n\n# B\nde\xff\n' > "$W/bad.txt"
out=$("$SERCE" train "$W/bad.txt" -o "$W/x.safetensors" -q 2>&1); rc=$?
check '[ $rc -ne 0 ] && [[ "$out" == *"bad.txt:5:3"* ]]' "invalid UTF-8 names line:col: $out"
out=$("$SERCE" sample "$W/nope.safetensors" 2>&1); rc=$?
check '[ $rc -ne 0 ] && [[ "$out" == *"nope.safetensors"* ]]' "missing model: $out"
head -c 100 "$W/m.safetensors" > "$W/trunc.safetensors"
out=$("$SERCE" sample "$W/trunc.safetensors" 2>&1); rc=$?
check '[ $rc -ne 0 ] && [ $(echo "$out" | wc -l) -eq 1 ]' "truncated model: $out"
out=$("$SERCE" train "$CORPUS" -o "$W/y.safetensors" --hidden 4000 --batch 60000 --seq-len 60000 2>&1); rc=$?
check '[ $rc -ne 0 ] && [[ "$out" == *GiB* ]]' "absurd sizes refused with the amount: $out"
out=$("$SERCE" train "$CORPUS" -o "$W/y.safetensors" --lr abc 2>&1); rc=$?
check '[ $rc -eq 2 ] && [[ "$out" == *"--lr"* ]]' "bad number: $out"
out=$("$SERCE" sample "$W/m.safetensors" --temperature -1 2>&1); rc=$?
check '[ $rc -ne 0 ] && [[ "$out" == *temperature* ]]' "bad temperature: $out"

echo "test_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
