/* cmd_bench.c — `serce bench`: training and batch-1 generation speed in characters per second.
 *
 * Shapes (vocabulary 64): seed E64/2x512 (the Keras notebook's), small E32/2x256, tiny E32/1x128,
 * or any shape by flags. Training runs B64 x T64 updates with Adam on random tokens (speed does not
 * depend on the text); generation feeds each sampled character back, one at a time, as the page does.
 * `--compare` runs the same shapes in PyTorch (tools/bench_torch.py with /usr/bin/python3) in the
 * same run and prints the ratios. Figures only: no speed is asserted anywhere.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "parallel.h"
#include "rng.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    const char *name;
    int E, H, L;
} shape;

static serce_model *bench_model(const shape *s, int V) {
    serce_vocab v = {0};
    v.size = V;
    v.cps = calloc((size_t)V, sizeof(uint32_t));
    for (int i = SERCE_NSPECIAL; i < V; i++) v.cps[i] = 'A' + (uint32_t)i;
    serce_config c = {V, s->E, s->H, s->L, 0};
    serce_model *m = NULL;
    serce_error e;
    serce_model_new(&c, &v, &m, &e);
    if (m) serce_model_init(m, 1);
    free(v.cps);
    return m;
}

static double bench_train(serce_model *m, int threads, double seconds) {
    serce_songs d = {0};
    size_t n = 64 * 64 * 40 + 1;
    d.toks = malloc(n * sizeof(int32_t));
    d.starts = malloc(2 * sizeof(size_t));
    uint64_t r = serce_rng_seed(3);
    d.toks[0] = SERCE_TOK_BOS;
    for (size_t i = 1; i < n; i++) d.toks[i] = SERCE_NSPECIAL + (int32_t)serce_rng_below(&r, (uint32_t)(m->cfg.vocab - SERCE_NSPECIAL));
    d.ntoks = n, d.nsongs = 1, d.starts[0] = 0, d.starts[1] = n;
    serce_train_opts o;
    serce_train_opts_default(&o);
    o.batch = 64, o.seq_len = 64, o.dropout = 0, o.threads = threads, o.shards = threads;
    serce_trainer *t;
    serce_error e;
    double rate = 0;
    if (serce_trainer_new(m, serce_kernels_best(), &o, &d, &t, &e) == SERCE_OK) {
        serce_step_stats st;
        for (int i = 0; i < 3; i++) serce_trainer_step(t, 1e-3f, &st, &e); /* warm up */
        long chars = 0;
        double t0 = now_s(), el = 0;
        while ((el = now_s() - t0) < seconds) {
            serce_trainer_step(t, 1e-3f, &st, &e);
            chars += 64 * 64;
        }
        rate = chars / el;
        serce_trainer_free(t);
    }
    free(d.toks);
    free(d.starts);
    return rate;
}

static double bench_generate(serce_model *m, double seconds, int threads) {
    serce_infer *s;
    serce_error e;
    if (serce_infer_new(m, NULL, &s, &e)) return 0;
    if (serce_infer_set_threads(s, threads) != threads) {
        serce_infer_free(s);
        return 0;
    }
    int V = m->cfg.vocab, tok = SERCE_TOK_BOS;
    for (int i = 0; i < 200; i++) serce_infer_step(s, SERCE_NSPECIAL + i % (V - SERCE_NSPECIAL)); /* warm up */
    long chars = 0;
    double t0 = now_s(), el;
    while ((el = now_s() - t0) < seconds) {
        for (int i = 0; i < 64; i++) {
            serce_infer_step(s, tok);
            const float *z = serce_infer_logits(s);
            int best = SERCE_NSPECIAL;
            for (int v = SERCE_NSPECIAL; v < V; v++)
                if (z[v] > z[best]) best = v;
            tok = best;
        }
        chars += 64;
    }
    serce_infer_free(s);
    return chars / el;
}

/* one generation row; with one_thread > 0 also the speed-up over one thread */
static void gen_row(int json, const char *nm, const char *prec, int threads, double cps, const char *kernel,
                    double one_thread) {
    if (json) {
        printf("{\"shape\":\"%s\",\"what\":\"generate\",\"precision\":\"%s\",\"threads\":%d,"
               "\"chars_per_s\":%.0f,\"kernel\":\"%s\"",
               nm, prec, threads, cps, kernel);
        if (one_thread > 0) printf(",\"speedup_vs_1_thread\":%.3f", cps / one_thread);
        printf("}\n");
    } else {
        printf("%-14s %-9s %9s %8d %14.0f", nm, "generate", prec, threads, cps);
        if (one_thread > 0) printf(" %14s %7.2fx vs 1 thread", "", cps / one_thread);
        printf("\n");
    }
}

int cmd_bench(int argc, char **argv) {
    int json = 0, compare = 0, threads = serce_parallel_cpus(), E = 0, H = 0, L = 0, V = 64;
    double seconds = 3;
    const char *only = NULL;
    opt_def d[] = {
        {"--json", NULL, OPT_FLAG, &json, NULL, "one JSON object per line: shape, what, precision, threads, chars_per_s", 0},
        {"--compare", NULL, OPT_FLAG, &compare, NULL, "also run PyTorch (/usr/bin/python3 tools/bench_torch.py) and print ratios", 0},
        {"--shape", NULL, OPT_STR, &only, "NAME", "only this shape: seed, small or tiny", 0},
        {"--embed", NULL, OPT_INT, &E, "E", "a custom shape: embedding size (with --hidden and --layers)", 0},
        {"--hidden", NULL, OPT_INT, &H, "H", "a custom shape: LSTM size", 0},
        {"--layers", NULL, OPT_INT, &L, "L", "a custom shape: layers", 0},
        {"--threads", NULL, OPT_INT, &threads, "N", "training threads, and generation rows on N threads too (default: all cores)", 0},
        {"--seconds", NULL, OPT_DOUBLE, &seconds, "S", "time per measurement (default 3)", 0},
    };
    const char *pos[1];
    int np;
    int r = opts_parse("bench", "[options]",
                       "Training (B64 x T64, Adam) and batch-1 generation speed in characters per second for the\n"
                       "shapes seed (E64/2x512), small (E32/2x256) and tiny (E32/1x128), vocabulary 64.",
                       d, N(d), argc, argv, 2, pos, 0, &np);
    if (r) return r < 0 ? 2 : 0;
    if (threads < 1 || threads > 16 || seconds <= 0) return cli_errorf("bench: --threads 1..16 and --seconds > 0"), 2;
    serce_blas_threads(1);
    shape shapes[4] = {{"seed", 64, 512, 2}, {"small", 32, 256, 2}, {"tiny", 32, 128, 1}, {"custom", E, H, L}};
    int first = 0, last = 3;
    if (E || H || L) {
        if (E < 1 || H < 1 || L < 1) return cli_errorf("bench: a custom shape needs --embed, --hidden and --layers"), 2;
        first = last = 3;
        static char nm[64];
        snprintf(nm, sizeof nm, "E%d/%dx%d", E, L, H);
        shapes[3].name = nm;
    } else {
        last = 2;
        if (only) {
            first = -1;
            for (int i = 0; i < 3; i++)
                if (!strcmp(only, shapes[i].name)) first = last = i;
            if (first < 0) return cli_errorf("bench: --shape must be seed, small or tiny"), 2;
        }
    }
    /* PyTorch first, so both sides see the same machine state as far as possible */
    double torch_train[4] = {0}, torch_gen[4] = {0};
    if (compare) {
        char cmd[512], custom[64] = "";
        if (first == 3) snprintf(custom, sizeof custom, " --custom %d,%d,%d", E, H, L);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench_torch.py --seconds %g --shapes %s%s 2>/dev/null",
                 SERCE_TOOLS_DIR, seconds, first == last ? (first == 3 ? "custom" : shapes[first].name) : "seed,small,tiny",
                 custom);
        FILE *p = popen(cmd, "r");
        char line[512];
        while (p && fgets(line, sizeof line, p)) {
            char nm[32], what[16];
            double cps;
            if (sscanf(line, "%31s %15s %lf", nm, what, &cps) == 3)
                for (int i = first; i <= last; i++)
                    if (!strcmp(nm, i == 3 ? "custom" : shapes[i].name)) {
                        if (!strcmp(what, "train")) torch_train[i] = cps;
                        else torch_gen[i] = cps;
                    }
        }
        if (!p || pclose(p) != 0) fprintf(stderr, "serce: bench --compare: PyTorch did not run (is python3-torch installed?)\n");
    }
    const serce_kernels *k = serce_kernels_best();
    if (!json)
        printf("%-14s %-9s %9s %8s %14s %14s %8s\n", "shape", "what", "precision", "threads", "serce chars/s",
               compare ? "pytorch" : "", compare ? "ratio" : "");
    for (int i = first; i <= last; i++) {
        serce_model *m = bench_model(&shapes[i], V);
        if (!m) return cli_errorf("bench: out of memory"), 1;
        double tr = bench_train(m, threads, seconds);
        double gen = bench_generate(m, seconds, 1);
        const char *nm = shapes[i].name;
        if (json) {
            printf("{\"shape\":\"%s\",\"what\":\"train\",\"precision\":\"fp32\",\"threads\":%d,\"chars_per_s\":%.0f,"
                   "\"kernel\":\"%s\"",
                   nm, threads, tr, k->gemm_name);
            if (torch_train[i] > 0) printf(",\"pytorch_chars_per_s\":%.0f,\"ratio\":%.3f", torch_train[i], tr / torch_train[i]);
            printf("}\n{\"shape\":\"%s\",\"what\":\"generate\",\"precision\":\"fp32\",\"threads\":1,\"chars_per_s\":%.0f,"
                   "\"kernel\":\"%s\"",
                   nm, gen, k->matvec_name);
            if (torch_gen[i] > 0) printf(",\"pytorch_chars_per_s\":%.0f,\"ratio\":%.3f", torch_gen[i], gen / torch_gen[i]);
            printf("}\n");
        } else {
            printf("%-14s %-9s %9s %8d %14.0f", nm, "train", "fp32", threads, tr);
            if (torch_train[i] > 0) printf(" %14.0f %7.2fx", torch_train[i], tr / torch_train[i]);
            printf("\n%-14s %-9s %9s %8d %14.0f", nm, "generate", "fp32", 1, gen);
            if (torch_gen[i] > 0) printf(" %14.0f %7.2fx", torch_gen[i], gen / torch_gen[i]);
            printf("\n");
        }
        if (threads > 1) gen_row(json, nm, "fp32", threads, bench_generate(m, seconds, threads), k->matvec_name, gen);
        /* the same model with int8 weight matrices (serce export --int8) */
        serce_error qe;
        if (serce_model_quantize(m, &qe) == SERCE_OK) {
            double g8 = bench_generate(m, seconds, 1);
            gen_row(json, nm, "int8", 1, g8, k->matvec_q8_name, 0);
            if (threads > 1) gen_row(json, nm, "int8", threads, bench_generate(m, seconds, threads), k->matvec_q8_name, g8);
        }
        fflush(stdout);
        serce_model_free(m);
    }
    if (!json)
        printf("kernels: gemm %s, matvec %s, int8 matvec %s, element-wise %s\n", k->gemm_name, k->matvec_name,
               k->matvec_q8_name, k->elementwise_name);
    return 0;
}
