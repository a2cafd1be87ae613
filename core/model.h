/* model.h — the model: config, the parameter table, forward/backward over a batch, the inference step,
 * and the model file (safetensors with PyTorch names).
 *
 *   tokens [T,B] -> embedding [V,E] -> L x LSTM (PyTorch nn.LSTM: gates i,f,g,o; b_ih and b_hh)
 *   -> dropout -> head [V,H] + [V] -> softmax
 * Dropout (training only) is applied to the output of every LSTM layer: between layers and before
 * the head. A stream's state is reset to zero where its input token is <s> (song start), so every
 * song is read from a zero state in training, validation and generation alike.
 *
 * One ordered parameter table (serce_param_table) drives allocation, the file layout, gradients and
 * the Adam moments: params, grads, m and v are flat float blocks of the same layout, in PyTorch's
 * state_dict order.
 * Not here: the optimiser and data streams (train.h), sampling (sampler.h), files (fileio.h).
 */
#ifndef SERCE_MODEL_H
#define SERCE_MODEL_H

#include "kernels.h"
#include "safetensors.h"
#include "serce.h"
#include "text.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SERCE_MAX_LAYERS 8
#define SERCE_MAX_DIM 4096
#define SERCE_MAX_TENSORS (3 + 4 * SERCE_MAX_LAYERS)

typedef struct {
    int vocab;      /* V */
    int embed;      /* E */
    int hidden;     /* H */
    int layers;     /* L */
    int lowercase;  /* the vocabulary is case-folded (Turkish rules) */
} serce_config;

typedef struct {
    char name[32];     /* PyTorch name, e.g. "lstm.weight_ih_l0" */
    int ndim;
    int shape[2];
    size_t offset;     /* in floats, into the flat block */
    size_t numel;
} serce_tensor_info;

typedef struct {
    float *embedding;                   /* [V,E] */
    float *w_ih[SERCE_MAX_LAYERS];      /* [G,in]  in = E for layer 0, H above */
    float *w_hh[SERCE_MAX_LAYERS];      /* [G,H] */
    float *b_ih[SERCE_MAX_LAYERS];      /* [G] */
    float *b_hh[SERCE_MAX_LAYERS];      /* [G] */
    float *head_w;                      /* [V,H] */
    float *head_b;                      /* [V] */
} serce_params;

/* Check a config against the limits (SERCE_ERR_ARG / SERCE_ERR_LIMIT with the reason). */
int serce_config_check(const serce_config *c, serce_error *err);
/* Fill t (SERCE_MAX_TENSORS entries) with the ordered parameter table; returns the tensor count. */
int serce_param_table(const serce_config *c, serce_tensor_info *t);
size_t serce_param_total(const serce_config *c);
/* Point p's tensors into the flat block base (laid out by serce_param_table). */
void serce_params_view(const serce_config *c, float *base, serce_params *p);

typedef struct {
    serce_config cfg;
    serce_vocab vocab;
    float *w;            /* [nparams] the flat parameter block */
    size_t nparams;
    serce_params p;      /* views into w */
    char *meta_training; /* serce.training JSON (owned, may be NULL) */
    /* int8 weights (serce export --int8): per entry of the parameter table, NULL where the tensor is
     * float. w still holds the dequantized values (q * scale), what the batched forward and training
     * (--init) see; generation and serce_evaluate use q itself (int8 x int8, kernels.h). */
    signed char *q[SERCE_MAX_TENSORS];  /* [rows, cols] */
    float *qscale[SERCE_MAX_TENSORS];   /* [rows] */
    int generate_only;   /* loaded with SERCE_LOAD_GENERATE_ONLY: w is not written where q is set */
    char *meta_extra_key[8];   /* further metadata carried through load/save (owned) */
    char *meta_extra_val[8];
    int nmeta_extra;
} serce_model;

/* A model with zeroed weights (vocab copied; cfg.vocab must equal vocab->size). */
int serce_model_new(const serce_config *cfg, const serce_vocab *vocab, serce_model **out, serce_error *err);
/* PyTorch-like initialisation: embedding N(0,1); LSTM and head U(-1/sqrt(fan), 1/sqrt(fan)) with fan = H. */
void serce_model_init(serce_model *m, uint64_t seed);
void serce_model_free(serce_model *m);
/* Set (replace) a metadata entry carried in the file; key "serce.training" sets meta_training. */
int serce_model_set_meta(serce_model *m, const char *key, const char *val);
const char *serce_model_get_meta(const serce_model *m, const char *key);

/* Quantise the LSTM and head weight matrices to int8 with one scale per row (max |w| / 127); the
 * embedding and biases stay float. A file saved afterwards stores them as I8 tensors with an F32
 * "<name>.scale" [rows] beside each. */
int serce_model_quantize(serce_model *m, serce_error *err);
int serce_model_is_int8(const serce_model *m);

/* Load from safetensors bytes (copied; buf may be freed afterwards). Checks the serce.* metadata,
 * every tensor's presence, dtype (F32) and shape against the config, and the vocabulary. */
int serce_model_load(const uint8_t *buf, size_t n, serce_model **out, serce_error *err);
/* The same with flags. SERCE_LOAD_GENERATE_ONLY: int8 matrices are not dequantized into w (left
 * unwritten there), for a program that only generates (the page: loading is what a visitor waits for
 * before the first character); serce_trainer_new, serce_forward_backward and serce_model_quantize
 * refuse such a model, generation and saving work. */
#define SERCE_LOAD_GENERATE_ONLY 1
int serce_model_load_ex(const uint8_t *buf, size_t n, int flags, serce_model **out, serce_error *err);
/* Append the safetensors bytes of the model to out. extra tensors (may be NULL/0) are appended
 * after the model's (checkpoints use this for Adam moments and stream state). */
int serce_model_save(const serce_model *m, serce_buf *out, const st_tensor *extra_tensors, int nextra,
                     const char *const *extra_keys, const char *const *extra_vals, int nextra_meta,
                     serce_error *err);
/* Config and vocab as the metadata JSON strings (appended to b). */
int serce_config_to_json(const serce_config *c, serce_buf *b);

/* ---------------------------------------------------------------- batched forward/backward */

typedef struct serce_fb serce_fb;

/* Workspace for batches of up to B streams x T steps. */
int serce_fb_new(const serce_config *cfg, int B, int T, serce_fb **out, serce_error *err);
void serce_fb_free(serce_fb *ws);
/* Bytes a workspace of that size needs (to refuse absurd settings before allocating). */
double serce_fb_bytes(const serce_config *cfg, int B, int T);

/* One forward (and, if grads != NULL, backward) pass over T (<= the workspace's T) steps of B streams.
 *   inputs, targets [T,B] time-major token ids; a target < 0 is not scored.
 *   h, c [L,B,H]: the state before the first step, replaced by the state after the last.
 *   dropout: probability (0 = none); rng: its random state (used only when dropout > 0).
 *   grads [nparams]: accumulated into (+=), scaled for the mean loss over the scored targets.
 *   loss_sum: sum of the per-target cross-entropies in nats; count: number of scored targets.
 * Returns SERCE_OK or SERCE_ERR_NUMERIC if the loss is not finite. */
int serce_forward_backward(const serce_model *m, const serce_kernels *k, serce_fb *ws, int T,
                           const int32_t *inputs, const int32_t *targets, float *h, float *c,
                           float dropout, uint64_t *rng, float *grads, double *loss_sum, long *count);
/* The logits [T,B,V] of the last forward pass (for the reference tests). */
const float *serce_fb_logits(const serce_fb *ws);

/* ---------------------------------------------------------------- inference (batch 1) */

typedef struct serce_infer serce_infer;

/* Packs the weights for the canonical-order matvec (see kernels.h), or, for an int8 model, for the
 * int8 x int8 matvec on the state quantised with the fixed scale 127; k = NULL picks the best kernels. */
int serce_infer_new(const serce_model *m, const serce_kernels *k, serce_infer **out, serce_error *err);
void serce_infer_free(serce_infer *s);
void serce_infer_reset(serce_infer *s);            /* zero state */
/* Feed one token; the next token's logits [V] are then in serce_infer_logits(). */
void serce_infer_step(serce_infer *s, int token);
/* Split each step over up to `threads` cores (rows of every matrix dealt to a team of threads that
 * stays alive with the generator); the output is bit-identical for any count. Returns the number in
 * use (1 where threads are unavailable, e.g. WebAssembly). */
#define SERCE_INFER_MAX_THREADS 8
int serce_infer_set_threads(serce_infer *s, int threads);
const float *serce_infer_logits(const serce_infer *s);
const char *serce_infer_kernel_name(const serce_infer *s);
/* Copy the state out/in ([2,L,H] floats: h then c), for search-based sampling. */
size_t serce_infer_state_size(const serce_infer *s);
void serce_infer_get_state(const serce_infer *s, float *out);
void serce_infer_set_state(serce_infer *s, const float *in);

#ifdef __cplusplus
}
#endif
#endif
