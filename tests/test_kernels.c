/* test_kernels.c — the matrix products (core/kernels.c) and the batch-1 inference step.
 *
 *  - gemm: every variant of serce_kernels_all() on awkward sizes (1, 3, 17, 63, 257 and mixes), all
 *    four transpose combinations, several alpha/beta, leading dimensions above the minimum. Each
 *    entry must be within 1e-5 x (|alpha| sum_k |a_ik b_kj| + |beta c_ij|) of a double-precision
 *    product and of serce_gemm_ref. Padding of A and B holds NaN (it must not be read into the
 *    result), padding of C a sentinel (it must not be written), and with beta = 0 the old C holds
 *    NaN (it must not be read, as in BLAS).
 *  - matvec: every variant must equal serce_matvec_ref BIT FOR BIT (memcmp): generation relies on
 *    the canonical summation order (kernels.h). serce_matvec_ref itself must equal an independent
 *    implementation of that order written here, be close to a double-precision product, and work
 *    at unaligned addresses.
 *  - serce_infer_step (packed weights, canonical order) against serce_forward_backward's logits on
 *    the same tokens (B = 1, <s> in the middle): within 1e-5 relative to the step's largest |logit|,
 *    the final state within 1e-5 relative; and serce_infer with
 *    serce_kernels_ref() vs NULL (the best kernels) bit-identical over 50 steps.
 *  - the element-wise cells (generation cell, training cell, training backward step): every variant
 *    must equal the reference BIT FOR BIT, for H from 1 to 40 and 128 (vector bodies and tails), on
 *    inputs that reach every branch of mathf.h (|x| below 0.4, beyond 9 and 88.7, -0, NaN).
 * Also built for WebAssembly with SIMD128 and run by node (CTest web_wasm_test_kernels), so the
 * simd128 variants are checked where they run. */
#include "check.h"
#include "kernels.h"
#include "model.h"
#include "rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* values spanning several binades and both signs, so that summation order shows in the bits */
static float rnd(void) {
    float u = 2.0f * serce_rng_uniform(&rng_state) - 1.0f;
    float e = (float)(serce_rng_u32(&rng_state) % 8);
    return u * ldexpf(1.0f, (int)e - 4);
}

static const float SENTINEL = -12345.678f;

/* ---------------------------------------------------------------- gemm */

static double gemm_worst_oracle, gemm_worst_ref;
static long gemm_cases;

static void gemm_case(const serce_kernels *k, int ta, int tb, int M, int N, int K, float alpha, float beta, int pad) {
    /* op(A) is M x K: stored [M, lda >= K] or, transposed, [K, lda >= M]; likewise B and C */
    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    int lda = ac + pad, ldb = bc + pad * 2, ldc = N + pad * 3;
    float *A = malloc(sizeof(float) * (size_t)ar * lda), *B = malloc(sizeof(float) * (size_t)br * ldb);
    float *C0 = malloc(sizeof(float) * (size_t)M * ldc), *C = malloc(sizeof(float) * (size_t)M * ldc);
    float *Cr = malloc(sizeof(float) * (size_t)M * ldc);
    for (int i = 0; i < ar; i++)
        for (int j = 0; j < lda; j++) A[(size_t)i * lda + j] = j < ac ? rnd() : NAN;
    for (int i = 0; i < br; i++)
        for (int j = 0; j < ldb; j++) B[(size_t)i * ldb + j] = j < bc ? rnd() : NAN;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) C0[(size_t)i * ldc + j] = j < N ? (beta == 0.0f ? NAN : rnd()) : SENTINEL;
    memcpy(C, C0, sizeof(float) * (size_t)M * ldc);
    memcpy(Cr, C0, sizeof(float) * (size_t)M * ldc);
    k->gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    serce_gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, Cr, ldc);
    double wo = 0, wr = 0;
    long pad_bad = 0, nonfinite = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int kk = 0; kk < K; kk++) {
                double a = ta ? A[(size_t)kk * lda + i] : A[(size_t)i * lda + kk];
                double b = tb ? B[(size_t)j * ldb + kk] : B[(size_t)kk * ldb + j];
                s += a * b;
                mag += fabs(a * b);
            }
            double c0 = beta == 0.0f ? 0.0 : C0[(size_t)i * ldc + j];
            double want = (double)alpha * s + (double)beta * c0;
            double scale = fabs((double)alpha) * mag + fabs((double)beta * c0) + 1e-30;
            double got = C[(size_t)i * ldc + j];
            if (!isfinite(got)) nonfinite++;
            wo = fmax(wo, fabs(got - want) / scale);
            wr = fmax(wr, fabs(got - (double)Cr[(size_t)i * ldc + j]) / scale);
        }
        for (int j = N; j < ldc; j++) pad_bad += C[(size_t)i * ldc + j] != SENTINEL;
    }
    CHECK(nonfinite == 0, "gemm %s ta=%d tb=%d M=%d N=%d K=%d alpha=%g beta=%g: %ld non-finite entries (padding or the "
          "old C read?)", k->gemm_name, ta, tb, M, N, K, alpha, beta, nonfinite);
    CHECK(pad_bad == 0, "gemm %s ta=%d tb=%d M=%d N=%d K=%d: %ld entries of C's padding written", k->gemm_name, ta, tb,
          M, N, K, pad_bad);
    CHECK(wo <= 1e-5, "gemm %s ta=%d tb=%d M=%d N=%d K=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d: error %.3g (of the "
          "dot-product magnitude) vs double", k->gemm_name, ta, tb, M, N, K, alpha, beta, lda, ldb, ldc, wo);
    CHECK(wr <= 1e-5, "gemm %s ta=%d tb=%d M=%d N=%d K=%d alpha=%g beta=%g: error %.3g vs serce_gemm_ref", k->gemm_name,
          ta, tb, M, N, K, alpha, beta, wr);
    gemm_worst_oracle = fmax(gemm_worst_oracle, wo);
    gemm_worst_ref = fmax(gemm_worst_ref, wr);
    gemm_cases++;
    free(A);
    free(B);
    free(C0);
    free(C);
    free(Cr);
}

static void test_gemm(const serce_kernels *k) {
    static const int small[] = {1, 3, 17, 63};
    static const float ab[][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 0.25f}, {2.25f, -1.5f}, {0.0f, 0.5f}};
    gemm_worst_oracle = gemm_worst_ref = 0;
    gemm_cases = 0;
    int c = 0;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            for (int mi = 0; mi < 4; mi++)
                for (int ni = 0; ni < 4; ni++)
                    for (int ki = 0; ki < 4; ki++, c++) {
                        const float *p = ab[c % 5];
                        gemm_case(k, ta, tb, small[mi], small[ni], small[ki], p[0], p[1], c % 3);
                    }
            /* with 257 in each position and in pairs */
            static const int big[][3] = {{257, 3, 17}, {1, 257, 63}, {17, 1, 257}, {257, 257, 3},
                                         {3, 63, 257}, {63, 257, 257}, {257, 17, 257}, {257, 1, 1}};
            for (int i = 0; i < 8; i++, c++) {
                const float *p = ab[c % 5];
                gemm_case(k, ta, tb, big[i][0], big[i][1], big[i][2], p[0], p[1], 1 + c % 4);
            }
        }
    /* K = 0: C = beta C */
    gemm_case(k, 0, 0, 3, 5, 0, 1.0f, 0.5f, 2);
    printf("gemm %-9s %ld cases: max error %.2e vs double, %.2e vs serce_gemm_ref (units: dot-product magnitude)\n",
           k->gemm_name, gemm_cases, gemm_worst_oracle, gemm_worst_ref);
}

/* ---------------------------------------------------------------- matvec */

/* The canonical order as kernels.h states it, written independently of kernels.c. */
static void matvec_canonical(const float *W, int rows, int kpad, const float *x, float *y) {
    for (int r = 0; r < rows; r++) {
        float lane[16];
        for (int j = 0; j < 16; j++) lane[j] = 0.0f;
        for (int k = 0; k < kpad; k++) {
            float prod = W[(size_t)r * kpad + k] * x[k];
            lane[k % 16] = lane[k % 16] + prod;
        }
        for (int w = 8; w >= 1; w /= 2)
            for (int j = 0; j < w; j++) lane[j] = lane[j] + lane[j + w];
        y[r] = lane[0];
    }
}

static void test_matvec(const serce_kernels *k) {
    static const int rows[] = {1, 3, 17, 63, 257};
    static const int kpads[] = {16, 32, 48, 64, 272, 1024};
    long cases = 0, mismatch = 0;
    double worst = 0;
    for (int ri = 0; ri < 5; ri++)
        for (int ki = 0; ki < 6; ki++)
            for (int off = 0; off < 2; off++) { /* off = 1: W, x and y one float past an aligned block */
                int R = rows[ri], K = kpads[ki];
                float *Wb = malloc(sizeof(float) * ((size_t)R * K + 4)), *xb = malloc(sizeof(float) * (K + 4));
                float *yb = malloc(sizeof(float) * (R + 4)), *yr = malloc(sizeof(float) * R), *yc = malloc(sizeof(float) * R);
                float *W = Wb + off, *x = xb + off, *y = yb + off;
                /* the model's packing: a row's real length, then zeros up to kpad */
                int real = K - (int)(serce_rng_u32(&rng_state) % 16);
                for (int r = 0; r < R; r++)
                    for (int j = 0; j < K; j++) W[(size_t)r * K + j] = j < real ? rnd() : 0.0f;
                for (int j = 0; j < K; j++) x[j] = j < real ? rnd() : 0.0f;
                k->matvec(W, R, K, x, y);
                serce_matvec_ref(W, R, K, x, yr);
                matvec_canonical(W, R, K, x, yc);
                int same = memcmp(y, yr, sizeof(float) * R) == 0;
                mismatch += !same;
                CHECK(same, "matvec %s rows=%d kpad=%d offset=%d: not bit-identical to serce_matvec_ref", k->matvec_name,
                      R, K, off);
                CHECK(memcmp(yr, yc, sizeof(float) * R) == 0,
                      "serce_matvec_ref rows=%d kpad=%d: not the canonical order of kernels.h", R, K);
                for (int r = 0; r < R; r++) {
                    double s = 0, mag = 0;
                    for (int j = 0; j < K; j++) {
                        s += (double)W[(size_t)r * K + j] * x[j];
                        mag += fabs((double)W[(size_t)r * K + j] * x[j]);
                    }
                    worst = fmax(worst, fabs(y[r] - s) / (mag + 1e-30));
                }
                cases++;
                free(Wb);
                free(xb);
                free(yb);
                free(yr);
                free(yc);
            }
    CHECK(worst <= 1e-5, "matvec %s: error %.3g of the dot-product magnitude vs double", k->matvec_name, worst);
    printf("matvec %-8s %ld cases: %ld not bit-identical to ref, max error %.2e vs double\n", k->matvec_name, cases,
           mismatch, worst);
}

/* ---------------------------------------------------------------- inference step */

static serce_model *make_model(int V, int E, int H, int L, uint64_t seed) {
    serce_buf b = {0};
    const char *head = "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\"";
    serce_buf_append(&b, head, strlen(head));
    for (int i = SERCE_NSPECIAL; i < V; i++) { /* characters U+0100, U+0101, ... (no JSON escapes needed) */
        char u[8];
        int n = serce_utf8_put(0x100u + (uint32_t)(i - SERCE_NSPECIAL), u);
        serce_buf_append(&b, ",\"", 2);
        serce_buf_append(&b, u, (size_t)n);
        serce_buf_append(&b, "\"", 1);
    }
    serce_buf_append(&b, "]", 1);
    serce_vocab v;
    serce_error err = {0, {0}};
    int rc = serce_vocab_from_json((const char *)b.data, b.len, 0, &v, &err);
    CHECK(rc == SERCE_OK, "vocab: %s", err.msg);
    serce_buf_free(&b);
    serce_config cfg = {V, E, H, L, 0};
    serce_model *m = NULL;
    rc = serce_model_new(&cfg, &v, &m, &err);
    CHECK(rc == SERCE_OK, "model: %s", err.msg);
    serce_vocab_free(&v);
    if (m) serce_model_init(m, seed);
    return m;
}

/* serce_infer_step's logits vs serce_forward_backward's on the same tokens, B = 1 */
static void test_infer_vs_fb(int V, int E, int H, int L) {
    serce_model *m = make_model(V, E, H, L, 5 + (uint64_t)H);
    if (!m) return;
    enum { T = 24 };
    int32_t in[T], tg[T];
    uint64_t r = serce_rng_seed(17);
    for (int t = 0; t < T; t++) {
        in[t] = SERCE_NSPECIAL + (int)serce_rng_below(&r, (uint32_t)(V - SERCE_NSPECIAL));
        tg[t] = 2; /* scored, so logits are computed for every step */
    }
    in[0] = SERCE_TOK_BOS;
    in[11] = SERCE_TOK_BOS; /* a second song: the state resets in both paths */
    in[15] = SERCE_TOK_TITLE;
    in[16] = SERCE_TOK_UNK;
    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    for (int ki = 0; ki < nk; ki++) {
        serce_error err = {0, {0}};
        serce_fb *ws = NULL;
        serce_infer *s = NULL;
        int rc = serce_fb_new(&m->cfg, 1, T, &ws, &err);
        if (!rc) rc = serce_infer_new(m, ks[ki], &s, &err);
        CHECK(rc == SERCE_OK, "setup: %s", err.msg);
        if (rc) {
            serce_fb_free(ws);
            continue;
        }
        float *h = calloc((size_t)L * H, sizeof(float)), *c = calloc((size_t)L * H, sizeof(float));
        double ls;
        long n;
        rc = serce_forward_backward(m, ks[ki], ws, T, in, tg, h, c, 0.0f, NULL, NULL, &ls, &n);
        CHECK(rc == SERCE_OK && n == T, "forward: %d", rc);
        const float *z = serce_fb_logits(ws);
        /* relative to the step's largest |logit|: what a softmax sees (an absolute shift of a logit),
         * and a logit that nearly cancels is not compared at its own tiny scale */
        double worst = 0;
        for (int t = 0; t < T; t++) {
            serce_infer_step(s, in[t]);
            const float *zi = serce_infer_logits(s);
            double zmax = 0;
            for (int v = 0; v < V; v++) zmax = fmax(zmax, fabs(z[t * V + v]));
            for (int v = 0; v < V; v++) worst = fmax(worst, check_relerr(zi[v], z[t * V + v], zmax));
        }
        /* the state after the last step matches too */
        float *st = malloc(serce_infer_state_size(s) * sizeof(float));
        CHECK(serce_infer_state_size(s) == 2 * (size_t)L * H, "state size %zu", serce_infer_state_size(s));
        serce_infer_get_state(s, st);
        double wst = 0;
        for (int i = 0; i < L * H; i++) {
            wst = fmax(wst, check_relerr(st[i], h[i], 1e-2));
            wst = fmax(wst, check_relerr(st[L * H + i], c[i], 1e-2));
        }
        printf("infer_step vs forward_backward V=%d E=%d H=%d L=%d (%s/%s): logits max rel err %.2e, state %.2e\n", V, E,
               H, L, ks[ki]->gemm_name, ks[ki]->matvec_name, worst, wst);
        CHECK(worst <= 1e-5, "V=%d E=%d H=%d L=%d %s: infer logits differ from forward_backward by %.3g relative", V, E,
              H, L, ks[ki]->matvec_name, worst);
        CHECK(wst <= 1e-5, "V=%d E=%d H=%d L=%d %s: infer state differs from forward_backward by %.3g relative", V, E, H,
              L, ks[ki]->matvec_name, wst);
        free(st);
        free(h);
        free(c);
        serce_infer_free(s);
        serce_fb_free(ws);
    }
    serce_model_free(m);
}

/* the reference kernels and the best ones give the same bits in generation */
static void test_infer_ref_vs_best(int V, int E, int H, int L) {
    serce_model *m = make_model(V, E, H, L, 99 + (uint64_t)E);
    if (!m) return;
    serce_error err = {0, {0}};
    serce_infer *a = NULL, *b = NULL;
    int rc = serce_infer_new(m, serce_kernels_ref(), &a, &err);
    if (!rc) rc = serce_infer_new(m, NULL, &b, &err);
    CHECK(rc == SERCE_OK, "infer: %s", err.msg);
    if (rc) {
        serce_infer_free(a);
        serce_model_free(m);
        return;
    }
    uint64_t r = serce_rng_seed(23);
    int diff_steps = 0, first = -1;
    size_t ns = serce_infer_state_size(a);
    float *sa = malloc(ns * sizeof(float)), *sb = malloc(ns * sizeof(float));
    for (int t = 0; t < 50; t++) {
        int tok = t == 0 || t == 31 ? SERCE_TOK_BOS : (int)serce_rng_below(&r, (uint32_t)V);
        serce_infer_step(a, tok);
        serce_infer_step(b, tok);
        serce_infer_get_state(a, sa);
        serce_infer_get_state(b, sb);
        int d = memcmp(serce_infer_logits(a), serce_infer_logits(b), sizeof(float) * V) != 0 ||
                memcmp(sa, sb, ns * sizeof(float)) != 0;
        diff_steps += d;
        if (d && first < 0) first = t;
    }
    printf("infer ref vs best (%s) V=%d E=%d H=%d L=%d: %d of 50 steps differ in any bit\n", serce_infer_kernel_name(b),
           V, E, H, L, diff_steps);
    CHECK(diff_steps == 0, "V=%d E=%d H=%d L=%d: serce_infer with %s differs from ref in %d of 50 steps (first at %d)", V,
          E, H, L, serce_infer_kernel_name(b), diff_steps, first);
    CHECK(strcmp(serce_infer_kernel_name(a), "ref") == 0, "ref kernel name %s", serce_infer_kernel_name(a));
    /* reset and set_state round trip: the same token from the same state gives the same logits */
    serce_infer_reset(a);
    serce_infer_step(a, SERCE_TOK_BOS);
    serce_infer_step(a, SERCE_NSPECIAL);
    serce_infer_get_state(a, sa);
    serce_infer_step(a, SERCE_NSPECIAL + 1);
    float *z1 = malloc(sizeof(float) * V);
    memcpy(z1, serce_infer_logits(a), sizeof(float) * V);
    serce_infer_step(a, SERCE_NSPECIAL + 2);
    serce_infer_set_state(a, sa);
    serce_infer_step(a, SERCE_NSPECIAL + 1);
    CHECK(memcmp(z1, serce_infer_logits(a), sizeof(float) * V) == 0, "set_state does not restore the state");
    free(z1);
    free(sa);
    free(sb);
    serce_infer_free(a);
    serce_infer_free(b);
    serce_model_free(m);
}

/* ---------------------------------------------------------------- element-wise cells */

/* a pre-activation: mostly ordinary values, sometimes the edges of the exp/tanh branches */
static float pre_value(void) {
    static const float edge[] = {0.0f, -0.0f, 0.39999998f, 0.4f, -0.4f, 9.0f, 9.000001f, -9.5f, 88.7f, 100.0f,
                                 -87.3f, -100.0f, 1e-20f, -3e-39f, NAN, INFINITY, -INFINITY};
    uint32_t r = serce_rng_u32(&rng_state);
    if (r % 16 == 0) return edge[(r >> 8) % (sizeof edge / sizeof edge[0])];
    return rnd() * 6.0f;
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

static void test_elementwise(const serce_kernels *k) {
    static const int hs[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 40, 128};
    long cases = 0;
    for (size_t hi = 0; hi < sizeof hs / sizeof hs[0]; hi++) {
        int H = hs[hi];
        size_t G = 4 * (size_t)H;
        float *gx = malloc(G * sizeof(float)), *gh = malloc(G * sizeof(float)), *b = malloc(G * sizeof(float));
        float *c0 = malloc(H * sizeof(float)), *c1 = malloc(H * sizeof(float)), *c2 = malloc(H * sizeof(float));
        float *h1 = malloc(H * sizeof(float)), *h2 = malloc(H * sizeof(float)), *tc1 = malloc(H * sizeof(float));
        float *tc2 = malloc(H * sizeof(float)), *g1 = malloc(G * sizeof(float)), *g2 = malloc(G * sizeof(float));
        float *dhup = malloc(H * sizeof(float)), *dhn = malloc(H * sizeof(float)), *dcn1 = malloc(H * sizeof(float));
        float *dcn2 = malloc(H * sizeof(float)), *dg1 = malloc(G * sizeof(float)), *dg2 = malloc(G * sizeof(float));
        for (int rep = 0; rep < 6; rep++) {
            for (size_t i = 0; i < G; i++) gx[i] = pre_value(), gh[i] = pre_value(), b[i] = rnd();
            for (int i = 0; i < H; i++) c0[i] = pre_value(), dhup[i] = rnd(), dhn[i] = rnd(), dcn1[i] = rnd();
            /* generation cell */
            memcpy(c1, c0, H * sizeof(float));
            memcpy(c2, c0, H * sizeof(float));
            serce_cell_ref(H, gx, gh, b, c1, h1);
            k->cell(H, gx, gh, b, c2, h2);
            CHECK(same_bits(c1, c2, H) && same_bits(h1, h2, H), "cell %s H=%d: differs from the reference", k->elementwise_name, H);
            /* training cell (gates in place), then its backward step, with and without a reset */
            memcpy(g1, gx, G * sizeof(float));
            memcpy(g2, gx, G * sizeof(float));
            serce_train_cell_ref(H, g1, c0, c1, tc1, h1);
            k->train_cell(H, g2, c0, c2, tc2, h2);
            CHECK(same_bits(g1, g2, G) && same_bits(c1, c2, H) && same_bits(tc1, tc2, H) && same_bits(h1, h2, H),
                  "train_cell %s H=%d: differs from the reference", k->elementwise_name, H);
            memcpy(dcn2, dcn1, H * sizeof(float));
            serce_train_back_ref(H, g1, tc1, c0, dhup, dhn, dcn1, dg1, rep == 3);
            k->train_back(H, g1, tc1, c0, dhup, dhn, dcn2, dg2, rep == 3);
            CHECK(same_bits(dg1, dg2, G) && same_bits(dcn1, dcn2, H), "train_back %s H=%d: differs from the reference",
                  k->elementwise_name, H);
            cases++;
        }
        free(gx), free(gh), free(b), free(c0), free(c1), free(c2), free(h1), free(h2), free(tc1), free(tc2);
        free(g1), free(g2), free(dhup), free(dhn), free(dcn1), free(dcn2), free(dg1), free(dg2);
    }
    printf("element-wise %s: %ld cases bit-identical to the reference\n", k->elementwise_name, cases);
}

int main(void) {
    rng_state = serce_rng_seed(2024);
    const serce_kernels *ks[8];
    int nk = serce_kernels_all(ks, 8);
    CHECK(nk >= 1 && ks[0] == serce_kernels_ref(), "serce_kernels_all lists the reference kernels first");
    int has_best = 0;
    for (int i = 0; i < nk; i++) {
        has_best |= ks[i] == serce_kernels_best();
        CHECK(ks[i]->gemm && ks[i]->matvec && ks[i]->gemm_name && ks[i]->matvec_name && ks[i]->cell && ks[i]->train_cell &&
                  ks[i]->train_back && ks[i]->elementwise_name,
              "kernel table %d complete", i);
    }
    CHECK(has_best, "serce_kernels_all lists the best kernels");
    printf("%d kernel variants:", nk);
    for (int i = 0; i < nk; i++) printf(" %s/%s/%s", ks[i]->gemm_name, ks[i]->matvec_name, ks[i]->matvec_q8_name);
    printf("\n");
    for (int i = 0; i < nk; i++) {
        test_gemm(ks[i]);
        test_matvec(ks[i]);
        test_elementwise(ks[i]);
    }
    /* H below, at and above 16; E above H (the padded input buffer is shared); three layers */
    test_infer_vs_fb(11, 6, 9, 2);
    test_infer_vs_fb(23, 20, 7, 1);
    test_infer_vs_fb(30, 16, 16, 2);
    test_infer_vs_fb(40, 17, 33, 3);
    test_infer_ref_vs_best(11, 6, 9, 2);
    test_infer_ref_vs_best(23, 20, 7, 1);
    test_infer_ref_vs_best(61, 24, 40, 3);
    test_infer_ref_vs_best(90, 64, 130, 2);
    return check_report("test_kernels");
}
