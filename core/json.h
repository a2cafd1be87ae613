/* json.h — a small, strict JSON reader (RFC 8259) and writing helpers.
 *
 * Role: parse safetensors headers and Serçe's metadata strings; escape strings when writing them.
 * Not here: a general-purpose JSON library. Documents are parsed into one flat array of nodes
 * (no per-node allocation), with limits on depth and size so hostile input cannot exhaust memory
 * or the stack.
 */
#ifndef SERCE_JSON_H
#define SERCE_JSON_H

#include "serce.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SJ_NULL, SJ_FALSE, SJ_TRUE, SJ_NUMBER, SJ_STRING, SJ_ARRAY, SJ_OBJECT } sj_type;

typedef struct {
    int type;        /* sj_type */
    int parent;      /* index of the parent node, -1 for the root */
    int next;        /* index of the next sibling, -1 if last */
    int child;       /* first child (array element or object key), -1 if none */
    int count;       /* number of children (array elements / object members) */
    double num;      /* SJ_NUMBER */
    char *str;       /* SJ_STRING and object keys: decoded UTF-8, NUL-terminated (points into the doc's pool) */
    size_t len;      /* string length in bytes */
} sj_node;
/* Objects: each member is a key node (type SJ_STRING) whose `child` is its value node. */

typedef struct {
    sj_node *nodes;
    int nnodes;
    char *pool;      /* decoded strings */
} sj_doc;

/* Parse n bytes of JSON (no trailing garbage other than whitespace). Depth is limited to 64.
 * Errors: SERCE_ERR_JSON with "WHAT: invalid JSON at byte K: REASON" (what names the document). */
int sj_parse(const char *s, size_t n, const char *what, sj_doc *doc, serce_error *err);
void sj_free(sj_doc *doc);

/* Object member lookup: the value node index of key in object node obj, or -1. */
int sj_get(const sj_doc *doc, int obj, const char *key);
/* Array element i of node arr, or -1. */
int sj_at(const sj_doc *doc, int arr, int i);
/* Convenience: number member as double / integer (returns 0 on success, -1 if missing or wrong type). */
int sj_get_num(const sj_doc *doc, int obj, const char *key, double *out);
int sj_get_int(const sj_doc *doc, int obj, const char *key, long long *out);  /* must be integral */
const char *sj_get_str(const sj_doc *doc, int obj, const char *key);        /* NULL if missing/not a string */

/* Append s (n bytes of UTF-8) as a JSON string literal with quotes and escapes. */
int sj_write_str(serce_buf *b, const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
