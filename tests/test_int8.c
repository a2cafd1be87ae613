/* test_int8.c — int8 weights and the integer generation step.
 *
 *  - serce_quantize_unit: floor(x * 127 + 0.5) clamped to [-127, 127] on chosen and random values
 *    (both rounding edges, beyond +-1, infinities, NaN -> 0), and it leaves the padding alone;
 *  - matvec_q8: every variant equals serce_matvec_q8_ref BIT FOR BIT on awkward sizes (rows 1, 3,
 *    4, 5, 17, 63, 257 x real columns 1 .. 300), at unaligned addresses, with the extreme values
 *    (-128 and 127 weights times -127 / 127 inputs, kpad 4096); the reference itself equals an
 *    independent int64 sum followed by ((float)acc * scale) * (1.0f / 127.0f);
 *  - quantise -> save -> load keeps every int8 value and scale; the file is under 30 % of the float one;
 *  - serce_infer_step on an int8 model equals, bit for bit, an independent step written here from the
 *    specification (quantised state, integer sums, the float cell), with the reference and the best
 *    kernels; its logits stay within 2 % of the float model's;
 *  - serce_evaluate on an int8 model scores what generation computes: it equals the step-by-step
 *    negative log-likelihood of every song computed here from serce_infer_step.
 * Also built for WebAssembly with SIMD128 (CTest web_wasm_test_int8), there without the trained model
 * (no file system, and training with the reference gemm is slow): the kernels and the step's bits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#if !defined(__EMSCRIPTEN__)
#include "fileio.h"
#endif
#include "kernels.h"
#include "mathf.h"
#include "model.h"
#include "rng.h"
#include "text.h"
#include "train.h"

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

/* ---------------------------------------------------------------- quantising the state */

static int16_t quant1(float x) {
    int16_t q = -999;
    serce_quantize_unit(&x, 1, &q);
    return q;
}

static void test_quantize(void) {
    static const struct {
        float x;
        int q;
    } cases[] = {{0.0f, 0},        {-0.0f, 0},        {1.0f, 127},      {-1.0f, -127},   {0.999f, 127},
                 {2.5f, 127},      {-2.5f, -127},     {1e30f, 127},     {-1e30f, -127},  {0.6f / 127.0f, 1},
                 {-0.6f / 127.0f, -1}, {0.4f / 127.0f, 0}, {-0.4f / 127.0f, 0}, {63.6f / 127.0f, 64}, {-63.4f / 127.0f, -63},
                 {0.5f, 64} /* 63.5 exactly: half up */, {-0.5f, -63}, {0.25f, 32} /* 31.75 */, {-0.25f, -32},
                 {1e-30f, 0},      {-1e-30f, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(quant1(cases[i].x) == cases[i].q, "quantize(%.9g) = %d, want %d", cases[i].x, quant1(cases[i].x), cases[i].q);
    CHECK(quant1(INFINITY) == 127 && quant1(-INFINITY) == -127, "infinities clamp");
    CHECK(quant1(NAN) == 0, "NaN -> 0");
    /* random values: the specified float operations, and never further than half a step (plus the
     * rounding of x * 127) from x * 127 */
    uint64_t r = serce_rng_seed(9);
    enum { N = 5000 };
    float *x = malloc(sizeof(float) * N);
    int16_t *q = malloc(sizeof(int16_t) * (N + 8));
    for (int i = 0; i < N; i++) x[i] = (serce_rng_uniform(&r) * 2 - 1) * (i % 10 == 0 ? 1.5f : 1.0f);
    for (int i = 0; i < N + 8; i++) q[i] = 1234;
    serce_quantize_unit(x, N, q);
    int bad = 0, far = 0;
    for (int i = 0; i < N; i++) {
        float f = floorf(x[i] * 127.0f + 0.5f);
        int want = f > 127.0f ? 127 : f < -127.0f ? -127 : (int)f;
        bad += q[i] != want;
        double d = (double)x[i] * 127.0;
        if (d >= -127.0 && d <= 127.0) far += fabs(q[i] - d) > 0.5 + 1e-5;
    }
    CHECK(bad == 0, "%d of %d quantised values differ from floor(x * 127 + 0.5) clamped", bad, N);
    CHECK(far == 0, "%d quantised values more than half a step from x * 127", far);
    int pad = 1;
    for (int i = N; i < N + 8; i++) pad &= q[i] == 1234;
    CHECK(pad, "serce_quantize_unit writes past n");
    free(x), free(q);
}

/* ---------------------------------------------------------------- the int8 matvec */

/* the specification, independently: int64 sum, then the two float multiplications */
static void q8_oracle(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq, float *y) {
    for (int r = 0; r < rows; r++) {
        int64_t acc = 0;
        for (int k = 0; k < kpad; k++) acc += (int64_t)Q[(size_t)r * kpad + k] * (int64_t)xq[k];
        float a = (float)acc;
        a = a * scale[r];
        y[r] = a * (1.0f / 127.0f);
    }
}

static long q8_cases, q8_mismatch;

/* rows x kpad (real columns cols, zero padding); mode 0 random, 1 extreme (-128 / 127 weights,
 * +-127 inputs), 2 random but every pointer misaligned */
static void q8_case(const serce_kernels **ks, int nk, uint64_t *rng, int rows, int cols, int mode) {
    int kpad = serce_pad16(cols), off = mode == 2 ? 1 : 0;
    signed char *qb = calloc((size_t)rows * kpad + 16, 1);
    float *scb = calloc((size_t)rows + 4, sizeof(float)), *y0 = malloc(sizeof(float) * rows), *yo = malloc(sizeof(float) * rows);
    float *yb = malloc(sizeof(float) * (rows + 4));
    int16_t *xb = calloc((size_t)kpad + 8, sizeof(int16_t));
    signed char *q = qb + off;
    float *sc = scb + off, *y1 = yb + off;
    int16_t *xq = xb + off;
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < kpad; k++) {
            int v = mode == 1 ? ((r + k / 3) % 2 ? 127 : -128) : (int)serce_rng_below(rng, 256) - 128;
            q[(size_t)r * kpad + k] = (signed char)(k < cols ? v : 0);
        }
    for (int r = 0; r < rows; r++) sc[r] = serce_rng_uniform(rng) * 0.02f + (r % 5 == 0 ? 0.0f : 1e-4f);
    for (int k = 0; k < kpad; k++) {
        int v = mode == 1 ? (k % 2 ? 127 : -127) : (int)serce_rng_below(rng, 255) - 127;
        xq[k] = (int16_t)(k < cols ? v : 0);
    }
    serce_matvec_q8_ref(q, sc, rows, kpad, xq, y0);
    q8_oracle(q, sc, rows, kpad, xq, yo);
    CHECK(!memcmp(y0, yo, sizeof(float) * rows), "serce_matvec_q8_ref %dx%d (mode %d) differs from the specification",
          rows, kpad, mode);
    for (int k = 0; k < nk; k++) {
        for (int r = 0; r < rows + 3 - off; r++) yb[r] = -7.0f; /* sentinel around y */
        ks[k]->matvec_q8(q, sc, rows, kpad, xq, y1);
        int same = !memcmp(y0, y1, sizeof(float) * rows);
        q8_mismatch += !same;
        CHECK(same, "q8 matvec %s differs from ref at %dx%d (mode %d)", ks[k]->matvec_q8_name, rows, kpad, mode);
        CHECK(yb[rows + off] == -7.0f && (off == 0 || yb[0] == -7.0f), "q8 matvec %s writes outside y (%dx%d)",
              ks[k]->matvec_q8_name, rows, kpad);
        q8_cases++;
    }
    free(qb), free(scb), free(y0), free(yo), free(yb), free(xb);
}

static void test_q8_kernels(void) {
    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    static const int rows[] = {1, 3, 4, 5, 17, 63, 257};
    static const int cols[] = {1, 3, 16, 17, 63, 257, 300};
    uint64_t r = serce_rng_seed(5);
    for (int a = 0; a < 7; a++)
        for (int b = 0; b < 7; b++)
            for (int mode = 0; mode < 3; mode++) q8_case(ks, nk, &r, rows[a], cols[b], mode);
    q8_case(ks, nk, &r, 9, 4096, 1); /* the largest input: the sums' extreme */
    q8_case(ks, nk, &r, 9, 4096, 0);
    printf("matvec_q8: %ld kernel cases over %d variants, %ld not bit-identical to ref\n", q8_cases, nk, q8_mismatch);
}

/* ---------------------------------------------------------------- the int8 step, independently */

/* canonical 16-lane float order (kernels.h) over kpad = pad16(n) with zero padding */
static float dot_canonical_q8f(const signed char *q, const float *x, int n) {
    float lane[16] = {0};
    for (int k = 0; k < serce_pad16(n); k++) lane[k % 16] = lane[k % 16] + (k < n ? (float)q[k] * x[k] : 0.0f);
    for (int w = 8; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) lane[j] = lane[j] + lane[j + w];
    return lane[0];
}

static float mv_int8(const signed char *q, float scale, const float *h, int n) {
    int64_t acc = 0;
    for (int k = 0; k < n; k++) {
        float f = floorf(h[k] * 127.0f + 0.5f);
        int hq = f > 127.0f ? 127 : f < -127.0f ? -127 : (int)f;
        acc += (int64_t)q[k] * hq;
    }
    return ((float)acc * scale) * (1.0f / 127.0f);
}

/* one step of an int8 model from the specification: state [2, L, H] (h then c) */
static void spec_step(const serce_model *m, float *state, int tok, float *logits) {
    int V = m->cfg.vocab, E = m->cfg.embed, H = m->cfg.hidden, L = m->cfg.layers, G = 4 * H;
    serce_tensor_info t[SERCE_MAX_TENSORS];
    serce_param_table(&m->cfg, t);
    if (tok == SERCE_TOK_BOS) memset(state, 0, sizeof(float) * 2 * (size_t)L * H);
    float *gx = malloc(sizeof(float) * G), *gh = malloc(sizeof(float) * G);
    for (int l = 0; l < L; l++) {
        float *h = state + (size_t)l * H, *c = state + (size_t)(L + l) * H;
        const signed char *qi = m->q[1 + 4 * l], *qh = m->q[2 + 4 * l];
        const float *si = m->qscale[1 + 4 * l], *sh = m->qscale[2 + 4 * l];
        for (int r = 0; r < G; r++) {
            gx[r] = l == 0 ? si[r] * dot_canonical_q8f(qi + (size_t)r * E, m->p.embedding + (size_t)tok * E, E)
                           : mv_int8(qi + (size_t)r * H, si[r], state + (size_t)(l - 1) * H, H);
            gh[r] = mv_int8(qh + (size_t)r * H, sh[r], h, H);
        }
        const float *bi = m->p.b_ih[l], *bh = m->p.b_hh[l];
        for (int j = 0; j < H; j++) {
            float ig = serce_sigmoidf((gx[j] + gh[j]) + (bi[j] + bh[j]));
            float fg = serce_sigmoidf((gx[H + j] + gh[H + j]) + (bi[H + j] + bh[H + j]));
            float gg = serce_tanhf((gx[2 * H + j] + gh[2 * H + j]) + (bi[2 * H + j] + bh[2 * H + j]));
            float og = serce_sigmoidf((gx[3 * H + j] + gh[3 * H + j]) + (bi[3 * H + j] + bh[3 * H + j]));
            c[j] = (fg * c[j]) + (ig * gg);
            h[j] = og * serce_tanhf(c[j]);
        }
    }
    const signed char *qo = m->q[1 + 4 * L];
    for (int v = 0; v < V; v++)
        logits[v] = mv_int8(qo + (size_t)v * H, m->qscale[1 + 4 * L][v], state + (size_t)(L - 1) * H, H) + m->p.head_b[v];
    free(gx), free(gh);
}

static void test_step_spec(const serce_model *l) {
    int V = l->cfg.vocab, L = l->cfg.layers, H = l->cfg.hidden;
    serce_error e;
    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    float *st = calloc(2 * (size_t)L * H, sizeof(float)), *z = malloc(sizeof(float) * V);
    serce_infer *si[4] = {0};
    for (int k = 0; k < nk; k++) CHECK(serce_infer_new(l, ks[k], &si[k], &e) == SERCE_OK, "infer: %s", e.msg);
    int diff[4] = {0}, steps = 0;
    uint64_t r = serce_rng_seed(31);
    for (int t = 0; t < 60; t++, steps++) {
        int tok = t == 0 || t == 37 ? SERCE_TOK_BOS : (int)serce_rng_below(&r, (uint32_t)V);
        spec_step(l, st, tok, z);
        for (int k = 0; k < nk; k++) {
            if (!si[k]) continue;
            serce_infer_step(si[k], tok);
            diff[k] += memcmp(serce_infer_logits(si[k]), z, sizeof(float) * V) != 0;
        }
    }
    for (int k = 0; k < nk; k++) {
        CHECK(diff[k] == 0, "int8 step with %s kernels differs from the specification in %d of %d steps",
              ks[k]->matvec_q8_name, diff[k], steps);
        serce_infer_free(si[k]);
    }
    free(st), free(z);
}

/* serce_evaluate on an int8 model against the songs' NLL through serce_infer_step */
static void test_eval_int8(const serce_model *l) {
    int V = l->cfg.vocab;
    /* three songs of different lengths, each starting with <s> */
    static const int lens[] = {40, 7, 95};
    size_t n = 0, starts[4];
    int32_t toks[200];
    uint64_t r = serce_rng_seed(77);
    for (int s = 0; s < 3; s++) {
        starts[s] = n;
        toks[n++] = SERCE_TOK_BOS;
        for (int i = 1; i < lens[s]; i++) toks[n++] = i == lens[s] - 1 ? SERCE_TOK_EOS : SERCE_NSPECIAL + (int)serce_rng_below(&r, (uint32_t)(V - SERCE_NSPECIAL));
    }
    starts[3] = n;
    serce_songs d = {toks, n, starts, 3};
    serce_error e;
    double nats = 0;
    long cnt = 0;
    CHECK(serce_evaluate(l, serce_kernels_best(), &d, 2, 16, &nats, &cnt, &e) == SERCE_OK, "evaluate int8: %s", e.msg);
    serce_infer *s = NULL;
    CHECK(serce_infer_new(l, NULL, &s, &e) == SERCE_OK, "infer: %s", e.msg);
    if (!s) return;
    double total = 0;
    long want = 0;
    for (int k = 0; k < 3; k++)
        for (size_t i = starts[k]; i + 1 < starts[k + 1]; i++) {
            serce_infer_step(s, toks[i]);
            const float *z = serce_infer_logits(s);
            float mx = z[0]; /* as every evaluation in the core: float differences, double sums */
            double sum = 0;
            for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
            for (int v = 0; v < V; v++) sum += exp((double)(z[v] - mx));
            total += log(sum) - (double)(z[toks[i + 1]] - mx);
            want++;
        }
    serce_infer_free(s);
    CHECK(cnt == want, "evaluate int8 scored %ld tokens, want %ld", cnt, want);
    CHECK(fabs(nats - total / (double)want) <= 1e-12 * fabs(total / (double)want),
          "evaluate int8: %.12f nats, the int8 generation step gives %.12f", nats, total / (double)want);
}

#if !defined(__EMSCRIPTEN__) /* the wasm build of this test (web_wasm_test_int8) checks the kernels and the step */
/* A model trained here on tests/data/lyric-songs.txt (our own lines): its hidden states have the
 * sizes of a real model's, which an untrained one's (|h| ~ 0.05) do not. */
static serce_model *train_small(serce_songs *songs) {
    serce_error e;
    serce_corpus corpus;
    uint8_t *buf;
    size_t n;
    if (serce_read_file(SERCE_TEST_DIR "/data/lyric-songs.txt", 1 << 20, &buf, &n, &e)) {
        CHECK(0, "corpus: %s", e.msg);
        return NULL;
    }
    int rc = serce_corpus_parse((const char *)buf, n, "lyric-songs.txt", SERCE_CORPUS_AUTO, 0, &corpus, &e);
    serce_free(buf);
    if (rc) {
        CHECK(0, "corpus: %s", e.msg);
        return NULL;
    }
    serce_vocab v;
    serce_model *m = NULL;
    rc = serce_vocab_build(&corpus, 1, 0, &v, &e);
    serce_config cfg = {v.size, 16, 96, 2, 0};
    if (!rc) rc = serce_model_new(&cfg, &v, &m, &e);
    if (!rc) serce_vocab_free(&v);
    if (!rc) serce_model_init(m, 7);
    serce_train_opts o;
    serce_train_opts_default(&o);
    o.batch = 8, o.seq_len = 64, o.lr = 0.01f, o.dropout = 0, o.warmup = 20, o.seed = 3, o.threads = 1;
    serce_trainer *t = NULL;
    if (!rc) rc = serce_songs_encode(&m->vocab, &corpus, NULL, 0, songs, &e);
    if (!rc) rc = serce_trainer_new(m, serce_kernels_best(), &o, songs, &t, &e);
    const int steps = 400;
    serce_step_stats st = {0};
    double first = 0;
    for (int i = 0; i < steps && !rc; i++) {
        rc = serce_trainer_step(t, serce_lr_at(&o, i, (double)i / steps), &st, &e);
        if (i == 0) first = st.loss;
    }
    CHECK(rc == SERCE_OK && st.loss < first - 1.0, "the small model learns: loss %.3f -> %.3f nats (%s)", first, st.loss,
          rc ? e.msg : "");
    serce_trainer_free(t);
    serce_corpus_free(&corpus);
    if (rc) serce_model_free(m);
    return rc ? NULL : m;
}

/* int8 against float on the trained model: logits step by step, and the bpc on its songs */
static void test_int8_vs_float(void) {
    serce_songs songs;
    memset(&songs, 0, sizeof songs);
    serce_model *f = train_small(&songs), *q = NULL;
    serce_error e;
    serce_buf b = {0};
    if (!f) return;
    int rc = serce_model_save(f, &b, NULL, 0, NULL, NULL, 0, &e);
    if (!rc) rc = serce_model_load(b.data, b.len, &q, &e);
    if (!rc) rc = serce_model_quantize(q, &e);
    CHECK(rc == SERCE_OK, "quantise the trained model: %s", e.msg);
    serce_buf_free(&b);
    serce_infer *si = NULL, *sf = NULL;
    if (!rc) rc = serce_infer_new(q, NULL, &si, &e);
    if (!rc) rc = serce_infer_new(f, NULL, &sf, &e);
    if (!rc) {
        int V = f->cfg.vocab, H = f->cfg.hidden, L = f->cfg.layers;
        float maxd = 0, maxv = 0, *hs = malloc(serce_infer_state_size(sf) * sizeof(float));
        double habs = 0;
        long nh = 0;
        for (size_t t = 0; t < 300 && t < songs.ntoks; t++) { /* the first songs of the corpus */
            int tok = songs.toks[t];
            serce_infer_step(si, tok), serce_infer_step(sf, tok);
            const float *a = serce_infer_logits(si), *c = serce_infer_logits(sf);
            for (int v = 0; v < V; v++) {
                float d = fabsf(a[v] - c[v]);
                maxd = d > maxd ? d : maxd;
                maxv = fabsf(c[v]) > maxv ? fabsf(c[v]) : maxv;
            }
            serce_infer_get_state(sf, hs);
            for (int j = 0; j < L * H; j++, nh++) habs += fabsf(hs[j]);
        }
        free(hs);
        double nf = 0, nq = 0;
        long cf = 0, cq = -1;
        rc = serce_evaluate(f, serce_kernels_best(), &songs, 8, 64, &nf, &cf, &e);
        if (!rc) rc = serce_evaluate(q, serce_kernels_best(), &songs, 8, 64, &nq, &cq, &e);
        CHECK(rc == SERCE_OK && cf == cq, "evaluate: %s", e.msg);
        double bf = nf / log(2.0), bq = nq / log(2.0);
        printf("trained model, int8 vs float: max logit diff %g of max |logit| %g (mean |h| %.3f); %.4f vs %.4f bpc\n",
               maxd, maxv, habs / (double)nh, bq, bf);
        CHECK(habs / (double)nh > 0.15, "the trained model's states are a trained model's size: mean |h| %.3f",
              habs / (double)nh);
        CHECK(maxd < 0.02f * maxv, "int8 logits within 2%% of float: max diff %g, max logit %g", maxd, maxv);
        CHECK(fabs(bq - bf) <= 0.02, "int8 bpc %.4f within 0.02 of float %.4f", bq, bf);
    }
    serce_infer_free(si), serce_infer_free(sf);
    serce_model_free(f), serce_model_free(q);
    serce_songs_free(&songs);
}
#endif

/* SERCE_LOAD_GENERATE_ONLY (the page's load): the same generation, bit for bit, as the full load l
 * over 60 steps with a reset; training, the batched forward and quantising refuse the model; saving
 * it gives the same file. */
static void test_generate_only(const serce_model *l, const uint8_t *file, size_t n) {
    serce_model *g = NULL;
    serce_error e;
    int rc = serce_model_load_ex(file, n, SERCE_LOAD_GENERATE_ONLY, &g, &e);
    CHECK(rc == SERCE_OK && g && g->generate_only, "generate-only load: %s", e.msg);
    if (rc) return;
    serce_infer *a = NULL, *b = NULL;
    rc = serce_infer_new(l, NULL, &a, &e);
    if (!rc) rc = serce_infer_new(g, NULL, &b, &e);
    CHECK(rc == SERCE_OK, "infer: %s", e.msg);
    int V = l->cfg.vocab, differ = 0;
    uint64_t r = serce_rng_seed(5);
    for (int t = 0; !rc && t < 60; t++) {
        int tok = t % 23 == 0 ? SERCE_TOK_BOS : SERCE_NSPECIAL + (int)serce_rng_below(&r, (uint32_t)(V - SERCE_NSPECIAL));
        serce_infer_step(a, tok), serce_infer_step(b, tok);
        differ += memcmp(serce_infer_logits(a), serce_infer_logits(b), sizeof(float) * (size_t)V) != 0;
    }
    CHECK(differ == 0, "generate-only load: %d of 60 steps differ from the full load", differ);
    serce_infer_free(a), serce_infer_free(b);
    serce_train_opts o;
    serce_train_opts_default(&o);
    serce_songs d = {0};
    serce_trainer *tr = NULL;
    CHECK(serce_trainer_new(g, serce_kernels_ref(), &o, &d, &tr, &e) == SERCE_ERR_ARG && !tr, "training refused");
    CHECK(serce_model_quantize(g, &e) == SERCE_ERR_ARG, "quantising refused");
    serce_fb *ws = NULL;
    if (serce_fb_new(&g->cfg, 1, 4, &ws, &e) == SERCE_OK) {
        int32_t in[4] = {SERCE_TOK_BOS, 5, 6, 7}, tg[4] = {5, 6, 7, 8};
        float h[512] = {0}, c[512] = {0};
        double ls;
        long cnt;
        CHECK(g->cfg.layers * g->cfg.hidden <= 512, "state buffer");
        CHECK(serce_forward_backward(g, serce_kernels_ref(), ws, 4, in, tg, h, c, 0, NULL, NULL, &ls, &cnt) == SERCE_ERR_ARG,
              "the batched forward refused");
        serce_fb_free(ws);
    }
    serce_buf s = {0};
    CHECK(serce_model_save(g, &s, NULL, 0, NULL, NULL, 0, &e) == SERCE_OK && s.len == n && !memcmp(s.data, file, n),
          "a generate-only model saves the same file");
    serce_buf_free(&s);
    serce_model_free(g);
}

int main(void) {
    test_quantize();
    test_q8_kernels();

    /* the file */
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
        int same = 1, inrange = 1;
        serce_tensor_info t[SERCE_MAX_TENSORS];
        serce_param_table(&m->cfg, t);
        for (int i = 0; i < SERCE_MAX_TENSORS; i++) {
            if (!m->q[i] != !l->q[i]) same = 0;
            if (m->q[i] && l->q[i]) {
                same &= !memcmp(m->q[i], l->q[i], t[i].numel) && !memcmp(m->qscale[i], l->qscale[i], 4 * t[i].shape[0]);
                for (size_t j = 0; j < t[i].numel; j++) inrange &= m->q[i][j] >= -127;
            }
        }
        CHECK(same, "int8 values and scales survive save/load");
        CHECK(inrange, "serce_model_quantize writes no -128");
        CHECK(!memcmp(m->w, l->w, m->nparams * 4), "dequantised weights identical after load");
        test_generate_only(l, qb.data, qb.len);
        serce_model_free(l);
    }
    serce_buf_free(&fb), serce_buf_free(&qb);
    serce_model_free(m), serce_model_free(f);

    /* the step's exact math and the evaluation, on an untrained model of awkward sizes */
    m = make(37, 13, 45, 3);
    CHECK(m && serce_model_quantize(m, &e) == SERCE_OK, "quantise: %s", e.msg);
    if (m) {
        test_step_spec(m);
        test_eval_int8(m);
    }
    serce_model_free(m);

#if !defined(__EMSCRIPTEN__)
    test_int8_vs_float();
#endif
    return check_report("test_int8");
}
