/* cmd_use.c — the commands that use a trained model: sample, eval, info, export. */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- sample */

int cmd_sample(int argc, char **argv) {
    serce_gen_opts go;
    serce_gen_opts_default(&go);
    const char *prime = "";
    int ref = 0;
    opt_def d[] = {
        {"--prime", "-p", OPT_STR, &prime, "TEXT", "start the song with this text (its first line is the title line)", 0},
        {"--temperature", "-t", OPT_FLOAT, &go.temperature, "T", "randomness: 0 = always the likeliest character (default 0.8)", 0},
        {"--top-k", NULL, OPT_INT, &go.top_k, "K", "sample only among the K likeliest characters (0 = off, default)", 0},
        {"--top-p", NULL, OPT_FLOAT, &go.top_p, "P", "sample only among the likeliest characters holding P of the probability (default 0.95)", 0},
        {"--seed", "-s", OPT_U64, &go.seed, "S", "random seed; the same seed and settings give the same text (default 1)", 0},
        {"--length", "-n", OPT_LONG, &go.length, "N", "stop after N characters", 0},
        {"--songs", NULL, OPT_INT, &go.songs, "N", "stop after N songs have ended (default 1)", 0},
        {"--ref", NULL, OPT_FLAG, &ref, NULL, "use the plain reference kernels (for testing)", 0},
    };
    const char *pos[1];
    int np;
    int r = opts_parse("sample", "MODEL [options]", "Write lyrics with a trained model; text streams to stdout.", d, N(d),
                       argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1) return cli_errorf("sample: give one MODEL file (see 'serce sample --help')"), 2;
    if (opts_given(d, N(d), "--length") && !opts_given(d, N(d), "--songs")) go.songs = 0;
    if (go.songs > 0 && go.length == 0) go.length = 6000L * go.songs; /* a model that never ends a song still stops */
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    serce_error e = {0};
    serce_gen *g = NULL;
    int rc = serce_gen_new(m, ref ? serce_kernels_ref() : NULL, &go, &g, &e);
    if (!rc) rc = serce_gen_start(g, prime, strlen(prime), &e);
    if (rc) {
        serce_gen_free(g);
        serce_model_free(m);
        return cli_error(&e);
    }
    serce_buf out = {0};
    int done = 0;
    while (!done && !rc) {
        out.len = 0;
        rc = serce_gen_step(g, 64, &out, &done, &e);
        if (out.len) {
            fwrite(out.data, 1, out.len, stdout);
            fflush(stdout);
        }
    }
    if (!rc && out.len && out.data[out.len - 1] != '\n') fputc('\n', stdout);
    serce_buf_free(&out);
    serce_gen_free(g);
    serce_model_free(m);
    return rc ? cli_error(&e) : 0;
}

/* ---------------------------------------------------------------- eval */

int cmd_eval(int argc, char **argv) {
    int raw = 0, json = 0, ref = 0;
    const char *fmt = "auto";
    opt_def d[] = {
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
    const char *out = NULL, *corpus = NULL;
    int int8 = 0;
    opt_def d[] = {
        {"--output", "-o", OPT_STR, &out, "OUT", "where to write the exported model", 0},
        {"--int8", NULL, OPT_FLAG, &int8, NULL, "weights as int8 with one scale per row (about a quarter of the size)", 0},
        {"--corpus", NULL, OPT_STR, &corpus, "CORPUS", "the training corpus: with --int8, measure held-out bpc before and after", 0},
    };
    const char *pos[1];
    int np;
    int r = opts_parse("export", "MODEL -o OUT",
                       "Write a model for the web page: the weights, vocabulary and model card (training record and\n"
                       "loss curve), without optimiser state. The output is validated by loading it back.",
                       d, N(d), argc, argv, 2, pos, 1, &np);
    if (r) return r < 0 ? 2 : 0;
    if (np != 1 || !out) return cli_errorf("export: give MODEL and -o OUT"), 2;
    serce_model *m = cli_load_model(pos[0]);
    if (!m) return 1;
    serce_error e = {0};
    serce_buf b = {0};
    int rc = int8 ? cli_export_int8(m, corpus, &e) : SERCE_OK;
    if (!rc) rc = serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, &e);
    serce_model *check = NULL;
    if (!rc) rc = serce_model_load(b.data, b.len, &check, &e);
    serce_model_free(check);
    if (!rc) rc = serce_write_file_atomic(out, b.data, b.len, &e);
    if (!rc) fprintf(stderr, "serce: wrote %s (%.2f MB, %s)\n", out, b.len / 1e6, int8 ? "int8" : "float32");
    serce_buf_free(&b);
    serce_model_free(m);
    return rc ? cli_error(&e) : 0;
}
