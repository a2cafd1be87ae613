/* safetensors.c — the safetensors container, read from and written to memory.
 *
 * Role: turn bytes into named tensors (pointers into the caller's buffer) and back. The reader
 * trusts nothing: the header length, the JSON, every dtype, shape and offset pair, and the layout of
 * the data block (tensors must cover it exactly, without overlaps or gaps, as the format requires)
 * are checked, and each failure names the tensor and the numbers involved.
 * What it deliberately does not do: know about LSTMs (model.c checks names and shapes), touch files
 * (core/fileio.c does), convert endianness (all hosts are little-endian), align tensor data (the
 * format does not promise alignment, so callers copy out with memcpy), or support dtypes beyond
 * st_dtype (e.g. F8_E4M3 is reported as an unknown dtype).
 */
#include "safetensors.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_EXACT 9007199254740992.0 /* 2^53: JSON numbers are doubles, exact up to here */

static const char *const st_names[ST_NDTYPES] = {
    [ST_F32] = "F32", [ST_F16] = "F16", [ST_BF16] = "BF16", [ST_I8] = "I8",   [ST_U8] = "U8",
    [ST_I32] = "I32", [ST_I64] = "I64", [ST_F64] = "F64",   [ST_I16] = "I16", [ST_U16] = "U16",
    [ST_U32] = "U32", [ST_U64] = "U64", [ST_BOOL] = "BOOL",
};
static const int st_sizes[ST_NDTYPES] = {
    [ST_F32] = 4, [ST_F16] = 2, [ST_BF16] = 2, [ST_I8] = 1,  [ST_U8] = 1,  [ST_I32] = 4,  [ST_I64] = 8,
    [ST_F64] = 8, [ST_I16] = 2, [ST_U16] = 2,  [ST_U32] = 4, [ST_U64] = 8, [ST_BOOL] = 1,
};

const char *st_dtype_name(int dtype) {
    if (dtype < 0 || dtype >= ST_NDTYPES) return "?";
    return st_names[dtype];
}

int st_dtype_size(int dtype) {
    if (dtype < 0 || dtype >= ST_NDTYPES) return 0;
    return st_sizes[dtype];
}

/* Copy at most 60 bytes of a name for quoting in a one-line message: control characters become
 * '?' and a cut never splits a UTF-8 sequence. */
static const char *st_quote(char out[72], const char *s, size_t len) {
    size_t k = len > 60 ? 60 : len;
    if (k < len)
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    for (size_t j = 0; j < k; j++) {
        unsigned char c = (unsigned char)s[j];
        out[j] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (k < len) memcpy(out + k, "...", 4);
    else out[k] = 0;
    return out;
}

/* "[2, 3]" (or "[...]" if it does not fit, which 8 dims of 2^53 never reach in 256 bytes) */
static const char *st_shape_str(char out[256], const int64_t *shape, int ndim) {
    size_t k = 0;
    out[k++] = '[';
    for (int d = 0; d < ndim; d++) {
        int w = snprintf(out + k, 256 - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
        if (w < 0 || (size_t)w >= 256 - k - 2) {
            memcpy(out, "[...]", 6);
            return out;
        }
        k += (size_t)w;
    }
    out[k++] = ']';
    out[k] = 0;
    return out;
}

/* Element count and byte size of a shape; -1 on overflow of 64 bits or of size_t. */
static int st_nbytes(int dtype, const int64_t *shape, int ndim, size_t *out) {
    uint64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        uint64_t v = (uint64_t)shape[d];
        if (v && count > UINT64_MAX / v) return -1;
        count *= v;
    }
    uint64_t size = (uint64_t)st_dtype_size(dtype);
    if (count > UINT64_MAX / size) return -1;
    if (count * size > SIZE_MAX) return -1;
    *out = (size_t)(count * size);
    return 0;
}

static int st_dtype_parse(const char *s) {
    for (int d = 0; d < ST_NDTYPES; d++)
        if (strcmp(s, st_names[d]) == 0) return d;
    return -1;
}

/* A JSON number that is an exact non-negative integer (<= 2^53), or -1. */
static int st_node_uint(const sj_doc *doc, int k, uint64_t *out) {
    if (k < 0 || doc->nodes[k].type != SJ_NUMBER) return -1;
    double d = doc->nodes[k].num;
    if (!(d >= 0) || d > ST_MAX_EXACT || d != (double)(uint64_t)d) return -1;
    *out = (uint64_t)d;
    return 0;
}

/* "an array", "a number", ... for messages about a JSON value of the wrong kind */
static const char *st_type_name(int type) {
    switch (type) {
    case SJ_NULL: return "null";
    case SJ_FALSE:
    case SJ_TRUE: return "a boolean";
    case SJ_NUMBER: return "a number";
    case SJ_STRING: return "a string";
    case SJ_ARRAY: return "an array";
    default: return "an object";
    }
}

/* What a value that should have been a non-negative integer is: "-1", "2.5", "a string". */
static const char *st_describe(char out[40], const sj_doc *doc, int k) {
    if (doc->nodes[k].type == SJ_NUMBER) snprintf(out, 40, "%.17g", doc->nodes[k].num);
    else snprintf(out, 40, "%s", st_type_name(doc->nodes[k].type));
    return out;
}

/* Sort key: data offset, then size (an empty tensor before a full one at the same offset), then
 * name, which is unique, so the order does not depend on the header order or on qsort. */
static int st_tensor_cmp(const void *va, const void *vb) {
    const st_tensor *a = va, *b = vb;
    if (a->data != b->data) return a->data < b->data ? -1 : 1;
    if (a->nbytes != b->nbytes) return a->nbytes < b->nbytes ? -1 : 1;
    return strcmp(a->name, b->name);
}

typedef struct {
    char *strings; /* every name, key and value, NUL-terminated, in one block */
} st_priv;

void st_free(st_file *f) {
    if (!f) return;
    serce_free(f->tensors);
    serce_free(f->meta_keys);
    serce_free(f->meta_vals);
    serce_free(f->priv);
    memset(f, 0, sizeof *f);
}

/* Check the metadata object and copy its strings into the block at *w. */
static int st_read_meta(const sj_doc *doc, int md, st_file *f, char **w, serce_error *err) {
    char q[72];
    if (doc->nodes[md].type != SJ_OBJECT)
        return serce_fail(err, SERCE_ERR_FORMAT, "__metadata__ is %s, not an object of strings",
                          st_type_name(doc->nodes[md].type));
    int j = 0;
    for (int k = doc->nodes[md].child; k >= 0; k = doc->nodes[k].next, j++) {
        const sj_node *key = &doc->nodes[k], *val = &doc->nodes[key->child];
        if (val->type != SJ_STRING)
            return serce_fail(err, SERCE_ERR_FORMAT, "__metadata__ value of '%s' is not a string (it is %s)",
                              st_quote(q, key->str, key->len), st_type_name(val->type));
        /* the API hands out C strings: an embedded NUL would silently cut them */
        if (memchr(key->str, 0, key->len))
            return serce_fail(err, SERCE_ERR_FORMAT, "__metadata__ key '%s' contains a NUL character",
                              st_quote(q, key->str, key->len));
        if (memchr(val->str, 0, val->len))
            return serce_fail(err, SERCE_ERR_FORMAT, "__metadata__ value of '%s' contains a NUL character",
                              st_quote(q, key->str, key->len));
        f->meta_keys[j] = memcpy(*w, key->str, key->len + 1);
        *w += key->len + 1;
        f->meta_vals[j] = memcpy(*w, val->str, val->len + 1);
        *w += val->len + 1;
    }
    f->nmeta = j;
    return SERCE_OK;
}

/* Check one tensor entry (key node k) and fill t; its name is copied into the block at *w. */
static int st_read_tensor(const sj_doc *doc, int k, const uint8_t *data, size_t dlen, st_tensor *t, char **w,
                          serce_error *err) {
    const sj_node *key = &doc->nodes[k];
    int e = key->child;
    char q[72], sh[256];
    const char *name = st_quote(q, key->str, key->len);
    if (key->len == 0) return serce_fail(err, SERCE_ERR_FORMAT, "a tensor has an empty name");
    if (memchr(key->str, 0, key->len))
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': name contains a NUL character", name);
    if (doc->nodes[e].type != SJ_OBJECT)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': entry is %s, not an object", name,
                          st_type_name(doc->nodes[e].type));

    int kd = sj_get(doc, e, "dtype");
    if (kd < 0) return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': missing dtype", name);
    if (doc->nodes[kd].type != SJ_STRING)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': dtype is %s, not a string", name,
                          st_type_name(doc->nodes[kd].type));
    int dtype = memchr(doc->nodes[kd].str, 0, doc->nodes[kd].len) ? -1 : st_dtype_parse(doc->nodes[kd].str);
    if (dtype < 0) {
        char qd[72];
        return serce_fail(err, SERCE_ERR_DTYPE, "tensor '%s': unknown dtype '%s'", name,
                          st_quote(qd, doc->nodes[kd].str, doc->nodes[kd].len));
    }

    int ks = sj_get(doc, e, "shape");
    if (ks < 0) return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': missing shape", name);
    if (doc->nodes[ks].type != SJ_ARRAY)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': shape is %s, not an array", name,
                          st_type_name(doc->nodes[ks].type));
    int ndim = doc->nodes[ks].count;
    if (ndim > ST_MAX_DIMS)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': shape has %d dimensions, more than %d", name, ndim,
                          ST_MAX_DIMS);
    int d = 0;
    for (int kk = doc->nodes[ks].child; kk >= 0; kk = doc->nodes[kk].next, d++) {
        uint64_t v;
        if (st_node_uint(doc, kk, &v) != 0) {
            char what[40];
            return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': shape dimension %d is %s, not a non-negative integer",
                              name, d, st_describe(what, doc, kk));
        }
        t->shape[d] = (int64_t)v;
    }
    t->ndim = ndim;
    t->dtype = dtype;
    size_t need;
    if (st_nbytes(dtype, t->shape, ndim, &need) != 0)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': shape %s has too many elements", name,
                          st_shape_str(sh, t->shape, ndim));

    int ko = sj_get(doc, e, "data_offsets");
    if (ko < 0) return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': missing data_offsets", name);
    uint64_t b, en;
    if (doc->nodes[ko].type != SJ_ARRAY || doc->nodes[ko].count != 2 || st_node_uint(doc, sj_at(doc, ko, 0), &b) != 0 ||
        st_node_uint(doc, sj_at(doc, ko, 1), &en) != 0)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': data_offsets is not an array of two non-negative integers",
                          name);
    if (b > en)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] end before they begin", name,
                          (unsigned long long)b, (unsigned long long)en);
    if (en > dlen)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%zu bytes)",
                          name, (unsigned long long)b, (unsigned long long)en, dlen);
    if (en - b != need)
        return serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but %s %s needs %zu",
                          name, (unsigned long long)b, (unsigned long long)en, (unsigned long long)(en - b),
                          st_names[dtype], st_shape_str(sh, t->shape, ndim), need);
    t->data = data + b;
    t->nbytes = need;
    t->name = memcpy(*w, key->str, key->len + 1);
    *w += key->len + 1;
    return SERCE_OK;
}

int st_parse(const uint8_t *buf, size_t n, st_file *f, serce_error *err) {
    if (!f) return serce_fail(err, SERCE_ERR_ARG, "st_parse: no file to fill");
    memset(f, 0, sizeof *f);
    if (!buf && n) return serce_fail(err, SERCE_ERR_ARG, "st_parse: no bytes given");
    if (n < 8) return serce_fail(err, SERCE_ERR_FORMAT, "file is %zu bytes, too short for the 8-byte header length", n);
    uint64_t hlen = 0;
    for (int j = 7; j >= 0; j--) hlen = (hlen << 8) | buf[j];
    if (hlen > ST_MAX_HEADER)
        return serce_fail(err, SERCE_ERR_FORMAT, "header length %llu is above the limit of %u bytes",
                          (unsigned long long)hlen, (unsigned)ST_MAX_HEADER);
    if (hlen > n - 8)
        return serce_fail(err, SERCE_ERR_FORMAT, "header length %llu is beyond the end of the file (%zu bytes)",
                          (unsigned long long)hlen, n);
    const char *header = (const char *)buf + 8;
    const uint8_t *data = buf + 8 + hlen;
    size_t dlen = n - 8 - (size_t)hlen;

    sj_doc doc;
    serce_error jerr = {0, {0}};
    int rc = sj_parse(header, (size_t)hlen, "header", &doc, &jerr);
    if (rc == SERCE_ERR_JSON) {
        /* "header: invalid JSON at byte K: why" -> "header is not valid JSON at byte K: why" */
        const char *at = strstr(jerr.msg, "invalid JSON ");
        return serce_fail(err, rc, "header is not valid JSON %s", at ? at + strlen("invalid JSON ") : jerr.msg);
    }
    if (rc != SERCE_OK) return serce_fail(err, rc, "%s", jerr.msg);
    if (doc.nodes[0].type != SJ_OBJECT) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "header is %s, not a JSON object", st_type_name(doc.nodes[0].type));
        sj_free(&doc);
        return rc;
    }

    /* One pass to size the allocations (duplicate keys were already refused by the JSON reader). */
    int md = -1, ntensors = 0, nmeta = 0;
    size_t strbytes = 1;
    for (int k = doc.nodes[0].child; k >= 0; k = doc.nodes[k].next) {
        if (strcmp(doc.nodes[k].str, "__metadata__") == 0 && doc.nodes[k].len == 12) {
            md = doc.nodes[k].child;
            if (doc.nodes[md].type != SJ_OBJECT) continue;
            for (int m = doc.nodes[md].child; m >= 0; m = doc.nodes[m].next) {
                nmeta++;
                strbytes += doc.nodes[m].len + 1 + doc.nodes[doc.nodes[m].child].len + 1;
            }
        } else {
            ntensors++;
            strbytes += doc.nodes[k].len + 1;
        }
    }
    /* strbytes <= 2 * hlen + small: no overflow */
    st_priv *priv = serce_malloc(sizeof *priv + strbytes);
    f->tensors = serce_calloc((size_t)ntensors, sizeof *f->tensors);
    f->meta_keys = serce_calloc((size_t)nmeta, sizeof *f->meta_keys);
    f->meta_vals = serce_calloc((size_t)nmeta, sizeof *f->meta_vals);
    f->priv = priv;
    if (!priv || !f->tensors || !f->meta_keys || !f->meta_vals) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory reading a safetensors header of %llu bytes",
                        (unsigned long long)hlen);
        goto fail;
    }
    priv->strings = (char *)(priv + 1);
    char *w = priv->strings;

    if (md >= 0 && (rc = st_read_meta(&doc, md, f, &w, err)) != SERCE_OK) goto fail;
    int j = 0;
    for (int k = doc.nodes[0].child; k >= 0; k = doc.nodes[k].next) {
        if (doc.nodes[k].child == md) continue;
        if ((rc = st_read_tensor(&doc, k, data, dlen, &f->tensors[j], &w, err)) != SERCE_OK) goto fail;
        j++;
    }
    f->ntensors = ntensors;
    sj_free(&doc);

    /* Layout: sorted by offset, each tensor must start exactly where the previous one ended. */
    qsort(f->tensors, (size_t)ntensors, sizeof *f->tensors, st_tensor_cmp);
    size_t end = 0, gap = 0, gap_b = 0, gap_e = 0;
    for (j = 0; j < ntensors; j++) {
        const st_tensor *t = &f->tensors[j];
        size_t b = (size_t)(t->data - data);
        if (b < end) {
            const st_tensor *pr = &f->tensors[j - 1]; /* no overlap so far, so it ends at `end` */
            size_t pb = (size_t)(pr->data - data);
            char q1[72], q2[72];
            rc = serce_fail(err, SERCE_ERR_FORMAT, "tensor '%s' data [%zu, %zu) overlaps tensor '%s' data [%zu, %zu)",
                            st_quote(q1, pr->name, strlen(pr->name)), pb, pb + pr->nbytes,
                            st_quote(q2, t->name, strlen(t->name)), b, b + t->nbytes);
            st_free(f);
            return rc;
        }
        if (b > end) {
            if (!gap) {
                gap_b = end;
                gap_e = b;
            }
            gap += b - end;
        }
        end = b + t->nbytes;
    }
    if (end < dlen) {
        if (!gap) {
            gap_b = end;
            gap_e = dlen;
        }
        gap += dlen - end;
    }
    if (gap) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "data block has %zu byte%s not covered by any tensor (the first gap is [%zu, %zu))",
                        gap, gap == 1 ? "" : "s", gap_b, gap_e);
        st_free(f);
        return rc;
    }
    return SERCE_OK;

fail:
    sj_free(&doc);
    st_free(f);
    return rc;
}

const st_tensor *st_find(const st_file *f, const char *name) {
    if (!f || !name) return NULL;
    for (int j = 0; j < f->ntensors; j++)
        if (strcmp(f->tensors[j].name, name) == 0) return &f->tensors[j];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key) {
    if (!f || !key) return NULL;
    for (int j = 0; j < f->nmeta; j++)
        if (strcmp(f->meta_keys[j], key) == 0) return f->meta_vals[j];
    return NULL;
}

/* ---------------------------------------------------------------- writer */

static int st_str_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The first repeated string among the n given, or NULL (sorted copy: n log n for large files). */
static int st_find_repeat(const char *const *s, int n, const char **dup) {
    *dup = NULL;
    if (n < 2) return SERCE_OK;
    const char **v = serce_malloc((size_t)n * sizeof *v);
    if (!v) return SERCE_ERR_NOMEM;
    memcpy(v, s, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, st_str_cmp);
    for (int j = 1; j < n && !*dup; j++)
        if (strcmp(v[j], v[j - 1]) == 0) *dup = v[j];
    serce_free(v);
    return SERCE_OK;
}

static int st_check_tensors(const st_tensor *tensors, int ntensors, serce_error *err) {
    char q[72], sh[256];
    for (int j = 0; j < ntensors; j++) {
        const st_tensor *t = &tensors[j];
        if (!t->name || !t->name[0]) return serce_fail(err, SERCE_ERR_ARG, "st_write: tensor %d has an empty name", j);
        const char *name = st_quote(q, t->name, strlen(t->name));
        if (strcmp(t->name, "__metadata__") == 0)
            return serce_fail(err, SERCE_ERR_ARG, "st_write: a tensor cannot be named '__metadata__'");
        if (t->dtype < 0 || t->dtype >= ST_NDTYPES)
            return serce_fail(err, SERCE_ERR_DTYPE, "st_write: tensor '%s' has an unknown dtype %d", name, t->dtype);
        if (t->ndim < 0 || t->ndim > ST_MAX_DIMS)
            return serce_fail(err, SERCE_ERR_SHAPE, "st_write: tensor '%s' has %d dimensions (0 to %d allowed)", name,
                              t->ndim, ST_MAX_DIMS);
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] < 0 || (double)t->shape[d] > ST_MAX_EXACT)
                return serce_fail(err, SERCE_ERR_SHAPE, "st_write: tensor '%s' has dimension %d of size %lld", name, d,
                                  (long long)t->shape[d]);
        size_t need;
        if (st_nbytes(t->dtype, t->shape, t->ndim, &need) != 0)
            return serce_fail(err, SERCE_ERR_SHAPE, "st_write: tensor '%s': shape %s has too many elements", name,
                              st_shape_str(sh, t->shape, t->ndim));
        if (t->nbytes != need)
            return serce_fail(err, SERCE_ERR_SHAPE, "st_write: tensor '%s' has %zu bytes but %s %s needs %zu", name,
                              t->nbytes, st_names[t->dtype], st_shape_str(sh, t->shape, t->ndim), need);
        if (need && !t->data) return serce_fail(err, SERCE_ERR_ARG, "st_write: tensor '%s' has no data", name);
    }
    return SERCE_OK;
}

int st_write(serce_buf *out, const st_tensor *tensors, int ntensors, const char *const *meta_keys,
             const char *const *meta_vals, int nmeta, serce_error *err) {
    char q[72];
    if (!out || ntensors < 0 || nmeta < 0 || (ntensors && !tensors) || (nmeta && (!meta_keys || !meta_vals)))
        return serce_fail(err, SERCE_ERR_ARG, "st_write: invalid arguments");
    int rc = st_check_tensors(tensors, ntensors, err);
    if (rc != SERCE_OK) return rc;
    for (int j = 0; j < nmeta; j++)
        if (!meta_keys[j] || !meta_vals[j])
            return serce_fail(err, SERCE_ERR_ARG, "st_write: metadata entry %d is missing its key or value", j);

    /* Names and keys must be unique or the file could not be read back. */
    const char *dup;
    const char **names = NULL;
    if (ntensors > 1) {
        names = serce_malloc((size_t)ntensors * sizeof *names);
        if (!names) return serce_fail(err, SERCE_ERR_NOMEM, "st_write: out of memory");
        for (int j = 0; j < ntensors; j++) names[j] = tensors[j].name;
    }
    rc = st_find_repeat(names, ntensors, &dup);
    serce_free(names);
    if (rc != SERCE_OK) return serce_fail(err, rc, "st_write: out of memory");
    if (dup) return serce_fail(err, SERCE_ERR_ARG, "st_write: two tensors are named '%s'", st_quote(q, dup, strlen(dup)));
    if ((rc = st_find_repeat(meta_keys, nmeta, &dup)) != SERCE_OK) return serce_fail(err, rc, "st_write: out of memory");
    if (dup) return serce_fail(err, SERCE_ERR_ARG, "st_write: metadata key '%s' appears twice", st_quote(q, dup, strlen(dup)));

    /* Header JSON, compact like the reference implementation: metadata first, then the tensors
     * in the given order with consecutive offsets. */
    serce_buf h = {0};
    rc = serce_buf_append(&h, "{", 1);
    if (nmeta > 0 && rc == SERCE_OK) {
        rc = serce_buf_append(&h, "\"__metadata__\":{", 16);
        for (int j = 0; j < nmeta && rc == SERCE_OK; j++) {
            if (j) rc = serce_buf_append(&h, ",", 1);
            if (rc == SERCE_OK && (rc = sj_write_str(&h, meta_keys[j], strlen(meta_keys[j]))) == SERCE_ERR_UTF8) {
                rc = serce_fail(err, rc, "st_write: metadata key '%s' is not valid UTF-8",
                                st_quote(q, meta_keys[j], strlen(meta_keys[j])));
                goto fail;
            }
            if (rc == SERCE_OK) rc = serce_buf_append(&h, ":", 1);
            if (rc == SERCE_OK && (rc = sj_write_str(&h, meta_vals[j], strlen(meta_vals[j]))) == SERCE_ERR_UTF8) {
                rc = serce_fail(err, rc, "st_write: metadata value of '%s' is not valid UTF-8",
                                st_quote(q, meta_keys[j], strlen(meta_keys[j])));
                goto fail;
            }
        }
        if (rc == SERCE_OK) rc = serce_buf_append(&h, "}", 1);
        if (rc == SERCE_OK && ntensors) rc = serce_buf_append(&h, ",", 1);
    }
    size_t off = 0;
    for (int j = 0; j < ntensors && rc == SERCE_OK; j++) {
        const st_tensor *t = &tensors[j];
        if (j) rc = serce_buf_append(&h, ",", 1);
        if (rc == SERCE_OK && (rc = sj_write_str(&h, t->name, strlen(t->name))) == SERCE_ERR_UTF8) {
            rc = serce_fail(err, rc, "st_write: tensor name '%s' is not valid UTF-8", st_quote(q, t->name, strlen(t->name)));
            goto fail;
        }
        if (rc == SERCE_OK) rc = serce_buf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", st_names[t->dtype]);
        for (int d = 0; d < t->ndim && rc == SERCE_OK; d++)
            rc = serce_buf_printf(&h, "%s%lld", d ? "," : "", (long long)t->shape[d]);
        if (off > SIZE_MAX - t->nbytes) {
            rc = serce_fail(err, SERCE_ERR_LIMIT, "st_write: the tensors hold more bytes than fit in memory");
            goto fail;
        }
        if (rc == SERCE_OK)
            rc = serce_buf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        off += t->nbytes;
    }
    if (rc == SERCE_OK) rc = serce_buf_append(&h, "}", 1);
    /* spaces (JSON whitespace) so the data block starts at a multiple of 8 bytes */
    while (rc == SERCE_OK && h.len % 8 != 0) rc = serce_buf_append(&h, " ", 1);
    if (rc != SERCE_OK) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "st_write: out of memory building the header");
        goto fail;
    }
    if (h.len > ST_MAX_HEADER) {
        rc = serce_fail(err, SERCE_ERR_LIMIT, "st_write: header of %zu bytes is above the limit of %u bytes", h.len,
                        (unsigned)ST_MAX_HEADER);
        goto fail;
    }

    size_t len0 = out->len;
    uint8_t le[8];
    for (int j = 0; j < 8; j++) le[j] = (uint8_t)((uint64_t)h.len >> (8 * j));
    rc = serce_buf_append(out, le, 8);
    if (rc == SERCE_OK) rc = serce_buf_append(out, h.data, h.len);
    for (int j = 0; j < ntensors && rc == SERCE_OK; j++) rc = serce_buf_append(out, tensors[j].data, tensors[j].nbytes);
    if (rc != SERCE_OK) {
        out->len = len0; /* nothing half-written stays behind */
        if (out->data) out->data[len0] = 0;
        rc = serce_fail(err, SERCE_ERR_NOMEM, "st_write: out of memory for a file of %zu bytes", 8 + h.len + off);
    }
fail:
    serce_buf_free(&h);
    return rc;
}
