/* test_mathf.c — the core's own exp, tanh and sigmoid (core/mathf.h) against libm in double.
 *
 * A dense sweep (2 million points over [-100, 100], plus fine sweeps near 0 and logarithmic sweeps
 * down to the subnormals) measures the maximum relative error of each function where its result
 * is a normal float, and prints it. Bounds: exp <= 4e-7 over its range [-87.3, 88.7] (outside it the
 * argument is clamped, which the special-value checks pin down), tanh <= 1e-6 (relative with the
 * floor FLT_MIN, i.e. absolute only for subnormal results), sigmoid <= 1e-6 while the result is a
 * normal float. Then special values: 0, -0, +-large, +-inf, NaN, odd symmetry of tanh, ranges.
 * These bounds are what the generation math relies on; if they fail, fix core/mathf.h (only
 * + - * / in a fixed order), never the bound. */
#include "check.h"
#include "mathf.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    double max_rel;  /* worst relative error seen */
    float at;        /* where */
    long n;          /* points measured */
} errstat;

static double relerr(double got, double ref) {
    double m = fabs(ref) > FLT_MIN ? fabs(ref) : FLT_MIN;
    return fabs(got - ref) / m;
}

static void note(errstat *s, float x, double got, double ref) {
    double e = relerr(got, ref);
    s->n++;
    if (e > s->max_rel || e != e) {
        s->max_rel = e != e ? INFINITY : e;
        s->at = x;
    }
}

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* one point for all three functions, each where its bound applies */
static void measure(float x, errstat *se, errstat *st, errstat *ss) {
    if (x >= -87.3f && x <= 88.7f) {
        double r = exp((double)x);
        if (r >= FLT_MIN) note(se, x, serce_expf(x), r);
    }
    note(st, x, serce_tanhf(x), tanh((double)x));
    double rs = ref_sigmoid((double)x);
    if (rs >= FLT_MIN) note(ss, x, serce_sigmoidf(x), rs);
}

static int is_nan(float x) { return x != x; }

static void test_special(void) {
    CHECK(serce_expf(0.0f) == 1.0f, "exp(0) = %.9g", serce_expf(0.0f));
    CHECK(serce_expf(-0.0f) == 1.0f, "exp(-0) = %.9g", serce_expf(-0.0f));
    CHECK(serce_tanhf(0.0f) == 0.0f && !signbit(serce_tanhf(0.0f)), "tanh(0) = %.9g", serce_tanhf(0.0f));
    /* tanh(-0) is +0 rather than -0 (a zero of either sign changes nothing downstream: it is only
     * multiplied and added) */
    CHECK(serce_tanhf(-0.0f) == 0.0f, "tanh(-0) = %.9g", serce_tanhf(-0.0f));
    CHECK(serce_sigmoidf(0.0f) == 0.5f, "sigmoid(0) = %.9g", serce_sigmoidf(0.0f));
    CHECK(relerr(serce_expf(1.0f), exp(1.0)) < 2.4e-7, "exp(1) = %.9g", serce_expf(1.0f));

    /* NaN propagates */
    float nan = NAN;
    CHECK(is_nan(serce_expf(nan)), "exp(NaN) = %g", serce_expf(nan));
    CHECK(is_nan(serce_tanhf(nan)), "tanh(NaN) = %g", serce_tanhf(nan));
    CHECK(is_nan(serce_sigmoidf(nan)), "sigmoid(NaN) = %g", serce_sigmoidf(nan));

    /* large arguments: exp clamps its argument to [-87.3, 88.7], so it stays finite and positive
     * (softmax and sigmoid never need more); tanh and sigmoid saturate exactly */
    float big[] = {88.7f, 89.0f, 100.0f, 1e10f, FLT_MAX, INFINITY};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        float x = big[i];
        float e = serce_expf(x), en = serce_expf(-x);
        CHECK(isfinite(e) && e >= 3.0e38f, "exp(%g) = %g: finite and at the clamp", x, e);
        CHECK(en > 0.0f && en <= 1.3e-38f, "exp(%g) = %g: tiny and positive", -x, en);
        CHECK(serce_tanhf(x) == 1.0f && serce_tanhf(-x) == -1.0f, "tanh(+-%g) = %g, %g", x, serce_tanhf(x),
              serce_tanhf(-x));
        CHECK(serce_sigmoidf(x) == 1.0f, "sigmoid(%g) = %.9g", x, serce_sigmoidf(x));
        CHECK(serce_sigmoidf(-x) >= 0.0f && serce_sigmoidf(-x) < 1e-38f, "sigmoid(%g) = %g", -x, serce_sigmoidf(-x));
    }
    /* the clamp points themselves are in range and accurate */
    CHECK(relerr(serce_expf(88.7f), exp((double)88.7f)) <= 4e-7, "exp(88.7) = %.9g vs %.9g", serce_expf(88.7f),
          exp((double)88.7f));
    CHECK(relerr(serce_expf(-87.3f), exp((double)-87.3f)) <= 4e-7, "exp(-87.3) = %.9g vs %.9g", serce_expf(-87.3f),
          exp((double)-87.3f));
    /* tiny arguments */
    float tiny[] = {FLT_MIN, 1e-30f, 1e-10f, 1e-9f, FLT_TRUE_MIN, 1e-40f};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        float x = tiny[i];
        CHECK(serce_tanhf(x) == x && serce_tanhf(-x) == -x, "tanh(%g) = %g", x, serce_tanhf(x));
        CHECK(serce_expf(x) == 1.0f && serce_expf(-x) <= 1.0f && serce_expf(-x) >= 1.0f - FLT_EPSILON, "exp(+-%g)", x);
        CHECK(serce_sigmoidf(x) == 0.5f || fabs(serce_sigmoidf(x) - 0.5) <= 6e-8, "sigmoid(%g) = %.9g", x,
              serce_sigmoidf(x));
    }
}

/* tanh is odd by construction (bit-exactly, zero aside: tanh(-0) = +0); ranges hold everywhere */
static void test_properties(void) {
    long odd_bad = 0, range_bad = 0;
    for (long i = 0; i <= 2000000; i++) {
        float x = -100.0f + (float)i * 1e-4f;
        float t = serce_tanhf(x), tn = serce_tanhf(-x), s = serce_sigmoidf(x), e = serce_expf(x);
        uint32_t a, b;
        float mt = -tn;
        memcpy(&a, &t, 4);
        memcpy(&b, &mt, 4);
        odd_bad += x != 0.0f ? a != b : t != mt;
        range_bad += !(t >= -1.0f && t <= 1.0f) || !(s >= 0.0f && s <= 1.0f) || !(e > 0.0f && isfinite(e));
    }
    CHECK(odd_bad == 0, "tanh(-x) != -tanh(x) at %ld points", odd_bad);
    CHECK(range_bad == 0, "%ld points outside the functions' ranges", range_bad);
}

int main(void) {
    errstat se = {"exp", 0, 0, 0}, st = {"tanh", 0, 0, 0}, ss = {"sigmoid", 0, 0, 0};
    /* 2,000,001 points across [-100, 100] */
    for (long i = 0; i <= 2000000; i++) measure((float)(-100.0 + (double)i * 1e-4), &se, &st, &ss);
    /* fine near 0: 400,001 points across [-0.02, 0.02] and around the tanh branch point 0.4 */
    for (long i = 0; i <= 400000; i++) {
        measure((float)(-0.02 + (double)i * 1e-7), &se, &st, &ss);
        float a = (float)(0.38 + (double)i * 1e-7);
        measure(a, &se, &st, &ss);
        measure(-a, &se, &st, &ss);
    }
    /* every float next to the branch points and the clamps */
    float edges[] = {0.4f, 9.0f, 88.7f, -87.3f, 0.0f};
    for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++) {
        float x = edges[k], y = edges[k];
        for (int j = 0; j < 1000; j++) {
            measure(x, &se, &st, &ss);
            measure(y, &se, &st, &ss);
            measure(-x, &se, &st, &ss);
            x = nextafterf(x, INFINITY);
            y = nextafterf(y, -INFINITY);
        }
    }
    /* logarithmic: |x| from 1e-44 (subnormal) to 100, both signs */
    for (int i = 0; i <= 200000; i++) {
        float x = (float)pow(10.0, -44.0 + 46.0 * i / 200000.0);
        measure(x, &se, &st, &ss);
        measure(-x, &se, &st, &ss);
    }
    errstat *all[] = {&se, &st, &ss};
    for (int i = 0; i < 3; i++)
        printf("%-8s max relative error %.3e (%.2f x 2^-24) at x = %.9g over %ld points\n", all[i]->name,
               all[i]->max_rel, all[i]->max_rel / 5.9604644775390625e-08, all[i]->at, all[i]->n);
    CHECK(se.max_rel <= 4e-7, "exp: max relative error %.3e at x = %.9g (bound 4e-7)", se.max_rel, se.at);
    CHECK(st.max_rel <= 1e-6, "tanh: max relative error %.3e at x = %.9g (bound 1e-6)", st.max_rel, st.at);
    CHECK(ss.max_rel <= 1e-6, "sigmoid: max relative error %.3e at x = %.9g (bound 1e-6)", ss.max_rel, ss.at);
    test_special();
    test_properties();
    return check_report("test_mathf");
}
