/* check.h — the tiny assertion kit of the C tests.
 * CHECK(cond, fmt, ...) records a failure and goes on; a test's main() ends with
 * `return check_report("name");`, which prints "name: N passed, M failed" and returns non-zero on
 * any failure (unlike llm.c's test, a failing check fails the process). */
#ifndef SERCE_CHECK_H
#define SERCE_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_pass_, check_fail_;
#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (cond) check_pass_++;                                                      \
        else {                                                                        \
            check_fail_++;                                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fprintf(stderr, "\n");                                                    \
        }                                                                             \
    } while (0)
#define CHECK_STR_CONTAINS(hay, needle) \
    CHECK((hay) && strstr((hay), (needle)) != NULL, "'%s' does not contain '%s'", (hay) ? (hay) : "(null)", (needle))

/* relative error with a floor, as in PyTorch's allclose spirit: |a-b| / max(|a|,|b|,floor) */
static inline double check_relerr(double a, double b, double floor_) {
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    if (m < floor_) m = floor_;
    return fabs(a - b) / m;
}

static inline int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_pass_, check_fail_);
    return check_fail_ ? 1 : 0;
}
#endif
