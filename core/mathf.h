/* mathf.h — the core's own exp, tanh and sigmoid.
 *
 * Why not libm: generation must give byte-identical text natively and in every browser
 * (exact permalinks), and glibc's expf, musl's (Emscripten) and V8's differ in the last bit.
 * These use only IEEE-754 +,-,*,/ in a fixed order (the core is built with -ffp-contract=off),
 * so every conforming platform computes the same bits. Accuracy: a few ulp (tests/test_mathf.c).
 * Not here: vector versions (the kernels call these per element).
 */
#ifndef SERCE_MATHF_H
#define SERCE_MATHF_H
#include <stdint.h>
#include <string.h>

/* Branch-free (selects, not jumps) so that compilers vectorise the loops that call these; the
 * result is the same whether a value is computed in a vector lane or alone. */
static inline float serce_expf(float x) {
    /* e^x = 2^n * e^r, n = round(x / ln2), r = x - n ln2 (Cody-Waite split), |r| <= ln2/2 */
    float xs = x != x ? 0.0f : x; /* NaN: computed as 0, returned as NaN below */
    xs = xs > 88.7f ? 88.7f : xs;
    xs = xs < -87.3f ? -87.3f : xs;
    float t = xs * 1.44269504088896341f;
    int n = (int)(t + (t >= 0.0f ? 0.5f : -0.5f));
    float fn = (float)n;
    float r = (xs - fn * 0.693145751953125f) - fn * 1.42860682030941723212e-6f;
    /* degree-7 Taylor polynomial of e^r in Horner form: relative error < 2e-9 on |r| <= 0.347 */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* scale by 2^n in two halves so that n down to -126 stays exact */
    int n1 = n / 2, n2 = n - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    float y = p * s1 * s2;
    return x != x ? x : y;
}

static inline float serce_tanhf(float x) {
    float a = x < 0.0f ? -x : x;
    /* small |x|: odd Taylor series to x^13, relative error < 3e-8 on |x| < 0.4 */
    float z = a * a;
    float p = 21844.0f / 6081075.0f;
    p = p * z - 1382.0f / 155925.0f;
    p = p * z + 62.0f / 2835.0f;
    p = p * z - 17.0f / 315.0f;
    p = p * z + 2.0f / 15.0f;
    p = p * z - 1.0f / 3.0f;
    float small = a + a * z * p;
    /* otherwise 1 - 2 / (e^{2|x|} + 1), which is 1.0f in float beyond |x| = 9 */
    float ac = a > 9.0f ? 9.0f : a;
    float big = 1.0f - 2.0f / (serce_expf(2.0f * ac) + 1.0f);
    float y = a < 0.4f ? small : big;
    y = a > 9.0f ? 1.0f : y;
    y = x != x ? x : y;
    return x < 0.0f ? -y : y;
}

static inline float serce_sigmoidf(float x) { return 1.0f / (1.0f + serce_expf(-x)); }

#endif
