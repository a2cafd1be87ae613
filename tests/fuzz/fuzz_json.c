/* fuzz_json.c — the JSON reader (core/json.c): sj_parse on arbitrary bytes. On success the node tree
 * must be consistent (parent/child/next links, counts), every string must survive sj_write_str ->
 * sj_parse unchanged, and the lookup helpers must not step outside the tree. */
#include "fuzz.h"
#include "json.h"

static void check_tree(const sj_doc *d) {
    FUZZ_ASSERT(d->nnodes >= 1, "a parsed document has a root");
    FUZZ_ASSERT(d->nodes[0].parent == -1 && d->nodes[0].next == -1, "root links");
    for (int i = 0; i < d->nnodes; i++) {
        const sj_node *nd = &d->nodes[i];
        FUZZ_ASSERT(nd->type >= SJ_NULL && nd->type <= SJ_OBJECT, "node %d type %d", i, nd->type);
        FUZZ_ASSERT(nd->parent >= -1 && nd->parent < d->nnodes, "node %d parent %d", i, nd->parent);
        FUZZ_ASSERT(nd->next >= -1 && nd->next < d->nnodes, "node %d next %d", i, nd->next);
        FUZZ_ASSERT(nd->child >= -1 && nd->child < d->nnodes, "node %d child %d", i, nd->child);
        if (nd->type == SJ_STRING) FUZZ_ASSERT(nd->str && nd->str[nd->len] == 0, "node %d string terminated", i);
        if (nd->type == SJ_ARRAY || nd->type == SJ_OBJECT) {
            int c = 0;
            for (int k = nd->child; k >= 0; k = d->nodes[k].next) {
                FUZZ_ASSERT(d->nodes[k].parent == i, "child %d of %d points back to %d", k, i, d->nodes[k].parent);
                FUZZ_ASSERT(++c <= d->nnodes, "sibling chain of %d loops", i);
                if (nd->type == SJ_OBJECT) {
                    FUZZ_ASSERT(d->nodes[k].type == SJ_STRING, "object member %d is a key", k);
                    int v = d->nodes[k].child;
                    FUZZ_ASSERT(v >= 0 && v < d->nnodes && d->nodes[v].parent == k, "key %d has its value", k);
                    FUZZ_ASSERT(sj_get(d, i, d->nodes[k].str) >= 0 || memchr(d->nodes[k].str, 0, d->nodes[k].len),
                                "sj_get finds key '%s'", d->nodes[k].str);
                }
            }
            FUZZ_ASSERT(c == nd->count, "node %d count %d, chain %d", i, nd->count, c);
            if (nd->type == SJ_ARRAY && c > 0) {
                FUZZ_ASSERT(sj_at(d, i, c - 1) >= 0 && sj_at(d, i, c) == -1 && sj_at(d, i, -1) == -1, "sj_at bounds");
            }
        }
    }
}

static void check_strings(const sj_doc *d) {
    for (int i = 0; i < d->nnodes; i++) {
        const sj_node *nd = &d->nodes[i];
        if (nd->type != SJ_STRING) continue;
        serce_buf b = {0};
        int rc = sj_write_str(&b, nd->str, nd->len);
        FUZZ_ASSERT(rc == SERCE_OK, "sj_write_str of a parsed string: %d", rc);
        sj_doc d2;
        serce_error e = {0};
        rc = sj_parse((const char *)b.data, b.len, "rewritten", &d2, &e);
        FUZZ_ASSERT(rc == SERCE_OK, "a written string parses back: %s", e.msg);
        FUZZ_ASSERT(d2.nnodes == 1 && d2.nodes[0].type == SJ_STRING && d2.nodes[0].len == nd->len &&
                        !memcmp(d2.nodes[0].str, nd->str, nd->len),
                    "string round trip");
        sj_free(&d2);
        serce_buf_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sj_doc d;
    serce_error e = {0};
    int rc = sj_parse((const char *)data, size, "fuzz", &d, &e);
    fuzz_check_error(rc, &e);
    if (rc != SERCE_OK) return 0;
    check_tree(&d);
    check_strings(&d);
    if (d.nodes[0].type == SJ_OBJECT) {
        double v;
        long long iv;
        (void)sj_get_num(&d, 0, "vocab", &v);
        (void)sj_get_int(&d, 0, "hidden", &iv);
        (void)sj_get_str(&d, 0, "corpus");
    }
    sj_free(&d);
    return 0;
}
