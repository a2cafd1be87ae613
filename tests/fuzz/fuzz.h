/* fuzz.h — what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang -fsanitize=fuzzer,address,undefined
 * (SERCE_FUZZ=ON, scripts/hardening.sh) it is a fuzzer; linked with replay_main.c instead it is a plain
 * program that replays files (the committed seeds and regressions) in every build, gcc included.
 *
 * Beyond "no crash, no leak, no undefined behaviour", the targets check the contract of the core's
 * errors: a failing call returns the code it stores, and its message is one non-empty line of valid
 * UTF-8 (it is printed as is by the CLI and shown by the page). FUZZ_ASSERT aborts, so a broken
 * invariant is a finding like a crash.
 */
#ifndef SERCE_FUZZ_H
#define SERCE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serce.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                               \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* The error contract: rc == e->code, a one-line non-empty message in valid UTF-8. */
static inline void fuzz_check_error(int rc, const serce_error *e) {
    if (rc == SERCE_OK) return;
    FUZZ_ASSERT(rc > 0 && rc < SERCE_ERR_COUNT, "status %d is not a serce_status", rc);
    FUZZ_ASSERT(e->code == rc, "returned %d but the error says %d (%s)", rc, e->code, e->msg);
    size_t n = strnlen(e->msg, sizeof e->msg);
    FUZZ_ASSERT(n > 0 && n < sizeof e->msg, "empty or unterminated message for status %d", rc);
    FUZZ_ASSERT(!memchr(e->msg, '\n', n) && !memchr(e->msg, '\r', n), "message is not one line: %s", e->msg);
    FUZZ_ASSERT(serce_utf8_validate(e->msg, n, "message", NULL) == SERCE_OK, "message is not valid UTF-8: %s", e->msg);
}

#endif
