/* api.c — the only file that knows JavaScript exists: handles over the core's model and generation
 * session (see api.h): settings JSON, song-mode reports, originality spans and next-word suggestions all
 * come from the core (sampler.h, lyric.h); nothing here re-implements them. Built into serce-simd.wasm and serce-plain.wasm by wasm/CMakeLists.txt, and
 * natively into the test probe (tests/web/probe.c), so both sides run exactly this code.
 * Not here: fetching, the DOM, timing (the worker in www/worker.js does those).
 */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "lyric.h"
#include "mathf.h"
#include "model.h"
#include "sampler.h"
#include "serce.h"
#include "text.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define API EMSCRIPTEN_KEEPALIVE
#else
#define API
#endif

#define MAX_MODELS 16
#define MAX_GENS 64
#define MAX_STEP 4096

typedef struct {
    serce_model *m;
    serce_buf info, json;
    serce_originality *ix;  /* the model's originality index, loaded on first use */
    int ix_tried;           /* 1 once loading it was tried (ix stays NULL if the model has none) */
    serce_infer *inf;       /* scratch inference for serce_wasm_next_words, made on first use */
    float *state;
} wmodel;

typedef struct {
    int model;            /* model handle */
    serce_gen *gen;
    char *pend;           /* the prime's rendered text, handed out before generating */
    size_t npend, pos;
    int title_in_pend;    /* the prime ends its title line: hand that part out as its own chunk */
    int kind, done;
    serce_buf out, json;
} wgen;

static wmodel *models[MAX_MODELS];
static wgen *gens[MAX_GENS];
static serce_error last_err;

static wmodel *get_model(int h) { return h >= 1 && h <= MAX_MODELS ? models[h - 1] : NULL; }
static wgen *get_gen(int g) { return g >= 1 && g <= MAX_GENS ? gens[g - 1] : NULL; }

API const char *serce_wasm_error(void) { return last_err.msg; }
API const char *serce_wasm_version(void) { return SERCE_FORMAT_VERSION; }

/* NUL-terminate b without counting the NUL; returns its text ("" if it cannot). */
static const char *cstr(serce_buf *b) {
    if (serce_buf_append(b, "", 1)) return "";
    b->len--;
    return (const char *)b->data;
}

API int serce_wasm_load(const uint8_t *bytes, int n) {
    memset(&last_err, 0, sizeof last_err);
    int slot = -1;
    for (int i = 0; i < MAX_MODELS && slot < 0; i++)
        if (!models[i]) slot = i;
    if (slot < 0) return serce_fail(&last_err, SERCE_ERR_LIMIT, "too many models loaded at once (%d)", MAX_MODELS), 0;
    if (!bytes || n <= 0) return serce_fail(&last_err, SERCE_ERR_FORMAT, "the model file is empty"), 0;
    wmodel *w = serce_calloc(1, sizeof *w);
    if (!w) return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory for the model"), 0;
    /* generation only: the int8 matrices are not dequantized (the page never trains; this is most of
     * what loading the shipped model cost before the first character) */
    if (serce_model_load_ex(bytes, (size_t)n, SERCE_LOAD_GENERATE_ONLY, &w->m, &last_err)) {
        serce_free(w);
        return 0;
    }
    models[slot] = w;
    return slot + 1;
}

/* value as JSON: verbatim when it parses as JSON, else as a JSON string */
static int put_json_or_str(serce_buf *b, const char *val) {
    sj_doc d;
    serce_error e;
    if (sj_parse(val, strlen(val), "metadata", &d, &e) == SERCE_OK) {
        sj_free(&d);
        return serce_buf_append(b, val, strlen(val));
    }
    return sj_write_str(b, val, strlen(val));
}

/* The model's originality index, loaded once; NULL if it has none (or it does not load). */
static const serce_originality *model_index(wmodel *w) {
    if (!w->ix_tried) {
        serce_error e;
        w->ix_tried = 1;
        if (serce_originality_from_model(w->m, &w->ix, &e)) w->ix = NULL;
    }
    return w->ix;
}

API const char *serce_wasm_info(int h) {
    wmodel *w = get_model(h);
    if (!w) return serce_fail(&last_err, SERCE_ERR_ARG, "no model with handle %d", h), "";
    serce_buf *b = &w->info;
    const serce_model *m = w->m;
    const serce_kernels *k = serce_kernels_best();
    b->len = 0;
    int rc = serce_buf_append(b, "{\"config\":", 10);
    rc = rc ? rc : serce_config_to_json(&m->cfg, b);
    rc = rc ? rc : serce_buf_printf(b, ",\"parameters\":%zu,\"vocab\":", m->nparams);
    rc = rc ? rc : serce_vocab_to_json(&m->vocab, b);
    rc = rc ? rc
            : serce_buf_printf(b, ",\"kernels\":{\"matvec\":\"%s\",\"gemm\":\"%s\"},\"format\":\"%s\",\"training\":",
                               k->matvec_name, k->gemm_name, SERCE_FORMAT_VERSION);
    if (!rc) {
        sj_doc d;
        serce_error e;
        const char *tr = m->meta_training;
        if (tr && sj_parse(tr, strlen(tr), "serce.training", &d, &e) == SERCE_OK) {
            int obj = d.nnodes > 0 && d.nodes[0].type == SJ_OBJECT;
            sj_free(&d);
            rc = obj ? serce_buf_append(b, tr, strlen(tr)) : serce_buf_append(b, "null", 4);
        } else {
            rc = serce_buf_append(b, "null", 4);
        }
    }
    /* the originality index: its summary here, its bits (hundreds of KB of base64) left out of metadata */
    rc = rc ? rc : serce_buf_append(b, ",\"originality\":", 15);
    if (!rc) {
        const serce_originality *ix = model_index(w);
        if (ix) {
            serce_originality_info oi;
            serce_originality_get_info(ix, &oi);
            rc = serce_buf_printf(b, "{\"n\":%d,\"k\":%d,\"bits\":%llu,\"items\":%llu,\"fpr\":%.6g}", oi.n, oi.k,
                                  (unsigned long long)oi.bits, (unsigned long long)oi.items, oi.fpr);
        } else {
            rc = serce_buf_append(b, "null", 4);
        }
    }
    rc = rc ? rc : serce_buf_append(b, ",\"metadata\":{", 13);
    for (int i = 0, first = 1; i < m->nmeta_extra && !rc; i++) {
        if (!strcmp(m->meta_extra_key[i], SERCE_ORIG_META_KEY)) continue;
        rc = first ? 0 : serce_buf_append(b, ",", 1);
        first = 0;
        rc = rc ? rc : sj_write_str(b, m->meta_extra_key[i], strlen(m->meta_extra_key[i]));
        rc = rc ? rc : serce_buf_append(b, ":", 1);
        rc = rc ? rc : put_json_or_str(b, m->meta_extra_val[i]);
    }
    rc = rc ? rc : serce_buf_append(b, "}}", 2);
    if (rc) {
        b->len = 0;
        return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory describing the model"), "";
    }
    return cstr(b);
}

API int serce_wasm_vocab_size(int h) {
    wmodel *w = get_model(h);
    return w ? w->m->cfg.vocab : 0;
}

static void free_gen_slot(int i) {
    wgen *w = gens[i];
    if (!w) return;
    serce_gen_free(w->gen);
    serce_free(w->pend);
    serce_buf_free(&w->out);
    serce_buf_free(&w->json);
    serce_free(w);
    gens[i] = NULL;
}

API void serce_wasm_free(int h) {
    wmodel *w = get_model(h);
    if (!w) return;
    for (int i = 0; i < MAX_GENS; i++)
        if (gens[i] && gens[i]->model == h) free_gen_slot(i);
    serce_model_free(w->m);
    serce_buf_free(&w->info);
    serce_buf_free(&w->json);
    serce_originality_free(w->ix);
    serce_infer_free(w->inf);
    serce_free(w->state);
    serce_free(w);
    models[h - 1] = NULL;
}

API void serce_wasm_free_gen(int g) {
    if (get_gen(g)) free_gen_slot(g - 1);
}

/* A generation from options already checked by the caller's rules (see serce_wasm_start and _start_json). */
static int start_gen(int h, const char *prime, serce_gen_opts *o) {
    wmodel *m = get_model(h);
    int slot = -1;
    for (int i = 0; i < MAX_GENS && slot < 0; i++)
        if (!gens[i]) slot = i;
    if (slot < 0) return serce_fail(&last_err, SERCE_ERR_LIMIT, "too many generations at once (%d)", MAX_GENS), 0;
    /* avoid-copying: the model's index, loaded once (the core would parse it again for every run) */
    if (o->avoid_copying && !o->originality) o->originality = model_index(m);
    wgen *w = serce_calloc(1, sizeof *w);
    if (!w) return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory for generation"), 0;
    w->model = h;
    if (!prime) prime = "";
    int done = 0;
    int rc = serce_gen_new(m->m, NULL, o, &w->gen, &last_err);
    if (!rc) rc = serce_gen_start(w->gen, prime, strlen(prime), &last_err);
    /* the prime's text: take it out now so the title line can be handed out as its own chunk */
    if (!rc) rc = serce_gen_step(w->gen, 0, &w->out, &done, &last_err);
    if (rc) {
        serce_gen_free(w->gen);
        serce_buf_free(&w->out);
        serce_free(w);
        return 0;
    }
    w->pend = (char *)w->out.data;
    w->npend = w->out.len;
    memset(&w->out, 0, sizeof w->out);
    w->title_in_pend = w->npend > 0 && !serce_gen_in_title(w->gen);
    gens[slot] = w;
    return slot + 1;
}

API int serce_wasm_start(int h, const char *prime, double seed, float temperature, int top_k, float top_p,
                         int length, int songs) {
    memset(&last_err, 0, sizeof last_err);
    if (!get_model(h)) return serce_fail(&last_err, SERCE_ERR_ARG, "no model with handle %d", h), 0;
    if (!(seed >= 0 && seed <= 9007199254740992.0 && floor(seed) == seed))
        return serce_fail(&last_err, SERCE_ERR_ARG, "the seed must be a whole number from 0 to 2^53, got %g", seed), 0;
    serce_gen_opts o;
    serce_gen_opts_default(&o);
    o.seed = (uint64_t)seed;
    o.temperature = temperature;
    o.top_k = top_k;
    o.top_p = top_p;
    o.length = length;
    o.songs = songs;
    return start_gen(h, prime, &o);
}

API int serce_wasm_start_json(int h, const char *prime, const char *settings) {
    memset(&last_err, 0, sizeof last_err);
    if (!get_model(h)) return serce_fail(&last_err, SERCE_ERR_ARG, "no model with handle %d", h), 0;
    serce_gen_opts o;
    serce_gen_opts_default(&o);
    if (serce_gen_opts_from_json(&o, settings && *settings ? settings : "{}", &last_err)) return 0;
    /* the song-length rule of `serce sample` lives in serce_gen_new, so both hosts share it */
    return start_gen(h, prime, &o);
}

API void serce_wasm_skip_prime(int g) {
    wgen *w = get_gen(g);
    if (!w) return;
    w->pos = w->npend;
    w->title_in_pend = 0;
}

API const char *serce_wasm_step(int g, int n) {
    wgen *w = get_gen(g);
    if (!w) return serce_fail(&last_err, SERCE_ERR_ARG, "no generation with handle %d", g), "";
    w->out.len = 0;
    w->kind = SERCE_WASM_TEXT;
    if (w->pos < w->npend) {
        size_t end = w->npend;
        if (w->title_in_pend) { /* the title line ends at the first newline of the rendered prime ("\n\n") */
            const char *nl = memchr(w->pend + w->pos, '\n', w->npend - w->pos);
            if (nl) {
                end = (size_t)(nl - w->pend) + 1;
                if (end < w->npend && w->pend[end] == '\n') end++;
                w->kind = SERCE_WASM_TITLE_END;
            }
            w->title_in_pend = 0;
        }
        if (serce_buf_append(&w->out, w->pend + w->pos, end - w->pos)) {
            w->kind = SERCE_WASM_ERROR;
            return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory"), "";
        }
        w->pos = end;
        return cstr(&w->out);
    }
    if (w->done) {
        w->kind = SERCE_WASM_END;
        return "";
    }
    if (n < 1) n = 1;
    if (n > MAX_STEP) n = MAX_STEP;
    for (int i = 0; i < n; i++) {
        int in_title = serce_gen_in_title(w->gen), songs = serce_gen_songs_done(w->gen), done = 0;
        if (serce_gen_step(w->gen, 1, &w->out, &done, &last_err)) {
            w->kind = SERCE_WASM_ERROR;
            w->done = 1;
            return "";
        }
        if (done) {
            w->done = 1;
            w->kind = SERCE_WASM_END;
            break;
        }
        if (serce_gen_songs_done(w->gen) > songs) {
            w->kind = SERCE_WASM_SONG_END;
            break;
        }
        if (in_title && !serce_gen_in_title(w->gen)) {
            w->kind = SERCE_WASM_TITLE_END;
            break;
        }
    }
    return cstr(&w->out);
}

API int serce_wasm_kind(int g) {
    wgen *w = get_gen(g);
    return w ? w->kind : SERCE_WASM_ERROR;
}

API int serce_wasm_done(int g) {
    wgen *w = get_gen(g);
    return !w || (w->done && w->pos >= w->npend);
}

API double serce_wasm_chars(int g) {
    wgen *w = get_gen(g);
    return w ? (double)serce_gen_chars(w->gen) : 0;
}

API const float *serce_wasm_logits(int g) {
    wgen *w = get_gen(g);
    return w ? serce_infer_logits(serce_gen_infer(w->gen)) : NULL;
}

API const char *serce_wasm_topk(int g, int k) {
    wgen *w = get_gen(g);
    if (!w) return serce_fail(&last_err, SERCE_ERR_ARG, "no generation with handle %d", g), "[]";
    const serce_model *m = get_model(w->model)->m;
    const float *z = serce_infer_logits(serce_gen_infer(w->gen));
    int V = m->cfg.vocab;
    float mx = -INFINITY;
    for (int v = 0; v < V; v++)
        if (v != SERCE_TOK_UNK && v != SERCE_TOK_BOS && z[v] > mx) mx = z[v];
    double total = 0;
    for (int v = 0; v < V; v++)
        if (v != SERCE_TOK_UNK && v != SERCE_TOK_BOS) total += serce_expf(z[v] - mx);
    if (k > V) k = V;
    if (k < 0) k = 0;
    serce_buf *b = &w->json;
    b->len = 0;
    int rc = serce_buf_append(b, "[", 1);
    /* selection by repeated scans: k is small (a handful of suggestions) */
    unsigned char *taken = serce_calloc((size_t)V, 1);
    if (!taken) rc = SERCE_ERR_NOMEM;
    for (int i = 0; i < k && !rc; i++) {
        int best = -1;
        for (int v = 0; v < V; v++) {
            if (v == SERCE_TOK_UNK || v == SERCE_TOK_BOS || taken[v]) continue;
            if (best < 0 || z[v] > z[best]) best = v;
        }
        if (best < 0) break;
        taken[best] = 1;
        char s[16];
        int len = serce_vocab_token_str(&m->vocab, best, s);
        rc = serce_buf_append(b, i ? ",[" : "[", i ? 2 : 1);
        rc = rc ? rc : sj_write_str(b, s, (size_t)len);
        rc = rc ? rc : serce_buf_printf(b, ",%.6g]", total > 0 ? serce_expf(z[best] - mx) / total : 0.0);
    }
    serce_free(taken);
    rc = rc ? rc : serce_buf_append(b, "]", 1);
    if (rc) return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory"), "[]";
    return cstr(b);
}

API const char *serce_wasm_stats(int g) {
    wgen *w = get_gen(g);
    if (!w) return serce_fail(&last_err, SERCE_ERR_ARG, "no generation with handle %d", g), "null";
    w->json.len = 0;
    if (serce_gen_stats_json(w->gen, &w->json)) return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory"), "null";
    return cstr(&w->json);
}

API const char *serce_wasm_originality(int h, const char *text) {
    memset(&last_err, 0, sizeof last_err);
    wmodel *m = get_model(h);
    if (!m) return serce_fail(&last_err, SERCE_ERR_ARG, "no model with handle %d", h), "null";
    const serce_originality *ix = model_index(m);
    if (!ix) return serce_fail(&last_err, SERCE_ERR_ARG, "the model has no originality index"), "null";
    if (!text) text = "";
    m->json.len = 0;
    if (serce_originality_spans_json(ix, text, strlen(text), &m->json, &last_err)) {
        m->json.len = 0;
        return "null";
    }
    return cstr(&m->json);
}

/* a letter (or an apostrophe, which stays inside a word: "İstanbul'da") */
static int word_char(uint32_t cp) { return serce_tr_is_letter(cp) || cp == '\'' || cp == 0x2019; }

API const char *serce_wasm_next_words(int g, int k, int max_chars) {
    wgen *w = get_gen(g);
    if (!w) return serce_fail(&last_err, SERCE_ERR_ARG, "no generation with handle %d", g), "[]";
    wmodel *wm = get_model(w->model);
    const serce_model *m = wm->m;
    const serce_vocab *voc = &m->vocab;
    int V = m->cfg.vocab, in_title = serce_gen_in_title(w->gen);
    if (k > V) k = V;
    if (k < 0) k = 0;
    if (max_chars < 1) max_chars = 1;
    if (max_chars > 64) max_chars = 64;
    const serce_infer *src = serce_gen_infer(w->gen);
    if (!wm->inf) {
        serce_error e;
        if (serce_infer_new(m, NULL, &wm->inf, &e) ||
            !(wm->state = serce_malloc(serce_infer_state_size(wm->inf) * sizeof(float)))) {
            serce_infer_free(wm->inf);
            wm->inf = NULL;
            return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory"), "[]";
        }
    }
    /* what the sampler may pick here: never <unk> or <s>, <t> only in the title line */
#define ALLOWED(v) ((v) != SERCE_TOK_UNK && (v) != SERCE_TOK_BOS && ((v) != SERCE_TOK_TITLE || in_title))
    float *z = serce_malloc((size_t)V * sizeof *z);
    unsigned char *taken = serce_calloc((size_t)V, 1);
    serce_buf *b = &w->json;
    b->len = 0;
    int rc = !z || !taken ? SERCE_ERR_NOMEM : serce_buf_append(b, "[", 1);
    if (!rc) memcpy(z, serce_infer_logits(src), (size_t)V * sizeof *z);
    if (!rc) serce_infer_get_state(src, wm->state);
    float mx = -INFINITY;
    double total = 0;
    for (int v = 0; v < V && !rc; v++)
        if (ALLOWED(v) && z[v] > mx) mx = z[v];
    for (int v = 0; v < V && !rc; v++)
        if (ALLOWED(v)) total += serce_expf(z[v] - mx);
    for (int i = 0; i < k && !rc; i++) {
        int t = -1;
        for (int v = 0; v < V; v++)
            if (ALLOWED(v) && !taken[v] && (t < 0 || z[v] > z[t])) t = v;
        if (t < 0) break;
        taken[t] = 1;
        double p = total > 0 ? serce_expf(z[t] - mx) / total : 0.0;
        /* the greedy continuation (temperature 1) of t to the end of the next word */
        char s[16], word[64 * 4 + 16];
        size_t nw = (size_t)serce_vocab_token_str(voc, t, s);
        memcpy(word, s, nw);
        double wp = p;
        int letters = t >= SERCE_NSPECIAL && word_char(voc->cps[t]);
        if (t >= SERCE_NSPECIAL && voc->cps[t] != '\n') {
            serce_infer_set_state(wm->inf, wm->state);
            int cur = t, title = in_title;
            for (int n = 1; n < max_chars; n++) {
                serce_infer_step(wm->inf, cur);
                const float *zz = serce_infer_logits(wm->inf);
                float m2 = -INFINITY;
                int best = -1;
                double tot2 = 0;
                for (int v = 0; v < V; v++)
                    if (v != SERCE_TOK_UNK && v != SERCE_TOK_BOS && (v != SERCE_TOK_TITLE || title) && zz[v] > m2) m2 = zz[v], best = v;
                if (best < SERCE_NSPECIAL || voc->cps[best] == '\n') break; /* the line or the song ends */
                uint32_t cp = voc->cps[best];
                if (!word_char(cp) && letters) break;                      /* the word ends */
                for (int v = 0; v < V; v++)
                    if (v != SERCE_TOK_UNK && v != SERCE_TOK_BOS && (v != SERCE_TOK_TITLE || title)) tot2 += serce_expf(zz[v] - m2);
                wp *= tot2 > 0 ? 1.0 / tot2 : 0.0;
                nw += (size_t)serce_utf8_put(cp, word + nw);
                letters |= word_char(cp);
                cur = best;
            }
        }
        rc = serce_buf_append(b, i ? ",[" : "[", i ? 2 : 1);
        rc = rc ? rc : sj_write_str(b, s, strlen(s));
        rc = rc ? rc : serce_buf_printf(b, ",%.6g,", p);
        rc = rc ? rc : sj_write_str(b, word, nw);
        rc = rc ? rc : serce_buf_printf(b, ",%.6g]", wp);
    }
#undef ALLOWED
    serce_free(z);
    serce_free(taken);
    rc = rc ? rc : serce_buf_append(b, "]", 1);
    if (rc) return serce_fail(&last_err, SERCE_ERR_NOMEM, "out of memory"), "[]";
    return cstr(b);
}
