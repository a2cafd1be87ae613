/* parallel.c — see parallel.h. The only file of the core that knows about threads. */
#include "parallel.h"
#include "serce.h"

#if defined(SERCE_THREADS)
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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

/* ---------------------------------------------------------------- team */

enum { TEAM_MAX = 16, TEAM_SPIN = 2048 }; /* ~20-50 us of spinning before yielding (caller) or sleeping (helpers) */

#if defined(SERCE_THREADS)
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
#endif

struct serce_team {
    int n;
#if defined(SERCE_THREADS)
    pthread_t th[TEAM_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;      /* bumped once per serce_team_run */
    atomic_int pending;   /* helpers still working on the current run */
    atomic_int sleepers;  /* helpers waiting on cv */
    atomic_int quit;
    serce_piece_fn fn;
    void *ctx;
    struct member { struct serce_team *t; int id; } mem[TEAM_MAX];
#endif
};

#if defined(SERCE_THREADS)
static void *team_main(void *p) {
    struct member *me = p;
    serce_team *t = me->t;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load(&t->gen)) == seen && !atomic_load(&t->quit)) {
            if (++spins < TEAM_SPIN) {
                cpu_relax();
                continue;
            }
            /* Sleep. The caller bumps gen before it reads sleepers and this thread counts itself
             * a sleeper before it reads gen again (both sequentially consistent), so a wake-up
             * cannot fall between the two. */
            pthread_mutex_lock(&t->mu);
            atomic_fetch_add(&t->sleepers, 1);
            while (atomic_load(&t->gen) == seen && !atomic_load(&t->quit)) pthread_cond_wait(&t->cv, &t->mu);
            atomic_fetch_sub(&t->sleepers, 1);
            pthread_mutex_unlock(&t->mu);
            spins = 0;
        }
        if (atomic_load(&t->quit)) break;
        seen = g;
        t->fn(t->ctx, me->id);
        atomic_fetch_sub(&t->pending, 1);
    }
    return 0;
}
#endif

int serce_team_new(int threads, serce_team **out) {
    *out = NULL;
    serce_team *t = serce_calloc(1, sizeof *t);
    if (!t) return -1;
    t->n = 1;
#if defined(SERCE_THREADS)
    if (threads > TEAM_MAX) threads = TEAM_MAX;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        serce_free(t);
        return -1;
    }
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        serce_free(t);
        return -1;
    }
    atomic_init(&t->gen, 0u);
    atomic_init(&t->pending, 0);
    atomic_init(&t->sleepers, 0);
    atomic_init(&t->quit, 0);
    for (int i = 1; i < threads; i++) {
        t->mem[i].t = t, t->mem[i].id = i;
        if (pthread_create(&t->th[i], NULL, team_main, &t->mem[i]) != 0) break;
        t->n = i + 1;
    }
#else
    (void)threads;
#endif
    *out = t;
    return 0;
}

int serce_team_size(const serce_team *t) { return t ? t->n : 1; }

void serce_team_run(serce_team *t, serce_piece_fn fn, void *ctx) {
#if defined(SERCE_THREADS)
    if (t && t->n > 1) {
        t->fn = fn, t->ctx = ctx;
        atomic_store(&t->pending, t->n - 1);
        atomic_fetch_add(&t->gen, 1u);
        if (atomic_load(&t->sleepers) > 0) {
            pthread_mutex_lock(&t->mu);
            pthread_cond_broadcast(&t->cv);
            pthread_mutex_unlock(&t->mu);
        }
        fn(ctx, 0);
        for (int spins = 0; atomic_load(&t->pending) > 0;)
            if (++spins < TEAM_SPIN) cpu_relax();
            else sched_yield();
        return;
    }
#endif
    (void)t;
    fn(ctx, 0);
}

void serce_team_free(serce_team *t) {
    if (!t) return;
#if defined(SERCE_THREADS)
    if (t->n > 1) {
        pthread_mutex_lock(&t->mu);
        atomic_store(&t->quit, 1);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        for (int i = 1; i < t->n; i++) pthread_join(t->th[i], NULL);
    }
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
#endif
    serce_free(t);
}
