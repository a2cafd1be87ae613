/* cli.h — what the `serce` subcommands share: loading models and corpora with one-line errors.
 * The CLI is the only part of Serçe that prints and exits; the core returns status codes. */
#ifndef SERCE_CLI_H
#define SERCE_CLI_H

#include <stdio.h>

#include "fileio.h"
#include "model.h"
#include "opts.h"
#include "sampler.h"
#include "text.h"
#include "train.h"

#define CLI_MAX_CORPUS ((size_t)2 << 30)   /* 2 GiB */
#define CLI_MAX_MODEL ((size_t)1 << 30)    /* 1 GiB */

/* Print "serce: MESSAGE" to stderr (one line). Returns 1 (the exit status for errors). */
int cli_error(const serce_error *e);
int cli_errorf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Load a model file; prints the error and returns NULL on failure. */
serce_model *cli_load_model(const char *path);
/* Read and parse a corpus file; returns 0 or prints the error and returns 1. */
int cli_load_corpus(const char *path, int format, int lowercase, serce_corpus *c);
/* --exclude FILE: leave out of c the songs that share 2+ lines of 20+ letters with a song of FILE
 * (serce_corpus_drop_overlap); prints how many to stderr unless quiet. Returns 0 or prints the error. */
int cli_exclude_overlap(serce_corpus *c, const char *what, const char *path, int lowercase, int quiet);
int cli_parse_format(const char *s, int *format);
const char *cli_basename(const char *path);

int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_bench(int argc, char **argv);
/* quantise m to int8; with a corpus, print held-out bpc before and after */
int cli_export_int8(serce_model *m, const char *corpus_path, serce_error *e);
#endif
