/* test_reference.c — the model against PyTorch: tests/data/reference/lstm_small.safetensors, written by
 * tests/reference/make_fixtures.py (nn.Embedding + nn.LSTM(num_layers=2) + nn.Linear, V=11 E=6 H=9,
 * T=5 B=3, nonzero initial state, two targets of -1; reference values computed in float64).
 *
 * The fixture loads with serce_model_load (PyTorch's state_dict names are the model file's names);
 * its ref.* and grad.* tensors are read with st_parse. With every kernel variant, serce_forward_backward
 * must reproduce PyTorch's logits, mean loss, final state (h_T, c_T) and the gradient of every
 * parameter tensor to 1e-4 relative per element (floor: 1e-2 x the tensor's largest |value|, so an
 * entry that nearly cancels is compared at its tensor's scale); the maximum error of each is printed.
 * The batch-1 inference step (serce_infer, canonical-order matvec) must reproduce each stream's
 * logits too, started from that stream's initial state. Saving the loaded model must give back
 * PyTorch's tensors bit for bit. */
#include "check.h"
#include "fileio.h"
#include "kernels.h"
#include "model.h"
#include "safetensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef SERCE_TEST_DIR
#define SERCE_TEST_DIR "."
#endif
#define FIXTURE SERCE_TEST_DIR "/data/reference/lstm_small.safetensors"

#define TOL 1e-4
#define FLOOR_REL 1e-2 /* x the tensor's largest |value|: an entry 100x below its tensor's scale is compared in \
                          absolute terms, to 1e-6 of that scale (~16 float ulps; the partial sums of a      \
                          gradient are at that scale, so its rounding is too) */

static double worst_all;

/* a tensor of the fixture as floats (copied: st_parse's data is not aligned) */
static float *get_f32(const st_file *f, const char *name, size_t want) {
    const st_tensor *t = st_find(f, name);
    CHECK(t != NULL, "fixture lacks tensor '%s'", name);
    if (!t) return NULL;
    CHECK(t->dtype == ST_F32 && t->nbytes == want * sizeof(float), "'%s': %s, %zu bytes; expected F32 with %zu values",
          name, st_dtype_name(t->dtype), t->nbytes, want);
    if (t->dtype != ST_F32 || t->nbytes != want * sizeof(float)) return NULL;
    float *p = malloc(t->nbytes);
    memcpy(p, t->data, t->nbytes);
    return p;
}

static int32_t *get_i32(const st_file *f, const char *name, size_t want) {
    const st_tensor *t = st_find(f, name);
    CHECK(t != NULL && t->dtype == ST_I32 && t->nbytes == want * sizeof(int32_t), "fixture tensor '%s': I32 with %zu values",
          name, want);
    if (!t || t->dtype != ST_I32 || t->nbytes != want * sizeof(int32_t)) return NULL;
    int32_t *p = malloc(t->nbytes);
    memcpy(p, t->data, t->nbytes);
    return p;
}

/* max over i of |got - want| / max(|got|, |want|, FLOOR_REL * max|want|); checked against TOL */
static double compare(const char *what, const char *kname, const float *got, const float *want, size_t n) {
    double scale = 0, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double e = check_relerr(got[i], want[i], FLOOR_REL * scale);
        if (e > worst || e != e) worst = e != e ? INFINITY : e, at = i;
    }
    printf("  %-24s %5zu values, max rel err %.2e", what, n, worst);
    if (worst > 0) printf(" (at %zu: %.8g vs PyTorch %.8g)", at, got[at], want[at]);
    printf("\n");
    CHECK(worst <= TOL, "%s (%s): max rel err %.3g vs PyTorch at %zu (%.8g vs %.8g)", what, kname, worst, at, got[at],
          want[at]);
    worst_all = fmax(worst_all, worst);
    return worst;
}

int main(void) {
    serce_error err = {0, {0}};
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = serce_read_file(FIXTURE, 1 << 20, &buf, &n, &err);
    CHECK(rc == SERCE_OK, "read %s: %s (regenerate with /usr/bin/python3 tests/reference/make_fixtures.py)", FIXTURE,
          err.msg);
    if (rc) return check_report("test_reference");
    serce_model *m = NULL;
    rc = serce_model_load(buf, n, &m, &err);
    CHECK(rc == SERCE_OK, "serce_model_load(fixture): %s", err.msg);
    st_file f;
    int rc2 = st_parse(buf, n, &f, &err);
    CHECK(rc2 == SERCE_OK, "st_parse(fixture): %s", err.msg);
    if (rc || rc2) {
        if (!rc) serce_model_free(m);
        serce_free(buf);
        return check_report("test_reference");
    }
    const serce_config *c = &m->cfg;
    const int V = c->vocab, H = c->hidden, L = c->layers;
    CHECK(V == 11 && c->embed == 6 && H == 9 && L == 2, "config V=%d E=%d H=%d L=%d", V, c->embed, H, L);
    const st_tensor *ti = st_find(&f, "ref.inputs");
    CHECK(ti && ti->ndim == 2, "ref.inputs [T,B]");
    if (!ti || ti->ndim != 2) return check_report("test_reference");
    const int T = (int)ti->shape[0], B = (int)ti->shape[1];
    printf("fixture: V=%d E=%d H=%d L=%d, T=%d B=%d, %zu parameters\n", V, c->embed, H, L, T, B, m->nparams);

    int32_t *in = get_i32(&f, "ref.inputs", (size_t)T * B), *tg = get_i32(&f, "ref.targets", (size_t)T * B);
    size_t ns = (size_t)L * B * H;
    float *h0 = get_f32(&f, "ref.h0", ns), *c0 = get_f32(&f, "ref.c0", ns);
    float *hT = get_f32(&f, "ref.hT", ns), *cT = get_f32(&f, "ref.cT", ns);
    float *zref = get_f32(&f, "ref.logits", (size_t)T * B * V), *lref = get_f32(&f, "ref.loss", 1);
    if (!in || !tg || !h0 || !c0 || !hT || !cT || !zref || !lref) return check_report("test_reference");
    long scored = 0;
    for (int i = 0; i < T * B; i++) {
        scored += tg[i] >= 0;
        CHECK(in[i] != SERCE_TOK_BOS, "the fixture's inputs must not hold <s> (nn.LSTM does not reset)");
    }

    /* the parameter tensors: names, shapes and order are PyTorch's; saving gives them back bit for bit */
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int nt = serce_param_table(c, t);
    CHECK(nt == 3 + 4 * L, "tensor count %d", nt);
    for (int i = 0; i < nt; i++) {
        const st_tensor *s = st_find(&f, t[i].name);
        CHECK(s && s->nbytes == t[i].numel * sizeof(float) && memcmp(s->data, m->w + t[i].offset, s->nbytes) == 0,
              "'%s' loaded as PyTorch wrote it", t[i].name);
    }
    serce_buf saved = {0};
    rc = serce_model_save(m, &saved, NULL, 0, NULL, NULL, 0, &err);
    CHECK(rc == SERCE_OK, "save: %s", err.msg);
    st_file f2;
    if (!rc && st_parse(saved.data, saved.len, &f2, &err) == SERCE_OK) {
        for (int i = 0; i < nt; i++) {
            const st_tensor *a = st_find(&f, t[i].name), *b = st_find(&f2, t[i].name);
            CHECK(a && b && a->nbytes == b->nbytes && a->ndim == b->ndim && a->shape[0] == b->shape[0] &&
                      (a->ndim == 1 || a->shape[1] == b->shape[1]) && memcmp(a->data, b->data, a->nbytes) == 0,
                  "saved '%s' differs from PyTorch's", t[i].name);
        }
        CHECK(f2.ntensors == nt, "a saved model holds only its %d parameter tensors, not %d", nt, f2.ntensors);
        st_free(&f2);
    }
    serce_buf_free(&saved);

    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    float *g = malloc(m->nparams * sizeof(float)), *h = malloc(ns * sizeof(float)), *cc = malloc(ns * sizeof(float));
    for (int ki = 0; ki < nk; ki++) {
        const serce_kernels *k = ks[ki];
        char kname[64];
        snprintf(kname, sizeof kname, "%s/%s", k->gemm_name, k->matvec_name);
        printf("kernels %s:\n", kname);
        serce_fb *ws = NULL;
        rc = serce_fb_new(c, B, T, &ws, &err);
        CHECK(rc == SERCE_OK, "workspace: %s", err.msg);
        if (rc) continue;
        /* forward only: the logits, the loss and the final state */
        double ls = 0;
        long cnt = 0;
        memcpy(h, h0, ns * sizeof(float));
        memcpy(cc, c0, ns * sizeof(float));
        rc = serce_forward_backward(m, k, ws, T, in, tg, h, cc, 0.0f, NULL, NULL, &ls, &cnt);
        CHECK(rc == SERCE_OK && cnt == scored, "forward: rc %d, %ld scored of %ld", rc, cnt, scored);
        compare("logits", kname, serce_fb_logits(ws), zref, (size_t)T * B * V);
        float loss = cnt ? (float)(ls / (double)cnt) : 0.0f;
        compare("loss (mean)", kname, &loss, lref, 1);
        compare("h_T", kname, h, hT, ns);
        compare("c_T", kname, cc, cT, ns);
        /* forward and backward: every gradient */
        memset(g, 0, m->nparams * sizeof(float));
        memcpy(h, h0, ns * sizeof(float));
        memcpy(cc, c0, ns * sizeof(float));
        double ls2 = 0;
        rc = serce_forward_backward(m, k, ws, T, in, tg, h, cc, 0.0f, NULL, g, &ls2, &cnt);
        CHECK(rc == SERCE_OK && ls2 == ls, "forward/backward: rc %d, loss %.9g vs forward-only %.9g", rc, ls2, ls);
        for (int i = 0; i < nt; i++) {
            char gname[48];
            snprintf(gname, sizeof gname, "grad.%.31s", t[i].name);
            float *gr = get_f32(&f, gname, t[i].numel);
            if (!gr) continue;
            compare(gname, kname, g + t[i].offset, gr, t[i].numel);
            free(gr);
        }
        serce_fb_free(ws);

        /* the inference step, stream by stream, from the stream's initial state */
        serce_infer *s = NULL;
        rc = serce_infer_new(m, k, &s, &err);
        CHECK(rc == SERCE_OK, "infer: %s", err.msg);
        if (rc) continue;
        float *st = malloc(serce_infer_state_size(s) * sizeof(float));
        float *zi = malloc((size_t)T * B * V * sizeof(float));
        float *sT = malloc(ns * 2 * sizeof(float)), *sTref = malloc(ns * 2 * sizeof(float));
        for (int b = 0; b < B; b++) {
            for (int l = 0; l < L; l++) { /* [2,L,H]: h then c */
                memcpy(st + (size_t)l * H, h0 + ((size_t)l * B + b) * H, H * sizeof(float));
                memcpy(st + (size_t)(L + l) * H, c0 + ((size_t)l * B + b) * H, H * sizeof(float));
            }
            serce_infer_set_state(s, st);
            for (int tt = 0; tt < T; tt++) {
                serce_infer_step(s, in[tt * B + b]);
                memcpy(zi + ((size_t)tt * B + b) * V, serce_infer_logits(s), V * sizeof(float));
            }
            serce_infer_get_state(s, st);
            for (int l = 0; l < L; l++) {
                memcpy(sT + ((size_t)l * B + b) * H, st + (size_t)l * H, H * sizeof(float));
                memcpy(sT + ns + ((size_t)l * B + b) * H, st + (size_t)(L + l) * H, H * sizeof(float));
            }
        }
        memcpy(sTref, hT, ns * sizeof(float));
        memcpy(sTref + ns, cT, ns * sizeof(float));
        compare("infer: logits", kname, zi, zref, (size_t)T * B * V);
        compare("infer: h_T, c_T", kname, sT, sTref, 2 * ns);
        free(st);
        free(zi);
        free(sT);
        free(sTref);
        serce_infer_free(s);
    }
    printf("max rel err vs PyTorch over everything: %.2e (limit %g)\n", worst_all, TOL);
    free(g);
    free(h);
    free(cc);
    free(in);
    free(tg);
    free(h0);
    free(c0);
    free(hT);
    free(cT);
    free(zref);
    free(lref);
    st_free(&f);
    serce_model_free(m);
    serce_free(buf);
    return check_report("test_reference");
}
