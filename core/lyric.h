/* lyric.h — Turkish verse tools: syllables (hece), metre patterns (hece ölçüsü), rhyme (kafiye and
 * redif), song forms, and the originality index (a Bloom filter of the training corpus's n-grams).
 *
 * Role: the text-level rules that the sampler's song mode (sampler.h) enforces and that the hosts use
 * to check or annotate generated text (the CLI's report, the page's highlighting, the tests).
 * Not here: the model or sampling (sampler.c applies these rules while generating), files, printing.
 * Everything is integer or fixed-order IEEE arithmetic, so results are identical natively and in wasm.
 * Tested by tests/test_lyric.c.
 *
 * Definitions used throughout:
 *   vowel      a e ı i o ö u ü â î û and their capitals (A E I İ O Ö U Ü Â Î Û). A syllable is a vowel:
 *              Turkish spelling writes one vowel per syllable, so the count is exact for Turkish words.
 *   letter     a Unicode letter (Latin, Greek, Cyrillic blocks); digits and apostrophes are not letters.
 *   fold       Turkish lower case (I -> ı, İ -> i) and then â -> a, î -> i, û -> u.
 *   rhyme      two lines rhyme when their folded letters (everything else dropped, so "sen de" and
 *              "bende" compare alike) share a common ending that contains a vowel, i.e. at least the
 *              last vowel and everything after it (kafiye); a longer shared ending — a repeated suffix
 *              or word, redif — is a stronger rhyme. Identical lines do not count as a rhyme.
 */
#ifndef SERCE_LYRIC_H
#define SERCE_LYRIC_H

#include "model.h"
#include "serce.h"
#include "text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- characters and syllables */

int serce_tr_is_vowel(uint32_t cp);
int serce_tr_is_letter(uint32_t cp);
/* A letter of the Turkish alphabet (a-z including q w x, ç ğ ı ö ş ü â î û, and capitals). */
int serce_tr_is_turkish_letter(uint32_t cp);
uint32_t serce_tr_fold(uint32_t cp);
/* Syllables (vowels) in codepoints / in UTF-8 text (invalid bytes are skipped). */
int serce_syllables(const uint32_t *cps, size_t n);
int serce_syllables_utf8(const char *s, size_t n);

/* ---------------------------------------------------------------- metre: "8", "7,7,7,7", "6+5", "4+4+3", "11'li"
 * A pattern is a comma-separated list of line metres, cycled over the lines of each stanza. A line
 * metre is a syllable count, or segments joined by '+' whose sum is the count: a durak (caesura)
 * falls after each segment but the last, i.e. a word must end there. The usual names are accepted:
 * "7'li" = 4+3, "8'li" = 4+4, "10'lu" = 5+5, "11'li" = 6+5, "12'li" = 6+6, "14'lü" = 7+7, "15'li" =
 * 8+7, "16'lı" = 8+8 (the suffix in any vowel-harmony form, with ', ’ or nothing before it); other
 * "N'li" names are N syllables without a durak. Every count is 1..32, at most 4 segments. */
#define SERCE_METRE_MAX_SEG 4
#define SERCE_METRE_MAX_LINES 16
typedef struct {
    int total;                      /* syllables in the line */
    int nseg;                       /* 1 = no durak */
    int seg[SERCE_METRE_MAX_SEG];   /* segment lengths, summing to total */
} serce_metre_line;
typedef struct {
    int n;                          /* 0 = no metre */
    serce_metre_line line[SERCE_METRE_MAX_LINES];
} serce_metre;
int serce_metre_parse(const char *s, serce_metre *m, serce_error *err);

/* ---------------------------------------------------------------- rhyme scheme: "AABB", "ABAB", "AAXA"
 * Letters A-W name rhyme groups (case-insensitive); X means a free line. The scheme applies to each
 * block of that many consecutive lines of a stanza (so "AA" over four lines is AABB); a line must rhyme
 * with the first line of its group in its block. At most 16 letters. */
#define SERCE_RHYME_MAX 16
typedef struct {
    int n;                           /* 0 = no scheme */
    char letter[SERCE_RHYME_MAX];    /* 'A'..'W', or 0 for free */
} serce_rhyme_scheme;
int serce_rhyme_parse(const char *s, serce_rhyme_scheme *r, serce_error *err);
/* For line index i of a block (0-based): the index of the earlier line it must rhyme with, or -1. */
int serce_rhyme_anchor(const serce_rhyme_scheme *r, int i);
/* Folded letters of cps (everything that is not a letter dropped) into out (n entries suffice). */
size_t serce_rhyme_letters(const uint32_t *cps, size_t n, uint32_t *out);
/* 1 if a and b rhyme (see the top of this file); *common (may be NULL) gets the length of their common
 * folded ending in letters. */
int serce_rhyme_check(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int *common);
int serce_rhyme_check_utf8(const char *a, const char *b, int *common);

/* ---------------------------------------------------------------- song form: "V C V C C"
 * Sections separated by spaces, commas, '-' or '/': V, K, verse, kıta (a new stanza each time);
 * C, N, chorus, nakarat (one stanza, generated at its first place and repeated verbatim);
 * B, bridge, köprü (a new stanza). Case-insensitive (Turkish rules). A count after a section gives
 * its lines ("V4 C2"); otherwise default_lines. A run of section letters without spaces ("VCVC") is
 * read letter by letter. At most 32 sections of 1..32 lines; every chorus has the same line count. */
enum { SERCE_SECTION_VERSE = 0, SERCE_SECTION_CHORUS = 1, SERCE_SECTION_BRIDGE = 2 };
#define SERCE_FORM_MAX 32
typedef struct {
    int kind;    /* SERCE_SECTION_* */
    int lines;
} serce_section;
typedef struct {
    int n;       /* 0 = no form */
    serce_section s[SERCE_FORM_MAX];
} serce_form;
int serce_form_parse(const char *s, int default_lines, serce_form *f, serce_error *err);

/* ---------------------------------------------------------------- originality index
 * A Bloom filter of every n-gram (default n = 24) of the training songs' normalised text, so a host
 * can tell which parts of a generated text occur verbatim in the corpus without shipping the corpus.
 * Normalised text: each song is its title and its lines, with letters and digits folded (see above),
 * apostrophes dropped and every run of anything else (spaces, punctuation, line breaks) one space;
 * n-grams do not cross songs. The filter stores hashes only: the text cannot be read back from it.
 *
 * Stored as the model metadata entry "serce.originality", a JSON object
 *   {"n":24,"k":10,"bits":2228224,"items":154754,"fpr":0.00099,"norm":"serce-fold/1",
 *    "hash":"fnv1a64-fmix/1","data":"<base64 of the bits, little-endian bit order>"}
 * where fpr is the false-positive rate of this filter ((share of bits set)^k).
 *
 * A copied span is a run of at least SERCE_ORIG_MIN_RUN consecutive windows found in the filter, i.e.
 * n + 1 or more normalised characters in a row found verbatim; requiring two overlapping hits squares
 * the false-positive rate (about 1e-6 per position at the default 1e-3), so a reported span is a copy. */
#define SERCE_ORIG_DEFAULT_N 24
#define SERCE_ORIG_DEFAULT_FPR 0.001
#define SERCE_ORIG_MIN_RUN 2
#define SERCE_ORIG_META_KEY "serce.originality"

typedef struct serce_originality serce_originality;

/* Build the index of corpus c and append its JSON (above) to json_out. n: n-gram length (0 = default,
 * 8..64), fpr: target false-positive rate (0 = default, 1e-6..0.5). */
int serce_originality_build(const serce_corpus *c, int n, double fpr, serce_buf *json_out, serce_error *err);
/* Parse the JSON (strictly: every field checked, data length must match bits). */
int serce_originality_load(const char *json, size_t len, serce_originality **out, serce_error *err);
/* Load from the model's metadata; SERCE_ERR_ARG "the model has no originality index ..." if absent. */
int serce_originality_from_model(const serce_model *m, serce_originality **out, serce_error *err);
void serce_originality_free(serce_originality *ix);
typedef struct {
    int n, k;
    uint64_t bits;
    uint64_t items;
    double fpr;
} serce_originality_info;
void serce_originality_get_info(const serce_originality *ix, serce_originality_info *info);
/* The normalised form of one codepoint: 0 = dropped (apostrophes), ' ' = separator, else the folded
 * letter or digit. */
uint32_t serce_originality_norm(uint32_t cp);
/* 1 if the normalised window w[0..n) (n = the index's n) is in the filter (false positives at fpr). */
int serce_originality_contains(const serce_originality *ix, const uint32_t *w);

typedef struct {
    size_t start, end;   /* byte offsets [start, end) into the text */
} serce_span;
/* The copied spans of UTF-8 text (invalid bytes count as separators), in order, not overlapping.
 * *spans is serce_malloc'ed (NULL if none). *novelty (may be NULL) gets the share of letters and
 * digits of the text that lie outside every span (1 for a text without letters). */
int serce_originality_spans(const serce_originality *ix, const char *text, size_t n, serce_span **spans,
                            size_t *nspans, double *novelty, serce_error *err);
/* The same as JSON for the page, offsets in UTF-16 code units (JavaScript string indices):
 *   {"novelty":0.973,"letters":412,"copied":11,"n":24,"spans":[[start,end],...]} */
int serce_originality_spans_json(const serce_originality *ix, const char *text, size_t n, serce_buf *out,
                                 serce_error *err);

/* ---------------------------------------------------------------- helpers shared with sampler.c */

/* Natural logarithm of x > 0 with the core's own fixed-order float math (no libm): same bits on
 * every platform; absolute error below 1e-6 on normal floats. */
float serce_logf(float x);
/* Standard base64 with padding. decode: SERCE_ERR_FORMAT on anything that is not canonical base64. */
int serce_base64_encode(const uint8_t *p, size_t n, serce_buf *out);
int serce_base64_decode(const char *s, size_t n, uint8_t **out, size_t *nout, serce_error *err);

#ifdef __cplusplus
}
#endif
#endif
