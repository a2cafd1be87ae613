/* probe.c — the native side of the wasm identity tests (tests/web/wasm.test.mjs).
 *
 * Runs wasm/api.c natively, call for call as the test drives the wasm builds, and prints one JSON
 * object: the info JSON, then for every step chunk its text, kind and the logits that follow it as
 * hex of the float32 bits (little-endian), so the test can require bit-identical results.
 *
 *   serce_web_probe MODEL PRIME SEED TEMPERATURE TOP_K TOP_P LENGTH SONGS CHUNK [MAX_LOGIT_STEPS]
 *   serce_web_probe MODEL --json PRIME SETTINGS CHUNK [MAX_LOGIT_STEPS]   (serce_wasm_start_json; adds "stats")
 *   serce_web_probe MODEL --originality TEXT          (prints serce_wasm_originality's JSON)
 *   serce_web_probe MODEL --next-words PRIME K MAX    (prints serce_wasm_next_words's JSON after the prime)
 * A start error prints {"error":"..."} and exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"

static void put_str(const char *s) {
    serce_buf b = {0};
    sj_write_str(&b, s, strlen(s));
    fwrite(b.data, 1, b.len, stdout);
    serce_buf_free(&b);
}

static void put_logits(const float *z, int V) {
    putchar('"');
    for (int v = 0; v < V; v++) {
        unsigned char bytes[4];
        memcpy(bytes, &z[v], 4); /* the test machines are little-endian, like wasm */
        for (int i = 0; i < 4; i++) printf("%02x", bytes[i]);
    }
    putchar('"');
}

static int fail_json(void) {
    printf("{\"error\":");
    put_str(serce_wasm_error());
    printf("}\n");
    return 3;
}

int main(int argc, char **argv) {
    int json = argc >= 6 && !strcmp(argv[2], "--json");
    int orig = argc == 4 && !strcmp(argv[2], "--originality");
    int words = argc == 6 && !strcmp(argv[2], "--next-words");
    if (argc < 10 && !json && !orig && !words) {
        fprintf(stderr, "usage: %s MODEL PRIME SEED TEMPERATURE TOP_K TOP_P LENGTH SONGS CHUNK [MAX_LOGIT_STEPS]\n",
                argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) return fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    fclose(f);
    int h = serce_wasm_load(buf, (int)n);
    free(buf);
    if (!h) return fail_json();
    int V = serce_wasm_vocab_size(h);
    if (orig) {
        const char *r = serce_wasm_originality(h, argv[3]);
        if (!strcmp(r, "null")) return fail_json();
        printf("%s\n", r);
        serce_wasm_free(h);
        return 0;
    }
    if (words) {
        int g = serce_wasm_start_json(h, argv[3], "{}");
        if (!g) return fail_json();
        printf("%s\n", serce_wasm_next_words(g, atoi(argv[4]), atoi(argv[5])));
        serce_wasm_free(h);
        return 0;
    }
    int g = json ? serce_wasm_start_json(h, argv[3], argv[4])
                 : serce_wasm_start(h, argv[2], strtod(argv[3], NULL), (float)strtod(argv[4], NULL), atoi(argv[5]),
                                    (float)strtod(argv[6], NULL), atoi(argv[7]), atoi(argv[8]));
    if (!g) return fail_json();
    int chunk = atoi(argv[json ? 5 : 9]), max_logits = argc > (json ? 6 : 10) ? atoi(argv[json ? 6 : 10]) : 1000000;
    printf("{\"info\":%s,\"start_logits\":", serce_wasm_info(h));
    put_logits(serce_wasm_logits(g), V);
    printf(",\"topk\":%s,\"chunks\":[", serce_wasm_topk(g, 5));
    for (int i = 0; !serce_wasm_done(g); i++) {
        const char *t = serce_wasm_step(g, chunk);
        printf("%s{\"text\":", i ? "," : "");
        put_str(t);
        printf(",\"kind\":%d", serce_wasm_kind(g));
        if (i < max_logits) {
            printf(",\"logits\":");
            put_logits(serce_wasm_logits(g), V);
        }
        printf("}");
        if (i > 1000000) break;
    }
    printf("],\"chars\":%.0f", serce_wasm_chars(g));
    if (json) printf(",\"stats\":%s", serce_wasm_stats(g));
    printf("}\n");
    serce_wasm_free_gen(g);
    serce_wasm_free(h);
    return 0;
}
