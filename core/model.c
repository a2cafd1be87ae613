/* model.c — parameter table, batched forward/backward, the inference step, model files.
 *
 * Forward/backward follow llm.c's pattern: the math of each piece in its first comment, outputs
 * first, backward accumulates into the gradient block. The input projection of a layer covers all
 * T*B rows in one gemm; only the recurrent term runs step by step. Tested against finite
 * differences (tests/test_grad.c) and against PyTorch (tests/test_reference.c).
 * Not here: the optimiser, data streams, sampling, files.
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mathf.h"
#include "parallel.h"
#include "rng.h"
#include "safetensors.h"

/* ---------------------------------------------------------------- config and parameter table */

int serce_config_check(const serce_config *c, serce_error *err) {
    if (c->vocab < SERCE_NSPECIAL + 1 || c->vocab > SERCE_MAX_VOCAB)
        return serce_fail(err, SERCE_ERR_LIMIT, "vocabulary size %d is outside %d..%d", c->vocab,
                          SERCE_NSPECIAL + 1, SERCE_MAX_VOCAB);
    if (c->embed < 1 || c->embed > SERCE_MAX_DIM)
        return serce_fail(err, SERCE_ERR_LIMIT, "embedding size %d is outside 1..%d", c->embed, SERCE_MAX_DIM);
    if (c->hidden < 1 || c->hidden > SERCE_MAX_DIM)
        return serce_fail(err, SERCE_ERR_LIMIT, "hidden size %d is outside 1..%d", c->hidden, SERCE_MAX_DIM);
    if (c->layers < 1 || c->layers > SERCE_MAX_LAYERS)
        return serce_fail(err, SERCE_ERR_LIMIT, "layer count %d is outside 1..%d", c->layers, SERCE_MAX_LAYERS);
    return SERCE_OK;
}

int serce_param_table(const serce_config *c, serce_tensor_info *t) {
    int n = 0, G = 4 * c->hidden;
    size_t off = 0;
#define ADD(nm, d0, d1)                                                             \
    do {                                                                            \
        serce_tensor_info *e = &t[n++];                                             \
        snprintf(e->name, sizeof e->name, "%s", nm);                                \
        e->ndim = (d1) ? 2 : 1;                                                     \
        e->shape[0] = (d0);                                                         \
        e->shape[1] = (d1);                                                         \
        e->numel = (size_t)(d0) * (size_t)((d1) ? (d1) : 1);                        \
        e->offset = off;                                                            \
        off += e->numel;                                                            \
    } while (0)
    char nm[32];
    ADD("embedding.weight", c->vocab, c->embed);
    for (int l = 0; l < c->layers; l++) {
        snprintf(nm, sizeof nm, "lstm.weight_ih_l%d", l);
        ADD(nm, G, l == 0 ? c->embed : c->hidden);
        snprintf(nm, sizeof nm, "lstm.weight_hh_l%d", l);
        ADD(nm, G, c->hidden);
        snprintf(nm, sizeof nm, "lstm.bias_ih_l%d", l);
        ADD(nm, G, 0);
        snprintf(nm, sizeof nm, "lstm.bias_hh_l%d", l);
        ADD(nm, G, 0);
    }
    ADD("head.weight", c->vocab, c->hidden);
    ADD("head.bias", c->vocab, 0);
#undef ADD
    return n;
}

size_t serce_param_total(const serce_config *c) {
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int n = serce_param_table(c, t);
    return t[n - 1].offset + t[n - 1].numel;
}

void serce_params_view(const serce_config *c, float *base, serce_params *p) {
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int n = serce_param_table(c, t), i = 0;
    memset(p, 0, sizeof *p);
    p->embedding = base + t[i++].offset;
    for (int l = 0; l < c->layers; l++) {
        p->w_ih[l] = base + t[i++].offset;
        p->w_hh[l] = base + t[i++].offset;
        p->b_ih[l] = base + t[i++].offset;
        p->b_hh[l] = base + t[i++].offset;
    }
    p->head_w = base + t[i++].offset;
    p->head_b = base + t[i++].offset;
    (void)n;
}

/* ---------------------------------------------------------------- model object */

/* serce_model_new with zeroed weights, or (zero = 0, for the loader, which writes every tensor) with
 * the weights left unwritten: 13 MB of zeroing was the largest cost of loading a model in the page */
static int model_alloc(const serce_config *cfg, const serce_vocab *vocab, int zero, serce_model **out,
                       serce_error *err) {
    *out = NULL;
    int rc = serce_config_check(cfg, err);
    if (rc) return rc;
    if (vocab->size != cfg->vocab)
        return serce_fail(err, SERCE_ERR_VOCAB, "vocabulary has %d tokens but the config says %d", vocab->size,
                          cfg->vocab);
    serce_model *m = serce_calloc(1, sizeof *m);
    if (!m) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for the model");
    m->cfg = *cfg;
    m->nparams = serce_param_total(cfg);
    m->w = zero ? serce_calloc(m->nparams, sizeof(float)) : serce_malloc(m->nparams * sizeof(float));
    if (!m->w || serce_vocab_copy(vocab, &m->vocab) != SERCE_OK) {
        serce_free(m->w);
        serce_free(m);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for %zu parameters", serce_param_total(cfg));
    }
    m->vocab.lowercase = cfg->lowercase;
    serce_params_view(cfg, m->w, &m->p);
    *out = m;
    return SERCE_OK;
}

int serce_model_new(const serce_config *cfg, const serce_vocab *vocab, serce_model **out, serce_error *err) {
    return model_alloc(cfg, vocab, 1, out, err);
}

void serce_model_init(serce_model *m, uint64_t seed) {
    uint64_t rng = serce_rng_seed(seed);
    const serce_config *c = &m->cfg;
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int n = serce_param_table(c, t);
    for (int i = 0; i < n; i++) {
        float *w = m->w + t[i].offset;
        if (i == 0) { /* nn.Embedding: N(0, 1), Box-Muller */
            for (size_t j = 0; j < t[i].numel; j += 2) {
                float u1 = serce_rng_uniform(&rng), u2 = serce_rng_uniform(&rng);
                float r = sqrtf(-2.0f * logf(1.0f - u1)), th = 6.28318530718f * u2;
                w[j] = r * cosf(th);
                if (j + 1 < t[i].numel) w[j + 1] = r * sinf(th);
            }
        } else { /* nn.LSTM and nn.Linear(H, V): U(-1/sqrt(H), 1/sqrt(H)) */
            float a = 1.0f / sqrtf((float)c->hidden);
            for (size_t j = 0; j < t[i].numel; j++) w[j] = (2.0f * serce_rng_uniform(&rng) - 1.0f) * a;
        }
    }
}

void serce_model_free(serce_model *m) {
    if (!m) return;
    serce_free(m->w);
    for (int i = 0; i < SERCE_MAX_TENSORS; i++) serce_free(m->q[i]), serce_free(m->qscale[i]);
    serce_vocab_free(&m->vocab);
    serce_free(m->meta_training);
    for (int i = 0; i < m->nmeta_extra; i++) {
        serce_free(m->meta_extra_key[i]);
        serce_free(m->meta_extra_val[i]);
    }
    serce_free(m);
}

static char *dupstr(const char *s) {
    size_t n = strlen(s);
    char *d = serce_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

int serce_model_set_meta(serce_model *m, const char *key, const char *val) {
    char *v = dupstr(val);
    if (!v) return SERCE_ERR_NOMEM;
    if (strcmp(key, "serce.training") == 0) {
        serce_free(m->meta_training);
        m->meta_training = v;
        return SERCE_OK;
    }
    for (int i = 0; i < m->nmeta_extra; i++)
        if (strcmp(m->meta_extra_key[i], key) == 0) {
            serce_free(m->meta_extra_val[i]);
            m->meta_extra_val[i] = v;
            return SERCE_OK;
        }
    if (m->nmeta_extra >= 8) {
        serce_free(v);
        return SERCE_ERR_LIMIT;
    }
    char *k = dupstr(key);
    if (!k) {
        serce_free(v);
        return SERCE_ERR_NOMEM;
    }
    m->meta_extra_key[m->nmeta_extra] = k;
    m->meta_extra_val[m->nmeta_extra++] = v;
    return SERCE_OK;
}

const char *serce_model_get_meta(const serce_model *m, const char *key) {
    if (strcmp(key, "serce.training") == 0) return m->meta_training;
    for (int i = 0; i < m->nmeta_extra; i++)
        if (strcmp(m->meta_extra_key[i], key) == 0) return m->meta_extra_val[i];
    return NULL;
}

/* ---------------------------------------------------------------- int8 */

/* the weight matrices that generation multiplies: every LSTM weight and the head weight */
static int quantizable(const serce_tensor_info *t, int i, int n) {
    return t[i].ndim == 2 && i != 0 && i != n - 1 && (strstr(t[i].name, "weight") != NULL);
}

int serce_model_is_int8(const serce_model *m) {
    for (int i = 0; i < SERCE_MAX_TENSORS; i++)
        if (m->q[i]) return 1;
    return 0;
}

int serce_model_quantize(serce_model *m, serce_error *err) {
    if (m->generate_only) return serce_fail(err, SERCE_ERR_ARG, "this model was loaded for generation only");
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int n = serce_param_table(&m->cfg, t);
    for (int i = 0; i < n; i++) {
        if (!quantizable(t, i, n) || m->q[i]) continue;
        int rows = t[i].shape[0], cols = t[i].shape[1];
        signed char *q = serce_malloc(t[i].numel);
        float *sc = serce_malloc(sizeof(float) * rows);
        if (!q || !sc) {
            serce_free(q), serce_free(sc);
            return serce_fail(err, SERCE_ERR_NOMEM, "out of memory quantising the model");
        }
        float *w = m->w + t[i].offset;
        for (int r = 0; r < rows; r++) {
            float mx = 0.0f, *row = w + (size_t)r * cols;
            for (int c = 0; c < cols; c++) mx = fabsf(row[c]) > mx ? fabsf(row[c]) : mx;
            sc[r] = mx / 127.0f;
            for (int c = 0; c < cols; c++) {
                float v = sc[r] > 0 ? row[c] / sc[r] : 0.0f;
                int k = (int)lrintf(v);
                k = k > 127 ? 127 : k < -127 ? -127 : k;
                q[(size_t)r * cols + c] = (signed char)k;
                row[c] = (float)k * sc[r];
            }
        }
        m->q[i] = q, m->qscale[i] = sc;
    }
    return SERCE_OK;
}

/* ---------------------------------------------------------------- model file */

int serce_config_to_json(const serce_config *c, serce_buf *b) {
    return serce_buf_printf(b, "{\"vocab\":%d,\"embed\":%d,\"hidden\":%d,\"layers\":%d,\"lowercase\":%s,"
                               "\"cell\":\"lstm\",\"gates\":\"ifgo\"}",
                            c->vocab, c->embed, c->hidden, c->layers, c->lowercase ? "true" : "false");
}

int serce_model_save(const serce_model *m, serce_buf *out, const st_tensor *extra, int nextra,
                     const char *const *extra_keys, const char *const *extra_vals, int nextra_meta,
                     serce_error *err) {
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int n = serce_param_table(&m->cfg, t);
    int nq = 0;
    for (int i = 0; i < n; i++) nq += m->q[i] != NULL;
    int total = n + nq + nextra, rc = SERCE_OK;
    char (*qnames)[48] = serce_calloc((size_t)(nq ? nq : 1), 48);
    st_tensor *ts = serce_calloc((size_t)total, sizeof *ts);
    if (!qnames || !ts) {
        serce_free(qnames);
        serce_free(ts);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory writing the model");
    }
    serce_buf cfgj = {0}, vocj = {0};
    int nm = 0;
    const char *keys[32], *vals[32];
    for (int i = 0; i < n; i++) {
        ts[i].name = t[i].name;
        ts[i].dtype = ST_F32;
        ts[i].ndim = t[i].ndim;
        ts[i].shape[0] = t[i].shape[0];
        ts[i].shape[1] = t[i].shape[1];
        ts[i].data = (const uint8_t *)(m->w + t[i].offset);
        ts[i].nbytes = t[i].numel * sizeof(float);
    }
    for (int i = 0, j = 0; i < n; i++) {
        if (!m->q[i]) continue;
        ts[i].dtype = ST_I8;
        ts[i].data = (const uint8_t *)m->q[i];
        ts[i].nbytes = t[i].numel;
        st_tensor *sct = &ts[n + j];
        snprintf(qnames[j], 48, "%.31s.scale", t[i].name);
        sct->name = qnames[j];
        sct->dtype = ST_F32;
        sct->ndim = 1;
        sct->shape[0] = t[i].shape[0];
        sct->data = (const uint8_t *)m->qscale[i];
        sct->nbytes = (size_t)t[i].shape[0] * sizeof(float);
        j++;
    }
    for (int i = 0; i < nextra; i++) ts[n + nq + i] = extra[i];
    if (serce_config_to_json(&m->cfg, &cfgj) || serce_vocab_to_json(&m->vocab, &vocj)) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory writing the model");
        goto done;
    }
    keys[nm] = "serce.format", vals[nm++] = SERCE_FORMAT_VERSION;
    keys[nm] = "serce.config", vals[nm++] = (const char *)cfgj.data;
    keys[nm] = "serce.vocab", vals[nm++] = (const char *)vocj.data;
    keys[nm] = "serce.special", vals[nm++] = "{\"unk\":0,\"bos\":1,\"eos\":2,\"title\":3}";
    if (m->meta_training) keys[nm] = "serce.training", vals[nm++] = m->meta_training;
    for (int i = 0; i < m->nmeta_extra && nm < 24; i++) {
        int shadowed = 0;
        for (int j = 0; j < nextra_meta; j++) shadowed |= strcmp(extra_keys[j], m->meta_extra_key[i]) == 0;
        if (!shadowed) keys[nm] = m->meta_extra_key[i], vals[nm++] = m->meta_extra_val[i];
    }
    for (int i = 0; i < nextra_meta && nm < 32; i++) keys[nm] = extra_keys[i], vals[nm++] = extra_vals[i];
    rc = st_write(out, ts, total, keys, vals, nm, err);
done:
    serce_buf_free(&cfgj);
    serce_buf_free(&vocj);
    serce_free(ts);
    serce_free(qnames);
    return rc;
}

static int cfg_int(const sj_doc *d, const char *key, int *out, serce_error *err) {
    long long v;
    if (sj_get_int(d, 0, key, &v) != 0)
        return serce_fail(err, SERCE_ERR_FORMAT, "serce.config has no integer '%s'", key);
    if (v < 0 || v > 1000000) return serce_fail(err, SERCE_ERR_LIMIT, "serce.config '%s' = %lld is out of range", key, v);
    *out = (int)v;
    return SERCE_OK;
}

/* w = q * scale per row (separate restrict arrays: the loop vectorises); w NULL: only the scales are
 * checked. Returns 0, or 1 + the row of a scale that is negative or not finite. */
static int dequantize(int rows, int cols, const signed char *restrict q, const float *restrict scale,
                      float *restrict w) {
    for (int r = 0; r < rows; r++) {
        float scl = scale[r];
        if (!isfinite(scl) || scl < 0) return 1 + r;
        if (!w) continue; /* only the scales checked */
        const signed char *qr = q + (size_t)r * cols;
        float *wr = w + (size_t)r * cols;
        for (int c = 0; c < cols; c++) wr[c] = (float)qr[c] * scl;
    }
    return 0;
}

int serce_model_load(const uint8_t *buf, size_t n, serce_model **out, serce_error *err) {
    return serce_model_load_ex(buf, n, 0, out, err);
}

int serce_model_load_ex(const uint8_t *buf, size_t n, int flags, serce_model **out, serce_error *err) {
    *out = NULL;
    int gen_only = (flags & SERCE_LOAD_GENERATE_ONLY) != 0;
    st_file f;
    memset(&f, 0, sizeof f);
    serce_model *m = NULL;
    sj_doc cd;
    memset(&cd, 0, sizeof cd);
    serce_vocab v;
    memset(&v, 0, sizeof v);
    int rc = st_parse(buf, n, &f, err);
    if (rc) return rc;
    const char *fmt = st_meta(&f, "serce.format");
    const char *cfgs = st_meta(&f, "serce.config");
    const char *vocs = st_meta(&f, "serce.vocab");
    if (!fmt || !cfgs || !vocs) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "not a Serçe model: the metadata lacks %s",
                        !fmt ? "serce.format" : !cfgs ? "serce.config" : "serce.vocab");
        goto fail;
    }
    if (strcmp(fmt, SERCE_FORMAT_VERSION) != 0) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "serce.format is '%.20s'; this build reads version %s", fmt,
                        SERCE_FORMAT_VERSION);
        goto fail;
    }
    serce_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if ((rc = sj_parse(cfgs, strlen(cfgs), "serce.config", &cd, err))) goto fail;
    if (cd.nnodes < 1 || cd.nodes[0].type != SJ_OBJECT) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "serce.config is not a JSON object");
        goto fail;
    }
    if ((rc = cfg_int(&cd, "vocab", &cfg.vocab, err)) || (rc = cfg_int(&cd, "embed", &cfg.embed, err)) ||
        (rc = cfg_int(&cd, "hidden", &cfg.hidden, err)) || (rc = cfg_int(&cd, "layers", &cfg.layers, err)))
        goto fail;
    int lc = sj_get(&cd, 0, "lowercase");
    cfg.lowercase = lc >= 0 && cd.nodes[lc].type == SJ_TRUE;
    if ((rc = serce_config_check(&cfg, err))) goto fail;
    if ((rc = serce_vocab_from_json(vocs, strlen(vocs), cfg.lowercase, &v, err))) goto fail;
    if (v.size != cfg.vocab) {
        rc = serce_fail(err, SERCE_ERR_VOCAB, "serce.vocab has %d tokens but serce.config says vocab = %d", v.size,
                        cfg.vocab);
        goto fail;
    }
    /* every parameter is stored in the file: refuse a config the file cannot hold before allocating
     * for it (a 1 KB file claiming hidden 4096 x 8 layers would otherwise cost 4 GB first) */
    if (serce_param_total(&cfg) > n) { /* at least 1 byte each (int8 files), 4 for F32 */
        rc = serce_fail(err, SERCE_ERR_SHAPE, "serce.config describes %zu parameters but the file has only %zu bytes",
                        serce_param_total(&cfg), n);
        goto fail;
    }
    /* every tensor is written below; for generate-only loads all but the int8 ones, whose float
     * values are never read (serce_trainer_new, serce_forward_backward and serce_model_quantize
     * refuse such a model; saving writes q) */
    if ((rc = model_alloc(&cfg, &v, 0, &m, err))) goto fail;
    m->generate_only = gen_only;
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int nt = serce_param_table(&cfg, t);
    for (int i = 0; i < nt; i++) {
        const st_tensor *s = st_find(&f, t[i].name);
        if (!s) {
            rc = serce_fail(err, SERCE_ERR_SHAPE, "tensor '%s' is missing", t[i].name);
            goto fail;
        }
        int is_q8 = s->dtype == ST_I8 && quantizable(t, i, nt);
        if (s->dtype != ST_F32 && !is_q8) {
            rc = serce_fail(err, SERCE_ERR_DTYPE, "tensor '%s' is %s; Serçe models are F32%s", t[i].name,
                            st_dtype_name(s->dtype), quantizable(t, i, nt) ? " (or I8 with a .scale)" : "");
            goto fail;
        }
        int ok = s->ndim == t[i].ndim && s->shape[0] == t[i].shape[0] && (t[i].ndim == 1 || s->shape[1] == t[i].shape[1]);
        if (!ok) {
            char got[64] = "", want[32];
            int p = 0;
            for (int d = 0; d < s->ndim && p < 50; d++)
                p += snprintf(got + p, sizeof got - (size_t)p, "%s%lld", d ? ", " : "", (long long)s->shape[d]);
            if (t[i].ndim == 1) snprintf(want, sizeof want, "%d", t[i].shape[0]);
            else snprintf(want, sizeof want, "%d, %d", t[i].shape[0], t[i].shape[1]);
            rc = serce_fail(err, SERCE_ERR_SHAPE, "tensor '%s' has shape [%s]; the config needs [%s]", t[i].name, got,
                            want);
            goto fail;
        }
        if (is_q8) {
            char sn[48];
            snprintf(sn, sizeof sn, "%.31s.scale", t[i].name);
            const st_tensor *sc = st_find(&f, sn);
            if (!sc || sc->dtype != ST_F32 || sc->ndim != 1 || sc->shape[0] != t[i].shape[0]) {
                rc = serce_fail(err, SERCE_ERR_SHAPE, "int8 tensor '%s' needs an F32 '%s' of shape [%d]", t[i].name, sn,
                                t[i].shape[0]);
                goto fail;
            }
            m->q[i] = serce_malloc(t[i].numel);
            m->qscale[i] = serce_malloc(sizeof(float) * (size_t)t[i].shape[0]);
            if (!m->q[i] || !m->qscale[i]) {
                rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory reading the model");
                goto fail;
            }
            memcpy(m->q[i], s->data, t[i].numel);
            memcpy(m->qscale[i], sc->data, sizeof(float) * (size_t)t[i].shape[0]);
            if ((rc = dequantize(t[i].shape[0], t[i].shape[1], m->q[i], m->qscale[i], gen_only ? NULL : m->w + t[i].offset))) {
                rc = serce_fail(err, SERCE_ERR_NUMERIC, "'%s' holds an invalid scale at row %d", sn, rc - 1);
                goto fail;
            }
            continue;
        }
        memcpy(m->w + t[i].offset, s->data, t[i].numel * sizeof(float));
        for (size_t j = 0; j < t[i].numel; j++)
            if (!isfinite(m->w[t[i].offset + j])) {
                rc = serce_fail(err, SERCE_ERR_NUMERIC, "tensor '%s' holds NaN or infinity at element %zu", t[i].name, j);
                goto fail;
            }
    }
    /* carry the rest of the metadata (training record, card, originality index, ...) */
    for (int i = 0; i < f.nmeta; i++) {
        const char *k = f.meta_keys[i];
        if (!strcmp(k, "serce.format") || !strcmp(k, "serce.config") || !strcmp(k, "serce.vocab") ||
            !strcmp(k, "serce.special") || !strncmp(k, "serce.checkpoint", 16))
            continue;
        if (serce_model_set_meta(m, k, f.meta_vals[i]) == SERCE_ERR_NOMEM) {
            rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory reading the metadata");
            goto fail;
        }
    }
    sj_free(&cd);
    serce_vocab_free(&v);
    st_free(&f);
    *out = m;
    return SERCE_OK;
fail:
    serce_model_free(m);
    sj_free(&cd);
    serce_vocab_free(&v);
    st_free(&f);
    return rc;
}

/* ---------------------------------------------------------------- forward / backward */

struct serce_fb {
    int B, T, L, H, E, V;
    /* per layer l, rows are time-major (t*B + b) */
    float *xin[SERCE_MAX_LAYERS + 1]; /* [T*B, in_l] layer input; xin[L] = head input (post-dropout h) */
    float *gates[SERCE_MAX_LAYERS];   /* [T*B, G] pre-activations, then activations i,f,g,o */
    float *cs[SERCE_MAX_LAYERS];      /* [T*B, H] cell state */
    float *tc[SERCE_MAX_LAYERS];      /* [T*B, H] tanh(cell state) */
    float *hs[SERCE_MAX_LAYERS];      /* [T*B, H] hidden output (before dropout) */
    float *hp[SERCE_MAX_LAYERS];      /* [T*B, H] previous hidden state seen by step t (0 after a reset) */
    float *cp[SERCE_MAX_LAYERS];      /* [T*B, H] previous cell state seen by step t */
    float *mask[SERCE_MAX_LAYERS];    /* [T*B, H] dropout multipliers (0 or 1/(1-p)) of layer l's output */
    float *logits;                    /* [T*B, V] logits, then (during backward) dlogits */
    float *dx;                        /* [T*B, max(E,H)] gradient of a layer input */
    float *dh;                        /* [T*B, H] gradient of a layer's hidden output */
    float *dg;                        /* [T*B, G] gradient of gate pre-activations */
    float *dhn, *dcn;                 /* [B, H] gradient carried to the previous step */
    float *block;
};

static size_t fb_floats(const serce_config *c, int B, int T, size_t *layout_out) {
    size_t TB = (size_t)T * B, H = (size_t)c->hidden, G = 4 * H, L = (size_t)c->layers;
    size_t mx = (size_t)(c->embed > c->hidden ? c->embed : c->hidden);
    size_t n = TB * (size_t)c->embed;           /* xin[0] */
    n += (L - 1) * TB * H + TB * H;             /* xin[1..L] */
    n += L * (TB * G + 6 * TB * H);             /* gates, cs, tc, hs, hp, cp, mask */
    n += TB * (size_t)c->vocab + TB * mx + TB * H + TB * G + 2 * (size_t)B * H;
    (void)layout_out;
    return n;
}

double serce_fb_bytes(const serce_config *cfg, int B, int T) {
    return (double)fb_floats(cfg, B, T, NULL) * sizeof(float);
}

int serce_fb_new(const serce_config *c, int B, int T, serce_fb **out, serce_error *err) {
    *out = NULL;
    if (B < 1 || T < 1) return serce_fail(err, SERCE_ERR_ARG, "batch and sequence length must be at least 1");
    serce_fb *w = serce_calloc(1, sizeof *w);
    if (!w) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for the training workspace");
    size_t n = fb_floats(c, B, T, NULL);
    w->block = serce_malloc(n * sizeof(float));
    if (!w->block) {
        serce_free(w);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory: the training workspace needs %.0f MiB",
                          (double)n * 4 / 1048576.0);
    }
    memset(w->block, 0, n * sizeof(float));
    w->B = B, w->T = T, w->L = c->layers, w->H = c->hidden, w->E = c->embed, w->V = c->vocab;
    size_t TB = (size_t)T * B, H = (size_t)c->hidden, G = 4 * H;
    size_t mx = (size_t)(c->embed > c->hidden ? c->embed : c->hidden);
    float *p = w->block;
    w->xin[0] = p, p += TB * (size_t)c->embed;
    for (int l = 1; l <= c->layers; l++) w->xin[l] = p, p += TB * H;
    for (int l = 0; l < c->layers; l++) {
        w->gates[l] = p, p += TB * G;
        w->cs[l] = p, p += TB * H;
        w->tc[l] = p, p += TB * H;
        w->hs[l] = p, p += TB * H;
        w->hp[l] = p, p += TB * H;
        w->cp[l] = p, p += TB * H;
        w->mask[l] = p, p += TB * H;
    }
    w->logits = p, p += TB * (size_t)c->vocab;
    w->dx = p, p += TB * mx;
    w->dh = p, p += TB * H;
    w->dg = p, p += TB * G;
    w->dhn = p, p += (size_t)B * H;
    w->dcn = p; /* the last block: B*H floats, the end of fb_floats() */
    *out = w;
    return SERCE_OK;
}

void serce_fb_free(serce_fb *w) {
    if (!w) return;
    serce_free(w->block);
    serce_free(w);
}

const float *serce_fb_logits(const serce_fb *w) { return w->logits; }

/* LSTM layer forward over T steps.
 *   pre = x W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T;  i,f,o = sigmoid, g = tanh
 *   c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
 * with h_{t-1} = c_{t-1} = 0 for a stream whose input at t is <s>. */
static void lstm_forward(const serce_kernels *k, serce_fb *w, int l, int T, const int32_t *inputs, int in,
                         const float *Wih, const float *Whh, const float *bih, const float *bhh, float *h0,
                         float *c0) {
    int B = w->B, H = w->H, G = 4 * H, TB = T * B;
    float *pre = w->gates[l];
    k->gemm(0, 1, TB, G, in, 1.0f, w->xin[l], in, Wih, in, 0.0f, pre, G);
    for (int r = 0; r < TB; r++) {
        float *g = pre + (size_t)r * G;
        for (int j = 0; j < G; j++) g[j] += bih[j] + bhh[j];
    }
    for (int t = 0; t < T; t++) {
        float *hp = w->hp[l] + (size_t)t * B * H, *cp = w->cp[l] + (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            float *hpb = hp + (size_t)b * H, *cpb = cp + (size_t)b * H;
            if (inputs[t * B + b] == SERCE_TOK_BOS) {
                memset(hpb, 0, sizeof(float) * H);
                memset(cpb, 0, sizeof(float) * H);
            } else if (t == 0) {
                memcpy(hpb, h0 + (size_t)b * H, sizeof(float) * H);
                memcpy(cpb, c0 + (size_t)b * H, sizeof(float) * H);
            } else {
                memcpy(hpb, w->hs[l] + ((size_t)(t - 1) * B + b) * H, sizeof(float) * H);
                memcpy(cpb, w->cs[l] + ((size_t)(t - 1) * B + b) * H, sizeof(float) * H);
            }
        }
        float *pt = pre + (size_t)t * B * G;
        k->gemm(0, 1, B, G, H, 1.0f, hp, H, Whh, H, 1.0f, pt, G);
        for (int b = 0; b < B; b++) {
            float *g = pt + (size_t)b * G;
            size_t row = ((size_t)t * B + b) * H;
            float *c = w->cs[l] + row, *tc = w->tc[l] + row, *h = w->hs[l] + row, *cpb = cp + (size_t)b * H;
            k->train_cell(H, g, cpb, c, tc, h);
        }
    }
    memcpy(h0, w->hs[l] + (size_t)(T - 1) * B * H, sizeof(float) * B * H);
    memcpy(c0, w->cs[l] + (size_t)(T - 1) * B * H, sizeof(float) * B * H);
}

/* LSTM layer backward. Input: w->dh [T*B,H] = dLoss/dh_t from above. Output: w->dx [T*B,in] and
 * the weight gradients accumulated. The gradient entering from beyond the last step is zero
 * (truncated BPTT); a reset at step t stops the gradient to step t-1. */
static void lstm_backward(const serce_kernels *k, serce_fb *w, int l, int T, const int32_t *inputs, int in,
                          const float *Wih, const float *Whh, float *dWih, float *dWhh, float *dbih, float *dbhh) {
    int B = w->B, H = w->H, G = 4 * H, TB = T * B;
    memset(w->dhn, 0, sizeof(float) * B * H);
    memset(w->dcn, 0, sizeof(float) * B * H);
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)t * B + b;
            const float *g = w->gates[l] + row * G, *tc = w->tc[l] + row * H, *cp = w->cp[l] + row * H;
            const float *dhup = w->dh + row * H;
            float *dg = w->dg + row * G, *dhn = w->dhn + (size_t)b * H, *dcn = w->dcn + (size_t)b * H;
            k->train_back(H, g, tc, cp, dhup, dhn, dcn, dg, inputs[row] == SERCE_TOK_BOS);
        }
        /* dh_{t-1} = dG_t W_hh, zero where the stream was reset at t */
        float *dgt = w->dg + (size_t)t * B * G;
        k->gemm(0, 0, B, H, G, 1.0f, dgt, G, Whh, H, 0.0f, w->dhn, H);
        for (int b = 0; b < B; b++)
            if (inputs[t * B + b] == SERCE_TOK_BOS) memset(w->dhn + (size_t)b * H, 0, sizeof(float) * H);
    }
    k->gemm(1, 0, G, in, TB, 1.0f, w->dg, G, w->xin[l], in, 1.0f, dWih, in);
    k->gemm(1, 0, G, H, TB, 1.0f, w->dg, G, w->hp[l], H, 1.0f, dWhh, H);
    for (int r = 0; r < TB; r++) { /* both biases receive the same gradient */
        const float *dg = w->dg + (size_t)r * G;
        for (int j = 0; j < G; j++) {
            dbih[j] += dg[j];
            dbhh[j] += dg[j];
        }
    }
    k->gemm(0, 0, TB, in, G, 1.0f, w->dg, G, Wih, in, 0.0f, w->dx, in);
}

/* Dropout on a layer output: y = x * mask, mask = 0 with probability p, else 1/(1-p). */
static void dropout_forward(float *y, const float *x, float *mask, size_t n, float p, uint64_t *rng) {
    if (p <= 0.0f) {
        memcpy(y, x, n * sizeof(float));
        for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
        return;
    }
    /* two 16-bit draws per random word: p is kept to 1/65536, plenty for dropout */
    float keep = 1.0f / (1.0f - p);
    uint32_t thr = (uint32_t)(p * 65536.0f + 0.5f);
    for (size_t i = 0; i < n; i += 2) {
        uint32_t r = serce_rng_u32(rng);
        mask[i] = (r & 0xFFFFu) < thr ? 0.0f : keep;
        if (i + 1 < n) mask[i + 1] = (r >> 16) < thr ? 0.0f : keep;
    }
    for (size_t i = 0; i < n; i++) y[i] = x[i] * mask[i];
}

int serce_forward_backward(const serce_model *m, const serce_kernels *k, serce_fb *w, int T,
                           const int32_t *inputs, const int32_t *targets, float *h, float *c, float dropout,
                           uint64_t *rng, float *grads, double *loss_sum, long *count) {
    const serce_config *cfg = &m->cfg;
    int B = w->B, H = cfg->hidden, E = cfg->embed, V = cfg->vocab, L = cfg->layers, TB = T * B;
    if (T > w->T || T < 1 || m->generate_only) return SERCE_ERR_ARG;
    const serce_params *p = &m->p;
    /* embedding lookup */
    for (int r = 0; r < TB; r++) {
        int tok = inputs[r];
        if (tok < 0 || tok >= V) tok = SERCE_TOK_UNK;
        memcpy(w->xin[0] + (size_t)r * E, p->embedding + (size_t)tok * E, sizeof(float) * E);
    }
    for (int l = 0; l < L; l++) {
        int in = l == 0 ? E : H;
        lstm_forward(k, w, l, T, inputs, in, p->w_ih[l], p->w_hh[l], p->b_ih[l], p->b_hh[l], h + (size_t)l * B * H,
                     c + (size_t)l * B * H);
        dropout_forward(w->xin[l + 1], w->hs[l], w->mask[l], (size_t)TB * H, dropout, rng);
    }
    /* head + softmax cross-entropy: logits = x W^T + b; loss = -log softmax(logits)[target] */
    k->gemm(0, 1, TB, V, H, 1.0f, w->xin[L], H, p->head_w, H, 0.0f, w->logits, V);
    long n = 0;
    for (int r = 0; r < TB; r++) n += targets[r] >= 0 && targets[r] < V;
    double ls = 0.0;
    float inv = n ? 1.0f / (float)n : 0.0f;
    for (int r = 0; r < TB; r++) {
        float *z = w->logits + (size_t)r * V;
        for (int v = 0; v < V; v++) z[v] += p->head_b[v];
        int y = targets[r];
        if (y < 0 || y >= V) {
            if (grads) memset(z, 0, sizeof(float) * V);
            continue;
        }
        float mx = z[0];
        for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
        float zy = z[y] - mx;
        double s = 0.0;
        if (grads) { /* dlogits = (softmax - onehot) / n; the exponentials once, in a loop that vectorises */
            for (int v = 0; v < V; v++) z[v] = serce_expf(z[v] - mx);
            for (int v = 0; v < V; v++) s += z[v];
            float is = (float)(1.0 / s);
            for (int v = 0; v < V; v++) z[v] = z[v] * is * inv;
            z[y] -= inv;
        } else { /* the logits stay for the caller (serce_fb_logits) */
            for (int v = 0; v < V; v++) s += serce_expf(z[v] - mx);
        }
        ls += log(s) - (double)zy;
    }
    *loss_sum = ls;
    *count = n;
    if (!isfinite(ls)) return SERCE_ERR_NUMERIC;
    if (!grads) return SERCE_OK;

    serce_params g;
    serce_params_view(cfg, grads, &g);
    k->gemm(1, 0, V, H, TB, 1.0f, w->logits, V, w->xin[L], H, 1.0f, g.head_w, H);
    for (int r = 0; r < TB; r++) {
        const float *z = w->logits + (size_t)r * V;
        for (int v = 0; v < V; v++) g.head_b[v] += z[v];
    }
    k->gemm(0, 0, TB, H, V, 1.0f, w->logits, V, p->head_w, H, 0.0f, w->dx, H);
    for (int l = L - 1; l >= 0; l--) {
        int in = l == 0 ? E : H;
        /* through the dropout on this layer's output */
        for (size_t i = 0; i < (size_t)TB * H; i++) w->dh[i] = w->dx[i] * w->mask[l][i];
        lstm_backward(k, w, l, T, inputs, in, p->w_ih[l], p->w_hh[l], g.w_ih[l], g.w_hh[l], g.b_ih[l], g.b_hh[l]);
    }
    for (int r = 0; r < TB; r++) {
        int tok = inputs[r];
        if (tok < 0 || tok >= V) tok = SERCE_TOK_UNK;
        float *ge = g.embedding + (size_t)tok * E;
        const float *dx = w->dx + (size_t)r * E;
        for (int j = 0; j < E; j++) ge[j] += dx[j];
    }
    return SERCE_OK;
}

/* ---------------------------------------------------------------- inference */

/* Generation with int8 weights is integer x integer: every matrix whose input is a hidden state
 * (W_hh, W_ih of layers >= 1, the head) multiplies the state quantised with the fixed scale 127
 * (serce_quantize_unit, |h| < 1) in exact int32 sums (kernels.h). Layer 0's input projection is
 * the table emb_proj, from the float embedding (serce_matvec_q8f), a token's row computed when the
 * token is first read (not all at load: the page's first character then waits for 2 rows, not V).
 * A float model runs the canonical float matvec throughout. */

/* A weight matrix packed for generation: rows padded to 16 columns, float or int8 + row scales. */
typedef struct {
    int rows, kpad;
    float *w;               /* [rows, kpad] or NULL */
    signed char *q;         /* [rows, kpad] or NULL */
    const float *scale;     /* [rows] (int8 only) */
} pmat;

struct serce_infer {
    const serce_model *m;
    const serce_kernels *k;
    int L, H, G, V, E, kh, ke; /* kh = pad16(H), ke = pad16(E) */
    float *emb_proj;         /* [V, G] W_ih0 . embedding[v], canonical order; row v valid once emb_done[v] */
    unsigned char *emb_done; /* [V] */
    pmat wih[SERCE_MAX_LAYERS];    /* [G, kh]; wih[0] [G, ke] (only for emb_proj) */
    pmat whh[SERCE_MAX_LAYERS];    /* [G, kh] */
    float *bsum[SERCE_MAX_LAYERS]; /* [G] b_ih + b_hh */
    pmat head;               /* [V, kh] */
    float *state;            /* [2, L, H]: h then c */
    float *x;                /* [max(kh, ke)] padded input vector */
    float *gx, *gh;          /* [G] */
    float *logits;           /* [V] */
    float *block;
    signed char *qblock;
    /* Split over a team (serce_infer_set_threads): member p owns hidden units [ua[p], ua[p+1]) of
     * every layer (its rows of the four gate blocks and its slice of c and h, so no member waits
     * for another inside a layer) and head rows [va[p], va[p+1]). Each row is the same dot product
     * in the same order whoever computes it: the split never changes a bit. */
    serce_team *team;
    int nt;
    int ua[SERCE_INFER_MAX_THREADS + 1], va[SERCE_INFER_MAX_THREADS + 1];
    float *pgx, *pgh, *pb;   /* per member [4 * units] gate scratch and bias slices (threads > 1) */
    float *xin, *xrec;       /* [kx] padded copies of the layer input and of the recurrent state */
    int16_t *xqin, *xqrec;   /* [kh] the same, quantised (int8 models) */
    const float *emb_row;    /* emb_proj row of the current token */
    int layer;               /* the layer a team run works on */
};

/* y = rows [r0, r0 + n) of A times the prepared input: x (padded float) or xq (quantised state) */
static void pmat_rows(const serce_kernels *k, const pmat *a, int r0, int n, const float *x, const int16_t *xq,
                      float *y) {
    if (a->q) k->matvec_q8(a->q + (size_t)r0 * a->kpad, a->scale + r0, n, a->kpad, xq, y);
    else k->matvec(a->w + (size_t)r0 * a->kpad, n, a->kpad, x, y);
}

/* Prepare a state vector v [H] as a matrix input: its float copy and, for int8 models, its
 * quantisation; the padding beyond H stays zero. */
static void load_input(const serce_infer *s, const float *v, float *x, int16_t *xq) {
    memcpy(x, v, sizeof(float) * (size_t)s->H);
    if (xq) serce_quantize_unit(v, s->H, xq);
}

/* Pack tensor index ti of the model into a (float or int8 as stored); *fp / *qp advance. */
static void pmat_pack(const serce_model *m, int ti, const float *wsrc, int rows, int cols, int kpad, pmat *a,
                      float **fp, signed char **qp) {
    a->rows = rows, a->kpad = kpad;
    if (m->q[ti] && *qp) { /* *qp is set whenever a matrix is int8 (serce_infer_new sizes the block so) */
        a->w = NULL;
        a->q = *qp;
        a->scale = m->qscale[ti];
        *qp += (size_t)rows * kpad;
        for (int r = 0; r < rows; r++) {
            memcpy(a->q + (size_t)r * kpad, m->q[ti] + (size_t)r * cols, (size_t)cols);
            memset(a->q + (size_t)r * kpad + cols, 0, (size_t)(kpad - cols));
        }
    } else {
        a->q = NULL;
        a->w = *fp;
        *fp += (size_t)rows * kpad;
        for (int r = 0; r < rows; r++) {
            memcpy(a->w + (size_t)r * kpad, wsrc + (size_t)r * cols, sizeof(float) * cols);
            memset(a->w + (size_t)r * kpad + cols, 0, sizeof(float) * (size_t)(kpad - cols));
        }
    }
}

/* Deal the hidden units and the head rows to nt members (multiples of 4 rows, for the kernels' row
 * groups) and lay the biases out per member: member p's slice of layer l is [i f g o] of its units. */
static void split(serce_infer *s, int nt) {
    int H = s->H, G = s->G;
    s->nt = nt;
    for (int p = 0; p <= nt; p++) {
        s->ua[p] = p == nt ? H : (int)((long)H * p / nt) & ~3;
        s->va[p] = p == nt ? s->V : (int)((long)s->V * p / nt) & ~3;
    }
    for (int l = 0; l < s->L; l++)
        for (int p = 0; p < nt; p++) {
            int a = s->ua[p], n = s->ua[p + 1] - a;
            for (int q = 0; q < 4; q++)
                memcpy(s->pb + (size_t)l * G + 4 * a + q * n, s->bsum[l] + q * H + a, sizeof(float) * (size_t)n);
        }
}

int serce_infer_new(const serce_model *m, const serce_kernels *k, serce_infer **out, serce_error *err) {
    *out = NULL;
    const serce_config *c = &m->cfg;
    int H = c->hidden, G = 4 * H, V = c->vocab, E = c->embed, L = c->layers, kh = serce_pad16(H), ke = serce_pad16(E);
    int kx = kh > ke ? kh : ke;
    /* the packed matrices: float ones in the float block, int8 ones in the int8 block */
    size_t nmatf = 0, nmatq = 0;
    for (int l = 0; l < L; l++) {
        size_t ih = (size_t)G * (l ? kh : ke), hh = (size_t)G * kh;
        *(m->q[1 + 4 * l] ? &nmatq : &nmatf) += ih;
        *(m->q[2 + 4 * l] ? &nmatq : &nmatf) += hh;
    }
    *(m->q[1 + 4 * L] ? &nmatq : &nmatf) += (size_t)V * kh;
    size_t n = (size_t)V * G + nmatf + 2 * (size_t)L * G + 2 * (size_t)L * H + 3 * (size_t)kx + 2 * (size_t)G + V;
    serce_infer *s = serce_calloc(1, sizeof *s);
    if (!s) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
    s->block = serce_malloc(n * sizeof(float));
    s->qblock = nmatq ? serce_malloc(2 * sizeof(int16_t) * (size_t)kh + nmatq) : NULL; /* int8 models */
    s->emb_done = serce_calloc((size_t)V, 1);
    if (!s->block || (nmatq && !s->qblock) || !s->emb_done) {
        serce_free(s->block), serce_free(s->qblock), serce_free(s->emb_done), serce_free(s);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation (%.0f MiB)", (double)n * 4 / 1048576.0);
    }
    s->m = m, s->k = k ? k : serce_kernels_best();
    s->L = L, s->H = H, s->G = G, s->V = V, s->E = E, s->kh = kh, s->ke = ke;
    float *p = s->block;
    signed char *qp = s->qblock;
    if (qp) { /* the quantised inputs first: the block is malloc-aligned */
        s->xqin = (int16_t *)(void *)qp, qp += sizeof(int16_t) * (size_t)kh;
        s->xqrec = (int16_t *)(void *)qp, qp += sizeof(int16_t) * (size_t)kh;
        memset(s->xqin, 0, 2 * sizeof(int16_t) * (size_t)kh);
    }
    s->emb_proj = p, p += (size_t)V * G;
    for (int l = 0; l < L; l++) s->bsum[l] = p, p += G;
    s->state = p, p += 2 * (size_t)L * H;
    s->pb = p, p += (size_t)L * G;
    s->x = p, p += kx;
    s->xin = p, p += kx;
    s->xrec = p, p += kx;
    memset(s->xin, 0, 2 * sizeof(float) * (size_t)kx);
    s->gx = p, p += G;
    s->gh = p, p += G;
    s->logits = p, p += V;
    const serce_params *w = &m->p;
    pmat_pack(m, 1, w->w_ih[0], G, E, ke, &s->wih[0], &p, &qp);
    memset(s->x, 0, sizeof(float) * (size_t)kx);
    for (int l = 0; l < L; l++) {
        if (l > 0) pmat_pack(m, 1 + 4 * l, w->w_ih[l], G, H, kh, &s->wih[l], &p, &qp);
        pmat_pack(m, 2 + 4 * l, w->w_hh[l], G, H, kh, &s->whh[l], &p, &qp);
        for (int j = 0; j < G; j++) s->bsum[l][j] = w->b_ih[l][j] + w->b_hh[l][j];
    }
    pmat_pack(m, 1 + 4 * L, w->head_w, V, H, kh, &s->head, &p, &qp);
    split(s, 1);
    serce_infer_reset(s);
    *out = s;
    return SERCE_OK;
}

void serce_infer_free(serce_infer *s) {
    if (!s) return;
    serce_team_free(s->team);
    serce_free(s->block);
    serce_free(s->qblock);
    serce_free(s->emb_done);
    serce_free(s);
}

void serce_infer_reset(serce_infer *s) {
    memset(s->state, 0, sizeof(float) * 2 * (size_t)s->L * s->H);
    memset(s->x, 0, sizeof(float) * (size_t)s->kh);
}

/* One step, canonical math (identical bits on every platform):
 *   pre = (W_ih x + W_hh h) + (b_ih + b_hh)   each product in the canonical matvec order (float) or
 *                                              exact int32 sums on the quantised state (int8)
 *   c = (f * c) + (i * g);  h = o * tanh(c);  logits = W_head h + b_head */
/* Member p's share of layer s->layer: its rows of the four gate blocks, then its units' cells. */
static void layer_piece(void *ctx, int p) {
    serce_infer *s = ctx;
    int l = s->layer, H = s->H, a = s->ua[p], n = s->ua[p + 1] - a;
    if (n <= 0) return;
    float *gx = s->gx + 4 * a, *gh = s->gh + 4 * a;
    float *h = s->state + (size_t)l * H, *c = s->state + (size_t)(s->L + l) * H;
    for (int q = 0; q < 4; q++) {
        if (l == 0) memcpy(gx + q * n, s->emb_row + q * H + a, sizeof(float) * (size_t)n);
        else pmat_rows(s->k, &s->wih[l], q * H + a, n, s->xin, s->xqin, gx + q * n);
        pmat_rows(s->k, &s->whh[l], q * H + a, n, s->xrec, s->xqrec, gh + q * n);
    }
    s->k->cell(n, gx, gh, s->pb + (size_t)l * s->G + 4 * a, c + a, h + a);
}

/* Member p's rows of the head. */
static void head_piece(void *ctx, int p) {
    serce_infer *s = ctx;
    int a = s->va[p], n = s->va[p + 1] - a;
    if (n <= 0) return;
    pmat_rows(s->k, &s->head, a, n, s->xin, s->xqin, s->logits + a);
    const float *hb = s->m->p.head_b;
    for (int v = a; v < a + n; v++) s->logits[v] += hb[v];
}

/* One step, canonical math (identical bits on every platform and for any number of threads):
 *   pre = (W_ih x + W_hh h) + (b_ih + b_hh)   each product in the canonical matvec order (float) or
 *                                              exact int32 sums on the quantised state (int8)
 *   c = (f * c) + (i * g);  h = o * tanh(c);  logits = W_head h + b_head
 * Every layer reads copies of its inputs (xin, xrec) taken before its members start writing h. */
void serce_infer_step(serce_infer *s, int token) {
    int L = s->L, H = s->H;
    if (token < 0 || token >= s->V) token = SERCE_TOK_UNK;
    if (token == SERCE_TOK_BOS) memset(s->state, 0, sizeof(float) * 2 * (size_t)L * H);
    float *row = s->emb_proj + (size_t)token * s->G;
    if (!s->emb_done[token]) { /* s->x: the embedding, zero-padded to ke (the padding is never written) */
        const pmat *a = &s->wih[0];
        memcpy(s->x, s->m->p.embedding + (size_t)token * s->E, sizeof(float) * (size_t)s->E);
        if (a->q) serce_matvec_q8f(a->q, a->scale, s->G, s->ke, s->x, row);
        else s->k->matvec(a->w, s->G, s->ke, s->x, row);
        s->emb_done[token] = 1;
    }
    s->emb_row = row;
    for (int l = 0; l < L; l++) {
        if (l > 0) load_input(s, s->state + (size_t)(l - 1) * H, s->xin, s->xqin);
        load_input(s, s->state + (size_t)l * H, s->xrec, s->xqrec);
        s->layer = l;
        serce_team_run(s->team, layer_piece, s);
    }
    load_input(s, s->state + (size_t)(L - 1) * H, s->xin, s->xqin);
    serce_team_run(s->team, head_piece, s);
}

int serce_infer_set_threads(serce_infer *s, int threads) {
    if (threads > SERCE_INFER_MAX_THREADS) threads = SERCE_INFER_MAX_THREADS;
    if (threads < 1) threads = 1;
    if (threads == s->nt) return s->nt;
    serce_team_free(s->team);
    s->team = NULL;
    if (threads > 1 && serce_team_new(threads, &s->team) != 0) s->team = NULL;
    split(s, serce_team_size(s->team));
    return s->nt;
}

const float *serce_infer_logits(const serce_infer *s) { return s->logits; }
const char *serce_infer_kernel_name(const serce_infer *s) { return s->k->matvec_name; }
size_t serce_infer_state_size(const serce_infer *s) { return 2 * (size_t)s->L * s->H; }
void serce_infer_get_state(const serce_infer *s, float *out) {
    memcpy(out, s->state, sizeof(float) * serce_infer_state_size(s));
}
void serce_infer_set_state(serce_infer *s, const float *in) {
    memcpy(s->state, in, sizeof(float) * serce_infer_state_size(s));
}
