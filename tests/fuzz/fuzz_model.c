/* fuzz_model.c — the model reader (serce_model_load) on arbitrary bytes. A file it accepts must be
 * usable: a few inference steps (reference kernels) and a short generation run, and it must survive
 * save -> load -> save with identical weights, vocabulary and bytes. A checkpoint (serce.checkpoint
 * metadata) is also restored into a trainer built with the settings it names, as `serce train
 * --resume` does, and trained one step. */
#include "fuzz.h"
#include "json.h"
#include "model.h"
#include "sampler.h"
#include "train.h"

/* --resume: a trainer with the checkpoint's own batch, seq_len, seed and shards over a token stream of
 * its ntoks tokens (small ones only), then serce_trainer_restore and one step */
static void try_resume(serce_model *m, const uint8_t *data, size_t size) {
    st_file f;
    serce_error e = {0};
    if (st_parse(data, size, &f, &e) != SERCE_OK) return;
    const char *cj = st_meta(&f, "serce.checkpoint");
    sj_doc d;
    long long batch = 0, seq_len = 0, ntoks = 0, shards = 1;
    const char *seed = NULL;
    int ok = cj && sj_parse(cj, strlen(cj), "serce.checkpoint", &d, &e) == SERCE_OK;
    if (ok) {
        ok = !sj_get_int(&d, 0, "batch", &batch) && !sj_get_int(&d, 0, "seq_len", &seq_len) &&
             !sj_get_int(&d, 0, "ntoks", &ntoks);
        sj_get_int(&d, 0, "shards", &shards);
        seed = sj_get_str(&d, 0, "seed");
        ok = ok && seed && batch >= 1 && batch <= 8 && seq_len >= 1 && seq_len <= 64 && ntoks >= 2 * batch &&
             ntoks <= 4096 && shards >= 1 && shards <= batch;
        serce_train_opts o;
        serce_train_opts_default(&o);
        if (ok) {
            o.batch = (int)batch, o.seq_len = (int)seq_len, o.shards = (int)shards, o.threads = 1;
            o.seed = strtoull(seed, NULL, 16);
        }
        /* one song of ntoks tokens: <s> characters </s> */
        serce_songs songs = {0};
        size_t starts[2] = {0, (size_t)ntoks};
        int32_t *toks = ok ? malloc((size_t)ntoks * sizeof *toks) : NULL;
        if (toks) {
            for (long long i = 0; i < ntoks; i++) toks[i] = SERCE_NSPECIAL + (int)(i % (m->cfg.vocab - SERCE_NSPECIAL));
            toks[0] = SERCE_TOK_BOS, toks[ntoks - 1] = SERCE_TOK_EOS;
            songs.toks = toks, songs.ntoks = (size_t)ntoks, songs.starts = starts, songs.nsongs = 1;
            serce_trainer *t = NULL;
            int rc = serce_trainer_new(m, serce_kernels_ref(), &o, &songs, &t, &e);
            fuzz_check_error(rc, &e);
            if (rc == SERCE_OK) {
                char *extra = NULL;
                rc = serce_trainer_restore(t, data, size, &extra, &e);
                fuzz_check_error(rc, &e);
                if (rc == SERCE_OK) {
                    rc = serce_trainer_step(t, 1e-3f, NULL, &e);
                    fuzz_check_error(rc, &e);
                    serce_buf ck = {0};
                    rc = serce_trainer_save(t, extra, &ck, &e);
                    FUZZ_ASSERT(rc == SERCE_OK, "a restored trainer saves its checkpoint: %s", e.msg);
                    serce_buf_free(&ck);
                }
                serce_free(extra);
                serce_trainer_free(t);
            }
            free(toks);
        }
        sj_free(&d);
    }
    st_free(&f);
}

static void check_same_model(const serce_model *a, const serce_model *b) {
    FUZZ_ASSERT(!memcmp(&a->cfg, &b->cfg, sizeof a->cfg), "config round trip");
    FUZZ_ASSERT(a->nparams == b->nparams && !memcmp(a->w, b->w, a->nparams * sizeof(float)), "weights round trip");
    FUZZ_ASSERT(a->vocab.size == b->vocab.size && a->vocab.lowercase == b->vocab.lowercase &&
                    !memcmp(a->vocab.cps, b->vocab.cps, (size_t)a->vocab.size * sizeof(uint32_t)),
                "vocabulary round trip");
    FUZZ_ASSERT((a->meta_training == NULL) == (b->meta_training == NULL) &&
                    (!a->meta_training || !strcmp(a->meta_training, b->meta_training)),
                "training record round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    serce_model *m = NULL;
    serce_error e = {0};
    int rc = serce_model_load(data, size, &m, &e);
    fuzz_check_error(rc, &e);
    if (rc != SERCE_OK) {
        FUZZ_ASSERT(m == NULL, "no model on failure");
        return 0;
    }
    FUZZ_ASSERT(m->cfg.vocab == m->vocab.size && m->nparams == serce_param_total(&m->cfg), "loaded model consistent");

    /* inference: <s>, then tokens taken from the input bytes (any id, out of range included) */
    serce_infer *inf = NULL;
    rc = serce_infer_new(m, serce_kernels_ref(), &inf, &e);
    fuzz_check_error(rc, &e);
    if (rc == SERCE_OK) {
        serce_infer_step(inf, SERCE_TOK_BOS);
        for (size_t i = 0; i < 6 && i < size; i++) serce_infer_step(inf, (int)data[size - 1 - i] - 8);
        (void)serce_infer_logits(inf)[m->cfg.vocab - 1];
        serce_infer_free(inf);
    }
    /* a short generation: the sampler must cope with whatever logits the weights give */
    serce_gen_opts go;
    serce_gen_opts_default(&go);
    go.length = 12;
    go.songs = 0;
    go.top_k = size % 3 == 0 ? 3 : 0;
    serce_gen *g = NULL;
    rc = serce_gen_new(m, serce_kernels_ref(), &go, &g, &e);
    fuzz_check_error(rc, &e);
    if (rc == SERCE_OK) {
        serce_buf out = {0};
        int done = 0;
        rc = serce_gen_start(g, "", 0, &e);
        fuzz_check_error(rc, &e);
        while (rc == SERCE_OK && !done) {
            rc = serce_gen_step(g, 5, &out, &done, &e);
            fuzz_check_error(rc, &e);
        }
        if (out.len) FUZZ_ASSERT(serce_utf8_validate((const char *)out.data, out.len, "out", NULL) == SERCE_OK, "generated UTF-8");
        serce_buf_free(&out);
        serce_gen_free(g);
    }

    /* save -> load -> save */
    serce_buf b1 = {0}, b2 = {0};
    rc = serce_model_save(m, &b1, NULL, 0, NULL, NULL, 0, &e);
    FUZZ_ASSERT(rc == SERCE_OK, "a loaded model saves: %s", e.msg);
    serce_model *m2 = NULL;
    rc = serce_model_load(b1.data, b1.len, &m2, &e);
    FUZZ_ASSERT(rc == SERCE_OK, "a saved model loads: %s", e.msg);
    check_same_model(m, m2);
    rc = serce_model_save(m2, &b2, NULL, 0, NULL, NULL, 0, &e);
    FUZZ_ASSERT(rc == SERCE_OK && b1.len == b2.len && !memcmp(b1.data, b2.data, b1.len), "save(load(save(m))) == save(m)");
    serce_model_free(m2);
    serce_buf_free(&b1);
    serce_buf_free(&b2);

    try_resume(m, data, size);
    serce_model_free(m);
    return 0;
}
