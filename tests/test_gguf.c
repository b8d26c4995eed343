/* test_gguf.c -- GGUF files (ref/gguf.h) through `lanky logits
 * --checkpoint F.gguf`, and `lanky export` from checkpoints.
 * tests/gguf_model.py converts tests/hf_model.py's tiny model to GGUF as
 * llama.cpp's converter does (q/k rows permuted into adjacent RoPE pairs)
 * and prints hf_model.py's reference logits: a pure-Python Hugging Face
 * implementation on the unpermuted weights, so a wrong permutation (or
 * none where one is needed) shows. lanky's logits must match that
 * reference and the llama2.c twin of the same weights to 1e-5 of the
 * largest logit (as test_hf.c; f32 against doubles is ~2e-7 here).
 *
 * bf16 tensors likewise. q8_0 and q4_0: against the llama2.c file of the dequantized weights (written
 * by the script from the bytes it stored, not by lanky) to 1e-5, and
 * against the unquantized reference within the first-order bound the
 * script derives from the weights (gguf_model.py's docstring: the sum
 * of the matrices' relative rounding errors, ~0.05 here).
 *
 * Malformed files exit 2 with one line naming the file and the field,
 * key or tensor. `lanky export --checkpoint` of a GGUF file, a q8_0 one
 * and a Hugging Face folder gives llama2.c files whose logits are the
 * same text as the checkpoint's (the same f32 values, the same code). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define TOKENS "3,1,4,1,5"
#define VOCAB 37 /* hf_model.py's */

/* Write OUT = tmp/name with gguf_model.py TYPE TIED VERSION [CORRUPT];
 * returns its path, the reference logits and the q8_0 tolerance. */
static const char *write_model(const char *name, const char *how, double *ref,
                               double *tol)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
    char *cmd, *out = NULL, *err = NULL;
    ck_assert(asprintf(&cmd, "python3 %s %s %s --tokens " TOKENS,
                       tu_path("tests/gguf_model.py"), path, how) > 0);
    int rc = tu_sh(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err);
    *tol = strtod(tu_numbers(out, VOCAB, ref), NULL);
    free(cmd);
    free(out);
    free(err);
    return path;
}

/* What `lanky logits --checkpoint path opts` printed. */
static char *logits_text(const char *path, const char *opts)
{
    char *cmd, *out = NULL, *err = NULL;
    ck_assert(asprintf(&cmd, "logits --checkpoint %s %s --tokens " TOKENS, path, opts) > 0);
    int rc = tu_run(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err);
    free(cmd);
    free(err);
    return out;
}

/* The logits in f32 (or opts), to 1e-5 of the largest. */
#define LOGITS(path, opts, got) tu_logits(path, opts, TOKENS, VOCAB, got)
#define ASSERT_CLOSE(got, want, what) tu_assert_close(got, want, VOCAB, 1e-5, what)

/* The GGUF file and hf_model.py's llama2.c twin against the reference,
 * in f32; returns the file's path. */
static const char *check_model(const char *name, const char *how)
{
    double ref[VOCAB], gguf[VOCAB], l2c[VOCAB], tol;
    const char *path = write_model(name, how, ref, &tol);
    char bin[600];
    snprintf(bin, sizeof bin, "%s.hf.bin", path);
    LOGITS(path, "--dtype f32", gguf);
    LOGITS(bin, "--dtype f32", l2c);
    ASSERT_CLOSE(gguf, ref, "GGUF vs the Hugging Face reference");
    ASSERT_CLOSE(l2c, ref, "llama2.c twin vs the Hugging Face reference");
    ASSERT_CLOSE(gguf, l2c, "GGUF vs llama2.c twin");
    return path;
}

START_TEST(f32_untied_v3)
{
    check_model("f32.gguf", "F32 0 3");
}
END_TEST

/* f16 tensors, tied (the vocabulary from tokenizer.ggml.tokens), format
 * version 2; also as a f16 model, where both paths convert the same
 * values and must agree. */
START_TEST(f16_tied_v2)
{
    const char *path = check_model("f16.gguf", "F16 1 2");
    char bin[600];
    double gguf[VOCAB], l2c[VOCAB];
    snprintf(bin, sizeof bin, "%s.hf.bin", path);
    LOGITS(path, "--dtype f16", gguf);
    LOGITS(bin, "--dtype f16", l2c);
    ASSERT_CLOSE(gguf, l2c, "f16 GGUF vs f16 llama2.c twin");
}
END_TEST

START_TEST(bf16_untied_v3)
{
    check_model("bf16.gguf", "BF16 0 3");
}
END_TEST

/* A GGUF file is known by its magic, not its name. */
START_TEST(renamed)
{
    double ref[VOCAB], got[VOCAB], tol;
    const char *path = write_model("named.gguf", "F32 0 3", ref, &tol);
    char *cmd;
    ck_assert(asprintf(&cmd, "cp %s %s/model.bin", path, tu_tmpdir()) > 0);
    ck_assert_int_eq(tu_sh(cmd, NULL, NULL), 0);
    char bin[600];
    snprintf(bin, sizeof bin, "%s/model.bin", tu_tmpdir());
    LOGITS(bin, "--dtype f32", got);
    ASSERT_CLOSE(got, ref, "renamed GGUF vs the Hugging Face reference");
    free(cmd);
}
END_TEST

/* q8_0 (_i = 0) and q4_0 (_i = 1) against the llama2.c file of their
 * dequantized weights and within the script's first-order bound of the
 * unquantized reference; q4_0's 15 steps per block make its logits move
 * more than q8_0's 255 (its bound is about 16 times q8_0's). */
START_TEST(quantized)
{
    static const char *const how[] = {"Q8_0 0 3", "Q4_0 1 3"};
    static const char *const name[] = {"q8_0", "q4_0"};
    static const double tol_lo[] = {0.01, 0.2}, tol_hi[] = {0.1, 1.6};
    double ref[VOCAB], gguf[VOCAB], deq[VOCAB], tol;
    char file[32], bin[600], what[128];
    snprintf(file, sizeof file, "%s.gguf", name[_i]);
    const char *path = write_model(file, how[_i], ref, &tol);
    snprintf(bin, sizeof bin, "%s.bin", path);
    LOGITS(path, "--dtype f32", gguf);
    LOGITS(bin, "--dtype f32", deq);
    snprintf(what, sizeof what, "%s GGUF vs the llama2.c file of its dequantized weights",
             name[_i]);
    ASSERT_CLOSE(gguf, deq, what);
    double d2 = 0, r2 = 0;
    for (int i = 0; i < VOCAB; i++) {
        d2 += (gguf[i] - ref[i]) * (gguf[i] - ref[i]);
        r2 += ref[i] * ref[i];
    }
    ck_assert_msg(tol > tol_lo[_i] && tol < tol_hi[_i], "%s: tolerance %g", name[_i], tol);
    ck_assert_msg(sqrt(d2 / r2) <= tol, "%s vs the unquantized reference: %g, bound %g",
                  name[_i], sqrt(d2 / r2), tol);
    ck_assert_msg(tu_rel_error(gguf, ref, VOCAB) > (_i ? 1e-3 : 1e-4), "%s logits equal the "
                  "f32 ones: the quantized values were not read", name[_i]);
    /* an int8 or int4 model re-quantizes the same f32 values on both paths */
    const char *dt = _i ? "--dtype int4 --group 16" : "--dtype int8";
    LOGITS(path, dt, gguf);
    LOGITS(bin, dt, deq);
    snprintf(what, sizeof what, "%s from %s GGUF vs from its dequantized twin", dt, name[_i]);
    ASSERT_CLOSE(gguf, deq, what);
}
END_TEST

/* A broken file: exit 2, one line naming the file and what. */
static void check_refused(const char *corrupt, const char *what)
{
    double ref[VOCAB], tol;
    char name[64], how[64];
    snprintf(name, sizeof name, "bad-%s.gguf", corrupt);
    snprintf(how, sizeof how, "F32 0 3 %s", corrupt);
    const char *path = write_model(name, how, ref, &tol);
    char *cmd;
    ck_assert(asprintf(&cmd, "logits --checkpoint %s --dtype f32 --tokens " TOKENS, path) > 0);
    tu_refused(cmd, path, what);
    free(cmd);
}

START_TEST(malformed)
{
    check_refused("magic", "magic");
    check_refused("version", "header version");
    check_refused("truncated", "truncated: metadata");
    check_refused("offset", "tensor output_norm.weight: data");
    check_refused("missing", "tensor output_norm.weight: missing");
    check_refused("type", "tensor blk.1.attn_k.weight: ggml type 99");
    check_refused("eps", "llama.attention.layer_norm_rms_epsilon");
}
END_TEST

/* export --checkpoint from, then the logits of both are the same text. */
static void check_export(const char *from)
{
    char out[600], *cmd, *err = NULL;
    snprintf(out, sizeof out, "%s.exported.bin", from);
    ck_assert(asprintf(&cmd, "export --checkpoint %s --out %s", from, out) > 0);
    int rc = tu_run(cmd, NULL, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err);
    char *want = logits_text(from, "--dtype f32"), *got = logits_text(out, "--dtype f32");
    ck_assert_msg(!strcmp(got, want), "%s: the exported file's logits differ", from);
    free(want);
    free(got);
    free(cmd);
    free(err);
}

START_TEST(export)
{
    double ref[VOCAB], tol;
    check_export(write_model("export-f16.gguf", "F16 1 3", ref, &tol));
    check_export(write_model("export-q8.gguf", "Q8_0 0 3", ref, &tol));
    check_export(write_model("export-q4.gguf", "Q4_0 1 3", ref, &tol));
    char dir[600];
    snprintf(dir, sizeof dir, "%s.hf", write_model("export-hf.gguf", "F32 0 3", ref, &tol));
    check_export(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gguf");
    TCase *tc = tcase_create("gguf");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, f32_untied_v3);
    tcase_add_test(tc, f16_tied_v2);
    tcase_add_test(tc, bf16_untied_v3);
    tcase_add_test(tc, renamed);
    tcase_add_loop_test(tc, quantized, 0, 2);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, export);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
