/* train.c — data streams, Adam with clipping, the learning-rate schedule, evaluation, checkpoints.
 * See train.h for the design. Tested by tests/test_train.c (loss falls, resume is bit-exact) and the
 * CLI end-to-end test. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "parallel.h"
#include "rng.h"
#include "safetensors.h"

void serce_train_opts_default(serce_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->batch = 32;
    o->seq_len = 128;
    o->lr = 2e-3f;
    o->min_lr_ratio = 0.05f;
    o->warmup = 100;
    o->dropout = 0.25f;
    o->clip = 1.0f;
    o->weight_decay = 0.0f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->seed = 1;
    o->shards = 1;
    o->threads = 1;
}

/* ---------------------------------------------------------------- songs */

int serce_songs_encode(const serce_vocab *v, const serce_corpus *c, const size_t *idx, size_t n, serce_songs *out,
                       serce_error *err) {
    memset(out, 0, sizeof *out);
    if (!idx) n = c->nsongs;
    size_t cap = 0;
    out->starts = serce_malloc((n + 1) * sizeof(size_t));
    if (!out->starts) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory encoding the corpus");
    for (size_t i = 0; i < n; i++) {
        out->starts[i] = out->ntoks;
        if (serce_encode_song(v, &c->songs[idx ? idx[i] : i], &out->toks, &out->ntoks, &cap) != SERCE_OK) {
            serce_songs_free(out);
            return serce_fail(err, SERCE_ERR_NOMEM, "out of memory encoding the corpus");
        }
    }
    out->starts[n] = out->ntoks;
    out->nsongs = n;
    return SERCE_OK;
}

void serce_songs_free(serce_songs *s) {
    serce_free(s->toks);
    serce_free(s->starts);
    memset(s, 0, sizeof *s);
}

static uint64_t song_hash(const serce_song *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the codepoints of title and body */
    for (size_t i = 0; i < s->title_len; i++) h = (h ^ s->title[i]) * 1099511628211ULL;
    h = (h ^ 0x2028) * 1099511628211ULL;
    for (size_t i = 0; i < s->body_len; i++) h = (h ^ s->body[i]) * 1099511628211ULL;
    return h;
}

typedef struct {
    uint64_t h;
    size_t i;
} hash_idx;

static int cmp_hash_idx(const void *a, const void *b) {
    const hash_idx *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

#include <stdlib.h>
int serce_split_songs(const serce_corpus *c, double frac, size_t **train_idx, size_t *ntrain, size_t **val_idx,
                      size_t *nval, serce_error *err) {
    size_t n = c->nsongs;
    *train_idx = *val_idx = NULL;
    *ntrain = *nval = 0;
    if (frac < 0 || frac >= 1) return serce_fail(err, SERCE_ERR_ARG, "--val-fraction must be in [0, 1), got %g", frac);
    size_t nv = (size_t)floor(frac * (double)n + 0.5);
    if (frac > 0 && nv == 0 && n >= 2) nv = 1;
    if (nv >= n && n > 0) nv = n - 1;
    hash_idx *hi = serce_malloc((n ? n : 1) * sizeof *hi);
    size_t *tr = serce_malloc((n - nv + 1) * sizeof(size_t)), *va = serce_malloc((nv + 1) * sizeof(size_t));
    if (!hi || !tr || !va) {
        serce_free(hi), serce_free(tr), serce_free(va);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory splitting the corpus");
    }
    for (size_t i = 0; i < n; i++) hi[i].h = song_hash(&c->songs[i]), hi[i].i = i;
    qsort(hi, n, sizeof *hi, cmp_hash_idx);
    /* validation = the first nv by hash; both lists then back in file order */
    unsigned char *isval = serce_calloc(n ? n : 1, 1);
    if (!isval) {
        serce_free(hi), serce_free(tr), serce_free(va);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory splitting the corpus");
    }
    for (size_t i = 0; i < nv; i++) isval[hi[i].i] = 1;
    for (size_t i = 0; i < n; i++) {
        if (isval[i]) va[(*nval)++] = i;
        else tr[(*ntrain)++] = i;
    }
    serce_free(isval);
    serce_free(hi);
    *train_idx = tr;
    *val_idx = va;
    return SERCE_OK;
}

/* ---------------------------------------------------------------- trainer */

/* One shard: a contiguous range of streams with its own workspace, gradient, state and dropout RNG. */
typedef struct {
    int b0, nb;             /* streams [b0, b0 + nb) */
    serce_fb *ws;
    float *grad;            /* [nparams] */
    float *h, *c;           /* [L,nb,H] */
    int32_t *in, *tg;       /* [T,nb] */
    uint64_t rng;
    double loss;
    long count;
    int T, rc;
    struct serce_trainer *t;
} shard;

struct serce_trainer {
    shard sh[SERCE_MAX_SHARDS];
    int nsh;
    serce_model *m;
    const serce_kernels *k;
    serce_train_opts o;
    const serce_songs *data;
    float *grad, *am, *av;  /* [nparams] gradient, Adam first and second moments */
    float *h, *c;           /* [L,B,H] stream states */
    int32_t *seq;           /* [ntoks] this epoch's shuffled concatenation */
    size_t *order;          /* [nsongs] */
    long step, epoch;
    size_t pos;             /* offset inside each stream's segment */
    size_t seg;             /* segment length (tokens) */
    uint64_t rng;           /* dropout RNG */
};

double serce_trainer_bytes(const serce_config *cfg, const serce_train_opts *o) {
    double p = (double)serce_param_total(cfg) * 4.0;
    int ns = o->shards < 1 ? 1 : o->shards;
    return (4 + ns) * p + serce_fb_bytes(cfg, o->batch, o->seq_len) * 1.05 + 4.0 * cfg->layers * o->batch * cfg->hidden * 4.0;
}

/* Build epoch e's stream: songs shuffled with a generator seeded by (seed, epoch), so the order can be
 * recomputed on resume from the epoch number alone. */
static void build_epoch(serce_trainer *t) {
    const serce_songs *d = t->data;
    uint64_t r = serce_rng_seed(t->o.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)t->epoch + 1);
    for (size_t i = 0; i < d->nsongs; i++) t->order[i] = i;
    for (size_t i = d->nsongs; i > 1; i--) { /* Fisher-Yates */
        size_t j = serce_rng_below(&r, (uint32_t)i);
        size_t tmp = t->order[i - 1];
        t->order[i - 1] = t->order[j];
        t->order[j] = tmp;
    }
    size_t p = 0;
    for (size_t i = 0; i < d->nsongs; i++) {
        size_t s = t->order[i], len = d->starts[s + 1] - d->starts[s];
        memcpy(t->seq + p, d->toks + d->starts[s], len * sizeof(int32_t));
        p += len;
    }
    t->pos = 0;
    memset(t->h, 0, sizeof(float) * (size_t)t->m->cfg.layers * t->o.batch * t->m->cfg.hidden);
    memset(t->c, 0, sizeof(float) * (size_t)t->m->cfg.layers * t->o.batch * t->m->cfg.hidden);
}

int serce_trainer_new(serce_model *m, const serce_kernels *k, const serce_train_opts *o, const serce_songs *data,
                      serce_trainer **out, serce_error *err) {
    *out = NULL;
    if (m->generate_only)
        return serce_fail(err, SERCE_ERR_ARG, "this model was loaded for generation only (its int8 weights were not dequantized)");
    if (o->batch < 1 || o->seq_len < 1) return serce_fail(err, SERCE_ERR_ARG, "--batch and --seq-len must be at least 1");
    if (!(o->lr > 0) || !(o->dropout >= 0 && o->dropout < 1))
        return serce_fail(err, SERCE_ERR_ARG, "need --lr > 0 and 0 <= --dropout < 1");
    if (o->shards < 1 || o->shards > SERCE_MAX_SHARDS || o->shards > o->batch)
        return serce_fail(err, SERCE_ERR_ARG, "shards must be between 1 and min(%d, --batch), got %d", SERCE_MAX_SHARDS,
                          o->shards);
    size_t seg = data->ntoks / (size_t)o->batch;
    if (seg < 2)
        return serce_fail(err, SERCE_ERR_CORPUS,
                          "the training text (%zu tokens) is too short for %d streams: use a smaller --batch",
                          data->ntoks, o->batch);
    serce_trainer *t = serce_calloc(1, sizeof *t);
    if (!t) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for training");
    t->m = m, t->k = k, t->o = *o, t->data = data, t->seg = seg;
    size_t np = m->nparams, LBH = (size_t)m->cfg.layers * o->batch * m->cfg.hidden;
    t->grad = serce_calloc(np, sizeof(float));
    t->am = serce_calloc(np, sizeof(float));
    t->av = serce_calloc(np, sizeof(float));
    t->h = serce_calloc(LBH, sizeof(float));
    t->c = serce_calloc(LBH, sizeof(float));
    t->seq = serce_malloc(data->ntoks * sizeof(int32_t));
    t->order = serce_malloc((data->nsongs + 1) * sizeof(size_t));
    int rc = SERCE_OK;
    if (!t->grad || !t->am || !t->av || !t->h || !t->c || !t->seq || !t->order) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory for training (%.0f MiB needed)",
                        serce_trainer_bytes(&m->cfg, o) / 1048576.0);
    }
    t->nsh = o->shards;
    for (int i = 0; i < t->nsh && !rc; i++) {
        shard *h = &t->sh[i];
        h->t = t;
        h->b0 = o->batch * i / t->nsh;
        h->nb = o->batch * (i + 1) / t->nsh - h->b0;
        size_t lbh = (size_t)m->cfg.layers * h->nb * m->cfg.hidden, tb = (size_t)h->nb * o->seq_len;
        h->grad = serce_calloc(np, sizeof(float));
        h->h = serce_calloc(lbh, sizeof(float));
        h->c = serce_calloc(lbh, sizeof(float));
        h->in = serce_malloc(tb * sizeof(int32_t));
        h->tg = serce_malloc(tb * sizeof(int32_t));
        if (!h->grad || !h->h || !h->c || !h->in || !h->tg)
            rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory for training (%.0f MiB needed)",
                            serce_trainer_bytes(&m->cfg, o) / 1048576.0);
        else
            rc = serce_fb_new(&m->cfg, h->nb, o->seq_len, &h->ws, err);
    }
    if (rc) {
        serce_trainer_free(t);
        return rc;
    }
    t->rng = serce_rng_seed(o->seed ^ 0xD1B54A32D192ED03ULL);
    build_epoch(t);
    *out = t;
    return SERCE_OK;
}

void serce_trainer_free(serce_trainer *t) {
    if (!t) return;
    for (int i = 0; i < t->nsh; i++) {
        shard *h = &t->sh[i];
        serce_fb_free(h->ws);
        serce_free(h->grad), serce_free(h->h), serce_free(h->c), serce_free(h->in), serce_free(h->tg);
    }
    serce_free(t->grad), serce_free(t->am), serce_free(t->av);
    serce_free(t->h), serce_free(t->c), serce_free(t->seq), serce_free(t->order);
    serce_free(t);
}

long serce_trainer_step_count(const serce_trainer *t) { return t->step; }
long serce_trainer_epoch(const serce_trainer *t) { return t->epoch; }
long serce_trainer_steps_per_epoch(const serce_trainer *t) {
    size_t n = t->seg - 1; /* each stream predicts seg - 1 targets */
    return (long)((n + (size_t)t->o.seq_len - 1) / (size_t)t->o.seq_len);
}
double serce_trainer_epoch_fraction(const serce_trainer *t) {
    return (double)t->epoch + (double)t->pos / (double)(t->seg - 1);
}

float serce_lr_at(const serce_train_opts *o, long step, double progress) {
    double lr = o->lr;
    if (o->warmup > 0 && step < o->warmup) lr *= (double)(step + 1) / o->warmup;
    if (progress < 0) progress = 0;
    if (progress > 1) progress = 1;
    double r = o->min_lr_ratio;
    lr *= r + (1.0 - r) * 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
    return (float)lr;
}

/* move a shard's streams between the trainer's [L,B,H] state and the shard's [L,nb,H] */
static void shard_state(serce_trainer *t, shard *h, int to_shard) {
    int L = t->m->cfg.layers, H = t->m->cfg.hidden, B = t->o.batch;
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)h->nb * H;
        float *a = t->h + ((size_t)l * B + h->b0) * H, *b = h->h + (size_t)l * n;
        float *c = t->c + ((size_t)l * B + h->b0) * H, *d = h->c + (size_t)l * n;
        if (to_shard) memcpy(b, a, n * 4), memcpy(d, c, n * 4);
        else memcpy(a, b, n * 4), memcpy(c, d, n * 4);
    }
}

static void shard_run(void *ctx, int i) {
    serce_trainer *t = ctx;
    shard *h = &t->sh[i];
    memset(h->grad, 0, t->m->nparams * sizeof(float));
    h->rc = serce_forward_backward(t->m, t->k, h->ws, h->T, h->in, h->tg, h->h, h->c, t->o.dropout, &h->rng, h->grad,
                                   &h->loss, &h->count);
}

int serce_trainer_step(serce_trainer *t, float lr, serce_step_stats *st, serce_error *err) {
    size_t left = t->seg - 1 - t->pos;
    int T = (int)(left < (size_t)t->o.seq_len ? left : (size_t)t->o.seq_len);
    for (int i = 0; i < t->nsh; i++) {
        shard *h = &t->sh[i];
        h->T = T;
        /* each shard's dropout stream is seeded from the trainer's RNG, so one state is saved */
        h->rng = serce_rng_seed(((uint64_t)serce_rng_u32(&t->rng) << 32) | serce_rng_u32(&t->rng));
        for (int tt = 0; tt < T; tt++)
            for (int b = 0; b < h->nb; b++) {
                size_t k = (size_t)(h->b0 + b) * t->seg + t->pos + (size_t)tt;
                h->in[tt * h->nb + b] = t->seq[k];
                int y = t->seq[k + 1];
                h->tg[tt * h->nb + b] = y == SERCE_TOK_BOS ? -1 : y; /* </s> -> <s> is not a prediction */
            }
        shard_state(t, h, 1);
    }
    serce_parallel_run(t->nsh, t->o.threads, shard_run, t);
    double ls = 0;
    long cnt = 0;
    int rc = SERCE_OK;
    for (int i = 0; i < t->nsh; i++) {
        ls += t->sh[i].loss, cnt += t->sh[i].count;
        if (t->sh[i].rc) rc = t->sh[i].rc;
    }
    if (rc == SERCE_ERR_NUMERIC || !isfinite(ls))
        return serce_fail(err, SERCE_ERR_NUMERIC, "the loss became NaN or infinite at step %ld", t->step + 1);
    if (rc) return serce_fail(err, rc, "training step failed");
    for (int i = 0; i < t->nsh; i++) shard_state(t, &t->sh[i], 0);
    /* each shard's gradient is of its own mean loss: weight by its share of the scored targets */
    size_t np = t->m->nparams;
    for (int i = 0; i < t->nsh; i++) {
        float wgt = cnt ? (float)t->sh[i].count / (float)cnt : 0.0f;
        const float *g = t->sh[i].grad;
        if (i == 0)
            for (size_t j = 0; j < np; j++) t->grad[j] = g[j] * wgt;
        else
            for (size_t j = 0; j < np; j++) t->grad[j] += g[j] * wgt;
    }
    double gn = 0.0;
    for (size_t i = 0; i < np; i++) gn += (double)t->grad[i] * t->grad[i];
    gn = sqrt(gn);
    if (!isfinite(gn)) return serce_fail(err, SERCE_ERR_NUMERIC, "the gradient became NaN or infinite at step %ld", t->step + 1);
    float scale = (t->o.clip > 0 && gn > t->o.clip) ? (float)(t->o.clip / gn) : 1.0f;
    /* Adam (Kingma & Ba) with bias correction; decoupled weight decay (AdamW) when set */
    t->step++;
    float b1 = t->o.beta1, b2 = t->o.beta2;
    float bc1 = 1.0f - (float)pow(b1, (double)t->step), bc2 = 1.0f - (float)pow(b2, (double)t->step);
    float *w = t->m->w;
    for (size_t i = 0; i < np; i++) {
        float g = t->grad[i] * scale;
        t->am[i] = b1 * t->am[i] + (1.0f - b1) * g;
        t->av[i] = b2 * t->av[i] + (1.0f - b2) * g * g;
        float mh = t->am[i] / bc1, vh = t->av[i] / bc2;
        w[i] -= lr * (mh / (sqrtf(vh) + t->o.eps) + t->o.weight_decay * w[i]);
    }
    t->pos += (size_t)T;
    if (t->pos >= t->seg - 1) {
        t->epoch++;
        build_epoch(t);
    }
    if (st) st->loss = cnt ? ls / cnt : 0.0, st->gnorm = gn, st->tokens = cnt;
    return SERCE_OK;
}

/* ---------------------------------------------------------------- checkpoints */

int serce_trainer_save(const serce_trainer *t, const char *extra_json, serce_buf *out, serce_error *err) {
    const serce_config *c = &t->m->cfg;
    serce_tensor_info ti[SERCE_MAX_TENSORS];
    int n = serce_param_table(c, ti);
    int ne = 2 * n + 2;
    st_tensor *ex = serce_calloc((size_t)ne, sizeof *ex);
    char (*names)[48] = serce_calloc((size_t)ne, 48);
    serce_buf meta = {0};
    int rc = SERCE_OK;
    if (!ex || !names) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory writing the checkpoint");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int which = 0; which < 2; which++) {
            st_tensor *e = &ex[2 * i + which];
            snprintf(names[2 * i + which], 48, "optim.%s.%.31s", which ? "v" : "m", ti[i].name);
            e->name = names[2 * i + which];
            e->dtype = ST_F32;
            e->ndim = ti[i].ndim;
            e->shape[0] = ti[i].shape[0];
            e->shape[1] = ti[i].shape[1];
            e->data = (const uint8_t *)((which ? t->av : t->am) + ti[i].offset);
            e->nbytes = ti[i].numel * 4;
        }
    for (int which = 0; which < 2; which++) {
        st_tensor *e = &ex[2 * n + which];
        snprintf(names[2 * n + which], 48, "state.%s", which ? "c" : "h");
        e->name = names[2 * n + which];
        e->dtype = ST_F32;
        e->ndim = 3;
        e->shape[0] = c->layers, e->shape[1] = t->o.batch, e->shape[2] = c->hidden;
        e->data = (const uint8_t *)(which ? t->c : t->h);
        e->nbytes = (size_t)c->layers * t->o.batch * c->hidden * 4;
    }
    rc = serce_buf_printf(&meta, "{\"step\":%ld,\"epoch\":%ld,\"pos\":%zu,\"rng\":\"%016llx\",\"batch\":%d,"
                                 "\"seq_len\":%d,\"shards\":%d,\"seed\":\"%016llx\",\"ntoks\":%zu,\"caller\":%s}",
                          t->step, t->epoch, t->pos, (unsigned long long)t->rng, t->o.batch, t->o.seq_len, t->nsh,
                          (unsigned long long)t->o.seed, t->data->ntoks, extra_json ? extra_json : "null");
    if (rc) {
        rc = serce_fail(err, rc, "out of memory writing the checkpoint");
        goto done;
    }
    const char *k = "serce.checkpoint", *v = (const char *)meta.data;
    rc = serce_model_save(t->m, out, ex, ne, &k, &v, 1, err);
done:
    serce_free(ex);
    serce_free(names);
    serce_buf_free(&meta);
    return rc;
}

/* The caller's object of a parsed serce.checkpoint, as text (serce_malloc'ed; NULL if it is not an
 * object). serce_trainer_save writes it last, so it runs from "caller": to the outer closing brace. */
static int caller_text(const char *cj, const sj_doc *d, char **out, serce_error *err) {
    *out = NULL;
    int cn = sj_get(d, 0, "caller");
    const char *p = strstr(cj, "\"caller\":");
    if (cn < 0 || d->nodes[cn].type != SJ_OBJECT || !p) return SERCE_OK;
    p += 9;
    size_t len = strlen(p);
    if (len && p[len - 1] == '}') len--; /* drop the closing brace of the outer object */
    char *s = serce_malloc(len + 1);
    if (!s) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory reading the checkpoint");
    memcpy(s, p, len);
    s[len] = 0;
    *out = s;
    return SERCE_OK;
}

int serce_checkpoint_caller(const uint8_t *buf, size_t n, char **caller_json, serce_error *err) {
    *caller_json = NULL;
    st_file f;
    sj_doc d;
    memset(&d, 0, sizeof d);
    int rc = st_parse(buf, n, &f, err);
    if (rc) return rc;
    const char *cj = st_meta(&f, "serce.checkpoint");
    if (!cj) rc = serce_fail(err, SERCE_ERR_FORMAT, "not a checkpoint (no serce.checkpoint metadata)");
    if (!rc) rc = sj_parse(cj, strlen(cj), "serce.checkpoint", &d, err);
    if (!rc) rc = caller_text(cj, &d, caller_json, err);
    if (!rc && !*caller_json) rc = serce_fail(err, SERCE_ERR_FORMAT, "the checkpoint has no caller record");
    sj_free(&d);
    st_free(&f);
    return rc;
}

static int restore_tensor(const st_file *f, const char *name, float *dst, size_t numel, serce_error *err) {
    const st_tensor *s = st_find(f, name);
    if (!s) return serce_fail(err, SERCE_ERR_SHAPE, "checkpoint lacks tensor '%s'", name);
    if (s->dtype != ST_F32 || s->nbytes != numel * 4)
        return serce_fail(err, SERCE_ERR_SHAPE, "checkpoint tensor '%s' does not match this model and batch", name);
    memcpy(dst, s->data, numel * 4);
    return SERCE_OK;
}

int serce_trainer_restore(serce_trainer *t, const uint8_t *buf, size_t n, char **extra_json, serce_error *err) {
    *extra_json = NULL;
    st_file f;
    sj_doc d;
    memset(&f, 0, sizeof f);
    memset(&d, 0, sizeof d);
    int rc = st_parse(buf, n, &f, err);
    if (rc) return rc;
    const char *cj = st_meta(&f, "serce.checkpoint");
    if (!cj) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "not a checkpoint (no serce.checkpoint metadata): pass a file written by --checkpoint");
        goto done;
    }
    if ((rc = sj_parse(cj, strlen(cj), "serce.checkpoint", &d, err))) goto done;
    long long step, epoch, pos, batch, seq_len, ntoks, shards = 1;
    const char *rs = sj_get_str(&d, 0, "rng"), *ss = sj_get_str(&d, 0, "seed");
    if (sj_get_int(&d, 0, "step", &step) || sj_get_int(&d, 0, "epoch", &epoch) || sj_get_int(&d, 0, "pos", &pos) ||
        sj_get_int(&d, 0, "batch", &batch) || sj_get_int(&d, 0, "seq_len", &seq_len) ||
        sj_get_int(&d, 0, "ntoks", &ntoks) || !rs || !ss) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "serce.checkpoint lacks step, epoch, pos, rng, batch, seq_len, ntoks or seed");
        goto done;
    }
    sj_get_int(&d, 0, "shards", &shards);
    if (shards != t->nsh) {
        rc = serce_fail(err, SERCE_ERR_ARG, "the checkpoint was made with %lld shards, this trainer has %d", shards, t->nsh);
        goto done;
    }
    if (batch != t->o.batch || seq_len != t->o.seq_len || (size_t)ntoks != t->data->ntoks ||
        strtoull(ss, NULL, 16) != t->o.seed) {
        rc = serce_fail(err, SERCE_ERR_ARG,
                        "the checkpoint was made with another corpus, --batch, --seq-len or --seed "
                        "(batch %lld, seq-len %lld, %lld tokens)", batch, seq_len, ntoks);
        goto done;
    }
    if (pos < 0 || (size_t)pos >= t->seg || epoch < 0 || step < 0) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, "serce.checkpoint position is out of range");
        goto done;
    }
    serce_tensor_info ti[SERCE_MAX_TENSORS];
    int nt = serce_param_table(&t->m->cfg, ti);
    char nm[48];
    for (int i = 0; i < nt && !rc; i++) {
        rc = restore_tensor(&f, ti[i].name, t->m->w + ti[i].offset, ti[i].numel, err);
        snprintf(nm, sizeof nm, "optim.m.%.31s", ti[i].name);
        if (!rc) rc = restore_tensor(&f, nm, t->am + ti[i].offset, ti[i].numel, err);
        snprintf(nm, sizeof nm, "optim.v.%.31s", ti[i].name);
        if (!rc) rc = restore_tensor(&f, nm, t->av + ti[i].offset, ti[i].numel, err);
    }
    if (rc) goto done;
    t->epoch = (long)epoch;
    build_epoch(t); /* the epoch's song order, from (seed, epoch) */
    size_t LBH = (size_t)t->m->cfg.layers * t->o.batch * t->m->cfg.hidden;
    if ((rc = restore_tensor(&f, "state.h", t->h, LBH, err)) || (rc = restore_tensor(&f, "state.c", t->c, LBH, err)))
        goto done;
    t->step = (long)step;
    t->pos = (size_t)pos;
    t->rng = strtoull(rs, NULL, 16);
    rc = caller_text(cj, &d, extra_json, err);
done:
    sj_free(&d);
    st_free(&f);
    return rc;
}

/* ---------------------------------------------------------------- evaluation */

/* -log softmax(z)[target] in double */
static double nll_of(const float *z, int V, int target) {
    float mx = z[0];
    for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += exp((double)(z[v] - mx));
    return log(sum) - (double)(z[target] - mx);
}

/* Songs one after another through the generation step (batch 1): an int8 model is scored with the
 * math it generates with (int8 x int8 sums on the quantised state, kernels.h), not with the batched
 * float forward over its dequantised weights. */
static int evaluate_songs_step(const serce_model *m, const serce_kernels *k, const serce_songs *d, double *nats,
                               long *count, serce_error *err) {
    serce_infer *s;
    int rc = serce_infer_new(m, k, &s, err);
    if (rc) return rc;
    double total = 0;
    long cnt = 0;
    for (size_t i = 0; i < d->nsongs; i++) {
        serce_infer_reset(s);
        for (size_t j = d->starts[i]; j + 1 < d->starts[i + 1]; j++, cnt++) {
            serce_infer_step(s, d->toks[j]);
            total += nll_of(serce_infer_logits(s), m->cfg.vocab, d->toks[j + 1]);
        }
    }
    serce_infer_free(s);
    if (!isfinite(total)) return serce_fail(err, SERCE_ERR_NUMERIC, "evaluation produced NaN or infinity");
    *nats = cnt ? total / (double)cnt : 0.0, *count = cnt;
    return SERCE_OK;
}

int serce_evaluate(const serce_model *m, const serce_kernels *k, const serce_songs *d, int B, int T, double *nats,
                   long *count, serce_error *err) {
    *nats = 0, *count = 0;
    if (d->nsongs == 0) return serce_fail(err, SERCE_ERR_CORPUS, "nothing to evaluate: no songs");
    if (serce_model_is_int8(m)) return evaluate_songs_step(m, k, d, nats, count, err);
    if ((size_t)B > d->nsongs) B = (int)d->nsongs;
    /* assign songs to streams, longest first, each to the stream with the least text so far */
    size_t *len = serce_calloc((size_t)B, sizeof(size_t)), *assign = serce_malloc(d->nsongs * sizeof(size_t));
    int32_t *in = serce_malloc((size_t)T * B * sizeof(int32_t)), *tg = serce_malloc((size_t)T * B * sizeof(int32_t));
    size_t *cursor = serce_calloc((size_t)B, sizeof(size_t)); /* position in the stream's concatenation */
    float *h = serce_calloc((size_t)m->cfg.layers * B * m->cfg.hidden, sizeof(float));
    float *c = serce_calloc((size_t)m->cfg.layers * B * m->cfg.hidden, sizeof(float));
    serce_fb *ws = NULL;
    int rc = SERCE_OK;
    if (!len || !assign || !in || !tg || !cursor || !h || !c) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory for evaluation");
        goto done;
    }
    if ((rc = serce_fb_new(&m->cfg, B, T, &ws, err))) goto done;
    for (size_t s = 0; s < d->nsongs; s++) { /* file order; stream = least loaded */
        int best = 0;
        for (int b = 1; b < B; b++)
            if (len[b] < len[best]) best = b;
        assign[s] = (size_t)best;
        len[best] += d->starts[s + 1] - d->starts[s];
    }
    /* stream b's text is the concatenation of its songs in file order; walk it with a per-stream
     * (song, offset) cursor */
    size_t *cur_song = serce_malloc((size_t)B * sizeof(size_t));
    if (!cur_song) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory for evaluation");
        goto done;
    }
    for (int b = 0; b < B; b++) {
        cur_song[b] = d->nsongs;
        for (size_t s = 0; s < d->nsongs; s++)
            if (assign[s] == (size_t)b) {
                cur_song[b] = s;
                break;
            }
    }
    double total = 0;
    long cnt = 0;
    for (;;) {
        int active = 0;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                size_t s = cur_song[b];
                int32_t x = SERCE_TOK_BOS, y = -1; /* padding: a reset with nothing scored */
                if (s < d->nsongs) {
                    size_t a = d->starts[s], e = d->starts[s + 1], i = a + cursor[b];
                    x = d->toks[i];
                    y = i + 1 < e ? d->toks[i + 1] : -1;
                    active = 1;
                    if (++cursor[b] >= e - a - 1) { /* song done (its last token is only a target) */
                        cursor[b] = 0;
                        size_t nx = s + 1;
                        while (nx < d->nsongs && assign[nx] != (size_t)b) nx++;
                        cur_song[b] = nx;
                    }
                }
                in[t * B + b] = x;
                tg[t * B + b] = y;
            }
        if (!active) break;
        double ls;
        long n;
        rc = serce_forward_backward(m, k, ws, T, in, tg, h, c, 0.0f, NULL, NULL, &ls, &n);
        if (rc) {
            rc = serce_fail(err, rc, "evaluation produced NaN or infinity");
            break;
        }
        total += ls;
        cnt += n;
    }
    serce_free(cur_song);
    if (!rc) *nats = cnt ? total / cnt : 0.0, *count = cnt;
done:
    serce_fb_free(ws);
    serce_free(len), serce_free(assign), serce_free(in), serce_free(tg);
    serce_free(cursor), serce_free(h), serce_free(c);
    return rc;
}

int serce_evaluate_raw(const serce_model *m, const serce_kernels *k, const int32_t *toks, size_t n, double *nats,
                       long *count, serce_error *err) {
    *nats = 0, *count = 0;
    if (n < 2) return serce_fail(err, SERCE_ERR_CORPUS, "the text needs at least two characters to evaluate");
    serce_infer *s;
    int rc = serce_infer_new(m, k, &s, err);
    if (rc) return rc;
    double total = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        serce_infer_step(s, toks[i]);
        total += nll_of(serce_infer_logits(s), m->cfg.vocab, toks[i + 1]);
    }
    serce_infer_free(s);
    if (!isfinite(total)) return serce_fail(err, SERCE_ERR_NUMERIC, "evaluation produced NaN or infinity");
    *nats = total / (double)(n - 1);
    *count = (long)(n - 1);
    return SERCE_OK;
}
