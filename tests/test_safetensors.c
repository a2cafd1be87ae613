/* test_safetensors.c — the safetensors reader and writer (core/safetensors.c): a bit-exact write ->
 * parse round trip, the writer's layout and checks, every corruption of a file rejected with its
 * specific message (including every truncation of a valid file), a fixture written with torch by
 * tests/data/safetensors/make_torch_small.py, and fault injection over st_parse and st_write. */
#include "check.h"
#include "json.h"
#include "safetensors.h"

#include <stdlib.h>
#include <string.h>

#ifndef SERCE_TEST_DIR
#define SERCE_TEST_DIR "."
#endif

/* A file from a header text and a data block of dlen bytes (byte j = j & 0xFF); the declared
 * header length is hlen_override when not ~0. The caller frees the result. */
static uint8_t *build(const char *header, size_t dlen, uint64_t hlen_override, size_t *n) {
    size_t h = strlen(header);
    *n = 8 + h + dlen;
    uint8_t *b = malloc(*n);
    uint64_t hl = hlen_override != ~(uint64_t)0 ? hlen_override : h;
    for (int j = 0; j < 8; j++) b[j] = (uint8_t)(hl >> (8 * j));
    memcpy(b + 8, header, h);
    for (size_t j = 0; j < dlen; j++) b[8 + h + j] = (uint8_t)j;
    return b;
}

/* Parse a file made of header + dlen data bytes and expect code with a message containing phrase. */
static void expect_bad(const char *header, size_t dlen, int code, const char *phrase) {
    size_t n;
    uint8_t *b = build(header, dlen, ~(uint64_t)0, &n);
    st_file f;
    serce_error err = {0, {0}};
    int rc = st_parse(b, n, &f, &err);
    CHECK(rc == code, "header %s: got %d (%s), expected %d", header, rc, err.msg, code);
    CHECK_STR_CONTAINS(err.msg, phrase);
    CHECK(f.tensors == NULL && f.priv == NULL && f.ntensors == 0 && f.nmeta == 0, "failed parse leaves nothing");
    if (rc == SERCE_OK) st_free(&f);
    free(b);
}

static int parse_ok(const char *header, size_t dlen, st_file *f, uint8_t **keep) {
    size_t n;
    *keep = build(header, dlen, ~(uint64_t)0, &n);
    serce_error err = {0, {0}};
    int rc = st_parse(*keep, n, f, &err);
    CHECK(rc == SERCE_OK, "header %s: %s", header, err.msg);
    return rc;
}

static void test_dtypes(void) {
    CHECK(strcmp(st_dtype_name(ST_F32), "F32") == 0 && st_dtype_size(ST_F32) == 4, "F32");
    CHECK(strcmp(st_dtype_name(ST_BF16), "BF16") == 0 && st_dtype_size(ST_BF16) == 2, "BF16");
    CHECK(strcmp(st_dtype_name(ST_I64), "I64") == 0 && st_dtype_size(ST_I64) == 8, "I64");
    CHECK(strcmp(st_dtype_name(ST_BOOL), "BOOL") == 0 && st_dtype_size(ST_BOOL) == 1, "BOOL");
    CHECK(strcmp(st_dtype_name(ST_U16), "U16") == 0 && st_dtype_size(ST_U16) == 2, "U16");
    CHECK(strcmp(st_dtype_name(-1), "?") == 0 && st_dtype_size(ST_NDTYPES) == 0, "out of range");
}

/* ---------------------------------------------------------------- round trip */

static float w_data[6] = {1.5f, -0.0f, 3.25e-7f, 1e30f, -2.0f, 0.1f};
static int64_t i_data[4] = {-1, 0, 9007199254740993LL, INT64_MIN};
static uint8_t u_data[5] = {0, 1, 127, 128, 255};
static uint16_t h_data[3] = {0x3C00, 0x7C00, 0xFFFF}; /* F16: 1, inf, a NaN pattern */
static uint16_t b_data[1] = {0x3FC0};                 /* BF16 scalar 1.5 */
static uint8_t z_bool[3] = {1, 0, 1};

static void sample_tensors(st_tensor t[7]) {
    memset(t, 0, 7 * sizeof *t);
    t[0] = (st_tensor){.name = "embed.weight", .dtype = ST_F32, .ndim = 2, .shape = {2, 3}, .data = (uint8_t *)w_data, .nbytes = 24};
    t[1] = (st_tensor){.name = "steps", .dtype = ST_I64, .ndim = 1, .shape = {4}, .data = (uint8_t *)i_data, .nbytes = 32};
    t[2] = (st_tensor){.name = "bytes", .dtype = ST_U8, .ndim = 1, .shape = {5}, .data = u_data, .nbytes = 5};
    t[3] = (st_tensor){.name = "ağırlık ✓", .dtype = ST_F16, .ndim = 1, .shape = {3}, .data = (uint8_t *)h_data, .nbytes = 6};
    t[4] = (st_tensor){.name = "scalar", .dtype = ST_BF16, .ndim = 0, .data = (uint8_t *)b_data, .nbytes = 2};
    t[5] = (st_tensor){.name = "empty", .dtype = ST_F32, .ndim = 2, .shape = {0, 4}, .data = NULL, .nbytes = 0};
    t[6] = (st_tensor){.name = "mask", .dtype = ST_BOOL, .ndim = 1, .shape = {3}, .data = z_bool, .nbytes = 3};
}

static const char *meta_k[] = {"format", "title", "empty", "emoji \"q\""};
static const char *meta_v[] = {"pt", "Gökyüzü\nmavi \\ \t\x01 son", "", "😀 şarkı"};

static int write_sample(serce_buf *out, serce_error *err) {
    st_tensor t[7];
    sample_tensors(t);
    return st_write(out, t, 7, meta_k, meta_v, 4, err);
}

static void test_roundtrip(void) {
    serce_buf out = {0};
    serce_error err = {0, {0}};
    serce_buf_append(&out, "prefix", 6); /* st_write appends */
    int rc = write_sample(&out, &err);
    CHECK(rc == SERCE_OK, "write: %s", err.msg);
    if (rc != SERCE_OK) return;
    const uint8_t *file = out.data + 6;
    size_t n = out.len - 6;
    uint64_t hl = 0;
    for (int j = 7; j >= 0; j--) hl = (hl << 8) | file[j];
    CHECK((8 + hl) % 8 == 0, "data block starts at a multiple of 8 (header %llu)", (unsigned long long)hl);
    CHECK(n == 8 + hl + 24 + 32 + 5 + 6 + 2 + 0 + 3, "file size %zu", n);
    CHECK(memcmp(file + 8, "{\"__metadata__\":{\"format\":\"pt\",", 31) == 0, "metadata first: %.40s", (const char *)file + 8);
    CHECK(file[8 + hl - 1] == ' ' || file[8 + hl - 1] == '}', "header padded with spaces");

    st_file f;
    rc = st_parse(file, n, &f, &err);
    CHECK(rc == SERCE_OK, "parse: %s", err.msg);
    if (rc != SERCE_OK) {
        serce_buf_free(&out);
        return;
    }
    st_tensor t[7];
    sample_tensors(t);
    CHECK(f.ntensors == 7, "7 tensors, got %d", f.ntensors);
    /* written in the given order with consecutive offsets, so the offset order is the same (the
     * empty tensor shares offset 69 with "mask" and sorts first, being smaller) */
    static const int order[7] = {0, 1, 2, 3, 4, 5, 6};
    size_t off = 0;
    for (int j = 0; j < 7 && j < f.ntensors; j++) {
        const st_tensor *a = &f.tensors[j], *e = &t[order[j]];
        CHECK(strcmp(a->name, e->name) == 0, "tensor %d is '%s', expected '%s'", j, a->name, e->name);
        CHECK(a->dtype == e->dtype && a->ndim == e->ndim && a->nbytes == e->nbytes, "'%s' dtype/ndim/nbytes", e->name);
        CHECK(memcmp(a->shape, e->shape, sizeof a->shape) == 0, "'%s' shape", e->name);
        CHECK(a->nbytes == 0 || memcmp(a->data, e->data, e->nbytes) == 0, "'%s' data bit-exact", e->name);
        CHECK(a->data == file + 8 + hl + off, "'%s' points into the buffer at its offset", e->name);
        off += e->nbytes;
        CHECK(st_find(&f, e->name) == a, "st_find('%s')", e->name);
    }
    CHECK(st_find(&f, "nope") == NULL && st_find(&f, "") == NULL, "st_find missing");
    CHECK(f.nmeta == 4, "4 metadata entries");
    for (int j = 0; j < 4; j++) {
        const char *v = st_meta(&f, meta_k[j]);
        CHECK(v && strcmp(v, meta_v[j]) == 0, "metadata '%s' = '%s'", meta_k[j], v ? v : "(null)");
    }
    CHECK(st_meta(&f, "nope") == NULL, "st_meta missing");
    st_free(&f);
    CHECK(f.tensors == NULL && f.ntensors == 0, "st_free clears");
    st_free(&f); /* twice is harmless */
    st_free(NULL);
    serce_buf_free(&out);

    /* the exact bytes of a minimal file: compact header, no metadata, space padding */
    float two[2] = {1.0f, 2.0f};
    st_tensor a = {.name = "a", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = (uint8_t *)two, .nbytes = 8};
    rc = st_write(&out, &a, 1, NULL, NULL, 0, &err);
    CHECK(rc == SERCE_OK, "minimal write: %s", err.msg);
    const char *want = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "; /* 54 + 2 spaces */
    CHECK(out.len == 8 + 56 + 8 && out.data[0] == 56 && out.data[1] == 0 && memcmp(out.data + 8, want, 56) == 0 &&
              memcmp(out.data + 64, two, 8) == 0,
          "minimal file bytes: %.*s", (int)out.len - 16, (const char *)out.data + 8);
    rc = st_parse(out.data, out.len, &f, &err);
    CHECK(rc == SERCE_OK && f.nmeta == 0 && st_meta(&f, "format") == NULL && f.ntensors == 1, "minimal parse");
    if (rc == SERCE_OK) st_free(&f);
    serce_buf_free(&out);

    /* nothing at all: "{}" padded, no data */
    rc = st_write(&out, NULL, 0, NULL, NULL, 0, &err);
    CHECK(rc == SERCE_OK && out.len == 16 && memcmp(out.data + 8, "{}      ", 8) == 0, "empty file");
    rc = st_parse(out.data, out.len, &f, &err);
    CHECK(rc == SERCE_OK && f.ntensors == 0 && f.nmeta == 0, "empty file parses: %s", err.msg);
    if (rc == SERCE_OK) st_free(&f);
    serce_buf_free(&out);

    /* metadata only */
    const char *k1[] = {"k"}, *v1[] = {"v"};
    rc = st_write(&out, NULL, 0, k1, v1, 1, &err);
    CHECK(rc == SERCE_OK, "metadata-only write");
    rc = st_parse(out.data, out.len, &f, &err);
    CHECK(rc == SERCE_OK && f.ntensors == 0 && f.nmeta == 1 && strcmp(st_meta(&f, "k"), "v") == 0, "metadata only: %s", err.msg);
    if (rc == SERCE_OK) st_free(&f);
    serce_buf_free(&out);
}

static void test_writer_checks(void) {
    serce_buf out = {0};
    serce_error err = {0, {0}};
    float d[4] = {0};
    st_tensor t[2] = {
        {.name = "a", .dtype = ST_F32, .ndim = 1, .shape = {4}, .data = (uint8_t *)d, .nbytes = 16},
        {.name = "a", .dtype = ST_F32, .ndim = 1, .shape = {2}, .data = (uint8_t *)d, .nbytes = 8},
    };
    serce_buf_append(&out, "keep", 4);
#define WRITE_BAD(nt, mk, mv, nm, code, phrase)                                                   \
    do {                                                                                          \
        int rc_ = st_write(&out, t, nt, mk, mv, nm, &err);                                        \
        CHECK(rc_ == (code), "st_write gave %d (%s), expected %d", rc_, err.msg, code);           \
        CHECK_STR_CONTAINS(err.msg, phrase);                                                      \
        CHECK(out.len == 4 && memcmp(out.data, "keep", 4) == 0, "output untouched on failure"); \
    } while (0)
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_ARG, "two tensors are named 'a'");
    t[1].name = "";
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_ARG, "tensor 1 has an empty name");
    t[1].name = NULL;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_ARG, "tensor 1 has an empty name");
    t[1].name = "__metadata__";
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_ARG, "cannot be named '__metadata__'");
    t[1].name = "b\xFF";
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_UTF8, "tensor name 'b");
    t[1].name = "b";
    t[1].nbytes = 12;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_SHAPE, "tensor 'b' has 12 bytes but F32 [2] needs 8");
    t[1].nbytes = 8;
    t[1].dtype = 99;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_DTYPE, "tensor 'b' has an unknown dtype 99");
    t[1].dtype = ST_U8;
    t[1].ndim = 9;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_SHAPE, "tensor 'b' has 9 dimensions");
    t[1].ndim = 1;
    t[1].shape[0] = -8;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_SHAPE, "tensor 'b' has dimension 0 of size -8");
    t[1].shape[0] = 8;
    t[1].data = NULL;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_ARG, "tensor 'b' has no data");
    t[1].data = (uint8_t *)d;
    t[1].ndim = 3;
    t[1].shape[0] = t[1].shape[1] = t[1].shape[2] = 1LL << 30;
    WRITE_BAD(2, NULL, NULL, 0, SERCE_ERR_SHAPE, "has too many elements");
    t[1].ndim = 1;
    t[1].shape[0] = 8;
    const char *mk[] = {"x", "y", "x"}, *mv[] = {"1", "2", "3"};
    WRITE_BAD(2, mk, mv, 3, SERCE_ERR_ARG, "metadata key 'x' appears twice");
    const char *bk[] = {"x", "bad"}, *bv[] = {"1", "\xC3("};
    WRITE_BAD(2, bk, bv, 2, SERCE_ERR_UTF8, "metadata value of 'bad' is not valid UTF-8");
    const char *nk[] = {"x", NULL};
    WRITE_BAD(2, nk, mv, 2, SERCE_ERR_ARG, "metadata entry 1 is missing its key or value");
    WRITE_BAD(-1, NULL, NULL, 0, SERCE_ERR_ARG, "invalid arguments");
    /* and the now valid pair writes and reads back */
    int rc = st_write(&out, t, 2, mk, mv, 2, &err);
    CHECK(rc == SERCE_OK, "valid after fixes: %s", err.msg);
    st_file f;
    rc = st_parse(out.data + 4, out.len - 4, &f, &err);
    CHECK(rc == SERCE_OK && f.ntensors == 2 && f.tensors[1].dtype == ST_U8, "read back: %s", err.msg);
    if (rc == SERCE_OK) st_free(&f);
    serce_buf_free(&out);
}

/* ---------------------------------------------------------------- corruptions */

static void test_truncations(void) {
    serce_buf out = {0};
    serce_error err = {0, {0}};
    CHECK(write_sample(&out, &err) == SERCE_OK, "write");
    int all_fail = 1;
    for (size_t len = 0; len < out.len; len++) {
        /* an exact-size copy so ASan sees any read past the end */
        uint8_t *b = malloc(len ? len : 1);
        memcpy(b, out.data, len);
        st_file f;
        err.msg[0] = 0;
        int rc = st_parse(b, len, &f, &err);
        if (rc == SERCE_OK) {
            all_fail = 0;
            st_free(&f);
        } else if (err.msg[0] == 0 || f.tensors != NULL) {
            all_fail = 0;
        }
        if (len == 5) CHECK_STR_CONTAINS(err.msg, "file is 5 bytes, too short for the 8-byte header length");
        if (len == 20) CHECK_STR_CONTAINS(err.msg, "is beyond the end of the file (20 bytes)");
        if (len == out.len - 1) CHECK_STR_CONTAINS(err.msg, "run past the end of the data");
        free(b);
    }
    CHECK(all_fail, "every proper prefix fails cleanly with a message");
    st_file f;
    CHECK(st_parse(out.data, out.len, &f, &err) == SERCE_OK, "the whole file parses");
    st_free(&f);
    /* the data block may not be longer than the tensors either */
    CHECK(serce_buf_append(&out, "\0\0\0", 3) == SERCE_OK, "append");
    CHECK(st_parse(out.data, out.len, &f, &err) == SERCE_ERR_FORMAT, "trailing bytes");
    CHECK_STR_CONTAINS(err.msg, "data block has 3 bytes not covered by any tensor");
    serce_buf_free(&out);
    CHECK(st_parse(NULL, 0, &f, &err) == SERCE_ERR_FORMAT, "empty file");
    CHECK_STR_CONTAINS(err.msg, "file is 0 bytes");
}

static void test_header_length(void) {
    size_t n;
    st_file f;
    serce_error err = {0, {0}};
    uint8_t *b = build("{}", 110, 999999, &n);
    CHECK(n == 120, "120 bytes");
    CHECK(st_parse(b, n, &f, &err) == SERCE_ERR_FORMAT, "past the end");
    CHECK_STR_CONTAINS(err.msg, "header length 999999 is beyond the end of the file (120 bytes)");
    free(b);
    b = build("{}", 0, (uint64_t)ST_MAX_HEADER + 1, &n);
    CHECK(st_parse(b, n, &f, &err) == SERCE_ERR_FORMAT, "oversized");
    CHECK_STR_CONTAINS(err.msg, "header length 67108865 is above the limit of 67108864 bytes");
    free(b);
    b = build("{}", 0, ~(uint64_t)0 - 1, &n);
    CHECK(st_parse(b, n, &f, &err) == SERCE_ERR_FORMAT, "2^64 - 2");
    CHECK_STR_CONTAINS(err.msg, "header length 18446744073709551614 is above the limit");
    free(b);
    b = build("{}", 8, 0, &n);
    CHECK(st_parse(b, n, &f, &err) == SERCE_ERR_JSON, "zero header length");
    CHECK_STR_CONTAINS(err.msg, "header is not valid JSON at byte 0: unexpected end of input");
    free(b);
    /* the declared length cuts the JSON short: the rest counts as data */
    b = build("{\"a\":1}", 0, 4, &n);
    CHECK(st_parse(b, n, &f, &err) == SERCE_ERR_JSON, "short declared length");
    CHECK_STR_CONTAINS(err.msg, "header is not valid JSON at byte 4");
    free(b);
}

static void test_corruptions(void) {
    /* the messages of safetensors.h */
    expect_bad("{\"head.bias\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, SERCE_ERR_DTYPE,
               "tensor 'head.bias': unknown dtype 'F33'");
    expect_bad("{\"head.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 12, SERCE_ERR_FORMAT,
               "tensor 'head.bias': data_offsets [0, 12] hold 12 bytes but F32 [4] needs 16");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[64],\"data_offsets\":[0,64]},"
               "\"b\":{\"dtype\":\"U8\",\"shape\":[64],\"data_offsets\":[32,96]}}",
               96, SERCE_ERR_FORMAT, "tensor 'a' data [0, 64) overlaps tensor 'b' data [32, 96)");
    expect_bad("{\"x\":{\"dtype\":\"U8\",\"shape\":[4096],\"data_offsets\":[0,4096]}}", 100, SERCE_ERR_FORMAT,
               "tensor 'x': data_offsets [0, 4096] run past the end of the data (100 bytes)");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, SERCE_ERR_FORMAT, "__metadata__ value of 'k' is not a string");
    expect_bad("{\"a\": 1,}", 0, SERCE_ERR_JSON, "header is not valid JSON at byte 8: trailing comma before '}'");

    /* overlap regardless of header order, and nested inside another tensor */
    expect_bad("{\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]},"
               "\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}",
               12, SERCE_ERR_FORMAT, "tensor 'a' data [0, 8) overlaps tensor 'b' data [4, 12)");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
               "\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,8]}}",
               16, SERCE_ERR_FORMAT, "tensor 'a' data [0, 16) overlaps tensor 'z' data [8, 8)");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}",
               8, SERCE_ERR_FORMAT, "tensor 'a' data [0, 8) overlaps tensor 'b' data [0, 8)");

    /* gaps */
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[16,24]}}",
               24, SERCE_ERR_FORMAT, "data block has 8 bytes not covered by any tensor (the first gap is [8, 16))");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}", 20, SERCE_ERR_FORMAT,
               "data block has 12 bytes not covered by any tensor (the first gap is [0, 4))");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 9, SERCE_ERR_FORMAT,
               "data block has 1 byte not covered by any tensor (the first gap is [8, 9))");
    expect_bad("{}", 4, SERCE_ERR_FORMAT, "data block has 4 bytes not covered by any tensor");

    /* the header itself */
    expect_bad("not json", 0, SERCE_ERR_JSON, "header is not valid JSON at byte 0: invalid literal");
    expect_bad("<html>", 0, SERCE_ERR_JSON, "header is not valid JSON at byte 0: unexpected character '<'");
    expect_bad("[]", 0, SERCE_ERR_FORMAT, "header is an array, not a JSON object");
    expect_bad("\"s\"", 0, SERCE_ERR_FORMAT, "header is a string, not a JSON object");
    expect_bad("{} {}", 0, SERCE_ERR_JSON, "header is not valid JSON at byte 3: unexpected data after the JSON value");
    expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
               "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
               2, SERCE_ERR_JSON, "duplicate key 'a'");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, SERCE_ERR_JSON, "duplicate key '__metadata__'");

    /* metadata */
    expect_bad("{\"__metadata__\":[]}", 0, SERCE_ERR_FORMAT, "__metadata__ is an array, not an object of strings");
    expect_bad("{\"__metadata__\":\"x\"}", 0, SERCE_ERR_FORMAT, "__metadata__ is a string, not an object");
    expect_bad("{\"__metadata__\":{\"a\":\"1\",\"k\":null}}", 0, SERCE_ERR_FORMAT, "__metadata__ value of 'k' is not a string (it is null)");
    expect_bad("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, SERCE_ERR_FORMAT, "value of 'k' is not a string (it is an object)");
    expect_bad("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, SERCE_ERR_FORMAT, "__metadata__ value of 'k' contains a NUL");
    expect_bad("{\"__metadata__\":{\"k\\u0000\":\"v\"}}", 0, SERCE_ERR_FORMAT, "__metadata__ key 'k?' contains a NUL");

    /* tensor entries */
    expect_bad("{\"t\":[]}", 0, SERCE_ERR_FORMAT, "tensor 't': entry is an array, not an object");
    expect_bad("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT, "tensor 't': missing dtype");
    expect_bad("{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT, "tensor 't': dtype is a number, not a string");
    expect_bad("{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_DTYPE, "tensor 't': unknown dtype 'f32'");
    expect_bad("{\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, SERCE_ERR_DTYPE, "unknown dtype 'F8_E4M3'");
    expect_bad("{\"t\":{\"dtype\":\"F32\\u0000\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_DTYPE, "unknown dtype 'F32?'");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT, "tensor 't': missing shape");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT, "tensor 't': shape is a number, not an array");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT,
               "tensor 't': shape dimension 1 is -1, not a non-negative integer");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT,
               "tensor 't': shape dimension 0 is 2.5, not a non-negative integer");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, SERCE_ERR_FORMAT, "shape dimension 0 is a string, not");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,8]}}", 8, SERCE_ERR_FORMAT, "shape dimension 0 is 1.0000000000000001e+300, not");
    expect_bad("{\"t\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1, SERCE_ERR_FORMAT,
               "tensor 't': shape has 9 dimensions, more than 8");
    expect_bad("{\"t\":{\"dtype\":\"U8\",\"shape\":[9007199254740992,9007199254740992],\"data_offsets\":[0,1]}}", 1,
               SERCE_ERR_FORMAT, "tensor 't': shape [9007199254740992, 9007199254740992] has too many elements");
    expect_bad("{\"t\":{\"dtype\":\"I64\",\"shape\":[4294967296,536870912],\"data_offsets\":[0,1]}}", 1, SERCE_ERR_FORMAT,
               "has too many elements"); /* 2^61 elements fit, 2^64 bytes do not */
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, SERCE_ERR_FORMAT, "tensor 't': missing data_offsets");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, SERCE_ERR_FORMAT,
               "tensor 't': data_offsets is not an array of two non-negative integers");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4, SERCE_ERR_FORMAT, "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}}", 4, SERCE_ERR_FORMAT, "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}", 4, SERCE_ERR_FORMAT, "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, SERCE_ERR_FORMAT, "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", 4, SERCE_ERR_FORMAT, "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, SERCE_ERR_FORMAT,
               "tensor 't': data_offsets [8, 4] end before they begin");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 4, SERCE_ERR_FORMAT,
               "data_offsets is not an array of two");
    expect_bad("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9007199254740988,9007199254740992]}}", 4,
               SERCE_ERR_FORMAT, "data_offsets [9007199254740988, 9007199254740992] run past the end of the data (4 bytes)");
    expect_bad("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT, "a tensor has an empty name");
    expect_bad("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_FORMAT,
               "tensor 'a?b': name contains a NUL character");
    /* a name with a newline is quoted on one line */
    expect_bad("{\"line1\\nline2\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SERCE_ERR_DTYPE,
               "tensor 'line1?line2': unknown dtype");

    /* accepted: extra fields, spaces, scalars, empty tensors, header padding, float-looking integers */
    st_file f;
    uint8_t *b;
    if (parse_ok("{ \"s\" : {\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8],\"extra\":1},"
                 "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]},"
                 "\"e0\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                 "\"v\":{\"dtype\":\"U16\",\"shape\":[2.0],\"data_offsets\":[8,12]}}   \n",
                 12, &f, &b) == SERCE_OK) {
        CHECK(f.ntensors == 4, "4 tensors");
        CHECK(strcmp(f.tensors[0].name, "e0") == 0 && strcmp(f.tensors[1].name, "s") == 0 &&
                  strcmp(f.tensors[2].name, "e") == 0 && strcmp(f.tensors[3].name, "v") == 0,
              "sorted by offset, empty first: %s %s %s %s", f.tensors[0].name, f.tensors[1].name, f.tensors[2].name,
              f.tensors[3].name);
        const st_tensor *s = st_find(&f, "s");
        CHECK(s && s->ndim == 0 && s->nbytes == 8 && s->dtype == ST_F64, "scalar");
        const st_tensor *v = st_find(&f, "v");
        CHECK(v && v->ndim == 1 && v->shape[0] == 2 && v->data[0] == 8, "2.0 as a dimension");
        st_free(&f);
        free(b);
    }
}

/* A file in the byte layout of the reference Python implementation, written by hand: little-endian
 * u64 length, compact JSON with __metadata__ first, space padding to 8, F32 data in header order. */
static void test_python_layout(void) {
    static const char hdr[] = "{\"__metadata__\":{\"format\":\"pt\"},\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}";
    size_t h = sizeof hdr - 1, pad = (8 - h % 8) % 8;
    uint8_t file[512];
    size_t n = 0;
    uint64_t hl = h + pad;
    for (int j = 0; j < 8; j++) file[n++] = (uint8_t)(hl >> (8 * j));
    memcpy(file + n, hdr, h);
    n += h;
    memset(file + n, ' ', pad);
    n += pad;
    const float vals[6] = {0.5f, -1.0f, 1.0f, 2.0f, 3.0f, 4.0f};
    memcpy(file + n, vals, sizeof vals);
    n += sizeof vals;
    st_file f;
    serce_error err = {0, {0}};
    int rc = st_parse(file, n, &f, &err);
    CHECK(rc == SERCE_OK, "python layout: %s", err.msg);
    if (rc != SERCE_OK) return;
    const st_tensor *w = st_find(&f, "weight"), *bb = st_find(&f, "bias");
    float got[4];
    CHECK(w && w->ndim == 2 && w->shape[0] == 2 && w->shape[1] == 2 && w->nbytes == 16, "weight shape");
    if (w) {
        memcpy(got, w->data, 16); /* not aligned: copy out */
        CHECK(got[0] == 1.0f && got[3] == 4.0f, "weight values");
    }
    CHECK(bb && bb->nbytes == 8 && memcmp(bb->data, vals, 8) == 0, "bias values");
    CHECK(strcmp(st_meta(&f, "format"), "pt") == 0, "format pt");
    st_free(&f);
}

/* The fixture written with torch by tests/data/safetensors/make_torch_small.py. */
static void test_torch_fixture(void) {
    const char *path = SERCE_TEST_DIR "/data/safetensors/torch_small.safetensors";
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    uint8_t buf[1024];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK(n == 452, "fixture is %zu bytes", n);
    st_file f;
    serce_error err = {0, {0}};
    int rc = st_parse(buf, n, &f, &err);
    CHECK(rc == SERCE_OK, "torch fixture: %s", err.msg);
    if (rc != SERCE_OK) return;
    CHECK(f.ntensors == 5 && f.nmeta == 2, "5 tensors, 2 metadata");
    CHECK(strcmp(st_meta(&f, "format"), "pt") == 0 && strcmp(st_meta(&f, "note"), "Serçe fixture") == 0, "metadata");
    static const char *order[5] = {"lstm.bias", "embed.weight", "mask", "step", "bf"};
    for (int j = 0; j < 5 && j < f.ntensors; j++)
        CHECK(strcmp(f.tensors[j].name, order[j]) == 0, "offset order %d: %s", j, f.tensors[j].name);
    const st_tensor *t = st_find(&f, "embed.weight");
    CHECK(t && t->dtype == ST_F32 && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 4, "embed.weight");
    if (t) {
        float v[12];
        memcpy(v, t->data, sizeof v);
        int ok = 1;
        for (int j = 0; j < 12; j++) ok &= v[j] == (float)j / 8;
        CHECK(ok, "embed.weight values arange(12)/8");
    }
    t = st_find(&f, "lstm.bias");
    uint16_t h[3];
    CHECK(t && t->dtype == ST_F16 && t->nbytes == 6, "lstm.bias");
    if (t) {
        memcpy(h, t->data, 6);
        CHECK(h[0] == 0x3C00 && h[1] == 0xC100 && h[2] == 0x7BFF, "F16 bits %04x %04x %04x", h[0], h[1], h[2]);
    }
    t = st_find(&f, "bf");
    CHECK(t && t->dtype == ST_BF16 && t->nbytes == 4, "bf");
    if (t) {
        memcpy(h, t->data, 4);
        CHECK(h[0] == 0x3FC0 && h[1] == 0xBC00, "BF16 bits %04x %04x", h[0], h[1]);
    }
    t = st_find(&f, "step");
    CHECK(t && t->dtype == ST_I64 && t->shape[0] == 3, "step");
    if (t) {
        int64_t s[3];
        memcpy(s, t->data, sizeof s);
        CHECK(s[0] == -1 && s[1] == 0 && s[2] == (int64_t)1 << 40, "I64 values");
    }
    t = st_find(&f, "mask");
    CHECK(t && t->dtype == ST_BOOL && t->nbytes == 2 && t->data[0] == 1 && t->data[1] == 0, "BOOL");

    /* rewriting the tensors in offset order with the same metadata gives the same data block */
    serce_buf out = {0};
    rc = st_write(&out, f.tensors, f.ntensors, (const char *const *)f.meta_keys, (const char *const *)f.meta_vals, f.nmeta, &err);
    CHECK(rc == SERCE_OK, "rewrite: %s", err.msg);
    if (rc == SERCE_OK) {
        uint64_t hl = 0, hl0 = 0;
        for (int j = 7; j >= 0; j--) {
            hl = (hl << 8) | out.data[j];
            hl0 = (hl0 << 8) | buf[j];
        }
        CHECK(out.len - 8 - hl == n - 8 - hl0 && memcmp(out.data + 8 + hl, buf + 8 + hl0, n - 8 - hl0) == 0,
              "same data block");
    }
    serce_buf_free(&out);
    st_free(&f);
}

/* ---------------------------------------------------------------- fault injection */

static void test_alloc_failures(void) {
    serce_buf file = {0};
    serce_error err = {0, {0}};
    CHECK(write_sample(&file, &err) == SERCE_OK, "write");

    int rc = SERCE_ERR_NOMEM, fails = 0;
    long k;
    st_file f;
    for (k = 1; k < 10000 && rc != SERCE_OK; k++) {
        serce_alloc_fail_at(k);
        rc = st_parse(file.data, file.len, &f, &err);
        if (rc == SERCE_ERR_NOMEM) {
            fails++;
            CHECK(f.tensors == NULL && f.priv == NULL && f.meta_keys == NULL, "st_parse k=%ld left storage", k);
            CHECK_STR_CONTAINS(err.msg, "out of memory");
        } else {
            CHECK(rc == SERCE_OK, "st_parse k=%ld: %d %s", k, rc, err.msg);
        }
    }
    serce_alloc_fail_at(0);
    CHECK(rc == SERCE_OK && fails >= 5, "st_parse: %d injected failures, then success", fails);
    if (rc == SERCE_OK) {
        CHECK(f.ntensors == 7 && f.nmeta == 4, "complete after the fault loop");
        st_free(&f);
    }

    /* st_write: the output keeps its earlier content after any failure */
    st_tensor t[7];
    sample_tensors(t);
    serce_buf out = {0};
    rc = SERCE_ERR_NOMEM;
    fails = 0;
    for (k = 1; k < 10000 && rc != SERCE_OK; k++) {
        serce_buf_free(&out);
        serce_alloc_fail_at(0);
        serce_buf_append(&out, "xy", 2);
        serce_alloc_fail_at(k);
        rc = st_write(&out, t, 7, meta_k, meta_v, 4, &err);
        if (rc == SERCE_ERR_NOMEM) {
            fails++;
            CHECK(out.len == 2 && memcmp(out.data, "xy", 2) == 0, "st_write k=%ld changed the output", k);
        } else {
            CHECK(rc == SERCE_OK, "st_write k=%ld: %d %s", k, rc, err.msg);
        }
    }
    serce_alloc_fail_at(0);
    CHECK(rc == SERCE_OK && fails >= 3, "st_write: %d injected failures, then success", fails);
    CHECK(out.len == file.len + 2 && memcmp(out.data + 2, file.data, file.len) == 0, "same bytes after the fault loop");
    serce_buf_free(&out);

    /* sj_parse on the header of the same file */
    uint64_t hl = 0;
    for (int j = 7; j >= 0; j--) hl = (hl << 8) | file.data[j];
    sj_doc doc;
    rc = SERCE_ERR_NOMEM;
    fails = 0;
    for (k = 1; k < 10000 && rc != SERCE_OK; k++) {
        serce_alloc_fail_at(k);
        rc = sj_parse((const char *)file.data + 8, (size_t)hl, "header", &doc, &err);
        if (rc == SERCE_ERR_NOMEM) fails++;
        else CHECK(rc == SERCE_OK, "sj_parse k=%ld: %d %s", k, rc, err.msg);
    }
    serce_alloc_fail_at(0);
    CHECK(rc == SERCE_OK && fails >= 2, "sj_parse: %d injected failures, then success", fails);
    if (rc == SERCE_OK) sj_free(&doc);
    serce_buf_free(&file);
}

int main(void) {
    test_dtypes();
    test_roundtrip();
    test_writer_checks();
    test_truncations();
    test_header_length();
    test_corruptions();
    test_python_layout();
    test_torch_fixture();
    test_alloc_failures();
    return check_report("test_safetensors");
}
