/* fileio.c — see fileio.h. POSIX (fsync, getpid); every failure is a one-line error naming the file. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int serce_read_file(const char *path, size_t max, uint8_t **data, size_t *n, serce_error *err) {
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return serce_fail(err, SERCE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return serce_fail(err, SERCE_ERR_IO, "%s: is a directory, not a file", path);
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = serce_malloc(cap);
    if (!buf) {
        fclose(f);
        return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= max + 2) break;
            size_t nc = cap * 2 > max + 2 ? max + 2 : cap * 2;
            uint8_t *nb = serce_realloc(buf, nc);
            if (!nb) {
                serce_free(buf);
                fclose(f);
                return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory reading the file", path);
            }
            buf = nb, cap = nc;
        }
        size_t k = fread(buf + len, 1, cap - len - 1, f);
        len += k;
        if (k == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        serce_free(buf);
        return serce_fail(err, SERCE_ERR_IO, "%s: read error", path);
    }
    if (len > max) {
        serce_free(buf);
        return serce_fail(err, SERCE_ERR_LIMIT, "%s: file is larger than the limit of %zu bytes", path, max);
    }
    buf[len] = 0;
    *data = buf;
    *n = len;
    return SERCE_OK;
}

int serce_write_file_atomic(const char *path, const void *data, size_t n, serce_error *err) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return serce_fail(err, SERCE_ERR_ARG, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return serce_fail(err, SERCE_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    const uint8_t *p = data;
    size_t left = n;
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return serce_fail(err, SERCE_ERR_IO, "%s: write failed: %s (the previous file is kept)", path, strerror(e));
        }
        p += k, left -= (size_t)k;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return serce_fail(err, SERCE_ERR_IO, "%s: fsync failed: %s (the previous file is kept)", path, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return serce_fail(err, SERCE_ERR_IO, "%s: close failed: %s (the previous file is kept)", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return serce_fail(err, SERCE_ERR_IO, "%s: rename failed: %s (the previous file is kept)", path, strerror(e));
    }
    return SERCE_OK;
}
