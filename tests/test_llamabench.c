/* test_llamabench.c -- lanky bench's llama-bench records: the test labels
 * llama-bench prints for given -p/-n/-d, and each record's statistics
 * computed here by hand, from the same run's samples_ns, with
 * llama-bench's formulas (llama.cpp tools/llama-bench: samples_ts =
 * (n_prompt + n_gen) * 1e9 / ns, mean, and the sample standard deviation
 * with n - 1, 0 for one run), written out below rather than taken from
 * common/stats.c. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define SMALL "--layers 2 --dim 64 --heads 4 --kv-heads 2 --vocab 97 --seq-len 32 --threads 1"

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", k);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", k);
    return v->valuestring;
}

/* The record's samples against the hand computation; returns the runs. */
static int check_record(const cJSON *r)
{
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(r, "samples_ns");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r, "samples_ts");
    ck_assert(cJSON_IsArray(ns) && cJSON_IsArray(ts));
    int n = cJSON_GetArraySize(ns);
    ck_assert_int_ge(n, 1);
    ck_assert_int_eq(cJSON_GetArraySize(ts), n);
    double tokens = num(r, "n_prompt") + num(r, "n_gen");
    double x[100], sum_ns = 0, sum_ts = 0;
    ck_assert_int_le(n, 100);
    for (int i = 0; i < n; i++) {
        double t = cJSON_GetArrayItem(ns, i)->valuedouble;
        ck_assert_msg(t > 0 && t == floor(t), "samples_ns[%d] = %f: whole ns", i, t);
        x[i] = tokens * 1e9 / t;
        /* printed to 9 significant digits */
        ck_assert_double_eq_tol(cJSON_GetArrayItem(ts, i)->valuedouble, x[i], x[i] * 1e-8);
        sum_ns += t;
        sum_ts += x[i];
    }
    double mean_ns = sum_ns / n, mean_ts = sum_ts / n, ss_ns = 0, ss_ts = 0;
    for (int i = 0; i < n; i++) {
        double t = cJSON_GetArrayItem(ns, i)->valuedouble;
        ss_ns += (t - mean_ns) * (t - mean_ns);
        ss_ts += (x[i] - mean_ts) * (x[i] - mean_ts);
    }
    double sd_ns = n > 1 ? sqrt(ss_ns / (n - 1)) : 0, sd_ts = n > 1 ? sqrt(ss_ts / (n - 1)) : 0;
    /* avg_ts and stddev_ts to 1e-6, the ns rounded to whole ns */
    ck_assert_double_eq_tol(num(r, "avg_ts"), mean_ts, 1e-6 + mean_ts * 1e-12);
    ck_assert_double_eq_tol(num(r, "stddev_ts"), sd_ts, 1e-6 + sd_ts * 1e-12);
    ck_assert_double_eq_tol(num(r, "avg_ns"), mean_ns, 0.5 + mean_ns * 1e-12);
    ck_assert_double_eq_tol(num(r, "stddev_ns"), sd_ns, 0.5 + sd_ns * 1e-12);
    return n;
}

/* The median of the n numbers of a JSON array (n <= 100). */
static double median(const cJSON *a)
{
    double v[100];
    int n = cJSON_GetArraySize(a);
    for (int i = 0; i < n; i++) {
        v[i] = cJSON_GetArrayItem(a, i)->valuedouble;
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* -p 8 -n 3 -r 4 -d 16: a pp8 record, then tg3 @ d16 (llama-bench's order
 * and labels), each with the -r runs (the prefill at least 3) and its
 * statistics as computed by hand; both carry lanky's columns, the same;
 * the pp runs are the prefills whose median is lanky's prefill_ms. */
START_TEST(json_records)
{
    char *out;
    ck_assert_int_eq(tu_run("bench " SMALL " -p 8 -n 3 -r 4 -d 16 --format json", &out, NULL), 0);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 2, "%s", out);
    cJSON *pp = cJSON_GetArrayItem(j, 0), *tg = cJSON_GetArrayItem(j, 1);
    ck_assert_str_eq(str(pp, "test"), "pp8");
    ck_assert_str_eq(str(tg, "test"), "tg3 @ d16");
    ck_assert_double_eq(num(pp, "n_prompt"), 8);
    ck_assert_double_eq(num(pp, "n_gen"), 0);
    ck_assert_double_eq(num(pp, "n_depth"), 0);
    ck_assert_double_eq(num(tg, "n_prompt"), 0);
    ck_assert_double_eq(num(tg, "n_gen"), 3);
    ck_assert_double_eq(num(tg, "n_depth"), 16);
    ck_assert_int_eq(check_record(pp), 4);
    ck_assert_int_eq(check_record(tg), 4);
    const char *same[] = {"ctx", "execute_ms", "prefill_ms", "repeats", "paired_dram_gbs"};
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq(num(pp, same[i]), num(tg, same[i]));
    ck_assert_double_eq(num(tg, "ctx"), 16);
    ck_assert_double_eq(num(tg, "repeats"), 4);
    /* prefill_ms is printed to 0.001 ms */
    double ms = median(cJSON_GetObjectItemCaseSensitive(pp, "samples_ns")) / 1e6;
    ck_assert_double_eq_tol(num(pp, "prefill_ms"), ms, 0.0005 + 1e-9);
    cJSON_Delete(j);
    free(out);
}
END_TEST

/* One run: no spread (stddev 0), one sample in the tg record; the
 * prefill still runs 3 times (prefill_ms is a median of 3). jsonl: one
 * object per line, the same fields. */
START_TEST(jsonl_one_run)
{
    char *out;
    ck_assert_int_eq(tu_run("bench " SMALL " --ctx 4 --prompt 5 --tokens 2 --format jsonl",
                            &out, NULL), 0);
    char *line2 = strchr(out, '\n');
    ck_assert(line2 && line2[1]);
    *line2++ = 0;
    ck_assert_msg(strchr(line2, '\n') == line2 + strlen(line2) - 1, "two lines: %s", line2);
    cJSON *pp = cJSON_Parse(out), *tg = cJSON_Parse(line2);
    ck_assert(cJSON_IsObject(pp) && cJSON_IsObject(tg));
    ck_assert_int_eq(check_record(pp), 3);
    ck_assert_int_eq(check_record(tg), 1);
    ck_assert_double_eq(num(tg, "stddev_ts"), 0);
    ck_assert_double_eq(num(tg, "stddev_ns"), 0);
    ck_assert_str_eq(str(tg, "test"), "tg2 @ d4");
    cJSON_Delete(pp);
    cJSON_Delete(tg);
    free(out);
}
END_TEST

/* The test column of each record, as "a|b|" in *labels. */
static void labels_of(const char *args, char *labels, size_t size)
{
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "bench " SMALL " %s --format jsonl", args);
    ck_assert_msg(tu_run(cmd, &out, NULL) == 0, "%s", cmd);
    labels[0] = 0;
    for (char *line = out, *next; *line; line = next) {
        next = strchr(line, '\n');
        ck_assert(next);
        *next++ = 0;
        cJSON *r = cJSON_Parse(line);
        snprintf(labels + strlen(labels), size - strlen(labels), "%s|", str(r, "test"));
        cJSON_Delete(r);
    }
    free(out);
}

/* llama-bench's labels: pp<n_prompt>, tg<n_gen>, " @ d<n_depth>" when
 * the depth is not 0; the short options mean the long ones. */
START_TEST(labels)
{
    const char *cases[][2] = {
        {"-n 5 -d 0", "tg5|"},
        {"--tokens 5 --ctx 0", "tg5|"},
        {"-n 7 -d 9", "tg7 @ d9|"},
        {"-p 12 -n 2 -d 4", "pp12|tg2 @ d4|"},
        {"--prompt 12 --tokens 2 --ctx 4 --repeats 2", "pp12|tg2 @ d4|"},
        {"-p 3 -n 1 -d 0 -r 2", "pp3|tg1|"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char got[256];
        labels_of(cases[i][0], got, sizeof got);
        ck_assert_msg(!strcmp(got, cases[i][1]), "%s: %s, not %s", cases[i][0], got,
                      cases[i][1]);
    }
}
END_TEST

/* --format md: llama-bench's Markdown table, one row per test, t/s as
 * "mean ± std" with two decimals. */
START_TEST(md_table)
{
    char *out;
    ck_assert_int_eq(tu_run("bench " SMALL " --dtype f32 -p 4 -n 2 -d 8 -r 2 --format md",
                            &out, NULL), 0);
    ck_assert_msg(!strncmp(out, "| model | size | params | backend | threads | test | t/s |\n",
                           58), "%s", out);
    char *pp = strstr(out, "| pp4 |"), *tg = strstr(out, "| tg2 @ d8 |");
    ck_assert_msg(pp && tg && pp < tg, "%s", out);
    double mean, sd;
    ck_assert_int_eq(sscanf(tg + strlen("| tg2 @ d8 |"), " %lf ± %lf |", &mean, &sd), 2);
    ck_assert(mean > 0 && sd >= 0);
    /* f32: 4 bytes a parameter; size in MiB, params in M */
    ck_assert_msg(strstr(out, "| custom F32 | ") && strstr(out, " MiB | ") &&
                  strstr(out, " M | CPU | 1 |"), "%s", out);
    free(out);
}
END_TEST

/* A bad alias value is named by its long option; --help lists them. */
START_TEST(aliases)
{
    char *out, *err;
    ck_assert_int_eq(tu_run("bench " SMALL " -r 0", &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strstr(err, "--repeats") != NULL, "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run("bench " SMALL " -p", NULL, &err), 2);
    ck_assert_msg(strstr(err, "-p: option needs a value") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(tu_run("bench --help", &out, NULL), 0);
    ck_assert_msg(strstr(out, "-p = --prompt") && strstr(out, "-d = --ctx"), "%s", out);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("llamabench");
    TCase *c = tcase_create("llamabench");
    tcase_set_timeout(c, 120);
    tcase_add_test(c, json_records);
    tcase_add_test(c, jsonl_one_run);
    tcase_add_test(c, labels);
    tcase_add_test(c, md_table);
    tcase_add_test(c, aliases);
    suite_add_tcase(s, c);
    return tu_main(s);
}
