/* test_text.c — core/text.c: UTF-8, Turkish case folding, composition, corpus formats, the
 * vocabulary and token encoding, plus a fault-injection loop over every allocating entry point.
 *
 * All text here is written for this test (short invented Turkish-looking lines); no lyric from the
 * training corpus appears, because those are copyrighted.
 */
#include "check.h"
#include "json.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* codepoints -> NUL-terminated UTF-8 in a static buffer (tests only: one at a time per expression) */
static const char *u8(const uint32_t *s, size_t n, char *buf, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) k += (size_t)serce_utf8_put(s[i], buf + k);
    buf[k] = 0;
    return buf;
}

static char b1[4096], b2[4096];

static const char *title_of(const serce_corpus *c, size_t i) {
    if (i >= c->nsongs || !c->songs[i].title) return "";
    return u8(c->songs[i].title, c->songs[i].title_len, b1, sizeof b1);
}
static const char *body_of(const serce_corpus *c, size_t i) {
    if (i >= c->nsongs) return "(no such song)";
    return u8(c->songs[i].body, c->songs[i].body_len, b2, sizeof b2);
}

/* decode (optionally folded) and return as UTF-8 */
static const char *folded(const char *in, int lower) {
    static char out[1024];
    uint32_t *cps;
    size_t n;
    serce_error e;
    if (serce_text_decode(in, strlen(in), lower, "t", &cps, &n, &e) != SERCE_OK) return "(decode failed)";
    u8(cps, n, out, sizeof out);
    serce_free(cps);
    return out;
}

static int parse(const char *txt, int fmt, int lower, serce_corpus *c, serce_error *e) {
    return serce_corpus_parse(txt, strlen(txt), "t.txt", fmt, lower, c, e);
}

/* ---------------------------------------------------------------- UTF-8 */

static void test_utf8(void) {
    char buf[8];
    const uint32_t cps[] = {'a', 0xE7, 0x131, 0x20AC, 0x1F600, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        int k = serce_utf8_put(cps[i], buf);
        size_t pos = 0;
        uint32_t back = 0;
        CHECK(k > 0 && serce_utf8_next(buf, (size_t)k, &pos, &back) == 0 && back == cps[i] && pos == (size_t)k,
              "round trip of U+%04X", (unsigned)cps[i]);
    }
    CHECK(serce_utf8_put(0xD800, buf) == 0, "a surrogate is not encodable");
    CHECK(serce_utf8_put(0x110000, buf) == 0, "beyond U+10FFFF is not encodable");

    const char *bad[] = {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3", "\x80", "\xF5\x80\x80\x80",
                         "\xE2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t pos = 0;
        uint32_t cp;
        CHECK(serce_utf8_next(bad[i], strlen(bad[i]), &pos, &cp) == -1 && pos == 0, "bad sequence %zu rejected", i);
    }

    struct {
        const char *in, *msg;
    } cases[] = {
        {"ab\xC3(", "corpus.txt:1:3: invalid UTF-8 (byte 0xC3 not followed by a continuation byte)"},
        {"şarkı\nçok\xE0\x80\x80 iyi", "corpus.txt:2:4: invalid UTF-8 (overlong encoding"},
        {"x\r\ny\xED\xA0\x80", "corpus.txt:2:2: invalid UTF-8 (UTF-16 surrogate U+D800"},
        {"\xF4\x90\x80\x80", "corpus.txt:1:1: invalid UTF-8 (bytes 0xF4 0x90 ... encode a value beyond U+10FFFF"},
        {"gül\rdal\n\xC0\xAF", "corpus.txt:3:1: invalid UTF-8 (byte 0xC0 can only start an overlong"},
        {"ağaç\xE2\x82", "corpus.txt:1:5: invalid UTF-8 (byte 0xE2 starts a 3-byte sequence that the end of the input cuts short"},
        {"ab\n\n  \x80", "corpus.txt:3:3: invalid UTF-8 (unexpected continuation byte 0x80"},
        {"\xEF\xBB\xBFok\xFF", "corpus.txt:1:3: invalid UTF-8 (byte 0xFF never appears in UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        serce_error e = {0};
        int rc = serce_utf8_validate(cases[i].in, strlen(cases[i].in), "corpus.txt", &e);
        CHECK(rc == SERCE_ERR_UTF8 && e.code == SERCE_ERR_UTF8, "case %zu: rc %d", i, rc);
        CHECK_STR_CONTAINS(e.msg, cases[i].msg);
        /* the decoder and the corpus parser report the very same thing */
        uint32_t *out = NULL;
        size_t n;
        serce_error e2 = {0};
        rc = serce_text_decode(cases[i].in, strlen(cases[i].in), 1, "corpus.txt", &out, &n, &e2);
        CHECK(rc == SERCE_ERR_UTF8 && out == NULL && strcmp(e.msg, e2.msg) == 0, "decode agrees: %s", e2.msg);
        serce_corpus c;
        rc = serce_corpus_parse(cases[i].in, strlen(cases[i].in), "corpus.txt", SERCE_CORPUS_AUTO, 0, &c, &e2);
        CHECK(rc == SERCE_ERR_UTF8 && strcmp(e.msg, e2.msg) == 0, "corpus parse agrees: %s", e2.msg);
    }
    serce_error e = {0};
    /* "kış" saved as Windows-1254: ı is byte 0xFD */
    CHECK(serce_utf8_validate("bir\nk\xFD\xFE", 6, "eski.txt", &e) == SERCE_ERR_UTF8, "cp1254 text");
    CHECK_STR_CONTAINS(e.msg, "eski.txt:2:2: invalid UTF-8 (byte 0xFD never appears in UTF-8); the text looks like Windows-1254");
    CHECK(serce_utf8_validate("k\xC3\xBC\xC3x", 5, "t", &e) == SERCE_ERR_UTF8 && strstr(e.msg, "1254") == NULL,
          "no code-page hint for a UTF-8 lead byte: %s", e.msg);
    CHECK(serce_utf8_validate("temiz metin ğüşıöç", strlen("temiz metin ğüşıöç"), NULL, &e) == SERCE_OK, "valid");
    CHECK(serce_utf8_validate("a\xC3", 2, NULL, &e) == SERCE_ERR_UTF8, "NULL name");
    CHECK_STR_CONTAINS(e.msg, "input:1:2:");
}

/* ---------------------------------------------------------------- case and composition */

static void test_case(void) {
    CHECK(strcmp(folded("İSTANBUL", 1), "istanbul") == 0, "İSTANBUL -> %s", folded("İSTANBUL", 1));
    CHECK(strcmp(folded("IŞIK", 1), "ışık") == 0, "IŞIK -> %s", folded("IŞIK", 1));
    CHECK(strcmp(folded("ĞÜŞÖÇ Âşık Îmar Ûfuk", 1), "ğüşöç âşık îmar ûfuk") == 0, "%s", folded("ĞÜŞÖÇ Âşık Îmar Ûfuk", 1));
    CHECK(strcmp(folded("ΑΒΓ Σ Ά ДЖЁ Ə ÀÉÑ Ÿ Ž Ł", 1), "αβγ σ ά джё ə àéñ ÿ ž ł") == 0, "%s", folded("ΑΒΓ Σ Ά ДЖЁ Ə ÀÉÑ Ÿ Ž Ł", 1));
    CHECK(strcmp(folded("İSTANBUL", 0), "İSTANBUL") == 0, "no folding asked");

    /* no U+0307 anywhere, whatever form the dotted capital came in */
    const char *dotted[] = {"İİİ", "I\xCC\x87I\xCC\x87", "i\xCC\x87i", "KİŞİ"};
    for (size_t i = 0; i < 4; i++) {
        uint32_t *cps;
        size_t n;
        serce_error e;
        CHECK(serce_text_decode(dotted[i], strlen(dotted[i]), 1, "t", &cps, &n, &e) == SERCE_OK, "decode");
        int has = 0;
        for (size_t k = 0; k < n; k++) has |= cps[k] == 0x307;
        CHECK(!has, "U+0307 left in case %zu", i);
        serce_free(cps);
    }
    CHECK(strcmp(folded("KİŞİ", 1), "kişi") == 0, "KİŞİ -> %s", folded("KİŞİ", 1));

    /* upper case is the inverse on letters */
    CHECK(serce_tr_upper('i') == 0x130 && serce_tr_upper(0x131) == 'I', "i -> İ, ı -> I");
    CHECK(serce_tr_lower('I') == 0x131 && serce_tr_lower(0x130) == 'i', "I -> ı, İ -> i");
    for (uint32_t c = 0; c < 0x530; c++) {
        uint32_t l = serce_tr_lower(c);
        if (l != c) {
            CHECK(serce_tr_upper(l) == c, "upper(lower(U+%04X)) = U+%04X", (unsigned)c, (unsigned)serce_tr_upper(l));
            CHECK(serce_tr_lower(l) == l, "lower is idempotent at U+%04X", (unsigned)c);
        }
    }
    CHECK(serce_tr_upper(0x3C2) == 0x3A3 && serce_tr_upper(0xFF) == 0x178, "final sigma, ÿ");
    CHECK(serce_tr_lower('7') == '7' && serce_tr_upper(0xDF) == 0xDF, "non-letters and ß unchanged");
}

static void test_compose(void) {
    /* decomposed input, as macOS or a PDF hands it over */
    const char *dec = "c\xCC\xA7" "C\xCC\xA7" "s\xCC\xA7" "S\xCC\xA7" "g\xCC\x86" "G\xCC\x86" "o\xCC\x88" "O\xCC\x88"
                      "u\xCC\x88" "U\xCC\x88" "a\xCC\x82" "i\xCC\x82" "u\xCC\x82" "A\xCC\x82" "I\xCC\x82" "U\xCC\x82"
                      "i\xCC\x87" "I\xCC\x87";
    CHECK(strcmp(folded(dec, 0), "çÇşŞğĞöÖüÜâîûÂÎÛiİ") == 0, "composed: %s", folded(dec, 0));
    CHECK(strcmp(folded(dec, 1), "ççşşğğööüüâîûâîûii") == 0, "composed then folded: %s", folded(dec, 1));
    /* marks that do not compose are kept */
    CHECK(strcmp(folded("e\xCC\x81x", 0), "e\xCC\x81x") == 0, "e + acute kept decomposed");
    CHECK(strcmp(folded("\xCC\x87" "a", 0), "\xCC\x87" "a") == 0, "a leading mark is kept");
    /* line endings and BOM */
    CHECK(strcmp(folded("\xEF\xBB\xBF" "bir\r\niki\rüç\n", 0), "bir\niki\nüç\n") == 0, "CRLF/CR/BOM: %s",
          folded("\xEF\xBB\xBF" "bir\r\niki\rüç\n", 0));
    CHECK(strcmp(folded("a\xEF\xBB\xBF", 0), "a\xEF\xBB\xBF") == 0, "only a leading BOM is dropped");
    uint32_t *cps = NULL;
    size_t n = 99;
    serce_error e;
    CHECK(serce_text_decode("", 0, 1, "t", &cps, &n, &e) == SERCE_OK && n == 0, "empty input");
    serce_free(cps);
}

/* ---------------------------------------------------------------- CSV */

static void test_csv_quoting(void) {
    const char *csv = "title,lyrics\n"
                      "\"Virgül, nokta\",\"dedi ki \"\"gel\"\"\nsonra gitti, döndü\"\n"
                      "Düz,tek satır\r\n"
                      "\"\",\"\"\"tırnakla\"\" başlar\"\n";
    serce_corpus c;
    serce_error e = {0};
    int rc = parse(csv, SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_OK, "quoted CSV: %s", e.msg);
    if (rc) return;
    CHECK(c.format == SERCE_CORPUS_CSV && c.nsongs == 3, "3 songs, got %zu", c.nsongs);
    CHECK(strcmp(title_of(&c, 0), "Virgül, nokta") == 0, "title 0: %s", title_of(&c, 0));
    CHECK(strcmp(body_of(&c, 0), "dedi ki \"gel\"\nsonra gitti, döndü") == 0, "body 0: %s", body_of(&c, 0));
    CHECK(strcmp(body_of(&c, 1), "tek satır") == 0, "body 1: %s", body_of(&c, 1));
    CHECK(c.songs[2].title == NULL && c.songs[2].title_len == 0, "an empty title is no title");
    CHECK(strcmp(body_of(&c, 2), "\"tırnakla\" başlar") == 0, "body 2: %s", body_of(&c, 2));
    size_t nchars = 0;
    for (size_t i = 0; i < c.nsongs; i++) nchars += c.songs[i].title_len + c.songs[i].body_len;
    CHECK(c.nchars == nchars, "nchars counts titles and bodies");
    serce_corpus_free(&c);
    CHECK(c.songs == NULL && c.nsongs == 0, "free clears");

    /* semicolons, BOM, spaces before a quote, a blank line between rows */
    csv = "\xEF\xBB\xBF" "Title;Lyrics\n\"Bir; iki\"; \"üç; dört\"\n\nBeş;altı\n";
    rc = parse(csv, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_CSV && c.nsongs == 2, "semicolon CSV: %s", e.msg);
    if (!rc) {
        CHECK(strcmp(title_of(&c, 0), "Bir; iki") == 0 && strcmp(body_of(&c, 0), "üç; dört") == 0, "%s / %s",
              title_of(&c, 0), body_of(&c, 0));
        serce_corpus_free(&c);
    }
    /* tabs, one lyric line per row grouped by id */
    csv = "song_id\tline\ttext\n1\t2\tsonra\n1\t1\tönce\n";
    rc = parse(csv, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 1, "tab CSV: %s", e.msg);
    if (!rc) {
        CHECK(strcmp(body_of(&c, 0), "önce\nsonra") == 0, "%s", body_of(&c, 0));
        serce_corpus_free(&c);
    }
}

static void test_csv_notebook(void) {
    /* the seed notebook's layout: one lyric line per row; rows shuffled on purpose */
    const char *csv = "Sanatçı Adı,Şarkı Id,Şarkı Adı,Şarkı Sözü,Satır No\n"
                      "Deneme,7,Yol Şarkısı,ikinci satır,2\n"
                      "Deneme,3,Ilık Rüzgâr,\"ılık rüzgâr, esti bir gün\",1\n"
                      "Deneme,7,Yol Şarkısı,onuncu satır,10\n"
                      "Deneme,7,Yol Şarkısı,birinci satır,1\n"
                      "Deneme,3,Ilık Rüzgâr,ikinci dize   ,2\n"
                      "Deneme,7,Yol Şarkısı,üçüncü satır,3\n"
                      "Deneme, 3 ,Ilık Rüzgâr,,3\n"
                      "Deneme,3,Ilık Rüzgâr,yeni kıta,4\n";
    serce_corpus c;
    serce_error e = {0};
    int rc = parse(csv, SERCE_CORPUS_AUTO, 1, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_CSV, "notebook CSV: %s", e.msg);
    if (rc) return;
    CHECK(c.nsongs == 2, "2 songs, got %zu", c.nsongs);
    CHECK(strcmp(title_of(&c, 0), "yol şarkısı") == 0, "first-appearance order, folded title: %s", title_of(&c, 0));
    CHECK(strcmp(body_of(&c, 0), "birinci satır\nikinci satır\nüçüncü satır\nonuncu satır") == 0,
          "ordered by line number (numerically): %s", body_of(&c, 0));
    CHECK(strcmp(title_of(&c, 1), "ılık rüzgâr") == 0, "title 1: %s", title_of(&c, 1));
    CHECK(strcmp(body_of(&c, 1), "ılık rüzgâr, esti bir gün\nikinci dize\n\nyeni kıta") == 0,
          "an empty lyric row is a stanza break: %s", body_of(&c, 1));
    serce_corpus_free(&c);

    /* header names match in any case, with or without Turkish letters */
    csv = "SARKI ID,sarki adi,ŞARKI SÖZÜ,satir_no\n1,A,x,1\n";
    rc = parse(csv, SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 1 && strcmp(title_of(&c, 0), "A") == 0, "header variants: %s", e.msg);
    if (!rc) serce_corpus_free(&c);

    /* no id column: rows that are lines group by title */
    csv = "Şarkı Adı,Söz\nBir,ilk\nİki,tek\nBir,son\n";
    rc = parse(csv, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 2, "grouped by title: %s", e.msg);
    if (!rc) {
        CHECK(strcmp(body_of(&c, 0), "ilk\nson") == 0, "%s", body_of(&c, 0));
        serce_corpus_free(&c);
    }
}

static void test_csv_sozler(void) {
    /* a whole lyric per row: each row is a song, even when two share a title */
    const char *csv = "sarkici,sarkisi,album,sozler\n"
                      "Biri,Aynı Ad,Albüm,\"bir satır  \nikinci satır\n\n\n\nyeni kıta\n\n\"\n"
                      "Öteki,Aynı Ad,Başka,\"başka şarkı\r\nson satır\"\n"
                      "Üçüncü,Boş,Yok,\"  \n \"\n";
    serce_corpus c;
    serce_error e = {0};
    int rc = parse(csv, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_CSV, "sozler CSV: %s", e.msg);
    if (rc) return;
    CHECK(c.nsongs == 2, "2 songs (the empty one dropped), got %zu", c.nsongs);
    CHECK(strcmp(title_of(&c, 0), "Aynı Ad") == 0, "title 0: %s", title_of(&c, 0));
    CHECK(strcmp(body_of(&c, 0), "bir satır\nikinci satır\n\nyeni kıta") == 0, "blank lines collapsed: %s",
          body_of(&c, 0));
    CHECK(strcmp(body_of(&c, 1), "başka şarkı\nson satır") == 0, "CRLF inside quotes: %s", body_of(&c, 1));
    serce_corpus_free(&c);
}

static void test_csv_errors(void) {
    serce_corpus c;
    serce_error e = {0};
    int rc = parse("sanatci,album,yil\nA,B,1999\n", SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "missing lyric column: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt:1: no lyric column");
    CHECK_STR_CONTAINS(e.msg, "\"sanatci\", \"album\", \"yil\"");

    rc = parse("title,lyrics\nA,iyi\nB,\"açık kalan\nbir tırnak\nC,son\n", SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "unterminated quote: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt:3: unterminated quoted field");

    rc = parse("title,lyrics\nA,\"kapandı\" ama\n", SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "text after a closing quote: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt:2: 'a' (U+0061) after the closing quote");

    rc = parse("a,b,c,lyrics,e\n1,2,3,4,5\n1,2,söz\n", SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "field count: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt:3: row has 3 fields, the header has 5");

    rc = parse("title,lyrics\n", SERCE_CORPUS_CSV, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "header only: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt: the corpus has no text");
}

/* ---------------------------------------------------------------- SONGS, PLAIN, detection, limits */

static void test_songs_plain(void) {
    serce_corpus c;
    serce_error e = {0};
    const char *songs = "# Dağ Başı   \n"
                        "dağ başında duman var  \n"
                        "yol uzun\n"
                        "\n\n"
                        "# Deniz\n"
                        "mavi deniz\n"
                        "\n"
                        "başlıksız blok\n"
                        "ikinci satır\n"
                        "\n"
                        "# Yalnız Başlık\n"
                        "\n"
                        "ilk kıta\n"
                        "\n"
                        "ikinci kıta\n"
                        "\n"
                        "# Son\n"
                        "#etiket değil\n";
    int rc = parse(songs, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_SONGS, "songs: %s", e.msg);
    if (!rc) {
        CHECK(c.nsongs == 5, "5 songs, got %zu", c.nsongs);
        CHECK(strcmp(title_of(&c, 0), "Dağ Başı") == 0, "title: '%s'", title_of(&c, 0));
        CHECK(strcmp(body_of(&c, 0), "dağ başında duman var\nyol uzun") == 0, "trailing spaces: '%s'", body_of(&c, 0));
        CHECK(strcmp(title_of(&c, 1), "Deniz") == 0 && strcmp(body_of(&c, 1), "mavi deniz") == 0, "song 1");
        CHECK(c.songs[2].title == NULL && strcmp(body_of(&c, 2), "başlıksız blok\nikinci satır") == 0,
              "untitled block: %s", body_of(&c, 2));
        CHECK(strcmp(title_of(&c, 3), "Yalnız Başlık") == 0 && strcmp(body_of(&c, 3), "ilk kıta\n\nikinci kıta") == 0,
              "title-only block takes the stanzas after it: %s", body_of(&c, 3));
        CHECK(strcmp(body_of(&c, 4), "#etiket değil") == 0, "'#' without a space is text");
        serce_corpus_free(&c);
    }

    const char *plain = "bir\niki\n\nüç\n\n\n\ndört \nbeş\n";
    rc = parse(plain, SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_PLAIN && c.nsongs == 2, "plain: %s", e.msg);
    if (!rc) {
        CHECK(strcmp(body_of(&c, 0), "bir\niki\n\nüç") == 0, "stanza break kept: %s", body_of(&c, 0));
        CHECK(strcmp(body_of(&c, 1), "dört\nbeş") == 0, "%s", body_of(&c, 1));
        CHECK(c.songs[0].title == NULL, "plain has no titles");
        serce_corpus_free(&c);
    }
    /* only single blank lines: each one separates songs */
    rc = parse("\n\nbir\niki\n  \nüç\ndört\n\nbeş", SERCE_CORPUS_PLAIN, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 3, "plain fallback: %zu songs", c.nsongs);
    if (!rc) {
        CHECK(strcmp(body_of(&c, 1), "üç\ndört") == 0 && strcmp(body_of(&c, 2), "beş") == 0, "%s", body_of(&c, 1));
        serce_corpus_free(&c);
    }
    /* no blank line at all: one song; a forced SONGS format treats '# ' in PLAIN as text */
    rc = parse("# a\nb\n", SERCE_CORPUS_PLAIN, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 1 && c.format == SERCE_CORPUS_PLAIN && strcmp(body_of(&c, 0), "# a\nb") == 0,
          "forced plain");
    if (!rc) serce_corpus_free(&c);
    /* a header-looking first line without a separator is not a CSV */
    rc = parse("Söz\nverdin bana\n", SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.format == SERCE_CORPUS_PLAIN, "one-word first line stays plain");
    if (!rc) serce_corpus_free(&c);
}

/* serce_corpus_drop_overlap: a song sharing 2+ long lines (compared folded, letters only) with a
 * song of the other corpus goes; one shared line, or shared short lines, do not count */
static void test_overlap(void) {
    serce_corpus c, o;
    serce_error e = {0};
    const char *mine = "# Bir\nGece iner limana usul usul\nFener yanar, dalga söyler türkü\nkısa\n\n"
                       "# İki\nGece iner limana usul usul\nBambaşka bir satır burada duruyor\n\n"
                       "# Üç\nevet\nhayır\n\n"
                       "# Dört\nYağmur yağar Kadıköy'e bu akşam\nŞemsiyem yok, ıslanırım seninle\n";
    const char *other = "# Başka - Bir\ngece iner LİMANA, usul usul!\nfener yanar dalga söyler türkü\n\n"
                        "# Başka - Üç\nevet\nhayır\n\n"
                        "# Başka - Dört\nYAĞMUR YAĞAR KADIKÖY'E BU AKŞAM\nhiç benzemeyen bir satır daha var\n";
    CHECK(parse(mine, SERCE_CORPUS_AUTO, 0, &c, &e) == SERCE_OK && c.nsongs == 4, "parse: %s", e.msg);
    CHECK(parse(other, SERCE_CORPUS_AUTO, 0, &o, &e) == SERCE_OK && o.nsongs == 3, "parse: %s", e.msg);
    size_t before = c.nchars, gone = 99;
    CHECK(serce_corpus_drop_overlap(&c, &o, 20, 2, &gone, &e) == SERCE_OK, "drop: %s", e.msg);
    /* Bir shares 2 lines (case, İ/i and punctuation folded); İki and Dört share only one; Üç's
     * shared lines are too short */
    CHECK(gone == 1 && c.nsongs == 3, "1 song left out, got %zu (%zu left)", gone, c.nsongs);
    CHECK(c.nsongs == 3 && strcmp(title_of(&c, 0), "İki") == 0 && strcmp(title_of(&c, 1), "Üç") == 0 &&
              strcmp(title_of(&c, 2), "Dört") == 0,
          "the others stay in order");
    size_t sum = 0;
    for (size_t i = 0; i < c.nsongs; i++) sum += c.songs[i].title_len + c.songs[i].body_len;
    CHECK(sum == c.nchars && c.nchars < before, "character count follows: %zu vs %zu", sum, c.nchars);
    CHECK(serce_corpus_drop_overlap(&c, &o, 3, 2, &gone, &e) == SERCE_OK && gone == 1 && c.nsongs == 2,
          "with short lines counted Üç goes too (%zu)", gone);
    serce_corpus_free(&c), serce_corpus_free(&o);
}

static void test_limits(void) {
    serce_corpus c;
    serce_error e = {0};
    int rc = serce_corpus_parse("ab\0cd", 5, "x.bin", SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "NUL: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "x.bin: looks like a binary file (NUL byte at byte 3)");

    rc = parse("\n  \n\n", SERCE_CORPUS_AUTO, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "blank: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "t.txt: the corpus has no text");
    rc = serce_corpus_parse("", 0, "bos.txt", SERCE_CORPUS_SONGS, 0, &c, &e);
    CHECK(rc == SERCE_ERR_CORPUS, "empty: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "bos.txt: the corpus has no text");

    size_t n = 2 * 1048576 + 20;
    char *big = malloc(n);
    if (big) {
        const char *head = "kısa\r\nsatır\n"; /* line 3 is 1048585 bytes, then a short line 4 */
        size_t hl = strlen(head);
        memset(big, 'a', n);
        memcpy(big, head, hl);
        big[hl + 1048585] = '\n';
        rc = serce_corpus_parse(big, n, "uzun.txt", SERCE_CORPUS_AUTO, 0, &c, &e);
        CHECK(rc == SERCE_ERR_LIMIT, "long line: %d", rc);
        CHECK_STR_CONTAINS(e.msg, "uzun.txt:3: line is 1048585 bytes long; the limit is 1048576");
        free(big);
    }
    rc = serce_corpus_parse("a", 1, "t", 42, 0, &c, &e);
    CHECK(rc == SERCE_ERR_ARG, "unknown format");
}

/* ---------------------------------------------------------------- vocabulary and encoding */

static void test_vocab(void) {
    serce_corpus c;
    serce_error e = {0};
    const char *txt = "# Ba\n"
                      "aab\nba\n"
                      "\n"
                      "abz\n";
    int rc = parse(txt, SERCE_CORPUS_SONGS, 0, &c, &e);
    CHECK(rc == SERCE_OK && c.nsongs == 2, "vocab corpus: %s", e.msg);
    if (rc) return;
    serce_vocab v;
    rc = serce_vocab_build(&c, 2, 0, &v, &e);
    /* counts: a 5 (+1 in the title), b 4 (+0), B 1, z 1, '\n' 1 -> with min_count 2: a b */
    CHECK(rc == SERCE_OK && v.size == SERCE_NSPECIAL + 2, "min_count 2: size %d", v.size);
    if (!rc) {
        CHECK(v.cps[4] == 'a' && v.cps[5] == 'b', "sorted by codepoint");
        CHECK(serce_vocab_id(&v, 'a') == 4 && serce_vocab_id(&v, 'b') == 5, "ids");
        CHECK(serce_vocab_id(&v, 'z') == SERCE_TOK_UNK && serce_vocab_id(&v, 'B') == SERCE_TOK_UNK, "rare -> unk");
        serce_vocab_free(&v);
    }
    rc = serce_vocab_build(&c, 1, 0, &v, &e);
    CHECK(rc == SERCE_OK && v.size == SERCE_NSPECIAL + 5, "min_count 1: size %d", v.size);
    if (!rc) {
        CHECK(v.cps[4] == '\n' && v.cps[5] == 'B' && v.cps[8] == 'z', "order: \\n B a b z");
        char s[16];
        CHECK(serce_vocab_token_str(&v, SERCE_TOK_UNK, s) == 5 && strcmp(s, "<unk>") == 0, "unk str");
        CHECK(serce_vocab_token_str(&v, SERCE_TOK_EOS, s) == 4 && strcmp(s, "</s>") == 0, "eos str");
        CHECK(serce_vocab_token_str(&v, 7, s) == 1 && strcmp(s, "b") == 0, "char str");
        CHECK(serce_vocab_token_str(&v, 99, s) == 0 && s[0] == 0, "bad id");

        /* <s> title <t> body </s>, appended */
        int32_t *toks = NULL;
        size_t nt = 0, cap = 0;
        rc = serce_encode_song(&v, &c.songs[0], &toks, &nt, &cap);
        rc |= serce_encode_song(&v, &c.songs[1], &toks, &nt, &cap);
        const int32_t want[] = {1, 5, 6, 3, 6, 6, 7, 4, 7, 6, 2, 1, 6, 7, 8, 2};
        CHECK(rc == SERCE_OK && nt == sizeof want / sizeof want[0], "encoded %zu tokens", nt);
        if (!rc && nt == sizeof want / sizeof want[0])
            for (size_t i = 0; i < nt; i++) CHECK(toks[i] == want[i], "token %zu: %d, want %d", i, toks[i], want[i]);
        serce_free(toks);
        serce_vocab_free(&v);
    }
    serce_corpus_free(&c);
}

static void test_vocab_json(void) {
    serce_corpus c;
    serce_error e = {0};
    int rc = parse("# Şarkı \"adı\"\\\nçiçek\taçtı\nışık 😀\n", SERCE_CORPUS_AUTO, 1, &c, &e);
    CHECK(rc == SERCE_OK, "json corpus: %s", e.msg);
    if (rc) return;
    serce_vocab v, w, cp;
    rc = serce_vocab_build(&c, 1, 1, &v, &e);
    CHECK(rc == SERCE_OK && v.lowercase == 1, "build");
    serce_buf b = {0};
    rc = serce_vocab_to_json(&v, &b);
    CHECK(rc == SERCE_OK && b.data, "to_json");
    if (!rc) {
        const char *j = (const char *)b.data;
        CHECK(strncmp(j, "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"\\t\",\"\\n\",\" \",\"\\\"\"", 44) == 0, "json: %.80s", j);
        CHECK_STR_CONTAINS(j, "\"\\\\\"");
        CHECK_STR_CONTAINS(j, "\"ç\"");
        CHECK_STR_CONTAINS(j, "\"😀\"]");
        rc = serce_vocab_from_json(j, b.len, 1, &w, &e);
        CHECK(rc == SERCE_OK, "from_json: %s", e.msg);
        if (!rc) {
            CHECK(w.size == v.size && w.lowercase == 1 && memcmp(w.cps, v.cps, (size_t)v.size * sizeof *v.cps) == 0,
                  "round trip");
            serce_vocab_free(&w);
        }
    }
    CHECK(serce_vocab_copy(&v, &cp) == SERCE_OK && cp.size == v.size && cp.cps != v.cps &&
              memcmp(cp.cps, v.cps, (size_t)v.size * sizeof *v.cps) == 0,
          "copy");
    serce_vocab_free(&cp);
    serce_buf_free(&b);
    serce_vocab_free(&v);
    serce_corpus_free(&c);

    struct {
        const char *json, *msg;
        int code;
    } bad[] = {
        {"{\"a\":1}", "vocabulary: expected a JSON array", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\"]", "vocabulary: only 2 tokens", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"<x>\",\"<t>\"]", "vocabulary: token 2 is \"<x>\", expected \"</s>\"", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"a\",7]", "vocabulary: token 5 is not a string", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"ab\"]", "token 4 (\"ab\") is not exactly one character", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"\"]", "token 4 (\"\") is not exactly one character", SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"b\",\"a\"]", "token 5 (U+0061) does not come after token 4 (U+0062)",
         SERCE_ERR_VOCAB},
        {"[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"a\",\"a\"]", "without repeats", SERCE_ERR_VOCAB},
        {"[\"<unk>\",", "vocabulary", SERCE_ERR_JSON},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&e, 0, sizeof e);
        rc = serce_vocab_from_json(bad[i].json, strlen(bad[i].json), 0, &w, &e);
        CHECK(rc == bad[i].code && w.cps == NULL, "bad vocab %zu: rc %d", i, rc);
        CHECK_STR_CONTAINS(e.msg, bad[i].msg);
    }
    /* more than SERCE_MAX_VOCAB tokens */
    serce_buf big = {0};
    serce_buf_printf(&big, "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\"");
    for (uint32_t k = 0; k < SERCE_MAX_VOCAB; k++) serce_buf_printf(&big, ",\"\\u%04X\"", 0x4E00 + k);
    serce_buf_printf(&big, "]");
    rc = serce_vocab_from_json((const char *)big.data, big.len, 0, &w, &e);
    CHECK(rc == SERCE_ERR_VOCAB, "too big: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "vocabulary: 4100 tokens; the limit is 4096");
    serce_buf_free(&big);
}

static void test_prime(void) {
    serce_corpus c;
    serce_error e = {0};
    int rc = parse("ışık ve gül\nyol\n", SERCE_CORPUS_PLAIN, 1, &c, &e);
    CHECK(rc == SERCE_OK, "prime corpus");
    if (rc) return;
    serce_vocab v;
    rc = serce_vocab_build(&c, 1, 1, &v, &e);
    serce_corpus_free(&c);
    if (rc) return;
    int32_t *t = NULL;
    size_t nt = 0;
    rc = serce_encode_prime(&v, "IŞIK\nYOL", strlen("IŞIK\nYOL"), &t, &nt, &e);
    CHECK(rc == SERCE_OK && nt == 8, "prime folded like the corpus, newline allowed: %s", e.msg);
    if (!rc) {
        CHECK(t[0] == serce_vocab_id(&v, 0x131) && t[4] == serce_vocab_id(&v, '\n') && t[0] != SERCE_TOK_UNK, "ids");
        serce_free(t);
    }
    t = NULL;
    rc = serce_encode_prime(&v, "", 0, &t, &nt, &e);
    CHECK(rc == SERCE_OK && nt == 0, "empty prime");
    serce_free(t);

    rc = serce_encode_prime(&v, "Xışıkqx Q", strlen("Xışıkqx Q"), &t, &nt, &e);
    CHECK(rc == SERCE_ERR_VOCAB && t == NULL, "unknown characters: %d", rc);
    CHECK_STR_CONTAINS(e.msg, "the prime has characters the model does not know: 'x' (U+0078), 'q' (U+0071)");
    CHECK(strstr(e.msg, "more") == NULL, "no 'more' for two: %s", e.msg);

    const char *many = "0123456789\tç";
    rc = serce_encode_prime(&v, many, strlen(many), &t, &nt, &e);
    CHECK(rc == SERCE_ERR_VOCAB, "many unknowns");
    CHECK_STR_CONTAINS(e.msg, "'0' (U+0030), '1' (U+0031)");
    CHECK_STR_CONTAINS(e.msg, "'7' (U+0037) and 4 more");

    rc = serce_encode_prime(&v, "ı\xC3", 3, &t, &nt, &e);
    CHECK(rc == SERCE_ERR_UTF8, "bad UTF-8 prime");
    CHECK_STR_CONTAINS(e.msg, "prime:1:2: invalid UTF-8");

    /* a case-keeping vocabulary reports the character as typed */
    serce_vocab_free(&v);
    rc = parse("abc\n", SERCE_CORPUS_PLAIN, 0, &c, &e);
    if (!rc) rc = serce_vocab_build(&c, 1, 0, &v, &e);
    serce_corpus_free(&c);
    if (rc) return;
    rc = serce_encode_prime(&v, "aB", 2, &t, &nt, &e);
    CHECK(rc == SERCE_ERR_VOCAB, "case kept");
    CHECK_STR_CONTAINS(e.msg, "'B' (U+0042)");
    serce_vocab_free(&v);
}

/* ---------------------------------------------------------------- allocation failures */

typedef int (*alloc_fn)(const void *ctx);

/* Fail allocation 1, 2, ... until the call succeeds: every failure must be a clean NOMEM (leaks are
 * caught by the sanitizer build). */
static void alloc_loop(const char *what, alloc_fn fn, const void *ctx) {
    long k;
    for (k = 1; k < 100000; k++) {
        serce_alloc_fail_at(k);
        int rc = fn(ctx);
        if (rc == SERCE_OK) break;
        CHECK(rc == SERCE_ERR_NOMEM, "%s: failing allocation %ld gave %d, not NOMEM", what, k, rc);
        if (rc != SERCE_ERR_NOMEM) break;
    }
    serce_alloc_fail_at(0);
    CHECK(k > 1 && k < 100000, "%s: %ld allocation points", what, k);
}

static int af_parse(const void *ctx) {
    const char *txt = ctx;
    serce_corpus c;
    serce_error e;
    int rc = serce_corpus_parse(txt, strlen(txt), "t", SERCE_CORPUS_AUTO, 1, &c, &e);
    if (rc == SERCE_OK) {
        if (c.nsongs == 0) rc = -1;
        serce_corpus_free(&c);
    }
    return rc;
}

typedef struct {
    const serce_corpus *c;
} vctx;

static int af_vocab_all(const void *ctx) {
    const vctx *x = ctx;
    serce_error e;
    serce_vocab v, w, v2;
    serce_buf b = {0};
    int32_t *toks = NULL, *pt = NULL;
    size_t nt = 0, cap = 0, npt;
    int rc = serce_vocab_build(x->c, 1, 1, &v, &e);
    if (rc) return rc;
    rc = serce_vocab_to_json(&v, &b);
    if (!rc) {
        rc = serce_vocab_from_json((const char *)b.data, b.len, 1, &w, &e);
        if (!rc) serce_vocab_free(&w);
    }
    if (!rc) {
        rc = serce_vocab_copy(&v, &v2);
        if (!rc) serce_vocab_free(&v2);
    }
    for (size_t i = 0; i < x->c->nsongs && !rc; i++) rc = serce_encode_song(&v, &x->c->songs[i], &toks, &nt, &cap);
    if (!rc) {
        rc = serce_encode_prime(&v, "ŞARKI", strlen("ŞARKI"), &pt, &npt, &e);
        serce_free(pt);
    }
    if (!rc) {
        rc = serce_encode_prime(&v, "Qq", 2, &pt, &npt, &e);
        rc = rc == SERCE_ERR_VOCAB ? SERCE_OK : rc;
    }
    serce_free(toks);
    serce_buf_free(&b);
    serce_vocab_free(&v);
    return rc;
}

static void test_alloc_failures(void) {
    const char *csv = "Sanatçı Adı,Şarkı Id,Şarkı Adı,Şarkı Sözü,Satır No\n"
                      "A,1,Bir,\"satır, bir\",1\nA,2,İki,öte,1\nA,1,Bir,satır iki,2\nA,2,İki,,2\nA,2,İki,beri,3\n";
    const char *sozler = "sarkici,sarkisi,album,sozler\nA,B,C,\"bir\n\n\niki\"\nD,E,F,\"üç\"\n";
    const char *songs = "# Bir\nbir satır\niki satır\n\n# İki\n\nkıta\n\nkıta\n\nbaşlıksız\n";
    const char *plain = "a\nb\n\nc\n\n\nd\n";
    const char *plain1 = "a\nb\n\nc\n";
    alloc_loop("parse notebook CSV", af_parse, csv);
    alloc_loop("parse sozler CSV", af_parse, sozler);
    alloc_loop("parse songs", af_parse, songs);
    alloc_loop("parse plain", af_parse, plain);
    alloc_loop("parse plain fallback", af_parse, plain1);

    serce_corpus c;
    serce_error e;
    if (serce_corpus_parse(songs, strlen(songs), "t", SERCE_CORPUS_AUTO, 1, &c, &e) == SERCE_OK) {
        vctx x = {&c};
        alloc_loop("vocab build/json/copy/encode", af_vocab_all, &x);
        serce_corpus_free(&c);
    }
}

int main(void) {
    test_utf8();
    test_case();
    test_compose();
    test_csv_quoting();
    test_overlap();
    test_csv_notebook();
    test_csv_sozler();
    test_csv_errors();
    test_songs_plain();
    test_limits();
    test_vocab();
    test_vocab_json();
    test_prime();
    test_alloc_failures();
    return check_report("test_text");
}
