/* safetensors.h — reading and writing the safetensors format from and to memory.
 *
 * Format: 8-byte little-endian header length N, then N bytes of JSON header
 *   {"__metadata__": {"k": "v", ...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...}
 * then the data block; offsets are relative to the data block start.
 * Role: the container only. It knows nothing of LSTMs: model.c checks names and shapes against
 * the model config. The reader trusts nothing: header length, JSON, dtypes, shapes, offsets
 * (inside the file, consistent with dtype x shape, not overlapping, covering the data block)
 * each fail with a specific message.
 * Not here: files (callers pass bytes; core/fileio.c reads files), endianness conversion (hosts are
 * little-endian: x86-64, arm64, wasm).
 */
#ifndef SERCE_SAFETENSORS_H
#define SERCE_SAFETENSORS_H

#include "serce.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_MAX_HEADER (64u << 20)   /* header length limit: 64 MiB */
#define ST_MAX_DIMS 8

typedef enum { ST_F32 = 0, ST_F16, ST_BF16, ST_I8, ST_U8, ST_I32, ST_I64, ST_F64, ST_I16, ST_U16, ST_U32, ST_U64, ST_BOOL, ST_NDTYPES } st_dtype;

const char *st_dtype_name(int dtype);   /* "F32", ... */
int st_dtype_size(int dtype);           /* bytes per element */

typedef struct {
    char *name;              /* NUL-terminated */
    int dtype;               /* st_dtype */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const uint8_t *data;     /* points into the parsed buffer (not aligned!) or, for writing, the caller's data */
    size_t nbytes;
} st_tensor;

typedef struct {
    st_tensor *tensors;      /* [ntensors], in the order of their data offsets */
    int ntensors;
    char **meta_keys;        /* [nmeta] */
    char **meta_vals;        /* [nmeta] */
    int nmeta;
    void *priv;              /* owned storage */
} st_file;

/* Parse buf (n bytes). The tensors' data pointers point into buf, which must outlive the st_file.
 * Errors are SERCE_ERR_FORMAT / SERCE_ERR_JSON / SERCE_ERR_DTYPE with messages such as
 *   "file is 5 bytes, too short for the 8-byte header length"
 *   "header length 999999 is beyond the end of the file (120 bytes)"
 *   "header is not valid JSON at byte 17: ..."
 *   "tensor 'head.bias': unknown dtype 'F33'"
 *   "tensor 'head.bias': data_offsets [0, 12] hold 12 bytes but F32 [4] needs 16"
 *   "tensor 'a' data [0, 64) overlaps tensor 'b' data [32, 96)"
 *   "tensor 'x': data_offsets [0, 4096] run past the end of the data (100 bytes)"
 *   "__metadata__ value of 'k' is not a string"
 */
int st_parse(const uint8_t *buf, size_t n, st_file *f, serce_error *err);
void st_free(st_file *f);

const st_tensor *st_find(const st_file *f, const char *name);
const char *st_meta(const st_file *f, const char *key);     /* NULL if absent */

/* Serialise tensors (their data copied as is) and string metadata into out (appended).
 * The header is padded with spaces so the data block starts at a multiple of 8 bytes. */
int st_write(serce_buf *out, const st_tensor *tensors, int ntensors,
             const char *const *meta_keys, const char *const *meta_vals, int nmeta, serce_error *err);

#ifdef __cplusplus
}
#endif
#endif
