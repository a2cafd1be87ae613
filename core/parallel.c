/* parallel.c — see parallel.h. The only file of the core that knows about threads. */
#include "parallel.h"

#if defined(SERCE_THREADS)
#include <pthread.h>
#include <unistd.h>
#endif
#if defined(SERCE_HAVE_BLAS)
#include <cblas.h>
#endif

typedef struct {
    serce_piece_fn fn;
    void *ctx;
    int piece;
} job;

#if defined(SERCE_THREADS)
static void *run_job(void *p) {
    job *j = p;
    j->fn(j->ctx, j->piece);
    return 0;
}
#endif

int serce_parallel_run(int n, int threads, serce_piece_fn fn, void *ctx) {
    int rc = 0;
#if defined(SERCE_THREADS)
    enum { MAXT = 64 };
    pthread_t th[MAXT];
    job jobs[MAXT];
    int started[MAXT] = {0};
    if (threads > n) threads = n;
    if (threads > MAXT) threads = MAXT;
    /* pieces are dealt round-robin: thread t runs pieces t, t+threads, ... */
    for (int t = 1; t < threads; t++) {
        jobs[t].fn = fn, jobs[t].ctx = ctx, jobs[t].piece = t;
        started[t] = pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0;
        if (!started[t]) {
            rc = -1;
            fn(ctx, t);
        }
    }
    for (int i = 0; i < n; i += threads > 0 ? threads : 1) fn(ctx, i);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        for (int i = t + threads; i < n; i += threads) fn(ctx, i);
    }
#else
    (void)threads;
    for (int i = 0; i < n; i++) fn(ctx, i);
#endif
    return rc;
}

int serce_parallel_cpus(void) {
#if defined(SERCE_THREADS) && defined(_SC_NPROCESSORS_ONLN)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#else
    return 1;
#endif
}

void serce_blas_threads(int n) {
#if defined(SERCE_HAVE_BLAS)
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}
