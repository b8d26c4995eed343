/* test_arch.c -- the model description: parameter counts against the
 * paper's tables and public model cards, schedules against their
 * definitions, and every kind of invalid spec through the CLI. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../arch/layout.h"
#include "../arch/schedule.h"
#include "../arch/spec.h"
#include "testutil.h"

/* Table 9/10 rows: size_class,layers,heads,dim,params_m,... The paper's
 * depth/width models are untied, multi-head (K = H), SwiGLU, vocab 32000
 * (paper-notes.md), and #Params counts matrices and embeddings only. */
static void check_depth_width_table(const char *file)
{
    FILE *f = fopen(tu_path(file), "r");
    ck_assert_msg(f != NULL, "cannot open %s", file);
    char line[512];
    int rows = 0;
    ck_assert(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char cls[16], L[16], H[16], D[16];
        double params_m;
        ck_assert_int_eq(sscanf(line, "%15[^,],%15[^,],%15[^,],%15[^,],%lf", cls, L, H,
                                D, &params_m), 5);
        char opts[128];
        snprintf(opts, sizeof opts, "layers=%s heads=%s dim=%s", L, H, D);
        arch_spec s = tu_spec(opts);
        arch_params p;
        ck_assert_int_eq(arch_params_count(&s, &p, NULL), LK_OK);
        ck_assert_msg(fabs(round(p.paper / 1e5) / 10 - params_m) < 1e-9,
                      "%s: %s layers x %s: lanky %.1fM, paper %.1fM", file, L, D,
                      p.paper / 1e6, params_m);
        rows++;
    }
    fclose(f);
    ck_assert_int_eq(rows, 19);
}

START_TEST(table9_params)
{
    check_depth_width_table("reports/paper-data/table9_depth_width.csv");
    check_depth_width_table("reports/paper-data/table10_depth_width_qa.csv");
}
END_TEST

/* MobileLLM-125M's model card: 124,635,456 parameters, norms included. */
START_TEST(mobilellm_125m_public_count)
{
    char *out;
    ck_assert_int_eq(tu_run("params --preset mobilellm-125m --format csv", &out, NULL), 0);
    char *nl = strchr(out, '\n');
    ck_assert(nl);
    /* first 15 columns are the contract's; params_total is the 13th */
    ck_assert(strncmp(out, "layers,dim,heads,kv_heads,head_dim,ffn,ffn_dim,vocab,tied,"
                           "share,repeat,executed_layers,params_total,params_paper,weight_bytes",
                      90) == 0);
    long long total, paper;
    ck_assert_int_eq(sscanf(nl + 1, "30,576,9,3,64,swiglu,1536,32000,1,none,1,30,%lld,%lld,",
                            &total, &paper), 2);
    ck_assert_int_eq(total, 124635456);
    ck_assert(fabs(round(paper / 1e5) / 10 - 124.6) < 1e-9);
    free(out);
}
END_TEST

/* The models phones ship, each against its published count, norms
 * included: MobileLLM-R1-140M 140,248,512 (tied, no QK-norm weights:
 * issue 16, from https://huggingface.co/facebook/MobileLLM-R1-140M); the
 * R1 card's table (github.com/facebookresearch/MobileLLM-R1) gives 359M
 * and 949M for -360M and -950M; MobileLLM-Pro's card "about 1.08B"
 * (https://huggingface.co/facebook/MobileLLM-Pro); SmolLM2 135M and 362M
 * (https://huggingface.co/HuggingFaceTB/SmolLM2-135M, -360M: 134.5M and
 * 361.8M as the Hub's safetensors counts); Qwen2.5-0.5B 0.49B of which
 * 0.36B non-embedding (https://huggingface.co/Qwen/Qwen2.5-0.5B); and
 * Llama-3.2-1B 1.23B (https://huggingface.co/meta-llama/Llama-3.2-1B:
 * 1,235,814,400 in its safetensors). Where a card gives only a short
 * figure the count is checked to its digits, truncated as the cards
 * truncate (949,685,760 is the R1 table's "949M"). */
START_TEST(phone_presets_public_counts)
{
    static const struct {
        const char *name;
        int64_t want, unit; /* the count to the card's precision */
    } card[] = {
        {"mobilellm-r1-140m", 140248512, 1},  {"mobilellm-r1-360m", 359, 1000000},
        {"mobilellm-r1-950m", 949, 1000000},  {"mobilellm-pro", 108, 10000000},
        {"smollm2-135m", 1345, 100000},       {"smollm2-360m", 3618, 100000},
        {"qwen2.5-0.5b", 49, 10000000},       {"llama3.2-1b", 1235814400, 1},
    };
    for (size_t i = 0; i < sizeof card / sizeof card[0]; i++) {
        lk_err e = {0};
        arch_spec s;
        arch_params p;
        ck_assert_int_eq(arch_spec_preset(&s, card[i].name, &e), 0);
        ck_assert_msg(arch_spec_finish(&s, &e) == 0, "%s", e.msg);
        ck_assert_int_eq(arch_params_count(&s, &p, &e), 0);
        ck_assert_msg(p.total / card[i].unit == card[i].want,
                      "%s: lanky %lld", card[i].name, (long long)p.total);
    }
    /* Qwen2.5-0.5B's 0.36B non-embedding parameters, through the CLI:
     * its tied embedding is 151936 x 896 = 136,134,656 of the 494,032,768,
     * leaving 357,898,112 */
    char *out;
    ck_assert_int_eq(tu_run("params --preset qwen2.5-0.5b --format csv", &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\n24,896,14,2,64,swiglu,4864,151936,1,none,1,24,494032768,"));
    ck_assert_ptr_nonnull(strstr(out, ",494.0,136134656,0,"));
    free(out);
}
END_TEST

static void expect_rejected(const char *args, const char *msg);

/* q/k/v biases add H*hd + 2*K*hd f32 values a block, in the attention
 * class, and no matrix parameters: a closed form on a small GQA model. */
START_TEST(attn_bias_params)
{
    arch_spec s = tu_spec("layers=3 dim=64 heads=4 kv_heads=2 head_dim=16 vocab=100"),
              b = tu_spec("layers=3 dim=64 heads=4 kv_heads=2 head_dim=16 vocab=100 "
                          "attn_bias=yes");
    arch_params p, q;
    ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
    ck_assert_int_eq(arch_params_count(&b, &q, NULL), 0);
    int64_t per_block = 4 * 16 + 2 * 2 * 16;
    ck_assert_int_eq(q.total - p.total, 3 * per_block);
    ck_assert_int_eq(q.by_class[ARCH_C_ATTN] - p.by_class[ARCH_C_ATTN], 3 * per_block);
    ck_assert_int_eq(q.paper, p.paper);
    ck_assert_int_eq((int64_t)(q.weight_bytes - p.weight_bytes), 4 * 3 * per_block);
    ck_assert_int_eq((int64_t)(q.block_bytes - p.block_bytes), 4 * per_block);
    /* a llama2.c checkpoint has no place for them: export refuses */
    expect_rejected("export --layers 1 --dim 8 --heads 2 --vocab 5 --attn-bias --out x.bin",
                    "attn_bias: llama2.c checkpoints hold no attention biases");
}
END_TEST

/* Paper Table 3 lists MobileLLM-125M as 125M and -350M as 345M. */
START_TEST(table3_sizes)
{
    lk_err e = {0};
    arch_spec s;
    arch_params p;
    ck_assert_int_eq(arch_spec_preset(&s, "mobilellm-350m", &e), 0);
    ck_assert_int_eq(arch_spec_finish(&s, &e), 0);
    ck_assert_int_eq(arch_params_count(&s, &p, &e), 0);
    ck_assert_int_eq((p.total + 500000) / 1000000, 345);
    ck_assert_int_eq(arch_spec_preset(&s, "mobilellm-125m", &e), 0);
    ck_assert_int_eq(arch_spec_finish(&s, &e), 0);
    ck_assert_int_eq(arch_params_count(&s, &p, &e), 0);
    ck_assert_int_eq((p.total + 500000) / 1000000, 125);
}
END_TEST

/* Closed forms for the bytes: f32 = 4 bytes a parameter; f16 and bf16 2
 * for matrices, 4 for norms; int8 1 per matrix element plus one f32
 * scale per matrix row. */
START_TEST(weight_bytes_per_dtype)
{
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 vocab=100");
    arch_params p;
    ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
    int64_t norms = p.by_class[ARCH_C_NORM], mats = p.paper;
    /* rows of all matrices: embedding 100, classifier 100, per block
     * q,k,v,o 64 each, w1 w3 256 (LLaMA rule for 64: 256), w2 64 */
    int64_t rows = 100 + 100 + 2 * (4 * 64 + 256 + 256 + 64);
    const int64_t want[] = {4 * (mats + norms), 2 * mats + 4 * norms,
                            2 * mats + 4 * norms, mats + 4 * rows + 4 * norms};
    for (int d = ARCH_F32; d <= ARCH_INT8; d++) {
        arch_spec sd = s;
        sd.dtype = d;
        ck_assert_int_eq(arch_params_count(&sd, &p, NULL), 0);
        ck_assert_int_eq((int64_t)p.weight_bytes, want[d]);
    }
}
END_TEST

/* --embed-dtype: the embedding (and an untied classifier) in their own
 * type, the other matrices in dtype's: closed form on a 2-layer model of
 * dim 64, 4 heads, vocab 100 (wq, wk, wv, wo: 64 x 64; w1, w3: 256 x 64
 * and w2: 64 x 256 by the LLaMA rule, 65,536 matrix weights a layer; 2
 * norms of 64 f32 per layer plus the final one). int4 layers, int8
 * tables: each table 100 x 64 bytes + 100 f32 scales. */
START_TEST(weight_bytes_embed_dtype)
{
    const uint64_t layer = 65536, norms = (2 * 2 + 1) * 64 * 4;
    const uint64_t int4 = 2 * (layer / 2 + layer / 32 * 2), table = 100 * 64 + 100 * 4;
    for (int tied = 0; tied < 2; tied++) {
        char opts[160];
        snprintf(opts, sizeof opts, "layers=2 dim=64 heads=4 vocab=100 dtype=int4 "
                 "embed_dtype=int8 tied=%d", tied);
        arch_spec s = tu_spec(opts);
        arch_params p;
        ck_assert_int_eq(arch_params_count(&s, &p, NULL), LK_OK);
        ck_assert_uint_eq(p.weight_bytes, int4 + norms + (tied ? 1 : 2) * table);
    }
    /* the option follows dtype unless given: the same bytes as no option */
    arch_spec a = tu_spec("layers=2 dim=64 heads=4 vocab=100 dtype=int8");
    arch_spec b = tu_spec("layers=2 dim=64 heads=4 vocab=100 dtype=int8 embed_dtype=int8");
    arch_params pa, pb;
    ck_assert_int_eq(arch_params_count(&a, &pa, NULL), LK_OK);
    ck_assert_int_eq(arch_params_count(&b, &pb, NULL), LK_OK);
    ck_assert_uint_eq(pa.weight_bytes, pb.weight_bytes);
    ck_assert_uint_eq(pa.weight_read_bytes, pb.weight_read_bytes);
}
END_TEST

/* int4: half a byte per matrix element plus one 2-byte f16 scale per
 * group of a row, i.e. per `group` elements; norms f32. The default
 * group is 32 (MobileLLM-Pro's). */
START_TEST(weight_bytes_int4)
{
    static const int64_t groups[] = {4, 16, 32, 64};
    for (int i = 0; i < 4; i++) {
        char opts[128];
        snprintf(opts, sizeof opts, "layers=2 dim=64 heads=4 vocab=100 dtype=int4 group=%lld",
                 (long long)groups[i]);
        arch_spec s = tu_spec(opts);
        arch_params p;
        ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
        int64_t mats = p.paper, norms = p.by_class[ARCH_C_NORM];
        ck_assert_int_eq((int64_t)p.weight_bytes, mats / 2 + 2 * (mats / groups[i]) + 4 * norms);
    }
    arch_spec s = tu_spec("layers=2 dim=64 heads=4 dtype=int4");
    ck_assert_int_eq(s.group, 32);
    /* lanky params: MobileLLM-125M has 124,600,320 matrix parameters and
     * 35,136 norm weights: 62,300,160 + 7,787,520 + 140,544 bytes */
    char *out, *err;
    ck_assert_int_eq(tu_run("params --preset mobilellm-125m --dtype int4 --format csv", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, ",70228224,"));
    free(out);
    free(err);
}
END_TEST

/* --group must fit every matrix's input dimension (dim, heads x head_dim,
 * ffn_dim) for int4, and is not checked for the other types. */
START_TEST(int4_group_refused)
{
    expect_rejected("params --layers 2 --dim 64 --heads 4 --dtype int4 --group 48",
                    "group: 48 does not divide dim 64");
    expect_rejected("params --layers 2 --dim 96 --heads 3 --ffn-dim 100 --dtype int4",
                    "group: 32 does not divide ffn_dim 100");
    expect_rejected("params --layers 2 --dim 64 --heads 2 --head-dim 40 --dtype int4",
                    "group: 32 does not divide heads x head_dim 80");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --dtype int4 --group 6",
                    "group: 6 is not a multiple of 4");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --dtype int4 --group 0",
                    "group: must be positive");
    char *out, *err;
    ck_assert_int_eq(tu_run("params --layers 2 --dim 64 --heads 4 --group 48", &out, &err), 0);
    free(out);
    free(err);
}
END_TEST

/* The bytes one decode token reads, by closed form: MobileLLM-125M's
 * block in f16 is q,o 576x576, k,v 576x192, w1,w3,w2 576x1536 (2 bytes)
 * and two f32 norms of 576; a token reads it in each of its 30 (LS: 60)
 * executed layers, the tied 32000x576 embedding as classifier, one
 * embedding row and the final norm. KV: 2 (K, V) x 3 heads x 64 x 2
 * bytes per layer and position, over ctx + 1 positions. */
START_TEST(read_bytes_per_token)
{
    const uint64_t block = 2 * (2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536) + 2 * 576 * 4;
    const uint64_t rest = 2 * 32000 * 576 + 2 * 576 + 576 * 4, kv = 2 * 3 * 64 * 2;
    static const char *const presets[] = {"mobilellm-125m", "mobilellm-ls-125m"};
    for (int i = 0; i < 2; i++) {
        arch_spec s;
        arch_params p;
        arch_spec_init(&s);
        ck_assert_int_eq(arch_spec_preset(&s, presets[i], NULL), 0);
        ck_assert_int_eq(arch_spec_set(&s, "ctx", "100", NULL), 0);
        ck_assert_int_eq(arch_spec_finish(&s, NULL), 0);
        ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
        uint64_t layers = 30 * (i + 1);
        ck_assert_uint_eq(p.weight_read_bytes, layers * block + rest);
        ck_assert_uint_eq(p.kv_read_bytes, layers * kv * 101);
    }
}
END_TEST

START_TEST(layout_matches_counts)
{
    arch_spec s = tu_spec("layers=3 dim=96 heads=6 kv_heads=2 ffn=relu dtype=int8");
    arch_layout l;
    arch_params p;
    ck_assert_int_eq(arch_layout_build(&l, &s, NULL), 0);
    ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
    uint64_t sum = 0;
    for (int64_t i = 0; i < l.n; i++) {
        ck_assert_int_eq(l.t[i].offset % ARCH_ALIGN, 0);
        if (i)
            ck_assert(l.t[i].offset >= l.t[i - 1].offset + l.t[i - 1].bytes);
        sum += l.t[i].bytes;
    }
    ck_assert_int_eq(sum, p.weight_bytes);
    ck_assert_int_eq(l.n, 1 + 3 * 8 + 2); /* ReLU blocks have no w3 */
    const arch_tensor *w2 = arch_layout_find(&l, ARCH_W_2, 1);
    ck_assert(w2 && w2->rows == 96 && w2->cols == 384 && w2->block == 1);
    ck_assert(arch_layout_find(&l, ARCH_W_3, 1) == NULL);
    ck_assert(arch_layout_find(&l, ARCH_W_CLS, -1) != NULL);
    ck_assert(arch_layout_find(&l, ARCH_W_RMS_FINAL, -1)->id == ARCH_W_RMS_FINAL);
    arch_layout_free(&l);
}
END_TEST

START_TEST(swiglu_rule)
{
    /* the four sizes paper-notes.md lists */
    ck_assert_int_eq(arch_swiglu_hidden(576), 1536);
    ck_assert_int_eq(arch_swiglu_hidden(960), 2560);
    ck_assert_int_eq(arch_swiglu_hidden(512), 1536);
    ck_assert_int_eq(arch_swiglu_hidden(1280), 3584);
}
END_TEST

/* ---- schedules ---------------------------------------------------------- */

static void expect_schedule(const char *args, const char *want)
{
    char cmd[256], *out;
    snprintf(cmd, sizeof cmd, "schedule --dim 64 --heads 4 %s", args);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_msg(strcmp(out, want) == 0, "%s: got '%s', want '%s'", args, out, want);
    free(out);
}

START_TEST(schedules_cli)
{
    expect_schedule("--layers 3 --share reverse", "0 1 2 2 1 0\n");
    expect_schedule("--layers 3", "0 1 2\n");
    expect_schedule("--layers 3 --share immediate", "0 0 1 1 2 2\n");
    expect_schedule("--layers 3 --share repeat-all-over", "0 1 2 0 1 2\n");
    expect_schedule("--layers 2 --share immediate --repeat 3", "0 0 0 1 1 1\n");
    expect_schedule("--layers 2 --share immediate --repeat 4", "0 0 0 0 1 1 1 1\n");
    expect_schedule("--layers 2 --share repeat-all-over --repeat 3", "0 1 0 1 0 1\n");
    expect_schedule("--layers 3 --share reverse --repeat 3", "0 1 2 2 1 0 0 1 2\n");
    expect_schedule("--layers 2 --share reverse --repeat 4", "0 1 1 0 0 1 1 0\n");
}
END_TEST

/* Properties every schedule must have, over many L and R: L*R layers,
 * each block run exactly R times; immediate repeats each block R times
 * in a row; the others are R passes over all blocks. */
START_TEST(schedule_properties)
{
    for (int share = ARCH_SHARE_IMMEDIATE; share <= ARCH_SHARE_REVERSE; share++)
        for (int L = 1; L <= 7; L++)
            for (int R = 1; R <= 5; R++) {
                arch_spec s;
                arch_spec_init(&s);
                s.layers = L, s.dim = 8, s.heads = 1, s.share = share, s.repeat = R;
                ck_assert_int_eq(arch_spec_finish(&s, NULL), 0);
                ck_assert_int_eq(arch_executed_layers(&s), L * R);
                int64_t b[35];
                int count[7] = {0};
                arch_schedule(&s, b);
                for (int i = 0; i < L * R; i++) {
                    ck_assert(b[i] >= 0 && b[i] < L);
                    count[b[i]]++;
                    if (share == ARCH_SHARE_IMMEDIATE)
                        ck_assert_int_eq(b[i], i / R);
                    else if (share == ARCH_SHARE_REPEAT_ALL_OVER || (i / L) % 2 == 0)
                        ck_assert_int_eq(b[i], i % L);
                    else
                        ck_assert_int_eq(b[i], L - 1 - i % L);
                }
                for (int k = 0; k < L; k++)
                    ck_assert_int_eq(count[k], R);
            }
}
END_TEST

/* ---- config.json ---------------------------------------------------------- */

static const char *write_config(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_tmpdir(), name);
    tu_write(path, text);
    return path;
}

/* MobileLLM-125M's published config.json (the keys lanky reads). */
static const char mobilellm_config[] =
    "{\"architectures\": [\"MobileLLMForCausalLM\"], \"hidden_act\": \"silu\","
    " \"hidden_size\": 576, \"intermediate_size\": 1536,"
    " \"max_position_embeddings\": 2048, \"num_attention_heads\": 9,"
    " \"num_hidden_layers\": 30, \"num_key_value_heads\": 3, \"head_dim\": 64,"
    " \"share_embedding\": true, \"tie_word_embeddings\": false,"
    " \"layer_sharing\": %s, \"vocab_size\": 32000, \"rms_norm_eps\": 1e-05}";

START_TEST(config_matches_preset)
{
    char text[1024], args[700], *out_c, *out_p;
    snprintf(text, sizeof text, mobilellm_config, "true");
    snprintf(args, sizeof args, "params --config %s --format csv",
             write_config("config.json", text));
    ck_assert_int_eq(tu_run(args, &out_c, NULL), 0);
    ck_assert_int_eq(tu_run("params --preset mobilellm-ls-125m --format csv", &out_p, NULL), 0);
    /* identical up to the name column */
    char *a = strstr(out_c, "\n"), *b = strstr(out_p, "\n");
    ck_assert(strncmp(a, b, strstr(b, "mobilellm") - b) == 0);
    ck_assert(strstr(a, ",immediate,2,60,124635456,"));
    free(out_c);
    free(out_p);
}
END_TEST

/* ---- invalid specs ---------------------------------------------------------- */

static void expect_rejected(const char *args, const char *msg)
{
    char *out, *err;
    int st = tu_run(args, &out, &err);
    ck_assert_msg(st == 2, "'%s' exited %d, want 2 (stderr: %s)", args, st, err);
    ck_assert_msg(strncmp(err, "lanky: ", 7) == 0 && strstr(err, msg),
                  "'%s': stderr '%s' does not name '%s'", args, err, msg);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "'%s': not one line: %s", args, err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}

START_TEST(invalid_specs)
{
    expect_rejected("params --layers 0 --dim 64 --heads 4", "layers: must be positive");
    expect_rejected("params --layers -3 --dim 64 --heads 4", "layers: must be positive");
    expect_rejected("params --layers 2 --dim 0 --heads 4", "dim: must be positive");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --vocab 0", "vocab: must be positive");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --ffn-dim -1", "ffn_dim: must be positive");
    expect_rejected("params --layers 2 --dim 64", "heads: missing");
    expect_rejected("params --layers 2 --dim 100 --heads 3", "heads: 3 does not divide dim 100");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --kv-heads 3", "kv_heads: 3 does not divide heads 4");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --share immediate --repeat 0", "repeat: must be positive");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --repeat 2", "repeat: 2 needs a sharing strategy");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --dtype f8", "dtype: 'f8' is not one of");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --share sideways", "share: 'sideways'");
    expect_rejected("params --layers 2x --dim 64 --heads 4", "lanky: layers: '2x' is not an integer");
    expect_rejected("params --layers 99999999999999999999 --dim 64 --heads 4", "layers: '99999999999999999999' is not an integer");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --ctx 2048", "ctx: 2048 is outside");
    expect_rejected("params --layers 2 --dim 64 --heads 4 --ctx -1", "ctx: must be 0 or more, not -1");
    expect_rejected("params --layers 16384 --dim 262144 --heads 1 --ffn-dim 2 --seq-len 2147483647",
                    "seq_len: the KV cache of this model overflows");
    expect_rejected("params --layers 2 --dim 3000000000 --heads 4", "dim: 3000000000 is too large");
    expect_rejected("params --preset mobilellm-9b", "preset: unknown model 'mobilellm-9b'");
    expect_rejected("params --preset mobilellm-125m --frobnicate", "--frobnicate: unknown option");
    expect_rejected("params --preset mobilellm-125m -x", "-x: unknown option");
    expect_rejected("params --preset mobilellm-125m --hea 4",
                    "--hea: ambiguous, could be --heads, --head-dim");
    expect_rejected("params --preset mobilellm-125m --tied=yes", "--tied: takes no value");
    expect_rejected("params --preset", "--preset: option needs a value");
    expect_rejected("params --preset ''", "--preset: empty value");
    expect_rejected("params --config=", "--config: empty value");
    expect_rejected("params", "no model given");
    expect_rejected("nosuchcommand", "nosuchcommand: unknown command");
}
END_TEST

/* Layers are bounded, so that every command finishes quickly: a command
 * walks the tensors of every block and the state of every executed layer. */
START_TEST(layer_bounds)
{
    char *out;
    ck_assert_int_eq(tu_run("params --layers 16384 --dim 2 --heads 1 --vocab 1 --seq-len 1 --ctx 0",
                            &out, NULL), 0);
    free(out);
    expect_rejected("params --layers 16385 --dim 2 --heads 1", "layers: 16385 is too large (at most 16384)");
    expect_rejected("params --layers 200000000 --dim 2 --heads 1 --vocab 1 --seq-len 1 --ctx 0",
                    "layers: 200000000 is too large");
    ck_assert_int_eq(tu_run("schedule --layers 16384 --dim 2 --heads 1 --share immediate --repeat 4",
                            &out, NULL), 0);
    free(out);
    expect_rejected("schedule --layers 16384 --dim 2 --heads 1 --share reverse --repeat 5",
                    "repeat: 5 x 16384 layers is more than 65536 executed layers");
    expect_rejected("schedule --layers 128 --dim 2 --heads 1 --vocab 1 --share immediate"
                    " --repeat 2147483647 --seq-len 1 --ctx 0", "repeat: 2147483647 x 128 layers");
}
END_TEST

/* Products of sizes are bounded too: wq's rows are ints like every size,
 * and every matrix has at most ARCH_MAX_MATRIX elements. The message names
 * the fields that multiply. */
START_TEST(matrix_bounds)
{
    expect_rejected("params --layers 1 --dim 4 --heads 2147483647 --head-dim 2147483646 --kv-heads 1 --vocab 1",
                    "heads x head_dim: 2147483647 x 2147483646 is too large (at most 2147483647)");
    expect_rejected("params --layers 1 --dim 1048576 --heads 1 --ffn-dim 2 --vocab 1",
                    "heads x head_dim x dim: 1048576 x 1048576 is too large (at most 68719476736)");
    expect_rejected("params --layers 1 --dim 64 --heads 1 --ffn-dim 2147483647 --vocab 1",
                    "ffn_dim x dim: 2147483647 x 64 is too large");
    expect_rejected("params --layers 1 --dim 2147483646 --heads 1 --head-dim 2 --ffn-dim 2 --vocab 2147483647",
                    "vocab x dim: 2147483647 x 2147483646 is too large");
    expect_rejected("params --layers 1 --dim 2147483646 --heads 1",
                    "ffn_dim (derived from dim): 5726623232 is too large");
    expect_rejected("params --layers 1 --dim 1048576 --heads 1024 --head-dim 2 --vocab 1",
                    "ffn_dim (derived from dim) x dim: 2796288 x 1048576 is too large");
    /* The largest model: every count below 2^62, even the weights a token
     * streams through its executed layers. */
    arch_spec s = tu_spec("layers=16384 dim=262144 heads=1 ffn_dim=262144 vocab=262144 dtype=f32"
                          " share=immediate repeat=4 seq_len=1");
    arch_params p;
    ck_assert_int_eq(arch_params_count(&s, &p, NULL), 0);
    uint64_t m = 4 * ARCH_MAX_MATRIX, norm = 4 * 262144;
    ck_assert_uint_eq(p.block_bytes, 7 * m + 2 * norm);
    ck_assert_uint_eq(p.weight_bytes, ARCH_MAX_LAYERS * p.block_bytes + 2 * m + norm);
    ck_assert_uint_lt(p.block_bytes * ARCH_MAX_EXECUTED, UINT64_C(1) << 62);
    ck_assert_int_eq(arch_executed_layers(&s), ARCH_MAX_EXECUTED);
}
END_TEST

/* Every command's help: -h and --help print the same usage, exit 0,
 * and nothing goes to stderr. */
START_TEST(help_flags)
{
    static const char *const cmds[] = {"params", "schedule", "sim", "bench", "logits",
                                       "export", "probe", "sweep", "report"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char args[64], want[64], *a, *b, *err;
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        ck_assert_int_eq(tu_run(args, &a, NULL), 0);
        snprintf(args, sizeof args, "%s -h", cmds[i]);
        ck_assert_int_eq(tu_run(args, &b, &err), 0);
        snprintf(want, sizeof want, "usage: lanky %s ", cmds[i]);
        ck_assert_msg(strncmp(a, want, strlen(want)) == 0, "%s", a);
        ck_assert_str_eq(a, b);
        ck_assert_str_eq(err, "");
        free(a);
        free(b);
        free(err);
    }
}
END_TEST

/* The config text, written to a file called name, is refused with a
 * message naming the file's path and then msg ("path: msg", or
 * "path:msg" when msg starts with a line number). */
static void expect_config_rejected(const char *name, const char *text, const char *msg)
{
    char args[700], want[700];
    const char *path = write_config(name, text);
    snprintf(args, sizeof args, "params --config %s", path);
    snprintf(want, sizeof want, "%s%s%s", path, isdigit((unsigned char)*msg) ? ":" : ": ", msg);
    expect_rejected(args, want);
}

START_TEST(invalid_configs)
{
    /* a parse error says where, as line:column (1-based) */
    expect_config_rejected("truncated.json", "{\"hidden_size\": 576, \"num_hidden",
                           "1:23: not a JSON object");
    expect_config_rejected("text.json", "hello", "1:1: not a JSON object");
    expect_config_rejected("brace.json", "{\"hidden_size\": 64}}", "1:20: not a JSON object");
    expect_config_rejected("trailing.json", "{\"hidden_size\": 64} trailing",
                           "1:21: not a JSON object");
    expect_config_rejected("two.json", "{\"hidden_size\": 64}\n{}\n", "2:1: not a JSON object");
    expect_config_rejected("array.json", "[1, 2]", "1:7: not a JSON object (a JSON value, but");
    expect_config_rejected("type.json", "{\"hidden_size\": \"576\", \"num_hidden_layers\": 2,"
                                        " \"num_attention_heads\": 4}",
                           "hidden_size: expected an integer");
    expect_config_rejected("frac.json", "{\"hidden_size\": 57.5}", "hidden_size: expected an integer");
    expect_config_rejected("bool.json", "{\"hidden_size\": 64, \"num_hidden_layers\": 2,"
                                        " \"num_attention_heads\": 4, \"share_embedding\": 1}",
                           "share_embedding: expected true or false");
    expect_config_rejected("act.json", "{\"hidden_act\": \"gelu\"}", "hidden_act: 'gelu'");
    expect_config_rejected("twice.json", "{\"hidden_size\": 64, \"num_hidden_layers\": 2,"
                                         " \"num_attention_heads\": 4, \"hidden_size\": 128}",
                           "hidden_size: given twice");
    expect_config_rejected("twice_act.json", "{\"hidden_act\": \"relu\", \"hidden_act\": \"silu\"}",
                           "hidden_act: given twice");
    expect_rejected("params --config /nonexistent/config.json", "/nonexistent/config.json:");
    /* a NUL byte would hide what follows from the parser */
    char path[512], args[600];
    snprintf(path, sizeof path, "%s/nul.json", tu_tmpdir());
    FILE *f = fopen(path, "wb");
    ck_assert(f && fwrite("{}\0{\"hidden_size\": 64}", 1, 22, f) == 22 && fclose(f) == 0);
    snprintf(args, sizeof args, "params --config %s --layers 2 --dim 64 --heads 4", path);
    expect_rejected(args, "nul.json:1:3: not a JSON object");
}
END_TEST

/* A size a config lacks is missing from the file, unless an option gives it. */
START_TEST(config_missing)
{
    expect_config_rejected("nodim.json", "{\"num_hidden_layers\": 2, \"num_attention_heads\": 4}",
                           "hidden_size: missing (give --dim N)");
    expect_config_rejected("nolayers.json", "{\"hidden_size\": 64, \"num_attention_heads\": 4}",
                           "num_hidden_layers: missing (give --layers N)");
    expect_config_rejected("noheads.json", "{\"hidden_size\": 64, \"num_hidden_layers\": 2}",
                           "num_attention_heads: missing (give --heads N)");
    char args[700], *out;
    snprintf(args, sizeof args, "params --config %s --dim 64",
             write_config("nodim.json", "{\"num_hidden_layers\": 2, \"num_attention_heads\": 4}"));
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    free(out);
}
END_TEST

/* Every size in a config is 1..INT_MAX: zero, negative (-1 once read as
 * "unset") and out-of-range numbers are refused, naming the key. */
START_TEST(config_sizes)
{
    static const char *const keys[] = {
        "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings"};
    static const char *const bad[] = {"-1", "0", "2147483648", "1e400", "-1e400", "1e19"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
            char text[128], msg[128];
            snprintf(text, sizeof text, "{\"%s\": %s}", keys[k], bad[b]);
            snprintf(msg, sizeof msg, "%s: expected an integer from 1 to 2147483647", keys[k]);
            expect_config_rejected("size.json", text, msg);
        }
}
END_TEST

/* Options after --preset override it; so do options before it. */
START_TEST(options_override_preset)
{
    const char *kv[] = {"dtype", "int8", "preset", "mobilellm-125m", "layers", "12", NULL};
    arch_spec s;
    lk_err e = {0};
    arch_spec_init(&s);
    /* through the CLI, which applies the preset first */
    char *out;
    ck_assert_int_eq(tu_run("params --dtype int8 --preset mobilellm-125m --layers 12 --format csv",
                            &out, NULL), 0);
    ck_assert(strstr(out, "\n12,576,9,3,64,swiglu,1536,32000,1,none,1,12,"));
    ck_assert(strstr(out, ",int8,"));
    free(out);
    /* arch_spec_set applies in order: a later preset overwrites */
    for (const char *const *p = kv; *p; p += 2)
        ck_assert_int_eq(arch_spec_set(&s, p[0], p[1], &e), 0);
    ck_assert_int_eq(s.layers, 12);
    ck_assert_int_eq(s.dtype, ARCH_F16);
}
END_TEST

/* A size is digits with an optional '-': strtoll would also take a '+'
 * and leading spaces, which were accepted while a trailing space was
 * refused. */
START_TEST(integers_digits_only)
{
    const char *bad[] = {"+5", " 5", "5 ", "\t5", "+-5"};
    for (int i = 0; i < 5; i++) {
        arch_spec s;
        arch_spec_init(&s);
        lk_err e = {0};
        ck_assert_int_eq(arch_spec_set(&s, "layers", bad[i], &e), LK_EINPUT);
        ck_assert_msg(strstr(e.msg, "layers: '") && strstr(e.msg, "is not an integer"),
                      "'%s': %s", bad[i], e.msg);
    }
}
END_TEST

/* Every text input through the shared opener: a FIFO is refused without
 * blocking (a reader would wait forever for a writer) and a file over
 * LK_INFILE_MAX_BYTES (a sparse 65 MB file) before it is read, in one
 * line naming the file, exit 2. */
START_TEST(inputs_not_fifo_not_huge)
{
    char fifo[600], big[600], cmd[2000], *out, *err;
    snprintf(fifo, sizeof fifo, "%s/in.fifo", tu_tmpdir());
    snprintf(big, sizeof big, "%s/big.ini", tu_tmpdir());
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    FILE *f = fopen(big, "w");
    ck_assert(f && fseek(f, 65 << 20, SEEK_SET) == 0 && fputc('\n', f) == '\n');
    fclose(f);
    const char *form[] = {"params --config %s", "sim --layers 2 --dim 64 --heads 4 --profile %s",
                          "sweep %s --profiles a15"};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            const char *path = j ? big : fifo;
            snprintf(cmd, sizeof cmd, form[i], path);
            ck_assert_int_eq(tu_run(cmd, &out, &err), 2);
            ck_assert_msg(strstr(err, path) && strstr(err, j ? "larger than the 64 MB limit"
                                                             : "not a regular file") &&
                          strchr(err, '\n') == err + strlen(err) - 1, "%s: %s", cmd, err);
            ck_assert_str_eq(out, "");
            free(out);
            free(err);
        }
}
END_TEST

/* The printed forms of one table agree, read back by python3's json and
 * by splitting the Markdown: jsonl is json's array one object per line,
 * md has a header, an alignment row (numbers right-aligned) and the same
 * cells. */
START_TEST(formats_agree)
{
    char path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/formats.py", tu_tmpdir());
    tu_write(path, "import json, subprocess, sys\n"
                   "run = lambda f: subprocess.run([sys.argv[1], 'params', '--preset', "
                   "'mobilellm-125m', '--format', f], capture_output=True, text=True, "
                   "check=True).stdout\n"
                   "arr = json.loads(run('json'))\n"
                   "lines = [json.loads(l) for l in run('jsonl').splitlines()]\n"
                   "assert lines == arr and len(arr) == 1, (lines, arr)\n"
                   "md = run('md').splitlines()\n"
                   "cells = lambda l: [c.strip() for c in l.strip('|').split('|')]\n"
                   "head, align, row = cells(md[0]), cells(md[1]), cells(md[2])\n"
                   "assert head == list(arr[0]), head\n"
                   "for h, a, v in zip(head, align, row):\n"
                   "    assert v == str(arr[0][h]), (h, v)\n"
                   "    assert a == ('---:' if isinstance(arr[0][h], (int, float)) else ':---'), (h, a)\n");
    snprintf(cmd, sizeof cmd, "python3 %s \"$LANKY_BIN\"", path);
    ck_assert_int_eq(tu_sh(cmd, NULL, NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("arch");
    TCase *tc = tcase_create("arch");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, table9_params);
    tcase_add_test(tc, mobilellm_125m_public_count);
    tcase_add_test(tc, table3_sizes);
    tcase_add_test(tc, phone_presets_public_counts);
    tcase_add_test(tc, attn_bias_params);
    tcase_add_test(tc, weight_bytes_per_dtype);
    tcase_add_test(tc, weight_bytes_int4);
    tcase_add_test(tc, weight_bytes_embed_dtype);
    tcase_add_test(tc, int4_group_refused);
    tcase_add_test(tc, layout_matches_counts);
    tcase_add_test(tc, read_bytes_per_token);
    tcase_add_test(tc, swiglu_rule);
    tcase_add_test(tc, schedules_cli);
    tcase_add_test(tc, schedule_properties);
    tcase_add_test(tc, config_matches_preset);
    tcase_add_test(tc, invalid_specs);
    tcase_add_test(tc, layer_bounds);
    tcase_add_test(tc, matrix_bounds);
    tcase_add_test(tc, help_flags);
    tcase_add_test(tc, invalid_configs);
    tcase_add_test(tc, config_sizes);
    tcase_add_test(tc, config_missing);
    tcase_add_test(tc, options_override_preset);
    tcase_add_test(tc, integers_digits_only);
    tcase_add_test(tc, inputs_not_fifo_not_huge);
    tcase_add_test(tc, formats_agree);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
