/* sampler.h — turning logits into characters: temperature, top-k, top-p, and the generation session
 * that CLI and browser share (start with a prime, step N characters, get UTF-8 back).
 *
 * Deterministic by construction: integer RNG (rng.h), the core's own exp (mathf.h), sums in a fixed
 * order, ties broken by token id. With the canonical-order inference step (model.c) the same model,
 * prime, seed and settings give byte-identical text natively and in the browser.
 * Not here: printing or timing (the hosts stream the UTF-8 they get).
 */
#ifndef SERCE_SAMPLER_H
#define SERCE_SAMPLER_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    float temperature;  /* 0 = greedy (argmax); default 0.8 */
    int top_k;          /* keep the k most likely tokens; 0 = off */
    float top_p;        /* keep the smallest set with probability >= top_p; 1 = off */
    uint64_t seed;
    long length;        /* stop after this many generated characters; 0 = no limit (then songs must be > 0) */
    int songs;          /* stop after this many songs end; 0 = no limit */
} serce_gen_opts;

void serce_gen_opts_default(serce_gen_opts *o);
/* Check ranges: temperature in [0, 10], top_k in [0, V], top_p in (0, 1], length >= 0, songs >= 0,
 * and at least one of length and songs set. */
int serce_gen_opts_check(const serce_gen_opts *o, serce_error *err);

/* Pick a token from logits [V] (not modified). banned [V] (may be NULL): nonzero = never pick.
 * scratch: at least 2*V floats + V ints worth of space (serce_sample_scratch_bytes). */
size_t serce_sample_scratch_bytes(int V);
int serce_sample(const float *logits, int V, const unsigned char *banned, float temperature, int top_k, float top_p,
                 uint64_t *rng, void *scratch);

typedef struct serce_gen serce_gen;

int serce_gen_new(const serce_model *m, const serce_kernels *k, const serce_gen_opts *o, serce_gen **out,
                  serce_error *err);
void serce_gen_free(serce_gen *g);
/* Begin a song with prime (UTF-8, may be empty): feeds <s> and the prime. The prime's text is the
 * first output of serce_gen_step. Unknown characters in the prime: SERCE_ERR_VOCAB listing them. */
int serce_gen_start(serce_gen *g, const char *prime, size_t n, serce_error *err);
/* Generate up to max_chars more characters, appending UTF-8 to out. *done = 1 when the length or
 * song limit is reached. Rendering: the title line is followed by an empty line; songs are
 * separated by an empty line. */
int serce_gen_step(serce_gen *g, int max_chars, serce_buf *out, int *done, serce_error *err);
long serce_gen_chars(const serce_gen *g);   /* characters generated so far (prime excluded) */
const serce_infer *serce_gen_infer(const serce_gen *g);
/* Where the session is, for hosts that lay the text out as a song sheet (the browser styles title lines):
 * songs ended so far, and 1 while the current song's title line is being written. */
int serce_gen_songs_done(const serce_gen *g);
int serce_gen_in_title(const serce_gen *g);

#ifdef __cplusplus
}
#endif
#endif
