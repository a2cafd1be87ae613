/* bench.c — benchmark-only exports for the browser benchmark (tools/bench_browser.mjs). Never part
 * of the site: tools/bench_browser.mjs compiles it with Emscripten together with the core and
 * wasm/api.c (same flags as wasm/CMakeLists.txt) into its own serce-bench-{simd,plain} modules.
 *
 *  - a tight generation loop over the core's serce_infer_step (batch 1, argmax over the non-special
 *    tokens fed back), without the sampler and the text layer of wasm/api.c, to separate the model's
 *    cost from the API's per-character cost;
 *  - single steps with their logits, to check the numbers against PyTorch;
 *  - timings of the parts of a step (matvec kernels, the gate nonlinearities), and an experimental
 *    step that must give bit-identical logits (checked: bb_exp_compare), to show where the time goes
 *    and what is left: the core's kernels, optionally two float matvec rows per pass.
 */
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "mathf.h"
#include "model.h"
#include "serce.h"

#include <emscripten/emscripten.h>
#define API EMSCRIPTEN_KEEPALIVE

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#define MAXS 8

typedef struct {
    serce_model *m;
    serce_infer *s;
    int V;
} bslot;

static bslot slots[MAXS];
float bb_sink; /* keeps timed results alive */
static serce_error err;

API const char *bb_error(void) { return err.msg; }

static bslot *get(int h) { return h >= 1 && h <= MAXS && slots[h - 1].m ? &slots[h - 1] : NULL; }

API int bb_load(const uint8_t *bytes, int n) {
    int i = 0;
    while (i < MAXS && slots[i].m) i++;
    if (i == MAXS) return 0;
    bslot *b = &slots[i];
    memset(b, 0, sizeof *b);
    if (serce_model_load(bytes, (size_t)n, &b->m, &err)) return 0;
    if (serce_infer_new(b->m, NULL, &b->s, &err)) {
        serce_model_free(b->m);
        b->m = NULL;
        return 0;
    }
    b->V = b->m->cfg.vocab;
    return i + 1;
}

API const char *bb_kernel(int h) {
    bslot *b = get(h);
    return b ? serce_infer_kernel_name(b->s) : "";
}

API int bb_is_int8(int h) {
    bslot *b = get(h);
    return b ? serce_model_is_int8(b->m) : 0;
}

API void bb_reset(int h) {
    bslot *b = get(h);
    if (b) serce_infer_reset(b->s);
}

static int argmax(const float *z, int V) {
    int best = SERCE_NSPECIAL;
    for (int v = SERCE_NSPECIAL + 1; v < V; v++)
        if (z[v] > z[best]) best = v;
    return best;
}

/* steps characters, each fed the argmax of the one before; returns the last token */
API int bb_run(int h, int steps, int tok) {
    bslot *b = get(h);
    if (!b) return -1;
    for (int i = 0; i < steps; i++) {
        serce_infer_step(b->s, tok);
        tok = argmax(serce_infer_logits(b->s), b->V);
    }
    return tok;
}

/* one step; the logits [V] */
API const float *bb_step(int h, int tok) {
    bslot *b = get(h);
    if (!b) return NULL;
    serce_infer_step(b->s, tok);
    return serce_infer_logits(b->s);
}

/* ---------------------------------------------------------------- the experimental step */

#if defined(__wasm_simd128__)
/* The canonical order of kernels.h, two rows per pass: every row keeps its own four 4-lane
 * accumulators and its own reduction tree (bit-identical to matvec_simd128), but each x vector is
 * loaded once for two rows and there are eight independent add chains instead of four. */
static void matvec_x2(const float *W, int rows, int kpad, const float *x, float *y) {
    int r = 0;
    for (; r + 1 < rows; r += 2) {
        const float *w = W + (size_t)r * kpad, *u = w + kpad;
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            v128_t x0 = wasm_v128_load(x + k), x1 = wasm_v128_load(x + k + 4);
            v128_t x2 = wasm_v128_load(x + k + 8), x3 = wasm_v128_load(x + k + 12);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w + k), x0));
            b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(wasm_v128_load(u + k), x0));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w + k + 4), x1));
            b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(wasm_v128_load(u + k + 4), x1));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w + k + 8), x2));
            b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(wasm_v128_load(u + k + 8), x2));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w + k + 12), x3));
            b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(wasm_v128_load(u + k + 12), x3));
        }
        v128_t s = wasm_f32x4_add(wasm_f32x4_add(a0, a2), wasm_f32x4_add(a1, a3));
        v128_t t = wasm_f32x4_add(wasm_f32x4_add(b0, b2), wasm_f32x4_add(b1, b3));
        y[r] = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 2)) +
               (wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 3));
        y[r + 1] = (wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 2)) +
                   (wasm_f32x4_extract_lane(t, 1) + wasm_f32x4_extract_lane(t, 3));
    }
    if (r < rows) serce_kernels_best()->matvec(W + (size_t)r * kpad, rows - r, kpad, x, y + r);
}

#else
static void matvec_x2(const float *W, int rows, int kpad, const float *x, float *y) {
    serce_kernels_best()->matvec(W, rows, kpad, x, y);
}
#endif

/* The four-lane cell, first tried here, is now the core's kernel (cell_simd128 in core/kernels.c), as
 * is the int8 x int8 matvec on the quantised state: the experimental step calls them, so it measures
 * the site's kernels plus the two-row float matvec above. */
static void gates_simd(int H, const float *gx, const float *gh, const float *b, float *c, float *h) {
    serce_kernels_best()->cell(H, gx, gh, b, c, h);
}

/* the scalar gate update, exactly serce_infer_step's loop */
static void gates_scalar(int H, const float *gx, const float *gh, const float *b, float *c, float *h) {
    for (int j = 0; j < H; j++) {
        float pi = (gx[j] + gh[j]) + b[j];
        float pf = (gx[H + j] + gh[H + j]) + b[H + j];
        float pg = (gx[2 * H + j] + gh[2 * H + j]) + b[2 * H + j];
        float po = (gx[3 * H + j] + gh[3 * H + j]) + b[3 * H + j];
        float ig = serce_sigmoidf(pi), fg = serce_sigmoidf(pf), gg = serce_tanhf(pg), og = serce_sigmoidf(po);
        c[j] = (fg * c[j]) + (ig * gg);
        h[j] = og * serce_tanhf(c[j]);
    }
}

/* A weight matrix for the experimental step: float or int8 + row scales, rows padded to 16. */
typedef struct {
    int rows, kpad;
    float *w;
    signed char *q;
    const float *scale;
} xmat;

static int xpack(const serce_model *m, int ti, const float *src, int rows, int cols, int kpad, xmat *a) {
    a->rows = rows, a->kpad = kpad, a->w = NULL, a->q = NULL, a->scale = NULL;
    if (m->q[ti]) {
        a->q = serce_calloc((size_t)rows * kpad, 1);
        if (!a->q) return 0;
        for (int r = 0; r < rows; r++) memcpy(a->q + (size_t)r * kpad, m->q[ti] + (size_t)r * cols, (size_t)cols);
        a->scale = m->qscale[ti];
    } else {
        a->w = serce_calloc((size_t)rows * kpad, sizeof(float));
        if (!a->w) return 0;
        for (int r = 0; r < rows; r++) memcpy(a->w + (size_t)r * kpad, src + (size_t)r * cols, sizeof(float) * cols);
    }
    return 1;
}

typedef struct {
    int E, H, L, G, V, kh, variant; /* variant: 0 the build's matvec, 1 matvec_x2 (float only) */
    float *emb_proj;
    xmat wih[SERCE_MAX_LAYERS], whh[SERCE_MAX_LAYERS], head;
    float *bsum[SERCE_MAX_LAYERS];
    float *state, *x, *gx, *gh, *logits;
    int16_t *xq;
    const float *head_b;
} xstep;

static xstep xs_[MAXS];

static void xmv(const xstep *e, const xmat *a, const float *x, float *y) {
    if (a->q) {
        serce_quantize_unit(x, e->H, e->xq);
        serce_kernels_best()->matvec_q8(a->q, a->scale, a->rows, a->kpad, e->xq, y);
    } else if (e->variant == 1) matvec_x2(a->w, a->rows, a->kpad, x, y);
    else serce_kernels_best()->matvec(a->w, a->rows, a->kpad, x, y);
}

/* Set up the experimental step of model h: the core's kernels and (variant 1) matvec_x2. 1, or 0 if
 * it cannot. */
API int bb_exp_init(int h, int variant) {
    bslot *b = get(h);
    if (!b) return 0;
    xstep *e = &xs_[h - 1];
    if (e->state) return 1;
    const serce_model *m = b->m;
    const serce_config *c = &m->cfg;
    const serce_params *p = &m->p;
    e->variant = variant;
    e->E = c->embed, e->H = c->hidden, e->L = c->layers, e->G = 4 * c->hidden, e->V = c->vocab, e->kh = serce_pad16(c->hidden);
    int ke = serce_pad16(e->E), kx = e->kh > ke ? e->kh : ke, G = e->G, H = e->H, L = e->L;
    e->emb_proj = serce_calloc((size_t)e->V * G, sizeof(float));
    e->state = serce_calloc(2 * (size_t)L * H, sizeof(float));
    e->x = serce_calloc((size_t)kx, sizeof(float));
    e->gx = serce_calloc((size_t)G, sizeof(float));
    e->gh = serce_calloc((size_t)G, sizeof(float));
    e->logits = serce_calloc((size_t)e->V, sizeof(float));
    e->xq = serce_calloc((size_t)e->kh, sizeof(int16_t));
    if (!e->emb_proj || !e->state || !e->x || !e->gx || !e->gh || !e->logits || !e->xq) return 0;
    xmat w0;
    if (!xpack(m, 1, p->w_ih[0], G, e->E, ke, &w0)) return 0;
    for (int v = 0; v < e->V; v++) { /* as serce_infer_new: with the build's kernels */
        memcpy(e->x, p->embedding + (size_t)v * e->E, sizeof(float) * e->E);
        if (w0.q) serce_matvec_q8f(w0.q, w0.scale, G, ke, e->x, e->emb_proj + (size_t)v * G);
        else serce_kernels_best()->matvec(w0.w, G, ke, e->x, e->emb_proj + (size_t)v * G);
    }
    serce_free(w0.w), serce_free(w0.q);
    memset(e->x, 0, sizeof(float) * (size_t)kx);
    for (int l = 0; l < L; l++) {
        if (l > 0 && !xpack(m, 1 + 4 * l, p->w_ih[l], G, H, e->kh, &e->wih[l])) return 0;
        if (!xpack(m, 2 + 4 * l, p->w_hh[l], G, H, e->kh, &e->whh[l])) return 0;
        e->bsum[l] = serce_calloc((size_t)G, sizeof(float));
        if (!e->bsum[l]) return 0;
        for (int j = 0; j < G; j++) e->bsum[l][j] = p->b_ih[l][j] + p->b_hh[l][j];
    }
    if (!xpack(m, 1 + 4 * L, p->head_w, e->V, H, e->kh, &e->head)) return 0;
    e->head_b = p->head_b;
    return 1;
}

static void exp_reset(xstep *e) {
    if (e->state) memset(e->state, 0, sizeof(float) * 2 * (size_t)e->L * e->H);
}

/* serce_infer_step, statement for statement, with the experimental parts */
static void exp_step(xstep *e, int token) {
    int L = e->L, H = e->H, G = e->G;
    if (token < 0 || token >= e->V) token = SERCE_TOK_UNK;
    if (token == SERCE_TOK_BOS) memset(e->state, 0, sizeof(float) * 2 * (size_t)L * H);
    const float *gx = e->emb_proj + (size_t)token * G;
    for (int l = 0; l < L; l++) {
        float *h = e->state + (size_t)l * H, *c = e->state + (size_t)(L + l) * H;
        if (l > 0) {
            memcpy(e->x, e->state + (size_t)(l - 1) * H, sizeof(float) * H);
            xmv(e, &e->wih[l], e->x, e->gx);
            gx = e->gx;
        }
        memcpy(e->x, h, sizeof(float) * H);
        xmv(e, &e->whh[l], e->x, e->gh);
        gates_simd(H, gx, e->gh, e->bsum[l], c, h);
    }
    memcpy(e->x, e->state + (size_t)(L - 1) * H, sizeof(float) * H);
    xmv(e, &e->head, e->x, e->logits);
    for (int v = 0; v < e->V; v++) e->logits[v] += e->head_b[v];
}

API int bb_exp_run(int h, int steps, int tok) {
    xstep *e = h >= 1 && h <= MAXS ? &xs_[h - 1] : NULL;
    if (!e || !e->state) return -1;
    for (int i = 0; i < steps; i++) {
        exp_step(e, tok);
        tok = argmax(e->logits, e->V);
    }
    return tok;
}

API const float *bb_exp_step(int h, int tok) {
    xstep *e = h >= 1 && h <= MAXS ? &xs_[h - 1] : NULL;
    if (!e || !e->state) return NULL;
    exp_step(e, tok);
    return e->logits;
}

API void bb_exp_reset(int h) {
    if (h >= 1 && h <= MAXS) exp_reset(&xs_[h - 1]);
}

/* The experimental step against serce_infer_step, from a zero state on `steps` pseudo-random tokens:
 * the number of logits whose bits differ (0 = identical). Leaves both states at zero. */
API int bb_exp_compare(int h, int steps) {
    bslot *b = get(h);
    xstep *e = h >= 1 && h <= MAXS ? &xs_[h - 1] : NULL;
    if (!b || !e || !e->state) return -1;
    serce_infer_reset(b->s);
    exp_reset(e);
    uint32_t r = 99;
    int diff = 0;
    for (int i = 0; i < steps; i++) {
        r = r * 1664525u + 1013904223u;
        int tok = SERCE_NSPECIAL + (int)((r >> 8) % (uint32_t)(b->V - SERCE_NSPECIAL));
        serce_infer_step(b->s, tok);
        exp_step(e, tok);
        diff += memcmp(serce_infer_logits(b->s), e->logits, sizeof(float) * (size_t)b->V) != 0;
    }
    serce_infer_reset(b->s);
    exp_reset(e);
    return diff;
}

/* SIMD gates against the scalar ones on n inputs spread over [-span, span] plus NaN, +-inf, +-0,
 * denormals: the number of outputs whose bits differ. */
API int bb_gates_compare(int n, float span) {
    int H = 64, diff = 0;
    float gx[256], gh[256], b[256], c1[64], c2[64], h1[64], h2[64];
    uint32_t r = 7;
    const float special[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1.0f / 0.0f, -1.0f / 0.0f, 0.0f / 0.0f, 88.7f, -87.3f, 9.0f, 0.4f, -0.4f, 100.0f, -100.0f};
    for (int it = 0; it < n; it++) {
        for (int j = 0; j < 256; j++) {
            r = r * 1664525u + 1013904223u;
            float u = (float)(r >> 8) / 16777216.0f;
            gx[j] = (2.0f * u - 1.0f) * span;
            gh[j] = (j + it) % 29 == 0 ? special[(j + it) % 14] : 0.0f;
            b[j] = 0.0f;
        }
        for (int j = 0; j < H; j++) {
            r = r * 1664525u + 1013904223u;
            c1[j] = c2[j] = ((float)(r >> 8) / 16777216.0f - 0.5f) * span;
        }
        gates_scalar(H, gx, gh, b, c1, h1);
        gates_simd(H, gx, gh, b, c2, h2);
        for (int j = 0; j < H; j++) diff += (memcmp(&c1[j], &c2[j], 4) != 0) + (memcmp(&h1[j], &h2[j], 4) != 0);
    }
    return diff;
}

/* matvec_x2 against the build's float matvec (1 if they differ), the build's int8 matvec against the
 * reference on a quantised vector (2 if they differ), on random data */
API int bb_kernels_compare(int rows, int kpad) {
    size_t n = (size_t)rows * kpad;
    float *W = serce_malloc(n * sizeof(float)), *x = serce_malloc((size_t)kpad * sizeof(float));
    float *y1 = serce_malloc((size_t)rows * sizeof(float)), *y2 = serce_malloc((size_t)rows * sizeof(float));
    float *scale = serce_malloc((size_t)rows * sizeof(float));
    signed char *Q = serce_malloc(n);
    if (!W || !x || !y1 || !y2 || !scale || !Q) return -1;
    uint32_t r = 3;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        W[i] = (float)((int)(r >> 8) - (1 << 23)) / (float)(1 << 23);
        Q[i] = (signed char)(r >> 24);
    }
    for (int k = 0; k < kpad; k++) {
        r = r * 1664525u + 1013904223u;
        x[k] = (float)((int)(r >> 8) - (1 << 23)) / (float)(1 << 20);
    }
    for (int i = 0; i < rows; i++) scale[i] = 0.0078125f * (float)(i % 7 + 1);
    const serce_kernels *k = serce_kernels_best();
    int diff = 0;
    k->matvec(W, rows, kpad, x, y1);
    matvec_x2(W, rows, kpad, x, y2);
    diff += memcmp(y1, y2, sizeof(float) * (size_t)rows) != 0;
    int16_t *xq = serce_malloc((size_t)kpad * sizeof(int16_t));
    if (!xq) return -1;
    for (int i = 0; i < kpad; i++) x[i] *= 1.0f / 8.0f; /* the state's range, |x| < 1 */
    serce_quantize_unit(x, kpad, xq);
    k->matvec_q8(Q, scale, rows, kpad, xq, y1);
    serce_matvec_q8_ref(Q, scale, rows, kpad, xq, y2);
    diff += 2 * (memcmp(y1, y2, sizeof(float) * (size_t)rows) != 0);
    serce_free(W), serce_free(x), serce_free(y1), serce_free(y2), serce_free(scale), serce_free(Q), serce_free(xq);
    return diff;
}

/* ---------------------------------------------------------------- parts of a step, timed */

/* Mean microseconds per call of one part, repeated for at least min_ms:
 *   what 0: the build's matvec (rows x kpad, float)    1: the build's int8 matvec (quantised input)
 *        2: matvec_x2                                    3: the gate update of one layer (H = rows)
 *        4: the reference (scalar) matvec                5: quantising the state + the int8 matvec
 *        6: the SIMD gate update (gates_simd) */
API double bb_time_part(int what, int rows, int kpad, double min_ms) {
    size_t n = (size_t)rows * kpad;
    float *W = serce_malloc(n * sizeof(float)), *x = serce_malloc((size_t)kpad * sizeof(float));
    float *y = serce_malloc((size_t)12 * rows * sizeof(float)), *scale = serce_malloc((size_t)rows * sizeof(float));
    signed char *Q = serce_malloc(n);
    int16_t *xq = serce_malloc((size_t)kpad * sizeof(int16_t));
    if (!W || !x || !y || !scale || !Q || !xq) return -1;
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        W[i] = (float)((int)(r >> 9) - (1 << 22)) / (float)(1 << 24);
        Q[i] = (signed char)((int)(r >> 24) - 128);
    }
    for (int k = 0; k < kpad; k++) x[k] = (float)(k % 7) * 0.1f - 0.3f;
    serce_quantize_unit(x, kpad, xq);
    for (int i = 0; i < rows; i++) scale[i] = 0.01f;
    for (int i = 0; i < 12 * rows; i++) y[i] = (float)(i % 5) * 0.2f - 0.4f;
    const serce_kernels *k = serce_kernels_best();
    long calls = 0;
    double t0 = emscripten_get_now(), el = 0;
    do {
        for (int i = 0; i < 16; i++) {
            switch (what) {
            case 0: k->matvec(W, rows, kpad, x, y); break;
            case 1: k->matvec_q8(Q, scale, rows, kpad, xq, y); break;
            case 2: matvec_x2(W, rows, kpad, x, y); break;
            case 3: /* gx, gh, b = y, y + 4H, y + 8H; c, h = W, W + H */
                gates_scalar(rows, y, y + 4 * rows, y + 8 * rows, W, W + rows);
                W[0] = 0.5f;
                break;
            case 5:
                serce_quantize_unit(x, kpad, xq);
                k->matvec_q8(Q, scale, rows, kpad, xq, y);
                break;
            case 6:
                gates_simd(rows, y, y + 4 * rows, y + 8 * rows, W, W + rows);
                W[0] = 0.5f;
                break;
            default: serce_matvec_ref(W, rows, kpad, x, y); break;
            }
            bb_sink += y[0] + W[0];
        }
        calls += 16;
        el = emscripten_get_now() - t0;
    } while (el < min_ms);
    serce_free(W), serce_free(x), serce_free(y), serce_free(scale), serce_free(Q), serce_free(xq);
    return el * 1000.0 / (double)calls;
}
