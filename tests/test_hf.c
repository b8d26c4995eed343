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

/* Model `name` (hf_model.py's `how`): the reference logits, and lanky's
 * with opts of the folder and of its llama2.c twin. */
static void folder_and_twin(const char *name, const char *how, const char *opts, double *ref,
                            double *hf, double *l2c)
{
    const char *dir = write_model(name, how, ref);
    char bin[600];
    snprintf(bin, sizeof bin, "%s.bin", dir);
    lanky_logits(dir, opts, hf);
    lanky_logits(bin, opts, l2c);
}

/* The folder and its llama2.c twin against the reference, in f32. */
static void check_model(const char *name, const char *how)
{
    double ref[VOCAB], hf[VOCAB], l2c[VOCAB];
    folder_and_twin(name, how, "--dtype f32", ref, hf, l2c);
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
    folder_and_twin("f16", "F16 0 3", "--dtype f16", ref, hf, l2c);
    assert_close(hf, l2c, "f16 folder vs f16 llama2.c file");
}
END_TEST

/* A folder with what a llama2.c file cannot hold matches the reference
 * in f32, and its llama2.c twin (written without it) does not. */
static void check_beyond_llama2c(const char *name, const char *how, const char *what)
{
    double ref[VOCAB], hf[VOCAB], l2c[VOCAB];
    folder_and_twin(name, how, "--dtype f32", ref, hf, l2c);
    assert_close(hf, ref, what);
    ck_assert_msg(tu_rel_error(l2c, ref, VOCAB) > 1e-3, "%s: the llama2.c twin agrees too",
                  what);
}

/* q/k/v biases (Qwen2's, config.json attention_bias true), which the
 * reference adds before RoPE: the q and k biases were re-ordered with
 * their rows. */
START_TEST(f32_biased)
{
    check_beyond_llama2c("bias", "F32 0 1 bias", "biased folder vs the Hugging Face reference");
}
END_TEST

/* rope_theta 500000 (Llama 3's; a llama2.c file runs 10000), and Llama
 * 3.1's rope_scaling (rope_type llama3) with bands that split this
 * model's four frequencies three ways. */
START_TEST(f32_rope_theta)
{
    check_beyond_llama2c("theta", "F32 0 1 theta",
                         "rope_theta 500000 folder vs the Hugging Face reference");
    check_beyond_llama2c("llama3", "F32 0 1 llama3",
                         "rope_scaling llama3 folder vs the Hugging Face reference");
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

/* `lanky params --config FILE` with the keys of the configs phones
 * ship, trimmed to those lanky reads, in tests/data (each copied from the
 * real one: https://huggingface.co/facebook/MobileLLM-R1-140M, whose
 * intermediate_size 8192 is the unused mixture-of-experts width and
 * intermediate_size_mlp 2048 the FFN's; .../facebook/MobileLLM-Pro, with
 * its layer_types and sliding_window; .../Qwen/Qwen2.5-0.5B, type qwen2
 * with no attention_bias key but q/k/v biases, and a sliding_window that
 * use_sliding_window false leaves unused; .../meta-llama/Llama-3.2-1B with
 * its llama3 rope_scaling, which changes no size), each .../config.json.
 * Each must give the figures of its preset, whose counts test_arch.c
 * checks against the model cards, name aside; and R1-140M the card's
 * 140,248,512 directly. */
static char *params_row(const char *spec, const char *name)
{
    char *cmd, *out;
    ck_assert(asprintf(&cmd, "params %s --format csv", spec) > 0);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    char *row = strchr(out, '\n'), *at = strstr(row, name);
    ck_assert_msg(row && at, "%s: no %s in %s", cmd, name, out);
    memmove(at, at + strlen(name), strlen(at + strlen(name)) + 1);
    free(cmd);
    return out;
}

START_TEST(config_keys)
{
    static const char *const models[] = {"mobilellm-r1-140m", "mobilellm-pro", "qwen2.5-0.5b",
                                         "llama3.2-1b"};
    for (int i = 0; i < 4; i++) {
        char spec[600], name[64];
        snprintf(name, sizeof name, "%s-config.json", models[i]);
        snprintf(spec, sizeof spec, "--config %s/%s", tu_path("tests/data"), name);
        char *c = params_row(spec, name);
        snprintf(spec, sizeof spec, "--preset %s", models[i]);
        char *p = params_row(spec, models[i]);
        ck_assert_str_eq(c, p);
        if (i == 0)
            ck_assert_ptr_nonnull(strstr(c, ",15,140248512,"));
        free(c);
        free(p);
    }
    /* a layer_types list none of lanky's patterns gives: 1 and 2 global */
    char path[600];
    snprintf(path, sizeof path, "%s/types.json", tu_tmpdir());
    tu_write(path, "{\"num_hidden_layers\": 4, \"hidden_size\": 64, \"num_attention_heads\": 4,\n"
                   " \"sliding_window\": 8, \"layer_types\": [\"sliding_attention\",\n"
                   " \"full_attention\", \"full_attention\", \"sliding_attention\"]}\n");
    char *cmd;
    ck_assert(asprintf(&cmd, "params --config %s", path) > 0);
    tu_refused(cmd, path, "layer_types: not a pattern lanky has");
    free(cmd);
}
END_TEST

/* config.json of a folder given a rope_scaling of rope_type type, with
 * Llama 3's factors but no original_max_position_embeddings. */
static void set_rope_scaling(const char *config, const char *type)
{
    char *cmd;
    ck_assert(asprintf(&cmd, "python3 -c \"import json, sys; p = sys.argv[1]; c = json.load(open(p)); "
                       "c['rope_scaling'] = {'rope_type': sys.argv[2], 'factor': 32.0, "
                       "'low_freq_factor': 1.0, 'high_freq_factor': 4.0}; "
                       "json.dump(c, open(p, 'w'))\" %s %s", config, type) > 0);
    ck_assert_int_eq(tu_sh(cmd, NULL, NULL), 0);
    free(cmd);
}

/* A checkpoint whose config.json has a rope_scaling lanky's reference
 * does not compute (YaRN's) is refused with one line naming the key, exit
 * 2; so is a llama3 one without its original_max_position_embeddings. */
START_TEST(rope_scaling_refused)
{
    double ref[VOCAB];
    const char *dir = write_model("rope", "F32 0 1", ref);
    char *cmd, path[700];
    snprintf(path, sizeof path, "%s/config.json", dir);
    ck_assert(asprintf(&cmd, "logits --checkpoint %s --dtype f32 --tokens " TOKENS, dir) > 0);
    set_rope_scaling(path, "yarn");
    tu_refused(cmd, path, "rope_scaling: lanky's reference runs none but rope_type llama3");
    set_rope_scaling(path, "llama3");
    tu_refused(cmd, path, "rope_scaling: original_max_position_embeddings: missing");
    free(cmd);
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
    tcase_add_test(tc, f32_biased);
    tcase_add_test(tc, f32_rope_theta);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, config_keys);
    tcase_add_test(tc, rope_scaling_refused);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
