/* serce.c — `serce <command>`: dispatch and the helpers every command shares.
 * Commands: train, sample, eval, info, export (each in its own file, each with --help). */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cli_error(const serce_error *e) {
    fprintf(stderr, "serce: %s\n", e->msg[0] ? e->msg : serce_strerror(e->code));
    return 1;
}

int cli_errorf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("serce: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

const char *cli_basename(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

serce_model *cli_load_model(const char *path) {
    serce_error e = {0};
    uint8_t *buf;
    size_t n;
    if (serce_read_file(path, CLI_MAX_MODEL, &buf, &n, &e)) {
        cli_error(&e);
        return NULL;
    }
    serce_model *m = NULL;
    int rc = serce_model_load(buf, n, &m, &e);
    serce_free(buf);
    if (rc) {
        fprintf(stderr, "serce: %s: %s\n", path, e.msg);
        return NULL;
    }
    return m;
}

int cli_parse_format(const char *s, int *format) {
    if (!s || !strcmp(s, "auto")) *format = SERCE_CORPUS_AUTO;
    else if (!strcmp(s, "songs")) *format = SERCE_CORPUS_SONGS;
    else if (!strcmp(s, "csv")) *format = SERCE_CORPUS_CSV;
    else if (!strcmp(s, "plain")) *format = SERCE_CORPUS_PLAIN;
    else return cli_errorf("--format must be auto, songs, csv or plain, got '%s'", s);
    return 0;
}

int cli_load_corpus(const char *path, int format, int lowercase, serce_corpus *c) {
    serce_error e = {0};
    uint8_t *buf;
    size_t n;
    if (serce_read_file(path, CLI_MAX_CORPUS, &buf, &n, &e)) return cli_error(&e);
    int rc = serce_corpus_parse((const char *)buf, n, path, format, lowercase, c, &e);
    serce_free(buf);
    if (rc) return cli_error(&e);
    return 0;
}

int cli_exclude_overlap(serce_corpus *c, const char *what, const char *path, int lowercase, int quiet) {
    serce_corpus o;
    if (cli_load_corpus(path, SERCE_CORPUS_AUTO, lowercase, &o)) return 1;
    serce_error e = {0};
    size_t dropped = 0, before = c->nsongs;
    int rc = serce_corpus_drop_overlap(c, &o, 20, 2, &dropped, &e);
    serce_corpus_free(&o);
    if (rc) return cli_error(&e);
    if (!quiet)
        fprintf(stderr, "serce: --exclude %s: %zu of %zu songs of %s left out (they share 2 or more lines with it)\n",
                path, dropped, before, what);
    if (c->nsongs == 0) return cli_errorf("no song of %s is left after --exclude %s", what, path), 1;
    return 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: serce <command> [options]\n\n"
            "Serçe writes song lyrics in the style of Sezen Aksu with a character-level LSTM.\n\n"
            "commands:\n"
            "  train CORPUS -o MODEL   train a model on a lyrics file (songs, CSV or plain text)\n"
            "  sample MODEL            write lyrics (streams to stdout)\n"
            "  eval MODEL FILE         bits per character on a corpus or raw text\n"
            "  info MODEL              shape, parameters, vocabulary, training record\n"
            "  export MODEL -o OUT     write a model for the web page\n"
            "  bench                   training and generation speed (--compare: against PyTorch)\n\n"
            "'serce <command> --help' explains every option.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "-h") || !strcmp(c, "--help") || !strcmp(c, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(c, "--version")) {
        printf("serce (model format %s)\n", SERCE_FORMAT_VERSION);
        return 0;
    }
    if (!strcmp(c, "train")) return cmd_train(argc, argv);
    if (!strcmp(c, "sample")) return cmd_sample(argc, argv);
    if (!strcmp(c, "eval")) return cmd_eval(argc, argv);
    if (!strcmp(c, "info")) return cmd_info(argc, argv);
    if (!strcmp(c, "export")) return cmd_export(argc, argv);
    if (!strcmp(c, "bench")) return cmd_bench(argc, argv);
    fprintf(stderr, "serce: unknown command '%s' (commands: train, sample, eval, info, export, bench)\n", c);
    return 2;
}
