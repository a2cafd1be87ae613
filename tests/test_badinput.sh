#!/usr/bin/env bash
# test_badinput.sh — the bad-input table (docs/BAD_INPUT.md): every kind of broken input a user can hand
# the `serce` CLI, with the message it actually gives. For each row:
#   - a non-zero exit that is not a crash (< 128) and no hang (timeout 60 s),
#   - exactly one line on stderr, naming the problem and the file (with line:column where it applies),
#   - nothing overwritten: the -o target (a valid model) is byte for byte unchanged.
# The table is written from the actual messages and compared with docs/BAD_INPUT.md, so the document
# cannot drift from the program: after an intended message change, regenerate it with
#   SERCE_UPDATE_DOCS=1 tests/test_badinput.sh build/serce
# Inputs are made here (corpora written for this test; models derived from the committed fuzz seed
# tests/fuzz/corpus/model/valid-l1.safetensors, so every number in the messages is reproducible).
# Usage: test_badinput.sh PATH/TO/serce
set -u
SERCE=$(cd "$(dirname "${1:?usage: test_badinput.sh SERCE}")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
DOC=$HERE/../docs/BAD_INPUT.md
SEED=$HERE/fuzz/corpus/model/valid-l1.safetensors
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1 # relative names: the messages (and the document) show "empty.txt", not a temp path
pass=0 fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
PY=python3
CORPUS=corpus.txt
cp "$HERE/data/tiny-songs.txt" "$CORPUS"
cp "$SEED" keep.safetensors
cp "$SEED" model.safetensors
cp keep.safetensors keep.orig

ROWS=()
# row INPUT FILE-THAT-MUST-BE-NAMED COMMAND...   (FILE "-": no file involved)
row() {
    local what=$1 file=$2
    shift 2
    local out rc
    out=$(timeout 60 "$SERCE" "$@" 2>&1 >/dev/null)
    rc=$?
    local lines
    lines=$(printf '%s\n' "$out" | grep -c .)
    local ok=1
    if [ $rc -eq 124 ]; then bad "$what: hangs (timeout)"; ok=0; fi
    if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then bad "$what: exit status $rc (want an error, not a crash)"; ok=0; fi
    if [ "$lines" -ne 1 ]; then bad "$what: $lines lines of output: $out"; ok=0; fi
    if [ "$file" != - ] && [[ "$out" != *"$file"* ]]; then bad "$what: the message does not name $file: $out"; ok=0; fi
    if ! cmp -s keep.safetensors keep.orig; then bad "$what: the -o target was changed"; ok=0; cp keep.orig keep.safetensors; fi
    [ $ok -eq 1 ] && pass=$((pass + 1))
    # the document shows the command as typed, with the serce path shortened
    local cmd="serce"
    for a in "$@"; do
        if [[ "$a" == *" "* || -z "$a" ]]; then cmd+=" '$a'"; else cmd+=" $a"; fi
    done
    # the machine's memory differs between machines: not part of the document
    out=$(printf '%s' "$out" | sed -E "s/this machine's [0-9.]+ GiB/this machine's … GiB/")
    ROWS+=("| $what | \`$cmd\` | $rc | ${out//|/\\|} |")
}

# ------------------------------------------------------------------ corpora
: > empty.txt
row "empty corpus" empty.txt train empty.txt -o keep.safetensors
printf 'aaaaaaaa\n\n\naaaaaa\n\n\naaaaaaaaaa\n' > one-char.txt
row "corpus of one repeated character" one-char.txt train one-char.txt -o keep.safetensors
printf '# Kapı\nEski kapı\n\n# Yol\nUzun yo\xfel\n' > bad-utf8.txt
row "invalid UTF-8 (a Windows-1254 byte)" bad-utf8.txt:5:8 train bad-utf8.txt -o keep.safetensors
printf 'Gece\n\xc3\x28 ay\n' > bad-utf8-2.txt
row "invalid UTF-8 (a broken 2-byte sequence)" bad-utf8-2.txt:2:1 train bad-utf8-2.txt -o keep.safetensors
head -c 3000 "$SERCE" > binary.bin
row "a binary file" binary.bin train binary.bin -o keep.safetensors
printf 'title,lyrics,line\nKuyu,Taş kuyu derin,1\nKuyu,Kova iner\n' > missing-column.csv
row "CSV row with a missing column" missing-column.csv:3 train missing-column.csv -o keep.safetensors
printf 'title,lyrics\nKuyu,"Taş kuyu derin\nBahçe,Erik açar\n' > broken-quote.csv
row "CSV with an unterminated quote" broken-quote.csv:2 train broken-quote.csv -o keep.safetensors
printf 'title,lyrics\nKuyu,"Taş "kuyu" derin"\n' > quote-inside.csv
row "CSV with an undoubled quote inside a quoted field" quote-inside.csv:2 train quote-inside.csv -o keep.safetensors
printf 'ad,soyad\nAli,Veli\n' > no-lyrics.csv
row "CSV without a lyric column" no-lyrics.csv:1 train no-lyrics.csv -o keep.safetensors --format csv
$PY -c "import sys; sys.stdout.write('a' * 10485760 + '\n')" > long-line.txt
row "a line of 10 MB" long-line.txt:1 train long-line.txt -o keep.safetensors
row "a corpus file that does not exist" nope.txt train nope.txt -o keep.safetensors
row "a directory instead of a corpus" . train . -o keep.safetensors

# ------------------------------------------------------------------ settings
row "a prime with characters the model does not know" - sample model.safetensors --prime "ay Qx"
row "hyperparameters that need absurd memory" - train "$CORPUS" -o keep.safetensors --hidden 4000 --batch 60000 --seq-len 60000 --threads 1
row "a hidden size beyond the limit" - train "$CORPUS" -o keep.safetensors --hidden 5000

# ------------------------------------------------------------------ models
# derived from the seed model by rewriting its header (python: any change to sizes stays consistent)
mutate() { # OUT PYTHON-CODE (h: header dict, d: data bytes, m: metadata dict)
    $PY - "$SEED" "$1" "$2" <<'PYEOF'
import json, struct, sys
src, out, code = sys.argv[1:4]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n]); d = b[8 + n:]; m = h['__metadata__']
raw = None
exec(code)
if raw is None:
    hs = json.dumps(h, separators=(',', ':')).encode()
    raw = struct.pack('<Q', len(hs)) + hs + d
open(out, 'wb').write(raw)
PYEOF
}
head -c 100 "$SEED" > truncated.safetensors
row "a truncated model" truncated.safetensors export truncated.safetensors -o keep.safetensors
mutate lying-header.safetensors "raw = struct.pack('<Q', len(b) + 4096) + b[8:]"
row "a model whose header length lies" lying-header.safetensors export lying-header.safetensors -o keep.safetensors
mutate overlap.safetensors "t = h['head.bias']; t['data_offsets'] = [t['data_offsets'][0] - 4, t['data_offsets'][1] - 4]"
row "a model with overlapping tensor offsets" overlap.safetensors export overlap.safetensors -o keep.safetensors
mutate out-of-range.safetensors "t = h['head.bias']; t['data_offsets'] = [t['data_offsets'][0] + 64, t['data_offsets'][1] + 64]"
row "a model with offsets past the end of the file" out-of-range.safetensors export out-of-range.safetensors -o keep.safetensors
mutate dtype.safetensors "h['head.bias']['dtype'] = 'I32'"
row "a model with a wrong dtype" dtype.safetensors export dtype.safetensors -o keep.safetensors
mutate unknown-dtype.safetensors "h['head.bias']['dtype'] = 'F33'"
row "a model with an unknown dtype" unknown-dtype.safetensors export unknown-dtype.safetensors -o keep.safetensors
mutate shape.safetensors "t = h['lstm.weight_hh_l0']; t['shape'] = [t['shape'][1], t['shape'][0]]"
row "a model with a wrong shape" shape.safetensors export shape.safetensors -o keep.safetensors
mutate missing.safetensors "t = h.pop('head.bias'); d = d[:t['data_offsets'][0]] + d[t['data_offsets'][1]:]"
row "a model with a missing tensor" missing.safetensors export missing.safetensors -o keep.safetensors
mutate vocab.safetensors "v = json.loads(m['serce.vocab']); m['serce.vocab'] = json.dumps(v[:-1])"
row "a model whose vocabulary does not match its config" vocab.safetensors export vocab.safetensors -o keep.safetensors
mutate vocab-order.safetensors "v = json.loads(m['serce.vocab']); v[-1], v[-2] = v[-2], v[-1]; m['serce.vocab'] = json.dumps(v)"
row "a model whose vocabulary is out of order" vocab-order.safetensors export vocab-order.safetensors -o keep.safetensors
mutate config-json.safetensors "m['serce.config'] = m['serce.config'][:-9]"
row "a model whose metadata is not valid JSON" config-json.safetensors export config-json.safetensors -o keep.safetensors
mutate header-json.safetensors "hs = json.dumps(h).encode()[:-1] + b' '; raw = struct.pack('<Q', len(hs)) + hs + d"
row "a model whose header is not valid JSON" header-json.safetensors export header-json.safetensors -o keep.safetensors
mutate huge-config.safetensors "c = json.loads(m['serce.config']); c['hidden'] = 4096; c['layers'] = 8; m['serce.config'] = json.dumps(c)"
row "a small model whose config claims 4 GB" huge-config.safetensors export huge-config.safetensors -o keep.safetensors
mutate not-serce.safetensors "del m['serce.vocab']"
row "a safetensors file that is not a Serçe model" not-serce.safetensors export not-serce.safetensors -o keep.safetensors
mutate nan.safetensors "t = h['head.bias']; o = t['data_offsets'][0]; d = d[:o] + struct.pack('<f', float('nan')) + d[o + 4:]"
row "a model with a NaN weight" nan.safetensors export nan.safetensors -o keep.safetensors
truncate -s 1073741825 huge.safetensors
row "a model file larger than the CLI accepts (1 GiB)" huge.safetensors export huge.safetensors -o keep.safetensors
row "a checkpoint that is a model" model.safetensors train "$CORPUS" -o keep.safetensors --resume model.safetensors
row "a model file that does not exist" nope.safetensors sample nope.safetensors
row "a bad model given to --init" dtype.safetensors train "$CORPUS" -o keep.safetensors --init dtype.safetensors
row "a bad model given to eval" vocab.safetensors eval vocab.safetensors "$CORPUS"

# ------------------------------------------------------------------ the document
{
    cat <<'EOF'
# Bad input

What the `serce` command line says when it is handed broken input. Every row is checked by
`tests/test_badinput.sh` (CTest `test_badinput`), which also writes this table from the messages the
program actually prints: each error is one line naming the problem and the file (with line:column
where it applies), the exit status is non-zero and not a crash, nothing hangs, and the `-o` target (a
valid model) is left byte for byte unchanged. After an intended change of a message, regenerate with
`SERCE_UPDATE_DOCS=1 tests/test_badinput.sh build/serce`.

The web page reads models through the same core (`serce_model_load`), so the model rows apply to it
as well; the page itself refuses a model file above 512 MiB before reading it (`MAX_MODEL_BYTES` in
`www/app.js`, tested with the page). The CLI refuses model files above 1 GiB (`CLI_MAX_MODEL`) and
corpora above 2 GiB, from the file size, before reading them.

Exit status 1 is a bad input, 2 a bad command line.

| input | command | exit | message (stderr) |
|---|---|---|---|
EOF
    printf '%s\n' "${ROWS[@]}"
} > BAD_INPUT.md

if [ "${SERCE_UPDATE_DOCS:-0}" = 1 ]; then
    mkdir -p "$(dirname "$DOC")"
    cp BAD_INPUT.md "$DOC"
    echo "test_badinput: wrote $DOC"
elif ! cmp -s BAD_INPUT.md "$DOC"; then
    bad "docs/BAD_INPUT.md is not what the program says; regenerate with SERCE_UPDATE_DOCS=1 tests/test_badinput.sh build/serce"
    diff "$DOC" BAD_INPUT.md >&2
else
    pass=$((pass + 1))
fi

echo "test_badinput: $pass passed, $fail failed"
[ $fail -eq 0 ]
