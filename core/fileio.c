/* fileio.c — see fileio.h. POSIX (fsync, getpid); every failure is a one-line error naming the file. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int serce_read_file(const char *path, size_t max, uint8_t **data, size_t *n, serce_error *err) {
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return serce_fail(err, SERCE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int have_st = fstat(fileno(f), &st) == 0;
    if (have_st && S_ISDIR(st.st_mode)) {
        fclose(f);
        return serce_fail(err, SERCE_ERR_IO, "%s: is a directory, not a file", path);
    }
    if (have_st && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > (uintmax_t)max) { /* say so before reading it all */
        fclose(f);
        return serce_fail(err, SERCE_ERR_LIMIT, "%s: file is %jd bytes, larger than the limit of %zu bytes", path,
                          (intmax_t)st.st_size, max);
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

/* Temp files that earlier writers of path left when they were killed between open and rename
 * (SIGKILL, OOM killer, power cut): path.tmp-PID whose PID is no longer running. Removed before each
 * write so they do not pile up next to the model. A PID that is running (or that we may not signal)
 * is left alone, so a concurrent writer's temp file is never touched. */
static void remove_stale_temps(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dl = slash ? (size_t)(slash - path) : 1;
    if (dl + 1 >= sizeof dir) return;
    if (!slash) memcpy(dir, ".", 2);
    else if (dl == 0) memcpy(dir, "/", 2);
    else memcpy(dir, path, dl), dir[dl] = 0;
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strncmp(nm, base, bl) != 0 || strncmp(nm + bl, ".tmp-", 5) != 0) continue;
        const char *digits = nm + bl + 5;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (end == digits || *end || errno || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[8192];
        if (snprintf(full, sizeof full, "%s/%s", dir, nm) < (int)sizeof full) unlink(full);
    }
    closedir(d);
}

int serce_write_file_atomic(const char *path, const void *data, size_t n, serce_error *err) {
    char tmp[4096];
    remove_stale_temps(path);
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
