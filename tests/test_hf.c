/* test_hf.c -- Hugging Face folders (ref/hf.h) through `lanky logits
 * --checkpoint DIR`: tests/hf_model.py writes a tiny random llama model
 * (config.json + safetensors, F32, BF16 and a sharded F16 one) and the
 * same weights as a llama2.c file, and computes the logits with its own
 * pure-Python implementation of Hugging Face's convention (rotate-half
 * RoPE on the stored q/k). lanky's logits must match that reference and
 * the llama2.c path to 1e-5 of the largest logit (per-logit relative
 * error is meaningless for logits near zero; f32 against the reference's
 * doubles is ~2e-7 here). Malformed folders exit 2 with one line naming
 * the file and the tensor (or config.json's key lanky cannot run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define TOKENS "3,1,4,1,5"
#define VOCAB 37 /* hf_model.py's */

/* Write model `name` (hf_model.py DTYPE TIED SHARDS [CORRUPT]) in the
 * temporary folder; returns its path and the reference logits. */
static const char *write_model(const char *name, const char *how, double *ref)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tu_tmpdir(), name);
    char *cmd, *out = NULL, *err = NULL;
    ck_assert(asprintf(&cmd, "mkdir -p %s && python3 %s %s %s --tokens " TOKENS, dir,
                       tu_path("tests/hf_model.py"), dir, how) > 0);
    int rc = tu_sh(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err);
    tu_numbers(out, VOCAB, ref);
    free(cmd);
    free(out);
    free(err);
    return dir;
}

static void lanky_logits(const char *path, const char *opts, double *got)
{
    tu_logits(path, opts, TOKENS, VOCAB, got);
}

static void assert_close(const double *got, const double *want, const char *what)
{
    tu_assert_close(got, want, VOCAB, 1e-5, what);
}

/* The folder and its llama2.c twin against the reference, in f32. */
static void check_model(const char *name, const char *how)
{
    double ref[VOCAB], hf[VOCAB], l2c[VOCAB];
    const char *dir = write_model(name, how, ref);
    char bin[600];
    snprintf(bin, sizeof bin, "%s.bin", dir);
    lanky_logits(dir, "--dtype f32", hf);
    lanky_logits(bin, "--dtype f32", l2c);
    assert_close(hf, ref, "folder vs the Hugging Face reference");
    assert_close(l2c, ref, "llama2.c file vs the Hugging Face reference");
    assert_close(hf, l2c, "folder vs llama2.c file");
}

START_TEST(f32_untied)
{
    check_model("f32", "F32 0 1");
}
END_TEST

START_TEST(bf16_tied)
{
    check_model("bf16", "BF16 1 1");
}
END_TEST

/* Sharded F16; also loaded as a f16 model, where both paths convert the
 * same f32 values to f16 and must agree with each other. */
START_TEST(f16_sharded)
{
    check_model("f16", "F16 0 3");
    double ref[VOCAB], hf[VOCAB], l2c[VOCAB];
    const char *dir = write_model("f16", "F16 0 3", ref);
    char bin[600];
    snprintf(bin, sizeof bin, "%s.bin", dir);
    lanky_logits(dir, "--dtype f16", hf);
    lanky_logits(bin, "--dtype f16", l2c);
    assert_close(hf, l2c, "f16 folder vs f16 llama2.c file");
}
END_TEST

/* A broken folder: exit 2, one line naming file and what. */
static void check_refused(const char *name, const char *how, const char *file,
                          const char *what)
{
    double ref[VOCAB];
    const char *dir = write_model(name, how, ref);
    char *cmd, path[700];
    ck_assert(asprintf(&cmd, "logits --checkpoint %s --dtype f32 --tokens " TOKENS, dir) > 0);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    tu_refused(cmd, path, what);
    free(cmd);
}

START_TEST(malformed)
{
    check_refused("bad-header", "F32 0 1 header", "model.safetensors", "header length");
    check_refused("bad-offsets", "F32 0 1 offsets", "model.safetensors", "model.norm.weight");
    check_refused("missing", "F32 0 1 missing", "model.safetensors", "model.norm.weight");
    check_refused("missing-sharded", "F32 0 2 missing", "model.safetensors.index.json",
                  "model.norm.weight");
    check_refused("bad-shape", "BF16 0 1 shape", "model.safetensors",
                  "model.layers.1.self_attn.k_proj.weight");
    check_refused("bad-eps", "F32 0 1 eps", "config.json", "rms_norm_eps");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hf");
    TCase *tc = tcase_create("hf");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, f32_untied);
    tcase_add_test(tc, bf16_tied);
    tcase_add_test(tc, f16_sharded);
    tcase_add_test(tc, malformed);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
