#!/usr/bin/env bash
# test_cli_lyric.sh — song mode and the originality index through the `serce` CLI, on a small model
# trained here on tests/data/lyric-songs.txt (lines written for the project; no real lyrics).
# Checks: `export --corpus` adds serce.originality (hashes only, no corpus text); `sample --form
# --syllables --rhyme` writes the song shape (title, stanzas, chorus verbatim, 8 syllables a line) and
# reports rhymes and metre on stderr; the same settings as --settings JSON give the same text; flags
# override the JSON; --originality and --avoid-copying work; bad values are one-line errors, exit 2.
# Usage: test_cli_lyric.sh PATH/TO/serce
set -u
SERCE=${1:?usage: test_cli_lyric.sh SERCE}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/data/lyric-songs.txt
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
. "$HERE/check.sh"
PY=python3

"$SERCE" train "$CORPUS" -o "$W/m.safetensors" --hidden 64 --embed 16 --layers 1 --batch 8 --seq-len 64 \
    --steps 300 --lr 0.01 --dropout 0 --warmup 20 --val-fraction 0 --eval-every 100 --seed 2 -q
check '[ $? -eq 0 ] && [ -s "$W/m.safetensors" ]' "train a small model"

# --- export with the originality index
"$SERCE" export "$W/m.safetensors" -o "$W/x.safetensors" --corpus "$CORPUS" 2> "$W/export.err"
check '[ $? -eq 0 ] && grep -q "originality index: .* distinct 24-grams" "$W/export.err"' "export --corpus: $(cat "$W/export.err")"
check "$PY - '$W/x.safetensors' <<'PYEOF'
import base64, json, struct, sys
b = open(sys.argv[1], 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n])
o = json.loads(h['__metadata__']['serce.originality'])
assert o['n'] == 24 and o['k'] >= 1 and 0 < o['fpr'] < 0.002, o
assert len(base64.b64decode(o['data'])) * 8 == o['bits']
PYEOF" "serce.originality metadata: n, k, bits, fpr, data"
check '! grep -q "Gece treni" "$W/x.safetensors"' "the exported file holds no corpus text"

# --- song mode
S=(--form "V C V C" --syllables 8 --rhyme AABB --seed 3)
out=$("$SERCE" sample "$W/x.safetensors" "${S[@]}" 2> "$W/err"); rc=$?
check '[ $rc -eq 0 ]' "sample in song mode exits 0"
check 'grep -Eq "^rhyme: [0-9]+ of 6 required rhymes met$" "$W/err"' "rhyme report: $(cat "$W/err")"
check 'grep -q "^metre: 12 of 12 lines have their syllable count and end at a word end$" "$W/err"' "metre report: $(cat "$W/err")"
check "$PY - <<PYEOF
import sys
t = '''$out'''
parts = t.split('\n\n')
title, stanzas = parts[0], parts[1:]
assert title and '\n' not in title, repr(title)
assert len(stanzas) == 4 and all(len(s.split('\n')) == 4 for s in stanzas), stanzas
assert stanzas[1] == stanzas[3], 'chorus not verbatim'
V = set('aeıioöuüâîûAEIİOÖUÜÂÎÛ')
for s in stanzas:
    for l in s.split('\n'):
        assert sum(c in V for c in l) == 8, l
        assert l[0].isalpha() and l[-1].isalpha(), l
PYEOF" "song shape (title, 4 stanzas of 4 lines of 8 syllables, chorus repeated):
$out"
out2=$("$SERCE" sample "$W/x.safetensors" "${S[@]}" 2>/dev/null)
check '[ "$out" == "$out2" ]' "same seed, same song"
out3=$("$SERCE" sample "$W/x.safetensors" --form "verse chorus verse chorus" --syllables 8 --rhyme aabb --seed 3 2>/dev/null)
check '[ "$out" == "$out3" ]' "section words and a lower-case scheme mean the same"
out4=$("$SERCE" sample "$W/x.safetensors" --settings '{"form":"V C V C","syllables":8,"rhyme":"AABB","seed":3}' 2>/dev/null)
check '[ "$out" == "$out4" ]' "--settings JSON gives the same song"
out5=$("$SERCE" sample "$W/x.safetensors" --settings '{"form":"V C V C","syllables":8,"rhyme":"AABB","seed":99}' --seed 3 2>/dev/null)
check '[ "$out" == "$out5" ]' "flags override --settings"
out=$("$SERCE" sample "$W/x.safetensors" --syllables 6+5 --form "K N" --seed 4 2>&1 >/dev/null)
check '[[ "$out" == *"metre: 8 of 8 lines"* ]]' "6+5 with a durak: $out"

# --- originality
out=$("$SERCE" sample "$W/x.safetensors" --seed 2 --temperature 0.3 --originality -q 2>&1); rc=$?
check '[ $rc -eq 0 ] && [[ "$out" == *"originality: "*"% of the letters are new"* ]]' "--originality report: $out"
out=$("$SERCE" sample "$W/m.safetensors" --seed 2 --originality --corpus "$CORPUS" -q 2>&1)
check '[[ "$out" == *"originality: "* ]]' "--originality with --corpus on a model without an index"
out=$("$SERCE" sample "$W/x.safetensors" --seed 2 --temperature 0.3 --avoid-copying --originality 2>&1); rc=$?
check '[ $rc -eq 0 ] && [[ "$out" == *"avoid-copying: "*" characters refused"* ]]' "--avoid-copying: $out"
out=$("$SERCE" sample "$W/m.safetensors" --avoid-copying 2>&1); rc=$?
check '[ $rc -eq 1 ] && [[ "$out" == *"no originality index"* ]] && [ $(echo "$out" | wc -l) -eq 1 ]' "--avoid-copying without an index: $out"

# --- bad values: one line, exit 2
for args in "--syllables 6+|syllables: '6+' is not a metre" "--rhyme A1|rhyme: 'A1' is not a rhyme scheme" \
    "--form Q|form: unknown section 'q'" "--settings {\"tempreature\":1}|unknown key 'tempreature'" \
    "--settings nope|settings: invalid JSON" "--attempts 0|attempts must be 1 to 10000" \
    "--repetition-penalty 0.5|repetition penalty must be between 1"; do
    a=${args%%|*} want=${args#*|}
    out=$("$SERCE" sample "$W/x.safetensors" $a 2>&1); rc=$?
    check '[ $rc -eq 2 ] && [[ "$out" == *"$want"* ]] && [ $(echo "$out" | wc -l) -eq 1 ]' "$a: rc $rc, $out"
done

echo "test_cli_lyric: $pass passed, $fail failed"
[ $fail -eq 0 ]
