/* test_int8.c — int8 weights: the int8 matvec variants equal the reference bit for bit on awkward
 * sizes; quantise -> save -> load keeps every int8 value and scale; the file is under 30 % of the
 * float one; generation with int8 weights stays close to float and is identical across kernels. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "model.h"
#include "rng.h"

static serce_model *make(int V, int E, int H, int L) {
    serce_vocab v = {0};
    v.size = V;
    v.cps = calloc((size_t)V, sizeof(uint32_t));
    for (int i = SERCE_NSPECIAL; i < V; i++) v.cps[i] = 'a' + (uint32_t)i;
    serce_config c = {V, E, H, L, 0};
    serce_model *m = NULL;
    serce_error e;
    serce_model_new(&c, &v, &m, &e);
    free(v.cps);
    if (m) serce_model_init(m, 11);
    return m;
}

int main(void) {
    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    int sizes[] = {1, 3, 17, 63, 257};
    uint64_t r = serce_rng_seed(5);
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            int rows = sizes[a], kpad = serce_pad16(sizes[b]);
            signed char *q = malloc((size_t)rows * kpad);
            float *sc = malloc(sizeof(float) * rows), *x = malloc(sizeof(float) * kpad);
            float *y0 = malloc(sizeof(float) * rows), *y1 = malloc(sizeof(float) * rows);
            for (int i = 0; i < rows * kpad; i++) q[i] = (signed char)((int)serce_rng_below(&r, 255) - 127);
            for (int i = 0; i < rows; i++) sc[i] = serce_rng_uniform(&r) * 0.01f;
            for (int i = 0; i < kpad; i++) x[i] = serce_rng_uniform(&r) * 2 - 1;
            serce_matvec_q8_ref(q, sc, rows, kpad, x, y0);
            for (int k = 0; k < nk; k++) {
                ks[k]->matvec_q8(q, sc, rows, kpad, x, y1);
                CHECK(!memcmp(y0, y1, sizeof(float) * rows), "q8 matvec %s differs from ref at %dx%d", ks[k]->matvec_name,
                      rows, kpad);
            }
            free(q), free(sc), free(x), free(y0), free(y1);
        }

    serce_model *m = make(40, 16, 96, 2), *f = make(40, 16, 96, 2);
    serce_error e;
    serce_buf fb = {0}, qb = {0};
    CHECK(m && f, "models");
    serce_model_save(f, &fb, NULL, 0, NULL, NULL, 0, &e);
    CHECK(serce_model_quantize(m, &e) == SERCE_OK, "quantise: %s", e.msg);
    CHECK(serce_model_is_int8(m) && !serce_model_is_int8(f), "int8 flag");
    CHECK(serce_model_save(m, &qb, NULL, 0, NULL, NULL, 0, &e) == SERCE_OK, "save int8: %s", e.msg);
    CHECK(qb.len * 10 < fb.len * 3, "int8 file %zu bytes is under 30%% of float %zu", qb.len, fb.len);
    serce_model *l = NULL;
    CHECK(serce_model_load(qb.data, qb.len, &l, &e) == SERCE_OK, "load int8: %s", e.msg);
    if (l) {
        int same = 1;
        for (int i = 0; i < SERCE_MAX_TENSORS; i++) {
            if (!m->q[i] != !l->q[i]) same = 0;
            if (m->q[i] && l->q[i]) {
                serce_tensor_info t[SERCE_MAX_TENSORS];
                serce_param_table(&m->cfg, t);
                same &= !memcmp(m->q[i], l->q[i], t[i].numel) && !memcmp(m->qscale[i], l->qscale[i], 4 * t[i].shape[0]);
            }
        }
        CHECK(same, "int8 values and scales survive save/load");
        CHECK(!memcmp(m->w, l->w, m->nparams * 4), "dequantised weights identical after load");
        /* generation: int8 close to float; best kernels equal ref bit for bit */
        serce_infer *si, *sr, *sf;
        serce_infer_new(l, NULL, &si, &e);
        serce_infer_new(l, serce_kernels_ref(), &sr, &e);
        serce_infer_new(f, NULL, &sf, &e);
        float maxd = 0, maxv = 0;
        int ident = 1;
        for (int t = 0; t < 40; t++) {
            int tok = SERCE_NSPECIAL + t % 30;
            serce_infer_step(si, tok), serce_infer_step(sr, tok), serce_infer_step(sf, tok);
            const float *a = serce_infer_logits(si), *b = serce_infer_logits(sr), *c = serce_infer_logits(sf);
            ident &= !memcmp(a, b, 40 * sizeof(float));
            for (int v = 0; v < 40; v++) {
                float d = a[v] - c[v];
                maxd = d > maxd ? d : -d > maxd ? -d : maxd;
                maxv = c[v] > maxv ? c[v] : -c[v] > maxv ? -c[v] : maxv;
            }
        }
        CHECK(ident, "int8 generation identical with best and reference kernels");
        CHECK(maxd < 0.02f * maxv, "int8 logits within 2%% of float: max diff %g, max logit %g", maxd, maxv);
        serce_infer_free(si), serce_infer_free(sr), serce_infer_free(sf);
        serce_model_free(l);
    }
    serce_buf_free(&fb), serce_buf_free(&qb);
    serce_model_free(m), serce_model_free(f);
    return check_report("test_int8");
}
