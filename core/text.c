/* text.c — UTF-8, Turkish case folding, corpus parsing, the vocabulary and token encoding.
 *
 * Role: turn the bytes a host hands in (a corpus file, a prime, a vocabulary JSON) into codepoints,
 * songs and token ids, with errors that name file:line:col and the offending byte.
 * Deliberately not here: reading files (hosts pass bytes), full Unicode normalisation (only the
 * combining sequences that Turkish text meets are composed), full Unicode case mapping (only the
 * Latin, Greek and Cyrillic blocks a Turkish lyric corpus can contain), printing.
 * Everything allocates through serce_malloc & co., so tests/test_text.c can fail the k-th
 * allocation and check that each failure path frees what it took and returns SERCE_ERR_NOMEM.
 *
 * Pipeline of serce_corpus_parse: reject NUL bytes and over-long lines on the raw bytes, decode the
 * whole buffer once to codepoints (strict UTF-8, composition, CR/CRLF -> LF, BOM dropped, optional
 * folding), then split into songs on codepoints. The CSV reader unescapes quoted fields in place in
 * that codepoint buffer, so fields are spans of it and need no allocation of their own.
 */
#include "text.h"

#include "json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERCE_LINE_LIMIT 1048576  /* bytes per physical line: longer is almost surely not lyrics */

static const char *const special_tok[SERCE_NSPECIAL] = {"<unk>", "<s>", "</s>", "<t>"};

/* ================================================================ UTF-8 */

int serce_utf8_next(const char *str, size_t n, size_t *pos, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)str;
    size_t p = *pos;
    if (p >= n) return -1;
    unsigned b = s[p];
    if (b < 0x80) {
        *cp = b;
        *pos = p + 1;
        return 0;
    }
    int need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte: excludes overlongs,
                                      surrogates and values past U+10FFFF (RFC 3629 table) */
    uint32_t c;
    if (b >= 0xC2 && b <= 0xDF) need = 1, c = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 2, c = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3, c = b & 0x07;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else
        return -1;
    if (n - p <= (size_t)need) return -1;
    for (int i = 1; i <= need; i++) {
        unsigned x = s[p + (size_t)i];
        if (i == 1 ? (x < lo || x > hi) : (x & 0xC0) != 0x80) return -1;
        c = (c << 6) | (x & 0x3F);
    }
    *cp = c;
    *pos = p + (size_t)need + 1;
    return 0;
}

int serce_utf8_put(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        o[0] = (unsigned char)(0xF0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/* Why the sequence at s[pos] is invalid, in words a user can act on (the decoder above only says
 * "no"; this runs once, on the error path). */
static void utf8_why(const unsigned char *s, size_t n, size_t pos, char *why, size_t m) {
    unsigned b = s[pos];
    if (b >= 0x80 && b <= 0xBF) {
        snprintf(why, m, "unexpected continuation byte 0x%02X", b);
        return;
    }
    if (b == 0xC0 || b == 0xC1) {
        snprintf(why, m, "byte 0x%02X can only start an overlong encoding", b);
        return;
    }
    if (b >= 0xF5) {
        snprintf(why, m, "byte 0x%02X never appears in UTF-8", b);
        return;
    }
    int need = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    for (int i = 1; i <= need; i++) {
        if (pos + (size_t)i >= n) {
            snprintf(why, m, "byte 0x%02X starts a %d-byte sequence that the end of the input cuts short", b,
                     need + 1);
            return;
        }
        unsigned x = s[pos + (size_t)i];
        if ((x & 0xC0) != 0x80) {
            if (i == 1) snprintf(why, m, "byte 0x%02X not followed by a continuation byte", b);
            else
                snprintf(why, m, "byte 0x%02X starts a %d-byte sequence but byte 0x%02X is not a continuation byte",
                         b, need + 1, x);
            return;
        }
    }
    unsigned x1 = s[pos + 1];
    if ((b == 0xE0 && x1 < 0xA0) || (b == 0xF0 && x1 < 0x90)) {
        snprintf(why, m, "overlong encoding: bytes 0x%02X 0x%02X ...", b, x1);
        return;
    }
    if (b == 0xED && x1 >= 0xA0) {
        unsigned v = 0xD000u | ((x1 & 0x3Fu) << 6) | (s[pos + 2] & 0x3Fu);
        snprintf(why, m, "UTF-16 surrogate U+%04X encoded as bytes 0x%02X 0x%02X 0x%02X", v, b, x1, s[pos + 2]);
        return;
    }
    if (b == 0xF4 && x1 >= 0x90) {
        snprintf(why, m, "bytes 0x%02X 0x%02X ... encode a value beyond U+10FFFF", b, x1);
        return;
    }
    snprintf(why, m, "byte 0x%02X starts an invalid sequence", b);
}

/* Lines end at LF, CRLF or a lone CR (as serce_text_decode sees them); columns count codepoints;
 * a leading BOM is not a column (editors do not show it). */
int serce_utf8_validate(const char *s, size_t n, const char *name, serce_error *err) {
    if (!name) name = "input";
    size_t pos = 0, line = 1, col = 1;
    while (pos < n) {
        unsigned char b = (unsigned char)s[pos];
        if (b < 0x80) {
            pos++;
            if (b == '\n' || b == '\r') {
                if (b == '\r' && pos < n && s[pos] == '\n') pos++;
                line++;
                col = 1;
            } else
                col++;
            continue;
        }
        size_t at = pos;
        uint32_t cp;
        if (serce_utf8_next(s, n, &pos, &cp) != 0) {
            char why[160];
            utf8_why((const unsigned char *)s, n, at, why, sizeof why);
            /* A Turkish letter of Windows-1254 / ISO-8859-9 (çğıöşüÇĞİÖŞÜ) before plain ASCII: the usual
             * cause is a file saved in the old Turkish code page, so say so. */
            static const unsigned char cp1254[] = {0xE7, 0xF0, 0xFD, 0xF6, 0xFE, 0xFC, 0xC7, 0xD0, 0xDD, 0xD6, 0xDE, 0xDC};
            int legacy = memchr(cp1254, b, sizeof cp1254) != NULL && (at + 1 >= n || (unsigned char)s[at + 1] < 0x80);
            return serce_fail(err, SERCE_ERR_UTF8, "%s:%zu:%zu: invalid UTF-8 (%s)%s", name, line, col, why,
                              legacy ? "; the text looks like Windows-1254 Turkish: save it as UTF-8" : "");
        }
        if (!(at == 0 && cp == 0xFEFF)) col++;
    }
    return SERCE_OK;
}

/* ================================================================ case */

uint32_t serce_tr_lower(uint32_t c) {
    if (c < 0x80) {
        if (c == 'I') return 0x131; /* dotless: the whole reason this function exists */
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
    if (c < 0x180) { /* Latin Extended-A: upper/lower pairs, parity flips at 0x139 and 0x179 */
        if (c == 0x130) return 'i'; /* İ -> i, never i + U+0307 */
        if (c == 0x178) return 0xFF;
        if ((c < 0x138) || (c >= 0x14A && c < 0x178)) return (c & 1) ? c : c + 1; /* ı (0x131) is odd: kept */
        if ((c >= 0x139 && c < 0x149) || (c >= 0x179 && c < 0x17F)) return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c == 0x18F) return 0x259; /* Ə (Azerbaijani, met in Turkic song titles) */
    if (c >= 0x386 && c <= 0x3AB) { /* Greek */
        if (c >= 0x391 && c != 0x3A2) return c + 32;
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 37;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 63;
        return c;
    }
    if (c >= 0x400 && c <= 0x52F) { /* Cyrillic */
        if (c <= 0x40F) return c + 80;
        if (c <= 0x42F) return c + 32;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0)) return (c & 1) ? c : c + 1;
        if (c == 0x4C0) return 0x4CF;
        if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : c;
    }
    return c;
}

uint32_t serce_tr_upper(uint32_t c) {
    if (c < 0x80) {
        if (c == 'i') return 0x130;
        return (c >= 'a' && c <= 'z') ? c - 32 : c;
    }
    if (c < 0x100) {
        if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
        return c == 0xFF ? 0x178 : c; /* ß and µ have no simple single upper case here: kept */
    }
    if (c < 0x180) {
        if (c == 0x131) return 'I';
        if ((c > 0x100 && c < 0x138) || (c > 0x14A && c < 0x178)) return (c & 1) ? c - 1 : c;
        if ((c > 0x139 && c <= 0x148) || (c > 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
        return c;
    }
    if (c == 0x259) return 0x18F;
    if (c >= 0x3AC && c <= 0x3CE) {
        if (c >= 0x3B1 && c <= 0x3CB) return c == 0x3C2 ? 0x3A3 : c - 32; /* final sigma -> Σ */
        if (c == 0x3AC) return 0x386;
        if (c >= 0x3AD && c <= 0x3AF) return c - 37;
        if (c == 0x3CC) return 0x38C;
        if (c == 0x3CD || c == 0x3CE) return c - 63;
        return c;
    }
    if (c >= 0x430 && c <= 0x52F) {
        if (c <= 0x44F) return c - 32;
        if (c <= 0x45F) return c - 80;
        if ((c >= 0x461 && c <= 0x481) || (c >= 0x48B && c <= 0x4BF) || (c >= 0x4D1)) return (c & 1) ? c - 1 : c;
        if (c == 0x4CF) return 0x4C0;
        if (c >= 0x4C2 && c <= 0x4CE) return (c & 1) ? c : c - 1;
    }
    return c;
}

/* ================================================================ decoding */

/* The precomposed letter for base + combining mark, or 0. Only what Turkish text meets: input typed
 * on macOS or copied from PDFs arrives decomposed, and "İ" lower-cased by a naive tool arrives as
 * i + U+0307; without this the vocabulary would learn marks as separate characters. */
static uint32_t compose(uint32_t base, uint32_t mark) {
    switch (mark) {
    case 0x327: /* cedilla */
        return base == 'c' ? 0xE7 : base == 'C' ? 0xC7 : base == 's' ? 0x15F : base == 'S' ? 0x15E : 0;
    case 0x306: /* breve */
        return base == 'g' ? 0x11F : base == 'G' ? 0x11E : 0;
    case 0x308: /* diaeresis */
        return base == 'o' ? 0xF6 : base == 'O' ? 0xD6 : base == 'u' ? 0xFC : base == 'U' ? 0xDC : 0;
    case 0x302: /* circumflex */
        switch (base) {
        case 'a': return 0xE2;
        case 'i': return 0xEE;
        case 'u': return 0xFB;
        case 'A': return 0xC2;
        case 'I': return 0xCE;
        case 'U': return 0xDB;
        default: return 0;
        }
    case 0x307: /* dot above: i already has it; I + dot is İ */
        return base == 'i' ? 'i' : base == 'I' ? 0x130 : 0;
    default:
        return 0;
    }
}

int serce_text_decode(const char *s, size_t n, int lowercase, const char *name, uint32_t **out, size_t *nout,
                      serce_error *err) {
    *out = NULL;
    *nout = 0;
    if (!name) name = "input";
    if (n > SIZE_MAX / sizeof(uint32_t))
        return serce_fail(err, SERCE_ERR_LIMIT, "%s: %zu bytes is more text than this machine can index", name, n);
    uint32_t *o = serce_malloc(n * sizeof *o); /* codepoints <= bytes */
    if (!o) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory decoding %zu bytes of text", name, n);
    size_t pos = 0, k = 0;
    if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) pos = 3;
    while (pos < n) {
        unsigned char b = (unsigned char)s[pos];
        if (b < 0x80) {
            pos++;
            if (b == '\r') {
                if (pos < n && s[pos] == '\n') pos++;
                b = '\n';
            }
            o[k++] = b;
            continue;
        }
        uint32_t cp;
        if (serce_utf8_next(s, n, &pos, &cp) != 0) {
            serce_free(o);
            /* validate re-scans to name line:col and the byte; it finds this same first error */
            int rc = serce_utf8_validate(s, n, name, err);
            return rc ? rc : serce_fail(err, SERCE_ERR_UTF8, "%s: invalid UTF-8", name);
        }
        if (cp >= 0x300 && cp <= 0x36F && k > 0) {
            uint32_t c = compose(o[k - 1], cp);
            if (c) {
                o[k - 1] = c;
                continue;
            }
        }
        o[k++] = cp;
    }
    /* fold only after composing: I + U+0307 must become İ (then i), not ı + a stray dot */
    if (lowercase)
        for (size_t i = 0; i < k; i++) o[i] = serce_tr_lower(o[i]);
    if (k < n) { /* give back the slack; if the shrink fails the big block is still valid */
        uint32_t *t = serce_realloc(o, (k ? k : 1) * sizeof *o);
        if (t) o = t;
    }
    *out = o;
    *nout = k;
    return SERCE_OK;
}

/* ================================================================ small containers */

typedef struct {
    size_t start, len; /* a run of a codepoint buffer */
} span;

typedef struct {
    span *v;
    size_t n, cap;
} spanvec;

static int spanvec_push(spanvec *a, size_t start, size_t len) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        span *v = serce_realloc(a->v, cap * sizeof *v);
        if (!v) return SERCE_ERR_NOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n].start = start;
    a->v[a->n].len = len;
    a->n++;
    return SERCE_OK;
}

typedef struct {
    serce_song *v;
    size_t n, cap;
} songlist;

static void songlist_free(songlist *l) {
    for (size_t i = 0; i < l->n; i++) {
        serce_free(l->v[i].title);
        serce_free(l->v[i].body);
    }
    serce_free(l->v);
    memset(l, 0, sizeof *l);
}

/* Takes ownership of title and body (freed on failure). A song without a body teaches nothing and
 * is dropped. */
static int songlist_add(songlist *l, uint32_t *title, size_t tlen, uint32_t *body, size_t blen) {
    if (blen == 0) {
        serce_free(title);
        serce_free(body);
        return SERCE_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        serce_song *v = serce_realloc(l->v, cap * sizeof *v);
        if (!v) {
            serce_free(title);
            serce_free(body);
            return SERCE_ERR_NOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    serce_song *s = &l->v[l->n++];
    s->title = tlen ? title : NULL;
    s->title_len = tlen;
    if (!tlen) serce_free(title);
    s->body = body;
    s->body_len = blen;
    return SERCE_OK;
}

/* ================================================================ lines and bodies */

static int is_hspace(uint32_t c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == 0xA0; }

/* Lines of t[0..n) with trailing blanks stripped (a line of spaces is then blank). */
static int split_lines(const uint32_t *t, size_t n, spanvec *lines) {
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && t[i] != '\n') continue;
        if (i == n && start == n && n > 0) break; /* text ends with '\n': no extra empty line */
        size_t len = i - start;
        while (len && is_hspace(t[start + len - 1])) len--;
        if (spanvec_push(lines, start, len)) return SERCE_ERR_NOMEM;
        start = i + 1;
    }
    return SERCE_OK;
}

/* Join lines into one body: '\n' between lines, any run of blank lines inside becomes one stanza
 * break ("\n\n"), blank lines at either end vanish. *body is NULL when there is no text. */
static int join_lines(const uint32_t *t, const span *ln, size_t count, uint32_t **body, size_t *blen) {
    *body = NULL;
    *blen = 0;
    size_t len = 0;
    int started = 0, gap = 0;
    for (size_t i = 0; i < count; i++) {
        if (ln[i].len == 0) {
            gap = started;
            continue;
        }
        if (started) len += gap ? 2 : 1;
        len += ln[i].len;
        started = 1;
        gap = 0;
    }
    if (!len) return SERCE_OK;
    uint32_t *b = serce_malloc(len * sizeof *b);
    if (!b) return SERCE_ERR_NOMEM;
    size_t k = 0;
    started = gap = 0;
    for (size_t i = 0; i < count; i++) {
        if (ln[i].len == 0) {
            gap = started;
            continue;
        }
        if (started) {
            b[k++] = '\n';
            if (gap) b[k++] = '\n';
        }
        memcpy(b + k, t + ln[i].start, ln[i].len * sizeof *b);
        k += ln[i].len;
        started = 1;
        gap = 0;
    }
    *body = b;
    *blen = k;
    return SERCE_OK;
}

/* A title from t[start..start+len): trimmed, inner newlines as spaces (a title is one line: the
 * encoder ends it with <t>). *title is NULL when nothing is left. */
static int make_title(const uint32_t *t, size_t start, size_t len, uint32_t **title, size_t *tlen) {
    *title = NULL;
    *tlen = 0;
    while (len && (is_hspace(t[start]) || t[start] == '\n')) start++, len--;
    while (len && (is_hspace(t[start + len - 1]) || t[start + len - 1] == '\n')) len--;
    if (!len) return SERCE_OK;
    uint32_t *o = serce_malloc(len * sizeof *o);
    if (!o) return SERCE_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) o[i] = t[start + i] == '\n' ? ' ' : t[start + i];
    *title = o;
    *tlen = len;
    return SERCE_OK;
}

/* ================================================================ SONGS and PLAIN formats */

static int is_title_line(const uint32_t *t, const span *l) {
    return l->len >= 2 && t[l->start] == '#' && t[l->start + 1] == ' ';
}

/* SONGS: blocks of non-blank lines; a first line "# Title" names the song. A block that is only a
 * title takes the untitled blocks after it as stanzas (the common "title, blank line, verses"
 * layout), up to the next titled block. */
static int parse_songs(const uint32_t *t, const spanvec *lines, songlist *sl) {
    const span *L = lines->v;
    size_t m = lines->n, i = 0;
    while (i < m) {
        if (L[i].len == 0) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < m && L[end].len) end++;
        int titled = is_title_line(t, &L[i]);
        if (titled && end == i + 1) {
            size_t k = end;
            for (;;) {
                size_t s2 = k;
                while (s2 < m && L[s2].len == 0) s2++;
                if (s2 >= m || is_title_line(t, &L[s2])) break;
                while (s2 < m && L[s2].len) s2++;
                end = k = s2;
            }
        }
        uint32_t *title = NULL, *body = NULL;
        size_t tlen = 0, blen = 0;
        size_t first = i;
        if (titled) {
            if (make_title(t, L[i].start + 2, L[i].len - 2, &title, &tlen)) return SERCE_ERR_NOMEM;
            first = i + 1;
        }
        if (join_lines(t, L + first, end - first, &body, &blen)) {
            serce_free(title);
            return SERCE_ERR_NOMEM;
        }
        if (songlist_add(sl, title, tlen, body, blen)) return SERCE_ERR_NOMEM;
        i = end;
    }
    return SERCE_OK;
}

/* PLAIN: segments separated by runs of at least min_gap blank lines. With sl NULL only counts. */
static int plain_pass(const uint32_t *t, const spanvec *lines, size_t min_gap, songlist *sl, size_t *count) {
    const span *L = lines->v;
    size_t m = lines->n, i = 0;
    *count = 0;
    while (i < m) {
        while (i < m && L[i].len == 0) i++;
        if (i >= m) break;
        size_t first = i, j = i;
        while (j < m) {
            if (L[j].len) {
                j++;
                continue;
            }
            size_t r = j;
            while (r < m && L[r].len == 0) r++;
            int split = r - j >= min_gap || r >= m;
            if (split) break;
            j = r;
        }
        (*count)++;
        if (sl) {
            uint32_t *body;
            size_t blen;
            if (join_lines(t, L + first, j - first, &body, &blen)) return SERCE_ERR_NOMEM;
            if (songlist_add(sl, NULL, 0, body, blen)) return SERCE_ERR_NOMEM;
        }
        i = j;
    }
    return SERCE_OK;
}

static int parse_plain(const uint32_t *t, const spanvec *lines, songlist *sl) {
    size_t count;
    (void)plain_pass(t, lines, 2, NULL, &count); /* counting only: cannot fail */
    /* one song by the 2-blank-line rule: the text separates songs by single blank lines instead */
    return plain_pass(t, lines, count == 1 ? 1 : 2, sl, &count);
}

/* ================================================================ CSV */

typedef struct {
    uint32_t *t;    /* the decoded text; quoted fields are unescaped in place (w <= r always) */
    size_t n, r, w; /* length, read and write positions */
    size_t line;    /* 1-based line of t[r] */
    uint32_t sep;
    const char *name;
} csv_reader;

/* Short printable form of a codepoint for messages: the character, or U+XXXX for controls. */
static void cp_show(uint32_t c, char *out, size_t m) {
    char u[5] = {0};
    if (c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x300 && c <= 0x36F) || !serce_utf8_put(c, u))
        snprintf(out, m, "U+%04X", (unsigned)c);
    else
        snprintf(out, m, "'%s' (U+%04X)", u, (unsigned)c);
}

/* Read one record (RFC 4180); its fields are appended to f. *got = 0 at the end of the text. */
static int csv_record(csv_reader *rd, spanvec *f, size_t *rec_line, int *got, serce_error *err) {
    uint32_t *t = rd->t;
    *got = 0;
    if (rd->r >= rd->n) return SERCE_OK;
    *got = 1;
    *rec_line = rd->line;
    for (;;) {
        size_t start = rd->w;
        size_t q = rd->r;
        while (q < rd->n && t[q] == ' ') q++; /* tolerate `a, "b"`: spaces before an opening quote */
        if (q < rd->n && t[q] == '"') {
            size_t qline = rd->line;
            rd->r = q + 1;
            for (;;) {
                if (rd->r >= rd->n)
                    return serce_fail(err, SERCE_ERR_CORPUS,
                                      "%s:%zu: unterminated quoted field: the quote opened on this line is never closed",
                                      rd->name, qline);
                uint32_t c = t[rd->r++];
                if (c == '"') {
                    if (rd->r < rd->n && t[rd->r] == '"') {
                        rd->r++;
                        t[rd->w++] = '"';
                        continue;
                    }
                    break;
                }
                if (c == '\n') rd->line++;
                t[rd->w++] = c;
            }
            while (rd->r < rd->n && t[rd->r] == ' ') rd->r++;
            if (rd->r < rd->n && t[rd->r] != rd->sep && t[rd->r] != '\n') {
                char what[32];
                cp_show(t[rd->r], what, sizeof what);
                return serce_fail(err, SERCE_ERR_CORPUS,
                                  "%s:%zu: %s after the closing quote of a field (a quote inside a quoted field "
                                  "must be doubled: \"\")",
                                  rd->name, rd->line, what);
            }
        } else {
            while (rd->r < rd->n && t[rd->r] != rd->sep && t[rd->r] != '\n') t[rd->w++] = t[rd->r++];
        }
        if (spanvec_push(f, start, rd->w - start))
            return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory reading the CSV", rd->name);
        if (rd->r >= rd->n) return SERCE_OK;
        uint32_t c = t[rd->r++];
        if (c == '\n') {
            rd->line++;
            return SERCE_OK;
        }
    }
}

/* The separator is the most frequent of ',' ';' tab outside quotes on the header line
 * (ties in that order; none at all: a one-column file, ',' as good as any). */
static uint32_t csv_detect_sep(const uint32_t *t, size_t n) {
    size_t cnt[3] = {0, 0, 0};
    int inq = 0;
    size_t i = 0;
    while (i < n && (t[i] == '\n' || is_hspace(t[i]))) i++; /* blank lines before the header */
    for (; i < n; i++) {
        uint32_t c = t[i];
        if (c == '"') inq = !inq;
        if (inq) continue;
        if (c == '\n') break;
        cnt[0] += c == ',';
        cnt[1] += c == ';';
        cnt[2] += c == '\t';
    }
    if (cnt[1] > cnt[0] && cnt[1] >= cnt[2]) return ';';
    if (cnt[2] > cnt[0] && cnt[2] > cnt[1]) return '\t';
    return ',';
}

/* Header names compare as folded ASCII keys: Turkish lower case, diacritics dropped, runs of
 * space/_/-/. as one '_' ("Şarkı Sözü", "sarki_sozu" and "SARKI SOZU" all give "sarki_sozu"). */
static uint32_t strip_accent(uint32_t c) {
    switch (c) {
    case 0xE7: return 'c';
    case 0x11F: return 'g';
    case 0x131: return 'i';
    case 0x15F: return 's';
    case 0xF1: return 'n';
    case 0xFD: case 0xFF: return 'y';
    default: break;
    }
    if (c >= 0xE0 && c <= 0xE5) return 'a';
    if (c >= 0xE8 && c <= 0xEB) return 'e';
    if (c >= 0xEC && c <= 0xEF) return 'i';
    if ((c >= 0xF2 && c <= 0xF6) || c == 0xF8) return 'o';
    if (c >= 0xF9 && c <= 0xFC) return 'u';
    return c;
}

static void colname_key(const uint32_t *s, size_t len, char *out, size_t m) {
    size_t k = 0;
    int sep = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = strip_accent(serce_tr_lower(s[i]));
        if (c >= 0x300 && c <= 0x36F) continue;
        if (c == ' ' || c == '_' || c == '-' || c == '.' || is_hspace(c)) {
            sep = k > 0;
            continue;
        }
        if (k + 3 > m) { /* longer than any name we look for: matches nothing */
            out[0] = 0;
            return;
        }
        if (sep) out[k++] = '_';
        sep = 0;
        out[k++] = (c < 0x80 && c != '_') ? (char)c : '?';
    }
    out[k] = 0;
}

static const char *const col_lyric[] = {"sarki_sozu", "sozler", "lyrics", "lyric", "text", "soz", NULL};
static const char *const col_song[] = {"sarki_id", "song_id", "id", NULL};
static const char *const col_title[] = {"sarki_adi", "sarkisi", "title", "song", "sarki", NULL};
static const char *const col_line[] = {"satir_no", "line", "line_no", NULL};

/* The column whose key equals the earliest candidate name, or -1. keys: [ncols][48]. */
static int find_col(char (*keys)[48], size_t ncols, const char *const *names) {
    for (; *names; names++)
        for (size_t c = 0; c < ncols; c++)
            if (strcmp(keys[c], *names) == 0) return (int)c;
    return -1;
}

static int span_eq(const uint32_t *t, span a, span b) {
    return a.len == b.len && memcmp(t + a.start, t + b.start, a.len * sizeof *t) == 0;
}

static span span_trim(const uint32_t *t, span s) {
    while (s.len && (is_hspace(t[s.start]) || t[s.start] == '\n')) s.start++, s.len--;
    while (s.len && (is_hspace(t[s.start + s.len - 1]) || t[s.start + s.len - 1] == '\n')) s.len--;
    return s;
}

/* The line-number cell as an integer; anything else sorts after the numbered lines. */
static long long parse_lineno(const uint32_t *t, span s) {
    s = span_trim(t, s);
    if (s.len == 0 || s.len > 18) return LLONG_MAX;
    long long v = 0;
    for (size_t i = 0; i < s.len; i++) {
        uint32_t c = t[s.start + i];
        if (c < '0' || c > '9') return LLONG_MAX;
        v = v * 10 + (long long)(c - '0');
    }
    return v;
}

typedef struct {
    size_t group;  /* song, numbered in order of first appearance */
    long long lineno;
    size_t row;    /* tie-break: keeps the sort stable */
} rowkey;

static int rowkey_cmp(const void *pa, const void *pb) {
    const rowkey *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->lineno != b->lineno) return a->lineno < b->lineno ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

/* Reads the header record (skipping blank lines) into f; *hline its line, *got 0 if none. */
static int csv_header(csv_reader *rd, spanvec *f, size_t *hline, int *got, serce_error *err) {
    for (;;) {
        f->n = 0;
        int rc = csv_record(rd, f, hline, got, err);
        if (rc || !*got) return rc;
        if (!(f->n == 1 && f->v[0].len == 0)) return SERCE_OK;
    }
}

/* Auto-detection: is the first non-blank line a header with at least two fields, one of them a
 * lyric column? (Two, so that a poem whose first line is "Söz" is not taken for a CSV.) Works on a
 * copy because the reader unescapes in place. */
static int looks_like_csv(const uint32_t *t, size_t n, int *yes) {
    *yes = 0;
    size_t s = 0;
    while (s < n && (t[s] == '\n' || is_hspace(t[s]))) s++;
    size_t e = s;
    while (e < n && t[e] != '\n') e++;
    if (e == s) return SERCE_OK;
    uint32_t *copy = serce_malloc((e - s) * sizeof *copy);
    if (!copy) return SERCE_ERR_NOMEM;
    memcpy(copy, t + s, (e - s) * sizeof *copy);
    spanvec f = {0};
    csv_reader rd = {copy, e - s, 0, 0, 1, csv_detect_sep(copy, e - s), "input"};
    size_t hline;
    int got, rc = csv_record(&rd, &f, &hline, &got, NULL);
    if (rc == SERCE_ERR_NOMEM) {
        serce_free(copy);
        serce_free(f.v);
        return rc;
    }
    if (rc == SERCE_OK && got && f.n >= 2) {
        char key[48];
        for (size_t c = 0; c < f.n && !*yes; c++) {
            colname_key(copy + f.v[c].start, f.v[c].len, key, sizeof key);
            for (const char *const *nm = col_lyric; *nm; nm++)
                if (strcmp(key, *nm) == 0) *yes = 1;
        }
    }
    serce_free(copy);
    serce_free(f.v);
    return SERCE_OK;
}

/* Appends to buf (of size m, NUL-terminated) the UTF-8 of t[s], whole characters only; control
 * characters (a quoted header cell may hold a newline) become '?' so a message stays one line. */
static void cps_append(char *buf, size_t m, const uint32_t *t, span s) {
    size_t k = strlen(buf);
    for (size_t i = 0; i < s.len; i++) {
        char u[4];
        uint32_t c = t[s.start + i];
        int nb = serce_utf8_put(c < 0x20 || c == 0x7F ? '?' : c, u);
        if (k + (size_t)nb + 1 > m) break;
        memcpy(buf + k, u, (size_t)nb);
        k += (size_t)nb;
    }
    buf[k] = 0;
}

typedef struct { /* the CSV parse's owned memory, released in one place */
    spanvec f;          /* [nrows * ncols] cells */
    spanvec rows;       /* [nrows] .start = the row's first line */
    char (*keys)[48];   /* [ncols] */
    rowkey *rk;         /* [nrows] */
    size_t *table;      /* [hcap] row index + 1 of a group's first row, 0 = empty */
    spanvec lines;      /* one song's lyric lines */
} csv_mem;

static void csv_mem_free(csv_mem *m) {
    serce_free(m->f.v);
    serce_free(m->rows.v);
    serce_free(m->keys);
    serce_free(m->rk);
    serce_free(m->table);
    serce_free(m->lines.v);
}

static int parse_csv_rows(uint32_t *t, size_t n, const char *name, songlist *sl, csv_mem *m, serce_error *err) {
    csv_reader rd = {t, n, 0, 0, 1, csv_detect_sep(t, n), name};
    size_t hline;
    int got;
    int rc = csv_header(&rd, &m->f, &hline, &got, err);
    if (rc) return rc;
    if (!got) return serce_fail(err, SERCE_ERR_CORPUS, "%s: the corpus has no text", name);
    size_t ncols = m->f.n;
    m->keys = serce_malloc(ncols * sizeof *m->keys);
    if (!m->keys) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory reading the CSV header", name);
    for (size_t c = 0; c < ncols; c++) colname_key(t + m->f.v[c].start, m->f.v[c].len, m->keys[c], sizeof m->keys[c]);
    int c_lyric = find_col(m->keys, ncols, col_lyric);
    int c_song = find_col(m->keys, ncols, col_song);
    int c_title = find_col(m->keys, ncols, col_title);
    int c_line = find_col(m->keys, ncols, col_line);
    if (c_lyric < 0) {
        char found[160] = "";
        for (size_t c = 0; c < ncols; c++) {
            size_t k = strlen(found);
            if (k + 8 >= sizeof found) {
                snprintf(found + k, sizeof found - k, ", ...");
                break;
            }
            snprintf(found + k, sizeof found - k, "%s\"", c ? ", " : "");
            cps_append(found, sizeof found - 2, t, m->f.v[c]);
            k = strlen(found);
            snprintf(found + k, sizeof found - k, "\"");
        }
        return serce_fail(err, SERCE_ERR_CORPUS,
                          "%s:%zu: no lyric column in the CSV header (columns: %s); name it one of "
                          "\"Şarkı Sözü\", \"sözler\", \"lyrics\", \"text\"",
                          name, hline, found);
    }

    /* rows: every cell kept as a span; a blank line between rows is not a row */
    m->f.n = 0;
    for (;;) {
        size_t before = m->f.n, rline;
        rc = csv_record(&rd, &m->f, &rline, &got, err);
        if (rc) return rc;
        if (!got) break;
        size_t nf = m->f.n - before;
        if (nf == 1 && m->f.v[before].len == 0) {
            m->f.n = before;
            continue;
        }
        if (nf != ncols)
            return serce_fail(err, SERCE_ERR_CORPUS, "%s:%zu: row has %zu field%s, the header has %zu", name, rline,
                              nf, nf == 1 ? "" : "s", ncols);
        if (spanvec_push(&m->rows, rline, 0)) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory", name);
    }
    size_t nrows = m->rows.n;
    if (nrows == 0) return serce_fail(err, SERCE_ERR_CORPUS, "%s: the corpus has no text", name);
#define CELL(r, c) (m->f.v[(r) * ncols + (size_t)(c)])

    /* How rows form songs: by the song id; else by the title when rows are lines (a line-number
     * column, or no cell spans several lines); else each row is a whole song (the "sozler" kind,
     * where two songs can share a title). */
    int key_col = c_song;
    if (key_col < 0 && c_title >= 0) {
        int multiline = 0;
        for (size_t r = 0; r < nrows && !multiline; r++) {
            span s = span_trim(t, CELL(r, c_lyric));
            for (size_t i = 0; i < s.len; i++)
                if (t[s.start + i] == '\n') multiline = 1;
        }
        if (c_line >= 0 || !multiline) key_col = c_title;
    }
    m->rk = serce_malloc(nrows * sizeof *m->rk);
    if (!m->rk) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory grouping %zu rows", name, nrows);
    size_t hcap = 16;
    while (hcap < 2 * nrows) hcap *= 2;
    if (key_col >= 0) {
        m->table = serce_calloc(hcap, sizeof *m->table);
        if (!m->table) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory grouping %zu rows", name, nrows);
    }
    size_t ngroups = 0;
    for (size_t r = 0; r < nrows; r++) {
        m->rk[r].row = r;
        m->rk[r].lineno = c_line >= 0 ? parse_lineno(t, CELL(r, c_line)) : 0;
        if (key_col < 0) {
            m->rk[r].group = ngroups++;
            continue;
        }
        span key = span_trim(t, CELL(r, key_col));
        uint32_t h = 2166136261u; /* FNV-1a over the codepoints */
        for (size_t i = 0; i < key.len; i++) h = (h ^ t[key.start + i]) * 16777619u;
        size_t slot = h & (hcap - 1);
        for (;;) {
            size_t e = m->table[slot];
            if (!e) {
                m->table[slot] = r + 1;
                m->rk[r].group = ngroups++;
                break;
            }
            if (span_eq(t, span_trim(t, CELL(e - 1, key_col)), key)) {
                m->rk[r].group = m->rk[e - 1].group;
                break;
            }
            slot = (slot + 1) & (hcap - 1);
        }
    }
    qsort(m->rk, nrows, sizeof *m->rk, rowkey_cmp);

    for (size_t a = 0; a < nrows;) {
        size_t b = a;
        while (b < nrows && m->rk[b].group == m->rk[a].group) b++;
        m->lines.n = 0;
        span tspan = {0, 0};
        for (size_t i = a; i < b; i++) {
            size_t r = m->rk[i].row;
            if (c_title >= 0 && tspan.len == 0) tspan = span_trim(t, CELL(r, c_title));
            span cell = CELL(r, c_lyric);
            size_t s0 = cell.start, end = cell.start + cell.len;
            for (size_t p = s0; p <= end; p++) { /* the cell's lines, trailing blanks stripped */
                if (p < end && t[p] != '\n') continue;
                size_t len = p - s0;
                while (len && is_hspace(t[s0 + len - 1])) len--;
                if (spanvec_push(&m->lines, s0, len)) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory", name);
                s0 = p + 1;
            }
        }
        uint32_t *title = NULL, *body = NULL;
        size_t tlen = 0, blen = 0;
        if (make_title(t, tspan.start, tspan.len, &title, &tlen) ||
            join_lines(t, m->lines.v, m->lines.n, &body, &blen)) {
            serce_free(title);
            return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory", name);
        }
        if (songlist_add(sl, title, tlen, body, blen)) return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory", name);
        a = b;
    }
#undef CELL
    return SERCE_OK;
}

static int parse_csv(uint32_t *t, size_t n, const char *name, songlist *sl, serce_error *err) {
    csv_mem m;
    memset(&m, 0, sizeof m);
    int rc = parse_csv_rows(t, n, name, sl, &m, err);
    csv_mem_free(&m);
    return rc;
}

/* ================================================================ corpus */

void serce_corpus_free(serce_corpus *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nsongs; i++) {
        serce_free(c->songs[i].title);
        serce_free(c->songs[i].body);
    }
    serce_free(c->songs);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- overlap between corpora */

/* Hash the folded letters and digits of body[a, b); *letters receives their count. */
static uint64_t line_key(const uint32_t *t, size_t a, size_t b, int *letters) {
    uint64_t h = 1469598103934665603ULL;
    int n = 0;
    for (size_t i = a; i < b; i++) {
        uint32_t cp = serce_tr_lower(t[i]);
        int keep = (cp >= '0' && cp <= '9') || cp != serce_tr_upper(cp) || (cp >= 'a' && cp <= 'z');
        if (!keep) continue;
        h = (h ^ cp) * 1099511628211ULL;
        n++;
    }
    *letters = n;
    return h;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Keys of a song's long lines, sorted and distinct, appended at keys[*n]. */
static void song_keys(const serce_song *s, int min_letters, uint64_t *keys, size_t *n) {
    size_t a = 0, n0 = *n;
    for (size_t i = 0; i <= s->body_len; i++)
        if (i == s->body_len || s->body[i] == '\n') {
            int letters;
            uint64_t k = line_key(s->body, a, i, &letters);
            if (letters >= min_letters) keys[(*n)++] = k;
            a = i + 1;
        }
    qsort(keys + n0, *n - n0, sizeof *keys, cmp_u64);
    size_t w = n0;
    for (size_t i = n0; i < *n; i++)
        if (w == n0 || keys[w - 1] != keys[i]) keys[w++] = keys[i];
    *n = w;
}

static size_t count_lines(const serce_song *s) {
    size_t n = 1;
    for (size_t i = 0; i < s->body_len; i++) n += s->body[i] == '\n';
    return n;
}

void serce_corpus_keep(serce_corpus *c, const unsigned char *keep) {
    size_t w = 0;
    for (size_t i = 0; i < c->nsongs; i++) {
        serce_song *s = &c->songs[i];
        if (keep[i]) {
            c->songs[w++] = *s;
            continue;
        }
        c->nchars -= s->title_len + s->body_len;
        serce_free(s->title), serce_free(s->body);
    }
    c->nsongs = w;
}

int serce_corpus_drop_overlap(serce_corpus *c, const serce_corpus *other, int min_letters, int min_lines,
                              size_t *dropped, serce_error *err) {
    if (dropped) *dropped = 0;
    size_t cap = 1, mine = 1;
    for (size_t i = 0; i < other->nsongs; i++) cap += count_lines(&other->songs[i]);
    for (size_t i = 0; i < c->nsongs; i++) {
        size_t m = count_lines(&c->songs[i]);
        if (m > mine) mine = m;
    }
    uint64_t *keys = serce_malloc(cap * sizeof *keys), *own = serce_malloc(mine * sizeof *own);
    unsigned char *keep = serce_malloc(c->nsongs ? c->nsongs : 1);
    if (!keys || !own || !keep) {
        serce_free(keys), serce_free(own), serce_free(keep);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory comparing corpora");
    }
    size_t nk = 0;
    for (size_t i = 0; i < other->nsongs; i++) song_keys(&other->songs[i], min_letters, keys, &nk);
    qsort(keys, nk, sizeof *keys, cmp_u64);
    size_t gone = 0;
    for (size_t i = 0; i < c->nsongs; i++) {
        size_t no = 0;
        song_keys(&c->songs[i], min_letters, own, &no);
        int shared = 0;
        for (size_t j = 0; j < no; j++) shared += bsearch(&own[j], keys, nk, sizeof *keys, cmp_u64) != NULL;
        keep[i] = shared < min_lines;
        gone += !keep[i];
    }
    serce_corpus_keep(c, keep);
    serce_free(keys), serce_free(own), serce_free(keep);
    if (dropped) *dropped = gone;
    return SERCE_OK;
}

/* Checks on the raw bytes, before decoding: a NUL means a binary file (UTF-8 text never has one,
 * and saying "binary" beats a puzzling UTF-8 error); a line past the limit means a minified or
 * broken file, and would make one huge "line" of lyrics. */
static int check_bytes(const char *s, size_t n, const char *name, serce_error *err) {
    const char *nul = memchr(s, 0, n);
    if (nul)
        return serce_fail(err, SERCE_ERR_CORPUS, "%s: looks like a binary file (NUL byte at byte %zu)", name,
                          (size_t)(nul - s) + 1); /* 1-based, like cmp(1) and the line:col numbers */
    size_t line = 1, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n' && s[i] != '\r') continue;
        if (i - start > SERCE_LINE_LIMIT)
            return serce_fail(err, SERCE_ERR_LIMIT, "%s:%zu: line is %zu bytes long; the limit is %d", name, line,
                              i - start, SERCE_LINE_LIMIT);
        if (i < n && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') i++;
        line++;
        start = i + 1;
    }
    return SERCE_OK;
}

int serce_corpus_parse(const char *data, size_t n, const char *name, int format, int lowercase, serce_corpus *out,
                       serce_error *err) {
    if (!out || (!data && n)) return serce_fail(err, SERCE_ERR_ARG, "serce_corpus_parse: no data or no output");
    memset(out, 0, sizeof *out);
    if (!name) name = "input";
    if (format < SERCE_CORPUS_AUTO || format > SERCE_CORPUS_PLAIN)
        return serce_fail(err, SERCE_ERR_ARG, "%s: unknown corpus format %d", name, format);
    int rc = check_bytes(data ? data : "", n, name, err);
    if (rc) return rc;
    uint32_t *t;
    size_t nt;
    rc = serce_text_decode(data ? data : "", n, lowercase, name, &t, &nt, err);
    if (rc) return rc;

    songlist sl = {0};
    spanvec lines = {0};
    int detect = format == SERCE_CORPUS_AUTO;
    if (detect) {
        int csv;
        rc = looks_like_csv(t, nt, &csv);
        if (rc) goto nomem;
        format = csv ? SERCE_CORPUS_CSV : SERCE_CORPUS_PLAIN;
    }
    if (format != SERCE_CORPUS_CSV) {
        rc = split_lines(t, nt, &lines);
        if (rc) goto nomem;
        if (detect) { /* titled blocks mean SONGS */
            for (size_t i = 0; i < lines.n; i++)
                if ((i == 0 || lines.v[i - 1].len == 0) && is_title_line(t, &lines.v[i])) {
                    format = SERCE_CORPUS_SONGS;
                    break;
                }
        }
    }
    if (format == SERCE_CORPUS_CSV) rc = parse_csv(t, nt, name, &sl, err);
    else if (format == SERCE_CORPUS_SONGS) rc = parse_songs(t, &lines, &sl);
    else rc = parse_plain(t, &lines, &sl);
    if (rc == SERCE_ERR_NOMEM) goto nomem;
    serce_free(t);
    serce_free(lines.v);
    if (rc) {
        songlist_free(&sl);
        return rc;
    }
    size_t nchars = 0;
    for (size_t i = 0; i < sl.n; i++) nchars += sl.v[i].title_len + sl.v[i].body_len;
    if (nchars == 0) {
        songlist_free(&sl);
        return serce_fail(err, SERCE_ERR_CORPUS, "%s: the corpus has no text", name);
    }
    out->songs = sl.v;
    out->nsongs = sl.n;
    out->nchars = nchars;
    out->format = format;
    return SERCE_OK;
nomem:
    serce_free(t);
    serce_free(lines.v);
    songlist_free(&sl);
    return serce_fail(err, SERCE_ERR_NOMEM, "%s: out of memory parsing the corpus", name);
}

/* ================================================================ vocabulary */

static int cp_cmp(const void *pa, const void *pb) {
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

/* Open-addressing counts keyed by codepoint + 1 (0 = empty): a corpus has ~100 distinct
 * characters, so this stays tiny where a 0x110000-entry array would not. */
typedef struct {
    uint32_t *key;
    size_t *cnt;
    size_t cap, n;
} cpcount;

static int cpcount_add(cpcount *h, uint32_t cp) {
    if (2 * (h->n + 1) > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        uint32_t *k = serce_calloc(cap, sizeof *k);
        size_t *c = serce_calloc(cap, sizeof *c);
        if (!k || !c) {
            serce_free(k);
            serce_free(c);
            return SERCE_ERR_NOMEM;
        }
        for (size_t i = 0; i < h->cap; i++) {
            if (!h->key[i]) continue;
            size_t s = (h->key[i] * 2654435761u) & (cap - 1);
            while (k[s]) s = (s + 1) & (cap - 1);
            k[s] = h->key[i];
            c[s] = h->cnt[i];
        }
        serce_free(h->key);
        serce_free(h->cnt);
        h->key = k;
        h->cnt = c;
        h->cap = cap;
    }
    uint32_t key = cp + 1;
    size_t s = (key * 2654435761u) & (h->cap - 1);
    while (h->key[s] && h->key[s] != key) s = (s + 1) & (h->cap - 1);
    if (!h->key[s]) {
        h->key[s] = key;
        h->n++;
    }
    h->cnt[s]++;
    return SERCE_OK;
}

int serce_vocab_build(const serce_corpus *c, int min_count, int lowercase, serce_vocab *v, serce_error *err) {
    memset(v, 0, sizeof *v);
    cpcount h = {0};
    for (size_t i = 0; i < c->nsongs; i++) {
        const serce_song *s = &c->songs[i];
        for (size_t k = 0; k < s->title_len + s->body_len; k++) {
            uint32_t cp = k < s->title_len ? s->title[k] : s->body[k - s->title_len];
            if (cpcount_add(&h, cp)) {
                serce_free(h.key);
                serce_free(h.cnt);
                return serce_fail(err, SERCE_ERR_NOMEM, "out of memory counting characters");
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < h.cap; i++) kept += h.key[i] && h.cnt[i] >= (size_t)(min_count > 1 ? min_count : 1);
    if (kept > SERCE_MAX_VOCAB - SERCE_NSPECIAL) {
        serce_free(h.key);
        serce_free(h.cnt);
        return serce_fail(err, SERCE_ERR_LIMIT,
                          "the corpus has %zu distinct characters occurring at least %d times; the vocabulary "
                          "holds at most %d (raise min_count)",
                          kept, min_count, SERCE_MAX_VOCAB - SERCE_NSPECIAL);
    }
    uint32_t *cps = serce_calloc(SERCE_NSPECIAL + kept, sizeof *cps);
    if (!cps) {
        serce_free(h.key);
        serce_free(h.cnt);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory building the vocabulary");
    }
    size_t k = SERCE_NSPECIAL;
    for (size_t i = 0; i < h.cap; i++)
        if (h.key[i] && h.cnt[i] >= (size_t)(min_count > 1 ? min_count : 1)) cps[k++] = h.key[i] - 1;
    serce_free(h.key);
    serce_free(h.cnt);
    qsort(cps + SERCE_NSPECIAL, kept, sizeof *cps, cp_cmp);
    v->size = (int)(SERCE_NSPECIAL + kept);
    v->cps = cps;
    v->lowercase = lowercase ? 1 : 0;
    return SERCE_OK;
}

int serce_vocab_id(const serce_vocab *v, uint32_t cp) {
    int lo = SERCE_NSPECIAL, hi = v->size - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (v->cps[mid] == cp) return mid;
        if (v->cps[mid] < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return SERCE_TOK_UNK;
}

int serce_vocab_token_str(const serce_vocab *v, int id, char out[16]) {
    out[0] = 0;
    if (id < 0 || id >= v->size) return 0;
    if (id < SERCE_NSPECIAL) {
        size_t k = strlen(special_tok[id]);
        memcpy(out, special_tok[id], k + 1);
        return (int)k;
    }
    int k = serce_utf8_put(v->cps[id], out);
    out[k] = 0;
    return k;
}

int serce_vocab_to_json(const serce_vocab *v, serce_buf *b) {
    size_t len0 = b->len; /* on failure b is put back as it was */
    int rc = serce_buf_append(b, "[", 1);
    for (int i = 0; i < v->size && !rc; i++) {
        char s[16];
        int k = serce_vocab_token_str(v, i, s);
        if (i) rc = serce_buf_append(b, ",", 1);
        if (!rc) rc = sj_write_str(b, s, (size_t)k);
    }
    if (!rc) rc = serce_buf_append(b, "]", 1);
    if (rc) {
        b->len = len0;
        if (b->data) b->data[len0] = 0;
    }
    return rc;
}

/* A token's text for a message: printable as is, control bytes as \xNN, at most ~24 bytes. */
static void token_show(const char *s, size_t n, char *out, size_t m) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < m; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 24) {
            k += (size_t)snprintf(out + k, m - k, "...");
            break;
        }
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') k += (size_t)snprintf(out + k, m - k, "\\x%02X", c);
        else out[k++] = (char)c;
    }
    out[k] = 0;
}

int serce_vocab_from_json(const char *json, size_t n, int lowercase, serce_vocab *v, serce_error *err) {
    memset(v, 0, sizeof *v);
    sj_doc doc;
    memset(&doc, 0, sizeof doc);
    int rc = sj_parse(json, n, "vocabulary", &doc, err);
    if (rc) return rc; /* SERCE_ERR_JSON (or NOMEM) with sj_parse's message */
    const sj_node *root = &doc.nodes[0];
    if (root->type != SJ_ARRAY) {
        sj_free(&doc);
        return serce_fail(err, SERCE_ERR_VOCAB, "vocabulary: expected a JSON array of token strings");
    }
    if (root->count < SERCE_NSPECIAL || root->count > SERCE_MAX_VOCAB) {
        int cnt = root->count;
        sj_free(&doc);
        if (cnt > SERCE_MAX_VOCAB)
            return serce_fail(err, SERCE_ERR_VOCAB, "vocabulary: %d tokens; the limit is %d", cnt, SERCE_MAX_VOCAB);
        return serce_fail(err, SERCE_ERR_VOCAB,
                          "vocabulary: only %d tokens; it must start with the %d special tokens <unk> <s> </s> <t>", cnt,
                          SERCE_NSPECIAL);
    }
    uint32_t *cps = serce_calloc((size_t)root->count, sizeof *cps);
    if (!cps) {
        sj_free(&doc);
        return serce_fail(err, SERCE_ERR_NOMEM, "vocabulary: out of memory");
    }
    char shown[96];
    int i = 0;
    for (int e = root->child; e >= 0; e = doc.nodes[e].next, i++) {
        const sj_node *nd = &doc.nodes[e];
        if (nd->type != SJ_STRING) {
            rc = serce_fail(err, SERCE_ERR_VOCAB, "vocabulary: token %d is not a string", i);
            break;
        }
        token_show(nd->str, nd->len, shown, sizeof shown);
        if (i < SERCE_NSPECIAL) {
            if (nd->len != strlen(special_tok[i]) || memcmp(nd->str, special_tok[i], nd->len) != 0) {
                rc = serce_fail(err, SERCE_ERR_VOCAB, "vocabulary: token %d is \"%s\", expected \"%s\"", i, shown,
                                special_tok[i]);
                break;
            }
            continue;
        }
        size_t pos = 0;
        uint32_t cp;
        if (serce_utf8_next(nd->str, nd->len, &pos, &cp) != 0 || pos != nd->len || cp == 0) {
            rc = serce_fail(err, SERCE_ERR_VOCAB, "vocabulary: token %d (\"%s\") is not exactly one character", i,
                            shown);
            break;
        }
        if (i > SERCE_NSPECIAL && cp <= cps[i - 1]) {
            rc = serce_fail(err, SERCE_ERR_VOCAB,
                            "vocabulary: token %d (U+%04X) does not come after token %d (U+%04X): characters must be "
                            "in increasing codepoint order, without repeats",
                            i, (unsigned)cp, i - 1, (unsigned)cps[i - 1]);
            break;
        }
        cps[i] = cp;
    }
    sj_free(&doc);
    if (rc) {
        serce_free(cps);
        return rc;
    }
    v->size = i;
    v->cps = cps;
    v->lowercase = lowercase ? 1 : 0;
    return SERCE_OK;
}

int serce_vocab_copy(const serce_vocab *src, serce_vocab *dst) {
    memset(dst, 0, sizeof *dst);
    uint32_t *cps = serce_malloc((size_t)(src->size > 0 ? src->size : 1) * sizeof *cps);
    if (!cps) return SERCE_ERR_NOMEM;
    if (src->size > 0) memcpy(cps, src->cps, (size_t)src->size * sizeof *cps);
    dst->size = src->size;
    dst->cps = cps;
    dst->lowercase = src->lowercase;
    return SERCE_OK;
}

void serce_vocab_free(serce_vocab *v) {
    if (!v) return;
    serce_free(v->cps);
    memset(v, 0, sizeof *v);
}

/* ================================================================ encoding */

int serce_encode_song(const serce_vocab *v, const serce_song *s, int32_t **toks, size_t *ntoks, size_t *cap) {
    size_t need = *ntoks + s->title_len + s->body_len + 3; /* <s> [title <t>] body </s> */
    if (need > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < need) c *= 2;
        int32_t *t = serce_realloc(*toks, c * sizeof *t);
        if (!t) return SERCE_ERR_NOMEM;
        *toks = t;
        *cap = c;
    }
    int32_t *o = *toks;
    size_t k = *ntoks;
    /* fold here too, so a corpus parsed with case kept still fits a lowercase vocabulary
     * (serce_tr_lower is idempotent, so folding folded text is harmless) */
    o[k++] = SERCE_TOK_BOS;
    if (s->title && s->title_len) {
        for (size_t i = 0; i < s->title_len; i++)
            o[k++] = serce_vocab_id(v, v->lowercase ? serce_tr_lower(s->title[i]) : s->title[i]);
        o[k++] = SERCE_TOK_TITLE;
    }
    for (size_t i = 0; i < s->body_len; i++)
        o[k++] = serce_vocab_id(v, v->lowercase ? serce_tr_lower(s->body[i]) : s->body[i]);
    o[k++] = SERCE_TOK_EOS;
    *ntoks = k;
    return SERCE_OK;
}

int serce_encode_prime(const serce_vocab *v, const char *utf8, size_t n, int32_t **toks, size_t *ntoks,
                       serce_error *err) {
    *toks = NULL;
    *ntoks = 0;
    uint32_t *cps;
    size_t ncp;
    int rc = serce_text_decode(utf8 ? utf8 : "", utf8 ? n : 0, v->lowercase, "prime", &cps, &ncp, err);
    if (rc) return rc;
    int32_t *o = serce_malloc((ncp ? ncp : 1) * sizeof *o);
    if (!o) {
        serce_free(cps);
        return serce_fail(err, SERCE_ERR_NOMEM, "prime: out of memory");
    }
    size_t nunk = 0;
    for (size_t i = 0; i < ncp; i++) {
        o[i] = serce_vocab_id(v, cps[i]);
        if (o[i] == SERCE_TOK_UNK) cps[nunk++] = cps[i]; /* compact the unknowns to the front, in order */
    }
    if (nunk == 0) {
        serce_free(cps);
        *toks = o;
        *ntoks = ncp;
        return SERCE_OK;
    }
    serce_free(o);
    /* list the first few distinct unknowns in order of appearance, then count the rest */
    enum { SHOW = 8 };
    uint32_t first[SHOW];
    int nfirst = 0;
    for (size_t i = 0; i < nunk && nfirst < SHOW; i++) {
        int seen = 0;
        for (int j = 0; j < nfirst; j++) seen |= first[j] == cps[i];
        if (!seen) first[nfirst++] = cps[i];
    }
    qsort(cps, nunk, sizeof *cps, cp_cmp);
    size_t distinct = 0;
    for (size_t i = 0; i < nunk; i++) distinct += i == 0 || cps[i] != cps[i - 1];
    serce_free(cps);
    char list[256] = "";
    size_t k = 0;
    for (int j = 0; j < nfirst; j++) {
        char one[32];
        uint32_t c = first[j];
        if (c == '\n') snprintf(one, sizeof one, "'\\n' (U+000A)");
        else if (c == '\t') snprintf(one, sizeof one, "'\\t' (U+0009)");
        else cp_show(c, one, sizeof one);
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", j ? ", " : "", one);
        if (k >= sizeof list) k = sizeof list - 1;
    }
    if (distinct > (size_t)nfirst)
        snprintf(list + k, sizeof list - k, " and %zu more", distinct - (size_t)nfirst);
    return serce_fail(err, SERCE_ERR_VOCAB, "the prime has characters the model does not know: %s", list);
}
