/* fuzz_safetensors.c — the safetensors container reader (core/safetensors.c): st_parse on arbitrary
 * bytes. On success: tensors lie inside the data block, sorted, without overlap, sizes agree with
 * dtype x shape; st_find/st_meta find every entry; st_write of what was read parses back to the same
 * names, shapes, bytes and metadata. */
#include "fuzz.h"
#include "safetensors.h"

static void check_same(const st_file *a, const st_file *b) {
    FUZZ_ASSERT(a->ntensors == b->ntensors && a->nmeta == b->nmeta, "counts %d/%d vs %d/%d", a->ntensors, a->nmeta,
                b->ntensors, b->nmeta);
    for (int i = 0; i < a->ntensors; i++) {
        const st_tensor *x = &a->tensors[i], *y = st_find(b, x->name);
        FUZZ_ASSERT(y != NULL, "tensor '%s' survives the rewrite", x->name);
        FUZZ_ASSERT(x->dtype == y->dtype && x->ndim == y->ndim && x->nbytes == y->nbytes, "tensor '%s' header", x->name);
        for (int d = 0; d < x->ndim; d++) FUZZ_ASSERT(x->shape[d] == y->shape[d], "tensor '%s' shape", x->name);
        FUZZ_ASSERT(x->nbytes == 0 || !memcmp(x->data, y->data, x->nbytes), "tensor '%s' bytes", x->name);
    }
    for (int i = 0; i < a->nmeta; i++) {
        const char *v = st_meta(b, a->meta_keys[i]);
        FUZZ_ASSERT(v && !strcmp(v, a->meta_vals[i]), "metadata '%s' survives the rewrite", a->meta_keys[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file f;
    serce_error e = {0};
    int rc = st_parse(data, size, &f, &e);
    fuzz_check_error(rc, &e);
    if (rc != SERCE_OK) {
        FUZZ_ASSERT(f.tensors == NULL && f.priv == NULL && f.ntensors == 0, "nothing kept on failure");
        return 0;
    }
    uint64_t hlen = 0;
    for (int j = 7; j >= 0; j--) hlen = (hlen << 8) | data[j];
    const uint8_t *block = data + 8 + hlen, *end = data + size;
    size_t covered = 0;
    for (int i = 0; i < f.ntensors; i++) {
        const st_tensor *t = &f.tensors[i];
        FUZZ_ASSERT(t->name && t->name[0], "tensor %d has a name", i);
        FUZZ_ASSERT(t->dtype >= 0 && t->dtype < ST_NDTYPES && t->ndim >= 0 && t->ndim <= ST_MAX_DIMS, "tensor '%s' header",
                    t->name);
        FUZZ_ASSERT(t->data >= block && t->data <= end && t->nbytes <= (size_t)(end - t->data), "tensor '%s' in bounds",
                    t->name);
        uint64_t count = 1;
        for (int d = 0; d < t->ndim; d++) count *= (uint64_t)t->shape[d];
        FUZZ_ASSERT(count * (uint64_t)st_dtype_size(t->dtype) == t->nbytes, "tensor '%s' size", t->name);
        if (i > 0) FUZZ_ASSERT(f.tensors[i - 1].data + f.tensors[i - 1].nbytes == t->data, "tensor '%s' contiguous", t->name);
        FUZZ_ASSERT(st_find(&f, t->name) == t, "st_find '%s'", t->name);
        covered += t->nbytes;
    }
    FUZZ_ASSERT(covered == (size_t)(end - block), "tensors cover the data block: %zu of %zu", covered,
                (size_t)(end - block));
    for (int i = 0; i < f.nmeta; i++) FUZZ_ASSERT(st_meta(&f, f.meta_keys[i]) != NULL, "st_meta '%s'", f.meta_keys[i]);

    /* write back and read again */
    serce_buf out = {0};
    rc = st_write(&out, f.tensors, f.ntensors, (const char *const *)f.meta_keys, (const char *const *)f.meta_vals,
                  f.nmeta, &e);
    fuzz_check_error(rc, &e);
    /* the reader accepts names st_write refuses ("__metadata__" is special only as a key) */
    if (rc == SERCE_OK) {
        st_file g;
        rc = st_parse(out.data, out.len, &g, &e);
        FUZZ_ASSERT(rc == SERCE_OK, "st_write output parses: %s", e.msg);
        check_same(&f, &g);
        /* and writing that again gives the same bytes */
        serce_buf out2 = {0};
        rc = st_write(&out2, g.tensors, g.ntensors, (const char *const *)g.meta_keys, (const char *const *)g.meta_vals,
                      g.nmeta, &e);
        FUZZ_ASSERT(rc == SERCE_OK, "second write: %s", e.msg);
        FUZZ_ASSERT(out2.len == out.len && !memcmp(out2.data, out.data, out.len), "st_write is stable");
        st_free(&g);
        serce_buf_free(&out2);
    }
    serce_buf_free(&out);
    st_free(&f);
    return 0;
}
