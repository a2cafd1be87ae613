/* kernels.h — the matrix products behind one small table of function pointers.
 *
 * Two kinds of product:
 *  - gemm, for training and batched evaluation: C[M,N] = alpha * op(A) op(B) + beta * C, row-major.
 *    Variants: "ref" (plain C, the oracle, always compiled) and "blas" (OpenBLAS, when CMake finds
 *    it). Summation order may differ between variants; tests compare them within float tolerance.
 *  - matvec, for generation: y[r] = dot(W[r,:], x) in the *canonical order*: 16 lanes, element k
 *    added into lane k % 16, lanes reduced as ((l[j] + l[j+8]) for j<8), then (j, j+4), (j, j+2),
 *    (0, 1). Rows are packed to a multiple of 16 columns, zero-padded (x padded likewise), so every
 *    variant ("ref" scalar, "sse" x86, "simd128" wasm) produces bit-identical results. That is what
 *    makes a permalink give the same lyrics natively and in every browser. Tests check variants
 *    against "ref" for exact equality.
 *  - matvec_q8, generation with int8 weights: integer x integer. The input (always an LSTM hidden
 *    state, |h| < 1) is quantised with the fixed scale 127 (serce_quantize_unit), the dot products
 *    are exact int32 sums, and only the final scaling is float, in one fixed order. Integer sums do
 *    not depend on their order, so every variant is bit-identical by construction (tests check it).
 * Not here: threads (the caller splits rows), anything model-specific.
 */
#ifndef SERCE_KERNELS_H
#define SERCE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SERCE_LANES 16
static inline int serce_pad16(int k) { return (k + SERCE_LANES - 1) / SERCE_LANES * SERCE_LANES; }

typedef void (*serce_gemm_fn)(int transA, int transB, int M, int N, int K, float alpha,
                              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* W [rows, kpad] row-major, kpad % 16 == 0; x [kpad]; y [rows] = W x (canonical order) */
typedef void (*serce_matvec_fn)(const float *W, int rows, int kpad, const float *x, float *y);

/* int8 weights, one scale per row, times a quantised input vector:
 *   acc[r] = sum_k Q[r,k] * xq[k]  exactly, in int32;   y[r] = ((float)acc[r] * scale[r]) * (1.0f / 127.0f)
 * Q [rows, kpad] row-major, kpad % 16 == 0, zero-padded (serce_model_quantize writes [-127, 127]);
 * xq [kpad] from serce_quantize_unit (values in [-127, 127], padding 0), stored as int16 so the SIMD
 * variants multiply it without widening it again for every row. |acc| <= kpad * 128 * 127 < 2^31 for
 * kpad <= SERCE_MAX_DIM, and two adjacent products sum to at most 2 * 128 * 127 < 2^15: the int16 x
 * int16 -> int32 pair products (pmaddwd, i32x4.dot_i16x8) are exact for any int8 weight. */
typedef void (*serce_matvec_q8_fn)(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq,
                                   float *y);

/* One LSTM cell update for generation, in place:
 *   pre = (gx + gh) + b per gate (i, f, g, o blocks of H);  c = (f * c) + (i * g);  h = o * tanh(c)
 * with the core's own sigmoid/tanh (mathf.h), element for element the same operations in every
 * variant (the simd128 one does four lanes at a time, the AVX2 one eight), so the bits are identical. */
typedef void (*serce_cell_fn)(int H, const float *gx, const float *gh, const float *b, float *c, float *h);

/* Training's element-wise LSTM work for one row of H units (model.c calls them per batch row):
 *  train_cell: g [4H] pre-activations -> activations in place (i, f, o sigmoid; g tanh), then
 *              c = (f * cp) + (i * g), tc = tanh(c), h = o * tc
 *  train_back: dh = dhup + dhn; dc = dcn + dh * o * (1 - tc^2); the pre-activation gradients dg [4H];
 *              dcn = dc * f (0 when the stream was reset at this step)
 * The AVX2 variants do the same IEEE operations per element, eight at a time (no FMA), so the same
 * bits, which the tests check. */
typedef void (*serce_train_cell_fn)(int H, float *g, const float *cp, float *c, float *tc, float *h);
typedef void (*serce_train_back_fn)(int H, const float *g, const float *tc, const float *cp, const float *dhup,
                                    const float *dhn, float *dcn, float *dg, int reset);

typedef struct {
    const char *gemm_name;
    serce_gemm_fn gemm;
    const char *matvec_name;
    serce_matvec_fn matvec;
    serce_matvec_q8_fn matvec_q8;
    const char *matvec_q8_name;
    serce_cell_fn cell;
    const char *elementwise_name; /* the cells' and training's element-wise code: "ref", "avx2", "simd128" */
    serce_train_cell_fn train_cell;
    serce_train_back_fn train_back;
} serce_kernels;

/* The plain C reference kernels (the oracle). */
void serce_gemm_ref(int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
void serce_matvec_ref(const float *W, int rows, int kpad, const float *x, float *y);
void serce_cell_ref(int H, const float *gx, const float *gh, const float *b, float *c, float *h);
void serce_train_cell_ref(int H, float *g, const float *cp, float *c, float *tc, float *h);
void serce_train_back_ref(int H, const float *g, const float *tc, const float *cp, const float *dhup, const float *dhn,
                          float *dcn, float *dg, int reset);
void serce_matvec_q8_ref(const signed char *Q, const float *scale, int rows, int kpad, const int16_t *xq, float *y);

/* xq[i] = clamp(floor(x[i] * 127.0f + 0.5f), -127, 127) for i < n (NaN -> 0): each step one IEEE
 * float operation (no FMA: the build uses -ffp-contract=off), so every platform gets the same values.
 * Entries from n on are not touched (the caller keeps the padding zero). */
void serce_quantize_unit(const float *x, int n, int16_t *xq);

/* int8 weights times a FLOAT vector, for what is computed once per model and not per character (the
 * embedding projection of layer 0): y[r] = scale[r] * dot(float(Q[r,:]), x), the dot in the canonical
 * order (each product float(q) * x rounded, then the 16-lane sums). One plain C version. */
void serce_matvec_q8f(const signed char *Q, const float *scale, int rows, int kpad, const float *x, float *y);

/* The fastest variants compiled into this build (BLAS gemm if present; SIMD matvec if present). On
 * x86 with GCC or clang the int8 matvec is chosen when the program runs: AVX2 if the CPU has it, else
 * SSE2 (integer sums: the same bits either way). */
const serce_kernels *serce_kernels_best(void);
/* The reference variants. */
const serce_kernels *serce_kernels_ref(void);
/* Every variant compiled in, for the tests: returns the count, fills up to max. */
int serce_kernels_all(const serce_kernels **out, int max);

#ifdef __cplusplus
}
#endif
#endif
