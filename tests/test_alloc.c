/* test_alloc.c — allocation failure injection through the paths tests/test_model.c's loop does not
 * reach: the validation split, serce_evaluate and serce_evaluate_raw, a sharded trainer, checkpoint
 * save with a caller record and restore into a fresh trainer (then one more step), a model saved with
 * extra metadata and loaded back, and the file helpers. A clean run counts its allocations; then each
 * one in turn is made to fail: the run must end with SERCE_ERR_NOMEM and a message, never a crash (the
 * ASan build checks that nothing leaks), or, where a failure is tolerated by design (a shrinking
 * realloc), finish with the same numbers as the clean run.
 * Also: serce_fail cuts an over-long message at a character boundary (valid UTF-8). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fileio.h"
#include "model.h"
#include "text.h"
#include "train.h"

/* songs written for this test */
static const char CORPUS[] =
    "# Kuyu\nTaş kuyu derin, su serin\nKova iner, ip gerilir\n\n"
    "# Bahçe\nErik açar nisan sonu\nArı gelir, bal getirir\n\n"
    "# Kapı\nEski kapı gıcırdar\nRüzgâr girer içeri\n\n"
    "# Yokuş\nYokuş dik, nefes kısa\nTepede bir çeşme var\n\n"
    "# Fener\nFener yanar gece boyu\nGemi görür, yol bulur\n\n"
    "# Pazar\nDomates kırmızı, biber yeşil\nSatıcı bağırır neşeyle\n";

typedef struct {
    double eval_nats, raw_nats, step_loss;
    long eval_count, raw_count, step_after_restore;
} results;

/* One full run; returns the status of the first failure (or SERCE_OK) and where it happened. */
static int run(const char *tmp_path, results *r, int *stage, serce_error *e) {
    serce_corpus c;
    serce_vocab v;
    serce_model *m = NULL, *m2 = NULL;
    serce_songs tr, va;
    size_t *tri = NULL, *vai = NULL, ntr = 0, nva = 0;
    serce_trainer *t = NULL, *t2 = NULL;
    serce_buf ck = {0}, mb = {0};
    char *extra = NULL;
    uint8_t *fbuf = NULL;
    size_t fn = 0;
    memset(&tr, 0, sizeof tr);
    memset(&va, 0, sizeof va);
    memset(&v, 0, sizeof v);
    *stage = 0;
    int rc = serce_corpus_parse(CORPUS, sizeof CORPUS - 1, "alloc.txt", SERCE_CORPUS_AUTO, 0, &c, e);
    if (rc) return rc;
    *stage = 1;
    rc = serce_split_songs(&c, 0.34, &tri, &ntr, &vai, &nva, e);
    if (!rc) rc = serce_vocab_build(&c, 1, 0, &v, e);
    if (!rc) {
        serce_config cfg = {v.size, 4, 6, 2, 0};
        rc = serce_model_new(&cfg, &v, &m, e);
    }
    if (!rc) {
        serce_model_init(m, 9);
        rc = serce_songs_encode(&m->vocab, &c, tri, ntr, &tr, e);
    }
    if (!rc) rc = serce_songs_encode(&m->vocab, &c, vai, nva, &va, e);
    if (!rc) {
        *stage = 2;
        rc = serce_evaluate(m, serce_kernels_ref(), &va, 3, 8, &r->eval_nats, &r->eval_count, e);
    }
    if (!rc) {
        *stage = 3;
        rc = serce_evaluate_raw(m, serce_kernels_ref(), tr.toks, tr.ntoks > 40 ? 40 : tr.ntoks, &r->raw_nats,
                                &r->raw_count, e);
    }
    serce_train_opts o;
    serce_train_opts_default(&o);
    o.batch = 4, o.seq_len = 6, o.shards = 2, o.threads = 1, o.dropout = 0.1f;
    if (!rc) {
        *stage = 4;
        rc = serce_trainer_new(m, serce_kernels_ref(), &o, &tr, &t, e);
    }
    if (!rc) rc = serce_trainer_step(t, 1e-3f, NULL, e);
    if (!rc) {
        *stage = 5;
        rc = serce_trainer_save(t, "{\"caller\":true}", &ck, e);
    }
    if (!rc) {
        *stage = 6; /* restore into a fresh model and trainer, as `serce train --resume` does */
        rc = serce_model_load(ck.data, ck.len, &m2, e);
        if (!rc) rc = serce_trainer_new(m2, serce_kernels_ref(), &o, &tr, &t2, e);
        if (!rc) rc = serce_trainer_restore(t2, ck.data, ck.len, &extra, e);
        if (!rc && !(extra && strstr(extra, "\"caller\":true"))) rc = serce_fail(e, SERCE_ERR_FORMAT, "caller record lost");
        serce_step_stats st = {0, 0, 0};
        if (!rc) rc = serce_trainer_step(t2, 1e-3f, &st, e);
        if (!rc) r->step_loss = st.loss, r->step_after_restore = serce_trainer_step_count(t2);
    }
    if (!rc) {
        *stage = 7; /* extra metadata through save and load */
        rc = serce_model_set_meta(m2, "serce.card", "{\"note\":\"alloc\"}");
        if (!rc) rc = serce_model_set_meta(m2, "serce.training", "{\"steps\":2}");
        if (rc) rc = serce_fail(e, rc, "set_meta failed");
        if (!rc) rc = serce_model_save(m2, &mb, NULL, 0, NULL, NULL, 0, e);
        serce_model *m3 = NULL;
        if (!rc) rc = serce_model_load(mb.data, mb.len, &m3, e);
        if (!rc && !(serce_model_get_meta(m3, "serce.card") && m3->meta_training))
            rc = serce_fail(e, SERCE_ERR_FORMAT, "metadata lost");
        serce_model_free(m3);
    }
    if (!rc) {
        *stage = 8; /* the file helpers: write (no allocation) and read back */
        rc = serce_write_file_atomic(tmp_path, mb.data, mb.len, e);
        if (!rc) rc = serce_read_file(tmp_path, 1 << 20, &fbuf, &fn, e);
        if (!rc && (fn != mb.len || memcmp(fbuf, mb.data, fn)))
            rc = serce_fail(e, SERCE_ERR_IO, "read back %zu bytes, wrote %zu", fn, mb.len);
    }
    serce_free(fbuf);
    serce_free(extra);
    serce_buf_free(&ck);
    serce_buf_free(&mb);
    serce_trainer_free(t2);
    serce_trainer_free(t);
    serce_model_free(m2);
    serce_model_free(m);
    serce_songs_free(&tr);
    serce_songs_free(&va);
    serce_free(tri);
    serce_free(vai);
    serce_vocab_free(&v);
    serce_corpus_free(&c);
    return rc;
}

int main(void) {
    char tmp_path[] = "/tmp/serce-test-alloc-XXXXXX";
    int fd = mkstemp(tmp_path);
    CHECK(fd >= 0, "temp file");
    if (fd < 0) return check_report("test_alloc");
    close(fd);
    serce_error e = {0};
    int stage;
    results base, r;
    memset(&base, 0, sizeof base);
    serce_alloc_fail_at(0); /* resets the count */
    int rc = run(tmp_path, &base, &stage, &e);
    long total = serce_alloc_count();
    CHECK(rc == SERCE_OK, "a run without injected failures succeeds (stage %d: %s)", stage, e.msg);
    if (rc) {
        unlink(tmp_path);
        return check_report("test_alloc");
    }
    CHECK(base.eval_count > 0 && isfinite(base.eval_nats) && base.raw_count == 39 && base.step_after_restore == 2,
          "baseline numbers: eval %ld, raw %ld, step %ld", base.eval_count, base.raw_count, base.step_after_restore);

    /* fail each of the run's allocations in turn; a few failures are tolerated by design (a shrinking
     * realloc that may fail), so a run may also succeed, and must then give the baseline numbers */
    int clean = 1, same = 1, stages_hit[9] = {0};
    long failed = 0, k;
    for (k = 1; k <= total; k++) {
        serce_alloc_fail_at(k);
        memset(&r, 0, sizeof r);
        memset(&e, 0, sizeof e);
        rc = run(tmp_path, &r, &stage, &e);
        serce_alloc_fail_at(0);
        if (rc == SERCE_OK) {
            same &= r.eval_nats == base.eval_nats && r.raw_nats == base.raw_nats && r.step_loss == base.step_loss &&
                    r.eval_count == base.eval_count;
            continue;
        }
        failed++;
        stages_hit[stage] = 1;
        if (rc != SERCE_ERR_NOMEM || !e.msg[0] || e.code != rc) {
            clean = 0;
            fprintf(stderr, "k=%ld stage %d: code %d (%s) instead of SERCE_ERR_NOMEM\n", k, stage, rc, e.msg);
        }
    }
    CHECK(clean, "every injected allocation failure returned SERCE_ERR_NOMEM with its message");
    CHECK(same, "a run that survived a tolerated failure gives the same numbers as a clean run");
    CHECK(failed > total / 2, "most allocations are checked: %ld of %ld failed the run", failed, total);
    int all = 1;
    for (int st = 1; st <= 8; st++) all &= stages_hit[st];
    CHECK(all, "failures were injected in every stage");
    printf("test_alloc: %ld allocation points, %ld failed the run cleanly\n", total, failed);

    /* a message longer than serce_error holds is cut at a character boundary (valid UTF-8) */
    for (int pad = 0; pad < 4; pad++) {
        char lng[700];
        size_t n = 0;
        while (n < (size_t)pad) lng[n++] = 'a';
        while (n + 3 < sizeof lng) lng[n++] = (char)0xC3, lng[n++] = (char)0xA7; /* ç */
        lng[n] = 0;
        serce_error le;
        serce_fail(&le, SERCE_ERR_ARG, "%s", lng);
        CHECK(strlen(le.msg) > 300 && serce_utf8_validate(le.msg, strlen(le.msg), "msg", NULL) == SERCE_OK,
              "a cut message is valid UTF-8 (pad %d, %zu bytes)", pad, strlen(le.msg));
    }
    unlink(tmp_path);
    return check_report("test_alloc");
}
