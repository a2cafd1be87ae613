#!/usr/bin/env bash
# test_crash.sh — crash-safe training, as a user meets it (tests/data/tiny-songs.txt, tiny shapes).
#
#   1. SIGKILL at random moments (5 times), each time resumed with --resume MODEL.ckpt: every kill loses
#      at most one checkpoint interval (the checkpoint's step is never more than --checkpoint-every
#      behind the last step the log recorded), model and checkpoint always parse, the run completes
#      with exit 0, `serce info` and `serce sample` work, no *.tmp-* file is left, and the final weights
#      equal those of an uninterrupted run (resume is exact).
#   2. Ctrl-C (SIGINT): the checkpoint is written, exit status 130, one message with the resume command;
#      resuming from it completes.
#   3. A full disk (a 256 KiB tmpfs) and a read-only directory (a tmpfs remounted read-only): one-line
#      error naming the file, non-zero exit, the previous model/checkpoint byte for byte intact, no
#      temp file left. These need `mount` (root with CAP_SYS_ADMIN); elsewhere they are skipped with a
#      message ("SKIP: ...") and the rest still runs.
# Usage: test_crash.sh PATH/TO/serce        Environment: SERCE_CRASH_KILLS (default 5)
set -u
SERCE=${1:?usage: test_crash.sh SERCE}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/data/tiny-songs.txt
W=$(mktemp -d)
MOUNTS=()
cleanup() {
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
. "$HERE/check.sh"
skip=0
skipped() { skip=$((skip + 1)); echo "SKIP: $*" >&2; }
PY=python3
KILLS=${SERCE_CRASH_KILLS:-5}
EVERY=5
STEPS=1500
ARGS=(--hidden 32 --embed 16 --batch 4 --seq-len 32 --checkpoint-every $EVERY --eval-every 10 --steps $STEPS
      --patience 0 --seed 7)

# step recorded in a checkpoint's serce.checkpoint metadata (-1 if the file does not parse)
ckpt_step() {
    $PY - "$1" <<'PYEOF' 2>/dev/null || echo -1
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
print(json.loads(h['__metadata__']['serce.checkpoint'])['step'])
PYEOF
}
# last step in a --log file (0 if none)
log_step() { [ -s "$1" ] && tail -n 1 "$1" | $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["step"])' 2>/dev/null || echo 0; }
# the tensors of two safetensors files are byte-identical
same_tensors() {
    $PY - "$1" "$2" <<'PYEOF'
import json, struct, sys
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); d = b[8+n:]
    return {k: d[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__'}
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a.keys() == b.keys() and all(a[k] == b[k] for k in a) else 1)
PYEOF
}
rand_ms() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# ------------------------------------------------------------------ 1. SIGKILL at random moments
t0=$(date +%s%N)
"$SERCE" train "$CORPUS" -o "$W/ref.safetensors" "${ARGS[@]}" -q
check '[ $? -eq 0 ]' "reference run exits 0"
REF_MS=$((($(date +%s%N) - t0) / 1000000))
# kill after 8..20% of an uninterrupted run's time (plus start-up), so all the kills land mid-run
KMIN=$((REF_MS * 8 / 100 + 30)) KMAX=$((REF_MS * 20 / 100 + 60))

M=$W/m.safetensors
CK=$M.ckpt
LOG=$W/log.jsonl
kills=0 attempts=0 prev_ck=-1
while [ $kills -lt "$KILLS" ] && [ $attempts -lt $((KILLS * 4)) ]; do
    attempts=$((attempts + 1))
    if [ -s "$CK" ]; then
        "$SERCE" train "$CORPUS" -o "$M" --resume "$CK" --log "$LOG" -q 2>>"$W/kill.err" &
    else
        "$SERCE" train "$CORPUS" -o "$M" "${ARGS[@]}" --log "$LOG" -q 2>>"$W/kill.err" &
    fi
    pid=$!
    ms=$(rand_ms $KMIN $KMAX)
    sleep_ms $ms
    if ! kill -0 $pid 2>/dev/null; then # it finished before the kill: nothing to test this round
        wait $pid
        break
    fi
    kill -KILL $pid
    wait $pid 2>/dev/null
    kills=$((kills + 1))
    L=$(log_step "$LOG")
    C=-1
    [ -e "$CK" ] && C=$(ckpt_step "$CK")
    if [ -e "$CK" ]; then
        check '[ "$C" -ge 0 ]' "kill $kills: the checkpoint parses"
        check '[ $((L - C)) -le $EVERY ]' "kill $kills: at most one checkpoint interval lost (log at step $L, checkpoint at $C)"
        check '[ "$C" -ge "$prev_ck" ]' "kill $kills: progress kept (checkpoint $C, before $prev_ck)"
        prev_ck=$C
    fi
    if [ -e "$M" ]; then
        "$SERCE" info "$M" >/dev/null 2>&1
        check '[ $? -eq 0 ]' "kill $kills: the model parses"
    fi
    echo "test_crash: kill $kills after ${ms}ms: log at step $L, checkpoint at step $C" >&2
done
check '[ $kills -ge 1 ]' "at least one run was killed mid-way ($kills)"
# finish the run
if [ -s "$CK" ]; then
    "$SERCE" train "$CORPUS" -o "$M" --resume "$CK" --log "$LOG" -q
else
    "$SERCE" train "$CORPUS" -o "$M" "${ARGS[@]}" --log "$LOG" -q
fi
check '[ $? -eq 0 ]' "the resumed run completes with exit 0"
check '[ "$(ckpt_step "$CK")" -eq $STEPS ]' "the final checkpoint is at step $STEPS ($(ckpt_step "$CK"))"
"$SERCE" info "$M" >/dev/null
check '[ $? -eq 0 ]' "serce info on the final model"
out=$("$SERCE" sample "$M" --length 40 --seed 2)
check '[ $? -eq 0 ] && [ -n "$out" ]' "serce sample on the final model"
check 'same_tensors "$W/ref.safetensors" "$M"' "after $kills kills the weights equal an uninterrupted run's"
check '[ -z "$(find "$W" -name "*.tmp-*")" ]' "no temporary files left: $(find "$W" -name '*.tmp-*' | tr '\n' ' ')"

# ------------------------------------------------------------------ 2. Ctrl-C
I=$W/int.safetensors
"$SERCE" train "$CORPUS" -o "$I" "${ARGS[@]}" --log "$W/int.jsonl" 2>"$W/int.err" >/dev/null &
pid=$!
for _ in $(seq 1 200); do [ -s "$W/int.jsonl" ] && break; sleep 0.05; done # in the training loop
kill -INT $pid
wait $pid
rc=$?
check '[ $rc -eq 130 ]' "Ctrl-C exits with status 130 (got $rc)"
msg=$(grep -c "continue with: serce train .*--resume $I.ckpt" "$W/int.err")
check '[ "$msg" -eq 1 ]' "Ctrl-C prints the resume command once: $(tail -n 2 "$W/int.err" | tr '\n' ' ')"
S=$(ckpt_step "$I.ckpt")
L=$(log_step "$W/int.jsonl")
check '[ "$S" -ge "$L" ] && [ "$S" -gt 0 ]' "Ctrl-C wrote the checkpoint at the current step ($S, log at $L)"
"$SERCE" train "$CORPUS" -o "$I" --resume "$I.ckpt" -q
check '[ $? -eq 0 ] && [ "$(ckpt_step "$I.ckpt")" -eq $STEPS ]' "the run resumed after Ctrl-C completes"

# ------------------------------------------------------------------ 3. full disk, read-only directory
mount_tmpfs() { # DIR SIZE
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || return 1
    MOUNTS+=("$1")
}
one_line_error() { # OUTPUT RC FILE WHAT
    [ "$2" -ne 0 ] && [ "$(printf '%s\n' "$1" | grep -c .)" -eq 1 ] && [[ "$1" == *"$3"* ]] && [[ "$1" == *"$4"* ]]
}
# a short run gives a model and a checkpoint to protect
"$SERCE" train "$CORPUS" -o "$W/small.safetensors" "${ARGS[@]}" --steps 20 -q
MSIZE=$(stat -c %s "$W/small.safetensors")
CSIZE=$(stat -c %s "$W/small.safetensors.ckpt")
if [ "$(id -u)" -ne 0 ] || ! mount_tmpfs "$W/probe" 64k; then
    skipped "full disk and read-only directory: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"
else
    # full disk: room for the old file but not for a second copy of it
    F=$W/full
    mount_tmpfs "$F" $(((MSIZE * 3 / 2 + 4095) / 4096 * 4096))
    cp "$W/small.safetensors" "$F/m.safetensors"
    out=$("$SERCE" train "$CORPUS" -o "$F/m.safetensors" --checkpoint "$W/full-other.ckpt" "${ARGS[@]}" --steps 20 -q 2>&1)
    rc=$?
    check 'one_line_error "$out" $rc "$F/m.safetensors" "No space left on device"' "full disk, model: one line naming the file: $out"
    check 'cmp -s "$W/small.safetensors" "$F/m.safetensors"' "full disk: the previous model is intact"
    check '[ -z "$(ls "$F" | grep tmp-)" ]' "full disk: no temp file left"
    umount "$F"
    mount_tmpfs "$F" $(((CSIZE * 3 / 2 + 4095) / 4096 * 4096))
    cp "$W/small.safetensors.ckpt" "$F/m.ckpt"
    out=$("$SERCE" train "$CORPUS" -o "$W/full-other.safetensors" --checkpoint "$F/m.ckpt" "${ARGS[@]}" --steps 20 -q 2>&1)
    rc=$?
    check 'one_line_error "$out" $rc "$F/m.ckpt" "No space left on device"' "full disk, checkpoint: one line naming the file: $out"
    check 'cmp -s "$W/small.safetensors.ckpt" "$F/m.ckpt"' "full disk: the previous checkpoint is intact"
    check '[ -z "$(ls "$F" | grep tmp-)" ]' "full disk: no temp file left (checkpoint)"

    # read-only directory: a tmpfs holding the files, remounted read-only (root ignores chmod 555)
    R=$W/ro
    mount_tmpfs "$R" 1m
    cp "$W/small.safetensors" "$R/m.safetensors"
    cp "$W/small.safetensors.ckpt" "$R/m.safetensors.ckpt"
    if ! mount -o remount,ro "$R" 2>/dev/null; then
        skipped "read-only directory: cannot remount the tmpfs read-only"
    else
        out=$("$SERCE" train "$CORPUS" -o "$R/m.safetensors" "${ARGS[@]}" --steps 20 -q 2>&1)
        rc=$?
        check 'one_line_error "$out" $rc "$R/m.safetensors" "Read-only file system"' "read-only: one line naming the file: $out"
        check 'cmp -s "$W/small.safetensors" "$R/m.safetensors" && cmp -s "$W/small.safetensors.ckpt" "$R/m.safetensors.ckpt"' \
            "read-only: the previous model and checkpoint are intact"
        out=$("$SERCE" train "$CORPUS" -o "$R/m.safetensors" --resume "$R/m.safetensors.ckpt" -q 2>&1)
        rc=$?
        check 'one_line_error "$out" $rc "$R/m.safetensors" "Read-only file system"' "read-only, resume: one line naming the file: $out"
        out=$("$SERCE" export "$W/small.safetensors" -o "$R/e.safetensors" 2>&1)
        rc=$?
        check 'one_line_error "$out" $rc "$R/e.safetensors" "Read-only file system"' "read-only, export: $out"
    fi
fi

echo "test_crash: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
