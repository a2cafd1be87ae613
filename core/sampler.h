/* sampler.h — turning logits into characters: temperature, top-k, top-p, and the generation session
 * that CLI and browser share (start with a prime, step N characters, get UTF-8 back).
 *
 * Song mode (any of form, syllables, rhyme set): the session writes a title line and then body lines
 * under the rules of lyric.h — a song form whose chorus repeats verbatim, a syllable count per line
 * (hece ölçüsü) with optional durak, a rhyme scheme — by search: each line is sampled from a saved
 * model state, checked, and resampled with the following random draws up to a fixed number of
 * attempts (the budget is counted in attempts, never in time). Character controls (repetition
 * penalty, no-repeat n-grams, avoid-copying) work with or without song mode.
 *
 * Deterministic by construction: integer RNG (rng.h), the core's own exp and log (mathf.h,
 * serce_logf), sums in a fixed order, ties broken by token id. With the canonical-order inference
 * step (model.c) the same model, prime, seed and settings give byte-identical text natively and in
 * the browser. With every new option off, the text is exactly what earlier versions wrote.
 * Not here: printing or timing (the hosts stream the UTF-8 they get).
 */
#ifndef SERCE_SAMPLER_H
#define SERCE_SAMPLER_H

#include "lyric.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    float temperature;  /* 0 = greedy (argmax); default 0.8 */
    int top_k;          /* keep the k most likely tokens; 0 = off */
    float top_p;        /* keep the smallest set with probability >= top_p; 1 = off */
    uint64_t seed;
    long length;        /* stop after this many generated characters; 0 = until `songs` songs have ended, and
                           outside song mode at most SERCE_SONG_MAX_CHARS per song (a model that never ends a
                           song still stops) */
    int songs;          /* stop after this many songs end; 0 = no limit */

    /* ---- song shape (lyric.h has the grammar of each string); "" = off ---- */
    char form[128];         /* "V C V C C": sections of lines; the chorus is written once and repeated verbatim;
                               the song ends after the form. Off: the model lays out and ends the song. */
    int lines_per_stanza;   /* lines of a section that gives no count of its own; default 4 */
    char syllables[128];    /* metre: "8", "7,7,7,5" (cycled over a stanza's lines), "6+5" (durak after the
                               6th syllable: a word ends there), "11'li". Title lines are free. */
    char rhyme[32];         /* rhyme scheme over each stanza: "AABB", "ABAB", "AAXA" (X = free) */
    int attempts;           /* search budget: candidate lines tried per line, 1..10000; default 40 */
    float word_end_min;     /* where a word must end (the end of a metered line, a durak), it ends only where
                               the model gives the end of the word at least this probability (at temperature
                               1); otherwise the word goes on with consonants or the candidate line is
                               abandoned. 0..1, default 0.2 */

    /* ---- repetition (in each song; off by default) ---- */
    float repetition_penalty; /* >= 1; 1 = off. A character that would continue a repeat of earlier text of
                                 repetition_min or more characters loses ln(R) of logit per character beyond
                                 repetition_min - 1, so loops fade while words and short phrases stay free */
    int repetition_min;       /* default 12 */
    int no_repeat_ngram;      /* 0 = off; N >= 2: never write a character N-gram (case-folded) twice in a song */

    /* ---- originality ---- */
    int avoid_copying;        /* 1: when the song's last n characters are an n-gram of the originality index (a
                                 verbatim copy from the training lyrics in progress), refuse a character that
                                 would extend it into a copied span (lyric.h), unless nothing else is allowed;
                                 default 0 */
    const serce_originality *originality; /* index for avoid_copying (not owned, must outlive the session);
                                 NULL = load the model's serce.originality metadata */
} serce_gen_opts;

#define SERCE_SONG_MAX_CHARS 6000L

void serce_gen_opts_default(serce_gen_opts *o);
/* Check ranges: temperature in [0, 10], top_k in [0, V], top_p in (0, 1], length >= 0, songs >= 0,
 * and at least one of length and songs set; the form, syllables and rhyme strings must parse; the other
 * new fields as documented above. */
int serce_gen_opts_check(const serce_gen_opts *o, serce_error *err);
/* Set options from a JSON object (the browser's settings), on top of *o (call serce_gen_opts_default
 * first). Keys are the field names above: "temperature", "top_k", "top_p", "seed" (a whole number, or a
 * string of digits for seeds beyond 2^53), "length", "songs", "form", "lines_per_stanza", "syllables"
 * (a string, a number, or an array of numbers/strings, one per line), "rhyme", "attempts",
 * "word_end_min", "repetition_penalty", "repetition_min", "no_repeat_ngram", "avoid_copying" (boolean).
 * null leaves a string option off. An unknown key, a wrong type or a value out of range is
 * SERCE_ERR_ARG (SERCE_ERR_JSON for invalid JSON) naming the key; *o is then unchanged. */
int serce_gen_opts_from_json(serce_gen_opts *o, const char *json, serce_error *err);
/* The options as such a JSON object (every key; a permalink of the settings), appended to b. */
int serce_gen_opts_to_json(const serce_gen_opts *o, serce_buf *b);

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
 * separated by an empty line; in song mode with a form, stanzas too (the model itself reads a single
 * '\n' there, as in training). In song mode a call may first search a whole line and then hand out
 * its characters one by one; the model state (serce_gen_infer) is then ahead of the text handed out. */
int serce_gen_step(serce_gen *g, int max_chars, serce_buf *out, int *done, serce_error *err);
long serce_gen_chars(const serce_gen *g);   /* characters generated so far (prime excluded) */
const serce_infer *serce_gen_infer(const serce_gen *g);
/* Run each model step on up to `threads` cores (serce_infer_set_threads; the text is the same for any
 * count). Returns the number in use. */
int serce_gen_set_threads(serce_gen *g, int threads);
/* Where the session is, for hosts that lay the text out as a song sheet (the browser styles title lines):
 * songs ended so far, and 1 while the current song's title line is being written. */
int serce_gen_songs_done(const serce_gen *g);
int serce_gen_in_title(const serce_gen *g);

/* What song mode achieved so far (lines are counted when generated, which in song mode may be a line
 * ahead of the text handed out). Every count is checked on the final text, so the report is truthful. */
typedef struct {
    int lines;            /* body lines generated (a repeated chorus counts once) */
    int metre_lines;      /* lines with a syllable target */
    int metre_met;        /* of those: exactly the target, ending at a word end (and every durak at one) */
    int rhymes_required;  /* lines that the scheme asks to rhyme with an earlier line */
    int rhymes_met;       /* of those, lines that do (lyric.h's definition) */
    long attempts;        /* candidate lines tried */
    long copy_bans;       /* characters refused by avoid_copying */
    long bans_lifted;     /* times the soft bans (avoid_copying, no_repeat_ngram) would have left nothing */
} serce_gen_stats;
void serce_gen_get_stats(const serce_gen *g, serce_gen_stats *s);
/* The same as JSON: {"lines":..,"metre_lines":..,"metre_met":..,"rhymes_required":..,"rhymes_met":..,
 * "attempts":..,"copy_bans":..,"bans_lifted":..} appended to b. */
int serce_gen_stats_json(const serce_gen *g, serce_buf *b);

#ifdef __cplusplus
}
#endif
#endif
