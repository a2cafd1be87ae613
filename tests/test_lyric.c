/* test_lyric.c — Turkish verse rules (lyric.h) and the sampler's song mode (sampler.h).
 *
 * Text rules: syllable counts of lines written for this test, metre / rhyme-scheme / form parsing with
 * their error messages, the rhyme definition, base64, the originality index (finds spans copied from
 * its corpus, not random text; measured false-positive rate near the stored one).
 * Song mode, on a small model trained here on tests/data/lyric-songs.txt (lines written for the
 * project, no real lyrics): over 32 seeds and four song shapes, every generated line has exactly the
 * requested syllables and ends at a word end, every durak falls at a word end, the chorus repeats
 * verbatim, and the rhyme and metre reports agree with an independent check written here.
 * "Ends at a word end" is defined precisely as: the line starts and ends with a letter, and the model,
 * re-reading the song from its start, gives the end of the word (a space, punctuation, a line break or
 * the song end) a probability of at least word_end_min after the line's last letter; a durak after
 * syllable d means a non-letter stands between the d-th and (d+1)-th vowel, with the same probability
 * test after the letter before it; and every space-separated token of a line is a word (letters, with
 * apostrophes inside and punctuation only at its edges). Also: plain sampling is unchanged when the new options are off,
 * settings JSON (good values and clear errors), no-repeat n-grams, the repetition penalty, avoid-copying.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fileio.h"
#include "lyric.h"
#include "mathf.h"
#include "rng.h"
#include "sampler.h"
#include "train.h"

/* ================================================================ independent helpers
 * Written from the definitions, not from lyric.c, so the checks do not share its mistakes. */

static const char *const VOWELS_UTF8 = "aeıioöuüâîûAEIİOÖUÜÂÎÛ";

static size_t dec(const char *s, size_t n, uint32_t *out) { /* UTF-8 -> codepoints (valid input) */
    size_t k = 0, pos = 0;
    while (pos < n) {
        uint32_t cp;
        if (serce_utf8_next(s, n, &pos, &cp)) pos++, cp = '?';
        out[k++] = cp;
    }
    return k;
}

static int t_vowel(uint32_t c) {
    static uint32_t v[32];
    static size_t nv;
    if (!nv) nv = dec(VOWELS_UTF8, strlen(VOWELS_UTF8), v);
    for (size_t i = 0; i < nv; i++)
        if (v[i] == c) return 1;
    return 0;
}

static int t_letter(uint32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x17F && c != 0xD7 && c != 0xF7);
}

static uint32_t t_fold(uint32_t c) {
    switch (c) {
    case 'I': return 0x131;
    case 0x130: return 'i';
    case 0xC7: return 0xE7;
    case 0x11E: return 0x11F;
    case 0xD6: return 0xF6;
    case 0x15E: return 0x15F;
    case 0xDC: return 0xFC;
    case 0xE2: case 0xC2: return 'a';
    case 0xEE: case 0xCE: return 'i';
    case 0xFB: case 0xDB: return 'u';
    default: return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
}

static int t_syllables(const char *s) {
    uint32_t cp[512];
    size_t n = dec(s, strlen(s), cp);
    int k = 0;
    for (size_t i = 0; i < n; i++) k += t_vowel(cp[i]);
    return k;
}

/* rhyme: the folded letters share an ending that holds a vowel, and the lines are not the same */
static int t_rhymes(const char *a, const char *b) {
    uint32_t x[512], y[512], fx[512], fy[512];
    size_t nx = dec(a, strlen(a), x), ny = dec(b, strlen(b), y), kx = 0, ky = 0;
    for (size_t i = 0; i < nx; i++)
        if (t_letter(x[i])) fx[kx++] = t_fold(x[i]);
    for (size_t i = 0; i < ny; i++)
        if (t_letter(y[i])) fy[ky++] = t_fold(y[i]);
    size_t c = 0;
    int vowel = 0;
    while (c < kx && c < ky && fx[kx - 1 - c] == fy[ky - 1 - c]) vowel |= t_vowel(fx[kx - 1 - c]), c++;
    return vowel && !(c == kx && c == ky);
}

/* ================================================================ text rules */

static void test_syllables(void) {
    static const struct {
        const char *line;
        int n;
    } t[] = {
        {"Bir sabah erken uyandım", 8},      /* Bir sa-bah er-ken u-yan-dım */
        {"Irmak kıyısında bekler", 8},       /* Ir-mak kı-yı-sın-da bek-ler */
        {"Âşık olmuş gül dalına", 8},        /* Â-şık ol-muş gül da-lı-na */
        {"ÖZLEDİM SENİ İSTANBUL", 8},        /* capitals: Öz-le-dim se-ni İs-tan-bul */
        {"rüzgâr", 2},
        {"Ilık bir akşam, kuşlar da susmuş", 10},
        {"", 0},
        {"krş 1945 !?", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int a = serce_syllables_utf8(t[i].line, strlen(t[i].line));
        CHECK(a == t[i].n && t_syllables(t[i].line) == t[i].n, "'%s': %d syllables, expected %d", t[i].line, a, t[i].n);
    }
    CHECK(serce_tr_is_vowel(0x131) && serce_tr_is_vowel('I') && serce_tr_is_vowel(0x130) && !serce_tr_is_vowel('y'),
          "ı, I and İ are vowels, y is not");
    CHECK(serce_tr_fold('I') == 0x131 && serce_tr_fold(0x130) == 'i' && serce_tr_fold(0xE2) == 'a', "Turkish folding");
}

static void test_metre(void) {
    serce_metre m;
    serce_error e;
    CHECK(serce_metre_parse("8", &m, &e) == SERCE_OK && m.n == 1 && m.line[0].total == 8 && m.line[0].nseg == 1, "8");
    CHECK(serce_metre_parse("6+5", &m, &e) == SERCE_OK && m.line[0].total == 11 && m.line[0].nseg == 2 &&
              m.line[0].seg[0] == 6,
          "6+5");
    CHECK(serce_metre_parse(" 4 + 4 + 3 ", &m, &e) == SERCE_OK && m.line[0].total == 11 && m.line[0].nseg == 3, "4+4+3");
    CHECK(serce_metre_parse("7,7,7,5", &m, &e) == SERCE_OK && m.n == 4 && m.line[3].total == 5, "7,7,7,5");
    CHECK(serce_metre_parse("8'li", &m, &e) == SERCE_OK && m.line[0].nseg == 2 && m.line[0].seg[0] == 4, "8'li = 4+4");
    CHECK(serce_metre_parse("11'li", &m, &e) == SERCE_OK && m.line[0].seg[0] == 6 && m.line[0].seg[1] == 5, "11'li = 6+5");
    CHECK(serce_metre_parse("14’lü", &m, &e) == SERCE_OK && m.line[0].seg[0] == 7 && m.line[0].total == 14, "14’lü = 7+7");
    CHECK(serce_metre_parse("9lu", &m, &e) == SERCE_OK && m.line[0].total == 9 && m.line[0].nseg == 1, "9lu: no durak");
    CHECK(serce_metre_parse("", &m, &e) == SERCE_OK && m.n == 0, "empty = off");
    const char *bad[] = {"abc", "0", "40", "6+", "6++5", "20+20", "8'lik", "7,,7", "1+1+1+1+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = serce_metre_parse(bad[i], &m, &e);
        CHECK(rc == SERCE_ERR_ARG && strstr(e.msg, "syllables"), "'%s' refused with a message: %s", bad[i], e.msg);
    }
}

static void test_rhyme(void) {
    serce_rhyme_scheme r;
    serce_error e;
    CHECK(serce_rhyme_parse("AABB", &r, &e) == SERCE_OK && r.n == 4, "AABB");
    int aabb[] = {-1, 0, -1, 2, -1, 4, -1, 6};
    for (int i = 0; i < 8; i++) CHECK(serce_rhyme_anchor(&r, i) == aabb[i], "AABB anchor of line %d", i);
    serce_rhyme_parse("abab", &r, &e);
    CHECK(serce_rhyme_anchor(&r, 2) == 0 && serce_rhyme_anchor(&r, 3) == 1 && serce_rhyme_anchor(&r, 1) == -1, "ABAB");
    serce_rhyme_parse("AAXA", &r, &e);
    CHECK(serce_rhyme_anchor(&r, 1) == 0 && serce_rhyme_anchor(&r, 2) == -1 && serce_rhyme_anchor(&r, 3) == 0, "AAXA");
    serce_rhyme_parse("AA", &r, &e);
    CHECK(serce_rhyme_anchor(&r, 2) == -1 && serce_rhyme_anchor(&r, 3) == 2, "AA over four lines is AABB");
    CHECK(serce_rhyme_parse("A1B", &r, &e) == SERCE_ERR_ARG && strstr(e.msg, "rhyme"), "digits refused: %s", e.msg);
    CHECK(serce_rhyme_parse("ABABABABABABABABA", &r, &e) == SERCE_ERR_ARG, "17 lines refused");

    static const struct {
        const char *a, *b;
        int rhymes, common;
    } t[] = {
        {"Yine gelir bahar yazı", "Çalar bağlamanın sazı", 1, 3}, /* azı */
        {"Irmak akar taşa değer", "Yollar bana küsse eğer", 1, 4},  /* eğer */
        {"gül", "dal", 0, 1},                                       /* l only: no vowel */
        {"sevda", "kavga", 1, 1},                                   /* the last vowel alone */
        {"Gönlüm", "GÖNLÜM", 0, 6},                                 /* the same line is not a rhyme */
        {"Işık", "kışık", 1, 4},                                    /* I folds to ı */
        {"sen de", "bende", 1, 4},                                  /* spaces do not count */
        {"Dağlar dağlar yüce dağlar", "Eteğinde ırmak çağlar", 1, 5}, /* ağlar */
        {"kâr", "nar", 1, 2},                                       /* â folds to a */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int c = -1, r1 = serce_rhyme_check_utf8(t[i].a, t[i].b, &c);
        CHECK(r1 == t[i].rhymes && c == t[i].common && t_rhymes(t[i].a, t[i].b) == t[i].rhymes,
              "'%s' / '%s': rhymes %d common %d", t[i].a, t[i].b, r1, c);
    }
}

static void test_form(void) {
    serce_form f;
    serce_error e;
    CHECK(serce_form_parse("V C V C C", 4, &f, &e) == SERCE_OK && f.n == 5 && f.s[1].kind == SERCE_SECTION_CHORUS &&
              f.s[2].kind == SERCE_SECTION_VERSE && f.s[4].lines == 4,
          "V C V C C");
    CHECK(serce_form_parse("verse, chorus, verse", 3, &f, &e) == SERCE_OK && f.n == 3 && f.s[1].kind == SERCE_SECTION_CHORUS &&
              f.s[0].lines == 3,
          "words");
    CHECK(serce_form_parse("KITA NAKARAT kıta nakarat köprü", 4, &f, &e) == SERCE_OK && f.n == 5 &&
              f.s[0].kind == SERCE_SECTION_VERSE && f.s[3].kind == SERCE_SECTION_CHORUS &&
              f.s[4].kind == SERCE_SECTION_BRIDGE,
          "Turkish names, Turkish capitals");
    CHECK(serce_form_parse("k n k n", 4, &f, &e) == SERCE_OK && f.n == 4 && f.s[1].kind == SERCE_SECTION_CHORUS, "K N");
    CHECK(serce_form_parse("VCVCC", 4, &f, &e) == SERCE_OK && f.n == 5 && f.s[3].kind == SERCE_SECTION_CHORUS, "VCVCC");
    CHECK(serce_form_parse("V4 C2 V4 C", 4, &f, &e) == SERCE_OK && f.s[1].lines == 2 && f.s[3].lines == 2 &&
              f.s[2].lines == 4,
          "V4 C2: a chorus without a count takes the chorus count");
    CHECK(serce_form_parse("V Q", 4, &f, &e) == SERCE_ERR_ARG && strstr(e.msg, "'q'"), "unknown section: %s", e.msg);
    CHECK(serce_form_parse("C2 V C4", 4, &f, &e) == SERCE_ERR_ARG && strstr(e.msg, "same line count"), "chorus counts: %s",
          e.msg);
    CHECK(serce_form_parse("V40", 4, &f, &e) == SERCE_ERR_ARG, "40 lines refused");
    CHECK(serce_form_parse("", 4, &f, &e) == SERCE_OK && f.n == 0, "empty = off");
}

static void test_base64(void) {
    serce_error e;
    for (size_t n = 0; n < 12; n++) {
        uint8_t in[12];
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(i * 77 + 13);
        serce_buf b = {0};
        uint8_t *out = NULL;
        size_t no = 0;
        int ok = serce_base64_encode(in, n, &b) == SERCE_OK && b.len == (n + 2) / 3 * 4 &&
                 serce_base64_decode((const char *)b.data, b.len, &out, &no, &e) == SERCE_OK && no == n &&
                 (n == 0 || memcmp(out, in, n) == 0);
        CHECK(ok, "base64 round trip of %zu bytes", n);
        serce_free(out);
        serce_buf_free(&b);
    }
    uint8_t *o = NULL;
    size_t no;
    CHECK(serce_base64_decode("QUJD!A==", 8, &o, &no, &e) == SERCE_ERR_FORMAT, "bad character");
    CHECK(serce_base64_decode("QUI=Q", 5, &o, &no, &e) == SERCE_ERR_FORMAT, "bad length");
    CHECK(serce_base64_decode("QUJ=", 4, &o, &no, &e) == SERCE_ERR_FORMAT, "non-canonical padding");
    CHECK(serce_base64_decode("QU=D", 4, &o, &no, &e) == SERCE_ERR_FORMAT, "padding inside");
}

/* ================================================================ originality index */

static serce_corpus corpus; /* tests/data/lyric-songs.txt */

static void random_words(uint64_t *rng, char *out, size_t cap) {
    static const char *syl[] = {"ka", "le", "mı", "rö", "zu", "pe", "şi", "tü", "vo", "ça", "ğe", "bu", "nı", "fo"};
    size_t k = 0;
    while (k + 16 < cap) {
        int w = 1 + (int)serce_rng_below(rng, 3);
        for (int i = 0; i < w; i++) {
            const char *s = syl[serce_rng_below(rng, 14)];
            memcpy(out + k, s, strlen(s));
            k += strlen(s);
        }
        out[k++] = serce_rng_below(rng, 6) ? ' ' : '\n';
    }
    out[k] = 0;
}

static serce_originality *index_of_corpus(double fpr) {
    serce_buf j = {0};
    serce_error e;
    serce_originality *ix = NULL;
    int rc = serce_originality_build(&corpus, 0, fpr, &j, &e);
    CHECK(rc == SERCE_OK, "build: %s", e.msg);
    if (!rc) {
        rc = serce_originality_load((const char *)j.data, j.len, &ix, &e);
        CHECK(rc == SERCE_OK, "load: %s", e.msg);
        CHECK(strstr((char *)j.data, "\"n\":24") && strstr((char *)j.data, "\"data\":\""), "JSON fields");
        CHECK(!strstr((char *)j.data, "türkü"), "no corpus text in the index");
    }
    serce_buf_free(&j);
    return ix;
}

static void test_originality(void) {
    serce_originality *ix = index_of_corpus(0);
    if (!ix) return;
    serce_originality_info info;
    serce_originality_get_info(ix, &info);
    CHECK(info.n == 24 && info.fpr > 0 && info.fpr < 0.002, "n = 24, stored fpr %g near the 0.001 asked", info.fpr);
    CHECK(info.bits >= 14 * info.items && info.bits <= 15 * info.items + 64, "about 14.4 bits per n-gram: %llu bits, %llu items",
          (unsigned long long)info.bits, (unsigned long long)info.items);

    /* a corpus line inside random words is found, exactly; random words alone are not */
    uint64_t rng = serce_rng_seed(3);
    char pre[200], post[200], text[800];
    random_words(&rng, pre, sizeof pre);
    random_words(&rng, post, sizeof post);
    const char *copied = "Gece treni düdük çalar\nİstasyonda bir kız ağlar"; /* two lines of the corpus */
    snprintf(text, sizeof text, "%s%s %s", pre, copied, post);
    serce_span *sp = NULL;
    size_t nsp = 0;
    double nov = 0;
    serce_error e;
    CHECK(serce_originality_spans(ix, text, strlen(text), &sp, &nsp, &nov, &e) == SERCE_OK, "spans");
    size_t at = strlen(pre);
    CHECK(nsp == 1 && sp[0].start == at && sp[0].end == at + strlen(copied), "the copied lines are one span [%zu, %zu), got %zu spans [%zu, %zu)",
          at, at + strlen(copied), nsp, nsp ? sp[0].start : 0, nsp ? sp[0].end : 0);
    CHECK(nov > 0.2 && nov < 0.9, "novelty %.3f between", nov);
    serce_free(sp);
    /* case and punctuation do not hide a copy */
    const char *shout = "xq GECE TRENİ, düdük çalar... istasyonda bir KIZ ağlar! zq";
    CHECK(serce_originality_spans(ix, shout, strlen(shout), &sp, &nsp, &nov, &e) == SERCE_OK && nsp == 1,
          "a copy in capitals with other punctuation is found");
    serce_free(sp);
    int false_spans = 0;
    for (int i = 0; i < 50; i++) {
        char r[800];
        random_words(&rng, r, sizeof r);
        serce_originality_spans(ix, r, strlen(r), &sp, &nsp, &nov, &e);
        false_spans += (int)nsp;
        serce_free(sp);
    }
    CHECK(false_spans == 0, "random text: %d spans", false_spans);
    /* for the page: offsets in UTF-16 code units (all these characters are in the BMP: one unit each) */
    serce_buf j = {0};
    uint32_t tmp[1024];
    size_t u_at = dec(text, at, tmp), u_len = dec(copied, strlen(copied), tmp);
    char want[64];
    snprintf(want, sizeof want, "\"spans\":[[%zu,%zu]]", u_at, u_at + u_len);
    CHECK(serce_originality_spans_json(ix, text, strlen(text), &j, &e) == SERCE_OK && strstr((char *)j.data, want) &&
              strstr((char *)j.data, "\"novelty\":0."),
          "spans JSON %s has %s", j.data ? (char *)j.data : "", want);
    serce_buf_free(&j);
    serce_originality_free(ix);

    /* measured false-positive rate near the stored one (a larger rate so the count is meaningful) */
    ix = index_of_corpus(0.02);
    if (!ix) return;
    serce_originality_get_info(ix, &info);
    long hits = 0, trials = 200000;
    uint32_t w[64];
    for (long t = 0; t < trials; t++) {
        for (int i = 0; i < info.n; i++) w[i] = 'a' + serce_rng_below(&rng, 26);
        hits += serce_originality_contains(ix, w);
    }
    double measured = (double)hits / (double)trials;
    CHECK(measured > 0.8 * info.fpr && measured < 1.2 * info.fpr && info.fpr > 0.01 && info.fpr < 0.03,
          "measured false-positive rate %.4f, stored %.4f (design 0.02)", measured, info.fpr);
    serce_originality_free(ix);

    /* strict loading */
    const char *bad[] = {"{}", "{\"n\":24,\"k\":3,\"bits\":64,\"data\":\"AAAA\"}",
                         "{\"n\":2,\"k\":3,\"bits\":64,\"data\":\"AAAAAAAAAAA=\"}",
                         "{\"n\":24,\"k\":3,\"bits\":64,\"data\":\"AAAAAAAAAAA=\",\"hash\":\"md5\"}", "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        serce_originality *x = NULL;
        CHECK(serce_originality_load(bad[i], strlen(bad[i]), &x, &e) != SERCE_OK && x == NULL, "refused: %s", bad[i]);
    }
    serce_originality *x = NULL;
    const char *good = "{\"n\":24,\"k\":3,\"bits\":64,\"data\":\"AAAAAAAAAAA=\"}";
    CHECK(serce_originality_load(good, strlen(good), &x, &e) == SERCE_OK, "minimal index loads: %s", e.msg);
    serce_originality_free(x);
}

/* ================================================================ settings */

/* options compared through their JSON (every field; padding bytes do not matter) */
static int same_opts(const serce_gen_opts *a, const serce_gen_opts *b) {
    serce_buf x = {0}, y = {0};
    serce_gen_opts_to_json(a, &x);
    serce_gen_opts_to_json(b, &y);
    int same = x.len == y.len && !memcmp(x.data, y.data, x.len) && a->originality == b->originality;
    serce_buf_free(&x);
    serce_buf_free(&y);
    return same;
}

static void test_settings(void) {
    serce_gen_opts o, d;
    serce_error e;
    serce_gen_opts_default(&o);
    int rc = serce_gen_opts_from_json(&o,
                                      "{\"temperature\":0.5,\"top_k\":10,\"seed\":\"18446744073709551615\",\"form\":\"V C V C\","
                                      "\"syllables\":[7,7,\"4+4\"],\"rhyme\":\"abab\",\"attempts\":12,\"avoid_copying\":false,"
                                      "\"repetition_penalty\":1.3,\"no_repeat_ngram\":20,\"songs\":2}",
                                      &e);
    CHECK(rc == SERCE_OK && o.temperature == 0.5f && o.top_k == 10 && o.seed == UINT64_MAX && !strcmp(o.form, "V C V C") &&
              !strcmp(o.syllables, "7,7,4+4") && !strcmp(o.rhyme, "abab") && o.attempts == 12 && o.songs == 2 &&
              o.no_repeat_ngram == 20,
          "settings applied: %s", e.msg);
    serce_gen_opts_default(&o);
    CHECK(serce_gen_opts_from_json(&o, "{\"syllables\":8,\"seed\":42}", &e) == SERCE_OK && !strcmp(o.syllables, "8") && o.seed == 42,
          "a number for syllables");
    serce_buf b = {0};
    serce_gen_opts_to_json(&o, &b);
    serce_gen_opts_default(&d);
    CHECK(serce_gen_opts_from_json(&d, (char *)b.data, &e) == SERCE_OK && same_opts(&o, &d),
          "to_json and back: %s", (char *)b.data);
    serce_buf_free(&b);
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"tempreature\":1}", "unknown key 'tempreature'"},
        {"{\"temperature\":\"hot\"}", "'temperature' must be a number, got a string"},
        {"{\"temperature\":11}", "temperature must be between 0 and 10"},
        {"{\"top_k\":2.5}", "'top_k' must be a whole number"},
        {"{\"top_p\":0}", "top-p must be in (0, 1]"},
        {"{\"seed\":-1}", "'seed' must be a whole number from 0 to 2^53"},
        {"{\"seed\":\"12x\"}", "'seed' as a string must be digits"},
        {"{\"form\":\"V Q\"}", "form: unknown section 'q'"},
        {"{\"form\":7}", "'form' must be a string, got a number"},
        {"{\"syllables\":\"6+\"}", "syllables: '6+' is not a metre"},
        {"{\"syllables\":[8,true]}", "'syllables' array element 1 must be a number or a string"},
        {"{\"rhyme\":\"A-B-1\"}", "rhyme: 'A-B-1' is not a rhyme scheme"},
        {"{\"attempts\":0}", "'attempts' must be a whole number from 1 to 10000"},
        {"{\"word_end_min\":2}", "word-end-min must be between 0 and 1"},
        {"{\"repetition_penalty\":0.5}", "repetition penalty must be between 1 (off) and 100"},
        {"{\"no_repeat_ngram\":1}", "no-repeat-ngram must be 0 (off) or 2 to 1000"},
        {"{\"avoid_copying\":1}", "'avoid_copying' must be true or false"},
        {"{\"lines_per_stanza\":0}", "'lines_per_stanza' must be a whole number from 1 to 32"},
        {"[1,2]", "settings must be a JSON object"},
        {"{\"songs\":0,\"length\":0}", "give a length in characters or a number of songs"},
        {"{\"temperature\":1,}", "settings: invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        serce_gen_opts_default(&o);
        serce_gen_opts_default(&d);
        rc = serce_gen_opts_from_json(&o, bad[i].json, &e);
        CHECK(rc != SERCE_OK && strstr(e.msg, bad[i].msg) && same_opts(&o, &d), "%s -> '%s' (expected '%s')",
              bad[i].json, e.msg, bad[i].msg);
    }
}

/* ================================================================ the model */

static serce_model *train_tiny(void) {
    serce_error e;
    serce_vocab v;
    serce_model *m = NULL;
    if (serce_vocab_build(&corpus, 1, 0, &v, &e)) return NULL;
    serce_config cfg = {v.size, 16, 96, 1, 0};
    int rc = serce_model_new(&cfg, &v, &m, &e);
    serce_vocab_free(&v);
    if (rc) return NULL;
    serce_model_init(m, 7);
    serce_songs s;
    serce_train_opts o;
    serce_train_opts_default(&o);
    o.batch = 8, o.seq_len = 64, o.lr = 0.01f, o.dropout = 0, o.warmup = 20, o.seed = 3;
    serce_trainer *t = NULL;
    rc = serce_songs_encode(&m->vocab, &corpus, NULL, 0, &s, &e);
    if (!rc) rc = serce_trainer_new(m, serce_kernels_best(), &o, &s, &t, &e);
    const int steps = 700;
    serce_step_stats st = {0};
    double first = 0;
    for (int i = 0; i < steps && !rc; i++) {
        rc = serce_trainer_step(t, serce_lr_at(&o, i, (double)i / steps), &st, &e);
        if (i == 0) first = st.loss;
    }
    CHECK(rc == SERCE_OK && st.loss < first - 1.0, "the tiny model learns: loss %.3f -> %.3f nats (%s)", first, st.loss,
          rc ? e.msg : "");
    serce_trainer_free(t);
    serce_songs_free(&s);
    if (rc) {
        serce_model_free(m);
        return NULL;
    }
    return m;
}

/* Generate one session's whole text, stepping chunk characters at a time. */
static int generate(const serce_model *m, const serce_gen_opts *o, const char *prime, int chunk, serce_buf *text,
                    serce_gen_stats *st) {
    serce_error e;
    serce_gen *g = NULL;
    int rc = serce_gen_new(m, NULL, o, &g, &e);
    if (!rc) rc = serce_gen_start(g, prime, strlen(prime), &e);
    int done = 0;
    while (!rc && !done) rc = serce_gen_step(g, chunk, text, &done, &e);
    if (rc) fprintf(stderr, "generate: %s\n", e.msg);
    if (st && g) serce_gen_get_stats(g, st);
    serce_gen_free(g);
    return rc;
}

/* the old plain loop (sampler.c before song mode), to prove the default path is unchanged */
static void reference_text(const serce_model *m, uint64_t seed, long length, serce_buf *out) {
    serce_infer *inf;
    serce_error e;
    serce_infer_new(m, NULL, &inf, &e);
    int V = m->cfg.vocab;
    unsigned char *ban = calloc((size_t)V, 1);
    void *scr = malloc(serce_sample_scratch_bytes(V));
    uint64_t rng = serce_rng_seed(seed);
    int in_title = 1;
    serce_infer_step(inf, SERCE_TOK_BOS);
    for (long i = 0; i < length; i++) {
        memset(ban, 0, (size_t)V);
        ban[SERCE_TOK_UNK] = ban[SERCE_TOK_BOS] = 1;
        if (!in_title) ban[SERCE_TOK_TITLE] = 1;
        int t = serce_sample(serce_infer_logits(inf), V, ban, 0.8f, 0, 0.95f, &rng, scr);
        char s[16];
        if (t == SERCE_TOK_TITLE) serce_buf_append(out, "\n\n", 2), in_title = 0;
        else if (t == SERCE_TOK_EOS) serce_buf_append(out, "\n\n", 2), in_title = 1, t = SERCE_TOK_BOS;
        else if (t >= SERCE_NSPECIAL) serce_buf_append(out, s, (size_t)serce_vocab_token_str(&m->vocab, t, s));
        if (i + 1 < length) serce_infer_step(inf, t);
    }
    free(ban);
    free(scr);
    serce_infer_free(inf);
}

/* the model's probability that the word ends after the state's last input (the definition above) */
static float p_word_end(const serce_model *m, const serce_infer *inf) {
    const float *z = serce_infer_logits(inf);
    int V = m->cfg.vocab;
    double mx = -1e30, tot = 0, sep = 0;
    for (int v = 0; v < V; v++)
        if (v != SERCE_TOK_UNK && v != SERCE_TOK_BOS && v != SERCE_TOK_TITLE && z[v] > mx) mx = z[v];
    for (int v = 0; v < V; v++) {
        if (v == SERCE_TOK_UNK || v == SERCE_TOK_BOS || v == SERCE_TOK_TITLE) continue;
        double p = exp(z[v] - mx);
        uint32_t c = m->vocab.cps[v];
        tot += p;
        if (v == SERCE_TOK_EOS || (v >= SERCE_NSPECIAL && !t_letter(c) && !(c >= '0' && c <= '9') && c != '\'' && c != 0x2019))
            sep += p;
    }
    return (float)(sep / tot);
}

typedef struct {
    const char *form, *syllables, *rhyme;
    int lines;           /* lines per stanza */
} shape;

typedef struct {
    int lines, metre_ok, durak_ok, durak_total, rhymes_required, rhymes_met, chorus_checks, chorus_ok, songs_ok;
    int stats_agree;
} tally;

/* Check one generated song against its shape with the independent helpers. */
static void check_song(const serce_model *m, const shape *sh, const char *text, const serce_gen_stats *st, float tau,
                       tally *tl, uint64_t seed) {
    serce_form f;
    serce_metre mt;
    serce_rhyme_scheme rs;
    serce_error e;
    serce_form_parse(sh->form, sh->lines, &f, &e);
    serce_metre_parse(sh->syllables, &mt, &e);
    serce_rhyme_parse(sh->rhyme, &rs, &e);
    /* layout: "Title\n\n" then stanzas separated by one empty line, then "\n" */
    char *buf = strdup(text), *lines[256];
    int nl = 0;
    for (char *p = buf, *q; p && *p && nl < 256; p = q ? q + 1 : NULL) {
        q = strchr(p, '\n');
        if (q) *q = 0;
        lines[nl++] = p;
    }
    int expect = 2, ok = nl >= 2 && lines[0][0] && !lines[1][0];
    for (int s = 0; s < f.n; s++) expect += f.s[s].lines + (s + 1 < f.n);
    ok &= nl == expect;
    CHECK(ok, "seed %llu: %d lines of layout, expected %d:\n%s", (unsigned long long)seed, nl, expect, text);
    if (!ok) {
        free(buf);
        return;
    }
    /* re-read the song with the model, as it was fed: <s> title <t> lines joined by one '\n' */
    serce_infer *inf;
    serce_infer_new(m, NULL, &inf, &e);
    serce_infer_step(inf, SERCE_TOK_BOS);
    uint32_t cp[512];
    size_t n = dec(lines[0], strlen(lines[0]), cp);
    for (size_t i = 0; i < n; i++) serce_infer_step(inf, serce_vocab_id(&m->vocab, cp[i]));
    serce_infer_step(inf, SERCE_TOK_TITLE);
    int li = 2, chorus_at = -1, required = 0, met = 0, metre_ok_song = 0, metre_lines = 0;
    for (int s = 0; s < f.n; s++) {
        int repeat = f.s[s].kind == SERCE_SECTION_CHORUS && chorus_at >= 0;
        if (f.s[s].kind == SERCE_SECTION_CHORUS && chorus_at < 0) chorus_at = li;
        if (repeat) {
            int same = 1;
            for (int k = 0; k < f.s[s].lines; k++) same &= !strcmp(lines[li + k], lines[chorus_at + k]);
            tl->chorus_checks++;
            tl->chorus_ok += same;
            CHECK(same, "seed %llu: the chorus repeats verbatim", (unsigned long long)seed);
        }
        for (int k = 0; k < f.s[s].lines; k++, li++) {
            const char *L = lines[li];
            n = dec(L, strlen(L), cp);
            const serce_metre_line *ml = &mt.line[k % mt.n];
            /* each durak: the letter that ends the word holding the durak's vowel (-1: no word end before
             * the next vowel) */
            long durak_at[SERCE_METRE_MAX_SEG];
            int nd = ml->nseg - 1, line_ok = 1, durak_bad = 0;
            float pmin = 1;
            for (int q = 0, cum = 0; q < nd; q++) {
                cum += ml->seg[q];
                int v = 0;
                size_t i = 0;
                while (i < n && v < cum) v += t_vowel(cp[i++]);
                while (i < n && (t_letter(cp[i]) || cp[i] == '\'' || cp[i] == 0x2019) && !t_vowel(cp[i])) i++;
                durak_at[q] = (i < n && !t_letter(cp[i]) && cp[i] != '\'' && cp[i] != 0x2019) ? (long)i - 1 : -1;
                if (!repeat) {
                    tl->durak_total++;
                    durak_bad |= durak_at[q] < 0;
                }
            }
            for (size_t i = 0; i < n; i++) {
                serce_infer_step(inf, serce_vocab_id(&m->vocab, cp[i]));
                for (int q = 0; q < nd && !repeat; q++)
                    if (durak_at[q] == (long)i) {
                        float p = p_word_end(m, inf);
                        pmin = p < pmin ? p : pmin;
                        tl->durak_ok += p >= tau - 1e-4f;
                    }
            }
            CHECK(!durak_bad, "seed %llu: line '%s' has no word end at its durak", (unsigned long long)seed, L);
            line_ok &= !durak_bad && pmin >= tau - 1e-4f;
            float pe = p_word_end(m, inf);
            int syl = t_syllables(L);
            line_ok &= syl == ml->total && n > 0 && t_letter(cp[0]) && t_letter(cp[n - 1]) && pe >= tau - 1e-4f;
            /* every space-separated token is a word: letters (apostrophes inside), punctuation only at its edges */
            for (size_t i = 0; i < n;) {
                while (i < n && cp[i] == ' ') i++;
                size_t a0 = i;
                while (i < n && cp[i] != ' ') i++;
                size_t a = a0, b = i;
                while (a < b && !t_letter(cp[a])) a++;
                while (b > a && !t_letter(cp[b - 1])) b--;
                int word = a < b;
                for (size_t q = a; q < b && word; q++) word = t_letter(cp[q]) || cp[q] == '\'' || cp[q] == 0x2019;
                if (a0 < i && !repeat) CHECK(word, "seed %llu: '%s' has a token that is not a word", (unsigned long long)seed, L);
            }
            if (!repeat) {
                tl->lines++;
                metre_lines++;
                metre_ok_song += line_ok;
                tl->metre_ok += line_ok;
                CHECK(line_ok, "seed %llu: line '%s': %d syllables (want %d), P(word end) %.3f", (unsigned long long)seed, L,
                      syl, ml->total, pe);
                int a = serce_rhyme_anchor(&rs, k);
                if (a >= 0) {
                    required++;
                    met += t_rhymes(L, lines[li - k + a]);
                }
            }
            int last = s + 1 == f.n && k + 1 == f.s[s].lines;
            if (!last) serce_infer_step(inf, serce_vocab_id(&m->vocab, '\n'));
        }
        li++; /* the empty line after a stanza */
    }
    serce_infer_free(inf);
    tl->rhymes_required += required;
    tl->rhymes_met += met;
    int agree = st->rhymes_required == required && st->rhymes_met == met && st->metre_lines == metre_lines &&
                st->metre_met == metre_ok_song;
    tl->stats_agree += agree;
    CHECK(agree, "seed %llu: the report (rhymes %d/%d, metre %d/%d) agrees with the check (rhymes %d/%d, metre %d/%d)",
          (unsigned long long)seed, st->rhymes_met, st->rhymes_required, st->metre_met, st->metre_lines, met, required,
          metre_ok_song, metre_lines);
    tl->songs_ok++;
    free(buf);
}

static void test_song_mode(const serce_model *m) {
    static const shape shapes[] = {
        {"V C V C", "8", "AABB", 4},
        {"K N K N N", "4+4", "ABAB", 4},
        {"V C V", "7,7,7,5", "AAXA", 4},
        {"V4 C2 V4 C2", "6+5", "AA", 4},
    };
    tally tl = {0};
    const int nseeds = 32;
    for (int i = 0; i < nseeds; i++) {
        const shape *sh = &shapes[i % 4];
        serce_gen_opts o;
        serce_gen_opts_default(&o);
        o.seed = 100 + (uint64_t)i;
        snprintf(o.form, sizeof o.form, "%s", sh->form);
        snprintf(o.syllables, sizeof o.syllables, "%s", sh->syllables);
        snprintf(o.rhyme, sizeof o.rhyme, "%s", sh->rhyme);
        serce_buf text = {0};
        serce_gen_stats st;
        if (generate(m, &o, "", 64, &text, &st) == SERCE_OK) check_song(m, sh, (char *)text.data, &st, o.word_end_min, &tl, o.seed);
        if (i == 0) printf("an example (seed %llu):\n%s\n", (unsigned long long)o.seed, (char *)text.data);
        serce_buf_free(&text);
    }
    printf("song mode over %d seeds: %d/%d lines metred and ending at word ends, %d/%d duraks, %d/%d rhymes, %d/%d "
           "choruses verbatim, reports agree in %d/%d songs\n",
           nseeds, tl.metre_ok, tl.lines, tl.durak_ok, tl.durak_total, tl.rhymes_met, tl.rhymes_required, tl.chorus_ok,
           tl.chorus_checks, tl.stats_agree, nseeds);
    CHECK(tl.songs_ok == nseeds, "every song has its layout");
    CHECK(tl.metre_ok == tl.lines && tl.lines > 0, "every line: %d of %d", tl.metre_ok, tl.lines);
    CHECK(tl.durak_ok == tl.durak_total && tl.durak_total > 0, "every durak: %d of %d", tl.durak_ok, tl.durak_total);
    CHECK(tl.rhymes_met >= tl.rhymes_required * 9 / 10, "nine in ten required rhymes met: %d of %d", tl.rhymes_met,
          tl.rhymes_required);
    CHECK(tl.chorus_ok == tl.chorus_checks && tl.chorus_checks >= nseeds, "choruses");
}

static void test_session(const serce_model *m) {
    serce_gen_opts o;
    /* the plain path is what it was */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        serce_gen_opts_default(&o);
        o.seed = seed, o.length = 400, o.songs = 0;
        serce_buf a = {0}, b = {0};
        generate(m, &o, "", 37, &a, NULL);
        reference_text(m, seed, 400, &b);
        CHECK(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len), "seed %llu: plain sampling unchanged", (unsigned long long)seed);
        serce_buf_free(&a);
        serce_buf_free(&b);
    }
    /* song mode: same seed same text, whatever the chunk size; another seed, another text */
    serce_gen_opts_default(&o);
    snprintf(o.form, sizeof o.form, "V C V C");
    snprintf(o.syllables, sizeof o.syllables, "8");
    snprintf(o.rhyme, sizeof o.rhyme, "ABAB");
    o.songs = 2, o.seed = 9;
    serce_buf a = {0}, b = {0}, c = {0};
    generate(m, &o, "", 1, &a, NULL);
    generate(m, &o, "", 1000, &b, NULL);
    o.seed = 10;
    generate(m, &o, "", 64, &c, NULL);
    CHECK(a.len > 0 && a.len == b.len && !memcmp(a.data, b.data, a.len), "chunk size does not change the text");
    CHECK(c.len != a.len || memcmp(a.data, c.data, a.len), "another seed, another text");
    int empties = 0;
    for (size_t i = 0; i + 1 < a.len; i++) empties += a.data[i] == '\n' && a.data[i + 1] == '\n';
    CHECK(empties == 2 * (1 + 3) + 1, "two songs: title breaks, stanza breaks and the break between songs (%d)", empties);
    serce_buf_free(&a);
    serce_buf_free(&b);
    serce_buf_free(&c);

    /* a prime: the title and the start of the first line are kept, the line is completed to its count */
    serce_gen_opts_default(&o);
    snprintf(o.form, sizeof o.form, "V");
    snprintf(o.syllables, sizeof o.syllables, "8");
    o.seed = 4;
    serce_gen_stats st;
    generate(m, &o, "Bahar\nSabah olur", 64, &a, &st);
    const char *t = (char *)a.data;
    CHECK(a.len && !strncmp(t, "Bahar\n\nSabah olur", 17), "the prime starts the song: %s", t);
    const char *l1 = t + 7, *e1 = strchr(l1, '\n');
    char first[256] = "";
    if (e1 && e1 - l1 < 255) memcpy(first, l1, (size_t)(e1 - l1)), first[e1 - l1] = 0;
    CHECK(t_syllables(first) == 8 && st.metre_met == 4, "the primed line is completed to 8 syllables: '%s'", first);
    serce_buf_free(&a);

    /* a metre without a form: the model ends the song; every line metred */
    serce_gen_opts_default(&o);
    snprintf(o.syllables, sizeof o.syllables, "7");
    o.seed = 5;
    generate(m, &o, "", 64, &a, &st);
    int bad = 0, nlines = 0;
    t = (char *)a.data;
    const char *body = strstr(t, "\n\n");
    for (const char *p = body ? body + 2 : t; p && *p;) {
        const char *q = strchr(p, '\n');
        char line[512];
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len && len < sizeof line) {
            memcpy(line, p, len), line[len] = 0;
            bad += t_syllables(line) != 7;
            nlines++;
        }
        p = q ? q + 1 : NULL;
    }
    CHECK(nlines >= 2 && bad == 0 && st.metre_met == st.metre_lines, "no form: %d lines of 7 syllables (%d not)", nlines, bad);
    serce_buf_free(&a);
}

/* the longest span of a text (folded) that occurs twice */
static size_t longest_repeat(const char *s) {
    size_t n = strlen(s), best = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            size_t k = 0;
            while (j + k < n && s[i + k] == s[j + k]) k++;
            if (k > best) best = k;
        }
    return best;
}

static void test_repetition(const serce_model *m) {
    serce_gen_opts o;
    serce_buf a = {0}, b = {0}, c = {0};
    /* greedy decoding loops; the penalty breaks the loops, the n-gram ban forbids them */
    serce_gen_opts_default(&o);
    o.temperature = 0, o.length = 600, o.songs = 0, o.seed = 1;
    generate(m, &o, "Dağlar\n", 64, &a, NULL);
    o.repetition_penalty = 2.0f;
    o.repetition_min = 8;
    generate(m, &o, "Dağlar\n", 64, &b, NULL);
    /* within a song (the history restarts at each song) */
    serce_buf_free(&a);
    serce_buf_free(&b);
    o.songs = 1, o.repetition_penalty = 1.0f;
    generate(m, &o, "Dağlar\n", 64, &a, NULL);
    o.repetition_penalty = 2.0f;
    generate(m, &o, "Dağlar\n", 64, &b, NULL);
    o.repetition_penalty = 1.0f;
    o.no_repeat_ngram = 12;
    o.songs = 1, o.length = 3000;
    generate(m, &o, "Dağlar\n", 64, &c, NULL);
    size_t ra = longest_repeat((char *)a.data), rb = longest_repeat((char *)b.data), rc = 0;
    /* no-repeat n-grams hold within a song: cut at the first song end */
    char *song = (char *)c.data;
    rc = longest_repeat(song);
    printf("greedy: longest repeat %zu bytes; with repetition penalty 2: %zu; with no-repeat-ngram 12: %zu\n", ra, rb, rc);
    CHECK(ra > 100, "greedy decoding loops (longest repeat %zu)", ra);
    CHECK(rb < ra / 2, "the repetition penalty shortens repeats: %zu -> %zu", ra, rb);
    /* bytes vs characters: 11 characters of Turkish text are at most 22 bytes; a repeat of 12
     * characters would be >= 12 bytes, so check on codepoints */
    uint32_t cp[8192];
    size_t n = dec(song, strlen(song), cp), worst = 0;
    for (size_t i = 0; i + 1 < n; i++) /* the title break is one token (<t>) for the model */
        if (cp[i] == '\n' && cp[i + 1] == '\n') {
            cp[i] = 1;
            memmove(cp + i + 1, cp + i + 2, (n - i - 2) * sizeof *cp);
            n--;
            break;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            size_t k = 0;
            while (j + k < n && t_fold(cp[i + k]) == t_fold(cp[j + k])) k++;
            if (k > worst) worst = k;
        }
    CHECK(worst < 12, "no character 12-gram twice in the song (longest repeat %zu characters)", worst);
    if (worst >= 12) printf("%s\n", song);
    serce_buf_free(&a);
    serce_buf_free(&b);
    serce_buf_free(&c);
}

static void test_avoid_copying(const serce_model *m) {
    serce_originality *ix = index_of_corpus(0);
    if (!ix) return;
    size_t spans_off = 0, spans_on = 0;
    long bans = 0, lifted = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        for (int avoid = 0; avoid <= 1; avoid++) {
            serce_gen_opts o;
            serce_gen_opts_default(&o);
            o.seed = seed, o.temperature = 0.3f, o.length = 1500, o.songs = 1;
            o.avoid_copying = avoid;
            o.originality = ix;
            serce_buf t = {0};
            serce_gen_stats st;
            generate(m, &o, "", 64, &t, &st);
            serce_span *sp = NULL;
            size_t nsp = 0;
            serce_error e;
            serce_originality_spans(ix, (char *)t.data, t.len, &sp, &nsp, NULL, &e);
            if (avoid) spans_on += nsp, bans += st.copy_bans, lifted += st.bans_lifted;
            else spans_off += nsp;
            serce_free(sp);
            serce_buf_free(&t);
        }
    }
    printf("avoid-copying: %zu copied spans without, %zu with (%ld characters refused, bans lifted %ld times)\n", spans_off,
           spans_on, bans, lifted);
    CHECK(spans_off > 0, "the tiny model copies its corpus at low temperature (%zu spans)", spans_off);
    CHECK(bans > 0 && (spans_on == 0 || lifted > 0), "avoid-copying leaves no copied span (%zu)", spans_on);
    /* without an index: a clear error */
    serce_gen_opts o;
    serce_gen_opts_default(&o);
    o.avoid_copying = 1;
    serce_gen *g = NULL;
    serce_error e;
    CHECK(serce_gen_new(m, NULL, &o, &g, &e) == SERCE_ERR_ARG && strstr(e.msg, "no originality index"), "%s", e.msg);
    serce_originality_free(ix);
}

/* every allocation failure in song mode, the index and the settings returns SERCE_ERR_NOMEM (ASan
 * builds also prove nothing leaks on those paths) */
static void test_alloc_failures(const serce_model *m) {
    int clean = 1, finished = 0;
    long k_done = 0;
    for (long k = 1; k < 5000 && !finished; k++) {
        k_done = k;
        serce_alloc_fail_at(k);
        serce_error e = {0};
        serce_buf j = {0}, text = {0};
        serce_originality *ix = NULL;
        serce_gen *g = NULL;
        serce_gen_opts o;
        serce_gen_opts_default(&o);
        int rc = serce_gen_opts_from_json(&o, "{\"form\":\"V C V\",\"syllables\":\"4+4\",\"rhyme\":\"AABB\","
                                              "\"avoid_copying\":true,\"no_repeat_ngram\":30,\"seed\":5,\"attempts\":6}",
                                          &e);
        if (!rc) rc = serce_originality_build(&corpus, 0, 0, &j, &e);
        if (!rc) rc = serce_originality_load((const char *)j.data, j.len, &ix, &e);
        o.originality = ix;
        if (!rc) rc = serce_gen_new(m, NULL, &o, &g, &e);
        if (!rc) rc = serce_gen_start(g, "Kış\nKar yağar", strlen("Kış\nKar yağar"), &e);
        int done = 0;
        while (!rc && !done) rc = serce_gen_step(g, 7, &text, &done, &e);
        serce_buf sj = {0};
        if (!rc && serce_gen_stats_json(g, &sj)) rc = SERCE_ERR_NOMEM;
        serce_buf_free(&sj);
        if (!rc && text.data) rc = serce_originality_spans_json(ix, (const char *)text.data, text.len, &sj, &e);
        serce_buf_free(&sj);
        serce_alloc_fail_at(0);
        if (rc == SERCE_OK) finished = 1;
        else if (rc != SERCE_ERR_NOMEM) {
            clean = 0;
            fprintf(stderr, "k=%ld: code %d (%s) instead of SERCE_ERR_NOMEM\n", k, rc, e.msg);
        }
        serce_gen_free(g);
        serce_originality_free(ix);
        serce_buf_free(&j);
        serce_buf_free(&text);
    }
    CHECK(finished, "the loop reached a run with no failure");
    CHECK(clean, "every injected allocation failure returned SERCE_ERR_NOMEM");
    printf("allocation failures: %ld injected, each one SERCE_ERR_NOMEM\n", k_done - 1);
}

int main(void) {
    test_syllables();
    test_metre();
    test_rhyme();
    test_form();
    test_base64();
    uint8_t *buf;
    size_t n;
    serce_error e;
    if (serce_read_file(SERCE_TEST_DIR "/data/lyric-songs.txt", 1 << 20, &buf, &n, &e) ||
        serce_corpus_parse((const char *)buf, n, "lyric-songs.txt", SERCE_CORPUS_AUTO, 0, &corpus, &e)) {
        CHECK(0, "corpus: %s", e.msg);
        return check_report("test_lyric");
    }
    serce_free(buf);
    test_originality();
    test_settings();
    serce_model *m = train_tiny();
    if (m) {
        test_session(m);
        test_song_mode(m);
        test_repetition(m);
        test_avoid_copying(m);
        test_alloc_failures(m);
        serce_model_free(m);
    }
    serce_corpus_free(&corpus);
    return check_report("test_lyric");
}
