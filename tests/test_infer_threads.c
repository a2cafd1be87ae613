/* test_infer_threads.c — generation split over threads (serce_infer_set_threads) gives the same
 * logits bit for bit as one thread, for float and int8 models, every kernel set, awkward sizes
 * (hidden sizes not a multiple of 4, more threads than row groups) and a state reset at <s>. */
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "model.h"
#include "rng.h"
#include "testmodel.h"
#include "text.h"

static serce_model *make(int E, int H, int L, uint64_t seed) {
    return test_model("# Bir\nay ışığı düştü\nsen gel\n\n# İki\ngüneş ve ay\nben\n\n# Üç\nyıldız söz\n", E, H, L, seed);
}

/* run the same 400 tokens through a 1-thread and an n-thread generator; count differing steps */
static int compare(const serce_model *m, const serce_kernels *k, int threads, int *used) {
    serce_error e;
    serce_infer *a = NULL, *b = NULL;
    if (serce_infer_new(m, k, &a, &e) || serce_infer_new(m, k, &b, &e)) {
        serce_infer_free(a);
        return -1;
    }
    *used = serce_infer_set_threads(b, threads);
    int V = m->cfg.vocab, bad = 0;
    uint64_t r = serce_rng_seed(7);
    for (int t = 0; t < 400; t++) {
        int tok = t % 97 == 0 ? SERCE_TOK_BOS : (int)(serce_rng_u32(&r) % (uint32_t)V);
        serce_infer_step(a, tok);
        serce_infer_step(b, tok);
        if (memcmp(serce_infer_logits(a), serce_infer_logits(b), sizeof(float) * (size_t)V)) bad++;
        if (t == 200) serce_infer_set_threads(b, 1); /* and back: the split can change mid-song */
        if (t == 300) serce_infer_set_threads(b, threads);
    }
    size_t ns = serce_infer_state_size(a);
    float sa[4096], sb[4096];
    if (ns <= 4096) {
        serce_infer_get_state(a, sa), serce_infer_get_state(b, sb);
        if (memcmp(sa, sb, sizeof(float) * ns)) bad++;
    }
    serce_infer_free(a), serce_infer_free(b);
    return bad;
}

int main(void) {
    const serce_kernels *ks[8];
    int nk = serce_kernels_all(ks, 8);
    static const int shapes[][3] = {{5, 7, 2}, {8, 37, 2}, {16, 64, 1}, {12, 130, 3}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (int q8 = 0; q8 < 2; q8++) {
            serce_model *m = make(shapes[si][0], shapes[si][1], shapes[si][2], 11 + si);
            CHECK(m != NULL, "model");
            if (!m) continue;
            serce_error e;
            if (q8) CHECK(serce_model_quantize(m, &e) == SERCE_OK, "quantize: %s", e.msg);
            for (int ki = 0; ki < nk; ki++)
                for (int th = 2; th <= 5; th += 3) {
                    int used = 0, bad = compare(m, ks[ki], th, &used);
                    CHECK(bad == 0, "H%d L%d %s kernels %s, %d threads (%d in use): %d steps differ",
                          shapes[si][1], shapes[si][2], q8 ? "int8" : "fp32", ks[ki]->matvec_name, th, used, bad);
                    CHECK(used >= 1 && used <= th, "%d threads in use", used);
                }
            serce_model_free(m);
        }
    }
    return check_report("test_infer_threads");
}
