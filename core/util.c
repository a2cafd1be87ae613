/* util.c — errors, the fault-injectable allocator and the growable byte buffer.
 *
 * Role: the small shared plumbing of the core. Not here: anything model-specific.
 * The allocator counts allocations so a test can make the k-th fail (tests/test_alloc.c loops
 * over k through load, train step and sample and checks every failure is clean).
 */
#include "serce.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const serce_errstr[SERCE_ERR_COUNT] = {
    [SERCE_OK] = "success",
    [SERCE_ERR_NOMEM] = "out of memory",
    [SERCE_ERR_ARG] = "invalid argument",
    [SERCE_ERR_IO] = "input/output error",
    [SERCE_ERR_UTF8] = "invalid UTF-8",
    [SERCE_ERR_CORPUS] = "unusable corpus",
    [SERCE_ERR_FORMAT] = "invalid model file",
    [SERCE_ERR_JSON] = "invalid JSON",
    [SERCE_ERR_DTYPE] = "wrong tensor dtype",
    [SERCE_ERR_SHAPE] = "wrong tensor shape",
    [SERCE_ERR_VOCAB] = "vocabulary mismatch",
    [SERCE_ERR_NUMERIC] = "numeric failure (NaN or infinity)",
    [SERCE_ERR_LIMIT] = "size limit exceeded",
    [SERCE_ERR_STOPPED] = "stopped on request",
};

const char *serce_strerror(int code) {
    if (code < 0 || code >= SERCE_ERR_COUNT) return "unknown error";
    return serce_errstr[code];
}

/* A message cut by vsnprintf may end in half a UTF-8 character (a long path, a quoted Turkish word):
 * drop the partial character so the message stays valid UTF-8 for terminals and the page. */
static void utf8_trim_cut(char *s, size_t n) {
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
    if (i == 0) return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < need) s[i - 1] = 0;
}

int (serce_fail)(serce_error *err, int code, const char *fmt, ...) { /* (name): not the analyzer macro of serce.h */
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        if (k >= (int)sizeof err->msg) utf8_trim_cut(err->msg, sizeof err->msg - 1);
    }
    return code;
}

/* ---------------------------------------------------------------- allocation */

static long alloc_fail_at = 0;  /* 0: never fail */
static long alloc_count = 0;

void serce_alloc_fail_at(long k) {
    alloc_fail_at = k;
    alloc_count = 0;
}

long serce_alloc_count(void) { return alloc_count; }

static int alloc_should_fail(void) {
    alloc_count++;
    return alloc_fail_at > 0 && alloc_count == alloc_fail_at;
}

void *serce_malloc(size_t n) {
    if (alloc_should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *serce_calloc(size_t count, size_t size) {
    if (alloc_should_fail()) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *serce_realloc(void *p, size_t n) {
    if (alloc_should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void serce_free(void *p) { free(p); }

/* ---------------------------------------------------------------- byte buffer */

int serce_buf_append(serce_buf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) return SERCE_ERR_NOMEM;
            cap *= 2;
        }
        uint8_t *d = serce_realloc(b->data, cap);
        if (!d) return SERCE_ERR_NOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0; /* always NUL-terminated, handy for text */
    return SERCE_OK;
}

int serce_buf_printf(serce_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return SERCE_ERR_ARG;
    if ((size_t)k < sizeof tmp) return serce_buf_append(b, tmp, (size_t)k);
    char *big = serce_malloc((size_t)k + 1);
    if (!big) return SERCE_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    int rc = serce_buf_append(b, big, (size_t)k);
    serce_free(big);
    return rc;
}

void serce_buf_free(serce_buf *b) {
    serce_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
