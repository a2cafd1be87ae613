/* train.h — stateful truncated-BPTT training, Adam with global-norm clipping, evaluation, checkpoints.
 *
 * Data: each epoch the training songs are shuffled (seeded), concatenated (every song starts with <s>)
 * and cut into B contiguous segments; stream b reads its segment T tokens per update, carrying its
 * hidden state from one update to the next. So every character is read exactly once per epoch (the
 * seed notebook's 32-character sliding windows read each one 32 times) and the model still sees
 * long contexts. A stream's state resets at each <s>.
 * Resume: the trainer's whole state (weights, Adam moments, step, epoch, position, dropout RNG,
 * stream states) goes into a checkpoint, so an interrupted and resumed run ends with exactly the same
 * weights as an uninterrupted one (same kernels).
 * Not here: the clock, files, printing, the choice of when to evaluate or stop (the CLI drives that).
 */
#ifndef SERCE_TRAIN_H
#define SERCE_TRAIN_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int batch;           /* B streams */
    int seq_len;         /* T steps per update */
    float lr;            /* peak learning rate */
    float min_lr_ratio;  /* the cosine decay ends at lr * min_lr_ratio */
    int warmup;          /* linear warm-up steps */
    float dropout;
    float clip;          /* global gradient norm limit (0 = none) */
    float weight_decay;  /* decoupled (AdamW); 0 = plain Adam */
    float beta1, beta2, eps;
    uint64_t seed;
    int shards;          /* the batch is split into this many shards, each a whole forward/backward
                            (1..SERCE_MAX_SHARDS); decides the arithmetic, so a resume keeps it */
    int threads;         /* how many shards run at once (native builds; 1 = one core) */
} serce_train_opts;

#define SERCE_MAX_SHARDS 16

void serce_train_opts_default(serce_train_opts *o);

/* A token stream of songs: toks [ntoks]; song i occupies toks[starts[i] .. starts[i+1]) (starts has
 * nsongs + 1 entries) and begins with <s>. */
typedef struct {
    int32_t *toks;
    size_t ntoks;
    size_t *starts;
    size_t nsongs;
} serce_songs;

/* Encode corpus songs [first_index list] into a serce_songs (idx = NULL: all songs in order). */
int serce_songs_encode(const serce_vocab *v, const serce_corpus *c, const size_t *idx, size_t n, serce_songs *out,
                       serce_error *err);
void serce_songs_free(serce_songs *s);
/* Split song indices into train and validation by whole songs: songs are ordered by a hash of their
 * text (independent of file order and of the training seed) and the first round(frac * n) go to
 * validation (at least one when frac > 0 and there are two or more songs). */
int serce_split_songs(const serce_corpus *c, double frac, size_t **train_idx, size_t *ntrain, size_t **val_idx,
                      size_t *nval, serce_error *err);

typedef struct serce_trainer serce_trainer;

typedef struct {
    double loss;    /* mean cross-entropy of the update, nats per token */
    double gnorm;   /* global gradient norm before clipping */
    long tokens;    /* tokens scored */
} serce_step_stats;

int serce_trainer_new(serce_model *m, const serce_kernels *k, const serce_train_opts *o, const serce_songs *data,
                      serce_trainer **out, serce_error *err);
void serce_trainer_free(serce_trainer *t);
/* One update with learning rate lr. SERCE_ERR_NUMERIC (weights untouched) if loss or gradient is not finite. */
int serce_trainer_step(serce_trainer *t, float lr, serce_step_stats *st, serce_error *err);
long serce_trainer_step_count(const serce_trainer *t);
long serce_trainer_epoch(const serce_trainer *t);
double serce_trainer_epoch_fraction(const serce_trainer *t);   /* epochs done, fractional */
long serce_trainer_steps_per_epoch(const serce_trainer *t);
/* Bytes training will need for this model and these options (checked before allocating). */
double serce_trainer_bytes(const serce_config *cfg, const serce_train_opts *o);

/* Learning rate at step for a run with the given progress in [0,1] (fraction of the step, epoch or
 * time budget used): linear warm-up, then cosine decay to lr * min_lr_ratio. */
float serce_lr_at(const serce_train_opts *o, long step, double progress);

/* Checkpoint: model tensors + Adam moments + stream state, metadata serce.checkpoint (JSON with
 * step, epoch, position, RNG) plus the caller's JSON (extra_json, an object, may be NULL). */
int serce_trainer_save(const serce_trainer *t, const char *extra_json, serce_buf *out, serce_error *err);
/* Restore from checkpoint bytes into a trainer built with the same model shape and options. The
 * caller's JSON comes back in *extra_json (serce_malloc'ed, may be NULL). */
int serce_trainer_restore(serce_trainer *t, const uint8_t *buf, size_t n, char **extra_json, serce_error *err);

/* The caller's JSON object stored by serce_trainer_save (serce_malloc'ed), read from checkpoint bytes
 * without building a trainer: the CLI needs the run's settings before it can build one. */
int serce_checkpoint_caller(const uint8_t *buf, size_t n, char **caller_json, serce_error *err);

/* Evaluate on whole songs: each song read from a zero state, every token after its <s> predicted
 * (title characters, <t>, body characters, </s>). Songs are spread over B streams of T steps; an
 * int8 model's songs go one by one through serce_infer_step instead, so it is scored with the integer
 * math it generates with. Returns mean nats per predicted token in *nats and the count in *count. */
int serce_evaluate(const serce_model *m, const serce_kernels *k, const serce_songs *data, int B, int T, double *nats,
                   long *count, serce_error *err);
/* Evaluate one raw token sequence from a zero state: the first token is only input. */
int serce_evaluate_raw(const serce_model *m, const serce_kernels *k, const int32_t *toks, size_t n, double *nats,
                       long *count, serce_error *err);

#ifdef __cplusplus
}
#endif
#endif
