/* opts.h — a table-driven command-line parser for the `serce` CLI.
 *
 * Each command declares one table of options (name, kind, destination, help); the same table parses
 * argv and prints `serce CMD --help`, so the help can never drift from what is accepted.
 * Errors are one line naming the option and what was expected. Not here: any command's logic.
 */
#ifndef SERCE_OPTS_H
#define SERCE_OPTS_H

#include <stdint.h>

typedef enum { OPT_FLAG, OPT_INT, OPT_LONG, OPT_FLOAT, OPT_DOUBLE, OPT_STR, OPT_U64 } opt_kind;

typedef struct {
    const char *name;   /* "--hidden" */
    const char *alias;  /* "-o" or NULL */
    int kind;           /* opt_kind */
    void *dest;
    const char *arg;    /* metavariable shown in help, e.g. "H" */
    const char *help;
    int given;          /* set by the parser */
} opt_def;

/* Parse argv[first..argc) against the table; positional arguments are collected into pos (up to
 * maxpos). Returns 0, 1 if --help was asked (help printed to stdout), or -1 after printing a one-line
 * error to stderr. */
int opts_parse(const char *cmd, const char *usage, const char *about, opt_def *defs, int ndefs, int argc,
               char **argv, int first, const char **pos, int maxpos, int *npos);
int opts_given(const opt_def *defs, int ndefs, const char *name);
#endif
