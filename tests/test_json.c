/* test_json.c — the strict JSON reader (core/json.c): valid documents of every kind, the exact
 * values of numbers, string escapes and surrogates, each rejection with its message, the depth
 * limit, the lookup helpers, sj_write_str, and fault injection over every allocation of a parse. */
#include "check.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, sj_doc *doc, serce_error *err) {
    return sj_parse(s, strlen(s), "test", doc, err);
}

/* Parse s, expect failure with SERCE_ERR_JSON and a message containing phrase. */
static void expect_reject(const char *s, size_t n, const char *phrase) {
    sj_doc doc;
    serce_error err = {0, {0}};
    int rc = sj_parse(s, n, "doc", &doc, &err);
    CHECK(rc == SERCE_ERR_JSON, "'%.*s' gave %d, expected a JSON error", (int)n, s, rc);
    CHECK(doc.nodes == NULL && doc.pool == NULL && doc.nnodes == 0, "failed parse left a document behind");
    CHECK_STR_CONTAINS(err.msg, phrase);
    CHECK_STR_CONTAINS(err.msg, "doc: invalid JSON at byte ");
    sj_free(&doc);
}
#define REJECT(lit, phrase) expect_reject(lit, sizeof(lit) - 1, phrase)

/* Parse a single number and return its value (NAN on failure). */
static double num_of(const char *s) {
    sj_doc doc;
    serce_error err;
    if (parse(s, &doc, &err) != SERCE_OK) {
        fprintf(stderr, "number '%s' rejected: %s\n", s, err.msg);
        return NAN;
    }
    double v = doc.nodes[0].type == SJ_NUMBER ? doc.nodes[0].num : NAN;
    sj_free(&doc);
    return v;
}

static void test_scalars(void) {
    static const struct {
        const char *text;
        int type;
    } cases[] = {{"null", SJ_NULL}, {"true", SJ_TRUE}, {"false", SJ_FALSE}, {" \t\r\n 42 \n", SJ_NUMBER},
                 {"\"hi\"", SJ_STRING}, {"[]", SJ_ARRAY}, {"{}", SJ_OBJECT}};
    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        sj_doc doc;
        serce_error err = {0, {0}};
        int rc = parse(cases[j].text, &doc, &err);
        CHECK(rc == SERCE_OK, "'%s': %s", cases[j].text, err.msg);
        if (rc != SERCE_OK) continue;
        CHECK(doc.nnodes == 1 && doc.nodes[0].type == cases[j].type && doc.nodes[0].parent == -1,
              "'%s': %d nodes, type %d", cases[j].text, doc.nnodes, doc.nodes[0].type);
        CHECK(doc.nodes[0].child == -1 && doc.nodes[0].next == -1 && doc.nodes[0].count == 0, "'%s' links", cases[j].text);
        sj_free(&doc);
        CHECK(doc.nodes == NULL && doc.pool == NULL, "sj_free clears the document");
    }
    sj_free(NULL); /* harmless */
}

static void test_numbers(void) {
    CHECK(num_of("0") == 0 && !signbit(num_of("0")), "0");
    CHECK(num_of("-0") == 0 && signbit(num_of("-0")), "-0 keeps its sign");
    CHECK(num_of("-0.0e5") == 0 && signbit(num_of("-0.0e5")), "-0.0e5");
    CHECK(num_of("1") == 1, "1");
    CHECK(num_of("-17") == -17, "-17");
    CHECK(num_of("123456789012") == 123456789012.0, "12 digits");
    CHECK(num_of("9007199254740992") == 9007199254740992.0, "2^53");
    CHECK(num_of("9007199254740991") == 9007199254740991.0, "2^53 - 1");
    CHECK(num_of("-9007199254740992") == -9007199254740992.0, "-2^53");
    CHECK(num_of("18446744073709551616") == 18446744073709551616.0, "2^64 (20 digits, strtod path)");
    CHECK(num_of("1.5") == 1.5, "1.5");
    CHECK(num_of("-2.25") == -2.25, "-2.25");
    CHECK(num_of("0.1") == 0.1, "0.1");
    CHECK(num_of("0.30000000000000004") == 0.30000000000000004, "0.30000000000000004");
    CHECK(num_of("1e3") == 1000, "1e3");
    CHECK(num_of("1E3") == 1000, "1E3");
    CHECK(num_of("1e+3") == 1000, "1e+3");
    CHECK(num_of("25e-2") == 0.25, "25e-2");
    CHECK(num_of("1.25e2") == 125, "1.25e2");
    CHECK(num_of("-1.5E-3") == -0.0015, "-1.5E-3");
    CHECK(num_of("0.000001") == 1e-6, "0.000001");
    CHECK(num_of("3.141592653589793") == 3.141592653589793, "pi");
    CHECK(num_of("2.2250738585072014e-308") == 2.2250738585072014e-308, "smallest normal");
    CHECK(num_of("4.9e-324") == 4.9e-324, "smallest subnormal");
    CHECK(num_of("1.7976931348623157e308") == 1.7976931348623157e308, "largest double");
    CHECK(num_of("1e-400") == 0, "underflow to 0");
    CHECK(num_of("0e99999999999999999999") == 0, "0 with a huge exponent");
    CHECK(num_of("100000000000000000000000e-22") == 10, "long mantissa, negative exponent");
    /* a halfway case that a naive digit-by-digit parse gets wrong */
    CHECK(num_of("9007199254740993") == 9007199254740992.0, "2^53 + 1 rounds to even");
    CHECK(num_of("9007199254740995") == 9007199254740996.0, "2^53 + 3 rounds to even");
    /* a long literal goes through an allocated buffer */
    {
        char big[400];
        memset(big, '0', sizeof big);
        big[0] = '1';
        big[1] = '.';
        memcpy(big + sizeof big - 5, "5e+2", 4); /* 1.000...0005e+2 */
        big[sizeof big - 1] = 0;
        double v = num_of(big);
        CHECK(v == 100.0, "long fraction: %.17g", v);
    }
    REJECT("1e309", "number out of the range of a double");
    REJECT("-1e99999", "out of the range");
}

static void test_strings(void) {
    sj_doc doc;
    serce_error err = {0, {0}};
    const char *s = "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u0041\\u00e7\\u011F\", \"\\uD83D\\uDE00\", \"şarkı ✓ 😀\", \"\", "
                    "\"\\u0000x\"]";
    int rc = parse(s, &doc, &err);
    CHECK(rc == SERCE_OK, "escapes: %s", err.msg);
    if (rc == SERCE_OK) {
        int a = sj_at(&doc, 0, 0), b = sj_at(&doc, 0, 1), c = sj_at(&doc, 0, 2), d = sj_at(&doc, 0, 3);
        int e = sj_at(&doc, 0, 4), z = sj_at(&doc, 0, 5);
        CHECK(doc.nodes[a].len == 12 && memcmp(doc.nodes[a].str, "a\"b\\c/d\b\f\n\r\t", 13) == 0, "short escapes");
        CHECK(strcmp(doc.nodes[b].str, "A\xC3\xA7\xC4\x9F") == 0, "\\u escapes to UTF-8 (A ç ğ)");
        CHECK(strcmp(doc.nodes[c].str, "\xF0\x9F\x98\x80") == 0 && doc.nodes[c].len == 4, "surrogate pair -> U+1F600");
        CHECK(strcmp(doc.nodes[d].str, "şarkı ✓ 😀") == 0, "raw UTF-8 kept");
        CHECK(doc.nodes[e].len == 0 && doc.nodes[e].str && doc.nodes[e].str[0] == 0, "empty string");
        CHECK(doc.nodes[z].len == 2 && doc.nodes[z].str[0] == 0 && doc.nodes[z].str[1] == 'x', "\\u0000 kept with len");
        sj_free(&doc);
    }
    /* every byte a string may hold raw, and a 3-byte and 4-byte escape at the very end */
    rc = parse("\"\\u20AC\"", &doc, &err);
    CHECK(rc == SERCE_OK && strcmp(doc.nodes[0].str, "\xE2\x82\xAC") == 0, "euro sign");
    if (rc == SERCE_OK) sj_free(&doc);
    rc = parse("\"\\uDBFF\\uDFFF\"", &doc, &err);
    CHECK(rc == SERCE_OK && strcmp(doc.nodes[0].str, "\xF4\x8F\xBF\xBF") == 0, "U+10FFFF");
    if (rc == SERCE_OK) sj_free(&doc);

    REJECT("\"abc", "unterminated string");
    REJECT("\"abc\\\"", "unterminated string");
    REJECT("\"a\nb\"", "control character 0x0A in string");
    REJECT("\"a\tb\"", "control character 0x09");
    REJECT("\"\x01\"", "control character 0x01");
    REJECT("\"\\x\"", "invalid escape '\\x'");
    REJECT("\"\\u12\"", "invalid \\u escape");
    REJECT("\"\\u12G4\"", "invalid \\u escape");
    REJECT("\"\\uD83D\"", "lone high surrogate");
    REJECT("\"\\uD83Dx\"", "lone high surrogate");
    REJECT("\"\\uD83D\\u0041\"", "lone high surrogate");
    REJECT("\"\\uD83D\\uD83D\"", "lone high surrogate");
    REJECT("\"\\uDE00\"", "lone low surrogate");
    REJECT("\"\xFF\"", "invalid UTF-8 in string");
    REJECT("\"\xC3\"", "invalid UTF-8");            /* truncated sequence */
    REJECT("\"\xC0\xAF\"", "invalid UTF-8");        /* overlong '/' */
    REJECT("\"\xE0\x80\xAF\"", "invalid UTF-8");    /* overlong, 3 bytes */
    REJECT("\"\xED\xA0\x80\"", "invalid UTF-8");    /* UTF-8-encoded surrogate */
    REJECT("\"\xF4\x90\x80\x80\"", "invalid UTF-8"); /* above U+10FFFF */
    REJECT("\"\x80\"", "invalid UTF-8");            /* stray continuation byte */
    REJECT("\"\xE2\x82\"", "invalid UTF-8");
}

/* The word-at-a-time path (8 plain bytes per step) against every position of each kind of byte that
 * ends it: an escape, raw UTF-8, the closing quote; and a control character, rejected at its byte. */
static void test_long_strings(void) {
    static const struct {
        const char *raw, *dec;
    } items[] = {{"\\\"", "\""}, {"\\\\", "\\"}, {"\\n", "\n"}, {"\\u011F", "\xC4\x9F"},
                 {"\xC5\x9F", "\xC5\x9F"}, {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"}, {"", ""}};
    char json[128], want[128];
    long cases = 0;
    for (size_t it = 0; it < sizeof items / sizeof items[0]; it++)
        for (int pre = 0; pre <= 19; pre++)
            for (int post = 0; post <= 17; post += 1 + post / 4) {
                int n = 0, w = 0;
                json[n++] = '"';
                for (int i = 0; i < pre; i++) json[n++] = want[w++] = (char)('A' + (i * 7) % 26);
                n += sprintf(json + n, "%s", items[it].raw);
                w += sprintf(want + w, "%s", items[it].dec);
                for (int i = 0; i < post; i++) json[n++] = want[w++] = (char)('a' + (i * 5) % 26);
                json[n++] = '"';
                json[n] = 0;
                want[w] = 0;
                sj_doc doc;
                serce_error err = {0, {0}};
                int rc = sj_parse(json, (size_t)n, "test", &doc, &err);
                CHECK(rc == SERCE_OK, "'%s': %s", json, err.msg);
                if (rc) continue;
                CHECK(doc.nodes[0].type == SJ_STRING && doc.nodes[0].len == (size_t)w &&
                          memcmp(doc.nodes[0].str, want, (size_t)w) == 0,
                      "'%s' decoded wrongly", json);
                sj_free(&doc);
                cases++;
            }
    /* a control character or a stray byte after 0..19 plain ones: rejected, at its own byte */
    for (int pre = 0; pre <= 19; pre++)
        for (int bad = 0; bad < 3; bad++) {
            char msg[64];
            int n = 0;
            json[n++] = '"';
            for (int i = 0; i < pre; i++) json[n++] = 'x';
            json[n++] = bad == 0 ? '\x01' : bad == 1 ? '\x1F' : '\xFF';
            for (int i = 0; i < 9; i++) json[n++] = 'y';
            json[n++] = '"';
            sj_doc doc;
            serce_error err = {0, {0}};
            int rc = sj_parse(json, (size_t)n, "doc", &doc, &err);
            CHECK(rc == SERCE_ERR_JSON, "bad byte after %d plain ones accepted", pre);
            snprintf(msg, sizeof msg, "at byte %d", pre + 1);
            CHECK_STR_CONTAINS(err.msg, msg);
            cases++;
        }
    printf("long strings: %ld cases\n", cases);
}

static void test_structure(void) {
    sj_doc doc;
    serce_error err = {0, {0}};
    const char *s = "{\"name\": \"serçe\", \"dims\": [2, 3, [4, {\"deep\": true}]], \"empty\": {}, \"none\": null,"
                    " \"f\": 0.5, \"neg\": -3, \"big\": 1e20, \"list\": [], \"t\": false}";
    int rc = parse(s, &doc, &err);
    CHECK(rc == SERCE_OK, "object: %s", err.msg);
    if (rc != SERCE_OK) return;
    CHECK(doc.nodes[0].type == SJ_OBJECT && doc.nodes[0].count == 9, "root has 9 members");
    CHECK(strcmp(sj_get_str(&doc, 0, "name"), "serçe") == 0, "sj_get_str");
    CHECK(sj_get_str(&doc, 0, "dims") == NULL && sj_get_str(&doc, 0, "nope") == NULL, "sj_get_str on non-strings");
    int dims = sj_get(&doc, 0, "dims");
    CHECK(dims > 0 && doc.nodes[dims].type == SJ_ARRAY && doc.nodes[dims].count == 3, "dims array");
    CHECK(doc.nodes[sj_at(&doc, dims, 0)].num == 2 && doc.nodes[sj_at(&doc, dims, 1)].num == 3, "sj_at");
    CHECK(sj_at(&doc, dims, 3) == -1 && sj_at(&doc, dims, -1) == -1 && sj_at(&doc, 0, 0) == -1, "sj_at out of range");
    int inner = sj_at(&doc, dims, 2);
    int deepobj = sj_at(&doc, inner, 1);
    int deep = sj_get(&doc, deepobj, "deep");
    CHECK(deep > 0 && doc.nodes[deep].type == SJ_TRUE, "nested lookup");
    /* tree links: value -> key -> object -> ... */
    CHECK(doc.nodes[deep].parent >= 0 && doc.nodes[doc.nodes[deep].parent].type == SJ_STRING &&
              strcmp(doc.nodes[doc.nodes[deep].parent].str, "deep") == 0 &&
              doc.nodes[doc.nodes[deep].parent].parent == deepobj,
          "value's parent is its key, the key's parent the object");
    CHECK(doc.nodes[inner].parent == dims && doc.nodes[doc.nodes[dims].parent].parent == 0, "array parents");
    int empty = sj_get(&doc, 0, "empty");
    CHECK(doc.nodes[empty].type == SJ_OBJECT && doc.nodes[empty].count == 0 && doc.nodes[empty].child == -1, "{}");
    CHECK(doc.nodes[sj_get(&doc, 0, "none")].type == SJ_NULL, "null member");
    CHECK(doc.nodes[sj_get(&doc, 0, "t")].type == SJ_FALSE, "false member");
    double f;
    long long i;
    CHECK(sj_get_num(&doc, 0, "f", &f) == 0 && f == 0.5, "sj_get_num");
    CHECK(sj_get_num(&doc, 0, "name", &f) == -1 && sj_get_num(&doc, 0, "zz", &f) == -1, "sj_get_num wrong type/missing");
    CHECK(sj_get_int(&doc, 0, "neg", &i) == 0 && i == -3, "sj_get_int");
    CHECK(sj_get_int(&doc, 0, "f", &i) == -1, "sj_get_int refuses 0.5");
    CHECK(sj_get_int(&doc, 0, "big", &i) == -1, "sj_get_int refuses 1e20 (beyond 2^53)");
    CHECK(sj_get_int(&doc, 0, "name", &i) == -1, "sj_get_int on a string");
    CHECK(sj_get(&doc, dims, "x") == -1 && sj_get(&doc, -1, "x") == -1 && sj_get(&doc, 9999, "x") == -1, "sj_get on non-objects");
    CHECK(sj_get(NULL, 0, "x") == -1 && sj_at(NULL, 0, 0) == -1, "NULL doc");
    /* iteration by child/next sees members in document order */
    const char *order[] = {"name", "dims", "empty", "none", "f", "neg", "big", "list", "t"};
    int j = 0, ok = 1;
    for (int k = doc.nodes[0].child; k >= 0; k = doc.nodes[k].next, j++)
        ok &= j < 9 && strcmp(doc.nodes[k].str, order[j]) == 0 && doc.nodes[k].count == 1;
    CHECK(ok && j == 9, "member order");
    sj_free(&doc);

    rc = parse("{\"n\": 9007199254740992, \"m\": -9007199254740992, \"o\": 3.0}", &doc, &err);
    CHECK(rc == SERCE_OK, "%s", err.msg);
    if (rc == SERCE_OK) {
        CHECK(sj_get_int(&doc, 0, "n", &i) == 0 && i == 9007199254740992LL, "2^53 via sj_get_int");
        CHECK(sj_get_int(&doc, 0, "m", &i) == 0 && i == -9007199254740992LL, "-2^53 via sj_get_int");
        CHECK(sj_get_int(&doc, 0, "o", &i) == 0 && i == 3, "3.0 is integral");
        sj_free(&doc);
    }

    /* keys that differ only after an embedded NUL or by length are distinct */
    rc = parse("{\"a\": 1, \"a\\u0000\": 2, \"ab\": 3}", &doc, &err);
    CHECK(rc == SERCE_OK, "near-duplicate keys: %s", err.msg);
    if (rc == SERCE_OK) {
        CHECK(sj_get_int(&doc, 0, "a", &i) == 0 && i == 1, "exact-length key match");
        sj_free(&doc);
    }
}

static void test_rejects(void) {
    REJECT("", "unexpected end of input, expected a value");
    REJECT("   ", "unexpected end of input");
    REJECT("[1, 2,]", "trailing comma before ']'");
    REJECT("{\"a\": 1,}", "trailing comma before '}'");
    REJECT("[1 2]", "expected ',' or ']' in array");
    REJECT("[1, 2", "unexpected end of input, expected ',' or ']'");
    REJECT("{\"a\" 1}", "expected ':' after object key");
    REJECT("{\"a\": 1 \"b\": 2}", "expected ',' or '}' in object");
    REJECT("{a: 1}", "unexpected character 'a', expected a string key");
    REJECT("{1: 1}", "expected a string key");
    REJECT("[,1]", "unexpected character ',', expected a value");
    REJECT("{\"a\":}", "expected a value");
    REJECT("01", "leading zero in number");
    REJECT("-01", "leading zero");
    REJECT("[00]", "leading zero");
    REJECT("-", "expected a digit after '-'");
    REJECT("-a", "expected a digit after '-'");
    REJECT("1.", "expected a digit after '.'");
    REJECT("1.e5", "expected a digit after '.'");
    REJECT(".5", "unexpected character '.'");
    REJECT("+1", "unexpected character '+'");
    REJECT("1e", "expected a digit in the exponent");
    REJECT("1e+", "expected a digit in the exponent");
    REJECT("0x10", "unexpected data after the JSON value");
    REJECT("1 2", "unexpected data after the JSON value");
    REJECT("{} x", "unexpected data after the JSON value");
    REJECT("[] []", "unexpected data");
    REJECT("nul", "invalid literal (expected 'null')");
    REJECT("tru", "invalid literal (expected 'true')");
    REJECT("falsy", "invalid literal");
    REJECT("True", "unexpected character 'T'");
    REJECT("NaN", "unexpected character 'N'");
    REJECT("Infinity", "unexpected character 'I'");
    REJECT("\xEF\xBB\xBF{}", "unexpected byte 0xEF"); /* byte-order mark */
    REJECT("[1]\0", "at byte 3: unexpected data after the JSON value");
    REJECT("[\0]", "unexpected byte 0x00, expected a value");
    REJECT("{\"x\": 1, \"x\": 2}", "duplicate key 'x'");
    REJECT("{\"a\": {\"k\": 1, \"j\": 2, \"k\": 3}}", "duplicate key 'k'");
    REJECT("{\"\\u0078\": 1, \"x\": 2}", "duplicate key 'x'"); /* equal after decoding */
    REJECT("{\"a\\nb\": 1, \"a\\nb\": 2}", "duplicate key 'a?b'"); /* control chars never reach the message */
    REJECT("// c\n{}", "unexpected character '/'");

    /* the byte offset points at the offending place */
    {
        sj_doc doc;
        serce_error err = {0, {0}};
        CHECK(parse("[1, 2,]", &doc, &err) == SERCE_ERR_JSON, "trailing comma");
        CHECK_STR_CONTAINS(err.msg, "test: invalid JSON at byte 6: trailing comma");
        CHECK(parse("{\"x\": 1, \"x\": 2}", &doc, &err) == SERCE_ERR_JSON, "dup");
        CHECK_STR_CONTAINS(err.msg, "at byte 9: duplicate key 'x'");
        CHECK(sj_parse("{}", 2, NULL, &doc, &err) == SERCE_OK, "what may be NULL");
        sj_free(&doc);
        CHECK(sj_parse("{", 1, NULL, &doc, &err) == SERCE_ERR_JSON, "what NULL, error");
        CHECK_STR_CONTAINS(err.msg, "JSON: invalid JSON at byte 1");
        CHECK(sj_parse("x", 1, "d", &doc, NULL) == SERCE_ERR_JSON, "err may be NULL");
        CHECK(sj_parse("[1]", 2, "d", &doc, &err) == SERCE_ERR_JSON, "n limits the input: '[1' is incomplete");
        CHECK(sj_parse(NULL, 0, "d", &doc, &err) == SERCE_ERR_JSON, "NULL with n = 0 is an empty document");
    }

    /* duplicates in a large object (sorted check): the first repeated key in document order */
    {
        char s[4096];
        size_t k = 0;
        s[k++] = '{';
        for (int j = 0; j < 100; j++) k += (size_t)snprintf(s + k, sizeof s - k, "%s\"k%d\": %d", j ? ", " : "", j % 90 == 77 ? 5 : j, j);
        k += (size_t)snprintf(s + k, sizeof s - k, ", \"k42\": 0}");
        /* k77 repeats k5 (j = 77), k42 repeats later: k5 is the first repetition */
        expect_reject(s, k, "duplicate key 'k5'");
        sj_doc doc;
        serce_error err;
        /* and without repetitions the large object parses */
        k = 0;
        s[k++] = '{';
        for (int j = 0; j < 100; j++) k += (size_t)snprintf(s + k, sizeof s - k, "%s\"k%d\": %d", j ? ", " : "", j, j);
        s[k++] = '}';
        int rc = sj_parse(s, k, "big", &doc, &err);
        CHECK(rc == SERCE_OK && doc.nodes[0].count == 100, "100 distinct keys: %s", rc ? err.msg : "");
        long long v;
        CHECK(rc == SERCE_OK && sj_get_int(&doc, 0, "k99", &v) == 0 && v == 99, "k99");
        if (rc == SERCE_OK) sj_free(&doc);
    }
}

static void test_depth(void) {
    char s[400];
    sj_doc doc;
    serce_error err = {0, {0}};
    for (int d = 63; d <= 66; d++) {
        size_t k = 0;
        for (int j = 0; j < d; j++) s[k++] = '[';
        for (int j = 0; j < d; j++) s[k++] = ']';
        int rc = sj_parse(s, k, "deep", &doc, &err);
        if (d <= 64) {
            CHECK(rc == SERCE_OK && doc.nnodes == d, "depth %d accepted: %s", d, rc ? err.msg : "");
            if (rc == SERCE_OK) sj_free(&doc);
        } else {
            CHECK(rc == SERCE_ERR_JSON, "depth %d rejected", d);
            CHECK_STR_CONTAINS(err.msg, "at byte 64: nesting deeper than 64 levels");
        }
    }
    /* objects count too */
    size_t k = 0;
    for (int j = 0; j < 65; j++) k += (size_t)snprintf(s + k, sizeof s - k, "{\"a\":");
    CHECK(sj_parse(s, k, "deep", &doc, &err) == SERCE_ERR_JSON, "65 nested objects");
    CHECK_STR_CONTAINS(err.msg, "nesting deeper than 64 levels");
    /* a very deep hostile input stops at the limit instead of recursing */
    size_t n = 1 << 20;
    char *big = malloc(n);
    if (big) {
        memset(big, '[', n);
        CHECK(sj_parse(big, n, "deep", &doc, &err) == SERCE_ERR_JSON, "1 MiB of '['");
        CHECK_STR_CONTAINS(err.msg, "nesting deeper than 64 levels");
        free(big);
    }
}

static void test_write(void) {
    serce_buf b = {0};
    const char raw[] = "a\"b\\c\n\t\r\b\f\x01\x1f\x7f şarkı 😀 /";
    CHECK(sj_write_str(&b, raw, sizeof raw - 1) == SERCE_OK, "write");
    const char *want = "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001F\x7f şarkı 😀 /\"";
    CHECK(b.len == strlen(want) && strcmp((char *)b.data, want) == 0, "escaped: %s", (char *)b.data);
    /* round trip through the parser */
    sj_doc doc;
    serce_error err;
    int rc = sj_parse((char *)b.data, b.len, "rt", &doc, &err);
    CHECK(rc == SERCE_OK && doc.nodes[0].len == sizeof raw - 1 && memcmp(doc.nodes[0].str, raw, sizeof raw - 1) == 0,
          "write -> parse round trip");
    if (rc == SERCE_OK) sj_free(&doc);
    /* embedded NUL */
    b.len = 0;
    CHECK(sj_write_str(&b, "a\0b", 3) == SERCE_OK && strcmp((char *)b.data, "\"a\\u0000b\"") == 0, "NUL escaped");
    b.len = 0;
    CHECK(sj_write_str(&b, "", 0) == SERCE_OK && strcmp((char *)b.data, "\"\"") == 0, "empty");
    b.len = 0;
    CHECK(sj_write_str(&b, NULL, 0) == SERCE_OK && strcmp((char *)b.data, "\"\"") == 0, "NULL, 0");
    /* invalid UTF-8 is refused and nothing is appended */
    b.len = 0;
    CHECK(sj_write_str(&b, "ok", 2) == SERCE_OK, "ok");
    CHECK(sj_write_str(&b, "a\xFF", 2) == SERCE_ERR_UTF8 && b.len == 4, "invalid UTF-8 refused, buffer unchanged");
    CHECK(sj_write_str(&b, "\xED\xA0\x80", 3) == SERCE_ERR_UTF8, "encoded surrogate refused");
    serce_buf_free(&b);
}

/* Every allocation of a parse (nodes, aux, pool, key scratch, long-number buffer) fails in turn. */
static void test_alloc_failures(void) {
    char s[2048];
    size_t k = 0;
    k += (size_t)snprintf(s + k, sizeof s - k, "{\"s\": \"%s\", \"n\": 1.%0300d5, \"a\": [", "şarkı \\u00e7 \\uD83D\\uDE00", 0);
    for (int j = 0; j < 40; j++) k += (size_t)snprintf(s + k, sizeof s - k, "%s{\"k%d\": [%d, \"v%d\"]}", j ? "," : "", j, j, j);
    k += (size_t)snprintf(s + k, sizeof s - k, "], \"o\": {");
    for (int j = 0; j < 20; j++) k += (size_t)snprintf(s + k, sizeof s - k, "%s\"m%d\": %d", j ? "," : "", j, j);
    k += (size_t)snprintf(s + k, sizeof s - k, "}}");
    sj_doc doc;
    serce_error err;
    int rc = SERCE_ERR_NOMEM, fails = 0;
    long kk;
    for (kk = 1; kk < 1000 && rc != SERCE_OK; kk++) {
        serce_alloc_fail_at(kk);
        rc = sj_parse(s, k, "fault", &doc, &err);
        if (rc == SERCE_ERR_NOMEM) {
            fails++;
            CHECK_STR_CONTAINS(err.msg, "out of memory");
            CHECK(doc.nodes == NULL && doc.pool == NULL, "nothing left after NOMEM");
        } else {
            CHECK(rc == SERCE_OK, "k=%ld: %d %s", kk, rc, err.msg);
        }
    }
    serce_alloc_fail_at(0);
    CHECK(rc == SERCE_OK && fails >= 5, "parse succeeded after %d injected failures", fails);
    if (rc == SERCE_OK) {
        CHECK(doc.nodes[sj_get(&doc, 0, "a")].count == 40, "content after fault loop");
        sj_free(&doc);
    }
    /* sj_write_str under failure leaves the buffer as it was */
    serce_buf b = {0};
    rc = SERCE_ERR_NOMEM;
    for (kk = 1; kk < 100 && rc != SERCE_OK; kk++) {
        serce_alloc_fail_at(kk);
        b.len = 0;
        rc = sj_write_str(&b, s, k);
        CHECK(rc == SERCE_OK || (rc == SERCE_ERR_NOMEM && b.len == 0), "sj_write_str k=%ld: %d", kk, rc);
    }
    serce_alloc_fail_at(0);
    CHECK(rc == SERCE_OK, "sj_write_str eventually succeeds");
    serce_buf_free(&b);
}

int main(void) {
    test_scalars();
    test_numbers();
    test_strings();
    test_long_strings();
    test_structure();
    test_rejects();
    test_depth();
    test_write();
    test_alloc_failures();
    return check_report("test_json");
}
