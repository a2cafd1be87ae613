/* json.c — a strict RFC 8259 JSON reader into one flat node array, and string escaping for writers.
 *
 * Role: read safetensors headers and Serçe's metadata strings, which may come from anywhere, so
 * every deviation from RFC 8259 is an error with a byte offset: trailing commas, leading zeros,
 * unescaped control characters, invalid UTF-8, lone surrogates, duplicate object keys, trailing
 * garbage. Nesting is limited to SJ_MAX_DEPTH so hostile input cannot exhaust the stack.
 * Memory: the nodes live in one array (grown by realloc) and the decoded strings in one pool
 * (grown by realloc), so a document costs a handful of allocations whatever its size.
 * What it deliberately does not do: comments, NaN/Infinity, a byte-order mark, streaming, or
 * keeping the source positions of nodes after the parse. Numbers are doubles; integers are exact
 * up to 2^53, and sj_get_int refuses anything larger because it may have been rounded.
 *
 * Tree layout (see json.h): a container's `child` is its first element or key and siblings are
 * chained by `next`. An object member is a key node (type SJ_STRING, count 1) whose `child` is the
 * value node; the value's `parent` is the key node, the key's `parent` the object.
 */
#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SJ_MAX_DEPTH 64
#define SJ_MAX_EXACT 9007199254740992.0 /* 2^53: beyond this, integers may have been rounded */

/* Per-node data needed only while parsing. String nodes refer to the pool by offset until the end,
 * because the pool moves when it grows; `pos` locates a duplicate key for the error message. */
typedef struct {
    size_t pos;
    size_t off;
} sj_aux;

/* One object key, for the duplicate check of large objects (sorted with qsort). */
typedef struct {
    const char *s;
    size_t len;
    int idx;
} sj_keyref;

typedef struct {
    const char *s;
    size_t n, i;
    const char *what;
    serce_error *err;
    sj_node *nodes;
    sj_aux *aux;
    int nnodes, cap;
    char *pool;
    size_t plen, pcap;
    sj_keyref *keys; /* scratch for the duplicate check, reused across objects */
    size_t kcap;
    int failed;
} sj_parser;

/* Copy at most 60 bytes of s into out for quoting in a one-line message: control characters
 * become '?' (a decoded "\n" must not break the line) and a cut never splits a UTF-8 sequence. */
static const char *sj_quote(char out[72], const char *s, size_t len) {
    size_t k = len > 60 ? 60 : len;
    if (k < len)
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    for (size_t j = 0; j < k; j++) {
        unsigned char c = (unsigned char)s[j];
        out[j] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (k < len) {
        memcpy(out + k, "...", 4);
    } else {
        out[k] = 0;
    }
    return out;
}

static int sj_error_at(sj_parser *p, size_t pos, const char *reason) {
    if (!p->failed) {
        p->failed = SERCE_ERR_JSON;
        serce_fail(p->err, SERCE_ERR_JSON, "%s: invalid JSON at byte %zu: %s", p->what, pos, reason);
    }
    return -1;
}

static int sj_nomem(sj_parser *p) {
    if (!p->failed) {
        p->failed = SERCE_ERR_NOMEM;
        serce_fail(p->err, SERCE_ERR_NOMEM, "%s: out of memory while parsing JSON", p->what);
    }
    return -1;
}

/* Report the byte at pos as unexpected, printable or not. */
static int sj_unexpected(sj_parser *p, size_t pos, const char *expected) {
    char reason[160];
    if (pos >= p->n) {
        snprintf(reason, sizeof reason, "unexpected end of input, expected %s", expected);
    } else {
        unsigned char c = (unsigned char)p->s[pos];
        if (c >= 0x21 && c < 0x7F)
            snprintf(reason, sizeof reason, "unexpected character '%c', expected %s", c, expected);
        else
            snprintf(reason, sizeof reason, "unexpected byte 0x%02X, expected %s", c, expected);
    }
    return sj_error_at(p, pos, reason);
}

static void sj_skip_ws(sj_parser *p) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static int sj_new_node(sj_parser *p, int type, int parent, size_t pos) {
    if (p->nnodes == p->cap) {
        /* every node consumes at least one input byte and n <= INT_MAX was checked, so the
         * count cannot overflow; the byte sizes are checked for 32-bit (wasm) size_t */
        size_t cap = p->cap ? (size_t)p->cap * 2 : 16;
        if (cap > (size_t)p->n + 1) cap = (size_t)p->n + 1;
        if (cap <= (size_t)p->cap) cap = (size_t)p->cap + 1;
        if (cap > SIZE_MAX / sizeof(sj_node) || cap > SIZE_MAX / sizeof(sj_aux)) return sj_nomem(p);
        sj_node *nodes = serce_realloc(p->nodes, cap * sizeof *nodes);
        if (!nodes) return sj_nomem(p);
        p->nodes = nodes;
        sj_aux *aux = serce_realloc(p->aux, cap * sizeof *aux);
        if (!aux) return sj_nomem(p);
        p->aux = aux;
        p->cap = (int)cap;
    }
    int k = p->nnodes++;
    sj_node *nd = &p->nodes[k];
    nd->type = type;
    nd->parent = parent;
    nd->next = -1;
    nd->child = -1;
    nd->count = 0;
    nd->num = 0;
    nd->str = NULL;
    nd->len = 0;
    p->aux[k].pos = pos;
    p->aux[k].off = 0;
    return k;
}

/* ---------------------------------------------------------------- strings */

static int sj_hex4(const char *s, uint32_t *out) {
    uint32_t v = 0;
    for (int j = 0; j < 4; j++) {
        char c = s[j];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n) (lead byte >= 0x80), or 0 if invalid:
 * overlong forms, UTF-16 surrogates and code points above U+10FFFF are refused (RFC 3629). */
static size_t sj_utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;       /* overlong */
        else if (c == 0xED) hi = 0x9F;  /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;       /* overlong */
        else if (c == 0xF4) hi = 0x8F;  /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t j = 2; j < len; j++)
        if (s[j] < 0x80 || s[j] > 0xBF) return 0;
    return len;
}

static size_t sj_put_utf8(uint32_t cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* 1 if the 8 bytes at s are all plain string text: no '"', no backslash, no control character and
 * no byte >= 0x80 (word-at-a-time tests, exact as a yes/no). Long strings (a model's originality
 * index is 370 KB of base64) go 8 bytes per step; anything else takes the byte-by-byte path. */
static inline int sj_plain8(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t dq = x ^ (ones * (uint64_t)'"'), bs = x ^ (ones * (uint64_t)'\\');
    uint64_t hits = (x & high) | ((dq - ones) & ~dq & high) | ((bs - ones) & ~bs & high) | ((x - ones * 0x20u) & ~x & high);
    return hits == 0;
}

/* Decode the string literal at p->i (which is '"') into the pool. On success stores its pool
 * offset and length; returns 0, or -1 with the error set. */
static int sj_parse_string(sj_parser *p, size_t *off, size_t *len) {
    size_t start = p->i;
    const char *s = p->s;
    /* Find the closing quote first: the decoded text is never longer than the raw literal, so one
     * reservation covers it and the decoding loop below needs no capacity checks. */
    size_t q = start + 1;
    for (;;) {
        while (q + 8 <= p->n && sj_plain8(s + q)) q += 8;
        if (q >= p->n || s[q] == '"') break;
        q += (s[q] == '\\') ? 2 : 1;
    }
    if (q >= p->n) return sj_error_at(p, start, "unterminated string");
    size_t need = q - start; /* raw content length + 1 for the NUL */
    if (p->plen + need > p->pcap) {
        size_t cap = p->pcap ? p->pcap : 256;
        while (cap < p->plen + need) {
            if (cap > SIZE_MAX / 2) return sj_nomem(p);
            cap *= 2;
        }
        char *pool = serce_realloc(p->pool, cap);
        if (!pool) return sj_nomem(p);
        p->pool = pool;
        p->pcap = cap;
    }
    char *o = p->pool + p->plen;
    size_t k = 0;
    size_t i = start + 1;
    while (i < q) {
        if (i + 8 <= q && sj_plain8(s + i)) {
            memcpy(o + k, s + i, 8);
            k += 8;
            i += 8;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            char e = s[i + 1]; /* i + 1 < q: the scan above never stops right after a backslash */
            switch (e) {
            case '"': o[k++] = '"'; break;
            case '\\': o[k++] = '\\'; break;
            case '/': o[k++] = '/'; break;
            case 'b': o[k++] = '\b'; break;
            case 'f': o[k++] = '\f'; break;
            case 'n': o[k++] = '\n'; break;
            case 'r': o[k++] = '\r'; break;
            case 't': o[k++] = '\t'; break;
            case 'u': {
                uint32_t cp;
                if (q - i < 6 || sj_hex4(s + i + 2, &cp) != 0)
                    return sj_error_at(p, i, "invalid \\u escape (expected 4 hex digits)");
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return sj_error_at(p, i, "lone low surrogate in \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (q - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' || sj_hex4(s + i + 8, &lo) != 0 ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return sj_error_at(p, i, "lone high surrogate in \\u escape (no low surrogate follows)");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                k += sj_put_utf8(cp, o + k);
                i += 6;
                continue;
            }
            default: {
                char reason[64];
                unsigned char ec = (unsigned char)e;
                if (ec >= 0x21 && ec < 0x7F) snprintf(reason, sizeof reason, "invalid escape '\\%c'", ec);
                else snprintf(reason, sizeof reason, "invalid escape: byte 0x%02X after '\\'", ec);
                return sj_error_at(p, i, reason);
            }
            }
            i += 2;
        } else if (c < 0x20) {
            char reason[80];
            snprintf(reason, sizeof reason, "control character 0x%02X in string (must be escaped)", c);
            return sj_error_at(p, i, reason);
        } else if (c < 0x80) {
            o[k++] = (char)c;
            i++;
        } else {
            size_t l = sj_utf8_len((const unsigned char *)s + i, q - i);
            if (!l) return sj_error_at(p, i, "invalid UTF-8 in string");
            memcpy(o + k, s + i, l);
            k += l;
            i += l;
        }
    }
    o[k] = 0;
    *off = p->plen;
    *len = k;
    p->plen += k + 1;
    p->i = q + 1;
    return 0;
}

/* ---------------------------------------------------------------- numbers */

/* Parse the number at p->i. The grammar is checked here; the value comes from an exact integer
 * conversion when the literal is a plain integer of at most 18 digits, and otherwise from strtod on
 * a rewritten literal with no decimal point ("12.5e3" -> "125e2"): strtod is correctly rounded in
 * glibc and musl (Emscripten), and the only locale-dependent part of its input syntax is the
 * decimal point, which the rewritten form does not contain. */
static int sj_parse_number(sj_parser *p, double *out) {
    const char *s = p->s;
    size_t n = p->n, i = p->i, start = p->i;
    int neg = 0;
    if (s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i >= n || s[i] < '0' || s[i] > '9') return sj_unexpected(p, i, "a digit after '-'");
    size_t ia = i;
    if (s[i] == '0') {
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '9') return sj_error_at(p, start, "leading zero in number");
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t ib = i, fa = i, fb = i;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return sj_unexpected(p, i, "a digit after '.'");
        fa = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        fb = i;
    }
    long long ex = 0;
    int has_exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        has_exp = 1;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') return sj_unexpected(p, i, "a digit in the exponent");
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            /* saturate: beyond 10^15 the value is 0 or out of range whatever the digits */
            if (ex < 1000000000000000LL) ex = ex * 10 + (s[i] - '0');
            i++;
        }
        if (eneg) ex = -ex;
    }
    p->i = i;

    if (fa == fb && !has_exp && ib - ia <= 18) {
        uint64_t v = 0;
        for (size_t j = ia; j < ib; j++) v = v * 10 + (uint64_t)(s[j] - '0');
        double d = (double)v; /* one correctly rounded conversion; exact up to 2^53 */
        *out = neg ? -d : d;
        return 0;
    }

    /* significant digits: integer and fraction digits without leading zeros */
    size_t nd = (ib - ia) + (fb - fa);
    size_t lead = 0;
    while (lead < nd && s[lead < ib - ia ? ia + lead : fa + (lead - (ib - ia))] == '0') lead++;
    if (lead == nd) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    long long e10 = ex - (long long)(fb - fa);
    char small[128];
    size_t need = 1 + (nd - lead) + 24;
    char *buf = need <= sizeof small ? small : serce_malloc(need);
    if (!buf) return sj_nomem(p);
    size_t k = 0;
    if (neg) buf[k++] = '-';
    for (size_t j = lead; j < nd; j++) buf[k++] = s[j < ib - ia ? ia + j : fa + (j - (ib - ia))];
    snprintf(buf + k, need - k, "e%lld", e10);
    double d = strtod(buf, NULL);
    if (buf != small) serce_free(buf);
    if (isinf(d)) return sj_error_at(p, start, "number out of the range of a double");
    *out = d;
    return 0;
}

/* ---------------------------------------------------------------- containers */

static int sj_key_equal(const sj_parser *p, int a, int b) {
    return p->nodes[a].len == p->nodes[b].len &&
           memcmp(p->pool + p->aux[a].off, p->pool + p->aux[b].off, p->nodes[a].len) == 0;
}

static int sj_keyref_cmp(const void *va, const void *vb) {
    const sj_keyref *a = va, *b = vb;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, m);
    if (c) return c;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Reject duplicate keys in object obj, naming the first repeated key in document order.
 * Small objects are compared pairwise; large ones are sorted so a hostile header with a million
 * keys costs n log n, not n^2. */
static int sj_check_duplicates(sj_parser *p, int obj) {
    int m = p->nodes[obj].count;
    int dup = -1;
    if (m < 2) return 0;
    if (m <= 16) {
        for (int b = p->nodes[obj].child; b >= 0 && dup < 0; b = p->nodes[b].next)
            for (int a = p->nodes[obj].child; a != b; a = p->nodes[a].next)
                if (sj_key_equal(p, a, b)) {
                    dup = b;
                    break;
                }
    } else {
        if ((size_t)m > p->kcap) {
            if ((size_t)m > SIZE_MAX / sizeof(sj_keyref)) return sj_nomem(p);
            sj_keyref *keys = serce_realloc(p->keys, (size_t)m * sizeof *keys);
            if (!keys) return sj_nomem(p);
            p->keys = keys;
            p->kcap = (size_t)m;
        }
        int j = 0;
        for (int a = p->nodes[obj].child; a >= 0; a = p->nodes[a].next, j++) {
            p->keys[j].s = p->pool + p->aux[a].off;
            p->keys[j].len = p->nodes[a].len;
            p->keys[j].idx = a;
        }
        qsort(p->keys, (size_t)m, sizeof *p->keys, sj_keyref_cmp);
        /* in each run of equal keys the second entry is that key's first repetition */
        for (j = 1; j < m; j++)
            if (p->keys[j].len == p->keys[j - 1].len && memcmp(p->keys[j].s, p->keys[j - 1].s, p->keys[j].len) == 0 &&
                (j < 2 || p->keys[j - 1].len != p->keys[j - 2].len ||
                 memcmp(p->keys[j - 1].s, p->keys[j - 2].s, p->keys[j].len) != 0))
                if (dup < 0 || p->keys[j].idx < dup) dup = p->keys[j].idx;
    }
    if (dup < 0) return 0;
    char q[72], reason[128];
    snprintf(reason, sizeof reason, "duplicate key '%s'", sj_quote(q, p->pool + p->aux[dup].off, p->nodes[dup].len));
    return sj_error_at(p, p->aux[dup].pos, reason);
}

static int sj_parse_value(sj_parser *p, int parent, int depth);

static int sj_parse_array(sj_parser *p, int parent, int depth) {
    int arr = sj_new_node(p, SJ_ARRAY, parent, p->i);
    if (arr < 0) return -1;
    p->i++; /* '[' */
    sj_skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return arr;
    }
    int last = -1;
    for (;;) {
        int v = sj_parse_value(p, arr, depth);
        if (v < 0) return -1;
        if (last < 0) p->nodes[arr].child = v;
        else p->nodes[last].next = v;
        last = v;
        p->nodes[arr].count++;
        sj_skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            sj_skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ']') return sj_error_at(p, p->i, "trailing comma before ']'");
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            return arr;
        }
        return sj_unexpected(p, p->i, "',' or ']' in array");
    }
}

static int sj_parse_object(sj_parser *p, int parent, int depth) {
    int obj = sj_new_node(p, SJ_OBJECT, parent, p->i);
    if (obj < 0) return -1;
    p->i++; /* '{' */
    sj_skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return obj;
    }
    int last = -1;
    for (;;) {
        if (p->i >= p->n || p->s[p->i] != '"') return sj_unexpected(p, p->i, "a string key in object");
        int key = sj_new_node(p, SJ_STRING, obj, p->i);
        if (key < 0) return -1;
        size_t off = 0, len = 0;
        if (sj_parse_string(p, &off, &len) < 0) return -1;
        p->aux[key].off = off;
        p->nodes[key].len = len;
        p->nodes[key].count = 1;
        if (last < 0) p->nodes[obj].child = key;
        else p->nodes[last].next = key;
        last = key;
        p->nodes[obj].count++;
        sj_skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') return sj_unexpected(p, p->i, "':' after object key");
        p->i++;
        int v = sj_parse_value(p, key, depth);
        if (v < 0) return -1;
        p->nodes[key].child = v;
        sj_skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            sj_skip_ws(p);
            if (p->i < p->n && p->s[p->i] == '}') return sj_error_at(p, p->i, "trailing comma before '}'");
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            if (sj_check_duplicates(p, obj) < 0) return -1;
            return obj;
        }
        return sj_unexpected(p, p->i, "',' or '}' in object");
    }
}

/* depth: the number of containers around this value */
static int sj_parse_value(sj_parser *p, int parent, int depth) {
    sj_skip_ws(p);
    if (p->i >= p->n) return sj_unexpected(p, p->i, "a value");
    char c = p->s[p->i];
    if (c == '[' || c == '{') {
        if (depth >= SJ_MAX_DEPTH) return sj_error_at(p, p->i, "nesting deeper than 64 levels");
        return c == '[' ? sj_parse_array(p, parent, depth + 1) : sj_parse_object(p, parent, depth + 1);
    }
    if (c == '"') {
        int k = sj_new_node(p, SJ_STRING, parent, p->i);
        if (k < 0) return -1;
        size_t off = 0, len = 0;
        if (sj_parse_string(p, &off, &len) < 0) return -1;
        p->aux[k].off = off;
        p->nodes[k].len = len;
        return k;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        int k = sj_new_node(p, SJ_NUMBER, parent, p->i);
        if (k < 0) return -1;
        double d = 0;
        if (sj_parse_number(p, &d) < 0) return -1;
        p->nodes[k].num = d;
        return k;
    }
    static const struct {
        const char *word;
        int type;
    } lits[3] = {{"true", SJ_TRUE}, {"false", SJ_FALSE}, {"null", SJ_NULL}};
    for (int j = 0; j < 3; j++) {
        size_t l = strlen(lits[j].word);
        if (c == lits[j].word[0]) {
            if (p->n - p->i < l || memcmp(p->s + p->i, lits[j].word, l) != 0) {
                char reason[48];
                snprintf(reason, sizeof reason, "invalid literal (expected '%s')", lits[j].word);
                return sj_error_at(p, p->i, reason);
            }
            int k = sj_new_node(p, lits[j].type, parent, p->i);
            if (k < 0) return -1;
            p->i += l;
            return k;
        }
    }
    return sj_unexpected(p, p->i, "a value");
}

/* ---------------------------------------------------------------- public */

int sj_parse(const char *s, size_t n, const char *what, sj_doc *doc, serce_error *err) {
    if (!doc) return serce_fail(err, SERCE_ERR_ARG, "sj_parse: no document to fill");
    memset(doc, 0, sizeof *doc);
    if (!what) what = "JSON";
    if (!s && n) return serce_fail(err, SERCE_ERR_ARG, "%s: no bytes given", what);
    if (n > (size_t)INT_MAX - 1) /* node indices are int */
        return serce_fail(err, SERCE_ERR_LIMIT, "%s: document of %zu bytes is too large", what, n);
    sj_parser p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.n = n;
    p.what = what;
    p.err = err;
    int root = sj_parse_value(&p, -1, 0);
    if (root >= 0) {
        sj_skip_ws(&p);
        if (p.i < p.n) sj_error_at(&p, p.i, "unexpected data after the JSON value");
    }
    serce_free(p.keys);
    if (p.failed) {
        serce_free(p.nodes);
        serce_free(p.aux);
        serce_free(p.pool);
        return p.failed;
    }
    for (int k = 0; k < p.nnodes; k++)
        if (p.nodes[k].type == SJ_STRING) p.nodes[k].str = p.pool + p.aux[k].off;
    serce_free(p.aux);
    doc->nodes = p.nodes;
    doc->nnodes = p.nnodes;
    doc->pool = p.pool;
    return SERCE_OK;
}

void sj_free(sj_doc *doc) {
    if (!doc) return;
    serce_free(doc->nodes);
    serce_free(doc->pool);
    memset(doc, 0, sizeof *doc);
}

static int sj_valid(const sj_doc *doc, int k, int type) {
    return doc && k >= 0 && k < doc->nnodes && doc->nodes[k].type == type;
}

int sj_get(const sj_doc *doc, int obj, const char *key) {
    if (!sj_valid(doc, obj, SJ_OBJECT) || !key) return -1;
    size_t len = strlen(key);
    for (int k = doc->nodes[obj].child; k >= 0; k = doc->nodes[k].next)
        if (doc->nodes[k].len == len && memcmp(doc->nodes[k].str, key, len) == 0) return doc->nodes[k].child;
    return -1;
}

/* O(i): fine for shapes and offsets; walk child/next to visit long arrays. */
int sj_at(const sj_doc *doc, int arr, int i) {
    if (!sj_valid(doc, arr, SJ_ARRAY) || i < 0 || i >= doc->nodes[arr].count) return -1;
    int k = doc->nodes[arr].child;
    while (i-- > 0 && k >= 0) k = doc->nodes[k].next;
    return k;
}

int sj_get_num(const sj_doc *doc, int obj, const char *key, double *out) {
    int k = sj_get(doc, obj, key);
    if (!sj_valid(doc, k, SJ_NUMBER)) return -1;
    if (out) *out = doc->nodes[k].num;
    return 0;
}

int sj_get_int(const sj_doc *doc, int obj, const char *key, long long *out) {
    double d;
    if (sj_get_num(doc, obj, key, &d) != 0) return -1;
    if (d != floor(d) || fabs(d) > SJ_MAX_EXACT) return -1;
    if (out) *out = (long long)d;
    return 0;
}

const char *sj_get_str(const sj_doc *doc, int obj, const char *key) {
    int k = sj_get(doc, obj, key);
    if (!sj_valid(doc, k, SJ_STRING)) return NULL;
    return doc->nodes[k].str;
}

/* The input is checked first so that nothing is appended for invalid UTF-8: a writer must never
 * produce a header that this reader (or any other) would refuse. Runs of plain bytes are appended
 * at once. Returns SERCE_OK, SERCE_ERR_UTF8 or SERCE_ERR_NOMEM (b keeps its old length then). */
int sj_write_str(serce_buf *b, const char *s, size_t n) {
    if (!s) {
        if (n) return SERCE_ERR_ARG;
        s = ""; /* no arithmetic on a null pointer below */
    }
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t l = sj_utf8_len((const unsigned char *)s + i, n - i);
        if (!l) return SERCE_ERR_UTF8;
        i += l;
    }
    size_t len0 = b->len;
    int rc = serce_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && rc == SERCE_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t el = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            el = 2;
        } else if (c < 0x20) {
            const char *sh = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (sh) {
                memcpy(esc, sh, 2);
                el = 2;
            } else {
                snprintf(esc, sizeof esc, "\\u%04X", c);
                el = 6;
            }
        } else {
            continue;
        }
        rc = serce_buf_append(b, s + run, i - run);
        if (rc == SERCE_OK) rc = serce_buf_append(b, esc, el);
        run = i + 1;
    }
    if (rc == SERCE_OK) rc = serce_buf_append(b, s + run, n - run);
    if (rc == SERCE_OK) rc = serce_buf_append(b, "\"", 1);
    if (rc != SERCE_OK) {
        b->len = len0;
        if (b->data) b->data[len0] = 0;
    }
    return rc;
}
