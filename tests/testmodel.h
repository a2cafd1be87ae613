/* testmodel.h — a small untrained model built from a few lines of the tests' own text, for the C
 * tests that need a whole model (no file, no lyrics from ../shared). */
#ifndef SERCE_TESTMODEL_H
#define SERCE_TESTMODEL_H
#include <string.h>

#include "model.h"
#include "text.h"

/* Vocabulary from `corpus` (songs format), shape E / L x H, weights initialised with `seed`; NULL on
 * any failure. */
static inline serce_model *test_model(const char *corpus, int E, int H, int L, uint64_t seed) {
    serce_corpus c;
    serce_vocab v;
    serce_error e;
    serce_model *m = NULL;
    if (serce_corpus_parse(corpus, strlen(corpus), "t", SERCE_CORPUS_AUTO, 0, &c, &e)) return NULL;
    if (serce_vocab_build(&c, 1, 0, &v, &e) == SERCE_OK) {
        serce_config cfg = {v.size, E, H, L, 0};
        if (serce_model_new(&cfg, &v, &m, &e) == SERCE_OK) serce_model_init(m, seed);
        serce_vocab_free(&v);
    }
    serce_corpus_free(&c);
    return m;
}
#endif
