/* sampler.c — sampling and the generation session. See sampler.h. Tested by tests/test_sampler.c
 * (distributions, top-k/top-p sets, determinism) and by the native-vs-wasm identity tests. */
#include "sampler.h"

#include <string.h>

#include "mathf.h"
#include "rng.h"

void serce_gen_opts_default(serce_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->temperature = 0.8f;
    o->top_k = 0;
    o->top_p = 0.95f;
    o->seed = 1;
    o->length = 0;
    o->songs = 1;
}

int serce_gen_opts_check(const serce_gen_opts *o, serce_error *err) {
    if (!(o->temperature >= 0 && o->temperature <= 10))
        return serce_fail(err, SERCE_ERR_ARG, "temperature must be between 0 and 10, got %g", o->temperature);
    if (o->top_k < 0) return serce_fail(err, SERCE_ERR_ARG, "top-k must be 0 (off) or positive, got %d", o->top_k);
    if (!(o->top_p > 0 && o->top_p <= 1))
        return serce_fail(err, SERCE_ERR_ARG, "top-p must be in (0, 1], got %g", o->top_p);
    if (o->length < 0 || o->songs < 0) return serce_fail(err, SERCE_ERR_ARG, "length and songs must not be negative");
    if (o->length == 0 && o->songs == 0)
        return serce_fail(err, SERCE_ERR_ARG, "give a length in characters or a number of songs");
    if (o->length > 100000000L) return serce_fail(err, SERCE_ERR_LIMIT, "length %ld is beyond 100000000", o->length);
    return SERCE_OK;
}

size_t serce_sample_scratch_bytes(int V) { return (size_t)V * (sizeof(float) + sizeof(int)); }

/* order: probability descending, then token id ascending (a total order, so any sort gives the same) */
static void sort_desc(int *idx, const float *p, int n) {
    for (int i = 1; i < n; i++) { /* insertion sort: V is small and the data is nearly random */
        int x = idx[i], j = i - 1;
        while (j >= 0 && (p[idx[j]] < p[x] || (p[idx[j]] == p[x] && idx[j] > x))) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = x;
    }
}

int serce_sample(const float *z, int V, const unsigned char *banned, float temperature, int top_k, float top_p,
                 uint64_t *rng, void *scratch) {
    int best = -1;
    for (int v = 0; v < V; v++)
        if (!(banned && banned[v]) && (best < 0 || z[v] > z[best])) best = v;
    if (best < 0) return SERCE_TOK_EOS; /* everything banned: end the song */
    if (temperature <= 0.0f) return best;
    float *p = scratch;
    int *idx = (int *)(p + V);
    int n = 0;
    float inv_t = 1.0f / temperature, mx = z[best];
    for (int v = 0; v < V; v++) {
        if (banned && banned[v]) continue;
        p[v] = serce_expf((z[v] - mx) * inv_t);
        idx[n++] = v;
    }
    int sorted = 0;
    if (top_k > 0 && top_k < n) {
        sort_desc(idx, p, n);
        sorted = 1;
        n = top_k;
    }
    if (top_p < 1.0f) {
        if (!sorted) sort_desc(idx, p, n);
        float total = 0.0f;
        for (int i = 0; i < n; i++) total += p[idx[i]];
        float cum = 0.0f, lim = top_p * total;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += p[idx[i]];
            if (cum >= lim) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    float total = 0.0f;
    for (int i = 0; i < n; i++) total += p[idx[i]];
    float u = serce_rng_uniform(rng) * total, acc = 0.0f;
    for (int i = 0; i < n; i++) {
        acc += p[idx[i]];
        if (u < acc) return idx[i];
    }
    return idx[n - 1];
}

/* ---------------------------------------------------------------- generation session */

struct serce_gen {
    const serce_model *m;
    serce_infer *inf;
    serce_gen_opts o;
    uint64_t rng;
    unsigned char *banned;   /* [V] */
    void *scratch;
    char *pending;           /* prime text not yet handed out */
    size_t npending;
    long chars;
    int songs_done;
    int in_title;            /* inside the title line of the current song */
    int done;
};

int serce_gen_new(const serce_model *m, const serce_kernels *k, const serce_gen_opts *o, serce_gen **out,
                  serce_error *err) {
    *out = NULL;
    int rc = serce_gen_opts_check(o, err);
    if (rc) return rc;
    serce_gen *g = serce_calloc(1, sizeof *g);
    if (!g) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
    g->m = m;
    g->o = *o;
    g->banned = serce_calloc((size_t)m->cfg.vocab, 1);
    g->scratch = serce_malloc(serce_sample_scratch_bytes(m->cfg.vocab));
    if (!g->banned || !g->scratch) {
        serce_gen_free(g);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
    }
    if ((rc = serce_infer_new(m, k, &g->inf, err))) {
        serce_gen_free(g);
        return rc;
    }
    *out = g;
    return SERCE_OK;
}

void serce_gen_free(serce_gen *g) {
    if (!g) return;
    serce_infer_free(g->inf);
    serce_free(g->banned);
    serce_free(g->scratch);
    serce_free(g->pending);
    serce_free(g);
}

static int render(const serce_vocab *v, int tok, serce_buf *out) {
    char s[16];
    if (tok == SERCE_TOK_TITLE) return serce_buf_append(out, "\n\n", 2);
    if (tok == SERCE_TOK_EOS) return serce_buf_append(out, "\n", 1);
    if (tok < SERCE_NSPECIAL) return SERCE_OK;
    int n = serce_vocab_token_str(v, tok, s);
    return serce_buf_append(out, s, (size_t)n);
}

int serce_gen_start(serce_gen *g, const char *prime, size_t n, serce_error *err) {
    int32_t *toks = NULL;
    size_t nt = 0;
    int rc = serce_encode_prime(&g->m->vocab, prime ? prime : "", prime ? n : 0, &toks, &nt, err);
    if (rc) return rc;
    serce_buf pend = {0};
    g->rng = serce_rng_seed(g->o.seed);
    g->chars = 0, g->songs_done = 0, g->done = 0, g->in_title = 1;
    serce_infer_reset(g->inf);
    serce_infer_step(g->inf, SERCE_TOK_BOS);
    for (size_t i = 0; i < nt; i++) {
        /* a newline in the prime ends the title line, as <t> does in training */
        int t = toks[i];
        if (t < SERCE_NSPECIAL) continue;
        if (g->in_title && g->m->vocab.cps[t] == '\n') {
            t = SERCE_TOK_TITLE;
            g->in_title = 0;
            if (i + 1 < nt && g->m->vocab.cps[toks[i + 1]] == '\n') i++; /* "\n\n" is one title end */
        }
        rc = render(&g->m->vocab, t, &pend);
        if (rc) break;
        serce_infer_step(g->inf, t);
    }
    serce_free(toks);
    if (rc) {
        serce_buf_free(&pend);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for the prime");
    }
    serce_free(g->pending);
    g->pending = (char *)pend.data;
    g->npending = pend.len;
    return SERCE_OK;
}

int serce_gen_step(serce_gen *g, int max_chars, serce_buf *out, int *done, serce_error *err) {
    *done = g->done;
    if (g->npending) {
        if (serce_buf_append(out, g->pending, g->npending)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
        g->npending = 0;
    }
    int V = g->m->cfg.vocab;
    for (int i = 0; i < max_chars && !g->done; i++) {
        memset(g->banned, 0, (size_t)V);
        g->banned[SERCE_TOK_UNK] = g->banned[SERCE_TOK_BOS] = 1;
        if (!g->in_title) g->banned[SERCE_TOK_TITLE] = 1;
        int tok = serce_sample(serce_infer_logits(g->inf), V, g->banned, g->o.temperature, g->o.top_k, g->o.top_p,
                               &g->rng, g->scratch);
        if (render(&g->m->vocab, tok, out)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
        g->chars++;
        if (tok == SERCE_TOK_TITLE) g->in_title = 0;
        if (tok == SERCE_TOK_EOS) {
            g->songs_done++;
            if (g->o.songs > 0 && g->songs_done >= g->o.songs) g->done = 1;
            else if (serce_buf_append(out, "\n", 1)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
            tok = SERCE_TOK_BOS; /* the next song */
            g->in_title = 1;
        }
        if (g->o.length > 0 && g->chars >= g->o.length) g->done = 1;
        if (!g->done) serce_infer_step(g->inf, tok);
    }
    *done = g->done;
    return SERCE_OK;
}

long serce_gen_chars(const serce_gen *g) { return g->chars; }
const serce_infer *serce_gen_infer(const serce_gen *g) { return g->inf; }
int serce_gen_songs_done(const serce_gen *g) { return g->songs_done; }
int serce_gen_in_title(const serce_gen *g) { return g->in_title; }
