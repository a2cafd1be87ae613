/* export_int8.c — `serce export --int8`: quantise, then measure what it costs.
 * The held-out songs are the training run's own validation split (same fraction, same hash split),
 * so the figure printed is the int8 model's val bpc against the float model's on songs neither saw. */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "json.h"

int cli_export_int8(serce_model *m, const char *corpus_path, serce_error *e) {
    serce_corpus c;
    memset(&c, 0, sizeof c);
    serce_songs va;
    memset(&va, 0, sizeof va);
    size_t *tri = NULL, *vai = NULL, ntr = 0, nva = 0;
    double before = NAN, after = NAN, frac = 0.1;
    long cnt;
    int rc = SERCE_OK;
    if (corpus_path) {
        if (m->meta_training) { /* the fraction the model was trained with */
            sj_doc d;
            serce_error je;
            if (sj_parse(m->meta_training, strlen(m->meta_training), "serce.training", &d, &je) == SERCE_OK) {
                int o = sj_get(&d, 0, "opts");
                double v;
                if (o >= 0 && sj_get_num(&d, o, "val_fraction", &v) == 0 && v > 0 && v < 1) frac = v;
                sj_free(&d);
            }
        }
        if (cli_load_corpus(corpus_path, SERCE_CORPUS_AUTO, m->cfg.lowercase, &c))
            return serce_fail(e, SERCE_ERR_CORPUS, "export: the corpus could not be read");
        rc = serce_split_songs(&c, frac, &tri, &ntr, &vai, &nva, e);
        if (!rc) rc = serce_songs_encode(&m->vocab, &c, vai, nva, &va, e);
        if (!rc) rc = serce_evaluate(m, serce_kernels_best(), &va, 32, 128, &before, &cnt, e);
    }
    if (!rc) rc = serce_model_quantize(m, e);
    if (!rc && corpus_path) rc = serce_evaluate(m, serce_kernels_best(), &va, 32, 128, &after, &cnt, e);
    if (!rc && corpus_path) {
        double b = before / log(2.0), a = after / log(2.0);
        fprintf(stderr, "serce: int8 check on %zu held-out songs: float32 %.4f bpc, int8 %.4f bpc (%+.4f)%s\n", nva, b,
                a, a - b, a - b > 0.02 ? "  — more than the 0.02 budget" : "");
    } else if (!rc) {
        fprintf(stderr, "serce: int8: give --corpus CORPUS to measure the held-out bpc before and after\n");
    }
    serce_songs_free(&va);
    serce_free(tri);
    serce_free(vai);
    serce_corpus_free(&c);
    return rc;
}
