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
 *        "format":"1","training":{...} or null,"originality":{"n":24,"k":10,"bits":..,"items":..,"fpr":..}
 *        or null,"metadata":{key: value, ...}}
 * training is the serce.training metadata verbatim (null if absent or not valid JSON); originality
 * summarises the serce.originality index (null if the model has none or it does not load); metadata
 * holds every other metadata entry (e.g. "serce.card"), verbatim when it is valid JSON, else as a
 * string; the index's bits are not repeated there. */
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
/* Start a generation with settings as a JSON object, read by the core's serce_gen_opts_from_json (sampler.h):
 * "temperature", "top_k", "top_p", "seed", "length", "songs", "form", "lines_per_stanza", "syllables",
 * "rhyme", "attempts", "word_end_min", "repetition_penalty", "repetition_min", "no_repeat_ngram",
 * "avoid_copying"; missing keys keep the core's defaults (so "songs" is 1 unless set). Exactly as
 * `serce sample MODEL --settings JSON --prime PRIME`: the same text, byte for byte; as there, songs > 0
 * with length 0 caps the length at 6000 characters per song unless form, syllables or rhyme is set (song
 * mode ends its songs itself). avoid_copying uses the model's originality index (an error if it has
 * none). The prime is read as by the CLI: its first line is the title line. 0 on failure. */
int serce_wasm_start_json(int h, const char *prime_utf8, const char *settings_json);
/* Hand out none of the prime's text: serce_wasm_step then gives only what is generated after it (for
 * continuing a text that is already on the page). Call right after starting. */
void serce_wasm_skip_prime(int g);
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
/* What song mode achieved so far (sampler.h's serce_gen_stats, counted when a line is generated, so it
 * is final once done): {"lines":..,"metre_lines":..,"metre_met":..,"rhymes_required":..,"rhymes_met":..,
 * "attempts":..,"copy_bans":..,"bans_lifted":..}; "null" for a bad handle. */
const char *serce_wasm_stats(int g);
/* The k likeliest next characters after the text so far (right after starting: after the prime) as the
 * sampler sees them at temperature 1 (<unk> and <s> never; <t> only inside the title line), each with the
 * greedy continuation to the end of the next word (at most max_chars characters, the character itself
 * first; a line break or a special token stays alone):
 * [["a",0.31,"aşkım",0.021],[" ",0.2," sen",0.05],["\n",0.1,"\n",0.1],["</s>",0.01,"</s>",0.01],...]
 * where the second number is the probability of the whole continuation. Likeliest first, ties by id. */
const char *serce_wasm_next_words(int g, int k, int max_chars);
void serce_wasm_free_gen(int g);

/* Originality of a text (UTF-8) against the model's originality index (lyric.h): JSON with the copied
 * spans in UTF-16 code units, i.e. JavaScript string indices, and the share of new letters:
 *   {"novelty":0.973,"letters":412,"copied":11,"n":24,"spans":[[start,end],...]}
 * "null" if the model has no index (serce_wasm_error says so). serce_wasm_info's "originality" tells
 * beforehand: the index's n, k, bits, items and false-positive rate, or null. */
const char *serce_wasm_originality(int h, const char *text_utf8);

#ifdef __cplusplus
}
#endif
#endif
