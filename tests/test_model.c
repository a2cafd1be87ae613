/* test_model.c — the model file and the whole-model paths: save -> load round trip bit-exact,
 * PyTorch-named tensors, each model-level corruption (missing tensor, wrong shape, wrong dtype,
 * vocabulary mismatch, bad config JSON, NaN weights) rejected with its own message, and SQLite-style
 * allocation failure injection through load, a training step and sampling: every failure returns an
 * error, none crashes (run under ASan in CI to prove no leaks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "model.h"
#include "safetensors.h"
#include "sampler.h"
#include "testmodel.h"
#include "train.h"

static serce_model *tiny(void) {
    return test_model("# Bir\nay ışığı\nsen\n\n# İki\ngüneş ve ay\nben\n\n# Üç\nyıldız\nsöz\n", 5, 7, 2, 3);
}

/* rewrite one tensor's header entry or a metadata value by re-serialising with st_write */
static int rewrite(const serce_buf *src, const char *tensor, int dtype, int64_t d0, const char *meta_key,
                   const char *meta_val, int drop, serce_buf *out) {
    st_file f;
    serce_error e;
    if (st_parse(src->data, src->len, &f, &e)) return -1;
    st_tensor ts[64];
    const char *keys[16], *vals[16];
    int n = 0;
    for (int i = 0; i < f.ntensors; i++) {
        if (tensor && !strcmp(f.tensors[i].name, tensor)) {
            if (drop) continue;
            ts[n] = f.tensors[i];
            if (dtype >= 0) ts[n].dtype = dtype, ts[n].ndim = 1, ts[n].shape[0] = (int64_t)(ts[n].nbytes / st_dtype_size(dtype));
            if (d0 >= 0) ts[n].ndim = 2, ts[n].shape[0] = d0, ts[n].shape[1] = (int64_t)(ts[n].nbytes / 4 / (size_t)d0);
            n++;
        } else {
            ts[n++] = f.tensors[i];
        }
    }
    for (int i = 0; i < f.nmeta; i++) {
        keys[i] = f.meta_keys[i];
        vals[i] = (meta_key && !strcmp(keys[i], meta_key)) ? meta_val : f.meta_vals[i];
    }
    int rc = st_write(out, ts, n, keys, vals, f.nmeta, &e);
    st_free(&f);
    return rc;
}

static void expect_load_error(const serce_buf *b, int code, const char *phrase, const char *what) {
    serce_model *m = NULL;
    serce_error e = {0};
    int rc = serce_model_load(b->data, b->len, &m, &e);
    CHECK(rc == code, "%s: code %d (%s), want %d", what, rc, e.msg, code);
    CHECK(strstr(e.msg, phrase) != NULL, "%s: message '%s' lacks '%s'", what, e.msg, phrase);
    CHECK(m == NULL, "%s: no model on failure", what);
}

int main(void) {
    serce_model *m = tiny();
    CHECK(m != NULL, "tiny model");
    if (!m) return check_report("test_model");
    serce_error e;
    serce_buf b = {0};
    CHECK(serce_model_set_meta(m, "serce.training", "{\"corpus\":\"t\"}") == SERCE_OK, "set meta");
    CHECK(serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, &e) == SERCE_OK, "save: %s", e.msg);

    /* round trip */
    serce_model *m2 = NULL;
    CHECK(serce_model_load(b.data, b.len, &m2, &e) == SERCE_OK, "load: %s", e.msg);
    if (m2) {
        CHECK(m2->nparams == m->nparams && !memcmp(m2->w, m->w, m->nparams * 4), "weights bit-exact");
        CHECK(m2->vocab.size == m->vocab.size && !memcmp(m2->vocab.cps, m->vocab.cps, sizeof(uint32_t) * m->vocab.size),
              "vocabulary round trip");
        CHECK(m2->meta_training && !strcmp(m2->meta_training, "{\"corpus\":\"t\"}"), "training record kept");
        serce_buf b2 = {0};
        serce_model_save(m2, &b2, NULL, 0, NULL, NULL, 0, &e);
        CHECK(b2.len == b.len && !memcmp(b2.data, b.data, b.len), "save(load(x)) == x byte for byte");
        serce_buf_free(&b2);
        serce_model_free(m2);
    }
    st_file f;
    CHECK(st_parse(b.data, b.len, &f, &e) == SERCE_OK, "parse");
    CHECK(st_find(&f, "embedding.weight") && st_find(&f, "lstm.weight_ih_l1") && st_find(&f, "lstm.bias_hh_l0") &&
              st_find(&f, "head.weight") && st_find(&f, "head.bias"),
          "PyTorch tensor names");
    const st_tensor *wih = st_find(&f, "lstm.weight_ih_l0");
    CHECK(wih && wih->ndim == 2 && wih->shape[0] == 28 && wih->shape[1] == 5, "weight_ih_l0 is [4H, E]");
    CHECK(st_meta(&f, "serce.special") && strstr(st_meta(&f, "serce.special"), "\"bos\":1"), "special tokens named");
    st_free(&f);

    /* model-level corruptions */
    serce_buf x = {0};
    rewrite(&b, "head.bias", -1, -1, NULL, NULL, 1, &x);
    expect_load_error(&x, SERCE_ERR_SHAPE, "'head.bias' is missing", "missing tensor");
    x.len = 0;
    rewrite(&b, "lstm.weight_hh_l1", -1, 14, NULL, NULL, 0, &x);
    expect_load_error(&x, SERCE_ERR_SHAPE, "'lstm.weight_hh_l1' has shape [14, 14]; the config needs [28, 7]", "wrong shape");
    x.len = 0;
    rewrite(&b, "head.bias", ST_I32, -1, NULL, NULL, 0, &x);
    expect_load_error(&x, SERCE_ERR_DTYPE, "'head.bias' is I32", "wrong dtype");
    x.len = 0;
    rewrite(&b, NULL, -1, -1, "serce.config", "{\"vocab\":5,\"embed\":5,\"hidden\":7,\"layers\":2}", 0, &x);
    expect_load_error(&x, SERCE_ERR_VOCAB, "serce.vocab has", "vocabulary does not match the config");
    x.len = 0;
    rewrite(&b, NULL, -1, -1, "serce.config", "{\"vocab\":5,", 0, &x);
    expect_load_error(&x, SERCE_ERR_JSON, "serce.config", "config not JSON");
    x.len = 0;
    rewrite(&b, NULL, -1, -1, "serce.vocab", "[\"<unk>\",\"<s>\"", 0, &x);
    expect_load_error(&x, SERCE_ERR_JSON, "", "vocab not JSON");
    x.len = 0;
    rewrite(&b, NULL, -1, -1, "serce.format", "9", 0, &x);
    expect_load_error(&x, SERCE_ERR_FORMAT, "serce.format is '9'", "future format");
    x.len = 0;
    rewrite(&b, NULL, -1, -1, "serce.config", "{\"vocab\":21,\"embed\":5,\"hidden\":9999,\"layers\":2}", 0, &x);
    expect_load_error(&x, SERCE_ERR_LIMIT, "hidden size 9999", "absurd hidden size");
    serce_buf_free(&x);
    {   /* a NaN weight */
        serce_buf y = {0};
        float keep = m->w[3];
        m->w[3] = NAN;
        serce_model_save(m, &y, NULL, 0, NULL, NULL, 0, &e);
        m->w[3] = keep;
        expect_load_error(&y, SERCE_ERR_NUMERIC, "NaN", "NaN weight");
        serce_buf_free(&y);
    }
    /* every truncation fails cleanly */
    int all = 1;
    for (size_t n = 0; n < b.len; n += 1 + n / 16) {
        serce_model *t = NULL;
        if (serce_model_load(b.data, n, &t, &e) == SERCE_OK) all = 0, serce_model_free(t);
    }
    CHECK(all, "every truncated file is rejected");

    /* allocation failure injection: load, one training step, sampling */
    static const char corpus[] = "# Bir\nay ışığı\nsen\n\n# İki\ngüneş ve ay\nben\n\n# Üç\nyıldız\nsöz\n";
    int clean = 1, finished = 0;
    for (long k = 1; k < 5000 && !finished; k++) {
        serce_alloc_fail_at(k);
        serce_model *lm = NULL;
        serce_corpus c;
        serce_songs s;
        serce_trainer *t = NULL;
        serce_gen *g = NULL;
        serce_buf out = {0};
        int rc = serce_model_load(b.data, b.len, &lm, &e);
        int stage = 0;
        if (!rc) stage = 1, rc = serce_corpus_parse(corpus, sizeof corpus - 1, "t", 0, 0, &c, &e);
        if (!rc) {
            stage = 2;
            rc = serce_songs_encode(&lm->vocab, &c, NULL, 0, &s, &e);
            if (!rc) {
                serce_train_opts o;
                serce_train_opts_default(&o);
                o.batch = 2, o.seq_len = 4;
                rc = serce_trainer_new(lm, serce_kernels_ref(), &o, &s, &t, &e);
                if (!rc) rc = serce_trainer_step(t, 1e-3f, NULL, &e);
                serce_buf cb = {0};
                if (!rc) rc = serce_trainer_save(t, NULL, &cb, &e);
                serce_buf_free(&cb);
                serce_trainer_free(t);
                serce_songs_free(&s);
            }
            serce_corpus_free(&c);
        }
        if (!rc) {
            stage = 3;
            serce_gen_opts go;
            serce_gen_opts_default(&go);
            go.length = 20;
            rc = serce_gen_new(lm, NULL, &go, &g, &e);
            if (!rc) rc = serce_gen_start(g, "ay", 2, &e);
            int done = 0;
            while (!rc && !done) rc = serce_gen_step(g, 8, &out, &done, &e);
            serce_gen_free(g);
            serce_buf_free(&out);
        }
        serce_model_free(lm);
        long made = serce_alloc_count();
        serce_alloc_fail_at(0);
        if (rc == SERCE_OK) finished = 1;
        else if (rc != SERCE_ERR_NOMEM) {
            clean = 0;
            fprintf(stderr, "k=%ld stage %d: code %d (%s) instead of SERCE_ERR_NOMEM\n", k, stage, rc, e.msg);
        }
        (void)made;
    }
    CHECK(finished, "the loop reached a run with no failure");
    CHECK(clean, "every injected allocation failure returned SERCE_ERR_NOMEM");
    serce_buf_free(&b);
    serce_model_free(m);
    return check_report("test_model");
}
