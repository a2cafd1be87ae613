#!/usr/bin/env bash
# train-default-model.sh — how the shipped model www/models/sezen-aksu*.safetensors is made.
#   scripts/train-default-model.sh CORPUS_DIR [OUT_DIR]
# CORPUS_DIR holds turkish-lyrics-other-artists.txt (pre-training) and sezen-aksu.txt (fine-tuning);
# the lyrics are copyrighted and are not part of this repository. About an hour. Time budgets make runs differ slightly from machine to machine.
# Each stage writes its model and a checkpoint in OUT_DIR; an interrupted stage continues with
#   build/serce train CORPUS --resume OUT_DIR/STAGE.safetensors.ckpt -o OUT_DIR/STAGE.safetensors
set -euo pipefail
corpus=${1:?usage: train-default-model.sh CORPUS_DIR [OUT_DIR]}
out=${2:-runs}
serce=${SERCE:-build/serce}
mkdir -p "$out"
# 1. pre-train on 58 other Turkish artists (4.7 M characters): the language, the line shapes
"$serce" train "$corpus/turkish-lyrics-other-artists.txt" -o "$out/pre.safetensors" \
    --embed 64 --hidden 256 --layers 2 --batch 32 --seq-len 128 --lr 0.002 --dropout 0.1 --warmup 200 \
    --min-count 5 --val-fraction 0.02 --eval-every 200 --patience 0 --minutes 40 --seed 1 --threads 1 \
    --log "$out/pre.jsonl"
# 1b. continue pre-training with titles stripped of their artist ("Artist - Title" -> "Title"), so the
#     model does not write other artists' names as song titles
"$serce" train "$corpus/turkish-lyrics-other-artists.txt" --strip-artist --init "$out/pre.safetensors" \
    -o "$out/pre2.safetensors" --lr 0.0005 --dropout 0.1 --warmup 50 --min-count 5 --val-fraction 0.02 \
    --eval-every 100 --patience 0 --minutes 12 --seed 2 --threads 2 --log "$out/pre2.jsonl"
# 2. fine-tune on Sezen Aksu (315 songs; 10 % of the songs held out, never trained on)
"$serce" train "$corpus/sezen-aksu.txt" --init "$out/pre2.safetensors" -o "$out/sezen-aksu.safetensors" \
    --lr 0.0004 --dropout 0.15 --warmup 30 --eval-every 13 --patience 12 --minutes 6 --seed 1 --threads 1 \
    --log "$out/sezen.jsonl"
# 3. export for the page: float32 and int8 (the held-out bpc of both is printed)
"$serce" export "$out/sezen-aksu.safetensors" -o www/models/sezen-aksu.safetensors --corpus "$corpus/sezen-aksu.txt"
"$serce" export "$out/sezen-aksu.safetensors" -o www/models/sezen-aksu.int8.safetensors --int8 \
    --corpus "$corpus/sezen-aksu.txt"
