/* cmd_train.c — `serce train`: the training driver.
 *
 * It owns what the core deliberately leaves out: the clock, files, signals and printing. It reads
 * the corpus, splits it by whole songs, builds (or extends, with --init) the vocabulary, then runs
 * the core trainer, evaluating every N steps, keeping the best model (atomic writes), writing
 * checkpoints that --resume continues exactly, stopping early when validation stops improving, on a
 * step/epoch/time budget, on Ctrl-C (checkpoint first) or on NaN (last good model kept).
 */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "parallel.h"
#include "rng.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_CURVE 512

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    /* shape */
    int embed, hidden, layers, lowercase, min_count;
    /* optimisation */
    serce_train_opts o;
    /* budgets: steps and epochs 0 = none; minutes 0 = none */
    long steps;
    double epochs, minutes;
    double val_fraction;
    int eval_every, patience, ckpt_every;
    const char *format, *init, *resume, *log, *out, *ckpt;
    long halt_after; /* testing: behave as if interrupted after this step */
    int quiet;
    int strip_artist;        /* --strip-artist; kept in the checkpoint so --resume reads the same songs */
    char exclude[1024];      /* --exclude FILE, likewise */
} train_args;

typedef struct {
    double best_val, elapsed, train_acc_loss;
    long best_step, bad_evals, train_acc_tokens, ncurve;
    float curve[MAX_CURVE][3];
} train_state;

static void curve_add(train_state *s, long step, double tr, double va) {
    if (s->ncurve == MAX_CURVE) { /* thin out: keep every other point */
        long j = 0;
        for (long i = 0; i < s->ncurve; i += 2, j++) memcpy(s->curve[j], s->curve[i], sizeof s->curve[0]);
        s->ncurve = j;
    }
    s->curve[s->ncurve][0] = (float)step;
    s->curve[s->ncurve][1] = (float)tr;
    s->curve[s->ncurve][2] = (float)va;
    s->ncurve++;
}

static int write_opts_json(serce_buf *b, const train_args *a) {
    return serce_buf_printf(b,
                            "{\"batch\":%d,\"seq_len\":%d,\"lr\":%.9g,\"min_lr_ratio\":%.9g,\"warmup\":%d,\"dropout\":%.9g,"
                            "\"clip\":%.9g,\"weight_decay\":%.9g,\"seed\":\"%llu\",\"val_fraction\":%.17g,"
                            "\"min_count\":%d,\"eval_every\":%d,\"patience\":%d,\"steps\":%ld,\"epochs\":%.17g,"
                            "\"minutes\":%.17g,\"shards\":%d,\"checkpoint_every\":%d,\"strip_artist\":%d,\"exclude\":",
                            a->o.batch, a->o.seq_len, a->o.lr, a->o.min_lr_ratio, a->o.warmup, a->o.dropout, a->o.clip,
                            a->o.weight_decay, (unsigned long long)a->o.seed, a->val_fraction, a->min_count,
                            a->eval_every, a->patience, a->steps, a->epochs, a->minutes, a->o.shards, a->ckpt_every,
                            a->strip_artist) ||
           sj_write_str(b, a->exclude, strlen(a->exclude)) || serce_buf_append(b, "}", 1);
}

static int write_curve_json(serce_buf *b, const train_state *s) {
    int rc = serce_buf_append(b, "[", 1);
    for (long i = 0; i < s->ncurve && !rc; i++)
        rc = serce_buf_printf(b, "%s[%.0f,%.4f,%.4f]", i ? "," : "", s->curve[i][0], s->curve[i][1], s->curve[i][2]);
    return rc ? rc : serce_buf_append(b, "]", 1);
}

typedef struct {
    const char *corpus_name, *init_name, *command, *kernels;
    size_t corpus_songs, corpus_chars, train_songs, val_songs, val_chars;
} run_info;

static void iso_date(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* serce.training: what the model card shows */
static int training_json(serce_buf *b, const train_args *a, const train_state *s, const run_info *ri, long step,
                         double epochs, double train_bpc) {
    char date[32];
    iso_date(date, sizeof date);
    int rc = serce_buf_append(b, "{\"corpus\":", 10);
    rc = rc ? rc : sj_write_str(b, ri->corpus_name, strlen(ri->corpus_name));
    rc = rc ? rc
            : serce_buf_printf(b,
                               ",\"corpus_songs\":%zu,\"corpus_chars\":%zu,\"train_songs\":%zu,\"val_songs\":%zu,"
                               "\"val_chars\":%zu,\"steps\":%ld,\"epochs\":%.3f,\"seconds\":%.1f,\"train_bpc\":%.4f,",
                               ri->corpus_songs, ri->corpus_chars, ri->train_songs, ri->val_songs, ri->val_chars, step,
                               epochs, s->elapsed, train_bpc);
    if (!rc && ri->val_songs)
        rc = serce_buf_printf(b, "\"val_bpc\":%.4f,\"best_step\":%ld,", s->best_val / log(2.0), s->best_step);
    rc = rc ? rc
            : serce_buf_printf(b, "\"val_method\":\"%s\",\"date\":\"%s\",\"kernels\":\"%s\",\"init\":",
                               "whole songs held out by a fixed hash split; each read from a zero state; bits per "
                               "predicted character (title, title end, lyrics, song end)",
                               date, ri->kernels);
    if (!rc) rc = ri->init_name ? sj_write_str(b, ri->init_name, strlen(ri->init_name)) : serce_buf_append(b, "null", 4);
    rc = rc ? rc : serce_buf_append(b, ",\"command\":", 11);
    rc = rc ? rc : sj_write_str(b, ri->command, strlen(ri->command));
    rc = rc ? rc : serce_buf_append(b, ",\"opts\":", 8);
    rc = rc ? rc : write_opts_json(b, a);
    rc = rc ? rc : serce_buf_append(b, ",\"curve\":", 9);
    rc = rc ? rc : write_curve_json(b, s);
    return rc ? rc : serce_buf_append(b, "}", 1);
}

/* the caller part of a checkpoint: enough to resume with the same settings and bookkeeping */
static int caller_json(serce_buf *b, const train_args *a, const train_state *s, const run_info *ri) {
    int rc = serce_buf_append(b, "{\"opts\":", 8);
    rc = rc ? rc : write_opts_json(b, a);
    rc = rc ? rc
            : serce_buf_printf(b, ",\"embed\":%d,\"hidden\":%d,\"layers\":%d,\"lowercase\":%d,\"elapsed\":%.3f,"
                                  "\"best_val\":%.17g,\"best_step\":%ld,\"bad_evals\":%ld,\"format\":\"%s\",\"init\":",
                               a->embed, a->hidden, a->layers, a->lowercase, s->elapsed,
                               isfinite(s->best_val) ? s->best_val : 1e300, s->best_step, s->bad_evals, a->format);
    if (!rc) rc = ri->init_name ? sj_write_str(b, ri->init_name, strlen(ri->init_name)) : serce_buf_append(b, "null", 4);
    rc = rc ? rc : serce_buf_append(b, ",\"command\":", 11);
    rc = rc ? rc : sj_write_str(b, ri->command, strlen(ri->command));
    rc = rc ? rc : serce_buf_append(b, ",\"curve\":", 9);
    rc = rc ? rc : write_curve_json(b, s);
    return rc ? rc : serce_buf_append(b, "}", 1);
}

static int restore_caller(const char *js, train_args *a, const opt_def *d, int nd, train_state *s, char **init_name,
                          char **command) {
    sj_doc doc;
    serce_error e = {0};
    if (sj_parse(js, strlen(js), "checkpoint", &doc, &e)) return cli_error(&e);
    int o = sj_get(&doc, 0, "opts");
    double v;
    /* a number outside +-2e9 is ignored (casting it to int would be undefined): the checks after
     * restore reject what is then left at a bad value */
#define GETN(obj, key, dst, cast)                                    \
    if (sj_get_num(&doc, obj, key, &v) == 0 && fabs(v) < 2e9) (dst) = (cast)v;
    if (o >= 0) {
        GETN(o, "batch", a->o.batch, int);
        GETN(o, "seq_len", a->o.seq_len, int);
        GETN(o, "lr", a->o.lr, float);
        GETN(o, "min_lr_ratio", a->o.min_lr_ratio, float);
        GETN(o, "warmup", a->o.warmup, int);
        GETN(o, "dropout", a->o.dropout, float);
        GETN(o, "clip", a->o.clip, float);
        GETN(o, "weight_decay", a->o.weight_decay, float);
        const char *seed = sj_get_str(&doc, o, "seed");
        if (seed) a->o.seed = strtoull(seed, NULL, 10);
        GETN(o, "val_fraction", a->val_fraction, double);
        GETN(o, "min_count", a->min_count, int);
        GETN(o, "eval_every", a->eval_every, int);
        GETN(o, "patience", a->patience, int);
        GETN(o, "shards", a->o.shards, int);
        GETN(o, "strip_artist", a->strip_artist, int);
        const char *ex = sj_get_str(&doc, o, "exclude");
        if (ex && strlen(ex) < sizeof a->exclude) memcpy(a->exclude, ex, strlen(ex) + 1);
        if (!opts_given(d, nd, "--checkpoint-every")) GETN(o, "checkpoint_every", a->ckpt_every, int);
        /* budgets come from the checkpoint unless given again on this command line */
        if (!opts_given(d, nd, "--steps") && !opts_given(d, nd, "--epochs") && !opts_given(d, nd, "--minutes")) {
            GETN(o, "steps", a->steps, long);
            GETN(o, "epochs", a->epochs, double);
            GETN(o, "minutes", a->minutes, double);
        }
    }
    GETN(0, "lowercase", a->lowercase, int);
    GETN(0, "elapsed", s->elapsed, double);
    GETN(0, "best_val", s->best_val, double);
    GETN(0, "best_step", s->best_step, long);
    GETN(0, "bad_evals", s->bad_evals, long);
#undef GETN
    if (s->best_val >= 1e299) s->best_val = INFINITY;
    const char *in = sj_get_str(&doc, 0, "init");
    if (in) *init_name = strdup(in);
    const char *cm = sj_get_str(&doc, 0, "command");
    if (cm) *command = strdup(cm);
    int cv = sj_get(&doc, 0, "curve");
    if (cv >= 0 && doc.nodes[cv].type == SJ_ARRAY)
        for (int i = 0; i < doc.nodes[cv].count && s->ncurve < MAX_CURVE; i++) {
            int p = sj_at(&doc, cv, i);
            int x0 = sj_at(&doc, p, 0), x1 = sj_at(&doc, p, 1), x2 = sj_at(&doc, p, 2);
            if (x0 < 0 || x1 < 0 || x2 < 0 || !(fabs(doc.nodes[x0].num) < 2e9)) continue; /* (long) of more is UB */
            curve_add(s, (long)doc.nodes[x0].num, doc.nodes[x1].num, doc.nodes[x2].num);
        }
    sj_free(&doc);
    return 0;
}

/* Vocabulary for --init: the init model's tokens plus the corpus's new characters. */
static int merge_vocab(const serce_vocab *a, const serce_vocab *b, serce_vocab *out, serce_error *e) {
    memset(out, 0, sizeof *out);
    out->cps = serce_malloc(sizeof(uint32_t) * (size_t)(a->size + b->size));
    if (!out->cps) return serce_fail(e, SERCE_ERR_NOMEM, "out of memory");
    out->lowercase = a->lowercase;
    int n = SERCE_NSPECIAL, i = SERCE_NSPECIAL, j = SERCE_NSPECIAL;
    memset(out->cps, 0, sizeof(uint32_t) * SERCE_NSPECIAL);
    while (i < a->size || j < b->size) {
        uint32_t x = i < a->size ? a->cps[i] : UINT32_MAX, y = j < b->size ? b->cps[j] : UINT32_MAX;
        if (x <= y) {
            out->cps[n++] = x;
            i++;
            if (x == y) j++;
        } else {
            out->cps[n++] = y;
            j++;
        }
    }
    out->size = n;
    if (n > SERCE_MAX_VOCAB) return serce_fail(e, SERCE_ERR_LIMIT, "merged vocabulary has %d tokens (limit %d)", n, SERCE_MAX_VOCAB);
    return SERCE_OK;
}

/* Copy init's weights into m (whose vocabulary extends init's): LSTM tensors as they are, embedding
 * and head rows by character; new characters keep their fresh initialisation. */
static void copy_init_weights(serce_model *m, const serce_model *init) {
    const serce_config *c = &m->cfg;
    int E = c->embed, H = c->hidden;
    for (int l = 0; l < c->layers; l++) {
        size_t G = 4 * (size_t)H, in = l == 0 ? (size_t)E : (size_t)H;
        memcpy(m->p.w_ih[l], init->p.w_ih[l], sizeof(float) * G * in);
        memcpy(m->p.w_hh[l], init->p.w_hh[l], sizeof(float) * G * H);
        memcpy(m->p.b_ih[l], init->p.b_ih[l], sizeof(float) * G);
        memcpy(m->p.b_hh[l], init->p.b_hh[l], sizeof(float) * G);
    }
    for (int v = 0; v < m->vocab.size; v++) {
        int src = v < SERCE_NSPECIAL ? v : serce_vocab_id(&init->vocab, m->vocab.cps[v]);
        if (v >= SERCE_NSPECIAL && src == SERCE_TOK_UNK) continue; /* a new character */
        memcpy(m->p.embedding + (size_t)v * E, init->p.embedding + (size_t)src * E, sizeof(float) * E);
        memcpy(m->p.head_w + (size_t)v * H, init->p.head_w + (size_t)src * H, sizeof(float) * H);
        m->p.head_b[v] = init->p.head_b[src];
    }
}

static int save_model(serce_model *m, const char *path, serce_error *e) {
    serce_buf b = {0};
    int rc = serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, e);
    if (!rc) rc = serce_write_file_atomic(path, b.data, b.len, e);
    serce_buf_free(&b);
    return rc;
}

static int save_checkpoint(const serce_trainer *t, const train_args *a, const train_state *s, const run_info *ri,
                           serce_error *e) {
    serce_buf cj = {0}, b = {0};
    int rc = caller_json(&cj, a, s, ri);
    if (rc) return serce_fail(e, rc, "out of memory writing the checkpoint");
    rc = serce_trainer_save(t, (const char *)cj.data, &b, e);
    if (!rc) rc = serce_write_file_atomic(a->ckpt, b.data, b.len, e);
    serce_buf_free(&cj);
    serce_buf_free(&b);
    return rc;
}

static void print_sample(const serce_model *m, FILE *f) {
    serce_gen_opts go;
    serce_gen_opts_default(&go);
    go.temperature = 0.7f;
    go.length = 200;
    go.songs = 1;
    go.seed = 7;
    serce_gen *g;
    serce_error e;
    if (serce_gen_new(m, NULL, &go, &g, &e)) return;
    serce_buf out = {0};
    int done = 0;
    if (!serce_gen_start(g, "", 0, &e)) serce_gen_step(g, 200, &out, &done, &e);
    fprintf(f, "  ┌ sample\n  │ ");
    for (size_t i = 0; i < out.len; i++) {
        fputc(out.data[i], f);
        if (out.data[i] == '\n' && i + 1 < out.len) fputs("  │ ", f);
    }
    fprintf(f, "%s  └\n", out.len && out.data[out.len - 1] == '\n' ? "" : "\n");
    serce_buf_free(&out);
    serce_gen_free(g);
}

static void fmt_time(double s, char *buf, size_t n) {
    if (s < 0 || !isfinite(s)) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%d:%02d", (int)(s / 60), (int)fmod(s, 60));
}

int cmd_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    serce_train_opts_default(&a.o);
    a.embed = 64, a.hidden = 256, a.layers = 2, a.min_count = 2;
    a.val_fraction = 0.1, a.patience = 8, a.format = "auto";
    a.o.threads = serce_parallel_cpus() > 16 ? 16 : serce_parallel_cpus();
    int lower_flag = 0;
    const char *exclude = NULL;
    opt_def d[] = {
        {"--output", "-o", OPT_STR, &a.out, "MODEL", "where the best model is written (safetensors); required", 0},
        {"--embed", NULL, OPT_INT, &a.embed, "E", "embedding size (default 64)", 0},
        {"--hidden", NULL, OPT_INT, &a.hidden, "H", "LSTM size (default 256)", 0},
        {"--layers", NULL, OPT_INT, &a.layers, "L", "stacked LSTM layers (default 2)", 0},
        {"--batch", NULL, OPT_INT, &a.o.batch, "B", "parallel streams over the songs (default 32)", 0},
        {"--seq-len", NULL, OPT_INT, &a.o.seq_len, "T", "characters per update; state carries over (default 128)", 0},
        {"--lr", NULL, OPT_FLOAT, &a.o.lr, "LR", "peak learning rate of Adam (default 0.002)", 0},
        {"--min-lr-ratio", NULL, OPT_FLOAT, &a.o.min_lr_ratio, "R", "cosine decay ends at LR*R (default 0.05)", 0},
        {"--warmup", NULL, OPT_INT, &a.o.warmup, "N", "linear learning-rate warm-up steps (default 100)", 0},
        {"--dropout", NULL, OPT_FLOAT, &a.o.dropout, "P", "dropout between layers and before the head (default 0.25)", 0},
        {"--clip", NULL, OPT_FLOAT, &a.o.clip, "C", "clip the global gradient norm at C (default 1; 0 = off)", 0},
        {"--weight-decay", NULL, OPT_FLOAT, &a.o.weight_decay, "W", "decoupled weight decay, AdamW (default 0)", 0},
        {"--steps", NULL, OPT_LONG, &a.steps, "N", "stop after N updates", 0},
        {"--epochs", NULL, OPT_DOUBLE, &a.epochs, "N", "stop after N passes over the training songs", 0},
        {"--minutes", NULL, OPT_DOUBLE, &a.minutes, "M", "stop after M minutes of wall-clock time (default 10 if no budget is given)", 0},
        {"--threads", NULL, OPT_INT, &a.o.threads, "N", "cores to train on: the batch is split into N shards run at once (default: all, at most 16)", 0},
        {"--seed", NULL, OPT_U64, &a.o.seed, "S", "random seed for initialisation, shuffling and dropout (default 1)", 0},
        {"--val-fraction", NULL, OPT_DOUBLE, &a.val_fraction, "F", "fraction of whole songs held out for validation (default 0.1)", 0},
        {"--eval-every", NULL, OPT_INT, &a.eval_every, "N", "evaluate every N steps (default: about once an epoch, 25..200)", 0},
        {"--patience", NULL, OPT_INT, &a.patience, "N", "stop when N evaluations in a row do not improve (default 8; 0 = never)", 0},
        {"--min-count", NULL, OPT_INT, &a.min_count, "N", "characters seen fewer than N times become <unk> (default 2)", 0},
        {"--lowercase", NULL, OPT_FLAG, &lower_flag, NULL, "fold case with Turkish rules (I->ı, İ->i) before training", 0},
        {"--format", NULL, OPT_STR, &a.format, "F", "corpus format: auto (default), songs, csv, plain", 0},
        {"--strip-artist", NULL, OPT_FLAG, &a.strip_artist, NULL, "titles 'Artist - Title' become 'Title' (for multi-artist corpora)", 0},
        {"--exclude", NULL, OPT_STR, &exclude, "FILE", "leave out songs sharing 2+ lines with a song of FILE (e.g. pre-train without other singers' versions of the fine-tuning songs)", 0},
        {"--init", NULL, OPT_STR, &a.init, "MODEL", "start from this model's weights (e.g. pre-trained on other artists); new characters are added", 0},
        {"--resume", NULL, OPT_STR, &a.resume, "CKPT", "continue an interrupted run exactly from its checkpoint", 0},
        {"--checkpoint", NULL, OPT_STR, &a.ckpt, "CKPT", "checkpoint file (default MODEL.ckpt)", 0},
        {"--checkpoint-every", NULL, OPT_INT, &a.ckpt_every, "N", "write the checkpoint every N steps (default: at each evaluation)", 0},
        {"--log", NULL, OPT_STR, &a.log, "FILE.jsonl", "append one JSON object per evaluation", 0},
        {"--quiet", "-q", OPT_FLAG, &a.quiet, NULL, "no progress output and no samples", 0},
        {"--halt-after", NULL, OPT_LONG, &a.halt_after, "N", "act as if interrupted after step N (for tests)", 0},
    };
    const char *pos[1];
    int np;
    int r = opts_parse("train", "CORPUS -o MODEL [options]",
                       "Train a character-level LSTM on a lyrics file. CORPUS: songs separated by blank lines with an\n"
                       "optional '# title' first line, a CSV (one lyric line per row, grouped by a song-id column) or\n"
                       "plain text. Whole songs are held out for validation; the best model so far is kept in MODEL.",
                       d, N(d), argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1) return cli_errorf("train: give one CORPUS file (see 'serce train --help')"), 2;
    if (!a.out) return cli_errorf("train: -o MODEL is required: where to write the trained model"), 2;
    a.lowercase = lower_flag;
    if (exclude) {
        if (strlen(exclude) >= sizeof a.exclude) return cli_errorf("train: --exclude: path too long"), 2;
        memcpy(a.exclude, exclude, strlen(exclude) + 1);
    }
    if (a.init && a.resume) return cli_errorf("train: --init and --resume cannot be combined"), 2;

    char ckpt_default[4096];
    if (!a.ckpt) {
        snprintf(ckpt_default, sizeof ckpt_default, "%s.ckpt", a.out);
        a.ckpt = ckpt_default;
    }
    /* the command line, recorded with the model so every shipped model says how it was made */
    serce_buf cmdline = {0};
    serce_buf_append(&cmdline, "serce", 5);
    for (int i = 1; i < argc; i++) {
        serce_buf_append(&cmdline, " ", 1);
        int q = strpbrk(argv[i], " \t'\"") != NULL;
        if (q) serce_buf_append(&cmdline, "'", 1);
        serce_buf_append(&cmdline, argv[i], strlen(argv[i]));
        if (q) serce_buf_append(&cmdline, "'", 1);
    }

    train_state s;
    memset(&s, 0, sizeof s);
    s.best_val = INFINITY;
    serce_error e = {0};
    serce_model *m = NULL, *init = NULL;
    serce_trainer *t = NULL;
    serce_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    serce_songs tr, va;
    memset(&tr, 0, sizeof tr);
    memset(&va, 0, sizeof va);
    size_t *tri = NULL, *vai = NULL, ntr = 0, nva = 0;
    uint8_t *ckbuf = NULL;
    size_t ckn = 0;
    char *init_name = NULL, *command = NULL;
    FILE *logf = NULL;
    int rc = 0, exitc = 1;
    int format;

    if (a.resume) {
        if ((rc = serce_read_file(a.resume, CLI_MAX_MODEL, &ckbuf, &ckn, &e))) goto fail;
        if ((rc = serce_model_load(ckbuf, ckn, &m, &e))) {
            fprintf(stderr, "serce: %s: %s\n", a.resume, e.msg);
            goto out;
        }
        /* settings from the checkpoint's caller record */
        char *caller = NULL;
        if ((rc = serce_checkpoint_caller(ckbuf, ckn, &caller, &e))) {
            if (rc == SERCE_ERR_NOMEM) goto fail;
            rc = serce_fail(&e, SERCE_ERR_FORMAT, "%s is a model, not a checkpoint: checkpoints are written next to the model as MODEL.ckpt", a.resume);
            goto fail;
        }
        int bad = restore_caller(caller, &a, d, N(d), &s, &init_name, &command);
        serce_free(caller);
        if (bad) goto out;
        a.embed = m->cfg.embed, a.hidden = m->cfg.hidden, a.layers = m->cfg.layers, a.lowercase = m->cfg.lowercase;
    }
    if (!a.resume && !a.steps && !a.epochs && !a.minutes) a.minutes = 10;
    /* errors from here on leave through `out`, which frees what was read so far (a checkpoint, its record) */
    if (a.o.threads < 1 || a.o.threads > 16) {
        cli_errorf("train: --threads must be between 1 and 16");
        exitc = 2;
        goto out;
    }
    if (!a.resume) a.o.shards = a.o.threads < a.o.batch ? a.o.threads : a.o.batch;
    serce_blas_threads(1); /* the shards are the parallelism; BLAS threads would only compete */
    if (a.steps < 0 || a.epochs < 0 || a.minutes < 0) {
        cli_errorf("train: budgets must not be negative");
        exitc = 2;
        goto out;
    }
    if (a.val_fraction < 0 || a.val_fraction >= 1) {
        cli_errorf("train: --val-fraction must be in [0, 1), got %g", a.val_fraction);
        exitc = 2;
        goto out;
    }
    if (a.o.batch < 1 || a.o.seq_len < 1 || a.o.batch > 65536 || a.o.seq_len > 65536) {
        cli_errorf("train: --batch and --seq-len must be between 1 and 65536");
        exitc = 2;
        goto out;
    }
    if (cli_parse_format(a.format, &format)) {
        exitc = 2;
        goto out;
    }

    if (a.init) {
        if (!(init = cli_load_model(a.init))) goto out;
        if (lower_flag && !init->cfg.lowercase) {
            cli_errorf("train: --lowercase was given but %s is a case-keeping model", a.init);
            exitc = 2;
            goto out;
        }
        a.lowercase = init->cfg.lowercase;
        if (opts_given(d, N(d), "--embed") || opts_given(d, N(d), "--hidden") || opts_given(d, N(d), "--layers"))
            if (a.embed != init->cfg.embed || a.hidden != init->cfg.hidden || a.layers != init->cfg.layers) {
                cli_errorf("train: --init %s has shape E%d/%dx%d; drop --embed/--hidden/--layers or match them",
                           a.init, init->cfg.embed, init->cfg.layers, init->cfg.hidden);
                exitc = 2;
                goto out;
            }
        a.embed = init->cfg.embed, a.hidden = init->cfg.hidden, a.layers = init->cfg.layers;
    }

    if (cli_load_corpus(pos[0], format, a.lowercase, &corpus)) goto out;
    if (a.strip_artist) { /* "Artist - Title" -> "Title": a pre-training corpus should not teach artist names */
        for (size_t i = 0; i < corpus.nsongs; i++) {
            serce_song *sg = &corpus.songs[i];
            for (size_t j = 0; j + 3 <= sg->title_len; j++)
                if (sg->title[j] == ' ' && sg->title[j + 1] == '-' && sg->title[j + 2] == ' ') {
                    size_t cut = j + 3;
                    memmove(sg->title, sg->title + cut, (sg->title_len - cut) * sizeof(uint32_t));
                    corpus.nchars -= cut;
                    sg->title_len -= cut;
                    break;
                }
        }
    }
    if (a.exclude[0] && cli_exclude_overlap(&corpus, pos[0], a.exclude, a.lowercase, a.quiet)) goto out;
    if (corpus.nsongs < 2 && a.val_fraction > 0) {
        rc = serce_fail(&e, SERCE_ERR_CORPUS, "%s has %zu song; validation needs at least 2 (or use --val-fraction 0)",
                        pos[0], corpus.nsongs);
        goto fail;
    }

    if (!m) {
        serce_vocab cv;
        if ((rc = serce_vocab_build(&corpus, a.min_count, a.lowercase, &cv, &e))) goto fail;
        serce_vocab v = cv;
        if (init) {
            rc = merge_vocab(&init->vocab, &cv, &v, &e);
            serce_vocab_free(&cv);
            if (rc) {
                serce_vocab_free(&v);
                goto fail;
            }
        }
        if (v.size <= SERCE_NSPECIAL + 1) {
            serce_vocab_free(&v);
            rc = serce_fail(&e, SERCE_ERR_CORPUS, "%s: the corpus has fewer than two distinct characters; nothing to learn", pos[0]);
            goto fail;
        }
        serce_config cfg = {v.size, a.embed, a.hidden, a.layers, a.lowercase};
        rc = serce_config_check(&cfg, &e);
        double need = rc ? 0 : serce_trainer_bytes(&cfg, &a.o);
        double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        if (!rc && phys > 0 && need > 0.8 * phys)
            rc = serce_fail(&e, SERCE_ERR_LIMIT,
                            "these settings need %.1f GiB for training, more than this machine's %.1f GiB: "
                            "lower --hidden, --batch or --seq-len", need / 1073741824.0, phys / 1073741824.0);
        if (!rc) rc = serce_model_new(&cfg, &v, &m, &e);
        serce_vocab_free(&v);
        if (rc) goto fail;
        serce_model_init(m, a.o.seed);
        if (init) {
            copy_init_weights(m, init);
            /* the model card tells the whole story: keep the init model's training record */
            if (init->meta_training && serce_model_set_meta(m, "serce.pretraining", init->meta_training)) {
                rc = serce_fail(&e, SERCE_ERR_NOMEM, "out of memory");
                goto fail;
            }
        }
    } else {
        double need = serce_trainer_bytes(&m->cfg, &a.o);
        double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        if (phys > 0 && need > 0.8 * phys) {
            rc = serce_fail(&e, SERCE_ERR_LIMIT, "this checkpoint needs %.1f GiB for training", need / 1073741824.0);
            goto fail;
        }
    }

    if ((rc = serce_split_songs(&corpus, a.val_fraction, &tri, &ntr, &vai, &nva, &e))) goto fail;
    if ((rc = serce_songs_encode(&m->vocab, &corpus, tri, ntr, &tr, &e))) goto fail;
    if ((rc = serce_songs_encode(&m->vocab, &corpus, vai, nva, &va, &e))) goto fail;
    long unk = 0;
    for (size_t i = 0; i < tr.ntoks; i++) unk += tr.toks[i] == SERCE_TOK_UNK;

    const serce_kernels *k = serce_kernels_best();
    if ((rc = serce_trainer_new(m, k, &a.o, &tr, &t, &e))) goto fail;
    if (a.resume) {
        char *extra = NULL;
        rc = serce_trainer_restore(t, ckbuf, ckn, &extra, &e);
        free(extra);
        if (rc) goto fail;
    }
    serce_free(ckbuf);
    ckbuf = NULL;

    long spe = serce_trainer_steps_per_epoch(t);
    if (a.eval_every <= 0) a.eval_every = spe < 25 ? 25 : spe > 200 ? 200 : (int)spe;
    if (a.ckpt_every <= 0) a.ckpt_every = a.eval_every;
    long total_steps = a.steps;
    if (a.epochs > 0) {
        long es = (long)ceil(a.epochs * spe);
        if (!total_steps || es < total_steps) total_steps = es;
    }
    run_info ri = {cli_basename(pos[0]), init_name ? init_name : (a.init ? cli_basename(a.init) : NULL),
                   command ? command : (const char *)cmdline.data, k->gemm_name,
                   corpus.nsongs, corpus.nchars, ntr, nva, va.ntoks > nva ? va.ntoks - nva : 0};
    if (a.log && !(logf = fopen(a.log, "a"))) {
        rc = serce_fail(&e, SERCE_ERR_IO, "%s: cannot open the log for writing", a.log);
        goto fail;
    }
    int tty = isatty(2) && !a.quiet;
    if (!a.quiet) {
        fprintf(stderr, "serce: %s: %zu songs, %zu characters (%zu train / %zu validation songs), vocabulary %d%s\n",
                pos[0], corpus.nsongs, corpus.nchars, ntr, nva, m->cfg.vocab, a.lowercase ? ", lower-case" : "");
        if (unk) fprintf(stderr, "serce: %ld rare characters are read as <unk> (--min-count %d)\n", unk, a.min_count);
        fprintf(stderr, "serce: model E%d / %dx%d LSTM, %zu parameters; batch %d x %d on %d thread%s, %ld steps per epoch, kernels %s\n",
                m->cfg.embed, m->cfg.layers, m->cfg.hidden, m->nparams, a.o.batch, a.o.seq_len, a.o.shards,
                a.o.shards > 1 ? "s" : "", spe, k->gemm_name);
        if (a.resume) fprintf(stderr, "serce: resumed %s at step %ld\n", a.resume, serce_trainer_step_count(t));
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    double t0 = now_s() - s.elapsed, train_time = 0, last_print = 0;
    long chars_done = 0;
    double last_train_bpc = NAN;
    const char *why = "budget reached";
    int stopped = 0;
    for (;;) {
        long step = serce_trainer_step_count(t);
        s.elapsed = now_s() - t0;
        double prog = 0;
        if (total_steps) prog = (double)step / total_steps;
        if (a.minutes > 0) {
            double pt = s.elapsed / (a.minutes * 60);
            if (pt > prog) prog = pt;
        }
        if ((total_steps && step >= total_steps) || (a.minutes > 0 && s.elapsed >= a.minutes * 60)) break;
        if (g_stop || (a.halt_after && step >= a.halt_after)) {
            stopped = 1;
            why = "interrupted";
            break;
        }
        float lr = serce_lr_at(&a.o, step, prog);
        serce_step_stats st;
        double ts = now_s();
        rc = serce_trainer_step(t, lr, &st, &e);
        train_time += now_s() - ts;
        if (rc) {
            if (rc == SERCE_ERR_NUMERIC) {
                fprintf(stderr, "%sserce: training stopped: %s. ", tty ? "\r\033[K" : "", e.msg);
                if (isfinite(s.best_val))
                    fprintf(stderr, "The last good model (val %.4f bpc, step %ld) is kept in %s. ", s.best_val / log(2.0),
                            s.best_step, a.out);
                fprintf(stderr, "Try a lower --lr or --clip.\n");
                goto out;
            }
            goto fail;
        }
        step++;
        chars_done += st.tokens;
        s.train_acc_loss += st.loss * st.tokens;
        s.train_acc_tokens += st.tokens;
        /* the last update of a time budget is evaluated too, so no work after the last check is lost */
        int out_of_time = a.minutes > 0 && now_s() - t0 >= a.minutes * 60;
        int do_eval = step % a.eval_every == 0 || (total_steps && step == total_steps) || out_of_time;
        if (do_eval) {
            double tb = s.train_acc_tokens ? s.train_acc_loss / s.train_acc_tokens / log(2.0) : NAN;
            last_train_bpc = tb;
            s.train_acc_loss = 0, s.train_acc_tokens = 0;
            double vb = NAN;
            int improved = 0;
            if (nva) {
                double nats;
                long cnt;
                if ((rc = serce_evaluate(m, k, &va, 32, 128, &nats, &cnt, &e))) goto fail;
                vb = nats / log(2.0);
                if (nats < s.best_val) {
                    s.best_val = nats, s.best_step = step, s.bad_evals = 0;
                    improved = 1;
                } else {
                    s.bad_evals++;
                }
            } else {
                improved = 1;
            }
            curve_add(&s, step, tb, nva ? vb : tb);
            s.elapsed = now_s() - t0;
            if (improved) {
                serce_buf tj = {0};
                if (training_json(&tj, &a, &s, &ri, step, serce_trainer_epoch_fraction(t), tb) ||
                    serce_model_set_meta(m, "serce.training", (const char *)tj.data)) {
                    serce_buf_free(&tj);
                    rc = serce_fail(&e, SERCE_ERR_NOMEM, "out of memory");
                    goto fail;
                }
                serce_buf_free(&tj);
                if ((rc = save_model(m, a.out, &e))) goto fail;
            }
            if (logf) {
                fprintf(logf,
                        "{\"step\":%ld,\"epoch\":%.4f,\"train_bpc\":%.5f,\"val_bpc\":%s%.5f%s,\"best_val_bpc\":%.5f,"
                        "\"lr\":%.6g,\"gnorm\":%.4f,\"chars_per_s\":%.1f,\"elapsed\":%.2f}\n",
                        step, serce_trainer_epoch_fraction(t), tb, "", nva ? vb : tb, "",
                        nva ? s.best_val / log(2.0) : tb, lr, st.gnorm, train_time > 0 ? chars_done / train_time : 0,
                        s.elapsed);
                fflush(logf);
            }
            if (!a.quiet) {
                char el[32];
                fmt_time(s.elapsed, el, sizeof el);
                fprintf(stderr, "%sstep %ld  epoch %.2f  train %.4f bpc  val %.4f bpc%s  lr %.2e  %.0f chars/s  %s\n",
                        tty ? "\r\033[K" : "", step, serce_trainer_epoch_fraction(t), tb, nva ? vb : tb,
                        improved ? " *" : "", lr, train_time > 0 ? chars_done / train_time : 0, el);
                print_sample(m, stderr);
            }
            if (a.patience > 0 && nva && s.bad_evals >= a.patience) {
                why = "validation stopped improving (early stop)";
                if (step % a.ckpt_every != 0 && (rc = save_checkpoint(t, &a, &s, &ri, &e))) goto fail;
                break;
            }
        }
        if (step % a.ckpt_every == 0) {
            s.elapsed = now_s() - t0;
            if ((rc = save_checkpoint(t, &a, &s, &ri, &e))) goto fail;
        }
        if (tty && now_s() - last_print > 0.25) {
            last_print = now_s();
            double rate = train_time > 0 ? chars_done / train_time : 0;
            double eta = NAN;
            if (total_steps) eta = (total_steps - step) * (train_time / (step - (long)0 > 0 ? step : 1));
            if (a.minutes > 0) {
                double te = a.minutes * 60 - (now_s() - t0);
                if (!isfinite(eta) || te < eta) eta = te;
            }
            char es[32];
            fmt_time(eta, es, sizeof es);
            fprintf(stderr, "\r\033[Kepoch %.2f  step %ld  train %.3f bpc  best val %.3f  %.0f chars/s  ETA %s",
                    serce_trainer_epoch_fraction(t), step, st.loss / log(2.0),
                    isfinite(s.best_val) ? s.best_val / log(2.0) : NAN, rate, es);
        }
    }
    s.elapsed = now_s() - t0;
    long step = serce_trainer_step_count(t);
    if ((rc = save_checkpoint(t, &a, &s, &ri, &e))) goto fail;
    if (!nva || !isfinite(s.best_val)) { /* nothing validated yet: keep the last weights */
        if (!nva) {
            serce_buf tj = {0};
            training_json(&tj, &a, &s, &ri, step, serce_trainer_epoch_fraction(t), last_train_bpc);
            serce_model_set_meta(m, "serce.training", (const char *)tj.data);
            serce_buf_free(&tj);
        }
        if ((rc = save_model(m, a.out, &e))) goto fail;
    }
    if (!a.quiet || stopped) {
        char el[32];
        fmt_time(s.elapsed, el, sizeof el);
        fprintf(stderr, "%sserce: %s after %ld steps (%.2f epochs, %s).", tty ? "\r\033[K" : "", why, step,
                serce_trainer_epoch_fraction(t), el);
        if (nva && isfinite(s.best_val))
            fprintf(stderr, " Best val %.4f bpc at step %ld, in %s.", s.best_val / log(2.0), s.best_step, a.out);
        else
            fprintf(stderr, " Model in %s.", a.out);
        fprintf(stderr, " Checkpoint: %s\n", a.ckpt);
        if (stopped) fprintf(stderr, "serce: continue with: serce train %s --resume %s -o %s\n", pos[0], a.ckpt, a.out);
    }
    exitc = stopped ? 130 : 0;
    goto out;
fail:
    cli_error(&e);
    exitc = 1;
out:
    if (logf) fclose(logf);
    serce_trainer_free(t);
    serce_songs_free(&tr);
    serce_songs_free(&va);
    serce_free(tri);
    serce_free(vai);
    serce_corpus_free(&corpus);
    serce_model_free(m);
    serce_model_free(init);
    serce_free(ckbuf);
    serce_buf_free(&cmdline);
    free(init_name);
    free(command);
    (void)rc;
    return exitc;
}
