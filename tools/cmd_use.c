/* cmd_use.c — the commands that use a trained model: sample, eval, info, export. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "lyric.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- sample */

/* copy a string option into a fixed field of serce_gen_opts */
static int set_str(char *dst, size_t cap, const char *src, const char *flag) {
    if (!src) return 0;
    if (strlen(src) >= cap) return cli_errorf("sample: %s is longer than %zu bytes", flag, cap - 1), 2;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* The originality index: the model's, or one built now from --corpus. NULL (after printing why) if neither. */
static serce_originality *load_index(const serce_model *m, const char *corpus) {
    serce_error e = {0};
    serce_originality *ix = NULL;
    if (!corpus) {
        if (serce_originality_from_model(m, &ix, &e)) {
            cli_errorf("%s (or give --corpus CORPUS to build one now)", e.msg);
            return NULL;
        }
        return ix;
    }
    serce_corpus c;
    if (cli_load_corpus(corpus, SERCE_CORPUS_AUTO, 0, &c)) return NULL;
    serce_buf j = {0};
    int rc = serce_originality_build(&c, 0, 0, &j, &e);
    if (!rc) rc = serce_originality_load((const char *)j.data, j.len, &ix, &e);
    serce_buf_free(&j);
    serce_corpus_free(&c);
    if (rc) cli_error(&e);
    return ix;
}

/* After the text: the share of new characters and every line that holds a copied span, the span
 * underlined on a terminal and in [[double brackets]] otherwise. */
static void print_originality(const serce_originality *ix, const serce_buf *text, int tty) {
    serce_span *sp = NULL;
    size_t nsp = 0;
    double nov = 1;
    serce_error e = {0};
    const char *t = text->data ? (const char *)text->data : "";
    if (serce_originality_spans(ix, t, text->len, &sp, &nsp, &nov, &e)) {
        cli_error(&e);
        return;
    }
    serce_originality_info info;
    serce_originality_get_info(ix, &info);
    printf("\noriginality: %.1f%% of the letters are new", 100.0 * nov);
    if (!nsp) {
        printf("; no run of %d or more characters is in the training lyrics\n", info.n + 1);
    } else {
        printf("; %zu span%s copied word for word from the training lyrics (runs of %d or more characters, "
               "case, punctuation and line breaks aside):\n",
               nsp, nsp == 1 ? "" : "s", info.n + 1);
        size_t ls = 0, lineno = 1, s = 0;
        while (ls < text->len) {
            size_t le = ls;
            while (le < text->len && t[le] != '\n') le++;
            while (s < nsp && sp[s].end <= ls) s++;
            if (s < nsp && sp[s].start < le) { /* this line holds (part of) a span */
                printf("  %4zu  ", lineno);
                size_t k = s;
                for (size_t i = ls; i < le; i++) {
                    while (k < nsp && sp[k].end <= i) k++;
                    int in = k < nsp && sp[k].start <= i;
                    int open = in && (i == ls || i == sp[k].start), close = in && (i + 1 == le || i + 1 == sp[k].end);
                    if (open) fputs(tty ? "\033[4m" : "[[", stdout);
                    fputc(t[i], stdout);
                    if (close) fputs(tty ? "\033[24m" : "]]", stdout);
                }
                fputc('\n', stdout);
            }
            ls = le + 1;
            lineno++;
        }
    }
    printf("(index: %d-grams of the training lyrics, false-positive rate %.2g per n-gram)\n", info.n, info.fpr);
    serce_free(sp);
}

int cmd_sample(int argc, char **argv) {
    serce_gen_opts go;
    serce_gen_opts_default(&go);
    const char *prime = "", *form = NULL, *syl = NULL, *rhyme = NULL, *settings = NULL, *corpus = NULL;
    int ref = 0, originality = 0, quiet = 0, threads = 1;
    opt_def d[] = {
        {"--prime", "-p", OPT_STR, &prime, "TEXT", "start the song with this text (its first line is the title line)", 0},
        {"--temperature", "-t", OPT_FLOAT, &go.temperature, "T", "randomness: 0 = always the likeliest character (default 0.8)", 0},
        {"--top-k", NULL, OPT_INT, &go.top_k, "K", "sample only among the K likeliest characters (0 = off, default)", 0},
        {"--top-p", NULL, OPT_FLOAT, &go.top_p, "P", "sample only among the likeliest characters holding P of the probability (default 0.95)", 0},
        {"--seed", "-s", OPT_U64, &go.seed, "S", "random seed; the same seed and settings give the same text (default 1)", 0},
        {"--length", "-n", OPT_LONG, &go.length, "N", "stop after N characters", 0},
        {"--songs", NULL, OPT_INT, &go.songs, "N", "stop after N songs have ended (default 1)", 0},
        {"--form", NULL, OPT_STR, &form, "FORM", "song form, e.g. \"V C V C C\": V/K verse (kıta), C/N chorus (nakarat, repeated verbatim), B bridge; \"V4 C2\" sets line counts", 0},
        {"--lines-per-stanza", NULL, OPT_INT, &go.lines_per_stanza, "N", "lines of a section without its own count (default 4)", 0},
        {"--syllables", NULL, OPT_STR, &syl, "M", "syllables per line (hece ölçüsü): 8, 7,7,7,5 (cycled), 6+5 (durak after the 6th), 4+4+3, 11'li", 0},
        {"--rhyme", NULL, OPT_STR, &rhyme, "SCHEME", "rhyme scheme of each stanza: AABB, ABAB, AAXA (X = free)", 0},
        {"--attempts", NULL, OPT_INT, &go.attempts, "N", "candidate lines tried per line for metre and rhyme (default 40)", 0},
        {"--word-end-min", NULL, OPT_FLOAT, &go.word_end_min, "P", "a metered line ends only where the model gives the word end this probability (default 0.2)", 0},
        {"--repetition-penalty", NULL, OPT_FLOAT, &go.repetition_penalty, "R", "damp characters that continue a repeat of earlier text (1 = off, default; 1.3 is gentle)", 0},
        {"--repetition-min", NULL, OPT_INT, &go.repetition_min, "N", "repeats shorter than N characters are free (default 12)", 0},
        {"--no-repeat-ngram", NULL, OPT_INT, &go.no_repeat_ngram, "N", "never write the same N characters twice in a song (0 = off, default)", 0},
        {"--avoid-copying", NULL, OPT_FLAG, &go.avoid_copying, NULL, "refuse characters that would extend a verbatim copy of the training lyrics (needs the originality index)", 0},
        {"--originality", NULL, OPT_FLAG, &originality, NULL, "after the text, show how much of it is new and the spans copied from the training lyrics", 0},
        {"--corpus", NULL, OPT_STR, &corpus, "FILE", "build the originality index from this corpus instead of the model's", 0},
        {"--settings", NULL, OPT_STR, &settings, "JSON", "settings as the web page gives them, e.g. '{\"form\":\"V C V C\",\"syllables\":8}'; flags override", 0},
        {"--threads", NULL, OPT_INT, &threads, "N", "split each model step over N cores (same text for any N; default 1)", 0},
        {"--quiet", "-q", OPT_FLAG, &quiet, NULL, "no report on stderr", 0},
        {"--ref", NULL, OPT_FLAG, &ref, NULL, "use the plain reference kernels (for testing)", 0},
    };
    const char *pos[1];
    int np;
    const char *about = "Write lyrics with a trained model; text streams to stdout. With --form, --syllables or --rhyme\n"
                        "the song is written line by line under those rules and a report goes to stderr.";
    int r = opts_parse("sample", "MODEL [options]", about, d, N(d), argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1) return cli_errorf("sample: give one MODEL file (see 'serce sample --help')"), 2;
    if (settings) { /* the JSON first, then the flags again on top of it */
        serce_gen_opts js;
        serce_gen_opts_default(&js);
        serce_error e = {0};
        if (serce_gen_opts_from_json(&js, settings, &e)) return cli_error(&e), 2;
        go = js;
        form = syl = rhyme = NULL;
        opts_parse("sample", "MODEL [options]", about, d, N(d), argc, argv, 2, pos, 1, &np);
    }
    if (set_str(go.form, sizeof go.form, form, "--form") || set_str(go.syllables, sizeof go.syllables, syl, "--syllables") ||
        set_str(go.rhyme, sizeof go.rhyme, rhyme, "--rhyme"))
        return 2;
    int song_mode = go.form[0] || go.syllables[0] || go.rhyme[0];
    if (threads < 1 || threads > SERCE_INFER_MAX_THREADS)
        return cli_errorf("sample: --threads must be 1..%d", SERCE_INFER_MAX_THREADS), 2;
    if (opts_given(d, N(d), "--length") && !opts_given(d, N(d), "--songs")) go.songs = 0;
    serce_error e = {0};
    if (serce_gen_opts_check(&go, &e)) return cli_error(&e), 2;
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    serce_originality *ix = NULL;
    if (originality || (go.avoid_copying && corpus)) {
        if (!(ix = load_index(m, corpus))) {
            serce_model_free(m);
            return 1;
        }
        go.originality = ix;
    }
    serce_gen *g = NULL;
    int rc = serce_gen_new(m, ref ? serce_kernels_ref() : NULL, &go, &g, &e);
    if (!rc && threads > 1) serce_gen_set_threads(g, threads);
    if (!rc) rc = serce_gen_start(g, prime, strlen(prime), &e);
    if (rc) {
        serce_gen_free(g);
        serce_originality_free(ix);
        serce_model_free(m);
        return cli_error(&e);
    }
    serce_buf out = {0}, all = {0};
    int done = 0;
    while (!done && !rc) {
        out.len = 0;
        rc = serce_gen_step(g, 64, &out, &done, &e);
        if (out.len) {
            fwrite(out.data, 1, out.len, stdout);
            fflush(stdout);
            if (originality && serce_buf_append(&all, out.data, out.len)) rc = serce_fail(&e, SERCE_ERR_NOMEM, "out of memory");
        }
    }
    if (!rc && out.len && out.data[out.len - 1] != '\n') fputc('\n', stdout);
    fflush(stdout); /* the lyrics before the report on stderr, also when both go to one terminal or file */
    if (!rc && !quiet && song_mode) {
        serce_gen_stats st;
        serce_gen_get_stats(g, &st);
        if (go.rhyme[0])
            fprintf(stderr, "rhyme: %d of %d required rhyme%s met\n", st.rhymes_met, st.rhymes_required,
                    st.rhymes_required == 1 ? "" : "s");
        if (go.syllables[0])
            fprintf(stderr, "metre: %d of %d lines have their syllable count and end at a word end\n", st.metre_met,
                    st.metre_lines);
        fprintf(stderr, "search: %ld candidate lines for %d lines\n", st.attempts, st.lines);
    }
    if (!rc && !quiet && go.avoid_copying) {
        serce_gen_stats st;
        serce_gen_get_stats(g, &st);
        fprintf(stderr, "avoid-copying: %ld characters refused\n", st.copy_bans);
    }
    if (!rc && originality) print_originality(ix, &all, isatty(1));
    serce_buf_free(&out);
    serce_buf_free(&all);
    serce_gen_free(g);
    serce_originality_free(ix);
    serce_model_free(m);
    return rc ? cli_error(&e) : 0;
}

/* ---------------------------------------------------------------- eval */

int cmd_eval(int argc, char **argv) {
    int raw = 0, json = 0, ref = 0;
    double held_out = 0;
    const char *fmt = "auto", *exclude = NULL;
    opt_def d[] = {
        {"--held-out", NULL, OPT_DOUBLE, &held_out, "F", "only the songs that training with --val-fraction F holds out (the same hash split)", 0},
        {"--exclude", NULL, OPT_STR, &exclude, "FILE", "leave out songs sharing 2+ lines with a song of FILE (e.g. held-out songs that have a version in the pre-training corpus)", 0},
        {"--raw", NULL, OPT_FLAG, &raw, NULL, "read FILE as one sequence: zero state, first character only input", 0},
        {"--format", NULL, OPT_STR, &fmt, "F", "corpus format: auto (default), songs, csv, plain", 0},
        {"--json", NULL, OPT_FLAG, &json, NULL, "print one JSON object (bpc, nats, chars, ...)", 0},
        {"--ref", NULL, OPT_FLAG, &ref, NULL, "use the plain reference kernels", 0},
    };
    const char *pos[2];
    int np, format;
    int r = opts_parse("eval", "MODEL FILE [options]",
                       "Mean cross-entropy in bits and nats per character. By default FILE is read as a corpus:\n"
                       "each song from a zero state, every character after the song start predicted (title, its end,\n"
                       "lyrics, song end), exactly as validation in training.",
                       d, N(d), argc, argv, 2, pos, 2, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 2) return cli_errorf("eval: give MODEL and FILE (see 'serce eval --help')"), 2;
    if (held_out < 0 || held_out >= 1) return cli_errorf("eval: --held-out must be in (0, 1), got %g", held_out), 2;
    if (raw && (held_out > 0 || exclude)) return cli_errorf("eval: --held-out and --exclude work on songs, not with --raw"), 2;
    if (cli_parse_format(fmt, &format)) return 2;
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    const serce_kernels *k = ref ? serce_kernels_ref() : serce_kernels_best();
    serce_error e = {0};
    double nats = 0;
    long count = 0, unk = 0, songs = 0;
    int rc;
    if (raw) {
        uint8_t *buf;
        size_t n;
        uint32_t *cps = NULL;
        size_t ncp = 0;
        rc = serce_read_file(pos[1], CLI_MAX_CORPUS, &buf, &n, &e);
        if (!rc) {
            rc = serce_text_decode((const char *)buf, n, m->cfg.lowercase, pos[1], &cps, &ncp, &e);
            serce_free(buf);
        }
        int32_t *toks = NULL;
        if (!rc) {
            toks = serce_malloc((ncp + 1) * sizeof(int32_t));
            if (!toks) rc = serce_fail(&e, SERCE_ERR_NOMEM, "out of memory");
        }
        if (!rc) {
            for (size_t i = 0; i < ncp; i++) {
                toks[i] = serce_vocab_id(&m->vocab, cps[i]);
                unk += toks[i] == SERCE_TOK_UNK;
            }
            rc = serce_evaluate_raw(m, k, toks, ncp, &nats, &count, &e);
        }
        serce_free(toks);
        serce_free(cps);
    } else {
        serce_corpus c;
        if (cli_load_corpus(pos[1], format, m->cfg.lowercase, &c)) {
            serce_model_free(m);
            return 1;
        }
        if (held_out > 0) { /* the split of the whole file first, exactly as training made it */
            size_t *tri = NULL, *vai = NULL, ntr = 0, nva = 0;
            if (serce_split_songs(&c, held_out, &tri, &ntr, &vai, &nva, &e)) {
                serce_corpus_free(&c), serce_model_free(m);
                return cli_error(&e);
            }
            unsigned char *keep = serce_calloc(c.nsongs ? c.nsongs : 1, 1);
            if (!keep) {
                serce_free(tri), serce_free(vai), serce_corpus_free(&c), serce_model_free(m);
                return cli_errorf("out of memory"), 1;
            }
            for (size_t i = 0; i < nva; i++) keep[vai[i]] = 1;
            serce_corpus_keep(&c, keep);
            serce_free(keep), serce_free(tri), serce_free(vai);
        }
        if (exclude && cli_exclude_overlap(&c, pos[1], exclude, m->cfg.lowercase, json)) {
            serce_corpus_free(&c), serce_model_free(m);
            return 1;
        }
        serce_songs s;
        rc = serce_songs_encode(&m->vocab, &c, NULL, 0, &s, &e);
        if (!rc) {
            for (size_t i = 0; i < s.ntoks; i++) unk += s.toks[i] == SERCE_TOK_UNK;
            songs = (long)s.nsongs;
            rc = serce_evaluate(m, k, &s, 32, 128, &nats, &count, &e);
            serce_songs_free(&s);
        }
        serce_corpus_free(&c);
    }
    serce_model_free(m);
    if (rc) return cli_error(&e);
    double bpc = nats / log(2.0);
    if (json)
        printf("{\"bpc\":%.6f,\"nats\":%.6f,\"chars\":%ld,\"songs\":%ld,\"unknown\":%ld,\"mode\":\"%s\"}\n", bpc, nats,
               count, songs, unk, raw ? "raw" : "corpus");
    else {
        printf("%.4f bits per character (%.4f nats) over %ld predicted characters", bpc, nats, count);
        if (!raw) printf(" in %ld songs", songs);
        printf("\n");
        if (unk) printf("note: %ld characters are not in the model's vocabulary and were read as <unk>\n", unk);
    }
    return 0;
}

/* ---------------------------------------------------------------- info */

int cmd_info(int argc, char **argv) {
    int json = 0;
    opt_def d[] = {{"--json", NULL, OPT_FLAG, &json, NULL, "print one JSON object", 0}};
    const char *pos[1];
    int np;
    int r = opts_parse("info", "MODEL [--json]", "Shape, parameter count, vocabulary and training record of a model.", d,
                       N(d), argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1) return cli_errorf("info: give one MODEL file"), 2;
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    const serce_config *c = &m->cfg;
    serce_buf vj = {0}, cj = {0};
    serce_vocab_to_json(&m->vocab, &vj);
    serce_config_to_json(c, &cj);
    const char *tr = m->meta_training;
    if (json) {
        printf("{\"file\":");
        serce_buf fb = {0};
        sj_write_str(&fb, pos[0], strlen(pos[0]));
        printf("%s,\"config\":%s,\"parameters\":%zu,\"vocab\":%s,\"training\":%s}\n", fb.data ? (char *)fb.data : "\"\"",
               (char *)cj.data, m->nparams, (char *)vj.data, tr ? tr : "null");
        serce_buf_free(&fb);
    } else {
        printf("model        %s\n", pos[0]);
        printf("shape        embedding %d, %d LSTM layer%s of %d, vocabulary %d%s\n", c->embed, c->layers,
               c->layers > 1 ? "s" : "", c->hidden, c->vocab, c->lowercase ? " (lower-case)" : "");
        printf("parameters   %zu (%.1f MB as float32)\n", m->nparams, m->nparams * 4 / 1e6);
        printf("characters   ");
        for (int i = SERCE_NSPECIAL; i < m->vocab.size; i++) {
            char s[16];
            serce_vocab_token_str(&m->vocab, i, s);
            if (!strcmp(s, "\n")) printf("\\n");
            else if (!strcmp(s, " ")) printf("␣");
            else printf("%s", s);
        }
        printf("\n");
        if (tr) {
            sj_doc doc;
            serce_error e;
            if (sj_parse(tr, strlen(tr), "serce.training", &doc, &e) == SERCE_OK) {
                const char *corpus = sj_get_str(&doc, 0, "corpus");
                double v;
                if (corpus) printf("corpus       %s", corpus);
                if (sj_get_num(&doc, 0, "corpus_songs", &v) == 0) printf(", %.0f songs", v);
                if (sj_get_num(&doc, 0, "corpus_chars", &v) == 0) printf(", %.0f characters", v);
                if (corpus) printf("\n");
                if (sj_get_num(&doc, 0, "val_bpc", &v) == 0) {
                    double vs = 0;
                    sj_get_num(&doc, 0, "val_songs", &vs);
                    printf("held-out     %.4f bits per character on %.0f whole songs never trained on\n", v, vs);
                }
                if (sj_get_num(&doc, 0, "steps", &v) == 0) printf("steps        %.0f", v);
                if (sj_get_num(&doc, 0, "seconds", &v) == 0) printf(" in %.1f minutes", v / 60);
                if (sj_get_num(&doc, 0, "epochs", &v) == 0) printf(" (%.2f epochs)", v);
                printf("\n");
                const char *init = sj_get_str(&doc, 0, "init");
                if (init) printf("initialised  from %s\n", init);
                const char *pre = serce_model_get_meta(m, "serce.pretraining");
                sj_doc pd;
                if (pre && sj_parse(pre, strlen(pre), "serce.pretraining", &pd, &e) == SERCE_OK) {
                    const char *pc = sj_get_str(&pd, 0, "corpus");
                    double pv, ps = 0, pch = 0;
                    sj_get_num(&pd, 0, "seconds", &ps);
                    sj_get_num(&pd, 0, "corpus_chars", &pch);
                    printf("pre-trained  on %s (%.0f characters) for %.1f minutes", pc ? pc : "?", pch, ps / 60);
                    if (sj_get_num(&pd, 0, "val_bpc", &pv) == 0) printf(", its held-out %.4f bpc", pv);
                    const char *pinit = sj_get_str(&pd, 0, "init");
                    if (pinit) printf(" (that run continued from %s)", pinit);
                    printf("\n");
                    sj_free(&pd);
                }
                const char *cmd = sj_get_str(&doc, 0, "command");
                if (cmd) printf("command      %s\n", cmd);
                const char *date = sj_get_str(&doc, 0, "date");
                if (date) printf("date         %s\n", date);
                sj_free(&doc);
            }
        } else {
            printf("training     (no training record)\n");
        }
    }
    serce_buf_free(&vj);
    serce_buf_free(&cj);
    serce_model_free(m);
    return 0;
}

/* ---------------------------------------------------------------- export */

int cmd_export(int argc, char **argv) {
    const char *out = NULL, *corpus = NULL, *fmt = "auto";
    int int8 = 0, no_orig = 0, ngram = SERCE_ORIG_DEFAULT_N;
    double fpr = SERCE_ORIG_DEFAULT_FPR;
    opt_def d[] = {
        {"--output", "-o", OPT_STR, &out, "OUT", "where to write the exported model", 0},
        {"--int8", NULL, OPT_FLAG, &int8, NULL, "weights as int8 with one scale per row (about a quarter of the size)", 0},
        {"--corpus", NULL, OPT_STR, &corpus, "CORPUS", "the training corpus: adds the originality index (hashes of its n-grams, not its text); with --int8, also measures held-out bpc before and after", 0},
        {"--no-originality", NULL, OPT_FLAG, &no_orig, NULL, "with --corpus, do not add the originality index", 0},
        {"--format", NULL, OPT_STR, &fmt, "F", "corpus format for the index: auto (default), songs, csv, plain", 0},
        {"--ngram", NULL, OPT_INT, &ngram, "N", "n-gram length of the originality index in characters (default 24)", 0},
        {"--fpr", NULL, OPT_DOUBLE, &fpr, "P", "false-positive rate of the originality index per n-gram (default 0.001)", 0},
    };
    const char *pos[1];
    int np, format;
    int r = opts_parse("export", "MODEL -o OUT [--corpus CORPUS] [--int8]",
                       "Write a model for the web page: the weights, vocabulary and model card (training record and\n"
                       "loss curve), without optimiser state. The output is validated by loading it back.\n"
                       "With --corpus, the originality index (serce.originality: a Bloom filter of the corpus's\n"
                       "n-grams) is added, for 'serce sample --originality' and --avoid-copying and the page.",
                       d, N(d), argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1 || !out) return cli_errorf("export: give MODEL and -o OUT"), 2;
    if (cli_parse_format(fmt, &format)) return 2;
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    serce_error e = {0};
    serce_buf b = {0}, j = {0};
    int rc = SERCE_OK;
    if (corpus && !no_orig) {
        serce_corpus c;
        if (cli_load_corpus(corpus, format, 0, &c)) {
            serce_model_free(m);
            return 1;
        }
        rc = serce_originality_build(&c, ngram, fpr, &j, &e);
        serce_corpus_free(&c);
        serce_originality *ix = NULL;
        if (!rc) rc = serce_originality_load((const char *)j.data, j.len, &ix, &e);
        if (!rc) {
            serce_originality_info info;
            serce_originality_get_info(ix, &info);
            fprintf(stderr,
                    "serce: originality index: %llu distinct %d-grams in %llu bits (k = %d), false-positive rate %.2g per "
                    "n-gram, %.0f KB\n",
                    (unsigned long long)info.items, info.n, (unsigned long long)info.bits, info.k, info.fpr, j.len / 1e3);
            int mr = serce_model_set_meta(m, SERCE_ORIG_META_KEY, (const char *)j.data);
            if (mr) rc = serce_fail(&e, mr, "cannot add the originality index to the model's metadata");
        }
        serce_originality_free(ix);
    }
    if (!rc && int8) rc = cli_export_int8(m, corpus, &e);
    if (!rc) rc = serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, &e);
    serce_model *check = NULL;
    if (!rc) rc = serce_model_load(b.data, b.len, &check, &e);
    serce_model_free(check);
    if (!rc) rc = serce_write_file_atomic(out, b.data, b.len, &e);
    if (!rc) fprintf(stderr, "serce: wrote %s (%.2f MB, %s)\n", out, b.len / 1e6, int8 ? "int8" : "float32");
    serce_buf_free(&b);
    serce_buf_free(&j);
    serce_model_free(m);
    return rc ? cli_error(&e) : 0;
}
