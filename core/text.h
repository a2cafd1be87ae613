/* text.h — UTF-8, Turkish-correct case folding, corpus parsing and the vocabulary.
 *
 * Role: the one place where bytes become codepoints and codepoints become token ids, for training,
 * evaluation, priming and output alike (CLI, browser and tests share it).
 * Not here: model math, files (callers hand in bytes), printing.
 *
 * Token ids: the vocabulary has SERCE_NSPECIAL special tokens first, then one token per character
 * (Unicode codepoint) sorted by codepoint. A song is encoded as
 *     <s> title <t> body </s>        (with a title)
 *     <s> body </s>                  (without one)
 * where body lines are joined by '\n' (stanza breaks are an empty line, i.e. "\n\n").
 */
#ifndef SERCE_TEXT_H
#define SERCE_TEXT_H

#include "serce.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SERCE_TOK_UNK = 0,    /* "<unk>": a character below the count threshold, or unseen */
    SERCE_TOK_BOS = 1,    /* "<s>":   song start */
    SERCE_TOK_EOS = 2,    /* "</s>":  song end */
    SERCE_TOK_TITLE = 3,  /* "<t>":   end of the title line */
    SERCE_NSPECIAL = 4
};

#define SERCE_MAX_VOCAB 4096

/* ---------------------------------------------------------------- UTF-8 */

/* Decode one codepoint at s[*pos] (n bytes total). On success stores it in *cp, advances *pos and
 * returns 0. On invalid UTF-8 (bad lead byte, truncated or bad continuation, overlong form,
 * surrogate, > U+10FFFF) returns -1 and leaves *pos unchanged. */
int serce_utf8_next(const char *s, size_t n, size_t *pos, uint32_t *cp);
/* Encode cp into out (at least 4 bytes); returns the number of bytes (1..4), 0 for an invalid cp. */
int serce_utf8_put(uint32_t cp, char *out);
/* Check a whole buffer. Returns SERCE_OK or SERCE_ERR_UTF8 with "NAME:LINE:COL: invalid UTF-8 ..."
 * (line and column 1-based, column counted in characters). name may be NULL ("input"). */
int serce_utf8_validate(const char *s, size_t n, const char *name, serce_error *err);

/* Turkish lower case: 'I' -> 'ı' (U+0131), 'İ' (U+0130) -> 'i', other letters by their simple
 * Unicode lower case mapping (Latin-1, Latin Extended-A, Greek and Cyrillic basics). */
uint32_t serce_tr_lower(uint32_t cp);
/* Turkish upper case: 'i' -> 'İ', 'ı' -> 'I', others by the simple mapping. */
uint32_t serce_tr_upper(uint32_t cp);

/* ---------------------------------------------------------------- codepoint text */

/* Decode UTF-8 into codepoints, composing the combining sequences that Turkish text meets
 * (e.g. 'c' U+0327 -> 'ç', 'i' U+0307 -> 'i', 'I' U+0307 -> 'İ', 'a' U+0302 -> 'â'), normalising
 * CRLF/CR to LF and dropping a leading BOM. If lowercase, folds with serce_tr_lower.
 * *out is serce_malloc'ed; *nout codepoints. Invalid UTF-8 -> SERCE_ERR_UTF8 naming name:line:col. */
int serce_text_decode(const char *s, size_t n, int lowercase, const char *name,
                      uint32_t **out, size_t *nout, serce_error *err);

/* ---------------------------------------------------------------- corpus */

typedef enum {
    SERCE_CORPUS_AUTO = 0,  /* detect: CSV header with a lyric column -> CSV; '# ' title lines -> songs; else plain */
    SERCE_CORPUS_SONGS,     /* ../shared/corpus format: blocks separated by blank lines, optional '# title' first line */
    SERCE_CORPUS_CSV,       /* one lyric line (or a whole lyric) per row; songs grouped by a song-id or title column */
    SERCE_CORPUS_PLAIN      /* plain text: songs separated by 2+ blank lines (single blank lines = stanza breaks);
                               if that finds one song only, every blank line separates songs */
} serce_corpus_format;

typedef struct {
    uint32_t *title;   /* [title_len] codepoints, may be NULL (no title) */
    size_t title_len;
    uint32_t *body;    /* [body_len] codepoints; lines joined by '\n', no leading/trailing newline */
    size_t body_len;
} serce_song;

typedef struct {
    serce_song *songs;  /* [nsongs] */
    size_t nsongs;
    size_t nchars;      /* total codepoints in titles and bodies */
    int format;         /* the serce_corpus_format that was used (never AUTO) */
} serce_corpus;

/* Parse a corpus from memory. name is used in error messages ("file:line:col: ...").
 * CSV: RFC 4180 (quoted fields, "" escapes, newlines inside quotes), ',' or ';' or tab separator
 * detected from the header. Columns are found by header name, case- and accent-insensitively:
 *   lyric: "Şarkı Sözü", "sozler", "sözler", "lyrics", "lyric", "text", "söz"
 *   song:  "Şarkı Id", "song_id", "id"         (optional; else the title column groups rows)
 *   title: "Şarkı Adı", "sarkisi", "title", "song", "şarkı" (optional)
 *   line:  "Satır No", "line", "line_no"       (optional; orders a song's lines)
 * Rows of one song need not be adjacent. Missing lyric column, broken quoting, a row with a
 * different number of fields: SERCE_ERR_CORPUS with name:line. An empty corpus (no characters) is
 * SERCE_ERR_CORPUS too. lowercase folds with Turkish rules. */
int serce_corpus_parse(const char *data, size_t n, const char *name, int format, int lowercase,
                       serce_corpus *out, serce_error *err);
void serce_corpus_free(serce_corpus *c);
/* Keep the songs i of c with keep[i] != 0, in order; the others are freed (nchars follows). */
void serce_corpus_keep(serce_corpus *c, const unsigned char *keep);
/* Leave out of c every song that shares at least min_lines distinct lyric lines with some song of
 * `other` (lines compared folded: Turkish lower case, letters and digits only, and only lines with
 * at least min_letters of them). For honest validation: a pre-training corpus of other singers can
 * hold their versions of the target artist's songs (songs she wrote for them, duets), which would
 * otherwise leak the held-out songs into training. *dropped (may be NULL) receives the count. */
int serce_corpus_drop_overlap(serce_corpus *c, const serce_corpus *other, int min_letters, int min_lines,
                              size_t *dropped, serce_error *err);

/* ---------------------------------------------------------------- vocabulary */

typedef struct {
    int size;            /* V = SERCE_NSPECIAL + number of characters */
    uint32_t *cps;       /* [V] codepoint of each token; 0 for the special tokens */
    int lowercase;       /* 1 if the text was case-folded before tokenising */
} serce_vocab;

/* Build from a corpus: characters that occur at least min_count times get a token (sorted by
 * codepoint); rarer ones become <unk>. Fails with SERCE_ERR_LIMIT beyond SERCE_MAX_VOCAB. */
int serce_vocab_build(const serce_corpus *c, int min_count, int lowercase, serce_vocab *v, serce_error *err);
/* Token id of a codepoint (already folded if the vocab is lowercase), SERCE_TOK_UNK if absent. */
int serce_vocab_id(const serce_vocab *v, uint32_t cp);
/* The token's text as UTF-8 ("<s>" etc. for specials); returns bytes written (<= 8, NUL-terminated). */
int serce_vocab_token_str(const serce_vocab *v, int id, char out[16]);
/* Vocabulary as a JSON array of token strings (index = id), appended to b. */
int serce_vocab_to_json(const serce_vocab *v, serce_buf *b);
/* Parse that JSON array back (with the special tokens checked). */
int serce_vocab_from_json(const char *json, size_t n, int lowercase, serce_vocab *v, serce_error *err);
int serce_vocab_copy(const serce_vocab *src, serce_vocab *dst);
void serce_vocab_free(serce_vocab *v);

/* Encode one song into tokens as described at the top; appends to *toks (grown with serce_realloc).
 * Codepoints without a token become SERCE_TOK_UNK. */
int serce_encode_song(const serce_vocab *v, const serce_song *s, int32_t **toks, size_t *ntoks, size_t *cap);

/* Encode a prime (UTF-8) for generation: decoded and folded like the training text. Characters the
 * vocabulary lacks are an error (SERCE_ERR_VOCAB) whose message lists them, e.g.
 * "the prime has characters the model does not know: 'x' (U+0078), 'Q' (U+0051)".
 * *toks is serce_malloc'ed (no BOS added). */
int serce_encode_prime(const serce_vocab *v, const char *utf8, size_t n, int32_t **toks, size_t *ntoks,
                       serce_error *err);

#ifdef __cplusplus
}
#endif
#endif
