/* fuzz_prime.c — the prime / UTF-8 path on arbitrary bytes: serce_utf8_validate, serce_utf8_next and
 * serce_utf8_put, serce_text_decode (case kept and folded) and serce_encode_prime on two small fixed
 * vocabularies (case-keeping and lower-case). Checks: validate and decode agree (same message on
 * failure); next/put round-trip byte for byte; decoded codepoints are scalar values; an encoded prime
 * has one in-range character token per decoded codepoint; an unknown character is SERCE_ERR_VOCAB. */
#include "fuzz.h"

static const char LETTERS[] = " \n!',-.?ABCDEFGHIJKLMNOPRSTUVYZabcdefghijklmnoprstuvyzÂÇÎÖÛÜâçîöûüĞğİıŞş";

static int make_vocab(int lowercase, serce_vocab *v) {
    uint32_t *cps = calloc(SERCE_NSPECIAL + sizeof LETTERS, sizeof *cps);
    if (!cps) return -1;
    int n = SERCE_NSPECIAL;
    size_t pos = 0;
    uint32_t cp;
    while (pos < sizeof LETTERS - 1 && serce_utf8_next(LETTERS, sizeof LETTERS - 1, &pos, &cp) == 0) {
        if (lowercase) cp = serce_tr_lower(cp);
        int dup = 0;
        for (int i = SERCE_NSPECIAL; i < n; i++) dup |= cps[i] == cp;
        if (!dup) cps[n++] = cp;
    }
    /* sorted by codepoint, as serce_vocab_id's binary search needs */
    for (int i = SERCE_NSPECIAL + 1; i < n; i++)
        for (int j = i; j > SERCE_NSPECIAL && cps[j - 1] > cps[j]; j--) {
            uint32_t t = cps[j];
            cps[j] = cps[j - 1];
            cps[j - 1] = t;
        }
    v->size = n;
    v->cps = cps;
    v->lowercase = lowercase;
    return 0;
}

static serce_vocab vocabs[2];
static int ready = 0;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    if (!ready) {
        if (make_vocab(0, &vocabs[0]) || make_vocab(1, &vocabs[1])) abort();
        ready = 1;
    }
    serce_error ev = {0};
    int rv = serce_utf8_validate(s, size, "prime", &ev);
    fuzz_check_error(rv, &ev);
    FUZZ_ASSERT(rv == SERCE_OK || rv == SERCE_ERR_UTF8, "validate status %d", rv);

    /* next/put: the valid prefix re-encodes to the same bytes */
    size_t pos = 0;
    while (pos < size) {
        size_t at = pos;
        uint32_t cp;
        if (serce_utf8_next(s, size, &pos, &cp) != 0) {
            FUZZ_ASSERT(pos == at && rv == SERCE_ERR_UTF8, "next fails only on invalid input, without moving");
            break;
        }
        char u[4];
        int k = serce_utf8_put(cp, u);
        FUZZ_ASSERT(k > 0 && (size_t)k == pos - at && !memcmp(u, s + at, (size_t)k), "put(next(x)) == x at %zu", at);
    }

    for (int lower = 0; lower <= 1; lower++) {
        uint32_t *cps = NULL;
        size_t ncp = 0;
        serce_error e = {0};
        int rc = serce_text_decode(s, size, lower, "prime", &cps, &ncp, &e);
        fuzz_check_error(rc, &e);
        FUZZ_ASSERT(rc == rv, "decode (%d) and validate (%d) agree", rc, rv);
        if (rc) {
            FUZZ_ASSERT(!strcmp(e.msg, ev.msg), "same message: '%s' vs '%s'", e.msg, ev.msg);
            FUZZ_ASSERT(cps == NULL, "nothing kept on failure");
            continue;
        }
        FUZZ_ASSERT(ncp <= size, "no more codepoints than bytes");
        for (size_t i = 0; i < ncp; i++) {
            FUZZ_ASSERT(cps[i] <= 0x10FFFF && !(cps[i] >= 0xD800 && cps[i] <= 0xDFFF) && cps[i] != '\r', "U+%X", cps[i]);
            if (lower) FUZZ_ASSERT(serce_tr_lower(cps[i]) == cps[i], "folding is idempotent at U+%X", cps[i]);
        }

        const serce_vocab *v = &vocabs[lower];
        int32_t *toks = NULL;
        size_t nt = 0;
        rc = serce_encode_prime(v, s, size, &toks, &nt, &e);
        fuzz_check_error(rc, &e);
        if (rc == SERCE_OK) {
            FUZZ_ASSERT(nt == ncp, "one token per codepoint: %zu vs %zu", nt, ncp);
            for (size_t i = 0; i < nt; i++) {
                FUZZ_ASSERT(toks[i] >= SERCE_NSPECIAL && toks[i] < v->size, "token %d", toks[i]);
                FUZZ_ASSERT(v->cps[toks[i]] == cps[i], "token %zu is the character", i);
            }
        } else {
            FUZZ_ASSERT(rc == SERCE_ERR_VOCAB, "an encodable text fails only on unknown characters: %d %s", rc, e.msg);
            FUZZ_ASSERT(toks == NULL, "nothing kept on failure");
            int unknown = 0;
            for (size_t i = 0; i < ncp; i++) unknown |= serce_vocab_id(v, cps[i]) == SERCE_TOK_UNK;
            FUZZ_ASSERT(unknown, "an unknown character exists");
        }
        serce_free(toks);
        serce_free(cps);
    }
    return 0;
}
