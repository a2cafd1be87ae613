/* fileio.h — reading a whole file and writing one atomically (temp file in the same directory,
 * fsync, rename), so an interrupted run never leaves a half-written model where a model is expected.
 * Kept apart from the core library: the wasm build never links it (the browser hands bytes to the
 * core). */
#ifndef SERCE_FILEIO_H
#define SERCE_FILEIO_H
#include "serce.h"

/* Read path into *data (serce_malloc'ed, NUL-terminated for convenience), at most max bytes. */
int serce_read_file(const char *path, size_t max, uint8_t **data, size_t *n, serce_error *err);
/* Write data to path atomically: path.tmp-PID, fsync, rename over path. On failure the old file at
 * path is untouched and the temp file removed. Temp files of path left by writers that were killed
 * (path.tmp-PID of a PID no longer running) are removed first. */
int serce_write_file_atomic(const char *path, const void *data, size_t n, serce_error *err);
#endif
