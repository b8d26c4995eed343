/* test_ckpt.c -- llama2.c version-0 checkpoints and the ref commands:
 * the file size and header follow from the format's definition; reading
 * a written file gives back the seeded weights bit for bit (every dtype)
 * and the same logits; a hand-written tiny model matches its closed form
 * (which pins llama2.c's RoPE pairing); every malformed file and bad
 * token list is refused by the CLI with exit 2 and a one-line message. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../ref/bench.h"
#include "../ref/ckpt.h"
#include "../ref/model.h"
#include "../ref/pool.h"
#include "testutil.h"

#define SMALL "--layers 2 --dim 64 --heads 4 --kv-heads 2 --vocab 97 --seq-len 32"

static arch_spec spec_of(int tied, arch_dtype d)
{
    arch_spec s;
    lk_err e = {0};
    arch_spec_init(&s);
    s.layers = 2;
    s.dim = 64;
    s.heads = 4;
    s.kv_heads = 2;
    s.vocab = 97;
    s.seq_len = 32;
    s.tied = tied;
    s.dtype = d;
    ck_assert_msg(arch_spec_finish(&s, &e) == LK_OK, "%s", e.msg);
    return s;
}

static long file_size(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "%s missing", path);
    return (long)st.st_size;
}

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 512, "%s/%s", tu_tmpdir(), name);
    return b;
}

static const int64_t prompt[] = {5, 17, 2, 96, 40};

/* logits after the prompt, copied */
static float *run(ref_weights *w, pool *p)
{
    ref_state st;
    lk_err e = {0};
    ck_assert_msg(ref_state_build(&st, w, p, &e) == LK_OK, "%s", e.msg);
    float *out = malloc((size_t)w->spec.vocab * sizeof *out);
    memcpy(out, ref_prefill(&st, prompt, 5, REF_BATCH), (size_t)w->spec.vocab * sizeof *out);
    ref_state_free(&st);
    return out;
}

/* Size = header + every parameter (arch_params total) + two RoPE tables
 * of seq_len x head_dim/2; header fields as the format defines them. */
START_TEST(test_export_size_and_header)
{
    arch_spec s = spec_of(_i, ARCH_F32);
    const char *path = tmp(_i ? "tied.bin" : "untied.bin");
    lk_err e = {0};
    ck_assert_msg(ckpt_export(&s, 1, false, path, &e) == LK_OK, "%s", e.msg);
    arch_params p;
    ck_assert(arch_params_count(&s, &p, &e) == LK_OK);
    ck_assert_int_eq(file_size(path), 28 + 4 * (p.total + s.seq_len * s.head_dim));
    int32_t h[7];
    FILE *f = fopen(path, "rb");
    ck_assert_int_eq(fread(h, 4, 7, f), 7);
    fclose(f);
    int32_t want[7] = {64, (int32_t)s.ffn_dim, 2, 4, 2, _i ? 97 : -97, 32};
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(h[i], want[i]);
}
END_TEST

/* Reading back gives the seeded model exactly: f32 tensors (mapped)
 * equal the seeded ones, other dtypes give the same blob; logits equal. */
START_TEST(test_roundtrip_exact)
{
    static const arch_dtype types[] = {ARCH_F32, ARCH_F16, ARCH_BF16, ARCH_INT8};
    arch_spec s = spec_of(0, types[_i]);
    const char *path = tmp("rt.bin");
    lk_err e = {0};
    ck_assert_msg(ckpt_export(&s, 77, false, path, &e) == LK_OK, "%s", e.msg);
    pool *p;
    ck_assert(pool_create(&p, 2, &e) == LK_OK);
    ref_weights a, b;
    arch_spec sb = s;
    ck_assert_msg(ref_weights_seeded(&a, &s, 77, p, &e) == LK_OK, "%s", e.msg);
    ck_assert_msg(ckpt_load(&b, path, &sb, p, &e) == LK_OK, "%s", e.msg);
    if (types[_i] == ARCH_F32) {
        ck_assert(b.map != NULL && b.blob == NULL); /* used in place */
        arch_layout l;
        ck_assert(arch_layout_build(&l, &s, &e) == LK_OK);
        for (int64_t i = 0; i < l.n; i++) {
            const arch_tensor *t = &l.t[i];
            const ref_block *ba = t->block >= 0 ? &a.blocks[t->block] : NULL;
            const ref_block *bb = t->block >= 0 ? &b.blocks[t->block] : NULL;
            const void *x = NULL, *y = NULL;
            switch (t->id) {
            case ARCH_W_EMBED: x = a.embed.data; y = b.embed.data; break;
            case ARCH_W_RMS_ATT: x = ba->rms_att; y = bb->rms_att; break;
            case ARCH_W_Q: x = ba->wq.data; y = bb->wq.data; break;
            case ARCH_W_K: x = ba->wk.data; y = bb->wk.data; break;
            case ARCH_W_V: x = ba->wv.data; y = bb->wv.data; break;
            case ARCH_W_O: x = ba->wo.data; y = bb->wo.data; break;
            case ARCH_W_RMS_FFN: x = ba->rms_ffn; y = bb->rms_ffn; break;
            case ARCH_W_1: x = ba->w1.data; y = bb->w1.data; break;
            case ARCH_W_2: x = ba->w2.data; y = bb->w2.data; break;
            case ARCH_W_3: x = ba->w3.data; y = bb->w3.data; break;
            case ARCH_W_RMS_FINAL: x = a.rms_final; y = b.rms_final; break;
            case ARCH_W_CLS: x = a.cls.data; y = b.cls.data; break;
            default: break;
            }
            ck_assert_msg(memcmp(x, y, t->bytes) == 0, "tensor %s of block %lld differs",
                          arch_weight_name(t->id), (long long)t->block);
        }
        arch_layout_free(&l);
    } else {
        ck_assert(b.map == NULL && a.blob_bytes == b.blob_bytes);
        ck_assert(memcmp(a.blob, b.blob, a.blob_bytes) == 0);
    }
    float *la = run(&a, p), *lb = run(&b, p);
    ck_assert(memcmp(la, lb, (size_t)s.vocab * sizeof *la) == 0);
    free(la);
    free(lb);
    ref_weights_free(&a);
    ref_weights_free(&b);
    pool_free(p);
}
END_TEST

/* A model small enough to solve by hand: dim 4, one head (hd 4), one
 * layer, wq = wk = wv = wo = I, FFN weights 0, norms 1, tied classifier,
 * prompt (0, 1) with e0 = (0,0,1,0), e1 = (0,0,1,1), e2 = (1,0,0,0).
 * llama2.c's RoPE turns the pair (2,3) by pos * 10000^(-2/4) = 0.01 rad
 * at position 1 (a half-split RoPE would turn it by 1 rad with (0,2)). */
START_TEST(test_closed_form)
{
    const char *path = tmp("tiny.bin");
    float buf[3 * 4 + 4 + 4 * 16 + 4 + 4 + 4 + 4 + 4 + 2 * 4 * 2] = {0};
    float *f = buf;
    float emb[12] = {0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0};
    memcpy(f, emb, sizeof emb);
    f += 12;
    for (int i = 0; i < 4; i++) /* rms_att */
        *f++ = 1;
    for (int m = 0; m < 4; m++, f += 16) /* wq, wk, wv, wo = I */
        for (int i = 0; i < 4; i++)
            f[i * 5] = 1;
    for (int i = 0; i < 4; i++) /* rms_ffn */
        *f++ = 1;
    f += 12; /* w1 (1x4), w2 (4x1), w3 (1x4): zero */
    for (int i = 0; i < 4; i++) /* rms_final */
        *f++ = 1;
    int32_t h[7] = {4, 1, 1, 1, 1, 3, 4};
    FILE *out = fopen(path, "wb");
    fwrite(h, 4, 7, out);
    fwrite(buf, sizeof buf, 1, out);
    fclose(out);

    double s0 = 1 / sqrt(0.25 + 1e-5), s1 = 1 / sqrt(0.5 + 1e-5), a = 0.01;
    double sc0 = s1 * s0 * (cos(a) - sin(a)) / 2, sc1 = s1 * s1; /* q1.k / sqrt(4) */
    double p0 = exp(sc0) / (exp(sc0) + exp(sc1)), p1 = 1 - p0;
    double x[4] = {0, 0, 1 + p0 * s0 + p1 * s1, 1 + p1 * s1};
    double r = 1 / sqrt((x[2] * x[2] + x[3] * x[3]) / 4 + 1e-5);
    double want[3] = {x[2] * r, (x[2] + x[3]) * r, 0};

    lk_err e = {0};
    pool *p;
    ck_assert(pool_create(&p, 1, &e) == LK_OK);
    arch_spec s;
    arch_spec_init(&s);
    s.dtype = ARCH_F32;
    s.ctx = 0;
    ref_weights w;
    ck_assert_msg(ckpt_load(&w, path, &s, p, &e) == LK_OK, "%s", e.msg);
    ref_state st;
    ck_assert(ref_state_build(&st, &w, p, &e) == LK_OK);
    const float *got = ref_prefill(&st, (const int64_t[]){0, 1}, 2, REF_BATCH);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(got[i] - want[i]) < 1e-5 * (1 + fabs(want[i])),
                      "logit %d: %.9g, closed form %.9g", i, got[i], want[i]);
    ref_state_free(&st);
    ref_weights_free(&w);
    pool_free(p);
}
END_TEST

/* llama2.c's tensors in file order (run.c's memory_map_weights), typed
 * here from its source rather than taken from ckpt.c: per_layer tensors
 * hold one slice per layer; ARCH_W_COUNT marks the two obsolete RoPE
 * tables (seq_len x head_dim/2 each). */
static const struct {
    arch_weight id;
    bool per_layer;
} llama2c_order[] = {
    {ARCH_W_EMBED, false}, {ARCH_W_RMS_ATT, true}, {ARCH_W_Q, true},
    {ARCH_W_K, true},      {ARCH_W_V, true},       {ARCH_W_O, true},
    {ARCH_W_RMS_FFN, true}, {ARCH_W_1, true},      {ARCH_W_2, true},
    {ARCH_W_3, true},      {ARCH_W_RMS_FINAL, false}, {ARCH_W_COUNT, false},
    {ARCH_W_COUNT, false}, {ARCH_W_CLS, false},
};
#define N_ORDER (int)(sizeof llama2c_order / sizeof llama2c_order[0])

/* Rows and columns of tensor k of llama2c_order in layer (or global) l. */
static void order_shape(const arch_layout *lay, const arch_spec *s, int k, int64_t l,
                        int64_t *rows, int64_t *cols)
{
    if (llama2c_order[k].id == ARCH_W_COUNT) {
        *rows = s->seq_len;
        *cols = s->head_dim / 2;
        return;
    }
    const arch_tensor *t = arch_layout_find(lay, llama2c_order[k].id, l);
    ck_assert_ptr_nonnull(t);
    *rows = t->rows;
    *cols = t->cols;
}

/* The matrix or norm of id in block l (-1: global) as loaded. */
static float loaded(const ref_weights *w, arch_weight id, int64_t l, int64_t r, int64_t c)
{
    const ref_block *b = l >= 0 ? &w->blocks[l] : NULL;
    const kern_mat *m = NULL;
    switch (id) {
    case ARCH_W_RMS_ATT: return b->rms_att[c];
    case ARCH_W_RMS_FFN: return b->rms_ffn[c];
    case ARCH_W_RMS_FINAL: return w->rms_final[c];
    case ARCH_W_EMBED: m = &w->embed; break;
    case ARCH_W_CLS: m = &w->cls; break;
    case ARCH_W_Q: m = &b->wq; break;
    case ARCH_W_K: m = &b->wk; break;
    case ARCH_W_V: m = &b->wv; break;
    case ARCH_W_O: m = &b->wo; break;
    case ARCH_W_1: m = &b->w1; break;
    case ARCH_W_2: m = &b->w2; break;
    default: m = &b->w3; break;
    }
    ck_assert_int_lt(c, m->cols);
    return ((const float *)m->data)[r * m->cols + c];
}

/* Reading: a file whose every tensor slice k (layer l) holds the value
 * k + 1 + l / 4 must load each value into the tensor llama2.c's order
 * names; writing: lanky export must put each seeded row at the offset
 * that order gives. Either with w1 and w3 (or any two tensors) swapped in
 * both reader and writer would still round-trip; this would not. */
START_TEST(test_tensor_order)
{
    arch_spec s = spec_of(0, ARCH_F32);
    arch_layout lay;
    ck_assert_int_eq(arch_layout_build(&lay, &s, NULL), 0);
    const char *path = tmp("order.bin");
    FILE *f = fopen(path, "wb");
    int32_t h[7] = {(int32_t)s.dim, (int32_t)s.ffn_dim, (int32_t)s.layers, (int32_t)s.heads,
                    (int32_t)s.kv_heads, -(int32_t)s.vocab, (int32_t)s.seq_len};
    fwrite(h, 4, 7, f);
    for (int k = 0; k < N_ORDER; k++)
        for (int64_t l = 0; l < (llama2c_order[k].per_layer ? s.layers : 1); l++) {
            int64_t rows, cols;
            order_shape(&lay, &s, k, llama2c_order[k].per_layer ? l : -1, &rows, &cols);
            float v = (float)k + 1 + (float)l / 4;
            for (int64_t i = 0; i < rows * cols; i++)
                fwrite(&v, 4, 1, f);
        }
    fclose(f);

    lk_err e = {0};
    pool *p;
    ck_assert(pool_create(&p, 1, &e) == LK_OK);
    arch_spec got = {0};
    got.dtype = ARCH_F32;
    got.ctx = 0;
    got.group = ARCH_UNSET;
    ref_weights w;
    ck_assert_msg(ckpt_load(&w, path, &got, p, &e) == LK_OK, "%s", e.msg);
    for (int k = 0; k < N_ORDER; k++)
        for (int64_t l = 0; l < (llama2c_order[k].per_layer ? s.layers : 1); l++) {
            int64_t rows, cols, b = llama2c_order[k].per_layer ? l : -1;
            if (llama2c_order[k].id == ARCH_W_COUNT)
                continue;
            order_shape(&lay, &s, k, b, &rows, &cols);
            float v = (float)k + 1 + (float)l / 4;
            for (int64_t r = 0; r < rows; r++)
                ck_assert_msg(loaded(&w, llama2c_order[k].id, b, r, cols - 1) == v,
                              "%s layer %lld row %lld: %g, file has %g",
                              arch_weight_name(llama2c_order[k].id), (long long)l,
                              (long long)r, loaded(&w, llama2c_order[k].id, b, r, cols - 1), v);
        }
    ref_weights_free(&w);
    pool_free(p);

    ck_assert_msg(ckpt_export(&s, 7, false, path, &e) == LK_OK, "%s", e.msg);
    f = fopen(path, "rb");
    fseek(f, 7 * 4, SEEK_SET);
    float file_row[256], seed_row[256];
    for (int k = 0; k < N_ORDER; k++)
        for (int64_t l = 0; l < (llama2c_order[k].per_layer ? s.layers : 1); l++) {
            int64_t rows, cols, b = llama2c_order[k].per_layer ? l : -1;
            order_shape(&lay, &s, k, b, &rows, &cols);
            ck_assert_int_le(cols, 256);
            for (int64_t r = 0; r < rows; r++) {
                ck_assert_int_eq(fread(file_row, 4, (size_t)cols, f), cols);
                if (llama2c_order[k].id == ARCH_W_COUNT)
                    continue;
                ref_weights_seed_row(&s, 7, llama2c_order[k].id, b, r, cols, seed_row);
                ck_assert_msg(!memcmp(file_row, seed_row, (size_t)cols * 4),
                              "%s layer %lld row %lld not where llama2.c reads it",
                              arch_weight_name(llama2c_order[k].id), (long long)l,
                              (long long)r);
            }
        }
    ck_assert_int_eq(fgetc(f), EOF);
    fclose(f);
    arch_layout_free(&lay);
}
END_TEST

/* The CLI: seeded logits == logits of the exported file, as text. */
START_TEST(test_cli_export_logits)
{
    char cmd[1024], *a, *b, *err;
    snprintf(cmd, sizeof cmd, "export " SMALL " --dtype f32 --seed 4 --out %s",
             tmp("cli.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    ck_assert_int_eq(tu_run("logits " SMALL " --dtype f32 --seed 4 --tokens 1,2,3", &a,
                            &err), 0);
    snprintf(cmd, sizeof cmd, "logits --dtype f32 --checkpoint %s --tokens 1,2,3",
             tmp("cli.bin"));
    ck_assert_int_eq(tu_run(cmd, &b, NULL), 0);
    ck_assert_str_eq(a, b);
    int lines = 0;
    for (char *c = a; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 97);
    free(a);
    free(b);
    free(err);
    /* the file gives the shape: a shape option beside it is a mistake */
    snprintf(cmd, sizeof cmd, "logits --layers 3 --checkpoint %s --tokens 1", tmp("cli.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--layers: --checkpoint gives the model's shape"), "%s", err);
    free(err);
    /* int4 from the file: --group applies (16 and 32 differ; each equals
     * the seeded model's) and a group that does not fit is refused */
    char *g[2];
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "logits " SMALL " --dtype int4 --group %d --seed 4 --tokens 1,2,3",
                 16 << i);
        ck_assert_int_eq(tu_run(cmd, &a, NULL), 0);
        snprintf(cmd, sizeof cmd, "logits --dtype int4 --group %d --checkpoint %s --tokens 1,2,3",
                 16 << i, tmp("cli.bin"));
        ck_assert_int_eq(tu_run(cmd, &g[i], NULL), 0);
        ck_assert_str_eq(a, g[i]);
        free(a);
    }
    ck_assert_str_ne(g[0], g[1]);
    free(g[0]);
    free(g[1]);
    snprintf(cmd, sizeof cmd, "logits --dtype int4 --group 48 --checkpoint %s --tokens 1",
             tmp("cli.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "group: 48 does not divide dim 64"), "%s", err);
    free(err);
    /* every choice a file leaves open applies to it as to the seeded
     * model (arch_spec_take_choices): the logits of each equal the seeded
     * model's and differ from the plain file's */
    static const char *const choices[] = {"--embed-dtype int8", "--window 2",
                                          "--window 2 --global-every 2", "--kv-dtype int8"};
    snprintf(cmd, sizeof cmd, "logits --dtype f32 --checkpoint %s --tokens 1,2,3",
             tmp("cli.bin"));
    ck_assert_int_eq(tu_run(cmd, &b, NULL), 0);
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "logits " SMALL " --dtype f32 %s --seed 4 --tokens 1,2,3",
                 choices[i]);
        ck_assert_int_eq(tu_run(cmd, &a, NULL), 0);
        snprintf(cmd, sizeof cmd, "logits --dtype f32 %s --checkpoint %s --tokens 1,2,3",
                 choices[i], tmp("cli.bin"));
        ck_assert_int_eq(tu_run(cmd, &g[0], NULL), 0);
        ck_assert_msg(!strcmp(a, g[0]), "%s", choices[i]);
        ck_assert_msg(strcmp(b, g[0]), "%s changed nothing", choices[i]);
        free(a);
        free(g[0]);
    }
    free(b);
}
END_TEST

/* --format json gives each logit as a JSON number, the value the plain
 * format prints. */
START_TEST(test_logits_json)
{
    char *plain, *json;
    const char *cmd = "logits " SMALL " --seed 4 --tokens 1,2,3";
    char with[256];
    snprintf(with, sizeof with, "%s --format json", cmd);
    ck_assert_int_eq(tu_run(cmd, &plain, NULL), 0);
    ck_assert_int_eq(tu_run(with, &json, NULL), 0);
    cJSON *arr = cJSON_Parse(json);
    ck_assert_msg(cJSON_IsArray(arr), "not a JSON array: %.80s", json);
    ck_assert_int_eq(cJSON_GetArraySize(arr), 97);
    char *p = plain;
    for (int i = 0; i < 97; i++, p = strchr(p, '\n') + 1) {
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), "logit");
        ck_assert_msg(cJSON_IsNumber(v), "logit %d is not a number", i);
        ck_assert(v->valuedouble == strtod(p, NULL));
    }
    cJSON_Delete(arr);
    free(plain);
    free(json);
}
END_TEST

/* Write a checkpoint with header h and n floats of payload. */
static void write_file(const char *path, const int32_t h[7], long n)
{
    FILE *f = fopen(path, "wb");
    fwrite(h, 4, 7, f);
    float z = 0;
    for (long i = 0; i < n; i++)
        fwrite(&z, 4, 1, f);
    fclose(f);
}

/* floats a header describes (same formula as the test above: params
 * of a llama2.c model + RoPE tables) */
static long payload(const int32_t h[7])
{
    long d = h[0], f = h[1], L = h[2], hd = d / h[3], kvd = hd * h[4];
    long V = h[5] < 0 ? -(long)h[5] : h[5];
    return V * d + L * (2 * d + 2 * d * d + 2 * d * kvd + 3 * d * f) + d +
           h[6] * hd + (h[5] < 0 ? V * d : 0);
}

typedef struct {
    const char *name;
    int32_t h[7];
    long extra;       /* floats added to the right size; 0: a 16-float
                         payload (the header is refused before its size) */
    const char *want; /* in the message */
} bad_case;

static const bad_case bad[] = {
    {"truncated", {16, 32, 1, 2, 2, -10, 8}, -1, "truncated"},
    {"oversized", {16, 32, 1, 2, 2, 10, 8}, 3, "oversized"},
    {"zero-dim", {0, 32, 1, 2, 2, 10, 8}, 0, "dim"},
    {"neg-layers", {16, 32, -1, 2, 2, 10, 8}, 0, "n_layers"},
    {"zero-vocab", {16, 32, 1, 2, 2, 0, 8}, 0, "vocab_size"},
    {"min-vocab", {16, 32, 1, 2, 2, INT32_MIN, 8}, 0, "vocab_size is -2147483648 (must be above"},
    {"zero-seq", {16, 32, 1, 2, 2, 10, 0}, 0, "seq_len"},
    {"neg-hidden", {16, -32, 1, 2, 2, 10, 8}, 0, "hidden_dim"},
    {"heads-vs-dim", {16, 32, 1, 3, 3, 10, 8}, 0, "n_heads"},
    {"kv-vs-heads", {16, 32, 1, 4, 3, 10, 8}, 0, "n_kv_heads"},
    {"odd-head", {6, 32, 1, 2, 2, 10, 8}, 0, "odd"},
    {"overflow", {1 << 30, 1 << 30, 1 << 30, 1 << 20, 1 << 20, 1 << 30, 8}, 0, "overflow"},
};

START_TEST(test_malformed)
{
    const bad_case *c = &bad[_i];
    const char *path = tmp(c->name);
    write_file(path, c->h, c->extra ? payload(c->h) + c->extra : 16);
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "logits --checkpoint %s --tokens 1", path);
    ck_assert_int_eq(tu_run(cmd, &out, &err), 2);
    ck_assert_msg(strstr(err, path) && strstr(err, c->want),
                  "%s: message '%s' lacks '%s'", c->name, err, c->want);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

/* A file shorter than its header, and one that does not exist. */
START_TEST(test_short_and_missing)
{
    const char *path = tmp("short.bin");
    tu_write(path, "0123456789");
    char cmd[1024], *err;
    snprintf(cmd, sizeof cmd, "bench --checkpoint %s", path);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "logits --checkpoint %s --tokens 1",
             tmp("missing.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "cannot open") != NULL, "%s", err);
    free(err);
    /* a FIFO: opened without blocking, refused before any read */
    const char *fifo = tmp("fifo.bin");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(cmd, sizeof cmd, "logits --checkpoint %s --tokens 1", fifo);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, fifo) && strstr(err, "not a regular file"), "%s", err);
    free(err);
}
END_TEST

/* A valid checkpoint whose seq_len (2^31-1) gives 64 layers a 17.6 TB KV
 * cache is refused with exit 1 and the bytes needed and available, not
 * an allocation failure. The 17 GB file (mostly RoPE tables) is sparse. */
START_TEST(test_huge_seq_len)
{
    const int32_t h[7] = {16, 1, 64, 8, 8, -1, INT32_MAX};
    const char *path = tmp("huge-seq.bin");
    FILE *f = fopen(path, "wb");
    ck_assert(f && fwrite(h, 4, 7, f) == 7);
    ck_assert(ftruncate(fileno(f), 28 + 4 * payload(h)) == 0);
    fclose(f);
    char cmd[1024], *err;
    snprintf(cmd, sizeof cmd, "logits --checkpoint %s --tokens 0", path);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 1);
    ck_assert_msg(strstr(err, "model state: needs ") && strstr(err, "seq_len 2147483647") &&
                  strstr(err, "this machine has"), "%s", err);
    free(err);
    unlink(path);
}
END_TEST

/* A checkpoint with a NaN or infinite weight is refused, naming the file
 * and the tensor, by every dtype that converts the weights (int8 would
 * otherwise convert NaN to an integer: undefined, all-zero logits), and
 * f16 refuses what would round to an infinity (NaN logits). */
static const struct {
    const char *dtype;
    float bad;
    int status;       /* 2: refused; 0: the type holds it */
} nonfinite[] = {{"int8", NAN, 2},  {"int8", -INFINITY, 2}, {"f16", NAN, 2},
                 {"bf16", INFINITY, 2}, {"f16", 65520, 2}, {"f16", -1e30f, 2},
                 {"f16", 65504, 0}, {"bf16", 1e30f, 0}, {"int8", 1e30f, 0}};

START_TEST(test_nonfinite_weights)
{
    const char *path = tmp("nonfinite.bin");
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "export " SMALL " --seed 2 --out %s", path);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    /* wk of block 1 (file order: embedding, rms_att, wq, then wk of each
     * layer), its 40th weight */
    long d = 64, kvd = 32, at = 7 + 97 * d + 2 * d + 2 * d * d + kvd * d + 40;
    FILE *f = fopen(path, "r+b");
    ck_assert(f && fseek(f, at * 4, SEEK_SET) == 0);
    ck_assert(fwrite(&nonfinite[_i].bad, 4, 1, f) == 1);
    fclose(f);
    snprintf(cmd, sizeof cmd, "logits --checkpoint %s --dtype %s --tokens 1", path,
             nonfinite[_i].dtype);
    ck_assert_int_eq(tu_run(cmd, &out, &err), nonfinite[_i].status);
    if (nonfinite[_i].status) {
        char want[128];
        snprintf(want, sizeof want, "wk of block 1: a weight is NaN, infinite or beyond %s's "
                 "range", nonfinite[_i].dtype);
        ck_assert_msg(strstr(err, path) && strstr(err, want), "%s", err);
        ck_assert_str_eq(out, "");
    } else { /* 65504 is f16's largest; bf16 and int8 hold any finite value */
        ck_assert_msg(!strstr(out, "nan") && !strstr(out, "inf"), "%.200s", out);
    }
    free(out);
    free(err);
}
END_TEST

static const char *const bad_tokens[] = {"1,x", "-1", "97", "", "1,,2", "3,", "1e3",
                                         "99999999999999999999"};

START_TEST(test_bad_tokens)
{
    char cmd[256], *err;
    snprintf(cmd, sizeof cmd, "logits " SMALL " --tokens '%s'", bad_tokens[_i]);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--tokens") != NULL, "%s", err);
    free(err);
}
END_TEST

/* export refuses what the format cannot hold, and leaves no file. */
START_TEST(test_export_refusals)
{
    static const char *const args[] = {
        SMALL " --share immediate",  /* sharing without --unroll */
        SMALL " --ffn relu",         /* format is SwiGLU only */
        SMALL " --head-dim 32",      /* head_dim != dim / heads */
    };
    static const char *const why[] = {"share: llama2.c checkpoints cannot express layer "
                                      "sharing; use --unroll",
                                      "ffn: llama2.c checkpoints hold SwiGLU FFNs only",
                                      "head_dim: llama2.c checkpoints need head_dim = dim / "
                                      "heads (16), not 32"};
    char cmd[512], *err;
    snprintf(cmd, sizeof cmd, "export %s --out %s", args[_i], tmp("refused.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    ck_assert_msg(strstr(err, why[_i]), "%s", err);
    struct stat st;
    ck_assert(stat(tmp("refused.bin"), &st) != 0);
    free(err);
}
END_TEST

START_TEST(test_bench_columns)
{
    char *out;
    ck_assert_int_eq(tu_run("bench " SMALL " --ctx 16 --tokens 3 --threads 1 --format csv",
                            &out, NULL), 0);
    ck_assert_msg(strncmp(out, "dtype,threads,ctx,executed_layers,load_ms,init_ms,"
                               "execute_ms,tokens_per_s", 70) == 0, "%s", out);
    ck_assert_msg(strstr(out, "\nf16,1,16,2,") != NULL, "%s", out);
    free(out);
}
END_TEST

/* logits --batch 1 decodes the prompt token by token: the logits of the
 * default batched prefill within the library's bound for f32 (1e-5 of
 * the largest, test_ref.c); --batch outside 1..32 is refused. */
START_TEST(test_logits_batch)
{
    char *a, *b, *err;
    const char *cmd = "logits " SMALL " --dtype f32 --seed 4 --tokens 5,1,4,1,5,9,2,6,5,3";
    char one[512];
    snprintf(one, sizeof one, "%s --batch 1", cmd);
    ck_assert_int_eq(tu_run(cmd, &a, NULL), 0);
    ck_assert_int_eq(tu_run(one, &b, NULL), 0);
    double d = 0, m = 0;
    int n = 0;
    for (char *p = a, *q = b, *end; *p && *q; p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1) {
        double x = strtod(p, &end), y = strtod(q, NULL);
        ck_assert(end != p);
        d = fmax(d, fabs(x - y));
        m = fmax(m, fabs(y));
        n++;
    }
    ck_assert_int_eq(n, 97);
    ck_assert_msg(d <= 1e-5 * m, "batched vs token by token: %g of %g", d, m);
    free(a);
    free(b);
    snprintf(one, sizeof one, "%s --batch 33", cmd);
    ck_assert_int_eq(tu_run(one, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--batch") != NULL, "%s", err);
    free(err);
}
END_TEST

/* --prompt N appends the prefill columns: N, the time, and N tokens per
 * that time; a prompt longer than seq_len (32) is refused before any
 * output. */
START_TEST(test_bench_prompt)
{
    char *out, *err;
    ck_assert_int_eq(tu_run("bench " SMALL " --ctx 16 --tokens 3 --threads 1 --prompt 32 "
                            "--format csv", &out, NULL), 0);
    char *row = strchr(out, '\n');
    ck_assert(row != NULL);
    *row++ = 0;
    ck_assert_msg(strstr(out, ",other_ms,prompt_tokens,prefill_ms,prefill_tokens_per_s,repeats,"),
                  "%s", out); /* the --repeats columns come last */
    char *f = row;
    for (int i = 0; i < 14; i++) /* prompt_tokens is the 15th column */
        f = strchr(f, ',') + 1;
    long long prompt;
    double ms, tps;
    ck_assert_int_eq(sscanf(f, "%lld,%lf,%lf", &prompt, &ms, &tps), 3);
    ck_assert_int_eq(prompt, 32);
    /* ms is printed to 0.001, tps to 0.1 */
    ck_assert_msg(ms > 0 && fabs(tps - 32e3 / ms) <= 0.05 + 32e3 / ms * (0.0005 / ms + 1e-6),
                  "%g ms, %g tokens/s", ms, tps);
    free(out);
    ck_assert_int_eq(tu_run("bench " SMALL " --prompt 33", &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strstr(err, "prompt") && strstr(err, "seq_len"), "%s", err);
    free(out);
    free(err);
    /* a batch without a prompt would be silently unused */
    ck_assert_int_eq(tu_run("bench " SMALL " --batch 4", NULL, &err), 2);
    ck_assert_msg(strstr(err, "--batch: applies to a prompt"), "%s", err);
    free(err);
}
END_TEST

/* ref_bench reports each step as it starts, in the order bench.h gives:
 * load, init, every timed token, every prefill run; the CLI shows them
 * only on a terminal, so a piped stderr stays empty. */
static char steps[256];

static void record(const char *phase, int done, int total)
{
    size_t n = strlen(steps);
    snprintf(steps + n, sizeof steps - n, "%s %d/%d;", phase, done, total);
}

START_TEST(test_bench_progress)
{
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 kv_heads=2 vocab=97 seq_len=32 ctx=16");
    ref_bench_opts o = {.threads = 1, .tokens = 2, .seed = 1, .prompt = 4, .progress = record};
    ref_bench_result r;
    lk_err e = {0};
    steps[0] = 0;
    ck_assert_msg(ref_bench(&s, &o, &r, &e) == LK_OK, "%s", e.msg);
    ck_assert_str_eq(steps, "load 0/1;init 0/1;decode 0/2;decode 1/2;"
                            "prefill 0/3;prefill 1/3;prefill 2/3;");
    char *err;
    ck_assert_int_eq(tu_run("bench " SMALL " --ctx 16 --tokens 2 --threads 1 --prompt 4",
                            NULL, &err), 0);
    ck_assert_str_eq(err, "");
    free(err);
}
END_TEST

/* --repeats N: N rounds, each with its own DRAM readings. With one token
 * a round, each round's figure is that token's time, so the median of
 * the rounds and the median of all timed tokens are one number; the
 * decode steps count over all rounds; one round has no spread. --repeat
 * stays the spec's option (executions of each block), --repeats 0 is
 * refused. */
START_TEST(test_bench_repeats)
{
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 kv_heads=2 vocab=97 seq_len=32 ctx=16");
    ref_bench_opts o = {.threads = 1, .tokens = 1, .seed = 1, .progress = record, .repeat = 3};
    ref_bench_result r;
    lk_err e = {0};
    steps[0] = 0;
    ck_assert_msg(ref_bench(&s, &o, &r, &e) == LK_OK, "%s", e.msg);
    ck_assert_str_eq(steps, "load 0/1;init 0/1;decode 0/3;decode 1/3;decode 2/3;");
    ck_assert_int_eq(r.repeats, 3);
    ck_assert_double_eq(r.execute_ms_median, r.execute_ms);
    ck_assert(r.paired_dram_gbs > 0);
    o = (ref_bench_opts){.threads = 1, .tokens = 3, .seed = 1};
    ck_assert_msg(ref_bench(&s, &o, &r, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(r.repeats, 1);
    ck_assert_double_eq(r.execute_ms_std, 0);
    ck_assert_double_eq(r.execute_ms_mean, r.execute_ms);
    char *out, *err;
    ck_assert_int_eq(tu_run("bench " SMALL " --ctx 4 --tokens 1 --threads 1 --repeats 2 "
                            "--share immediate --repeat 3 --format csv", &out, NULL), 0);
    /* after them only llama-bench's fields (test_llamabench.c) */
    ck_assert_msg(strstr(out, ",repeats,execute_ms_mean,execute_ms_std,execute_ms_median,"
                              "paired_dram_gbs,test,") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "\nf16,1,4,6,") != NULL, "%s", out); /* 2 blocks x 3 */
    free(out);
    ck_assert_int_eq(tu_run("bench " SMALL " --repeats 0", NULL, &err), 2);
    ck_assert_msg(strstr(err, "--repeats") != NULL, "%s", err);
    free(err);
}
END_TEST

/* More threads than physical cores still runs, with a warning that
 * names both numbers; more than 4 per core (which spin waiting for the
 * scheduler: 2.6 s a token with 4096 on 2 cores) is refused. */
START_TEST(test_bench_oversubscribed)
{
    char cmd[256], want[64], *err;
    int n = pool_physical_cores() + 1;
    snprintf(cmd, sizeof cmd, "bench " SMALL " --ctx 4 --tokens 1 --threads %d", n);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 0);
    snprintf(want, sizeof want, "--threads %d is more than the %d physical cores", n, n - 1);
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    free(err);
    n = 4 * (n - 1);
    snprintf(cmd, sizeof cmd, "bench " SMALL " --ctx 4 --tokens 1 --threads %d", n + 1);
    ck_assert_int_eq(tu_run(cmd, NULL, &err), 2);
    snprintf(want, sizeof want, "--threads: '%d' is not in 1..%d", n + 1, n);
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    free(err);
}
END_TEST

/* With --checkpoint the file finishes the spec: the row reports the
 * position timed and the KV bytes of the file's shape, 2 (K and V) x
 * 2 kv heads x 16 (head size 64/4) x 2 bytes (f16) x 17 positions x 2
 * layers = 4352. */
START_TEST(test_bench_checkpoint_row)
{
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "export " SMALL " --dtype f32 --seed 2 --out %s", tmp("b.bin"));
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "bench --checkpoint %s --ctx 16 --tokens 3 --threads 1 "
             "--format csv", tmp("b.bin"));
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    char *row = strchr(out, '\n');
    ck_assert(row && strncmp(row + 1, "f16,1,16,2,", 11) == 0);
    unsigned long long kv = 0;
    char *f = row + 1;
    for (int i = 0; i < 9; i++) /* kv_read_bytes_per_token is the 10th column */
        f = strchr(f, ',') + 1;
    ck_assert_int_eq(sscanf(f, "%llu", &kv), 1);
    ck_assert_uint_eq(kv, 4352);
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ckpt");
    TCase *t = tcase_create("ckpt");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, test_export_size_and_header, 0, 2);
    tcase_add_loop_test(t, test_roundtrip_exact, 0, 4);
    tcase_add_test(t, test_closed_form);
    tcase_add_test(t, test_tensor_order);
    tcase_add_test(t, test_cli_export_logits);
    tcase_add_test(t, test_logits_json);
    tcase_add_loop_test(t, test_malformed, 0, sizeof bad / sizeof *bad);
    tcase_add_test(t, test_short_and_missing);
    tcase_add_test(t, test_huge_seq_len);
    tcase_add_loop_test(t, test_nonfinite_weights, 0, sizeof nonfinite / sizeof *nonfinite);
    tcase_add_loop_test(t, test_bad_tokens, 0, sizeof bad_tokens / sizeof *bad_tokens);
    tcase_add_loop_test(t, test_export_refusals, 0, 3);
    tcase_add_test(t, test_bench_columns);
    tcase_add_test(t, test_bench_checkpoint_row);
    tcase_add_test(t, test_bench_prompt);
    tcase_add_test(t, test_bench_progress);
    tcase_add_test(t, test_bench_repeats);
    tcase_add_test(t, test_bench_oversubscribed);
    tcase_add_test(t, test_logits_batch);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_main(suite());
}
