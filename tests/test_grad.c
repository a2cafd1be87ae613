/* test_grad.c — serce_forward_backward's gradients against finite differences, and its state handling.
 *
 * A tiny model (V=7, E=3, H=5, L=2) on B=2 streams of T=4 steps, with a nonzero initial state, a <s>
 * in the middle of one stream (the state reset path, forward and backward) and targets of -1 (not
 * scored). Every entry of every parameter tensor is checked twice:
 *
 * 1. Against finite differences of serce_forward_backward itself (float32). The float loss carries
 *    rounding noise of ~1e-7, so a plain central difference with eps = 1e-3 has ~1.5e-5 of absolute
 *    noise (measured), i.e. 10% on the many entries of ~1e-4 in the lower layer: useless. So the
 *    difference is double-sided but 4-point, (8(f(w+e) - f(w-e)) - (f(w+2e) - f(w-2e))) / 12e, with
 *    e = 3e-2: noise ~3e-7, truncation O(e^4). Each entry's relative error |fd - g| / max(|fd|, |g|,
 *    floor), floor = 1e-3 x the largest gradient entry (so that a gradient of ~0 compares in absolute
 *    terms), must be <= 1e-2 and at least 80% of the entries must be within 1e-3 (measured over 12
 *    initialisations: worst entry 4e-3, at least 85% within 1e-3). This runs with dropout 0 and with
 *    dropout 0.3 (the RNG is reseeded for every evaluation, so the mask is fixed), which covers the
 *    dropout backward path.
 * 2. Against the exact derivative: an independent double-precision re-implementation of the model
 *    (dfwd) whose central difference (step 1e-5) is exact to ~1e-10. Float gradients must match it to
 *    1e-3 relative with a floor of 1e-6 (measured: 2.2e-4 worst, ~3e-8 absolute), and its logits and
 *    final state must match the float forward to 1e-5.
 *
 * Also: embedding rows of tokens never input get exactly zero, the gradients accumulate (+=) into the
 * block, the state after T=4 steps equals two calls of T=2 carrying the state (bit-exact with the
 * reference kernels), a <s> makes the final state independent of the initial one, the loss sums
 * and counts add up, and argument errors. Both kernel variants (serce_kernels_all) are run. */
#include "check.h"
#include "kernels.h"
#include "model.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define V_ 7
#define E_ 3
#define H_ 5
#define L_ 2
#define B_ 2
#define T_ 4

#define FD_EPS 3e-2f       /* step of the 4-point float difference (see above) */
#define FD_FLOOR_REL 1e-3  /* floor of the relative error: this times the largest gradient entry */
#define FD_TOL 1e-2        /* every entry */
#define FD_TIGHT 1e-3      /* most entries ... */
#define FD_TIGHT_FRAC 0.80 /* ... at least this fraction of all of them */
#define EXACT_FLOOR 1e-6   /* float gradient vs the exact derivative: floor, ... */
#define EXACT_TOL 1e-3     /* ... bound for every entry, ... */
#define EXACT_TIGHT 1e-4   /* ... and for 95% of them */

/* inputs and targets [T,B], time-major: stream 0 reads "a b <s> c", stream 1 "b c a a" */
static const int32_t IN[T_ * B_] = {4, 5, /* t=0 */ 5, 6, /* t=1 */ 1, 4, /* t=2: <s> in stream 0 */ 6, 4};
static const int32_t TG[T_ * B_] = {5, 6, /* t=0 */ -1, 4, /* t=1: not scored in stream 0 */ 6, 4, 2, -1};

typedef struct {
    serce_model *m;
    serce_fb *ws;
    const serce_kernels *k;
    float h0[L_ * B_ * H_], c0[L_ * B_ * H_];
    float dropout;
    uint64_t seed;
} problem;

static serce_model *tiny_model(uint64_t seed) {
    static const char vj[] = "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"a\",\"b\",\"c\"]";
    serce_vocab v;
    serce_error err = {0, {0}};
    int rc = serce_vocab_from_json(vj, strlen(vj), 0, &v, &err);
    CHECK(rc == SERCE_OK, "vocab: %s", err.msg);
    serce_config cfg = {V_, E_, H_, L_, 0};
    serce_model *m = NULL;
    rc = serce_model_new(&cfg, &v, &m, &err);
    CHECK(rc == SERCE_OK && m, "model: %s", err.msg);
    serce_vocab_free(&v);
    if (!m) exit(1);
    serce_model_init(m, seed);
    return m;
}

/* mean loss over the scored targets, forward only, from the problem's initial state */
static double loss_of(const problem *p) {
    float h[L_ * B_ * H_], c[L_ * B_ * H_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    uint64_t rng = p->seed;
    double ls = 0;
    long n = 0;
    int rc = serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, p->dropout, &rng, NULL, &ls, &n);
    CHECK(rc == SERCE_OK && n == 6, "forward: rc %d, %ld scored", rc, n);
    return ls / (double)n;
}

static void grads_of(const problem *p, float *g) {
    float h[L_ * B_ * H_], c[L_ * B_ * H_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    uint64_t rng = p->seed;
    double ls = 0;
    long n = 0;
    memset(g, 0, p->m->nparams * sizeof(float));
    int rc = serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, p->dropout, &rng, g, &ls, &n);
    CHECK(rc == SERCE_OK && n == 6, "forward/backward: rc %d, %ld scored", rc, n);
}

/* every entry of every tensor against a central difference */
static void check_fd(problem *p, const char *label) {
    serce_model *m = p->m;
    float *g = calloc(m->nparams, sizeof(float));
    grads_of(p, g);
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int nt = serce_param_table(&m->cfg, t);
    long total = 0, tight = 0;
    double worst = 0, gmax = 0;
    for (size_t j = 0; j < m->nparams; j++) gmax = fmax(gmax, fabs(g[j]));
    double floor_ = FD_FLOOR_REL * gmax;
    printf("%s (kernels %s/%s), 4-point central difference, step %g, floor %.2e:\n", label, p->k->gemm_name,
           p->k->matvec_name, FD_EPS, floor_);
    for (int i = 0; i < nt; i++) {
        double maxe = 0, maxg = 0;
        long ntight = 0, nz = 0;
        size_t at = 0;
        for (size_t j = 0; j < t[i].numel; j++) {
            float *w = m->w + t[i].offset + j, w0 = *w;
            /* the steps actually taken in float: w0 + e and w0 + 2e are rounded */
            float wp = w0 + FD_EPS, wm = w0 - FD_EPS, wp2 = w0 + 2 * FD_EPS, wm2 = w0 - 2 * FD_EPS;
            *w = wp;
            double fp = loss_of(p);
            *w = wm;
            double fm = loss_of(p);
            *w = wp2;
            double fp2 = loss_of(p);
            *w = wm2;
            double fm2 = loss_of(p);
            *w = w0;
            /* D(h) = (f(w+h) - f(w-h)) / 2h = g + f''' h^2 / 6 + O(h^4), so (4 D(e) - D(2e)) / 3 = g + O(e^4) */
            double d1 = (fp - fm) / ((double)wp - (double)wm), d2 = (fp2 - fm2) / ((double)wp2 - (double)wm2);
            double fd = (4 * d1 - d2) / 3;
            double an = g[t[i].offset + j];
            double e = check_relerr(fd, an, floor_);
            if (e > maxe) maxe = e, at = j;
            if (fabs(an) > maxg) maxg = fabs(an);
            ntight += e <= FD_TIGHT;
            nz += an != 0.0;
            CHECK(e <= FD_TOL, "%s: %s[%zu]: analytic %.8g vs finite difference %.8g (rel err %.3g)", label, t[i].name,
                  j, an, fd, e);
        }
        printf("  %-20s %3zu entries (%3ld nonzero), max |g| %.3e, max rel err %.2e at [%zu], %5.1f%% within %g\n",
               t[i].name, t[i].numel, nz, maxg, maxe, at, 100.0 * (double)ntight / (double)t[i].numel, FD_TIGHT);
        CHECK(maxg > 1e-4, "%s: %s has an all-zero gradient (%.3g): the test would not see a wrong one", label,
              t[i].name, maxg);
        total += (long)t[i].numel;
        tight += ntight;
        if (maxe > worst) worst = maxe;
    }
    printf("  all: %ld entries, max rel err %.2e, %.1f%% within %g\n", total, worst, 100.0 * (double)tight / (double)total,
           FD_TIGHT);
    CHECK((double)tight >= FD_TIGHT_FRAC * (double)total, "%s: only %ld of %ld entries within %g", label, tight, total,
          FD_TIGHT);
    free(g);
}

/* rows of the embedding of tokens that are never input get exactly zero; so do the other rows'
 * entries nowhere else (this is what makes the sparse structure of the embedding gradient right) */
static void check_exact_zeros(problem *p) {
    float *g = calloc(p->m->nparams, sizeof(float));
    grads_of(p, g);
    int used[V_] = {0};
    for (int i = 0; i < T_ * B_; i++) used[IN[i]] = 1;
    for (int v = 0; v < V_; v++) {
        int allzero = 1;
        for (int j = 0; j < E_; j++) allzero &= g[v * E_ + j] == 0.0f;
        if (!used[v]) CHECK(allzero, "embedding row %d (never input) has a nonzero gradient", v);
        else CHECK(!allzero, "embedding row %d (input) has an all-zero gradient", v);
    }
    free(g);
}

/* grads are accumulated: starting from R gives R + g */
static void check_accumulate(problem *p) {
    size_t n = p->m->nparams;
    float *g = calloc(n, sizeof(float)), *r = malloc(n * sizeof(float)), *acc = malloc(n * sizeof(float));
    grads_of(p, g);
    uint64_t rng = serce_rng_seed(99);
    for (size_t i = 0; i < n; i++) r[i] = 2.0f * serce_rng_uniform(&rng) - 1.0f;
    memcpy(acc, r, n * sizeof(float));
    float h[L_ * B_ * H_], c[L_ * B_ * H_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    uint64_t drng = p->seed;
    double ls;
    long cnt;
    int rc = serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, p->dropout, &drng, acc, &ls, &cnt);
    CHECK(rc == SERCE_OK, "forward/backward into a filled block: %d", rc);
    double worst = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double want = (double)r[i] + (double)g[i];
        double tol = 2e-6 * (fabs(r[i]) + fabs(g[i])) + 1e-12;
        double e = fabs(acc[i] - want);
        if (e > tol) bad++;
        if (e / (fabs(r[i]) + fabs(g[i]) + 1e-30) > worst) worst = e / (fabs(r[i]) + fabs(g[i]) + 1e-30);
    }
    CHECK(bad == 0, "%zu of %zu gradient entries did not accumulate (+=) into the block (worst rel %.3g)", bad, n, worst);
    /* a second call on top of the first gives twice the gradient */
    memset(acc, 0, n * sizeof(float));
    for (int rep = 0; rep < 2; rep++) {
        memcpy(h, p->h0, sizeof h);
        memcpy(c, p->c0, sizeof c);
        drng = p->seed;
        serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, p->dropout, &drng, acc, &ls, &cnt);
    }
    /* the bias sums and the beta = 1 products round differently on top of a nonzero block: a few ulp
     * of the partial sums, which may be much larger than a sum that cancels, so relative with the
     * floor 1e-2 x the largest gradient entry (an overwrite instead of += is an error of order 1) */
    double gmax = 0;
    for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
    worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, check_relerr(acc[i], 2.0 * g[i], 1e-2 * gmax));
    printf("accumulation: two calls vs twice one call, max rel err %.2e\n", worst);
    CHECK(worst <= 1e-5, "two calls do not give twice the gradient: max rel err %.3g", worst);
    free(g);
    free(r);
    free(acc);
}

/* T=4 in one call vs T=2 then T=2 carrying the state: same final state, logits, loss and count */
static void check_halves(problem *p, int exact) {
    float h[L_ * B_ * H_], c[L_ * B_ * H_], h2[L_ * B_ * H_], c2[L_ * B_ * H_];
    float logits_full[T_ * B_ * V_], logits_half[T_ * B_ * V_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    memcpy(h2, p->h0, sizeof h);
    memcpy(c2, p->c0, sizeof c);
    double ls = 0, ls1 = 0, ls2 = 0;
    long n = 0, n1 = 0, n2 = 0;
    int rc = serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, 0.0f, NULL, NULL, &ls, &n);
    CHECK(rc == SERCE_OK, "full: %d", rc);
    memcpy(logits_full, serce_fb_logits(p->ws), sizeof logits_full);
    int half = T_ / 2;
    rc = serce_forward_backward(p->m, p->k, p->ws, half, IN, TG, h2, c2, 0.0f, NULL, NULL, &ls1, &n1);
    CHECK(rc == SERCE_OK, "first half: %d", rc);
    memcpy(logits_half, serce_fb_logits(p->ws), sizeof(float) * half * B_ * V_);
    rc = serce_forward_backward(p->m, p->k, p->ws, half, IN + half * B_, TG + half * B_, h2, c2, 0.0f, NULL, NULL, &ls2,
                                &n2);
    CHECK(rc == SERCE_OK, "second half: %d", rc);
    memcpy(logits_half + half * B_ * V_, serce_fb_logits(p->ws), sizeof(float) * half * B_ * V_);
    CHECK(n1 + n2 == n && n == 6, "counts %ld + %ld vs %ld", n1, n2, n);
    double worst = 0;
    for (int i = 0; i < L_ * B_ * H_; i++) {
        worst = fmax(worst, check_relerr(h[i], h2[i], 1e-6));
        worst = fmax(worst, check_relerr(c[i], c2[i], 1e-6));
    }
    for (int i = 0; i < T_ * B_ * V_; i++) worst = fmax(worst, check_relerr(logits_full[i], logits_half[i], 1e-6));
    if (exact) {
        CHECK(memcmp(h, h2, sizeof h) == 0 && memcmp(c, c2, sizeof c) == 0,
              "%s: state after T=4 differs from T=2+2 (max rel %.3g); the reference kernels must agree bit for bit",
              p->k->gemm_name, worst);
        CHECK(memcmp(logits_full, logits_half, sizeof logits_full) == 0, "%s: logits of T=4 vs T=2+2 differ (max rel %.3g)",
              p->k->gemm_name, worst);
    }
    CHECK(worst <= 1e-6, "%s: T=4 vs T=2+2: max rel difference %.3g", p->k->gemm_name, worst);
    CHECK(check_relerr(ls, ls1 + ls2, 1e-6) <= 1e-6, "loss %.9g vs %.9g + %.9g", ls, ls1, ls2);
    /* the state really moved (the test would pass trivially on a no-op) */
    CHECK(memcmp(h, p->h0, sizeof h) != 0 && memcmp(c, p->c0, sizeof c) != 0, "state not updated");
    /* stream 0 was reset at t=2: its final state does not depend on the initial state */
    problem q = *p;
    for (int i = 0; i < L_ * B_ * H_; i++) q.h0[i] = -q.h0[i] * 0.5f, q.c0[i] = q.c0[i] * 1.5f + 0.1f;
    float hq[L_ * B_ * H_], cq[L_ * B_ * H_];
    memcpy(hq, q.h0, sizeof hq);
    memcpy(cq, q.c0, sizeof cq);
    serce_forward_backward(q.m, q.k, q.ws, T_, IN, TG, hq, cq, 0.0f, NULL, NULL, &ls, &n);
    int same0 = 1, same1 = 1;
    for (int l = 0; l < L_; l++)
        for (int j = 0; j < H_; j++) {
            size_t i0 = ((size_t)l * B_ + 0) * H_ + j, i1 = ((size_t)l * B_ + 1) * H_ + j;
            same0 &= hq[i0] == h[i0] && cq[i0] == c[i0];
            same1 &= hq[i1] == h[i1] && cq[i1] == c[i1];
        }
    CHECK(same0, "stream 0 was reset by <s> at t=2, yet its final state depends on the initial state");
    CHECK(!same1, "stream 1's final state does not depend on its initial state");
}

/* ---------------------------------------------------------------- the model in double precision
 * An independent re-implementation of the forward pass (PyTorch's nn.LSTM equations, the <s> reset,
 * targets < 0 not scored) over double parameters laid out as the flat block. Its central difference
 * with a step of 1e-5 is the exact derivative to ~1e-10, so it checks the float gradients at float
 * precision; its logits and state check the float forward. */
static double dfwd(const problem *p, const double *w, double *logits, double *hT, double *cT) {
    serce_tensor_info t[SERCE_MAX_TENSORS];
    serce_param_table(&p->m->cfg, t);
    const double *emb = w + t[0].offset, *head = w + t[1 + 4 * L_].offset, *hb = w + t[2 + 4 * L_].offset;
    double hs[L_][B_][H_], cs[L_][B_][H_], total = 0;
    for (int l = 0; l < L_; l++)
        for (int b = 0; b < B_; b++)
            for (int j = 0; j < H_; j++) hs[l][b][j] = p->h0[(l * B_ + b) * H_ + j], cs[l][b][j] = p->c0[(l * B_ + b) * H_ + j];
    for (int tt = 0; tt < T_; tt++)
        for (int b = 0; b < B_; b++) {
            int tok = IN[tt * B_ + b];
            double x[H_ > E_ ? H_ : E_];
            for (int j = 0; j < E_; j++) x[j] = emb[tok * E_ + j];
            for (int l = 0; l < L_; l++) {
                int in = l ? H_ : E_;
                const double *wih = w + t[1 + 4 * l].offset, *whh = w + t[2 + 4 * l].offset;
                const double *bih = w + t[3 + 4 * l].offset, *bhh = w + t[4 + 4 * l].offset;
                if (tok == SERCE_TOK_BOS)
                    for (int j = 0; j < H_; j++) hs[l][b][j] = cs[l][b][j] = 0;
                double pre[4 * H_];
                for (int r = 0; r < 4 * H_; r++) {
                    double sum = bih[r] + bhh[r];
                    for (int k = 0; k < in; k++) sum += wih[r * in + k] * x[k];
                    for (int k = 0; k < H_; k++) sum += whh[r * H_ + k] * hs[l][b][k];
                    pre[r] = sum;
                }
                for (int j = 0; j < H_; j++) {
                    double ig = 1 / (1 + exp(-pre[j])), fg = 1 / (1 + exp(-pre[H_ + j]));
                    double gg = tanh(pre[2 * H_ + j]), og = 1 / (1 + exp(-pre[3 * H_ + j]));
                    cs[l][b][j] = fg * cs[l][b][j] + ig * gg;
                    hs[l][b][j] = og * tanh(cs[l][b][j]);
                }
                for (int j = 0; j < H_; j++) x[j] = hs[l][b][j];
            }
            double z[V_], mx = -1e300, se = 0;
            for (int v = 0; v < V_; v++) {
                double sum = hb[v];
                for (int k = 0; k < H_; k++) sum += head[v * H_ + k] * x[k];
                z[v] = sum;
                mx = fmax(mx, sum);
                if (logits) logits[(tt * B_ + b) * V_ + v] = sum;
            }
            for (int v = 0; v < V_; v++) se += exp(z[v] - mx);
            int y = TG[tt * B_ + b];
            if (y >= 0) total += log(se) + mx - z[y];
        }
    if (hT)
        for (int l = 0; l < L_; l++)
            for (int b = 0; b < B_; b++)
                for (int j = 0; j < H_; j++) hT[(l * B_ + b) * H_ + j] = hs[l][b][j], cT[(l * B_ + b) * H_ + j] = cs[l][b][j];
    return total;
}

static double *params_double(const problem *p) {
    double *w = malloc(p->m->nparams * sizeof(double));
    for (size_t i = 0; i < p->m->nparams; i++) w[i] = p->m->w[i];
    return w;
}

/* the float forward (logits, loss, final state) against the double model */
static void check_forward_double(problem *p) {
    float h[L_ * B_ * H_], c[L_ * B_ * H_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    double ls;
    long n;
    serce_forward_backward(p->m, p->k, p->ws, T_, IN, TG, h, c, 0.0f, NULL, NULL, &ls, &n);
    const float *z = serce_fb_logits(p->ws);
    double *w = params_double(p), zd[T_ * B_ * V_], hd[L_ * B_ * H_], cd[L_ * B_ * H_];
    double lsd = dfwd(p, w, zd, hd, cd), worst = 0, worst_state = 0;
    for (int i = 0; i < T_ * B_ * V_; i++) worst = fmax(worst, check_relerr(z[i], zd[i], 1e-2));
    for (int i = 0; i < L_ * B_ * H_; i++) {
        worst_state = fmax(worst_state, check_relerr(h[i], hd[i], 1e-2));
        worst_state = fmax(worst_state, check_relerr(c[i], cd[i], 1e-2));
    }
    printf("forward vs double precision: logits max rel err %.2e, state %.2e, loss %.9g vs %.9g\n", worst, worst_state,
           ls, lsd);
    CHECK(worst <= 1e-5, "logits: max rel err %.3g vs the double-precision model", worst);
    CHECK(worst_state <= 1e-5, "final state: max rel err %.3g vs the double-precision model", worst_state);
    CHECK(check_relerr(ls, lsd, 1e-6) <= 1e-6, "loss sum %.9g vs %.9g", ls, lsd);
    free(w);
}

/* the float gradients against the exact derivative (central difference of the double model) */
static void check_exact(problem *p) {
    size_t N = p->m->nparams;
    float *g = calloc(N, sizeof(float));
    grads_of(p, g);
    double *w = params_double(p), worst = 0;
    long tight = 0;
    const double hstep = 1e-5;
    serce_tensor_info t[SERCE_MAX_TENSORS];
    int nt = serce_param_table(&p->m->cfg, t);
    printf("gradients vs the exact derivative of the double-precision model (kernels %s/%s):\n", p->k->gemm_name,
           p->k->matvec_name);
    for (int i = 0; i < nt; i++) {
        double maxe = 0, maxabs = 0;
        for (size_t j = t[i].offset; j < t[i].offset + t[i].numel; j++) {
            double w0 = w[j];
            w[j] = w0 + hstep;
            double fp = dfwd(p, w, NULL, NULL, NULL);
            w[j] = w0 - hstep;
            double fm = dfwd(p, w, NULL, NULL, NULL);
            w[j] = w0;
            double d = (fp - fm) / (2 * hstep) / 6.0; /* mean over the 6 scored targets */
            double e = check_relerr(g[j], d, EXACT_FLOOR);
            maxe = fmax(maxe, e);
            maxabs = fmax(maxabs, fabs(g[j] - d));
            tight += e <= EXACT_TIGHT;
            CHECK(e <= EXACT_TOL, "%s[%zu]: %.9g vs exact %.9g (rel err %.3g)", t[i].name, j - t[i].offset, g[j], d, e);
        }
        printf("  %-20s max rel err %.2e, max abs err %.2e\n", t[i].name, maxe, maxabs);
        worst = fmax(worst, maxe);
    }
    printf("  all: %zu entries, max rel err %.2e, %.1f%% within %g\n", N, worst, 100.0 * (double)tight / (double)N,
           EXACT_TIGHT);
    CHECK((double)tight >= 0.95 * (double)N, "only %ld of %zu entries within %g of the exact derivative", tight, N,
          EXACT_TIGHT);
    free(w);
    free(g);
}

static void check_args(problem *p) {
    float h[L_ * B_ * H_], c[L_ * B_ * H_];
    memcpy(h, p->h0, sizeof h);
    memcpy(c, p->c0, sizeof c);
    double ls;
    long n;
    CHECK(serce_forward_backward(p->m, p->k, p->ws, T_ + 1, IN, TG, h, c, 0.0f, NULL, NULL, &ls, &n) == SERCE_ERR_ARG,
          "T beyond the workspace is refused");
    CHECK(serce_forward_backward(p->m, p->k, p->ws, 0, IN, TG, h, c, 0.0f, NULL, NULL, &ls, &n) == SERCE_ERR_ARG,
          "T = 0 is refused");
    CHECK(memcmp(h, p->h0, sizeof h) == 0, "a refused call leaves the state alone");
    /* no scored target: loss 0, count 0, zero gradient */
    int32_t none[T_ * B_];
    for (int i = 0; i < T_ * B_; i++) none[i] = -1;
    float *g = calloc(p->m->nparams, sizeof(float));
    int rc = serce_forward_backward(p->m, p->k, p->ws, T_, IN, none, h, c, 0.0f, NULL, g, &ls, &n);
    int allzero = 1;
    for (size_t i = 0; i < p->m->nparams; i++) allzero &= g[i] == 0.0f;
    CHECK(rc == SERCE_OK && n == 0 && ls == 0.0 && allzero, "no scored target: rc %d, n %ld, loss %g, zero grad %d", rc, n,
          ls, allzero);
    free(g);
}

int main(void) {
    serce_error err = {0, {0}};
    const serce_kernels *ks[4];
    int nk = serce_kernels_all(ks, 4);
    CHECK(nk >= 1, "kernels");
    for (int ki = 0; ki < nk; ki++) {
        problem p;
        memset(&p, 0, sizeof p);
        p.m = tiny_model(7);
        p.k = ks[ki];
        int rc = serce_fb_new(&p.m->cfg, B_, T_, &p.ws, &err);
        CHECK(rc == SERCE_OK, "workspace: %s", err.msg);
        if (rc) return check_report("test_grad");
        uint64_t rng = serce_rng_seed(3);
        for (int i = 0; i < L_ * B_ * H_; i++) {
            p.h0[i] = 1.2f * serce_rng_uniform(&rng) - 0.6f;
            p.c0[i] = 2.0f * serce_rng_uniform(&rng) - 1.0f;
        }
        p.seed = serce_rng_seed(11);
        p.dropout = 0.0f;
        check_fd(&p, "dropout 0");
        check_exact_zeros(&p);
        check_accumulate(&p);
        check_halves(&p, p.k->gemm == serce_gemm_ref);
        check_forward_double(&p);
        check_exact(&p);
        p.dropout = 0.3f;
        check_fd(&p, "dropout 0.3 (fixed mask)");
        check_accumulate(&p);
        p.dropout = 0.0f;
        check_args(&p);
        serce_fb_free(p.ws);
        serce_model_free(p.m);
    }
    return check_report("test_grad");
}
