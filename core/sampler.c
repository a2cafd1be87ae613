/* sampler.c — sampling and the generation session. See sampler.h. Tested by tests/test_sampler.c
 * (distributions, top-k/top-p sets, determinism, options and settings JSON), tests/test_lyric.c (song
 * mode on a model trained in the test: metre, word ends, rhyme reports, chorus, originality) and by the
 * native-vs-wasm identity tests.
 *
 * Layout of this file: the token sampler; options; the session (start, the plain character loop that
 * earlier versions had, unchanged); the character controls (repetition, avoid-copying) shared by every
 * mode; song mode (title, line search, form, chorus) feeding an output queue that serce_gen_step hands
 * out character by character, so hosts see the same streaming contract in every mode. */
#include "sampler.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
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
    o->lines_per_stanza = 4;
    o->attempts = 40;
    o->word_end_min = 0.2f;
    o->repetition_penalty = 1.0f;
    o->repetition_min = 12;
    o->no_repeat_ngram = 0;
    o->avoid_copying = 0;
    o->originality = NULL;
}

static int str_terminated(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

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
    if (!str_terminated(o->form, sizeof o->form) || !str_terminated(o->syllables, sizeof o->syllables) ||
        !str_terminated(o->rhyme, sizeof o->rhyme))
        return serce_fail(err, SERCE_ERR_ARG, "form, syllables and rhyme must be NUL-terminated strings");
    if (o->lines_per_stanza < 1 || o->lines_per_stanza > 32)
        return serce_fail(err, SERCE_ERR_ARG, "lines per stanza must be 1 to 32, got %d", o->lines_per_stanza);
    if (o->attempts < 1 || o->attempts > 10000)
        return serce_fail(err, SERCE_ERR_ARG, "attempts must be 1 to 10000, got %d", o->attempts);
    if (!(o->word_end_min >= 0 && o->word_end_min <= 1))
        return serce_fail(err, SERCE_ERR_ARG, "word-end-min must be between 0 and 1, got %g", o->word_end_min);
    if (!(o->repetition_penalty >= 1 && o->repetition_penalty <= 100))
        return serce_fail(err, SERCE_ERR_ARG, "repetition penalty must be between 1 (off) and 100, got %g",
                          o->repetition_penalty);
    if (o->repetition_min < 1 || o->repetition_min > 1000)
        return serce_fail(err, SERCE_ERR_ARG, "repetition-min must be 1 to 1000 characters, got %d", o->repetition_min);
    if (o->no_repeat_ngram < 0 || o->no_repeat_ngram == 1 || o->no_repeat_ngram > 1000)
        return serce_fail(err, SERCE_ERR_ARG, "no-repeat-ngram must be 0 (off) or 2 to 1000 characters, got %d",
                          o->no_repeat_ngram);
    if (o->avoid_copying != 0 && o->avoid_copying != 1)
        return serce_fail(err, SERCE_ERR_ARG, "avoid-copying must be 0 or 1, got %d", o->avoid_copying);
    serce_form f;
    serce_metre mt;
    serce_rhyme_scheme r;
    int rc;
    if ((rc = serce_form_parse(o->form, o->lines_per_stanza, &f, err))) return rc;
    if ((rc = serce_metre_parse(o->syllables, &mt, err))) return rc;
    if ((rc = serce_rhyme_parse(o->rhyme, &r, err))) return rc;
    return SERCE_OK;
}

/* ---------------------------------------------------------------- settings JSON */

static const char *const json_keys =
    "temperature, top_k, top_p, seed, length, songs, form, lines_per_stanza, syllables, rhyme, attempts, "
    "word_end_min, repetition_penalty, repetition_min, no_repeat_ngram, avoid_copying";

static const char *jtype(int t) {
    switch (t) {
    case SJ_NULL: return "null";
    case SJ_FALSE: case SJ_TRUE: return "a boolean";
    case SJ_NUMBER: return "a number";
    case SJ_STRING: return "a string";
    case SJ_ARRAY: return "an array";
    default: return "an object";
    }
}

static int j_num(const sj_node *v, const char *key, double *out, serce_error *err) {
    if (v->type != SJ_NUMBER) return serce_fail(err, SERCE_ERR_ARG, "settings: '%s' must be a number, got %s", key, jtype(v->type));
    *out = v->num;
    return SERCE_OK;
}

static int j_int(const sj_node *v, const char *key, long lo, long hi, long *out, serce_error *err) {
    if (v->type != SJ_NUMBER)
        return serce_fail(err, SERCE_ERR_ARG, "settings: '%s' must be a whole number, got %s", key, jtype(v->type));
    double d = v->num;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(long)d)
        return serce_fail(err, SERCE_ERR_ARG, "settings: '%s' must be a whole number from %ld to %ld, got %g", key, lo, hi, d);
    *out = (long)d;
    return SERCE_OK;
}

static int j_str(const sj_node *v, const char *key, char *dst, size_t cap, serce_error *err) {
    if (v->type == SJ_NULL) {
        dst[0] = 0;
        return SERCE_OK;
    }
    if (v->type != SJ_STRING) return serce_fail(err, SERCE_ERR_ARG, "settings: '%s' must be a string, got %s", key, jtype(v->type));
    if (v->len + 1 > cap || memchr(v->str, 0, v->len))
        return serce_fail(err, SERCE_ERR_ARG, "settings: '%s' is longer than %zu bytes", key, cap - 1);
    memcpy(dst, v->str, v->len + 1);
    return SERCE_OK;
}

static int j_syllables(const sj_doc *d, int vi, char *dst, size_t cap, serce_error *err) {
    const sj_node *v = &d->nodes[vi];
    char tmp[160];
    if (v->type == SJ_NUMBER) {
        long n;
        int rc = j_int(v, "syllables", 0, 32, &n, err);
        if (rc) return rc;
        if (n == 0) dst[0] = 0;
        else snprintf(dst, cap, "%ld", n);
        return SERCE_OK;
    }
    if (v->type != SJ_ARRAY) return j_str(v, "syllables", dst, cap, err);
    size_t k = 0;
    tmp[0] = 0;
    for (int c = v->child, i = 0; c >= 0; c = d->nodes[c].next, i++) {
        const sj_node *e = &d->nodes[c];
        char item[130];
        if (e->type == SJ_NUMBER) {
            long n;
            int rc = j_int(e, "syllables", 1, 32, &n, err);
            if (rc) return rc;
            snprintf(item, sizeof item, "%ld", n);
        } else if (e->type == SJ_STRING) {
            int rc = j_str(e, "syllables", item, sizeof item, err);
            if (rc) return rc;
        } else {
            return serce_fail(err, SERCE_ERR_ARG, "settings: 'syllables' array element %d must be a number or a string, got %s",
                              i, jtype(e->type));
        }
        size_t m = strlen(item);
        if (k + m + 2 > cap) return serce_fail(err, SERCE_ERR_ARG, "settings: 'syllables' is longer than %zu bytes", cap - 1);
        if (k) tmp[k++] = ',';
        memcpy(tmp + k, item, m + 1);
        k += m;
    }
    memcpy(dst, tmp, k + 1);
    return SERCE_OK;
}

int serce_gen_opts_from_json(serce_gen_opts *out, const char *json, serce_error *err) {
    sj_doc d;
    int rc = sj_parse(json ? json : "", json ? strlen(json) : 0, "settings", &d, err);
    if (rc) return rc;
    serce_gen_opts o = *out;
    if (d.nodes[0].type != SJ_OBJECT) {
        rc = serce_fail(err, SERCE_ERR_ARG, "settings must be a JSON object, got %s", jtype(d.nodes[0].type));
        goto done;
    }
    for (int k = d.nodes[0].child; k >= 0 && !rc; k = d.nodes[k].next) {
        const char *key = d.nodes[k].str;
        int vi = d.nodes[k].child;
        const sj_node *v = &d.nodes[vi];
        double x = 0;
        long n = 0;
        if (!strcmp(key, "temperature")) {
            if (!(rc = j_num(v, key, &x, err))) o.temperature = (float)x;
        } else if (!strcmp(key, "top_k")) {
            if (!(rc = j_int(v, key, 0, 1000000, &n, err))) o.top_k = (int)n;
        } else if (!strcmp(key, "top_p")) {
            if (!(rc = j_num(v, key, &x, err))) o.top_p = (float)x;
        } else if (!strcmp(key, "seed")) {
            if (v->type == SJ_STRING) {
                uint64_t s = 0;
                int ok = v->len > 0 && v->len <= 20;
                for (size_t i = 0; ok && i < v->len; i++) {
                    char c = v->str[i];
                    uint64_t digit = (uint64_t)(c - '0');
                    if (c < '0' || c > '9' || s > (UINT64_MAX - digit) / 10) ok = 0;
                    else s = s * 10 + digit;
                }
                if (!ok)
                    rc = serce_fail(err, SERCE_ERR_ARG, "settings: 'seed' as a string must be digits of a number below 2^64, got \"%.30s\"", v->str);
                else o.seed = s;
            } else if (v->type == SJ_NUMBER) {
                if (!(v->num >= 0 && v->num <= 9007199254740992.0) || v->num != (double)(uint64_t)v->num)
                    rc = serce_fail(err, SERCE_ERR_ARG, "settings: 'seed' must be a whole number from 0 to 2^53 (or a string of digits), got %g", v->num);
                else o.seed = (uint64_t)v->num;
            } else {
                rc = serce_fail(err, SERCE_ERR_ARG, "settings: 'seed' must be a whole number or a string of digits, got %s", jtype(v->type));
            }
        } else if (!strcmp(key, "length")) {
            if (!(rc = j_int(v, key, 0, 100000000L, &n, err))) o.length = n;
        } else if (!strcmp(key, "songs")) {
            if (!(rc = j_int(v, key, 0, 1000000, &n, err))) o.songs = (int)n;
        } else if (!strcmp(key, "form")) {
            rc = j_str(v, key, o.form, sizeof o.form, err);
        } else if (!strcmp(key, "lines_per_stanza")) {
            if (!(rc = j_int(v, key, 1, 32, &n, err))) o.lines_per_stanza = (int)n;
        } else if (!strcmp(key, "syllables")) {
            rc = j_syllables(&d, vi, o.syllables, sizeof o.syllables, err);
        } else if (!strcmp(key, "rhyme")) {
            rc = j_str(v, key, o.rhyme, sizeof o.rhyme, err);
        } else if (!strcmp(key, "attempts")) {
            if (!(rc = j_int(v, key, 1, 10000, &n, err))) o.attempts = (int)n;
        } else if (!strcmp(key, "word_end_min")) {
            if (!(rc = j_num(v, key, &x, err))) o.word_end_min = (float)x;
        } else if (!strcmp(key, "repetition_penalty")) {
            if (!(rc = j_num(v, key, &x, err))) o.repetition_penalty = (float)x;
        } else if (!strcmp(key, "repetition_min")) {
            if (!(rc = j_int(v, key, 1, 1000, &n, err))) o.repetition_min = (int)n;
        } else if (!strcmp(key, "no_repeat_ngram")) {
            if (!(rc = j_int(v, key, 0, 1000, &n, err))) o.no_repeat_ngram = (int)n;
        } else if (!strcmp(key, "avoid_copying")) {
            if (v->type != SJ_TRUE && v->type != SJ_FALSE)
                rc = serce_fail(err, SERCE_ERR_ARG, "settings: 'avoid_copying' must be true or false, got %s", jtype(v->type));
            else o.avoid_copying = v->type == SJ_TRUE;
        } else {
            rc = serce_fail(err, SERCE_ERR_ARG, "settings: unknown key '%.40s' (known: %s)", key, json_keys);
        }
    }
    if (!rc) rc = serce_gen_opts_check(&o, err);
    if (!rc) *out = o;
done:
    sj_free(&d);
    return rc;
}

static size_t bounded_len(const char *s, size_t cap) {
    const char *e = memchr(s, 0, cap);
    return e ? (size_t)(e - s) : cap;
}

int serce_gen_opts_to_json(const serce_gen_opts *o, serce_buf *b) {
    int rc = serce_buf_printf(b, "{\"temperature\":%.9g,\"top_k\":%d,\"top_p\":%.9g,\"seed\":\"%llu\",\"length\":%ld,"
                                 "\"songs\":%d,\"form\":",
                              o->temperature, o->top_k, o->top_p, (unsigned long long)o->seed, o->length, o->songs);
    rc = rc || sj_write_str(b, o->form, bounded_len(o->form, sizeof o->form));
    rc = rc || serce_buf_printf(b, ",\"lines_per_stanza\":%d,\"syllables\":", o->lines_per_stanza);
    rc = rc || sj_write_str(b, o->syllables, bounded_len(o->syllables, sizeof o->syllables));
    rc = rc || serce_buf_printf(b, ",\"rhyme\":");
    rc = rc || sj_write_str(b, o->rhyme, bounded_len(o->rhyme, sizeof o->rhyme));
    rc = rc || serce_buf_printf(b, ",\"attempts\":%d,\"word_end_min\":%.9g,\"repetition_penalty\":%.9g,"
                                   "\"repetition_min\":%d,\"no_repeat_ngram\":%d,\"avoid_copying\":%s}",
                                o->attempts, o->word_end_min, o->repetition_penalty, o->repetition_min,
                                o->no_repeat_ngram, o->avoid_copying ? "true" : "false");
    return rc ? SERCE_ERR_NOMEM : SERCE_OK;
}

/* ---------------------------------------------------------------- the token sampler */

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

/* token classes for the song rules (see lyric.h for vowel and letter) */
enum { CL_SPECIAL, CL_NL, CL_VOWEL, CL_CONS, CL_FOREIGN, CL_DIGIT, CL_APOS, CL_SEP };
/* a word ends before any of these (and before </s>) */
#define ENDS_WORD(c) ((c) == CL_SEP || (c) == CL_NL)

enum { PH_START, PH_TITLE, PH_BODY, PH_DONE };

#define LINE_MAX_TOKS 200   /* a candidate line longer than this is a dead end */
#define TITLE_MAX_TOKS 60   /* a title this long is ended by force */
#define CODA_MAX 2          /* consonants after the last vowel of a word that ends a line or a durak (Türk, aşk) */
#define ENDING_TRIES 6      /* attempts per round: a whole line, then new endings from its last word starts */
#define WORD_CKPTS 12       /* word starts of a line kept to restart from */
#define EXTEND_BUDGET 4     /* a line with no complete candidate yet may take this many times the attempts */
#define SEARCH_KEEP 3       /* candidates meeting every rule to compare (by the model's own likelihood) */
#define WORD_P_MIN 0.05f    /* a line's last word is natural if the model gave each of its letters this much
                               (steering toward a rhyme can otherwise force a non-word) */
#define SONG_MAX_LINES 64   /* without a form, a song with this many lines ends */
#define QFLAG_STANZA 0x40000000 /* queue entry: this '\n' also ends a stanza (an empty line follows) */

typedef struct {
    int ntok;          /* tokens of the current line in g->line */
    int count;         /* vowels (syllables) so far */
    int letters;
    int in_word;       /* the last token is a letter (or an apostrophe inside a word) */
    int coda;          /* consonants since the last vowel of the current word */
    int seg;           /* index of the next durak */
    int durak_open;    /* a durak count was reached inside a word: no vowel until the word ends */
    float durak_p;     /* lowest P(word end) where a durak word ended; 1 if none */
    float lp_sum;      /* sum of ln P(character) at temperature 1 over the generated characters */
    int lp_n;
    float wmin;        /* lowest P(letter) in the current word */
    size_t nhist;      /* song history length */
} line_ctr;

#define TABU_MAX 8

typedef struct {
    float *state;      /* [2,L,H] */
    float *z;          /* [V] */
    line_ctr c;
    int32_t tabu[TABU_MAX]; /* first tokens already tried from here (a restart avoids them, for variety) */
    int ntabu;
} ckpt;

typedef struct {
    int target;                   /* syllables; 0 = a free line */
    int nseg;
    int seg_end[SERCE_METRE_MAX_SEG]; /* cumulative counts: a durak after seg_end[0..nseg-2] */
    const uint32_t *anchor;       /* the line to rhyme with, NULL = none */
    size_t nanchor;
    int can_steer;                /* the anchor's rime is reachable: a vowel and at most CODA_MAX consonants */
    uint32_t tv;                  /* its last vowel (folded) */
    uint32_t tc[CODA_MAX];        /* and the consonants after it */
    int ntc;
    int song_end_ok;              /* no form: the model may end the song at this line's end */
    float tau;                    /* where a word must end, the least P(word end) to end it */
} line_spec;

typedef struct {
    int complete, words_ok, rhyme_ok, fresh, common;
    int strong;                   /* no rhyme asked, or a rhyme of two or more letters (tam kafiye) */
    int natural;                  /* every letter of the last word had P >= WORD_P_MIN */
    float lp;                     /* mean ln P(character): the model's view of the line */
    float p_end;
    int term;                     /* the token that ends the line: '\n' or </s> */
} attempt;

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

    /* ---- shared by the character controls and song mode */
    int V, nl;               /* vocabulary size, token of '\n' (-1 if none) */
    int song_mode, controls; /* form/metre/rhyme given; repetition or avoid-copying on */
    unsigned char *cls;      /* [V] token class */
    uint32_t *fold;          /* [V] folded codepoint (0 for special tokens) */
    int32_t *fold_tok;       /* [V] token of the folded character (itself if the vocabulary lacks it) */
    uint32_t *onorm;         /* [V] normalised form for the originality index (lyric.h) */
    float *z;                /* [V] current logits: own copy, since restoring a state does not restore them */
    float *zz;               /* [V] working logits */
    unsigned char *soft;     /* [V] soft bans */
    int *rep;                /* [V] longest earlier match each folded token would extend (-1: none) */
    float ln_rep;
    serce_originality *own_ix;
    const serce_originality *ix;
    uint32_t *win;           /* [2n] the song's last n-gram and a candidate's */
    int32_t *hist;           /* [nhist] folded tokens of the song so far (after <s>) */
    size_t nhist, chist;

    /* ---- song mode */
    serce_form form;
    serce_metre metre;
    serce_rhyme_scheme scheme;
    int phase, sec, sec_line, song_line, title_len, songs_made;
    int32_t *q;              /* output queue: tokens (| QFLAG_STANZA) not yet handed out */
    size_t qhead, qlen, qcap;
    int32_t line[LINE_MAX_TOKS + 1], best_line[LINE_MAX_TOKS + 1];
    line_ctr lc;
    attempt best;
    int have_best;
    ckpt ck_line, ck_best;
    ckpt ck_words[WORD_CKPTS]; /* [0] the line start, then the start of each word of the round's whole line */
    int nwck;
    uint32_t *blk;           /* lines of the current rhyme block, codepoints, and their offsets */
    size_t nblk, cblk, blk_off[SERCE_RHYME_MAX + 1];
    int blk_lines;
    uint64_t *lh;            /* hashes of the song's lines (folded letters), for the fresh-line check */
    size_t nlh, clh;
    int32_t *chorus;         /* the chorus lines, tokens, each followed by -1 */
    size_t nchorus, cchorus;
    int chorus_done;
    serce_gen_stats st;
};

void serce_gen_free(serce_gen *g) {
    if (!g) return;
    serce_infer_free(g->inf);
    serce_free(g->banned);
    serce_free(g->scratch);
    serce_free(g->pending);
    serce_free(g->cls);
    serce_free(g->fold);
    serce_free(g->fold_tok);
    serce_free(g->onorm);
    serce_free(g->z);
    serce_free(g->zz);
    serce_free(g->soft);
    serce_free(g->rep);
    serce_originality_free(g->own_ix);
    serce_free(g->win);
    serce_free(g->hist);
    serce_free(g->q);
    serce_free(g->ck_line.state);
    for (int i = 0; i < WORD_CKPTS; i++) serce_free(g->ck_words[i].state);
    serce_free(g->ck_best.state);
    serce_free(g->blk);
    serce_free(g->lh);
    serce_free(g->chorus);
    serce_free(g);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return SERCE_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = serce_realloc(*p, c * elem);
    if (!q) return SERCE_ERR_NOMEM;
    *p = q;
    *cap = c;
    return SERCE_OK;
}

static int classify(uint32_t cp) {
    if (cp == '\n') return CL_NL;
    if (serce_tr_is_vowel(cp)) return CL_VOWEL;
    if (serce_tr_is_letter(cp)) return serce_tr_is_turkish_letter(cp) ? CL_CONS : CL_FOREIGN;
    if (cp >= '0' && cp <= '9') return CL_DIGIT;
    if (cp == '\'' || cp == 0x2019) return CL_APOS;
    return CL_SEP;
}

static int ckpt_alloc(ckpt *c, size_t ns, int V) {
    c->state = serce_malloc((ns + (size_t)V) * sizeof(float));
    c->z = c->state ? c->state + ns : NULL;
    return c->state ? SERCE_OK : SERCE_ERR_NOMEM;
}

int serce_gen_new(const serce_model *m, const serce_kernels *k, const serce_gen_opts *o, serce_gen **out,
                  serce_error *err) {
    *out = NULL;
    int rc = serce_gen_opts_check(o, err);
    if (rc) return rc;
    serce_gen *g = serce_calloc(1, sizeof *g);
    if (!g) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
    g->m = m;
    g->o = *o;
    /* one rule for every host: without a length, a free-form song stops at SERCE_SONG_MAX_CHARS; song
     * mode ends its songs itself (its form, or 64 lines) */
    if (g->o.songs > 0 && g->o.length == 0 && !(o->form[0] || o->syllables[0] || o->rhyme[0]))
        g->o.length = SERCE_SONG_MAX_CHARS * g->o.songs;
    int V = g->V = m->cfg.vocab;
    g->banned = serce_calloc((size_t)V, 1);
    g->scratch = serce_malloc(serce_sample_scratch_bytes(V));
    if (!g->banned || !g->scratch) {
        serce_gen_free(g);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
    }
    if ((rc = serce_infer_new(m, k, &g->inf, err))) {
        serce_gen_free(g);
        return rc;
    }
    serce_form_parse(o->form, o->lines_per_stanza, &g->form, NULL);
    serce_metre_parse(o->syllables, &g->metre, NULL);
    serce_rhyme_parse(o->rhyme, &g->scheme, NULL);
    g->song_mode = g->form.n > 0 || g->metre.n > 0 || g->scheme.n > 0;
    g->controls = o->repetition_penalty > 1.0f || o->no_repeat_ngram > 0 || o->avoid_copying;
    if (g->song_mode || g->controls) {
        size_t ns = serce_infer_state_size(g->inf);
        g->cls = serce_malloc((size_t)V);
        g->fold = serce_malloc((size_t)V * sizeof *g->fold);
        g->fold_tok = serce_malloc((size_t)V * sizeof *g->fold_tok);
        g->onorm = serce_malloc((size_t)V * sizeof *g->onorm);
        g->z = serce_malloc((size_t)V * sizeof *g->z);
        g->zz = serce_malloc((size_t)V * sizeof *g->zz);
        g->soft = serce_malloc((size_t)V);
        g->rep = serce_malloc((size_t)V * sizeof *g->rep);
        if (!g->cls || !g->fold || !g->fold_tok || !g->onorm || !g->z || !g->zz || !g->soft || !g->rep ||
            ckpt_alloc(&g->ck_line, ns, V) || ckpt_alloc(&g->ck_best, ns, V)) {
            serce_gen_free(g);
            return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
        }
        for (int i = 0; i < WORD_CKPTS; i++)
            if (ckpt_alloc(&g->ck_words[i], ns, V)) {
                serce_gen_free(g);
                return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
            }
        g->nl = -1;
        for (int v = 0; v < V; v++) {
            uint32_t cp = m->vocab.cps[v];
            if (v < SERCE_NSPECIAL) {
                g->cls[v] = CL_SPECIAL;
                g->fold[v] = 0;
                g->onorm[v] = ' ';
            } else {
                g->cls[v] = (unsigned char)classify(cp);
                g->fold[v] = serce_tr_fold(cp);
                g->onorm[v] = serce_originality_norm(cp);
                if (cp == '\n') g->nl = v;
            }
            g->fold_tok[v] = v;
        }
        for (int v = SERCE_NSPECIAL; v < V; v++) {
            uint32_t lo = serce_tr_lower(m->vocab.cps[v]);
            int t = serce_vocab_id(&m->vocab, lo);
            if (t >= SERCE_NSPECIAL) g->fold_tok[v] = t;
        }
        if (g->song_mode && g->nl < 0) {
            serce_gen_free(g);
            return serce_fail(err, SERCE_ERR_VOCAB, "song form, syllables and rhyme need a model that knows line breaks");
        }
        g->ln_rep = o->repetition_penalty > 1.0f ? serce_logf(o->repetition_penalty) : 0.0f;
        if (o->avoid_copying) {
            g->ix = o->originality;
            if (!g->ix) {
                if ((rc = serce_originality_from_model(m, &g->own_ix, err))) {
                    serce_gen_free(g);
                    return rc;
                }
                g->ix = g->own_ix;
            }
            serce_originality_info info;
            serce_originality_get_info(g->ix, &info);
            g->win = serce_malloc(2 * (size_t)info.n * sizeof *g->win);
            if (!g->win) {
                serce_gen_free(g);
                return serce_fail(err, SERCE_ERR_NOMEM, "out of memory for generation");
            }
        }
    }
    *out = g;
    return SERCE_OK;
}

static int render(const serce_vocab *v, int tok, serce_buf *out) {
    char s[16];
    if (tok == SERCE_TOK_TITLE) return serce_buf_append(out, "\n\n", 2);
    if (tok == SERCE_TOK_EOS) return serce_buf_append(out, "\n", 1);
    if (tok < SERCE_NSPECIAL) return SERCE_OK;
    int n = serce_vocab_token_str(v, tok, s);
    return serce_buf_append(out, s, (size_t)n);
}

/* ---------------------------------------------------------------- history and feeding */

static int hist_push(serce_gen *g, int tok) {
    if (grow((void **)&g->hist, &g->chist, g->nhist + 1, sizeof *g->hist)) return SERCE_ERR_NOMEM;
    g->hist[g->nhist++] = g->fold_tok[tok];
    return SERCE_OK;
}

/* feed one token to the model, keeping the logit copy and the song history */
static int feed(serce_gen *g, int tok) {
    serce_infer_step(g->inf, tok);
    memcpy(g->z, serce_infer_logits(g->inf), sizeof(float) * (size_t)g->V);
    if (tok == SERCE_TOK_BOS) {
        g->nhist = 0;
        return SERCE_OK;
    }
    return hist_push(g, tok);
}

static void ck_save(serce_gen *g, ckpt *c) {
    serce_infer_get_state(g->inf, c->state);
    memcpy(c->z, g->z, sizeof(float) * (size_t)g->V);
    c->c = g->lc;
    c->c.nhist = g->nhist;
}

static void ck_restore(serce_gen *g, const ckpt *c) {
    serce_infer_set_state(g->inf, c->state);
    memcpy(g->z, c->z, sizeof(float) * (size_t)g->V);
    g->lc = c->c;
    g->nhist = c->c.nhist;
}

/* ---------------------------------------------------------------- character controls */

/* rep[t] = the longest m such that the last m tokens of the song also stand right before an earlier
 * occurrence of t, i.e. choosing t would continue a repeat of m + 1 characters. -1: t never occurred. */
static void repeat_lengths(serce_gen *g) {
    int V = g->V, cap = g->o.no_repeat_ngram > g->o.repetition_min + 64 ? g->o.no_repeat_ngram : g->o.repetition_min + 64;
    for (int v = 0; v < V; v++) g->rep[v] = -1;
    const int32_t *h = g->hist;
    size_t n = g->nhist;
    for (size_t j = 0; j < n; j++) {
        int m = 0;
        while ((size_t)m < j && m < cap && h[j - 1 - (size_t)m] == h[n - 1 - (size_t)m]) m++;
        if (m > g->rep[h[j]]) g->rep[h[j]] = m;
    }
}

/* The last n normalised characters of the song into win[0..n); returns 0 if the song is shorter. */
static int copy_window(serce_gen *g, int n) {
    int k = 0;
    uint32_t *w = g->win;
    size_t pos = g->nhist;
    /* collected backwards into w[n-1], w[n-2], ... */
    while (pos > 0 && k < n) {
        uint32_t c = g->onorm[g->hist[--pos]];
        if (!c) continue;
        if (c == ' ' && k > 0 && w[n - k] == ' ') continue;
        w[n - 1 - k] = c;
        k++;
    }
    if (k < n) return 0;
    if (pos == 0 && w[0] == ' ') return 0; /* the song starts with a separator that normalisation drops */
    return 1;
}

/* what the model thought of a choice, at temperature 1 over the tokens a body can hold */
typedef struct {
    float p_end;   /* probability that the word ends here (a separator, a line break or the song end) */
    float p_tok;   /* probability of the chosen token (of the word end, for a merged end token) */
} pick_info;

/* Choose the next token. hard[v] != 0: never. end_tok >= 0: that token stands for "the word ends here"
 * with the weight of every word-ending token (which are then not chosen as themselves). pi (may be
 * NULL) gets the model's view of the choice. Repetition and avoid-copying apply; their bans are soft
 * (lifted if nothing else would remain). Returns -1 if everything is banned. */
static int choose(serce_gen *g, unsigned char *hard, int end_tok, pick_info *pi) {
    int V = g->V;
    const float *z = g->z;
    float *zz = g->zz;
    float mx = 0.0f, tot = 1.0f;
    memcpy(zz, z, sizeof(float) * (size_t)V);
    if (pi || end_tok >= 0) {
        float me = -3.0e38f;
        mx = -3.0e38f;
        for (int v = SERCE_NSPECIAL; v < V; v++) mx = z[v] > mx ? z[v] : mx;
        mx = z[SERCE_TOK_EOS] > mx ? z[SERCE_TOK_EOS] : mx;
        tot = serce_expf(z[SERCE_TOK_EOS] - mx);
        float sep = tot;
        me = z[SERCE_TOK_EOS];
        for (int v = SERCE_NSPECIAL; v < V; v++) {
            float e = serce_expf(z[v] - mx);
            tot += e;
            if (ENDS_WORD(g->cls[v])) {
                sep += e;
                me = z[v] > me ? z[v] : me;
            }
        }
        if (pi) pi->p_end = sep / tot;
        if (end_tok >= 0) {
            float T = g->o.temperature, merged = me;
            if (T > 0.0f) {
                float inv = 1.0f / T, s = serce_expf((z[SERCE_TOK_EOS] - me) * inv);
                for (int v = SERCE_NSPECIAL; v < V; v++)
                    if (ENDS_WORD(g->cls[v])) s += serce_expf((z[v] - me) * inv);
                merged = me + T * serce_logf(s);
            }
            hard[SERCE_TOK_EOS] = 1;
            for (int v = SERCE_NSPECIAL; v < V; v++)
                if (ENDS_WORD(g->cls[v]) && v != end_tok) hard[v] = 1;
            zz[end_tok] = merged;
        }
    }
    int any = 0;
    for (int v = 0; v < V; v++) any |= !hard[v];
    if (!any) return -1;
    if (g->controls) {
        memset(g->soft, 0, (size_t)V);
        int nsoft = 0;
        if (g->o.repetition_penalty > 1.0f || g->o.no_repeat_ngram > 0) {
            repeat_lengths(g);
            for (int v = 0; v < V; v++) {
                if (hard[v] || v < SERCE_NSPECIAL) continue;
                int r = g->rep[g->fold_tok[v]];
                if (r < 0) continue;
                int len = r + 1;
                if (g->o.no_repeat_ngram > 0 && len >= g->o.no_repeat_ngram) g->soft[v] = 1;
                if (g->o.repetition_penalty > 1.0f && len >= g->o.repetition_min)
                    zz[v] -= g->ln_rep * (float)(len - g->o.repetition_min + 1);
            }
        }
        if (g->ix) {
            serce_originality_info info;
            serce_originality_get_info(g->ix, &info);
            int n = info.n;
            /* a copy in progress: the song's last n characters are an indexed n-gram. Then a character
             * that makes the next window indexed too would make a copied span (SERCE_ORIG_MIN_RUN = 2
             * windows, n + 1 characters): it is refused. Requiring both windows squares the filter's
             * false-positive rate, so a refusal is almost always a real copy. */
            uint32_t *cw = g->win + n;
            if (copy_window(g, n) && serce_originality_contains(g->ix, g->win)) {
                uint32_t last = g->win[n - 1];
                memcpy(cw, g->win + 1, sizeof(uint32_t) * (size_t)(n - 1));
                /* only characters that could be drawn (probability within e^-12 of the best one still
                 * allowed, at this temperature) are looked up; when a refusal removes the best, the
                 * reach moves down with the new best and the lookups go on */
                float reach = 12.0f * g->o.temperature;
                for (int refused = 1; refused;) {
                    refused = 0;
                    float top = -3.0e38f;
                    for (int v = 0; v < V; v++)
                        if (!hard[v] && !g->soft[v] && zz[v] > top) top = zz[v];
                    for (int v = SERCE_TOK_EOS; v < V; v++) { /* </s> and <t> end a window like a line break */
                        if (hard[v] || g->soft[v] || zz[v] < top - reach) continue;
                        uint32_t c = g->onorm[v];
                        if (!c || (c == ' ' && last == ' ')) continue;
                        cw[n - 1] = c;
                        if (serce_originality_contains(g->ix, cw)) {
                            g->soft[v] = 1;
                            g->st.copy_bans++;
                            refused = 1;
                        }
                    }
                }
            }
        }
        for (int v = 0; v < V; v++) nsoft += !hard[v] && !g->soft[v];
        if (nsoft > 0) {
            for (int v = 0; v < V; v++) hard[v] |= g->soft[v];
        } else {
            int some = 0;
            for (int v = 0; v < V; v++) some |= g->soft[v];
            if (some) g->st.bans_lifted++;
        }
    }
    int t = serce_sample(zz, V, hard, g->o.temperature, g->o.top_k, g->o.top_p, &g->rng, g->scratch);
    if (pi) pi->p_tok = t == end_tok ? pi->p_end : serce_expf(z[t] - mx) / tot;
    return t;
}

/* ---------------------------------------------------------------- start */

static void song_reset(serce_gen *g) {
    g->nhist = 0;
    g->sec = g->sec_line = g->song_line = g->title_len = 0;
    g->nblk = 0;
    g->blk_lines = 0;
    g->nlh = 0;
    g->nchorus = 0;
    g->chorus_done = 0;
    memset(&g->lc, 0, sizeof g->lc);
    g->lc.durak_p = 1.0f;
}

static int blk_add(serce_gen *g, const int32_t *toks, int n);
static int lh_add(serce_gen *g, const int32_t *toks, int n);
static void ctr_add(serce_gen *g, int tok);
static void advance_line(serce_gen *g, int *stanza_end);

int serce_gen_start(serce_gen *g, const char *prime, size_t n, serce_error *err) {
    int32_t *toks = NULL;
    size_t nt = 0;
    int rc = serce_encode_prime(&g->m->vocab, prime ? prime : "", prime ? n : 0, &toks, &nt, err);
    if (rc) return rc;
    serce_buf pend = {0};
    g->rng = serce_rng_seed(g->o.seed);
    g->chars = 0, g->songs_done = 0, g->done = 0, g->in_title = 1;
    g->qhead = g->qlen = 0;
    g->songs_made = 0;
    memset(&g->st, 0, sizeof g->st);
    int ext = g->song_mode || g->controls;
    if (ext) song_reset(g);
    serce_infer_reset(g->inf);
    serce_infer_step(g->inf, SERCE_TOK_BOS);
    for (size_t i = 0; i < nt && !rc; i++) {
        /* a newline in the prime ends the title line, as <t> does in training */
        int t = toks[i];
        if (t < SERCE_NSPECIAL) continue;
        if (g->in_title && g->m->vocab.cps[t] == '\n') {
            t = SERCE_TOK_TITLE;
            g->in_title = 0;
            if (i + 1 < nt && g->m->vocab.cps[toks[i + 1]] == '\n') i++; /* "\n\n" is one title end */
        } else if (g->song_mode && !g->in_title && t == g->nl) {
            /* a prime line in song mode: it takes its place in the form (empty lines are dropped) */
            if (g->lc.ntok == 0) continue;
            int stanza_end = 0;
            if (blk_add(g, g->line, g->lc.ntok) || lh_add(g, g->line, g->lc.ntok)) rc = SERCE_ERR_NOMEM;
            advance_line(g, &stanza_end);
            memset(&g->lc, 0, sizeof g->lc);
            g->lc.durak_p = 1.0f;
            if (!rc) rc = render(&g->m->vocab, t, &pend);
            if (!rc && stanza_end) rc = serce_buf_append(&pend, "\n", 1);
            serce_infer_step(g->inf, t);
            if (!rc) rc = hist_push(g, t);
            continue;
        }
        if (!rc) rc = render(&g->m->vocab, t, &pend);
        serce_infer_step(g->inf, t);
        if (ext && !rc) rc = hist_push(g, t);
        if (g->song_mode && !g->in_title && t != SERCE_TOK_TITLE && !rc) {
            if (g->lc.ntok >= LINE_MAX_TOKS - 8) rc = serce_fail(err, SERCE_ERR_ARG, "the prime's last line is too long");
            else ctr_add(g, t);
        }
        if (g->song_mode && g->in_title) g->title_len++;
    }
    serce_free(toks);
    if (rc) {
        serce_buf_free(&pend);
        return rc == SERCE_ERR_NOMEM ? serce_fail(err, SERCE_ERR_NOMEM, "out of memory for the prime") : rc;
    }
    if (ext) memcpy(g->z, serce_infer_logits(g->inf), sizeof(float) * (size_t)g->V);
    g->phase = g->in_title ? PH_TITLE : PH_BODY;
    serce_free(g->pending);
    g->pending = (char *)pend.data;
    g->npending = pend.len;
    return SERCE_OK;
}

/* ---------------------------------------------------------------- song mode: lines */

/* update the line counters for a token appended to the line */
static void ctr_add(serce_gen *g, int tok) {
    line_ctr *c = &g->lc;
    g->line[c->ntok++] = tok;
    switch (g->cls[tok]) {
    case CL_VOWEL:
        c->count++;
        c->letters++;
        c->in_word = 1;
        c->coda = 0;
        break;
    case CL_CONS:
    case CL_FOREIGN:
        c->letters++;
        c->coda++; /* only read after a vowel of the current word, where it is the coda */
        c->in_word = 1;
        break;
    case CL_APOS:
        break;
    default:
        c->in_word = 0;
        c->coda = 0;
        c->durak_open = 0;
        break;
    }
}

static void spec_for_line(serce_gen *g, int idx, line_spec *sp) {
    memset(sp, 0, sizeof *sp);
    if (g->metre.n > 0) {
        const serce_metre_line *ml = &g->metre.line[idx % g->metre.n];
        sp->target = ml->total;
        sp->nseg = ml->nseg;
        int acc = 0;
        for (int i = 0; i < ml->nseg; i++) sp->seg_end[i] = acc += ml->seg[i];
    }
    int a = serce_rhyme_anchor(&g->scheme, idx);
    if (a >= 0) {
        int rel = a % g->scheme.n;
        if (rel < g->blk_lines) {
            sp->anchor = g->blk + g->blk_off[rel];
            sp->nanchor = g->blk_off[rel + 1] - g->blk_off[rel];
        }
    }
    if (sp->anchor) {
        /* the anchor's rime: last vowel (folded) and the consonant letters after it */
        int i = (int)sp->nanchor - 1, ntc = 0;
        uint32_t rev[8];
        while (i >= 0 && !serce_tr_is_vowel(sp->anchor[i])) {
            if (serce_tr_is_letter(sp->anchor[i])) {
                if (ntc < 8) rev[ntc] = serce_tr_fold(sp->anchor[i]);
                ntc++;
            }
            i--;
        }
        if (i >= 0 && ntc <= CODA_MAX) {
            sp->can_steer = 1;
            sp->tv = serce_tr_fold(sp->anchor[i]);
            sp->ntc = ntc;
            for (int t = 0; t < ntc; t++) sp->tc[t] = rev[ntc - 1 - t];
        }
    }
}

static uint64_t line_hash(serce_gen *g, const int32_t *toks, int n, int *letters) {
    uint64_t h = 0xCBF29CE484222325ULL;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int c = g->cls[toks[i]];
        if (c == CL_VOWEL || c == CL_CONS || c == CL_FOREIGN) {
            h ^= g->fold[toks[i]];
            h *= 0x100000001B3ULL;
            k++;
        }
    }
    if (letters) *letters = k;
    return h;
}

static int lh_add(serce_gen *g, const int32_t *toks, int n) {
    if (grow((void **)&g->lh, &g->clh, g->nlh + 1, sizeof *g->lh)) return SERCE_ERR_NOMEM;
    g->lh[g->nlh++] = line_hash(g, toks, n, NULL);
    return SERCE_OK;
}

static int blk_add(serce_gen *g, const int32_t *toks, int n) {
    int bl = g->scheme.n > 0 ? g->scheme.n : 1;
    if (g->blk_lines >= bl) g->blk_lines = 0, g->nblk = 0;
    if (grow((void **)&g->blk, &g->cblk, g->nblk + (size_t)n + 1, sizeof *g->blk)) return SERCE_ERR_NOMEM;
    g->blk_off[g->blk_lines] = g->nblk;
    for (int i = 0; i < n; i++) g->blk[g->nblk++] = g->m->vocab.cps[toks[i]];
    g->blk_lines++;
    g->blk_off[g->blk_lines] = g->nblk;
    return SERCE_OK;
}

/* the line (sec_line / song_line) is complete: move on; *stanza_end = 1 when a section ended */
static void advance_line(serce_gen *g, int *stanza_end) {
    *stanza_end = 0;
    g->song_line++;
    if (g->form.n > 0) {
        g->sec_line++;
        if (g->sec < g->form.n && g->sec_line >= g->form.s[g->sec].lines) {
            if (g->form.s[g->sec].kind == SERCE_SECTION_CHORUS) g->chorus_done = 1;
            g->sec++;
            g->sec_line = 0;
            g->blk_lines = 0;
            g->nblk = 0;
            *stanza_end = 1;
        }
    }
    /* the rhyme block restarts every scheme-length lines of a section (blk_add handles the wrap) */
    int idx = g->form.n > 0 ? g->sec_line : g->song_line;
    if (g->scheme.n > 0 && idx % g->scheme.n == 0) g->blk_lines = 0, g->nblk = 0;
}

static int tok_is_letter(const serce_gen *g, int t) {
    int c = g->cls[t];
    return c == CL_VOWEL || c == CL_CONS || c == CL_FOREIGN;
}

/* The model's probability (temperature 1) that the word ends after the current input: the weight of
 * the word-ending tokens (separators, '\n', </s>) among all a body can hold. Fixed order, own exp. */
static float word_end_prob(const serce_gen *g) {
    const float *z = g->z;
    float mx = z[SERCE_TOK_EOS];
    for (int v = SERCE_NSPECIAL; v < g->V; v++) mx = z[v] > mx ? z[v] : mx;
    float tot = serce_expf(z[SERCE_TOK_EOS] - mx), sep = tot;
    for (int v = SERCE_NSPECIAL; v < g->V; v++) {
        float e = serce_expf(z[v] - mx);
        tot += e;
        if (ENDS_WORD(g->cls[v])) sep += e;
    }
    return sep / tot;
}

/* Build the hard bans for the next character of a line; returns the end token to merge into (or -1).
 * Where a word must end (the count reached, or a durak), it may end only where the model gives the
 * word end at least word_end_min; otherwise only consonants may follow, and when none may either the
 * candidate is a dead end (the search restarts it at an earlier word). */
static int line_bans(serce_gen *g, const line_spec *sp, int steer) {
    const line_ctr *c = &g->lc;
    int V = g->V, end_tok = -1;
    unsigned char *b = g->banned;
    memset(b, 0, (size_t)V);
    b[SERCE_TOK_UNK] = b[SERCE_TOK_BOS] = b[SERCE_TOK_TITLE] = 1;
    if (c->letters == 0) { /* a line starts with a letter */
        b[SERCE_TOK_EOS] = 1;
        for (int v = SERCE_NSPECIAL; v < V; v++) {
            int k = g->cls[v];
            b[v] = !(k == CL_VOWEL || k == CL_CONS || (sp->target == 0 && k == CL_FOREIGN));
        }
        return -1;
    }
    if (sp->target == 0) { /* a free line: the model ends it ('\n', or </s> where the song may end) */
        b[SERCE_TOK_EOS] = !sp->song_end_ok;
        return -1;
    }
    int rem = sp->target - c->count;
    b[SERCE_TOK_EOS] = 1;
    b[g->nl] = 1;
    int may_end = 1;
    if (rem == 0 || (c->durak_open && c->in_word)) may_end = word_end_prob(g) >= sp->tau;
    if (rem > 0) {
        for (int v = SERCE_NSPECIAL; v < V; v++) {
            int k = g->cls[v];
            if (k == CL_DIGIT || k == CL_FOREIGN || k == CL_NL) b[v] = 1;
            else if (k == CL_APOS) b[v] = !c->in_word || c->durak_open;
            else if (k == CL_VOWEL) {
                if (c->durak_open) b[v] = 1;
                else if (steer && rem == 1 && g->fold[v] != sp->tv) b[v] = 1;
            } else if (k == CL_CONS) {
                int prev = c->ntok > 0 ? g->line[c->ntok - 1] : -1;
                b[v] = c->durak_open && (c->coda >= CODA_MAX || (prev >= 0 && g->fold[prev] == g->fold[v]));
            } else if (k == CL_SEP && c->durak_open && c->in_word && !may_end) {
                b[v] = 1;
            }
        }
        return -1;
    }
    /* the count is reached: the word ends with consonants or here */
    for (int v = SERCE_NSPECIAL; v < V; v++) {
        int k = g->cls[v];
        if (k == CL_CONS) {
            /* at most CODA_MAX consonants, not the same one twice (no Turkish word ends in "dd") */
            int prev = c->ntok > 0 ? g->line[c->ntok - 1] : -1;
            int ok = c->coda < CODA_MAX && !(prev >= 0 && g->fold[prev] == g->fold[v]);
            if (steer) ok = c->coda < sp->ntc && g->fold[v] == sp->tc[c->coda];
            b[v] = !ok;
        } else if (v == g->nl) {
            b[v] = !may_end || (steer && c->coda != sp->ntc);
            if (!b[v]) end_tok = v;
        } else if (!ENDS_WORD(k)) {
            b[v] = 1;
        }
        /* other word-ending tokens stay allowed here: choose() merges them into end_tok */
    }
    if (end_tok < 0) /* no end allowed: word-ending tokens must not be chosen as themselves either */
        for (int v = SERCE_NSPECIAL; v < V; v++)
            if (ENDS_WORD(g->cls[v])) b[v] = 1;
    return end_tok;
}

/* Run one candidate from the current state (a checkpoint restored) to its end. Returns 1 when the line
 * ended, 0 at a dead end, -1 out of memory. record: save the state at each word start into ck_words
 * (the oldest dropped when full; [0], the line start, is kept). */
static int run_attempt(serce_gen *g, const line_spec *sp, int steer, int record, ckpt *from, attempt *res) {
    memset(res, 0, sizeof *res);
    for (int step = 0;; step++) {
        line_ctr *c = &g->lc;
        if (c->ntok >= LINE_MAX_TOKS) return 0;
        int end_tok = line_bans(g, sp, steer);
        if (step == 0 && from && from->ntabu) { /* avoid the first tokens tried from here before, if possible */
            int left = 0;
            for (int v = 0; v < g->V; v++) left += !g->banned[v];
            int tabooed = 0;
            for (int i = 0; i < from->ntabu; i++) tabooed += !g->banned[from->tabu[i]] && from->tabu[i] != end_tok;
            if (tabooed < left)
                for (int i = 0; i < from->ntabu; i++)
                    if (from->tabu[i] != end_tok) g->banned[from->tabu[i]] = 1;
        }
        int metered = sp->target > 0;
        pick_info pi;
        int t = choose(g, g->banned, end_tok, &pi);
        if (t < 0) return 0;
        if (step == 0 && from && from->ntabu < TABU_MAX) from->tabu[from->ntabu++] = t;
        c->lp_sum += serce_logf(pi.p_tok > 1e-30f ? pi.p_tok : 1e-30f);
        c->lp_n++;
        if (metered && end_tok >= 0 && t == end_tok) {
            res->p_end = pi.p_end;
            res->term = g->nl;
            return 1;
        }
        if (!metered && c->letters > 0 && (t == g->nl || t == SERCE_TOK_EOS)) {
            res->p_end = 1.0f;
            res->term = t;
            return 1;
        }
        if (metered && c->durak_open && c->in_word && ENDS_WORD(g->cls[t]))
            c->durak_p = pi.p_end < c->durak_p ? pi.p_end : c->durak_p;
        if (!c->in_word && tok_is_letter(g, t)) c->wmin = 1.0f;
        if (pi.p_tok < c->wmin) c->wmin = pi.p_tok;
        if (record && c->ntok > 0 && !c->in_word && tok_is_letter(g, t)) {
            if (g->nwck == WORD_CKPTS) { /* rotate: drop [1], the oldest word start */
                ckpt old = g->ck_words[1];
                memmove(&g->ck_words[1], &g->ck_words[2], sizeof(ckpt) * (WORD_CKPTS - 2));
                g->ck_words[WORD_CKPTS - 1] = old;
                g->nwck--;
            }
            g->ck_words[g->nwck].ntabu = 0;
            ck_save(g, &g->ck_words[g->nwck++]);
        }
        if (feed(g, t)) return -1;
        ctr_add(g, t);
        /* a durak count reached at a vowel: that word must end before the next vowel */
        if (metered && g->cls[t] == CL_VOWEL && c->seg < sp->nseg - 1 && c->count == sp->seg_end[c->seg]) {
            c->durak_open = 1;
            c->seg++;
        }
    }
}

/* A strong rhyme (what the search prefers; the report counts any rhyme): two or more letters in
 * common, and if the lines end in the same word (redif), a vowel in common before it (kafiye), so
 * "sevdim ben / gördüm ben" is weak but "sevdim ben / verdim ben" is strong. */
static int rhyme_strong(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int common) {
    if (common < 2) return 0;
    uint32_t la[LINE_MAX_TOKS], lb[LINE_MAX_TOKS];
    size_t ka = serce_rhyme_letters(a, na, la), kb = serce_rhyme_letters(b, nb, lb);
    size_t ea = na, eb = nb;
    while (ea > 0 && !serce_tr_is_letter(a[ea - 1])) ea--;
    while (eb > 0 && !serce_tr_is_letter(b[eb - 1])) eb--;
    size_t wa = 0, wb = 0; /* letters in the last word */
    while (ea > 0 && (serce_tr_is_letter(a[ea - 1]) || a[ea - 1] == '\'' || a[ea - 1] == 0x2019)) wa += serce_tr_is_letter(a[--ea]);
    while (eb > 0 && (serce_tr_is_letter(b[eb - 1]) || b[eb - 1] == '\'' || b[eb - 1] == 0x2019)) wb += serce_tr_is_letter(b[--eb]);
    if (wa != wb || (size_t)common < wa) return 1; /* different last words */
    for (size_t i = wa; i < (size_t)common && i < ka && i < kb; i++)
        if (serce_tr_is_vowel(la[ka - 1 - i])) return 1;
    return 0;
}

static void evaluate(serce_gen *g, const line_spec *sp, attempt *a) {
    const line_ctr *c = &g->lc;
    float tau = g->o.word_end_min;
    a->complete = 1;
    a->words_ok = sp->target == 0 || (c->count == sp->target && a->p_end >= tau && c->durak_p >= tau &&
                                      c->ntok > 0 && tok_is_letter(g, g->line[c->ntok - 1]));
    uint32_t cps[LINE_MAX_TOKS];
    for (int i = 0; i < c->ntok; i++) cps[i] = g->m->vocab.cps[g->line[i]];
    a->common = 0;
    a->rhyme_ok = sp->anchor ? serce_rhyme_check(cps, (size_t)c->ntok, sp->anchor, sp->nanchor, &a->common) : 1;
    int letters;
    uint64_t h = line_hash(g, g->line, c->ntok, &letters);
    a->fresh = 1;
    for (size_t i = 0; i < g->nlh; i++)
        if (g->lh[i] == h) a->fresh = 0;
    a->strong = !sp->anchor || (a->rhyme_ok && rhyme_strong(cps, (size_t)c->ntok, sp->anchor, sp->nanchor, a->common));
    a->natural = c->wmin >= WORD_P_MIN;
    a->lp = c->lp_n ? c->lp_sum / (float)c->lp_n : 0.0f;
}

/* meets every rule (the search stops after SEARCH_KEEP of these) */
static int qualifies(const attempt *a) {
    return a->complete && a->words_ok && a->rhyme_ok && a->fresh && a->strong && a->natural;
}

static int better(const attempt *a, const attempt *b) {
    if (a->complete != b->complete) return a->complete > b->complete;
    if (a->words_ok != b->words_ok) return a->words_ok > b->words_ok;
    if (a->rhyme_ok != b->rhyme_ok) return a->rhyme_ok > b->rhyme_ok;
    if (a->fresh != b->fresh) return a->fresh > b->fresh;
    if (a->strong != b->strong) return a->strong > b->strong;
    if (a->natural != b->natural) return a->natural > b->natural;
    return a->lp > b->lp;
}

/* keep a if it beats the best so far; returns 1 if it did */
static int keep_best(serce_gen *g, const attempt *a) {
    if (g->have_best && !better(a, &g->best)) return 0;
    g->best = *a;
    g->have_best = 1;
    ck_save(g, &g->ck_best);
    memcpy(g->best_line, g->line, sizeof(int32_t) * (size_t)g->lc.ntok);
    return 1;
}

/* Search for the line: whole candidates from the line start, each followed by new endings from the
 * start of its last word, until SEARCH_KEEP candidates meet every rule or the attempt budget is spent;
 * the best (rules first, then the model's mean log-likelihood) is kept: state, tokens, history.
 * Returns SERCE_OK; *out describes the kept line. */
static int search_line(serce_gen *g, const line_spec *sp0, attempt *out) {
    int budget = g->o.attempts, a = 0, found = 0, last_is_best = 0;
    line_spec sp = *sp0;
    sp.tau = g->o.word_end_min;
    g->have_best = 0;
    ck_save(g, &g->ck_line);
    g->ck_words[0].ntabu = 0;
    /* the budget, extended up to EXTEND_BUDGET times while no candidate has even completed */
#define SEARCH_GOES_ON (found < SEARCH_KEEP && (a < budget || (a < EXTEND_BUDGET * budget && !(g->have_best && g->best.complete))))
    while (SEARCH_GOES_ON) {
        for (int e = 0; e < ENDING_TRIES && SEARCH_GOES_ON; e++) {
            /* rhyme steering (the last vowel and the consonants after it forced to the anchor's) on
             * two candidates in three; the others let the model find its own rhyme */
            int steer = sp.anchor && sp.can_steer && sp.target > 0 && (a % 3 != 0);
            ckpt *from;
            if (e == 0) {
                ck_restore(g, &g->ck_line);
                ck_save(g, &g->ck_words[0]); /* keeps its tabu: the line start is the same every round */
                g->nwck = 1;
                from = &g->ck_words[0];
            } else {
                /* endings 1-2 restart at the last word, 3-4 at the one before, ... */
                int back = (e + 1) / 2, at = g->nwck - back;
                from = &g->ck_words[at > 0 ? at : 0];
                ck_restore(g, from);
            }
            attempt r;
            int ok = run_attempt(g, &sp, steer, e == 0, from, &r);
            if (ok < 0) return SERCE_ERR_NOMEM;
            a++;
            g->st.attempts++;
            if (ok) evaluate(g, &sp, &r);
            else memset(&r, 0, sizeof r);
            last_is_best = keep_best(g, &r);
            found += qualifies(&r);
        }
    }
    /* nothing complete (every candidate met a dead end): rescue with the word-end rule relaxed, which
     * always completes; the report then says the line missed its rule */
    for (int i = 0; i < 4 && !(g->have_best && g->best.complete); i++) {
        line_spec rs = sp;
        rs.tau = 0.0f;
        ck_restore(g, &g->ck_line);
        attempt r;
        int ok = run_attempt(g, &rs, 0, 0, NULL, &r);
        if (ok < 0) return SERCE_ERR_NOMEM;
        g->st.attempts++;
        if (ok) evaluate(g, &sp, &r);
        else memset(&r, 0, sizeof r);
        last_is_best = keep_best(g, &r);
    }
    if (!last_is_best) {
        /* return to the best candidate: its end state, its tokens, and the history rebuilt */
        line_ctr bc = g->ck_best.c;
        size_t base = g->ck_line.c.nhist, start = (size_t)g->ck_line.c.ntok;
        ck_restore(g, &g->ck_best);
        memcpy(g->line, g->best_line, sizeof(int32_t) * (size_t)bc.ntok);
        g->nhist = base;
        for (int i = (int)start; i < bc.ntok; i++)
            if (hist_push(g, g->line[i])) return SERCE_ERR_NOMEM;
        g->lc = bc;
        g->lc.nhist = g->nhist;
    }
    *out = g->best;
    return SERCE_OK;
}

/* ---------------------------------------------------------------- song mode: the queue and the song */

static int enqueue(serce_gen *g, int32_t tok) {
    if (g->qhead > 0 && g->qhead == g->qlen) g->qhead = g->qlen = 0;
    if (grow((void **)&g->q, &g->qcap, g->qlen + 1, sizeof *g->q)) return SERCE_ERR_NOMEM;
    g->q[g->qlen++] = tok;
    return SERCE_OK;
}

static int chorus_add(serce_gen *g, const int32_t *toks, int n) {
    if (grow((void **)&g->chorus, &g->cchorus, g->nchorus + (size_t)n + 1, sizeof *g->chorus)) return SERCE_ERR_NOMEM;
    memcpy(g->chorus + g->nchorus, toks, sizeof(int32_t) * (size_t)n);
    g->nchorus += (size_t)n;
    g->chorus[g->nchorus++] = -1;
    return SERCE_OK;
}

/* end the song: queue </s> and decide whether another follows */
static int end_song(serce_gen *g) {
    if (enqueue(g, SERCE_TOK_EOS)) return SERCE_ERR_NOMEM;
    g->songs_made++;
    g->phase = (g->o.songs > 0 && g->songs_made >= g->o.songs) ? PH_DONE : PH_START;
    return SERCE_OK;
}

/* after a line: '\n' (fed; marked as a stanza end when a section ended) or, after the form, </s> */
static int line_end(serce_gen *g, int term) {
    int stanza_end = 0;
    advance_line(g, &stanza_end);
    memset(&g->lc, 0, sizeof g->lc);
    g->lc.durak_p = 1.0f;
    if (term == SERCE_TOK_EOS || (g->form.n > 0 && g->sec >= g->form.n) ||
        (g->form.n == 0 && g->song_line >= SONG_MAX_LINES))
        return end_song(g);
    if (feed(g, g->nl)) return SERCE_ERR_NOMEM;
    return enqueue(g, g->nl | (stanza_end ? QFLAG_STANZA : 0));
}

static int body_line(serce_gen *g) {
    if (g->form.n > 0 && g->sec >= g->form.n) return end_song(g); /* the prime filled the form */
    int in_chorus = g->form.n > 0 && g->form.s[g->sec].kind == SERCE_SECTION_CHORUS;
    if (in_chorus && g->chorus_done && g->sec_line == 0) {
        /* a repeated chorus: the same lines, fed to the model so its state follows the text */
        int term = 0;
        for (size_t i = 0; i < g->nchorus && !term; i++) {
            int32_t t = g->chorus[i];
            if (t >= 0) {
                if (feed(g, t) || enqueue(g, t)) return SERCE_ERR_NOMEM;
                continue;
            }
            int stanza_end = 0;
            advance_line(g, &stanza_end);
            if (g->sec >= g->form.n) return end_song(g);
            if (feed(g, g->nl) || enqueue(g, g->nl | (stanza_end ? QFLAG_STANZA : 0))) return SERCE_ERR_NOMEM;
            if (stanza_end) term = 1;
        }
        return SERCE_OK;
    }
    int idx = g->form.n > 0 ? g->sec_line : g->song_line;
    line_spec sp;
    spec_for_line(g, idx, &sp);
    sp.song_end_ok = g->form.n == 0 && g->song_line >= 1;
    attempt a;
    int start = g->lc.ntok; /* tokens of a prime's unfinished line went out with the prime */
    int rc = search_line(g, &sp, &a);
    if (rc) return rc;
    /* the report, from the kept line itself */
    g->st.lines++;
    if (sp.target > 0) {
        g->st.metre_lines++;
        g->st.metre_met += a.complete && a.words_ok;
    }
    if (sp.anchor) {
        g->st.rhymes_required++;
        g->st.rhymes_met += a.complete && a.rhyme_ok;
    }
    int n = g->lc.ntok;
    for (int i = start; i < n; i++)
        if (enqueue(g, g->line[i])) return SERCE_ERR_NOMEM;
    if (blk_add(g, g->line, n) || lh_add(g, g->line, n)) return SERCE_ERR_NOMEM;
    if (in_chorus && chorus_add(g, g->line, n)) return SERCE_ERR_NOMEM;
    int term = a.term;
    if (g->form.n == 0 && sp.target > 0 && a.complete) {
        /* a metered line without a form: the model decides between the next line and the song end */
        float mx = g->z[g->nl] > g->z[SERCE_TOK_EOS] ? g->z[g->nl] : g->z[SERCE_TOK_EOS];
        float pn = serce_expf(g->z[g->nl] - mx), pe = serce_expf(g->z[SERCE_TOK_EOS] - mx);
        term = (sp.song_end_ok && serce_rng_uniform(&g->rng) * (pn + pe) >= pn) ? SERCE_TOK_EOS : g->nl;
    }
    if (!a.complete) term = g->nl;
    return line_end(g, term);
}

static int title_char(serce_gen *g) {
    unsigned char *b = g->banned;
    memset(b, 0, (size_t)g->V);
    b[SERCE_TOK_UNK] = b[SERCE_TOK_BOS] = b[SERCE_TOK_EOS] = 1;
    b[g->nl] = 1;
    int t = g->title_len >= TITLE_MAX_TOKS ? -1 : choose(g, b, -1, NULL);
    if (t < 0) t = SERCE_TOK_TITLE;
    if (feed(g, t) || enqueue(g, t)) return SERCE_ERR_NOMEM;
    g->title_len++;
    if (t == SERCE_TOK_TITLE) g->phase = PH_BODY;
    return SERCE_OK;
}

/* produce the next piece of the song into the queue */
static int produce(serce_gen *g) {
    switch (g->phase) {
    case PH_START:
        song_reset(g);
        if (feed(g, SERCE_TOK_BOS)) return SERCE_ERR_NOMEM;
        g->phase = PH_TITLE;
        return SERCE_OK;
    case PH_TITLE:
        return title_char(g);
    case PH_BODY:
        return body_line(g);
    default:
        return SERCE_OK;
    }
}

/* ---------------------------------------------------------------- step */

int serce_gen_step(serce_gen *g, int max_chars, serce_buf *out, int *done, serce_error *err) {
    *done = g->done;
    if (g->npending) {
        if (serce_buf_append(out, g->pending, g->npending)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
        g->npending = 0;
    }
    int V = g->m->cfg.vocab;
    if (g->song_mode) {
        for (int i = 0; i < max_chars && !g->done; i++) {
            while (g->qhead == g->qlen && g->phase != PH_DONE)
                if (produce(g)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
            if (g->qhead == g->qlen) {
                g->done = 1;
                break;
            }
            int32_t e = g->q[g->qhead++];
            int tok = e & ~QFLAG_STANZA;
            if (render(&g->m->vocab, tok, out) || ((e & QFLAG_STANZA) && serce_buf_append(out, "\n", 1)))
                return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
            g->chars++;
            if (tok == SERCE_TOK_TITLE) g->in_title = 0;
            if (tok == SERCE_TOK_EOS) {
                g->songs_done++;
                if (g->o.songs > 0 && g->songs_done >= g->o.songs) g->done = 1;
                else if (serce_buf_append(out, "\n", 1)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
                g->in_title = 1;
            }
            if (g->o.length > 0 && g->chars >= g->o.length) g->done = 1;
        }
        *done = g->done;
        return SERCE_OK;
    }
    for (int i = 0; i < max_chars && !g->done; i++) {
        memset(g->banned, 0, (size_t)V);
        g->banned[SERCE_TOK_UNK] = g->banned[SERCE_TOK_BOS] = 1;
        if (!g->in_title) g->banned[SERCE_TOK_TITLE] = 1;
        int tok;
        if (g->controls) {
            memcpy(g->z, serce_infer_logits(g->inf), sizeof(float) * (size_t)V);
            tok = choose(g, g->banned, -1, NULL);
            if (tok < 0) tok = SERCE_TOK_EOS;
        } else {
            tok = serce_sample(serce_infer_logits(g->inf), V, g->banned, g->o.temperature, g->o.top_k, g->o.top_p,
                               &g->rng, g->scratch);
        }
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
        if (!g->done) {
            serce_infer_step(g->inf, tok);
            if (g->controls) {
                if (tok == SERCE_TOK_BOS) g->nhist = 0;
                else if (hist_push(g, tok)) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
            }
        }
    }
    *done = g->done;
    return SERCE_OK;
}

long serce_gen_chars(const serce_gen *g) { return g->chars; }
const serce_infer *serce_gen_infer(const serce_gen *g) { return g->inf; }
int serce_gen_set_threads(serce_gen *g, int threads) { return serce_infer_set_threads(g->inf, threads); }
int serce_gen_songs_done(const serce_gen *g) { return g->songs_done; }
int serce_gen_in_title(const serce_gen *g) { return g->in_title; }

void serce_gen_get_stats(const serce_gen *g, serce_gen_stats *s) { *s = g->st; }

int serce_gen_stats_json(const serce_gen *g, serce_buf *b) {
    const serce_gen_stats *s = &g->st;
    return serce_buf_printf(b,
                            "{\"lines\":%d,\"metre_lines\":%d,\"metre_met\":%d,\"rhymes_required\":%d,\"rhymes_met\":%d,"
                            "\"attempts\":%ld,\"copy_bans\":%ld,\"bans_lifted\":%ld}",
                            s->lines, s->metre_lines, s->metre_met, s->rhymes_required, s->rhymes_met, s->attempts,
                            s->copy_bans, s->bans_lifted);
}
