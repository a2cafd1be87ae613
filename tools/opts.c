/* opts.c — see opts.h. */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *cmd, const char *usage, const char *about, const opt_def *d, int n) {
    printf("usage: serce %s %s\n\n%s\n\noptions:\n", cmd, usage, about);
    for (int i = 0; i < n; i++) {
        char left[64];
        if (d[i].kind == OPT_FLAG)
            snprintf(left, sizeof left, "%s%s%s", d[i].alias ? d[i].alias : "", d[i].alias ? ", " : "", d[i].name);
        else
            snprintf(left, sizeof left, "%s%s%s %s", d[i].alias ? d[i].alias : "", d[i].alias ? ", " : "", d[i].name,
                     d[i].arg ? d[i].arg : "X");
        printf("  %-26s %s\n", left, d[i].help);
    }
    printf("  %-26s %s\n", "-h, --help", "show this help");
}

static int parse_value(const opt_def *d, const char *v) {
    char *end;
    errno = 0;
    switch (d->kind) {
    case OPT_INT:
    case OPT_LONG: {
        long long x = strtoll(v, &end, 10);
        if (*v == 0 || *end || errno || (d->kind == OPT_INT && (x > 2147483647LL || x < -2147483647LL))) goto bad;
        if (d->kind == OPT_INT) *(int *)d->dest = (int)x;
        else *(long *)d->dest = (long)x;
        return 0;
    }
    case OPT_U64: {
        if (*v == '-') goto bad;
        unsigned long long x = strtoull(v, &end, 10);
        if (*v == 0 || *end || errno) goto bad;
        *(uint64_t *)d->dest = x;
        return 0;
    }
    case OPT_FLOAT:
    case OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (*v == 0 || *end || errno || !isfinite(x)) goto bad;
        if (d->kind == OPT_FLOAT) *(float *)d->dest = (float)x;
        else *(double *)d->dest = x;
        return 0;
    }
    case OPT_STR:
        *(const char **)d->dest = v;
        return 0;
    }
bad:
    fprintf(stderr, "serce: %s expects %s, got '%s'\n", d->name,
            d->kind == OPT_INT || d->kind == OPT_LONG ? "an integer"
            : d->kind == OPT_U64                      ? "a non-negative integer"
                                                      : "a number",
            v);
    return -1;
}

int opts_parse(const char *cmd, const char *usage, const char *about, opt_def *defs, int ndefs, int argc,
               char **argv, int first, const char **pos, int maxpos, int *npos) {
    *npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_help(cmd, usage, about, defs, ndefs);
            return 1;
        }
        if (a[0] == '-' && a[1] != 0 && !(a[1] >= '0' && a[1] <= '9')) {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            opt_def *d = NULL;
            for (int k = 0; k < ndefs; k++)
                if ((strlen(defs[k].name) == len && !strncmp(defs[k].name, a, len)) ||
                    (defs[k].alias && strlen(defs[k].alias) == len && !strncmp(defs[k].alias, a, len)))
                    d = &defs[k];
            if (!d) {
                fprintf(stderr, "serce %s: unknown option '%.*s' (see 'serce %s --help')\n", cmd, (int)len, a, cmd);
                return -1;
            }
            d->given = 1;
            if (d->kind == OPT_FLAG) {
                if (eq) {
                    fprintf(stderr, "serce %s: %s takes no value\n", cmd, d->name);
                    return -1;
                }
                *(int *)d->dest = 1;
                continue;
            }
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "serce %s: %s needs a value (%s)\n", cmd, d->name, d->arg ? d->arg : "X");
                return -1;
            }
            if (parse_value(d, v)) return -1;
        } else {
            if (*npos >= maxpos) {
                fprintf(stderr, "serce %s: unexpected argument '%s' (see 'serce %s --help')\n", cmd, a, cmd);
                return -1;
            }
            pos[(*npos)++] = a;
        }
    }
    return 0;
}

int opts_given(const opt_def *defs, int ndefs, const char *name) {
    for (int i = 0; i < ndefs; i++)
        if (!strcmp(defs[i].name, name)) return defs[i].given;
    return 0;
}
