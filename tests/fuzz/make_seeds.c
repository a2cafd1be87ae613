/* make_seeds.c — writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).
 *
 * The seeds are committed; this program is how they were made, so they can be regenerated when the
 * model format changes:   build/fuzz_make_seeds tests/fuzz/corpus
 * (target fuzz_make_seeds, not built by default). Models are written by the core itself (tiny
 * shapes, a few hundred bytes), the malformed ones are hand-built headers around them; the text seeds
 * are short lines written for this project (no lyrics from any real song).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "model.h"
#include "safetensors.h"
#include "text.h"
#include "train.h"

static const char *root;
static int nfiles = 0;

static void put(const char *target, const char *name, const void *data, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    nfiles++;
}

static void puts_(const char *target, const char *name, const char *text) { put(target, name, text, strlen(text)); }

/* 8-byte little-endian length + header text + data bytes */
static void raw_st(serce_buf *b, const char *header, const void *data, size_t n) {
    uint8_t le[8];
    size_t h = strlen(header);
    for (int j = 0; j < 8; j++) le[j] = (uint8_t)((uint64_t)h >> (8 * j));
    b->len = 0;
    serce_buf_append(b, le, 8);
    serce_buf_append(b, header, h);
    if (n) serce_buf_append(b, data, n);
}

static serce_model *tiny_model(const char *text, int E, int H, int L, int lowercase, uint64_t seed) {
    serce_corpus c;
    serce_vocab v;
    serce_error e;
    serce_model *m = NULL;
    if (serce_corpus_parse(text, strlen(text), "seed", SERCE_CORPUS_AUTO, lowercase, &c, &e) ||
        serce_vocab_build(&c, 1, lowercase, &v, &e)) {
        fprintf(stderr, "make_seeds: %s\n", e.msg);
        exit(1);
    }
    serce_config cfg = {v.size, E, H, L, lowercase};
    if (serce_model_new(&cfg, &v, &m, &e)) {
        fprintf(stderr, "make_seeds: %s\n", e.msg);
        exit(1);
    }
    serce_model_init(m, seed);
    serce_vocab_free(&v);
    serce_corpus_free(&c);
    return m;
}

/* a copy of the model file with one metadata value replaced (or one tensor dropped / retyped) */
static void variant(const serce_buf *src, const char *meta_key, const char *meta_val, const char *tensor, int dtype,
                    int drop, serce_buf *out) {
    st_file f;
    serce_error e;
    if (st_parse(src->data, src->len, &f, &e)) exit(1);
    st_tensor ts[64];
    const char *keys[16], *vals[16];
    int n = 0;
    for (int i = 0; i < f.ntensors; i++) {
        if (tensor && !strcmp(f.tensors[i].name, tensor)) {
            if (drop) continue;
            ts[n] = f.tensors[i];
            ts[n].dtype = dtype, ts[n].ndim = 1, ts[n].shape[0] = (int64_t)(ts[n].nbytes / (size_t)st_dtype_size(dtype));
            n++;
        } else
            ts[n++] = f.tensors[i];
    }
    for (int i = 0; i < f.nmeta; i++) {
        keys[i] = f.meta_keys[i];
        vals[i] = (meta_key && !strcmp(keys[i], meta_key)) ? meta_val : f.meta_vals[i];
    }
    out->len = 0;
    if (st_write(out, ts, n, keys, vals, f.nmeta, &e)) {
        fprintf(stderr, "make_seeds: %s\n", e.msg);
        exit(1);
    }
    st_free(&f);
}

static void models(void) {
    serce_error e;
    serce_buf b = {0}, x = {0};
    /* case-keeping, one layer, with a training record */
    serce_model *m = tiny_model("# Ay\nay su\nsu ay\n", 3, 4, 1, 0, 11);
    serce_model_set_meta(m, "serce.training", "{\"corpus\":\"seed.txt\",\"steps\":1,\"val_bpc\":3.5}");
    serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, &e);
    put("model", "valid-l1.safetensors", b.data, b.len);
    put("safetensors", "valid-l1.safetensors", b.data, b.len);
    /* a checkpoint-like file: extra tensors and metadata */
    {
        float mb[16] = {0}, st[8] = {0};
        st_tensor ex[2] = {{"optim.m.head.bias", ST_F32, 1, {(int64_t)m->cfg.vocab}, (const uint8_t *)mb,
                            (size_t)m->cfg.vocab * 4},
                           {"state.h", ST_F32, 3, {1, 2, 4}, (const uint8_t *)st, 32}};
        const char *k = "serce.checkpoint", *v = "{\"step\":3,\"epoch\":0,\"pos\":5,\"rng\":\"00000000000000ff\"}";
        serce_buf c = {0};
        if (m->cfg.vocab <= 16 && serce_model_save(m, &c, ex, 2, &k, &v, 1, &e) == SERCE_OK) {
            put("model", "checkpoint-l1.safetensors", c.data, c.len);
            put("safetensors", "checkpoint-l1.safetensors", c.data, c.len);
        }
        serce_buf_free(&c);
    }
    /* a real checkpoint of two training steps (fuzz_model restores it into a trainer) */
    {
        serce_corpus c;
        serce_songs songs;
        serce_trainer *t = NULL;
        serce_buf ck = {0};
        static const char text[] = "# Ay\nay su\nsu ay\n\n# Su\nay ay su\n";
        serce_train_opts o;
        serce_train_opts_default(&o);
        o.batch = 2, o.seq_len = 4, o.shards = 1, o.threads = 1, o.seed = 3;
        if (serce_corpus_parse(text, sizeof text - 1, "seed", SERCE_CORPUS_AUTO, 0, &c, &e) == SERCE_OK) {
            if (serce_songs_encode(&m->vocab, &c, NULL, 0, &songs, &e) == SERCE_OK) {
                if (serce_trainer_new(m, serce_kernels_ref(), &o, &songs, &t, &e) == SERCE_OK &&
                    serce_trainer_step(t, 1e-3f, NULL, &e) == SERCE_OK && serce_trainer_step(t, 1e-3f, NULL, &e) == SERCE_OK &&
                    serce_trainer_save(t, "{\"opts\":{\"batch\":2},\"command\":\"seed\"}", &ck, &e) == SERCE_OK)
                    put("model", "trainer-checkpoint.safetensors", ck.data, ck.len);
                serce_trainer_free(t);
                serce_songs_free(&songs);
            }
            serce_corpus_free(&c);
        }
        serce_buf_free(&ck);
    }
    /* model-level corruptions */
    put("model", "truncated-100", b.data, 100);
    put("model", "truncated-last-byte", b.data, b.len - 1);
    variant(&b, "serce.config", "{\"vocab\":11,\"embed\":3,", NULL, 0, 0, &x);
    put("model", "config-not-json.safetensors", x.data, x.len);
    variant(&b, "serce.vocab", "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"b\",\"a\"]", NULL, 0, 0, &x);
    put("model", "vocab-mismatch.safetensors", x.data, x.len);
    variant(&b, NULL, NULL, "head.bias", ST_I32, 0, &x);
    put("model", "wrong-dtype.safetensors", x.data, x.len);
    variant(&b, NULL, NULL, "lstm.weight_hh_l0", ST_F32, 0, &x);
    put("model", "wrong-shape.safetensors", x.data, x.len);
    variant(&b, NULL, NULL, "head.weight", 0, 1, &x);
    put("model", "missing-tensor.safetensors", x.data, x.len);
    variant(&b, "serce.format", "2", NULL, 0, 0, &x);
    put("model", "future-format.safetensors", x.data, x.len);
    variant(&b, "serce.config", "{\"vocab\":4096,\"embed\":4096,\"hidden\":4096,\"layers\":8}", NULL, 0, 0, &x);
    put("model", "config-huge.safetensors", x.data, x.len);
    {   /* header length that points past the end */
        serce_buf y = {0};
        serce_buf_append(&y, b.data, b.len);
        y.data[0] = 0xFF, y.data[1] = 0xFF, y.data[2] = 0x01;
        put("model", "header-length-lie.safetensors", y.data, y.len);
        serce_buf_free(&y);
    }
    serce_model_free(m);

    /* lower-case, two layers, no training record */
    m = tiny_model("Iı İi\nçok güzel\n\nyol\n", 2, 3, 2, 1, 5);
    serce_model_save(m, &b, NULL, 0, NULL, NULL, 0, &e);
    put("model", "valid-l2-lower.safetensors", b.data, b.len);
    put("safetensors", "valid-l2-lower.safetensors", b.data, b.len);
    /* the same with int8 weights (serce export --int8) */
    if (serce_model_quantize(m, &e) == SERCE_OK && serce_model_save(m, &x, NULL, 0, NULL, NULL, 0, &e) == SERCE_OK) {
        put("model", "valid-l2-int8.safetensors", x.data, x.len);
        put("safetensors", "valid-l2-int8.safetensors", x.data, x.len);
    }
    x.len = 0;
    serce_model_free(m);
    serce_buf_free(&b);
    serce_buf_free(&x);
}

static void safetensors(void) {
    serce_buf b = {0};
    static const uint8_t d[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    raw_st(&b, "{}", NULL, 0);
    put("safetensors", "empty.safetensors", b.data, b.len);
    raw_st(&b, "{\"__metadata__\":{\"a\":\"b\",\"format\":\"pt\"}}", NULL, 0);
    put("safetensors", "metadata-only.safetensors", b.data, b.len);
    raw_st(&b,
           "{\"x\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
           "\"y\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[8,9]},"
           "\"z\":{\"dtype\":\"I64\",\"shape\":[0,3],\"data_offsets\":[9,9]},"
           "\"w\":{\"dtype\":\"U8\",\"shape\":[7],\"data_offsets\":[9,16]}}",
           d, 16);
    put("safetensors", "dtypes.safetensors", b.data, b.len);
    raw_st(&b,
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
           d, 24);
    put("safetensors", "overlap.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 12);
    put("safetensors", "gap.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}}", d, 8);
    put("safetensors", "offsets-out-of-range.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4);
    put("safetensors", "unknown-dtype.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,4]}}", d, 4);
    put("safetensors", "size-mismatch.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", d, 4);
    put("safetensors", "duplicate-key.safetensors", b.data, b.len);
    raw_st(&b, "{\"__metadata__\":{\"k\":1}}", NULL, 0);
    put("safetensors", "metadata-not-string.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", d, 4);
    put("safetensors", "too-many-dims.safetensors", b.data, b.len);
    raw_st(&b, "{\"a\":{\"dtype\":\"U8\",\"shape\":[9007199254740992,9007199254740992],\"data_offsets\":[0,4]}}", d, 4);
    put("safetensors", "shape-overflow.safetensors", b.data, b.len);
    raw_st(&b, "[1,2,3]", NULL, 0);
    put("safetensors", "header-array.safetensors", b.data, b.len);
    put("safetensors", "short", "\x02\x00\x00", 3);
    serce_buf_free(&b);
}

static void corpora(void) {
    puts_("corpus", "songs.txt",
          "# Kış Bahçesi\nKar yağar sessizce bahçeye\nBir kedi uyur sobanın yanında\n\n"
          "Çay demlenir, saat durur\nSen gelince bahar olur\n\n"
          "# Liman\nGemiler gider, ben kalırım\nMartılar bilir adımı\n");
    puts_("corpus", "songs-title-block.txt",
          "# Yol\n\nUzun ince bir patika\nTaşlar sayar adımları\n\nKöyün ışığı uzakta\n\n# Dönüş\n\nKapı aralık kalmış\n");
    puts_("corpus", "plain.txt",
          "Sabah olur, kuşlar uyanır\nPencereye güneş vurur\n\nBir ses gelir uzaktan\n\n\n"
          "Akşam iner şehre yavaş\nLambalar yanar bir bir\n");
    puts_("corpus", "plain-single-gaps.txt", "Bir satır\nİkinci satır\n\nBaşka şarkı\nSon satır\n");
    puts_("corpus", "lines.csv",
          "Sanatçı Adı,Şarkı Id,Şarkı Adı,Şarkı Sözü,Satır No\n"
          "Deneme,1,Kış Bahçesi,Kar yağar sessizce bahçeye,1\n"
          "Deneme,2,Liman,\"Gemiler \"\"gider\"\", ben kalırım\",1\n"
          "Deneme,1,Kış Bahçesi,\"Bir kedi, bir soba, bir ben\",2\n"
          "Deneme,2,Liman,Martılar bilir adımı,2\n");
    puts_("corpus", "whole.csv",
          "title,lyrics\nKış,\"Kar yağar\nSoba yanar\n\nÇay demlenir\"\nYaz,\"Deniz tuzlu\nKum sıcak\"\n");
    puts_("corpus", "semicolon.csv", "song_id;line;text\r\n7;2;ikinci satır\r\n7;1;birinci satır\r\n8;1;başka\r\n");
    puts_("corpus", "tab.csv", "sozler\tsarkisi\nBir söz\tAd\nİki söz\tAd\n");
    puts_("corpus", "broken-quote.csv", "title,lyrics\nA,\"bir satır\nB,iki\n");
    puts_("corpus", "quote-junk.csv", "title,lyrics\nA,\"bir\"x,\n");
    puts_("corpus", "missing-column.csv", "title,lyrics,line\nA,bir,1\nA,iki\n");
    puts_("corpus", "no-lyric-column.csv", "ad,soyad\nAli,Veli\n");
    puts_("corpus", "crlf-bom.txt", "\xEF\xBB\xBF# Başlık\r\nSatır bir\r\nSatır iki\r\n");
    puts_("corpus", "decomposed.txt", "c\xCC\xA7ic\xCC\xA7" "ek I\xCC\x87stanbul g\xCC\x86u\xCC\x88l\n");
    puts_("corpus", "invalid-utf8.txt", "# A\nabc\n\n# B\nde\xFF\n");
    puts_("corpus", "cp1254.txt", "g\xFCzel \xE7i\xE7" "ek\n");
    put("corpus", "nul.bin", "ab\0cd\n", 6);
    puts_("corpus", "one-char.txt", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    puts_("corpus", "blank.txt", "\n\n   \n\t\n");
    puts_("corpus", "title-only.txt", "# Sadece başlık\n");
    puts_("corpus", "greek-cyrillic.txt", "ΑΒΓ δέκα\nПривет Мир\nƏli\n");
}

static void primes(void) {
    puts_("prime", "gel", "Gel");
    puts_("prime", "title-newline", "İstanbul'da\nakşam");
    puts_("prime", "dotted", "Iı İi");
    puts_("prime", "decomposed", "c\xCC\xA7 I\xCC\x87 a\xCC\x82");
    puts_("prime", "crlf", "bir\r\niki\rüç");
    puts_("prime", "bom", "\xEF\xBB\xBFGel");
    puts_("prime", "unknown", "Qxw Gel");
    puts_("prime", "emoji", "kalp \xF0\x9F\x92\x94");
    puts_("prime", "bad-ff", "a\xFF");
    puts_("prime", "overlong", "\xC0\xAF");
    puts_("prime", "surrogate", "\xED\xA0\x80");
    puts_("prime", "cut-short", "\xE2\x82");
    puts_("prime", "beyond-10ffff", "\xF4\x90\x80\x80");
    puts_("prime", "cp1254", "g\xFCzel");
    put("prime", "nul", "a\0b", 3);
}

static void jsons(void) {
    puts_("json", "config", "{\"vocab\":11,\"embed\":3,\"hidden\":4,\"layers\":1,\"lowercase\":false,\"cell\":\"lstm\",\"gates\":\"ifgo\"}");
    puts_("json", "vocab", "[\"<unk>\",\"<s>\",\"</s>\",\"<t>\",\"\\n\",\" \",\"a\",\"\\u00e7\",\"\\u0131\"]");
    puts_("json", "special", "{\"unk\":0,\"bos\":1,\"eos\":2,\"title\":3}");
    puts_("json", "training",
          "{\"corpus\":\"x.txt\",\"steps\":120,\"epochs\":1.500,\"val_bpc\":2.1234,\"init\":null,"
          "\"opts\":{\"seed\":\"1\",\"lr\":0.002},\"curve\":[[20,3.1,3.2],[40,2.5,2.6]]}");
    puts_("json", "escapes", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0000\\uD83D\\uDE00\"");
    puts_("json", "numbers", "[0,-0,1.5e3,-2.25E-2,1e308,9007199254740993,0.1]");
    puts_("json", "nested", "{\"a\":[{\"b\":[[],{}]},true,false,null]}");
    puts_("json", "trailing-comma", "[1,2,]");
    puts_("json", "leading-zero", "[01]");
    puts_("json", "lone-surrogate", "\"\\uD800\"");
    puts_("json", "duplicate-key", "{\"a\":1,\"a\":2}");
    puts_("json", "control-char", "\"a\tb\"");
    puts_("json", "garbage-after", "{} x");
    puts_("json", "bad-utf8", "\"\xC3\x28\"");
    char deep[200];
    memset(deep, '[', 70);
    memset(deep + 70, ']', 70);
    deep[140] = 0;
    puts_("json", "deep", deep);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s tests/fuzz/corpus\n", argv[0]);
        return 2;
    }
    root = argv[1];
    mkdir(root, 0755);
    models();
    safetensors();
    corpora();
    primes();
    jsons();
    printf("make_seeds: wrote %d files under %s\n", nfiles, root);
    return 0;
}
