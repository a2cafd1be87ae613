/* test_parallel.c — the thread helpers of core/parallel.c: serce_parallel_run covers every piece once,
 * and a serce_team runs every member exactly once per call, many thousands of calls in a row (the
 * generation pattern), and still after its helpers have gone to sleep (the wake-up path). */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include "check.h"
#include "parallel.h"

typedef struct {
    int n;
    long hits[16];
    long round;
    long seen_round[16]; /* each member records the round it ran in: catches a stale or doubled run */
    int bad;
} counter;

static void count_piece(void *ctx, int i) {
    counter *c = ctx;
    c->hits[i]++;
    if (c->seen_round[i] != c->round - 1) c->bad++;
    c->seen_round[i] = c->round;
}

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void shard_piece(void *ctx, int i) { ((counter *)ctx)->hits[i]++; }

int main(void) {
    /* serce_parallel_run: 7 pieces on 3 threads, each once */
    counter pc;
    memset(&pc, 0, sizeof pc);
    CHECK(serce_parallel_run(7, 3, shard_piece, &pc) == 0, "parallel_run failed");
    for (int i = 0; i < 7; i++) CHECK(pc.hits[i] == 1, "piece %d ran %ld times", i, pc.hits[i]);

    for (int want = 1; want <= 3; want++) {
        serce_team *t = NULL;
        CHECK(serce_team_new(want, &t) == 0 && t, "team_new(%d)", want);
        if (!t) continue;
        int n = serce_team_size(t);
        CHECK(n >= 1 && n <= want, "team of %d has %d members", want, n);
        counter c;
        memset(&c, 0, sizeof c);
        c.n = n;
        for (long r = 1; r <= 5000; r++) {
            c.round = r;
            serce_team_run(t, count_piece, &c);
        }
        /* let the helpers fall asleep, then wake them a few times */
        for (long r = 5001; r <= 5004; r++) {
            pause_ms(30);
            c.round = r;
            serce_team_run(t, count_piece, &c);
        }
        for (int i = 0; i < n; i++) CHECK(c.hits[i] == 5004, "member %d ran %ld times", i, c.hits[i]);
        CHECK(c.bad == 0, "%d runs out of order", c.bad);
        serce_team_free(t);
    }
    serce_team_free(NULL);
    CHECK(serce_team_size(NULL) == 1, "a missing team has one member");
    return check_report("test_parallel");
}
