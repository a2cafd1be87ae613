/* fuzz_corpus.c — the corpus readers (serce_corpus_parse) on arbitrary bytes, in every format
 * (auto, songs, CSV, plain) with case kept and folded. On success: songs have text, counts add up,
 * codepoints are valid Unicode scalar values; auto-detection gives exactly what parsing with the
 * detected format gives; the vocabulary built from it survives JSON and every token id is in range. */
#include "fuzz.h"

static void check_corpus(const serce_corpus *c, int format) {
    FUZZ_ASSERT(c->nsongs > 0 && c->songs, "a parsed corpus has songs");
    FUZZ_ASSERT(c->format >= SERCE_CORPUS_SONGS && c->format <= SERCE_CORPUS_PLAIN, "format %d", c->format);
    if (format != SERCE_CORPUS_AUTO) FUZZ_ASSERT(c->format == format, "format %d kept", format);
    size_t n = 0;
    for (size_t i = 0; i < c->nsongs; i++) {
        const serce_song *s = &c->songs[i];
        FUZZ_ASSERT(s->body_len > 0 && s->body, "song %zu has a body", i);
        FUZZ_ASSERT((s->title == NULL) == (s->title_len == 0), "song %zu title", i);
        for (size_t k = 0; k < s->title_len + s->body_len; k++) {
            uint32_t cp = k < s->title_len ? s->title[k] : s->body[k - s->title_len];
            FUZZ_ASSERT(cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF), "song %zu codepoint U+%X", i, cp);
            if (k < s->title_len) FUZZ_ASSERT(cp != '\n', "a title is one line");
        }
        n += s->title_len + s->body_len;
    }
    FUZZ_ASSERT(n == c->nchars, "nchars %zu, counted %zu", c->nchars, n);
}

static int same_corpus(const serce_corpus *a, const serce_corpus *b) {
    if (a->nsongs != b->nsongs || a->nchars != b->nchars) return 0;
    for (size_t i = 0; i < a->nsongs; i++) {
        const serce_song *x = &a->songs[i], *y = &b->songs[i];
        if (x->title_len != y->title_len || x->body_len != y->body_len) return 0;
        if (x->title_len && memcmp(x->title, y->title, x->title_len * 4)) return 0;
        if (memcmp(x->body, y->body, x->body_len * 4)) return 0;
    }
    return 1;
}

static void check_vocab(const serce_corpus *c, int lowercase) {
    serce_vocab v;
    serce_error e = {0};
    int rc = serce_vocab_build(c, 1, lowercase, &v, &e);
    fuzz_check_error(rc, &e);
    if (rc) return;
    FUZZ_ASSERT(v.size >= SERCE_NSPECIAL && v.size <= SERCE_MAX_VOCAB, "vocab size %d", v.size);
    serce_buf j = {0};
    FUZZ_ASSERT(serce_vocab_to_json(&v, &j) == SERCE_OK, "vocab to JSON");
    serce_vocab w;
    rc = serce_vocab_from_json((const char *)j.data, j.len, lowercase, &w, &e);
    FUZZ_ASSERT(rc == SERCE_OK, "vocab JSON reads back: %s", e.msg);
    FUZZ_ASSERT(w.size == v.size && !memcmp(w.cps, v.cps, (size_t)v.size * 4), "vocab round trip");
    serce_vocab_free(&w);
    serce_buf_free(&j);
    int32_t *toks = NULL;
    size_t ntoks = 0, cap = 0;
    for (size_t i = 0; i < c->nsongs; i++) {
        size_t before = ntoks;
        FUZZ_ASSERT(serce_encode_song(&v, &c->songs[i], &toks, &ntoks, &cap) == SERCE_OK, "encode song %zu", i);
        FUZZ_ASSERT(toks[before] == SERCE_TOK_BOS && toks[ntoks - 1] == SERCE_TOK_EOS, "song %zu framed", i);
        /* min_count 1 and the same folding: every character has its token */
        for (size_t k = before; k < ntoks; k++)
            FUZZ_ASSERT(toks[k] > SERCE_TOK_UNK && toks[k] < v.size, "token %d in song %zu", toks[k], i);
    }
    serce_free(toks);
    serce_vocab_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    for (int lower = 0; lower <= 1; lower++) {
        serce_corpus autoc;
        serce_error e = {0};
        int rc_auto = serce_corpus_parse(s, size, "fuzz.txt", SERCE_CORPUS_AUTO, lower, &autoc, &e);
        fuzz_check_error(rc_auto, &e);
        if (rc_auto == SERCE_OK) {
            check_corpus(&autoc, SERCE_CORPUS_AUTO);
            check_vocab(&autoc, lower);
        }
        for (int fmt = SERCE_CORPUS_SONGS; fmt <= SERCE_CORPUS_PLAIN; fmt++) {
            serce_corpus c;
            int rc = serce_corpus_parse(s, size, "fuzz.txt", fmt, lower, &c, &e);
            fuzz_check_error(rc, &e);
            if (rc != SERCE_OK) {
                FUZZ_ASSERT(c.songs == NULL && c.nsongs == 0, "nothing kept on failure");
                continue;
            }
            check_corpus(&c, fmt);
            if (rc_auto == SERCE_OK && autoc.format == fmt)
                FUZZ_ASSERT(same_corpus(&autoc, &c), "auto-detection = parsing as format %d", fmt);
            serce_corpus_free(&c);
        }
        if (rc_auto == SERCE_OK) serce_corpus_free(&autoc);
    }
    return 0;
}
