/* lyric.c — Turkish verse tools and the originality index. See lyric.h. Tested by tests/test_lyric.c. */
#include "lyric.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ================================================================ characters */

int serce_tr_is_vowel(uint32_t c) {
    switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u':
    case 'A': case 'E': case 'I': case 'O': case 'U':
    case 0x131: /* ı */ case 0x130: /* İ */
    case 0xF6: case 0xD6: /* ö Ö */ case 0xFC: case 0xDC: /* ü Ü */
    case 0xE2: case 0xC2: /* â Â */ case 0xEE: case 0xCE: /* î Î */ case 0xFB: case 0xDB: /* û Û */
        return 1;
    default:
        return 0;
    }
}

int serce_tr_is_letter(uint32_t c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    if (c >= 0xC0 && c <= 0x24F) return c != 0xD7 && c != 0xF7;
    if (c >= 0x370 && c <= 0x3FF) return c != 0x37E && c != 0x387;   /* Greek (not its ; and ·) */
    if (c >= 0x400 && c <= 0x52F) return !(c >= 0x482 && c <= 0x489); /* Cyrillic (not its signs) */
    if (c >= 0x1E00 && c <= 0x1EFF) return 1;                         /* Latin Extended Additional */
    return 0;
}

int serce_tr_is_turkish_letter(uint32_t c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    switch (c) {
    case 0xE7: case 0xC7: /* ç */ case 0x11F: case 0x11E: /* ğ */ case 0x131: case 0x130: /* ı İ */
    case 0xF6: case 0xD6: /* ö */ case 0x15F: case 0x15E: /* ş */ case 0xFC: case 0xDC: /* ü */
    case 0xE2: case 0xC2: case 0xEE: case 0xCE: case 0xFB: case 0xDB: /* â î û */
        return 1;
    default:
        return 0;
    }
}

uint32_t serce_tr_fold(uint32_t c) {
    c = serce_tr_lower(c);
    if (c == 0xE2) return 'a';
    if (c == 0xEE) return 'i';
    if (c == 0xFB) return 'u';
    return c;
}

int serce_syllables(const uint32_t *cps, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += serce_tr_is_vowel(cps[i]);
    return k;
}

int serce_syllables_utf8(const char *s, size_t n) {
    int k = 0;
    size_t pos = 0;
    while (pos < n) {
        uint32_t cp;
        if (serce_utf8_next(s, n, &pos, &cp)) {
            pos++;
            continue;
        }
        k += serce_tr_is_vowel(cp);
    }
    return k;
}

/* ================================================================ math */

float serce_logf(float x) {
    /* x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172:
     * the odd series to s^11 is exact to float precision. Only +,-,*,/ in a fixed order. */
    if (!(x > 0.0f)) return -1e30f;      /* callers pass positive values; no NaN or traps here */
    if (x > 3.4e38f) return 88.7228391f; /* ln(FLT_MAX), for +inf */
    uint32_t b;
    memcpy(&b, &x, 4);
    int e = (int)((b >> 23) & 0xFF);
    if (e == 0) { /* subnormal: scale up by 2^24 first */
        float y = x * 16777216.0f;
        memcpy(&b, &y, 4);
        e = (int)((b >> 23) & 0xFF) - 24;
    }
    e -= 127;
    b = (b & 0x7FFFFFu) | 0x3F800000u;
    float m;
    memcpy(&m, &b, 4);
    if (m > 1.41421356f) {
        m = m * 0.5f;
        e++;
    }
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return (2.0f * s) * p + (float)e * 0.693147180559945f;
}

/* ================================================================ small parsing helpers */

/* Decode a NUL-terminated UTF-8 string into folded codepoints (at most cap). Returns the count or -1. */
static int decode_folded(const char *s, uint32_t *out, int cap) {
    size_t n = strlen(s), pos = 0;
    int k = 0;
    while (pos < n) {
        uint32_t cp;
        if (serce_utf8_next(s, n, &pos, &cp)) return -1;
        if (k >= cap) return -1;
        out[k++] = serce_tr_fold(cp);
    }
    return k;
}

static int is_space_cp(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }
static int is_digit_cp(uint32_t c) { return c >= '0' && c <= '9'; }

/* compare folded codepoints with an ASCII/UTF-8 word (folded on the fly) */
static int word_eq(const uint32_t *w, int n, const char *word) {
    uint32_t buf[32];
    int k = decode_folded(word, buf, 32);
    if (k != n) return 0;
    for (int i = 0; i < n; i++)
        if (buf[i] != w[i]) return 0;
    return 1;
}

static void show(const uint32_t *w, int n, char *out, size_t cap) {
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        char b[4];
        int m = serce_utf8_put(w[i], b);
        if (k + (size_t)m + 1 > cap) break;
        memcpy(out + k, b, (size_t)m);
        k += (size_t)m;
    }
    out[k] = 0;
}

/* ================================================================ metre */

static int metre_name_split(int total, serce_metre_line *l) {
    static const int tab[][3] = {{7, 4, 3},  {8, 4, 4},  {10, 5, 5}, {11, 6, 5},
                                 {12, 6, 6}, {14, 7, 7}, {15, 8, 7}, {16, 8, 8}};
    l->total = total;
    l->nseg = 1;
    l->seg[0] = total;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i][0] == total) {
            l->nseg = 2;
            l->seg[0] = tab[i][1];
            l->seg[1] = tab[i][2];
        }
    return 0;
}

static int metre_item(const uint32_t *w, int n, serce_metre_line *l, serce_error *err) {
    char shown[96];
    show(w, n, shown, sizeof shown);
    int i = 0, nseg = 0, total = 0;
    memset(l, 0, sizeof *l);
    if (n == 0) return serce_fail(err, SERCE_ERR_ARG, "syllables: an empty line metre (two commas in a row?)");
    for (;;) {
        if (i >= n || !is_digit_cp(w[i])) goto bad;
        int v = 0;
        while (i < n && is_digit_cp(w[i])) {
            v = v * 10 + (int)(w[i] - '0');
            if (v > 1000) v = 1000;
            i++;
        }
        if (v < 1 || v > 32)
            return serce_fail(err, SERCE_ERR_ARG, "syllables: '%s': a count must be 1 to 32, got %d", shown, v);
        if (nseg >= SERCE_METRE_MAX_SEG)
            return serce_fail(err, SERCE_ERR_ARG, "syllables: '%s': at most %d segments", shown, SERCE_METRE_MAX_SEG);
        l->seg[nseg++] = v;
        total += v;
        while (i < n && is_space_cp(w[i])) i++;
        if (i < n && w[i] == '+') {
            i++;
            while (i < n && is_space_cp(w[i])) i++;
            continue;
        }
        break;
    }
    if (i < n) {
        /* a name: N'li / N’li / N-li / Nli (any harmony: li lı lu lü), only after a single count */
        if (nseg != 1) goto bad;
        if (w[i] == '\'' || w[i] == 0x2019 || w[i] == '-') i++;
        if (i + 2 != n || w[i] != 'l' || !(w[i + 1] == 'i' || w[i + 1] == 0x131 || w[i + 1] == 'u' || w[i + 1] == 0xFC))
            goto bad;
        metre_name_split(total, l);
        return SERCE_OK;
    }
    if (total > 32) return serce_fail(err, SERCE_ERR_ARG, "syllables: '%s' adds up to %d; at most 32 per line", shown, total);
    l->total = total;
    l->nseg = nseg;
    return SERCE_OK;
bad:
    return serce_fail(err, SERCE_ERR_ARG,
                      "syllables: '%s' is not a metre: give a count (8), segments with a durak (6+5, 4+4+3) or a "
                      "name (8'li, 11'li, 14'lü); separate lines with commas (7,7,7,5)",
                      shown);
}

int serce_metre_parse(const char *s, serce_metre *m, serce_error *err) {
    memset(m, 0, sizeof *m);
    if (!s) return SERCE_OK;
    uint32_t w[256];
    int n = decode_folded(s, w, 256);
    if (n < 0) return serce_fail(err, SERCE_ERR_ARG, "syllables: invalid UTF-8 or longer than 255 characters");
    int a = 0;
    while (a < n && is_space_cp(w[a])) a++;
    if (a == n) return SERCE_OK; /* empty: no metre */
    int i = 0;
    while (i <= n) {
        int j = i;
        while (j < n && w[j] != ',' && w[j] != ';') j++;
        int x = i, y = j;
        while (x < y && is_space_cp(w[x])) x++;
        while (y > x && is_space_cp(w[y - 1])) y--;
        if (m->n >= SERCE_METRE_MAX_LINES)
            return serce_fail(err, SERCE_ERR_ARG, "syllables: at most %d line metres in a pattern", SERCE_METRE_MAX_LINES);
        int rc = metre_item(w + x, y - x, &m->line[m->n], err);
        if (rc) return rc;
        m->n++;
        i = j + 1;
    }
    return SERCE_OK;
}

/* ================================================================ rhyme */

int serce_rhyme_parse(const char *s, serce_rhyme_scheme *r, serce_error *err) {
    memset(r, 0, sizeof *r);
    if (!s) return SERCE_OK;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '\t') continue;
        if (c >= 'a' && c <= 'z') c = (char)(c - 32);
        int ok = (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == '*';
        if (!ok)
            return serce_fail(err, SERCE_ERR_ARG,
                              "rhyme: '%.40s' is not a rhyme scheme: use letters such as AABB, ABAB or AAXA "
                              "(X = a free line)",
                              s);
        if (r->n >= SERCE_RHYME_MAX)
            return serce_fail(err, SERCE_ERR_ARG, "rhyme: '%.40s' is longer than %d lines", s, SERCE_RHYME_MAX);
        r->letter[r->n++] = (c >= 'A' && c <= 'Z' && c != 'X') ? c : 0;
    }
    return SERCE_OK;
}

int serce_rhyme_anchor(const serce_rhyme_scheme *r, int i) {
    if (!r || r->n <= 0 || i < 0) return -1;
    int pos = i % r->n, base = i - pos;
    char l = r->letter[pos];
    if (!l) return -1;
    for (int j = 0; j < pos; j++)
        if (r->letter[j] == l) return base + j;
    return -1;
}

size_t serce_rhyme_letters(const uint32_t *cps, size_t n, uint32_t *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (serce_tr_is_letter(cps[i])) out[k++] = serce_tr_fold(cps[i]);
    return k;
}

/* common ending of the folded letters of a and b, walking back without copying */
int serce_rhyme_check(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, int *common) {
    size_t i = na, j = nb;
    int c = 0, vowel = 0, la = 0, lb = 0;
    for (size_t t = 0; t < na; t++) la += serce_tr_is_letter(a[t]);
    for (size_t t = 0; t < nb; t++) lb += serce_tr_is_letter(b[t]);
    for (;;) {
        while (i > 0 && !serce_tr_is_letter(a[i - 1])) i--;
        while (j > 0 && !serce_tr_is_letter(b[j - 1])) j--;
        if (i == 0 || j == 0) break;
        uint32_t x = serce_tr_fold(a[i - 1]), y = serce_tr_fold(b[j - 1]);
        if (x != y) break;
        vowel |= serce_tr_is_vowel(x);
        c++;
        i--, j--;
    }
    if (common) *common = c;
    int identical = c == la && c == lb;
    return c > 0 && vowel && !identical;
}

static int decode_all(const char *s, uint32_t **out, size_t *n) {
    size_t len = strlen(s), pos = 0, k = 0;
    uint32_t *o = serce_malloc((len + 1) * sizeof *o);
    if (!o) return SERCE_ERR_NOMEM;
    while (pos < len) {
        uint32_t cp;
        if (serce_utf8_next(s, len, &pos, &cp)) {
            pos++;
            cp = ' ';
        }
        o[k++] = cp;
    }
    *out = o;
    *n = k;
    return SERCE_OK;
}

int serce_rhyme_check_utf8(const char *a, const char *b, int *common) {
    uint32_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int r = 0;
    if (common) *common = 0;
    if (!decode_all(a, &x, &nx) && !decode_all(b, &y, &ny)) r = serce_rhyme_check(x, nx, y, ny, common);
    serce_free(x);
    serce_free(y);
    return r;
}

/* ================================================================ form */

static int section_word(const uint32_t *w, int n) {
    static const char *const verse[] = {"v", "k", "verse", "kıta", "kita", NULL};
    static const char *const chorus[] = {"c", "n", "chorus", "nakarat", "refrain", NULL};
    static const char *const bridge[] = {"b", "bridge", "köprü", "kopru", "ara", NULL};
    for (int i = 0; verse[i]; i++)
        if (word_eq(w, n, verse[i])) return SERCE_SECTION_VERSE;
    for (int i = 0; chorus[i]; i++)
        if (word_eq(w, n, chorus[i])) return SERCE_SECTION_CHORUS;
    for (int i = 0; bridge[i]; i++)
        if (word_eq(w, n, bridge[i])) return SERCE_SECTION_BRIDGE;
    return -1;
}

int serce_form_parse(const char *s, int default_lines, serce_form *f, serce_error *err) {
    memset(f, 0, sizeof *f);
    if (!s) return SERCE_OK;
    if (default_lines < 1 || default_lines > 32)
        return serce_fail(err, SERCE_ERR_ARG, "lines per stanza must be 1 to 32, got %d", default_lines);
    uint32_t w[256];
    int n = decode_folded(s, w, 256);
    if (n < 0) return serce_fail(err, SERCE_ERR_ARG, "form: invalid UTF-8 or longer than 255 characters");
    int explicit_lines[SERCE_FORM_MAX] = {0};
    int i = 0;
    while (i < n) {
        while (i < n && (is_space_cp(w[i]) || w[i] == ',' || w[i] == '-' || w[i] == '/' || w[i] == '|')) i++;
        if (i >= n) break;
        int a = i;
        while (i < n && !(is_space_cp(w[i]) || w[i] == ',' || w[i] == '-' || w[i] == '/' || w[i] == '|')) i++;
        int b = i, d = b;
        while (d > a && is_digit_cp(w[d - 1])) d--;
        char shown[96];
        show(w + a, b - a, shown, sizeof shown);
        int lines = 0;
        if (d < b) {
            if (b - d > 2) return serce_fail(err, SERCE_ERR_ARG, "form: '%s': a section has 1 to 32 lines", shown);
            for (int t = d; t < b; t++) lines = lines * 10 + (int)(w[t] - '0');
            if (lines < 1 || lines > 32)
                return serce_fail(err, SERCE_ERR_ARG, "form: '%s': a section has 1 to 32 lines", shown);
        }
        if (d == a) return serce_fail(err, SERCE_ERR_ARG, "form: '%s' has no section name", shown);
        int kinds[64], nk = 0, kind = section_word(w + a, d - a);
        if (kind >= 0) kinds[nk++] = kind;
        else {
            for (int t = a; t < d && nk < 64; t++) {
                int k1 = section_word(w + t, 1);
                if (k1 < 0) {
                    nk = 0;
                    break;
                }
                kinds[nk++] = k1;
            }
            if (nk == 0 || d - a > 64)
                return serce_fail(err, SERCE_ERR_ARG,
                                  "form: unknown section '%s': use V/verse/K/kıta, C/chorus/N/nakarat, B/bridge/köprü "
                                  "(e.g. \"V C V C C\")",
                                  shown);
            if (lines && nk > 1)
                return serce_fail(err, SERCE_ERR_ARG, "form: '%s': put a line count after one section (V4 C2)", shown);
        }
        for (int t = 0; t < nk; t++) {
            if (f->n >= SERCE_FORM_MAX) return serce_fail(err, SERCE_ERR_ARG, "form: at most %d sections", SERCE_FORM_MAX);
            f->s[f->n].kind = kinds[t];
            f->s[f->n].lines = lines ? lines : default_lines;
            explicit_lines[f->n] = lines;
            f->n++;
        }
    }
    /* every chorus is the same stanza: one line count */
    int chorus_lines = 0;
    for (int t = 0; t < f->n; t++)
        if (f->s[t].kind == SERCE_SECTION_CHORUS && explicit_lines[t]) {
            if (chorus_lines && chorus_lines != explicit_lines[t])
                return serce_fail(err, SERCE_ERR_ARG,
                                  "form: the chorus repeats verbatim, so every chorus needs the same line count (%d "
                                  "and %d given)",
                                  chorus_lines, explicit_lines[t]);
            chorus_lines = explicit_lines[t];
        }
    if (chorus_lines)
        for (int t = 0; t < f->n; t++)
            if (f->s[t].kind == SERCE_SECTION_CHORUS) f->s[t].lines = chorus_lines;
    return SERCE_OK;
}

/* ================================================================ base64 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int serce_base64_encode(const uint8_t *p, size_t n, serce_buf *out) {
    size_t need = out->len + (n + 2) / 3 * 4 + 1;
    if (need > out->cap) {
        uint8_t *d = serce_realloc(out->data, need);
        if (!d) return SERCE_ERR_NOMEM;
        out->data = d;
        out->cap = need;
    }
    char *o = (char *)out->data + out->len;
    size_t i = 0, k = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[k++] = b64[v >> 18], o[k++] = b64[(v >> 12) & 63], o[k++] = b64[(v >> 6) & 63], o[k++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        o[k++] = b64[v >> 18], o[k++] = b64[(v >> 12) & 63], o[k++] = '=', o[k++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        o[k++] = b64[v >> 18], o[k++] = b64[(v >> 12) & 63], o[k++] = b64[(v >> 6) & 63], o[k++] = '=';
    }
    out->len += k;
    o[k] = 0;
    return SERCE_OK;
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int serce_base64_decode(const char *s, size_t n, uint8_t **out, size_t *nout, serce_error *err) {
    *out = NULL;
    *nout = 0;
    if (n % 4) return serce_fail(err, SERCE_ERR_FORMAT, "base64 of %zu characters: not a multiple of 4", n);
    size_t pad = 0;
    if (n >= 1 && s[n - 1] == '=') pad++;
    if (n >= 2 && s[n - 2] == '=') pad++;
    size_t m = n / 4 * 3 - pad;
    uint8_t *d = serce_malloc(m ? m : 1);
    if (!d) return serce_fail(err, SERCE_ERR_NOMEM, "out of memory decoding base64");
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int v[4];
        for (int j = 0; j < 4; j++) {
            char c = s[i + j];
            v[j] = (c == '=' && last && j >= 4 - (int)pad) ? 0 : b64val(c);
            if (v[j] < 0) {
                serce_free(d);
                return serce_fail(err, SERCE_ERR_FORMAT, "invalid base64 character at %zu", i + j);
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t b3[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        int take = last ? 3 - (int)pad : 3;
        if (last && ((pad == 1 && (x & 0xFF)) || (pad == 2 && (x & 0xFFFF)))) {
            serce_free(d);
            return serce_fail(err, SERCE_ERR_FORMAT, "non-canonical base64 padding");
        }
        for (int j = 0; j < take; j++) d[k++] = b3[j];
    }
    *out = d;
    *nout = m;
    return SERCE_OK;
}

/* ================================================================ originality index */

struct serce_originality {
    int n, k;
    uint64_t bits, items;
    double fpr;
    uint8_t *data;   /* [bits / 8] */
};

#define ORIG_NORM "serce-fold/1"
#define ORIG_HASH "fnv1a64-fmix/1"

uint32_t serce_originality_norm(uint32_t cp) {
    if (cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x2BC) return 0;
    if (serce_tr_is_letter(cp) || is_digit_cp(cp)) return serce_tr_fold(cp);
    return ' ';
}

/* FNV-1a over the 32-bit codepoints, then the murmur3 finaliser (so every output bit depends on every
 * input bit); the k probe positions are h1 + i*h2 (Kirsch-Mitzenmacher). Integer-only. */
static uint64_t orig_hash(const uint32_t *w, int n) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (int i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0x100000001B3ULL;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static int bloom_test_set(uint8_t *data, uint64_t bits, int k, uint64_t h, int set) {
    uint64_t h1 = (h & 0xFFFFFFFFULL) % bits, h2 = ((h >> 32) | 1) % bits;
    if (h2 == 0) h2 = 1;
    uint64_t pos = h1;
    int all = 1;
    for (int i = 0; i < k; i++) {
        uint8_t mask = (uint8_t)(1u << (pos & 7));
        if (!(data[pos >> 3] & mask)) {
            all = 0;
            if (set) data[pos >> 3] |= mask;
            else return 0;
        }
        pos += h2;
        if (pos >= bits) pos -= bits;
    }
    return all;
}

int serce_originality_contains(const serce_originality *ix, const uint32_t *w) {
    return bloom_test_set(ix->data, ix->bits, ix->k, orig_hash(w, ix->n), 0);
}

/* normalise a song (title, then its lines) into out; returns the length */
static size_t norm_append(const uint32_t *s, size_t n, uint32_t *out, size_t k) {
    for (size_t i = 0; i < n; i++) {
        uint32_t c = serce_originality_norm(s[i]);
        if (!c) continue;
        if (c == ' ' && (k == 0 || out[k - 1] == ' ')) continue;
        out[k++] = c;
    }
    return k;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pow_int(double x, int k) {
    double r = 1.0;
    for (int i = 0; i < k; i++) r *= x;
    return r;
}

int serce_originality_build(const serce_corpus *c, int n, double fpr, serce_buf *json_out, serce_error *err) {
    if (n == 0) n = SERCE_ORIG_DEFAULT_N;
    if (fpr == 0) fpr = SERCE_ORIG_DEFAULT_FPR;
    if (n < 8 || n > 64) return serce_fail(err, SERCE_ERR_ARG, "originality: n-gram length must be 8 to 64, got %d", n);
    if (!(fpr >= 1e-6 && fpr <= 0.5))
        return serce_fail(err, SERCE_ERR_ARG, "originality: the false-positive rate must be 1e-6 to 0.5, got %g", fpr);
    size_t maxlen = 0, total = 0;
    for (size_t s = 0; s < c->nsongs; s++) {
        size_t l = c->songs[s].title_len + 1 + c->songs[s].body_len;
        if (l > maxlen) maxlen = l;
        total += l;
    }
    uint32_t *norm = serce_malloc((maxlen + 1) * sizeof *norm);
    uint64_t *hs = serce_malloc((total + 1) * sizeof *hs);
    uint8_t *bits = NULL;
    int rc = SERCE_OK;
    if (!norm || !hs) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory building the originality index");
        goto done;
    }
    size_t nh = 0;
    for (size_t s = 0; s < c->nsongs; s++) {
        const serce_song *sg = &c->songs[s];
        size_t k = 0;
        if (sg->title) k = norm_append(sg->title, sg->title_len, norm, k);
        if (k && norm[k - 1] != ' ') norm[k++] = ' ';
        k = norm_append(sg->body, sg->body_len, norm, k);
        if (k && norm[k - 1] == ' ') k--;
        for (size_t i = 0; i + (size_t)n <= k; i++) hs[nh++] = orig_hash(norm + i, n);
    }
    qsort(hs, nh, sizeof *hs, cmp_u64);
    size_t items = 0;
    for (size_t i = 0; i < nh; i++)
        if (i == 0 || hs[i] != hs[i - 1]) hs[items++] = hs[i];
    if (items == 0) {
        rc = serce_fail(err, SERCE_ERR_CORPUS, "originality: no song of the corpus has %d characters to index", n);
        goto done;
    }
    /* optimal Bloom size: bits = -items ln(fpr) / ln(2)^2, k = bits/items ln 2 (the core's own log) */
    const double ln2 = 0.693147180559945309;
    double per = -(double)serce_logf((float)fpr) / (ln2 * ln2);
    uint64_t nbits = (uint64_t)((double)items * per) + 1;
    nbits = (nbits + 63) / 64 * 64;
    if (nbits < 64) nbits = 64;
    if (nbits > ((uint64_t)1 << 34)) {
        rc = serce_fail(err, SERCE_ERR_LIMIT, "originality: the index would need %llu bits", (unsigned long long)nbits);
        goto done;
    }
    int k = (int)((double)nbits / (double)items * ln2 + 0.5);
    if (k < 1) k = 1;
    if (k > 30) k = 30;
    bits = serce_calloc((size_t)(nbits / 8), 1);
    if (!bits) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory building the originality index");
        goto done;
    }
    for (size_t i = 0; i < items; i++) bloom_test_set(bits, nbits, k, hs[i], 1);
    uint64_t ones = 0;
    for (size_t i = 0; i < nbits / 8; i++)
        for (uint8_t b = bits[i]; b; b &= (uint8_t)(b - 1)) ones++;
    double real_fpr = pow_int((double)ones / (double)nbits, k);
    if (serce_buf_printf(json_out, "{\"n\":%d,\"k\":%d,\"bits\":%llu,\"items\":%llu,\"fpr\":%.6g,\"norm\":\"%s\",\"hash\":\"%s\",\"data\":\"",
                         n, k, (unsigned long long)nbits, (unsigned long long)items, real_fpr, ORIG_NORM, ORIG_HASH) ||
        serce_base64_encode(bits, (size_t)(nbits / 8), json_out) || serce_buf_append(json_out, "\"}", 2)) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory writing the originality index");
        goto done;
    }
done:
    serce_free(norm);
    serce_free(hs);
    serce_free(bits);
    return rc;
}

int serce_originality_load(const char *json, size_t len, serce_originality **out, serce_error *err) {
    *out = NULL;
    sj_doc d;
    int rc = sj_parse(json, len, SERCE_ORIG_META_KEY, &d, err);
    if (rc) return rc;
    serce_originality *ix = NULL;
    long long n, k, bits, items = 0;
    double fpr = 0;
    const char *data = d.nnodes ? sj_get_str(&d, 0, "data") : NULL;
    const char *norm = d.nnodes ? sj_get_str(&d, 0, "norm") : NULL;
    const char *hash = d.nnodes ? sj_get_str(&d, 0, "hash") : NULL;
    if (d.nodes[0].type != SJ_OBJECT || sj_get_int(&d, 0, "n", &n) || sj_get_int(&d, 0, "k", &k) ||
        sj_get_int(&d, 0, "bits", &bits) || !data) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, SERCE_ORIG_META_KEY " needs integers n, k, bits and a base64 string data");
        goto done;
    }
    if (n < 8 || n > 64 || k < 1 || k > 30 || bits < 64 || bits % 8 || bits > (1LL << 34)) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, SERCE_ORIG_META_KEY " has n = %lld, k = %lld, bits = %lld out of range", n,
                        k, bits);
        goto done;
    }
    if ((norm && strcmp(norm, ORIG_NORM)) || (hash && strcmp(hash, ORIG_HASH))) {
        rc = serce_fail(err, SERCE_ERR_FORMAT,
                        SERCE_ORIG_META_KEY " was built with normalisation '%.30s' and hash '%.30s'; this build reads "
                        "'" ORIG_NORM "' and '" ORIG_HASH "'",
                        norm ? norm : "?", hash ? hash : "?");
        goto done;
    }
    sj_get_int(&d, 0, "items", &items);
    sj_get_num(&d, 0, "fpr", &fpr);
    ix = serce_calloc(1, sizeof *ix);
    if (!ix) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory loading the originality index");
        goto done;
    }
    size_t nd = 0;
    int di = sj_get(&d, 0, "data");
    if ((rc = serce_base64_decode(data, d.nodes[di].len, &ix->data, &nd, err))) goto done;
    if (nd * 8 != (size_t)bits) {
        rc = serce_fail(err, SERCE_ERR_FORMAT, SERCE_ORIG_META_KEY " data holds %zu bits; bits says %lld", nd * 8, bits);
        goto done;
    }
    ix->n = (int)n, ix->k = (int)k, ix->bits = (uint64_t)bits, ix->items = items > 0 ? (uint64_t)items : 0;
    ix->fpr = fpr;
done:
    sj_free(&d);
    if (rc) serce_originality_free(ix);
    else *out = ix;
    return rc;
}

int serce_originality_from_model(const serce_model *m, serce_originality **out, serce_error *err) {
    *out = NULL;
    const char *j = serce_model_get_meta(m, SERCE_ORIG_META_KEY);
    if (!j)
        return serce_fail(err, SERCE_ERR_ARG,
                          "the model has no originality index; add one with 'serce export MODEL -o OUT --corpus "
                          "CORPUS'");
    return serce_originality_load(j, strlen(j), out, err);
}

void serce_originality_free(serce_originality *ix) {
    if (!ix) return;
    serce_free(ix->data);
    serce_free(ix);
}

void serce_originality_get_info(const serce_originality *ix, serce_originality_info *info) {
    info->n = ix->n;
    info->k = ix->k;
    info->bits = ix->bits;
    info->items = ix->items;
    info->fpr = ix->fpr;
}

int serce_originality_spans(const serce_originality *ix, const char *text, size_t n, serce_span **spans,
                            size_t *nspans, double *novelty, serce_error *err) {
    *spans = NULL;
    *nspans = 0;
    if (novelty) *novelty = 1.0;
    uint32_t *norm = serce_malloc((n + 1) * sizeof *norm);
    size_t *beg = serce_malloc((n + 1) * sizeof *beg), *end = serce_malloc((n + 1) * sizeof *end);
    unsigned char *hit = serce_calloc(n + 1, 1);
    serce_span *sp = NULL;
    size_t nsp = 0, cap = 0, k = 0;
    int rc = SERCE_OK;
    if (!norm || !beg || !end || !hit) {
        rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory finding copied spans");
        goto done;
    }
    for (size_t pos = 0; pos < n;) {
        size_t at = pos;
        uint32_t cp;
        if (serce_utf8_next(text, n, &pos, &cp)) {
            pos++;
            cp = ' ';
        }
        uint32_t c = serce_originality_norm(cp);
        if (!c) continue;
        if (c == ' ' && (k == 0 || norm[k - 1] == ' ')) continue;
        norm[k] = c, beg[k] = at, end[k] = pos;
        k++;
    }
    size_t N = (size_t)ix->n;
    for (size_t i = 0; i + N <= k; i++) hit[i] = (unsigned char)serce_originality_contains(ix, norm + i);
    for (size_t i = 0; i + N <= k;) {
        if (!hit[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + N <= k && hit[j]) j++;
        if (j - i >= SERCE_ORIG_MIN_RUN) { /* windows i..j-1 cover normalised chars [i, j-1+N) */
            size_t a = i, b = j - 1 + N;
            while (a < b && norm[a] == ' ') a++;
            while (b > a && norm[b - 1] == ' ') b--;
            if (nsp == cap) {
                cap = cap ? 2 * cap : 8;
                serce_span *t = serce_realloc(sp, cap * sizeof *sp);
                if (!t) {
                    rc = serce_fail(err, SERCE_ERR_NOMEM, "out of memory finding copied spans");
                    goto done;
                }
                sp = t;
            }
            sp[nsp].start = beg[a];
            sp[nsp].end = end[b - 1];
            nsp++;
        }
        i = j;
    }
    if (novelty) {
        size_t letters = 0, copied = 0, s = 0;
        for (size_t i = 0; i < k; i++) {
            if (norm[i] == ' ') continue;
            letters++;
            while (s < nsp && sp[s].end <= beg[i]) s++;
            if (s < nsp && sp[s].start <= beg[i]) copied++;
        }
        *novelty = letters ? 1.0 - (double)copied / (double)letters : 1.0;
    }
    *spans = sp;
    *nspans = nsp;
    sp = NULL;
done:
    serce_free(sp);
    serce_free(norm);
    serce_free(beg);
    serce_free(end);
    serce_free(hit);
    return rc;
}

int serce_originality_spans_json(const serce_originality *ix, const char *text, size_t n, serce_buf *out,
                                 serce_error *err) {
    serce_span *sp = NULL;
    size_t nsp = 0;
    double nov = 1;
    int rc = serce_originality_spans(ix, text, n, &sp, &nsp, &nov, err);
    if (rc) return rc;
    /* letters and copied letters, and byte -> UTF-16 offsets, in one pass */
    size_t letters = 0, copied = 0, u16 = 0, s = 0;
    size_t *u16s = serce_malloc((2 * nsp + 1) * sizeof *u16s);
    if (!u16s) {
        serce_free(sp);
        return serce_fail(err, SERCE_ERR_NOMEM, "out of memory");
    }
    size_t pos = 0;
    for (;;) {
        for (size_t t = 0; t < nsp; t++) {
            if (sp[t].start == pos) u16s[2 * t] = u16;
            if (sp[t].end == pos) u16s[2 * t + 1] = u16;
        }
        if (pos >= n) break;
        size_t at = pos;
        uint32_t cp;
        if (serce_utf8_next(text, n, &pos, &cp)) {
            pos++;
            cp = 0xFFFD;
        }
        u16 += cp >= 0x10000 ? 2 : 1;
        uint32_t c = serce_originality_norm(cp);
        if (c && c != ' ') {
            letters++;
            while (s < nsp && sp[s].end <= at) s++;
            if (s < nsp && sp[s].start <= at) copied++;
        }
    }
    rc = serce_buf_printf(out, "{\"novelty\":%.4f,\"letters\":%zu,\"copied\":%zu,\"n\":%d,\"spans\":[", nov, letters,
                          copied, ix->n);
    for (size_t t = 0; t < nsp && !rc; t++)
        rc = serce_buf_printf(out, "%s[%zu,%zu]", t ? "," : "", u16s[2 * t], u16s[2 * t + 1]);
    if (!rc) rc = serce_buf_printf(out, "]}");
    serce_free(u16s);
    serce_free(sp);
    return rc ? serce_fail(err, SERCE_ERR_NOMEM, "out of memory") : SERCE_OK;
}
