/* serce.h — the public API of the Serçe core: a character-level LSTM language model.
 *
 * Role: everything the hosts (the `serce` CLI in tools/, the browser API in wasm/, the tests) share:
 * errors, the model (parameters, forward/backward, inference step), training, sampling, model files.
 * What it deliberately does not do: print, exit, read the clock, touch files (except core/fileio.c,
 * which the wasm build leaves out), or start threads. Every fallible call returns a status code and
 * fills a serce_error with a specific one-line message.
 *
 * Dimension legend used in every shape comment of the core:
 *   V vocabulary size (tokens)   E embedding size   H hidden size   L LSTM layers
 *   B batch (parallel streams)   T time steps per update (truncated BPTT length)
 *   G = 4H (the four gates, PyTorch order i, f, g, o)
 */
#ifndef SERCE_H
#define SERCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SERCE_FORMAT_VERSION "1"

/* ---------------------------------------------------------------- errors */

typedef enum {
    SERCE_OK = 0,
    SERCE_ERR_NOMEM,      /* an allocation failed */
    SERCE_ERR_ARG,        /* a bad argument or setting */
    SERCE_ERR_IO,         /* a file could not be read or written */
    SERCE_ERR_UTF8,       /* invalid UTF-8 */
    SERCE_ERR_CORPUS,     /* a corpus that cannot be used (empty, broken CSV, ...) */
    SERCE_ERR_FORMAT,     /* a model file that is not valid safetensors */
    SERCE_ERR_JSON,       /* invalid JSON in a header or metadata */
    SERCE_ERR_DTYPE,      /* a tensor of the wrong dtype */
    SERCE_ERR_SHAPE,      /* a tensor of the wrong shape, or a missing tensor */
    SERCE_ERR_VOCAB,      /* a vocabulary that does not match, or unknown characters */
    SERCE_ERR_NUMERIC,    /* NaN or infinity during training */
    SERCE_ERR_LIMIT,      /* a size beyond what Serçe accepts */
    SERCE_ERR_STOPPED,    /* a run stopped on request (not a failure of the data) */
    SERCE_ERR_COUNT
} serce_status;

typedef struct {
    int code;        /* a serce_status */
    char msg[320];   /* one line, specific: what is wrong and where */
} serce_error;

/* Short generic text of a status code, like strerror(). */
const char *serce_strerror(int code);
/* Fill err (if not NULL) with code and a printf-style message; returns code. */
int serce_fail(serce_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#if defined(__clang_analyzer__)
/* Static analysis only (clang-tidy, scripts/hardening.sh): say that serce_fail returns its code, which
 * the analyzer cannot see across files, so it does not follow `rc = serce_fail(...)` as a success. */
#define serce_fail(err, code, ...) (serce_fail((err), (code), __VA_ARGS__), (code))
#endif

/* ---------------------------------------------------------------- allocation
 * All core allocations go through these, so a test can make the k-th one fail
 * (SQLite-style fault injection). serce_alloc_fail_at(0) turns injection off. */
void *serce_malloc(size_t n);
void *serce_calloc(size_t count, size_t size);
void *serce_realloc(void *p, size_t n);
void serce_free(void *p);
void serce_alloc_fail_at(long k);   /* the k-th allocation from now on fails (1 = the next) */
long serce_alloc_count(void);       /* allocations made since the last serce_alloc_fail_at() */

/* A growable byte buffer (used for files built in memory and UTF-8 output). */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} serce_buf;
int serce_buf_append(serce_buf *b, const void *p, size_t n);   /* SERCE_OK or SERCE_ERR_NOMEM */
int serce_buf_printf(serce_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void serce_buf_free(serce_buf *b);

#ifdef __cplusplus
}
#endif
#endif
