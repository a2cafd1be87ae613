/* api.h — the browser API of Serçe: a small handle-based, step-wise C interface over the core that
 * JavaScript calls through Emscripten (wasm/api.c). Also compiled natively for the tests, which
 * compare the native and the wasm builds call for call (tests/web/probe.c).
 *
 * Handles are small positive ints; 0 means failure, and serce_wasm_error() then gives the one-line
 * message. Returned strings are owned by the API and stay valid until the next call that returns a
 * string for the same handle (JavaScript copies them out at once).
 */
#ifndef SERCE_WASM_API_H
#define SERCE_WASM_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the last serce_wasm_step() chunk ended with (serce_wasm_kind). */
enum {
    SERCE_WASM_TEXT = 0,       /* plain text; the song goes on */
    SERCE_WASM_TITLE_END = 1,  /* the chunk ends with the end of the title line ("\n\n") */
    SERCE_WASM_SONG_END = 2,   /* the chunk ends with the end of a song; another song follows */
    SERCE_WASM_END = 3,        /* the chunk ends the generation (length or song limit reached) */
    SERCE_WASM_ERROR = -1      /* the step failed: serce_wasm_error() says why */
};

/* The last error's one-line message ("" if none). */
const char *serce_wasm_error(void);
/* The model file format version this build reads, e.g. "1". */
const char *serce_wasm_version(void);

/* Load a model from safetensors bytes (copied): a model handle, or 0 (see serce_wasm_error). */
int serce_wasm_load(const uint8_t *bytes, int n);
/* JSON: {"config":{...},"parameters":N,"vocab":[...],"kernels":{"matvec":"simd128","gemm":"ref"},
 *        "format":"1","training":{...} or null,"metadata":{key: value, ...}}
 * training is the serce.training metadata verbatim (null if absent or not valid JSON); metadata holds
 * every other metadata entry (e.g. "serce.card"), verbatim when it is valid JSON, else as a string. */
const char *serce_wasm_info(int h);
int serce_wasm_vocab_size(int h);
/* Free a model and every generation started from it. */
void serce_wasm_free(int h);

/* Start a generation: a generation handle, or 0 (bad settings, unknown characters in the prime, ...).
 * seed: a whole number 0..2^53 (the core's seed is uint64). length: characters (0 = no limit);
 * songs: songs to write (0 = no limit). As in `serce sample`, songs > 0 with length 0 caps the length
 * at 6000 characters per song. */
int serce_wasm_start(int h, const char *prime_utf8, double seed, float temperature, int top_k, float top_p,
                     int length, int songs);
/* UTF-8 of the next up-to-n generated characters (the prime's text comes first). A chunk stops early
 * at the end of a title line or a song, so serce_wasm_kind() can tell the page how to lay it out.
 * "" with serce_wasm_done() == 1 once finished. */
const char *serce_wasm_step(int g, int n);
int serce_wasm_kind(int g);     /* SERCE_WASM_* of the last chunk */
int serce_wasm_done(int g);     /* 1 when finished and everything was handed out */
double serce_wasm_chars(int g); /* characters generated so far (the prime excluded) */
/* The logits [V] of the next character (for tests); valid until the next step. */
const float *serce_wasm_logits(int g);
/* JSON array of the k likeliest next tokens at temperature 1, likeliest first, ties by token id:
 * [["a",0.31],["\n",0.12],["</s>",0.01],...] (<unk> and <s> are never sampled and left out). */
const char *serce_wasm_topk(int g, int k);
void serce_wasm_free_gen(int g);

#ifdef __cplusplus
}
#endif
#endif
