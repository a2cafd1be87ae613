/* parallel.h — run n independent pieces of work at once.
 *
 * The core's only door to threads, used by training and evaluation to run batch shards on both
 * cores (each shard a whole forward/backward on its own streams, so threads never share a buffer
 * and never wait for each other inside a step). Natively (SERCE_THREADS) piece 0 runs on the
 * caller and pieces 1..n-1 on fresh threads joined before returning: a step takes ~100 ms, a
 * thread start ~20 us, so no pool is needed. Elsewhere (WebAssembly) the pieces run one after the
 * other with the same results: the split, not the thread count, decides the arithmetic.
 *
 * Generation needs the opposite trade: a step takes 10-300 us and splits into pieces a few
 * microseconds apart, so a thread start per piece would cost more than it saves. A serce_team keeps
 * its helper threads alive: they spin briefly between pieces of work and sleep on a condition
 * variable when none comes (a user reading the song burns no core). Without thread support a
 * team has one member and serce_team_run is a plain call.
 */
#ifndef SERCE_PARALLEL_H
#define SERCE_PARALLEL_H

typedef void (*serce_piece_fn)(void *ctx, int piece);

/* Run fn(ctx, i) for i in [0, n), on up to `threads` threads. Returns 0, or -1 if a thread could not
 * be started (then the remaining pieces ran on the caller: the result is the same). */
int serce_parallel_run(int n, int threads, serce_piece_fn fn, void *ctx);
/* Processors available to this process (1 when unknown or without thread support). */
int serce_parallel_cpus(void);
/* Limit the BLAS library's own threads (we split the work ourselves). No-op without BLAS. */
void serce_blas_threads(int n);

typedef struct serce_team serce_team;
/* A team of up to `threads` members: the caller plus threads-1 persistent helpers. Returns 0 with
 * *out set (fewer members if threads could not be started; 1 without thread support), or -1 when out
 * of memory. */
int serce_team_new(int threads, serce_team **out);
void serce_team_free(serce_team *t);
int serce_team_size(const serce_team *t);
/* fn(ctx, i) for every member i in [0, size), i = 0 on the caller; returns when all are done. */
void serce_team_run(serce_team *t, serce_piece_fn fn, void *ctx);
#endif
