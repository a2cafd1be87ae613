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
 * Not here: threads (the caller splits rows), anything model-specific.
 */
#ifndef SERCE_KERNELS_H
#define SERCE_KERNELS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SERCE_LANES 16
static inline int serce_pad16(int k) { return (k + SERCE_LANES - 1) / SERCE_LANES * SERCE_LANES; }

typedef void (*serce_gemm_fn)(int transA, int transB, int M, int N, int K, float alpha,
                              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* W [rows, kpad] row-major, kpad % 16 == 0; x [kpad]; y [rows] = W x (canonical order) */
typedef void (*serce_matvec_fn)(const float *W, int rows, int kpad, const float *x, float *y);

/* int8 weights, one scale per row: y[r] = scale[r] * dot(float(Q[r,:]), x) with the dot in the
 * canonical order (each product float(q) * x rounded, then the 16-lane sums). Deterministic like
 * matvec; reads a quarter of the bytes. Q [rows, kpad] zero-padded. */
typedef void (*serce_matvec_q8_fn)(const signed char *Q, const float *scale, int rows, int kpad, const float *x,
                                   float *y);

/* One LSTM cell update for generation, in place:
 *   pre = (gx + gh) + b per gate (i, f, g, o blocks of H);  c = (f * c) + (i * g);  h = o * tanh(c)
 * with the core's own sigmoid/tanh (mathf.h), element for element the same operations in every
 * variant (the simd128 one does four lanes at a time), so the bits are identical. */
typedef void (*serce_cell_fn)(int H, const float *gx, const float *gh, const float *b, float *c, float *h);

typedef struct {
    const char *gemm_name;
    serce_gemm_fn gemm;
    const char *matvec_name;
    serce_matvec_fn matvec;
    serce_matvec_q8_fn matvec_q8;
    serce_cell_fn cell;
} serce_kernels;

/* The plain C reference kernels (the oracle). */
void serce_gemm_ref(int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
void serce_matvec_ref(const float *W, int rows, int kpad, const float *x, float *y);
void serce_cell_ref(int H, const float *gx, const float *gh, const float *b, float *c, float *h);
void serce_matvec_q8_ref(const signed char *Q, const float *scale, int rows, int kpad, const float *x, float *y);

/* The fastest variants compiled into this build (BLAS gemm if present; SIMD matvec if present). */
const serce_kernels *serce_kernels_best(void);
/* The reference variants. */
const serce_kernels *serce_kernels_ref(void);
/* Every variant compiled in, for the tests: returns the count, fills up to max. */
int serce_kernels_all(const serce_kernels **out, int max);

#ifdef __cplusplus
}
#endif
#endif
