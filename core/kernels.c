/* kernels.c — reference kernels (the oracle) and the variant table. See kernels.h.
 * Platform-specific code lives only here, behind #if, and in no other core file. */
#include "kernels.h"

#include "mathf.h"

#include <math.h>
#include <string.h>

#if defined(SERCE_HAVE_BLAS)
#include <cblas.h>
#endif
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define SERCE_HAVE_SSE 1
#endif
#if defined(SERCE_HAVE_SSE) && (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SERCE_HAVE_AVX2_Q8 1 /* compiled for every x86 build, used when the CPU has AVX2 */
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

/* ---------------------------------------------------------------- gemm: reference */

void serce_gemm_ref(int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)N);
        else if (beta != 1.0f)
            for (int j = 0; j < N; j++) c[j] *= beta;
        if (!transB) {
            /* i-k-j order: B rows are streamed contiguously */
            for (int k = 0; k < K; k++) {
                float a = alpha * (transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
                if (a == 0.0f) continue;
                const float *b = B + (size_t)k * ldb;
                for (int j = 0; j < N; j++) c[j] += a * b[j];
            }
        } else {
            for (int j = 0; j < N; j++) {
                const float *b = B + (size_t)j * ldb;
                float s = 0.0f;
                if (!transA) {
                    const float *a = A + (size_t)i * lda;
                    for (int k = 0; k < K; k++) s += a[k] * b[k];
                } else {
                    for (int k = 0; k < K; k++) s += A[(size_t)k * lda + i] * b[k];
                }
                c[j] += alpha * s;
            }
        }
    }
}

#if defined(SERCE_HAVE_BLAS)
static void gemm_blas(int transA, int transB, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

/* ---------------------------------------------------------------- matvec: canonical order */

static inline float reduce16(const float l[16]) {
    float s8[8], s4[4], s2[2];
    for (int j = 0; j < 8; j++) s8[j] = l[j] + l[j + 8];
    for (int j = 0; j < 4; j++) s4[j] = s8[j] + s8[j + 4];
    for (int j = 0; j < 2; j++) s2[j] = s4[j] + s4[j + 2];
    return s2[0] + s2[1];
}

void serce_matvec_ref(const float *W, int rows, int kpad, const float *x, float *y) {
    for (int r = 0; r < rows; r++) {
        const float *w = W + (size_t)r * kpad;
        float l[16] = {0};
        for (int k = 0; k < kpad; k += 16)
            for (int j = 0; j < 16; j++) l[j] += w[k + j] * x[k + j];
        y[r] = reduce16(l);
    }
}

/* int8 weights times a float vector: only for the embedding projection, built once per model */
void serce_matvec_q8f(const signed char *Q, const float *scale, int rows, int kpad, const float *x, float *y) {
    for (int r = 0; r < rows; r++) {
        const signed char *q = Q + (size_t)r * kpad;
        float l[16] = {0};
        for (int k = 0; k < kpad; k += 16)
            for (int j = 0; j < 16; j++) l[j] += (float)q[k + j] * x[k + j];
        y[r] = scale[r] * reduce16(l);
    }
}

/* ---------------------------------------------------------------- int8 x int8 matvec */

void serce_quantize_unit(const float *x, int n, int16_t *xq) {
    for (int i = 0; i < n; i++) {
        float v = floorf(x[i] * 127.0f + 0.5f); /* exactly: one rounded product, one rounded sum, floor */
        xq[i] = (int16_t)(v >= 127.0f ? 127 : v <= -127.0f ? -127 : v == v ? (int)v : 0);
    }
}

/* the one float step of every variant: y = ((float)acc * scale) * (1/127) */
static const float SERCE_Q8_INV = 1.0f / 127.0f;

void serce_matvec_q8_ref(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq, float *y) {
    for (int r = 0; r < rows; r++) {
        const signed char *q = Q + (size_t)r * kpad;
        int32_t acc = 0;
        for (int k = 0; k < kpad; k++) acc += (int32_t)q[k] * xq[k];
        y[r] = ((float)acc * scale[r]) * SERCE_Q8_INV;
    }
}

#if defined(SERCE_HAVE_SSE)
/* Four rows per pass (each 16 int8 weights loaded once, xq once per four rows): the weights are
 * sign-extended to int16 (SSE2 has no pmovsx), _mm_madd_epi16 multiplies and adds pairs into int32. */
static inline __m128i q8_lo16(__m128i v) { return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8); }
static inline __m128i q8_hi16(__m128i v) { return _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8); }

static inline __m128i q8_madd16(const signed char *q, __m128i x0, __m128i x1) {
    __m128i v = _mm_loadu_si128((const __m128i *)q);
    return _mm_add_epi32(_mm_madd_epi16(q8_lo16(v), x0), _mm_madd_epi16(q8_hi16(v), x1));
}

static void matvec_q8_sse(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq, float *y) {
    const __m128 inv = _mm_set1_ps(SERCE_Q8_INV);
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        const signed char *q0 = Q + (size_t)r * kpad, *q1 = q0 + kpad, *q2 = q1 + kpad, *q3 = q2 + kpad;
        __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            __m128i x0 = _mm_loadu_si128((const __m128i *)(xq + k)), x1 = _mm_loadu_si128((const __m128i *)(xq + k + 8));
            a0 = _mm_add_epi32(a0, q8_madd16(q0 + k, x0, x1));
            a1 = _mm_add_epi32(a1, q8_madd16(q1 + k, x0, x1));
            a2 = _mm_add_epi32(a2, q8_madd16(q2 + k, x0, x1));
            a3 = _mm_add_epi32(a3, q8_madd16(q3 + k, x0, x1));
        }
        /* lane i of s = the sum of a_i's four lanes (integers: any order) */
        __m128i u0 = _mm_add_epi32(_mm_unpacklo_epi32(a0, a1), _mm_unpackhi_epi32(a0, a1));
        __m128i u1 = _mm_add_epi32(_mm_unpacklo_epi32(a2, a3), _mm_unpackhi_epi32(a2, a3));
        __m128i s = _mm_add_epi32(_mm_unpacklo_epi64(u0, u1), _mm_unpackhi_epi64(u0, u1));
        _mm_storeu_ps(y + r, _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(s), _mm_loadu_ps(scale + r)), inv));
    }
    for (; r < rows; r++) {
        const signed char *q = Q + (size_t)r * kpad;
        __m128i a = _mm_setzero_si128();
        for (int k = 0; k < kpad; k += 16)
            a = _mm_add_epi32(a, q8_madd16(q + k, _mm_loadu_si128((const __m128i *)(xq + k)),
                                           _mm_loadu_si128((const __m128i *)(xq + k + 8))));
        a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(1, 0, 3, 2)));
        a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 3, 0, 1)));
        y[r] = ((float)_mm_cvtsi128_si32(a) * scale[r]) * SERCE_Q8_INV;
    }
}

#if defined(SERCE_HAVE_AVX2_Q8)
/* As matvec_q8_sse, 16 weights per instruction: vpmovsxbw widens them, vpmaddwd multiplies by the
 * 16 int16 inputs and adds pairs. Compiled with the target attribute (the build itself targets
 * baseline x86-64) and picked by serce_kernels_best() when the CPU has AVX2. */
__attribute__((target("avx2"))) static inline __m256i q8_madd16_avx2(const signed char *q, __m256i x) {
    return _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)q)), x);
}

__attribute__((target("avx2"))) static void matvec_q8_avx2(const signed char *Q, const float *scale, int rows, int kpad,
                                                            const int16_t *xq, float *y) {
    const __m128 inv = _mm_set1_ps(SERCE_Q8_INV);
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        const signed char *q0 = Q + (size_t)r * kpad, *q1 = q0 + kpad, *q2 = q1 + kpad, *q3 = q2 + kpad;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k));
            a0 = _mm256_add_epi32(a0, q8_madd16_avx2(q0 + k, x));
            a1 = _mm256_add_epi32(a1, q8_madd16_avx2(q1 + k, x));
            a2 = _mm256_add_epi32(a2, q8_madd16_avx2(q2 + k, x));
            a3 = _mm256_add_epi32(a3, q8_madd16_avx2(q3 + k, x));
        }
        /* per 128-bit half: [a0, a1, a2, a3] pair sums twice over; then the halves (integers: any order) */
        __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        _mm_storeu_ps(y + r, _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(s), _mm_loadu_ps(scale + r)), inv));
    }
    if (r < rows) matvec_q8_sse(Q + (size_t)r * kpad, scale + r, rows - r, kpad, xq, y + r);
}
#endif

/* Four 4-lane accumulators = the 16 canonical lanes; reduction in the canonical tree. */
static void matvec_sse(const float *W, int rows, int kpad, const float *x, float *y) {
    for (int r = 0; r < rows; r++) {
        const float *w = W + (size_t)r * kpad;
        __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(w + k), _mm_loadu_ps(x + k)));
            a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(w + k + 4), _mm_loadu_ps(x + k + 4)));
            a2 = _mm_add_ps(a2, _mm_mul_ps(_mm_loadu_ps(w + k + 8), _mm_loadu_ps(x + k + 8)));
            a3 = _mm_add_ps(a3, _mm_mul_ps(_mm_loadu_ps(w + k + 12), _mm_loadu_ps(x + k + 12)));
        }
        __m128 s4 = _mm_add_ps(_mm_add_ps(a0, a2), _mm_add_ps(a1, a3)); /* (j,j+8) then (j,j+4) */
        __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));               /* (j,j+2) */
        __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));          /* (0,1) */
        y[r] = _mm_cvtss_f32(s1);
    }
}
#endif

#if defined(SERCE_HAVE_AVX2_Q8)
/* The canonical order with 8-float registers: lo holds lanes 0-7, hi lanes 8-15 of the 16 (the same
 * products and sums as matvec_sse's four registers, so the same bits); four rows per pass share the
 * loads of x. No FMA: a fused multiply-add would round differently. */
__attribute__((target("avx2"))) static inline float reduce_avx2(__m256 lo, __m256 hi) {
    __m256 s8 = _mm256_add_ps(lo, hi);                                               /* (j, j+8) */
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1)); /* (j, j+4) */
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                              /* (j, j+2) */
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));                 /* (0, 1) */
}

__attribute__((target("avx2"))) static void matvec_avx2(const float *W, int rows, int kpad, const float *x, float *y) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = W + (size_t)r * kpad, *w1 = w0 + kpad, *w2 = w1 + kpad, *w3 = w2 + kpad;
        __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
        for (int k = 0; k < kpad; k += 16) {
            __m256 xl = _mm256_loadu_ps(x + k), xh = _mm256_loadu_ps(x + k + 8);
            l0 = _mm256_add_ps(l0, _mm256_mul_ps(_mm256_loadu_ps(w0 + k), xl));
            h0 = _mm256_add_ps(h0, _mm256_mul_ps(_mm256_loadu_ps(w0 + k + 8), xh));
            l1 = _mm256_add_ps(l1, _mm256_mul_ps(_mm256_loadu_ps(w1 + k), xl));
            h1 = _mm256_add_ps(h1, _mm256_mul_ps(_mm256_loadu_ps(w1 + k + 8), xh));
            l2 = _mm256_add_ps(l2, _mm256_mul_ps(_mm256_loadu_ps(w2 + k), xl));
            h2 = _mm256_add_ps(h2, _mm256_mul_ps(_mm256_loadu_ps(w2 + k + 8), xh));
            l3 = _mm256_add_ps(l3, _mm256_mul_ps(_mm256_loadu_ps(w3 + k), xl));
            h3 = _mm256_add_ps(h3, _mm256_mul_ps(_mm256_loadu_ps(w3 + k + 8), xh));
        }
        y[r] = reduce_avx2(l0, h0), y[r + 1] = reduce_avx2(l1, h1);
        y[r + 2] = reduce_avx2(l2, h2), y[r + 3] = reduce_avx2(l3, h3);
    }
    for (; r < rows; r++) {
        const float *w = W + (size_t)r * kpad;
        __m256 lo = _mm256_setzero_ps(), hi = lo;
        for (int k = 0; k < kpad; k += 16) {
            lo = _mm256_add_ps(lo, _mm256_mul_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(x + k)));
            hi = _mm256_add_ps(hi, _mm256_mul_ps(_mm256_loadu_ps(w + k + 8), _mm256_loadu_ps(x + k + 8)));
        }
        y[r] = reduce_avx2(lo, hi);
    }
}
#endif

#if defined(__wasm_simd128__)
static void matvec_simd128(const float *W, int rows, int kpad, const float *x, float *y) {
    for (int r = 0; r < rows; r++) {
        const float *w = W + (size_t)r * kpad;
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w + k), wasm_v128_load(x + k)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w + k + 4), wasm_v128_load(x + k + 4)));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w + k + 8), wasm_v128_load(x + k + 8)));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w + k + 12), wasm_v128_load(x + k + 12)));
        }
        v128_t s4 = wasm_f32x4_add(wasm_f32x4_add(a0, a2), wasm_f32x4_add(a1, a3));
        float l0 = wasm_f32x4_extract_lane(s4, 0), l1 = wasm_f32x4_extract_lane(s4, 1);
        float l2 = wasm_f32x4_extract_lane(s4, 2), l3 = wasm_f32x4_extract_lane(s4, 3);
        y[r] = (l0 + l2) + (l1 + l3);
    }
}
#endif

#if defined(__wasm_simd128__)
/* Four rows per pass, as the SSE variant: v128.load8x8_s sign-extends 8 weights to int16 on the load,
 * i32x4.dot_i16x8_s (pmaddwd) multiplies and adds pairs into int32. */
static inline v128_t q8_dot16(const signed char *q, v128_t x0, v128_t x1) {
    return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q), x0), wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(q + 8), x1));
}

static void matvec_q8_simd128(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq, float *y) {
    const v128_t inv = wasm_f32x4_splat(SERCE_Q8_INV);
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        const signed char *q0 = Q + (size_t)r * kpad, *q1 = q0 + kpad, *q2 = q1 + kpad, *q3 = q2 + kpad;
        v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < kpad; k += 16) {
            v128_t x0 = wasm_v128_load(xq + k), x1 = wasm_v128_load(xq + k + 8);
            a0 = wasm_i32x4_add(a0, q8_dot16(q0 + k, x0, x1));
            a1 = wasm_i32x4_add(a1, q8_dot16(q1 + k, x0, x1));
            a2 = wasm_i32x4_add(a2, q8_dot16(q2 + k, x0, x1));
            a3 = wasm_i32x4_add(a3, q8_dot16(q3 + k, x0, x1));
        }
        /* lane i of s = the sum of a_i's four lanes (integers: any order) */
        v128_t u0 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
        v128_t u1 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
        v128_t s = wasm_i32x4_add(wasm_i32x4_shuffle(u0, u1, 0, 1, 4, 5), wasm_i32x4_shuffle(u0, u1, 2, 3, 6, 7));
        wasm_v128_store(y + r, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(s), wasm_v128_load(scale + r)), inv));
    }
    for (; r < rows; r++) {
        const signed char *q = Q + (size_t)r * kpad;
        v128_t a = wasm_i32x4_splat(0);
        for (int k = 0; k < kpad; k += 16) a = wasm_i32x4_add(a, q8_dot16(q + k, wasm_v128_load(xq + k), wasm_v128_load(xq + k + 8)));
        int32_t acc = wasm_i32x4_extract_lane(a, 0) + wasm_i32x4_extract_lane(a, 1) + wasm_i32x4_extract_lane(a, 2) +
                      wasm_i32x4_extract_lane(a, 3);
        y[r] = ((float)acc * scale[r]) * SERCE_Q8_INV;
    }
}
#endif

/* ---------------------------------------------------------------- LSTM cell (generation) */

/* One source for each element-wise loop (restrict rows and branch-free math: compilers vectorise them
 * with SSE), inlined into the reference functions; the AVX2 and SIMD128 cells below use cell_body and
 * train_cell_body for their tails, and the AVX2 backward step is train_back_body compiled for AVX2.
 * The same operations per element everywhere, so the same bits. */
#if defined(__GNUC__) || defined(__clang__)
#define SERCE_BODY static inline __attribute__((always_inline))
#else
#define SERCE_BODY static inline
#endif

/* units [j0, H) of the generation cell (the SIMD variants do their tails with it) */
SERCE_BODY void cell_body(int H, int j0, const float *restrict gx, const float *restrict gh, const float *restrict b,
                          float *restrict c, float *restrict h) {
    for (int j = j0; j < H; j++) {
        float ig = serce_sigmoidf((gx[j] + gh[j]) + b[j]);
        float fg = serce_sigmoidf((gx[H + j] + gh[H + j]) + b[H + j]);
        float gg = serce_tanhf((gx[2 * H + j] + gh[2 * H + j]) + b[2 * H + j]);
        float og = serce_sigmoidf((gx[3 * H + j] + gh[3 * H + j]) + b[3 * H + j]);
        c[j] = (fg * c[j]) + (ig * gg);
        h[j] = og * serce_tanhf(c[j]);
    }
}

/* the gate rows as separate restrict pointers, so the compiler sees they do not overlap */
SERCE_BODY void train_cell_body(int H, float *restrict gi, float *restrict gf, float *restrict gg, float *restrict go,
                                const float *restrict cp, float *restrict c, float *restrict tc, float *restrict h) {
    for (int j = 0; j < H; j++) {
        float i_ = serce_sigmoidf(gi[j]), f_ = serce_sigmoidf(gf[j]);
        float g_ = serce_tanhf(gg[j]), o_ = serce_sigmoidf(go[j]);
        gi[j] = i_, gf[j] = f_, gg[j] = g_, go[j] = o_;
        c[j] = f_ * cp[j] + i_ * g_;
        tc[j] = serce_tanhf(c[j]);
        h[j] = o_ * tc[j];
    }
}

SERCE_BODY void train_back_body(int H, const float *restrict gi, const float *restrict gf, const float *restrict gg,
                                const float *restrict go, const float *restrict tc, const float *restrict cp,
                                const float *restrict dhup, const float *restrict dhn, float *restrict dcn,
                                float *restrict di, float *restrict df, float *restrict dgg, float *restrict dgo,
                                int reset) {
    for (int j = 0; j < H; j++) {
        float ig = gi[j], fg = gf[j], g_ = gg[j], og = go[j];
        float dh = dhup[j] + dhn[j];
        float dc = dcn[j] + dh * og * (1.0f - tc[j] * tc[j]);
        di[j] = dc * g_ * ig * (1.0f - ig);
        df[j] = dc * cp[j] * fg * (1.0f - fg);
        dgg[j] = dc * ig * (1.0f - g_ * g_);
        dgo[j] = dh * tc[j] * og * (1.0f - og);
        dcn[j] = reset ? 0.0f : dc * fg;
    }
}

void serce_cell_ref(int H, const float *restrict gx, const float *restrict gh, const float *restrict b,
                    float *restrict c, float *restrict h) {
    cell_body(H, 0, gx, gh, b, c, h);
}

void serce_train_cell_ref(int H, float *g, const float *cp, float *c, float *tc, float *h) {
    train_cell_body(H, g, g + H, g + 2 * H, g + 3 * H, cp, c, tc, h);
}

void serce_train_back_ref(int H, const float *g, const float *tc, const float *cp, const float *dhup, const float *dhn,
                          float *dcn, float *dg, int reset) {
    train_back_body(H, g, g + H, g + 2 * H, g + 3 * H, tc, cp, dhup, dhn, dcn, dg, dg + H, dg + 2 * H, dg + 3 * H, reset);
}

#if defined(SERCE_HAVE_AVX2_Q8)
/* The AVX2 variant: serce_expf / serce_tanhf / serce_sigmoidf eight lanes at a time, operation for
 * operation as mathf.h (blends for the ?:, truncating conversion, true division), so bit-identical
 * to it. (GCC 12 leaves the scalar loop unvectorised when it compiles it for AVX2.) */
#define AVX2 __attribute__((target("avx2"))) static inline
AVX2 __m256 sel8(__m256 mask, __m256 a, __m256 b) { return _mm256_blendv_ps(b, a, mask); }
#define F8(x) _mm256_set1_ps(x)

AVX2 __m256 expf8(__m256 x) {
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    __m256 xs = sel8(nan, F8(0.0f), x);
    xs = sel8(_mm256_cmp_ps(xs, F8(88.7f), _CMP_GT_OQ), F8(88.7f), xs);
    xs = sel8(_mm256_cmp_ps(xs, F8(-87.3f), _CMP_LT_OQ), F8(-87.3f), xs);
    __m256 t = _mm256_mul_ps(xs, F8(1.44269504088896341f));
    __m256 half = sel8(_mm256_cmp_ps(t, F8(0.0f), _CMP_GE_OQ), F8(0.5f), F8(-0.5f));
    __m256i n = _mm256_cvttps_epi32(_mm256_add_ps(t, half));
    __m256 fn = _mm256_cvtepi32_ps(n);
    __m256 r = _mm256_sub_ps(_mm256_sub_ps(xs, _mm256_mul_ps(fn, F8(0.693145751953125f))),
                             _mm256_mul_ps(fn, F8(1.42860682030941723212e-6f)));
    __m256 p = F8(1.0f / 5040.0f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f / 720.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f / 120.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f / 24.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f / 6.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(0.5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), F8(1.0f));
    /* n / 2 truncating toward zero, as C */
    __m256i n1 = _mm256_srai_epi32(_mm256_add_epi32(n, _mm256_srli_epi32(n, 31)), 1), n2 = _mm256_sub_epi32(n, n1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return sel8(nan, x, y);
}

AVX2 __m256 tanhf8(__m256 x) {
    __m256 neg = _mm256_cmp_ps(x, F8(0.0f), _CMP_LT_OQ);
    __m256 a = sel8(neg, _mm256_xor_ps(x, F8(-0.0f)), x); /* -x: the sign flipped, as C's unary minus */
    __m256 z = _mm256_mul_ps(a, a);
    __m256 p = F8(21844.0f / 6081075.0f);
    p = _mm256_sub_ps(_mm256_mul_ps(p, z), F8(1382.0f / 155925.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, z), F8(62.0f / 2835.0f));
    p = _mm256_sub_ps(_mm256_mul_ps(p, z), F8(17.0f / 315.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, z), F8(2.0f / 15.0f));
    p = _mm256_sub_ps(_mm256_mul_ps(p, z), F8(1.0f / 3.0f));
    __m256 small = _mm256_add_ps(a, _mm256_mul_ps(_mm256_mul_ps(a, z), p));
    __m256 big9 = _mm256_cmp_ps(a, F8(9.0f), _CMP_GT_OQ);
    __m256 ac = sel8(big9, F8(9.0f), a);
    __m256 e = expf8(_mm256_mul_ps(F8(2.0f), ac));
    __m256 big = _mm256_sub_ps(F8(1.0f), _mm256_div_ps(F8(2.0f), _mm256_add_ps(e, F8(1.0f))));
    __m256 y = sel8(_mm256_cmp_ps(a, F8(0.4f), _CMP_LT_OQ), small, big);
    y = sel8(big9, F8(1.0f), y);
    y = sel8(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x, y);
    return sel8(neg, _mm256_xor_ps(y, F8(-0.0f)), y);
}

AVX2 __m256 sigmoidf8(__m256 x) {
    return _mm256_div_ps(F8(1.0f), _mm256_add_ps(F8(1.0f), expf8(_mm256_xor_ps(x, F8(-0.0f)))));
}

#define LD(p) _mm256_loadu_ps(p)
__attribute__((target("avx2"))) static void serce_cell_avx2(int H, const float *gx, const float *gh, const float *b,
                                                             float *c, float *h) {
    int j = 0;
    for (; j + 8 <= H; j += 8) {
#define PRE(o) _mm256_add_ps(_mm256_add_ps(LD(gx + (o) + j), LD(gh + (o) + j)), LD(b + (o) + j))
        __m256 ig = sigmoidf8(PRE(0)), fg = sigmoidf8(PRE(H)), gg = tanhf8(PRE(2 * H)), og = sigmoidf8(PRE(3 * H));
#undef PRE
        __m256 cn = _mm256_add_ps(_mm256_mul_ps(fg, LD(c + j)), _mm256_mul_ps(ig, gg));
        _mm256_storeu_ps(c + j, cn);
        _mm256_storeu_ps(h + j, _mm256_mul_ps(og, tanhf8(cn)));
    }
    cell_body(H, j, gx, gh, b, c, h); /* the tail, one value at a time: the reference's code */
}

__attribute__((target("avx2"))) static void serce_train_cell_avx2(int H, float *g, const float *cp, float *c, float *tc,
                                                                   float *h) {
    int j = 0;
    for (; j + 8 <= H; j += 8) {
        __m256 i_ = sigmoidf8(LD(g + j)), f_ = sigmoidf8(LD(g + H + j));
        __m256 g_ = tanhf8(LD(g + 2 * H + j)), o_ = sigmoidf8(LD(g + 3 * H + j));
        _mm256_storeu_ps(g + j, i_);
        _mm256_storeu_ps(g + H + j, f_);
        _mm256_storeu_ps(g + 2 * H + j, g_);
        _mm256_storeu_ps(g + 3 * H + j, o_);
        __m256 cn = _mm256_add_ps(_mm256_mul_ps(f_, LD(cp + j)), _mm256_mul_ps(i_, g_));
        __m256 t = tanhf8(cn);
        _mm256_storeu_ps(c + j, cn);
        _mm256_storeu_ps(tc + j, t);
        _mm256_storeu_ps(h + j, _mm256_mul_ps(o_, t));
    }
    if (j < H) train_cell_body(H - j, g + j, g + H + j, g + 2 * H + j, g + 3 * H + j, cp + j, c + j, tc + j, h + j);
}
#undef LD
#undef F8
#undef AVX2

/* the backward step has no exp or tanh: the compiler vectorises it for AVX2 itself */
__attribute__((target("avx2"))) static void serce_train_back_avx2(int H, const float *g, const float *tc, const float *cp,
                                                                   const float *dhup, const float *dhn, float *dcn,
                                                                   float *dg, int reset) {
    train_back_body(H, g, g + H, g + 2 * H, g + 3 * H, tc, cp, dhup, dhn, dcn, dg, dg + H, dg + 2 * H, dg + 3 * H,
                    reset);
}
#endif

#if defined(__wasm_simd128__)
/* serce_expf / serce_tanhf / serce_sigmoidf four lanes at a time, operation for operation (selects
 * for the ?:, C's truncating conversion and division): bit-identical to mathf.h. Emscripten 3.1.6
 * leaves the scalar loop unvectorised, and the gates were 20-60 % of a generation step. */
static inline v128_t sel4(v128_t mask, v128_t a, v128_t b) { return wasm_v128_bitselect(a, b, mask); }

static inline v128_t expf4(v128_t x) {
    v128_t xs = sel4(wasm_f32x4_ne(x, x), wasm_f32x4_splat(0.0f), x);
    xs = sel4(wasm_f32x4_gt(xs, wasm_f32x4_splat(88.7f)), wasm_f32x4_splat(88.7f), xs);
    xs = sel4(wasm_f32x4_lt(xs, wasm_f32x4_splat(-87.3f)), wasm_f32x4_splat(-87.3f), xs);
    v128_t t = wasm_f32x4_mul(xs, wasm_f32x4_splat(1.44269504088896341f));
    v128_t half = sel4(wasm_f32x4_ge(t, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(0.5f), wasm_f32x4_splat(-0.5f));
    v128_t n = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(t, half));
    v128_t fn = wasm_f32x4_convert_i32x4(n);
    v128_t r = wasm_f32x4_sub(wasm_f32x4_sub(xs, wasm_f32x4_mul(fn, wasm_f32x4_splat(0.693145751953125f))),
                              wasm_f32x4_mul(fn, wasm_f32x4_splat(1.42860682030941723212e-6f)));
    v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
    /* n / 2 truncating toward zero, as C */
    v128_t n1 = wasm_i32x4_shr(wasm_i32x4_add(n, wasm_u32x4_shr(n, 31)), 1), n2 = wasm_i32x4_sub(n, n1);
    v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
    v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
    v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
    return sel4(wasm_f32x4_ne(x, x), x, y);
}

static inline v128_t tanhf4(v128_t x) {
    v128_t neg = wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f));
    v128_t a = sel4(neg, wasm_f32x4_neg(x), x);
    v128_t z = wasm_f32x4_mul(a, a);
    v128_t p = wasm_f32x4_splat(21844.0f / 6081075.0f);
    p = wasm_f32x4_sub(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1382.0f / 155925.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(62.0f / 2835.0f));
    p = wasm_f32x4_sub(wasm_f32x4_mul(p, z), wasm_f32x4_splat(17.0f / 315.0f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.0f / 15.0f));
    p = wasm_f32x4_sub(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.0f / 3.0f));
    v128_t small = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_mul(a, z), p));
    v128_t nine = wasm_f32x4_splat(9.0f), one = wasm_f32x4_splat(1.0f);
    v128_t big9 = wasm_f32x4_gt(a, nine);
    v128_t ac = sel4(big9, nine, a);
    v128_t e = expf4(wasm_f32x4_mul(wasm_f32x4_splat(2.0f), ac));
    v128_t big = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
    v128_t y = sel4(wasm_f32x4_lt(a, wasm_f32x4_splat(0.4f)), small, big);
    y = sel4(big9, one, y);
    y = sel4(wasm_f32x4_ne(x, x), x, y);
    return sel4(neg, wasm_f32x4_neg(y), y);
}

static inline v128_t sigmoidf4(v128_t x) {
    v128_t one = wasm_f32x4_splat(1.0f);
    return wasm_f32x4_div(one, wasm_f32x4_add(one, expf4(wasm_f32x4_neg(x))));
}

static void cell_simd128(int H, const float *gx, const float *gh, const float *b, float *c, float *h) {
    int j = 0;
    for (; j + 4 <= H; j += 4) {
#define PRE(o) \
    wasm_f32x4_add(wasm_f32x4_add(wasm_v128_load(gx + (o) + j), wasm_v128_load(gh + (o) + j)), wasm_v128_load(b + (o) + j))
        v128_t ig = sigmoidf4(PRE(0)), fg = sigmoidf4(PRE(H)), gg = tanhf4(PRE(2 * H)), og = sigmoidf4(PRE(3 * H));
#undef PRE
        v128_t cn = wasm_f32x4_add(wasm_f32x4_mul(fg, wasm_v128_load(c + j)), wasm_f32x4_mul(ig, gg));
        wasm_v128_store(c + j, cn);
        wasm_v128_store(h + j, wasm_f32x4_mul(og, tanhf4(cn)));
    }
    cell_body(H, j, gx, gh, b, c, h); /* the tail, one value at a time: the reference's code */
}
#endif

/* ---------------------------------------------------------------- the table */

#define SERCE_ELEMENTWISE_REF "ref", serce_train_cell_ref, serce_train_back_ref
static const serce_kernels k_ref = {"ref", serce_gemm_ref, "ref", serce_matvec_ref, serce_matvec_q8_ref, "ref",
                                    serce_cell_ref, SERCE_ELEMENTWISE_REF};
#if defined(SERCE_HAVE_BLAS)
#define SERCE_BEST_GEMM "openblas", gemm_blas
#else
#define SERCE_BEST_GEMM "ref", serce_gemm_ref
#endif
static const serce_kernels k_best = {
    SERCE_BEST_GEMM,
#if defined(__wasm_simd128__)
    "simd128", matvec_simd128, matvec_q8_simd128, "simd128", cell_simd128, "simd128", serce_train_cell_ref,
    serce_train_back_ref,
#elif defined(SERCE_HAVE_SSE)
    "sse", matvec_sse, matvec_q8_sse, "sse2", serce_cell_ref, SERCE_ELEMENTWISE_REF,
#else
    "ref", serce_matvec_ref, serce_matvec_q8_ref, "ref", serce_cell_ref, SERCE_ELEMENTWISE_REF,
#endif
};
#if defined(SERCE_HAVE_AVX2_Q8)
static const serce_kernels k_avx2 = {SERCE_BEST_GEMM, "avx2",          matvec_avx2,         matvec_q8_avx2, "avx2",
                                     serce_cell_avx2, "avx2",        serce_train_cell_avx2, serce_train_back_avx2};
static int cpu_avx2(void) { return __builtin_cpu_supports("avx2") != 0; }
#endif

const serce_kernels *serce_kernels_ref(void) { return &k_ref; }
const serce_kernels *serce_kernels_best(void) {
#if defined(SERCE_HAVE_AVX2_Q8)
    if (cpu_avx2()) return &k_avx2;
#endif
    return &k_best;
}

int serce_kernels_all(const serce_kernels **out, int max) {
    int n = 0;
    if (n < max) out[n++] = &k_ref;
    if (n < max && (k_best.gemm != k_ref.gemm || k_best.matvec != k_ref.matvec || k_best.matvec_q8 != k_ref.matvec_q8 ||
                     k_best.cell != k_ref.cell || k_best.train_cell != k_ref.train_cell))
        out[n++] = &k_best;
#if defined(SERCE_HAVE_AVX2_Q8)
    if (n < max && cpu_avx2()) out[n++] = &k_avx2;
#endif
    return n;
}
