/* parallel.h — run n independent pieces of work at once.
 *
 * The core's only door to threads, used by training and evaluation to run batch shards on both
 * cores (each shard a whole forward/backward on its own streams, so threads never share a buffer
 * and never wait for each other inside a step). Natively (SERCE_THREADS) piece 0 runs on the
 * caller and pieces 1..n-1 on fresh threads joined before returning: a step takes ~100 ms, a
 * thread start ~20 us, so no pool is needed. Elsewhere (WebAssembly) the pieces run one after the
 * other with the same results: the split, not the thread count, decides the arithmetic.
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
#endif
