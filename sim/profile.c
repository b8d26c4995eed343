/* profile.c -- read and validate SoC profiles (hw-profiles/README.md),
 * and the computed rules of hw-profiles/SOURCES.md (at the end).
 *
 * inih does the INI syntax; this file checks the schema: known sections
 * and keys, a `.source` beside every value that needs one, numbers that
 * are numbers, and cache geometry that a cache can have. Every error
 * names the file and line.
 *
 * inih (Debian build) reads lines of at most INI_MAX_LINE - 1 characters
 * and would parse the rest of a longer line as a line of its own. Long
 * `.source` texts are normal in profiles, so the reader below hands inih
 * a long line as the line plus indented continuation lines (inih's
 * multi-line values), and the handler joins them again.
 */
#include "profile.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/infile.h"
#include "../common/project.h"

/* ---- the schema ------------------------------------------------------ */

typedef enum { S_SOC, S_CACHE, S_DRAM, S_COMPUTE, S_ENERGY, S_CALIB, S_KINDS } sect_kind;

typedef enum { K_TEXT, K_NUM, K_YESNO, K_POLICY } key_kind;

typedef struct {
    const char *key;
    key_kind kind;
    bool required; /* numbers are required, text is optional */
    bool source;   /* needs KEY.source */
} keydef;

/* the most keys of one section ([cache]: 15) */
#define MAXKEYS 16

/* The optional efficiency keys of a [cacheN] or [dram] section
 * (sim_efficiency in profile.h), in its order: matvec per weight type
 * (one per arch_dtype: convert_eff() looks each up by its name), then
 * attention. */
#define EFFICIENCY_KEYS                                     \
    {"matvec_efficiency_f32", K_NUM, false, true},          \
    {"matvec_efficiency_f16", K_NUM, false, true},          \
    {"matvec_efficiency_bf16", K_NUM, false, true},         \
    {"matvec_efficiency_int8", K_NUM, false, true},         \
    {"matvec_efficiency_int4", K_NUM, false, true},         \
    {"attention_efficiency", K_NUM, false, true}

/* README.md: every key except [soc]'s free text (and a cache's display
 * name) carries a .source. The sustained bandwidths, layer_fixed_us and
 * active_mw are optional (CONTRACT of issue 14: defaults = the peak, 0,
 * 0). [calibration] has no schema: lanky calibrate records free-text
 * keys there (fitted_to, method, ...), which the model ignores. */
static const keydef schema[S_KINDS][MAXKEYS + 1] = {
    [S_SOC] = {{"name", K_TEXT, false, false},
               {"devices", K_TEXT, false, false},
               {"engine", K_TEXT, false, false}},
    [S_CACHE] = {{"name", K_TEXT, false, false},
                 {"size_kb", K_NUM, true, true},
                 {"line_bytes", K_NUM, true, true},
                 {"assoc", K_NUM, true, true},
                 {"shared", K_YESNO, false, true},
                 {"policy", K_POLICY, false, true},
                 {"bandwidth_gbs", K_NUM, true, true},
                 {"energy_pj_per_byte", K_NUM, true, true},
                 {"sustained_gbs", K_NUM, false, true},
                 EFFICIENCY_KEYS},
    [S_DRAM] = {{"type", K_TEXT, false, true},
                {"capacity_gb", K_NUM, true, true},
                {"bandwidth_gbs", K_NUM, true, true},
                {"app_budget", K_NUM, true, true},
                {"energy_pj_per_bit", K_NUM, true, true},
                {"sustained_gbs", K_NUM, false, true},
                EFFICIENCY_KEYS},
    [S_COMPUTE] = {{"gflops_f32", K_NUM, true, true},
                   {"gflops_f16", K_NUM, true, true},
                   {"gflops_bf16", K_NUM, true, true},
                   {"gops_int8", K_NUM, true, true},
                   {"gops_int4", K_NUM, false, true},
                   {"matmul_gflops_f32", K_NUM, false, true},
                   {"matmul_gflops_f16", K_NUM, false, true},
                   {"matmul_gflops_bf16", K_NUM, false, true},
                   {"matmul_gops_int8", K_NUM, false, true},
                   {"matmul_gops_int4", K_NUM, false, true},
                   {"layer_fixed_us", K_NUM, false, true},
                   {"matvec_fixed_us", K_NUM, false, true},
                   {"attention_head_us", K_NUM, false, true}},
    [S_ENERGY] = {{"mac_pj_f32", K_NUM, true, true},
                  {"mac_pj_f16", K_NUM, true, true},
                  {"mac_pj_bf16", K_NUM, true, true},
                  {"mac_pj_int8", K_NUM, true, true},
                  {"mac_pj_int4", K_NUM, false, true},
                  {"static_mw", K_NUM, true, true},
                  {"active_mw", K_NUM, false, true}},
};

/* One section as read: per key, whether and where it was seen. */
typedef struct {
    bool present;
    int line;       /* first key line, for section-wide errors */
    bool seen[MAXKEYS], sourced[MAXKEYS];
    int at[MAXKEYS];
    double num[MAXKEYS];
    char text[MAXKEYS][128];
} sect;

enum { SECT_SOC, SECT_CACHE1, SECT_DRAM = SECT_CACHE1 + SIM_MAX_LEVELS,
       SECT_COMPUTE, SECT_ENERGY, SECT_CALIB, NSECT };

typedef struct {
    const char *path;
    sect s[NSECT];
    lk_err err;     /* the first schema error */
    int err_line;   /* its line */
    int line;       /* real line of the chunk inih is parsing */
    int cur;        /* the section of the last key, -1 before the first */
    /* the long-line reader */
    FILE *f;
    char *buf;      /* the current physical line (getline) */
    size_t cap;
    char *rest;     /* what is left of it to hand out, or NULL */
    int *real;      /* real[k] = file line of inih's line k + 1 */
    int nreal, capreal;
    size_t bytes;   /* read so far, against LK_INFILE_MAX_BYTES */
} parser;

static sect_kind kind_of(int si)
{
    if (si == SECT_SOC) return S_SOC;
    if (si < SECT_DRAM) return S_CACHE;
    return si == SECT_DRAM ? S_DRAM : si == SECT_COMPUTE ? S_COMPUTE
         : si == SECT_ENERGY ? S_ENERGY : S_CALIB;
}

static int find_section(const char *name)
{
    if (!strcmp(name, "soc")) return SECT_SOC;
    if (!strcmp(name, "dram")) return SECT_DRAM;
    if (!strcmp(name, "compute")) return SECT_COMPUTE;
    if (!strcmp(name, "energy")) return SECT_ENERGY;
    if (!strcmp(name, "calibration")) return SECT_CALIB;
    if (!strncmp(name, "cache", 5) && name[5] >= '1' &&
        name[5] < '1' + SIM_MAX_LEVELS && !name[6])
        return SECT_CACHE1 + name[5] - '1';
    return -1;
}

static int find_key(sect_kind k, const char *key, size_t n)
{
    for (int i = 0; schema[k][i].key; i++)
        if (strlen(schema[k][i].key) == n && !strncmp(schema[k][i].key, key, n))
            return i;
    return -1;
}

/* ---- the long-line reader -------------------------------------------- */

static int bad(parser *p, const char *fmt, const char *a, const char *b);

/* Start of a comment as inih reads one: ';' after whitespace, or a line
 * starting with '#'. */
static char *comment_start(char *s)
{
    char *first = s + strspn(s, " \t");
    if (*first == '#') /* inih's other whole-line comment */
        return first;
    for (char *c = s; *c; c++)
        if (*c == ';' && (c == s || c[-1] == ' ' || c[-1] == '\t'))
            return c;
    return NULL;
}

static int remember_line(parser *p)
{
    if (p->nreal == p->capreal) {
        int n = p->capreal ? 2 * p->capreal : 256;
        int *r = realloc(p->real, n * sizeof *r);
        if (!r)
            return -1;
        p->real = r;
        p->capreal = n;
    }
    p->real[p->nreal++] = p->line;
    return 0;
}

/* ini_reader: the next line for inih, at most num - 1 characters. A long
 * line loses its inline comment, then is cut at a space into a line and
 * continuation lines that start with a space. */
static char *read_chunk(char *str, int num, void *stream)
{
    parser *p = stream;
    size_t room = (size_t)num - 2; /* leaves room for ' ' and '\0' */
    if (!p->rest) {
        ssize_t n = getline(&p->buf, &p->cap, p->f);
        if (n < 0)
            return NULL;
        p->line++;
        p->bytes += (size_t)n;
        if (p->bytes > LK_INFILE_MAX_BYTES) { /* a file growing while read */
            char mb[16];
            snprintf(mb, sizeof mb, "%u", LK_INFILE_MAX_BYTES >> 20);
            bad(p, "larger than the %s MB limit for a text input", mb, NULL);
            return NULL;
        }
        if (memchr(p->buf, 0, (size_t)n)) { /* strlen would cut the value short */
            bad(p, "a NUL byte in the line", NULL, NULL);
            return NULL;
        }
        p->buf[strcspn(p->buf, "\r\n")] = 0;
        if (strlen(p->buf) > room) {
            char *c = comment_start(p->buf);
            if (c)
                *c = 0;
        }
        p->rest = p->buf;
        str[0] = 0;
    } else {
        str[0] = ' '; /* a continuation: inih joins indented lines */
        str[1] = 0;
    }
    size_t have = strlen(str), n = strlen(p->rest);
    if (n > room - have) {
        n = room - have;
        while (n > 1 && p->rest[n] != ' ')
            n--;
        if (n <= 1)
            n = room - have;
    }
    memcpy(str + have, p->rest, n);
    str[have + n] = 0;
    p->rest += n;
    while (*p->rest == ' ')
        p->rest++;
    if (!*p->rest)
        p->rest = NULL;
    if (remember_line(p)) {
        lk_fail(&p->err, LK_ERUN, "%s: out of memory", p->path);
        return NULL;
    }
    return str;
}

/* ---- the handler ----------------------------------------------------- */

static int bad(parser *p, const char *fmt, const char *a, const char *b)
{
    if (!p->err.code) {
        char what[400];
        snprintf(what, sizeof what, fmt, a, b);
        lk_fail(&p->err, LK_EINPUT, "%s:%d: %s", p->path, p->line, what);
        p->err_line = p->line;
    }
    return 0;
}

static int parse_number(parser *p, const char *key, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    /* no hex, inf or nan; no '+' (inih strips spaces, so the value starts
     * with its first character) */
    if (end == v || *end || strpbrk(v, "xXiInN") || *v == '+')
        return bad(p, "%s: '%s' is not a decimal number", key, v);
    if (errno == ERANGE)
        return bad(p, "%s: '%s' is out of range", key, v);
    if (x < 0)
        return bad(p, "%s: '%s' is negative", key, v);
    /* far above any real cache, bandwidth, peak or energy figure (tests
     * use 1e12 for "no limit"), and low enough that no product of them
     * overflows a double */
    if (x > 1e15)
        return bad(p, "%s: '%s' is out of range (at most 1e15)", key, v);
    *out = x;
    return 1;
}

static int store(parser *p, sect *s, const keydef *k, int ki, const char *v)
{
    if (s->seen[ki] && k->kind != K_TEXT)
        return bad(p, "%s: given twice", k->key, NULL);
    if (s->seen[ki]) { /* a continued text value */
        size_t n = strlen(s->text[ki]);
        snprintf(s->text[ki] + n, sizeof s->text[ki] - n, " %s", v);
        return 1;
    }
    s->seen[ki] = true;
    s->at[ki] = p->line;
    snprintf(s->text[ki], sizeof s->text[ki], "%s", v);
    if (k->kind == K_NUM)
        return parse_number(p, k->key, v, &s->num[ki]);
    if (k->kind == K_YESNO && strcmp(v, "yes") && strcmp(v, "no"))
        return bad(p, "%s: '%s' is not yes or no", k->key, v);
    if (k->kind == K_POLICY) {
        sim_policy pol;
        if (sim_policy_parse(v, &pol, NULL))
            return bad(p, "%s: '%s' is not lru, random or srrip", k->key, v);
        s->num[ki] = pol;
    }
    return 1;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    parser *p = user;
    if (p->err.code)
        return 1; /* report the first error only */
    int si = find_section(section);
    if (si < 0)
        return bad(p, "unknown section [%s]", section, NULL);
    sect *s = &p->s[si];
    if (si != p->cur && s->present) /* inih would merge the two silently */
        return bad(p, "section [%s] appears twice", section, NULL);
    p->cur = si;
    if (!s->present) {
        s->present = true;
        s->line = p->line;
    }
    sect_kind kind = kind_of(si);
    if (kind == S_CALIB) /* free text, see schema[] */
        return 1;
    const char *dot = strchr(name, '.');
    int ki = find_key(kind, name, dot ? (size_t)(dot - name) : strlen(name));
    if (ki < 0)
        return bad(p, "unknown key '%s' in [%s]", name, section);
    if (!dot)
        return store(p, s, &schema[kind][ki], ki, value);
    if (!strcmp(dot, ".source")) {
        if (!*value && !s->sourced[ki])
            return bad(p, "%s: empty source", name, NULL);
        s->sourced[ki] = true;
        return 1;
    }
    if (strcmp(dot, ".alternatives") && strcmp(dot, ".why"))
        return bad(p, "unknown key '%s' in [%s]", name, section);
    return 1;
}

/* ---- checks after reading -------------------------------------------- */

static int check_section(parser *p, int si, const char *label)
{
    const sect *s = &p->s[si];
    const keydef *k = schema[kind_of(si)];
    for (int i = 0; k[i].key; i++) {
        if (!s->seen[i] && k[i].required)
            return lk_fail(&p->err, LK_EINPUT, "%s: missing [%s] %s", p->path,
                           label, k[i].key);
        if (s->seen[i] && k[i].source && !s->sourced[i])
            return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] %s has no %s.source",
                           p->path, s->at[i], label, k[i].key, k[i].key);
    }
    return LK_OK;
}

/* Key index by name, for the conversions below. */
static double num(const parser *p, int si, const char *key)
{
    return p->s[si].num[find_key(kind_of(si), key, strlen(key))];
}

/* An optional number, or `def` when the file does not give it. */
static double num_or(const parser *p, int si, const char *key, double def)
{
    int ki = find_key(kind_of(si), key, strlen(key));
    return p->s[si].seen[ki] ? p->s[si].num[ki] : def;
}

static int at(const parser *p, int si, const char *key)
{
    return p->s[si].at[find_key(kind_of(si), key, strlen(key))];
}

static bool is_integer(double x, double max)
{
    return x == floor(x) && x <= max;
}

/* The efficiency keys of section si (EFFICIENCY_KEYS), default 1. Above
 * 2 is a typo (a percentage for a fraction): no mat-vec reads twice as
 * fast as the streaming read of the same level. */
static int convert_eff(parser *p, int si, const char *label, sim_efficiency *eff)
{
    char key[40];
    for (int d = 0; d <= ARCH_DTYPE_COUNT; d++) {
        if (d < ARCH_DTYPE_COUNT)
            snprintf(key, sizeof key, "matvec_efficiency_%s", arch_dtype_name(d));
        else
            snprintf(key, sizeof key, "attention_efficiency");
        double x = num_or(p, si, key, 1);
        if (x <= 0 || x > 2)
            return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] %s: %g is not in (0, 2]",
                           p->path, at(p, si, key), label, key, x);
        *(d < ARCH_DTYPE_COUNT ? &eff->matvec[d] : &eff->attention) = x;
    }
    return LK_OK;
}

static int convert_cache(parser *p, int si, sim_profile_level *L,
                         const char *label)
{
    const sect *s = &p->s[si];
    double kb = num(p, si, "size_kb"), line = num(p, si, "line_bytes");
    double assoc = num(p, si, "assoc");
    if (!is_integer(line, 65536) || line < 16 ||
        ((uint64_t)line & ((uint64_t)line - 1)))
        return lk_fail(&p->err, LK_EINPUT,
                       "%s:%d: [%s] line_bytes: %g is not a power of two from 16 to 65536",
                       p->path, at(p, si, "line_bytes"), label, line);
    if (!is_integer(assoc, 1 << 20))
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] assoc: %g is not a whole number",
                       p->path, at(p, si, "assoc"), label, assoc);
    double bytes = kb * 1024, unit = line * (assoc ? assoc : 1);
    if (bytes <= 0 || !is_integer(bytes, 0x1p60) || fmod(bytes, unit) != 0)
        return lk_fail(&p->err, LK_EINPUT,
                       "%s:%d: [%s] size_kb: %g KiB is not a positive multiple of "
                       "line_bytes x assoc (%g bytes)",
                       p->path, at(p, si, "size_kb"), label, kb, unit);
    /* Larger than any cache built (server L3s reach ~1 GiB); the exact
     * mode keeps state per line. */
    if (bytes > 0x1p32)
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] size_kb: %.0f KiB is over 4 GiB",
                       p->path, at(p, si, "size_kb"), label, kb);
    if ((assoc ? assoc : bytes / line) > SIM_MAX_WAYS)
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] assoc: %g ways%s; the cache model "
                       "has at most %d", p->path, at(p, si, "assoc"), label,
                       assoc ? assoc : bytes / line, assoc ? "" : " (fully associative)",
                       SIM_MAX_WAYS);
    if (num(p, si, "bandwidth_gbs") <= 0)
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] bandwidth_gbs must be positive",
                       p->path, at(p, si, "bandwidth_gbs"), label);
    int ni = find_key(S_CACHE, "name", 4), pi = find_key(S_CACHE, "policy", 6);
    snprintf(L->name, sizeof L->name, "%.31s", s->seen[ni] ? s->text[ni] : label);
    L->cfg = (sim_level_cfg){.size_bytes = (uint64_t)bytes,
                             .line_bytes = (uint32_t)line,
                             .assoc = (uint32_t)assoc,
                             .policy = s->seen[pi] ? (sim_policy)s->num[pi] : SIM_LRU};
    int shi = find_key(S_CACHE, "shared", 6);
    L->shared = s->seen[shi] && !strcmp(s->text[shi], "yes");
    L->bandwidth_gbs = num(p, si, "bandwidth_gbs");
    L->sustained_gbs = num_or(p, si, "sustained_gbs", L->bandwidth_gbs);
    if (L->sustained_gbs <= 0)
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] sustained_gbs must be positive",
                       p->path, at(p, si, "sustained_gbs"), label);
    L->energy_pj_per_byte = num(p, si, "energy_pj_per_byte");
    return convert_eff(p, si, label, &L->eff);
}

/* Rates that divide something must be positive. */
static int need_positive(parser *p, int si, const char *label, const char *key)
{
    if (num(p, si, key) > 0)
        return LK_OK;
    return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] %s must be positive", p->path,
                   at(p, si, key), label, key);
}

static int convert(parser *p, sim_profile *out)
{
    int rc;
    static const char *const fixed[] = {"soc", "dram", "compute", "energy"};
    static const int fixed_si[] = {SECT_SOC, SECT_DRAM, SECT_COMPUTE, SECT_ENERGY};
    for (int i = 0; i < 4; i++)
        if ((rc = check_section(p, fixed_si[i], fixed[i])))
            return rc;
    out->nlevels = 0;
    for (int i = 0; i < SIM_MAX_LEVELS; i++) {
        char label[24];
        snprintf(label, sizeof label, "cache%d", i + 1);
        if (!p->s[SECT_CACHE1 + i].present)
            continue;
        if (out->nlevels != i)
            return lk_fail(&p->err, LK_EINPUT, "%s:%d: [%s] follows a missing [cache%d]",
                           p->path, p->s[SECT_CACHE1 + i].line, label, i);
        if ((rc = check_section(p, SECT_CACHE1 + i, label)) ||
            (rc = convert_cache(p, SECT_CACHE1 + i, &out->level[i], label)))
            return rc;
        out->nlevels++;
    }
    if (!out->nlevels)
        return lk_fail(&p->err, LK_EINPUT, "%s: missing [cache1]", p->path);
    /* an L2 smaller than the L1 it backs is a typo (MB for KB) the model
     * would turn into wrong hit rates; further out a smaller level is
     * real (snapdragon8.ini: a 6 MB memory-side SLC behind a 12 MB L3) */
    if (out->nlevels > 1 && out->level[1].cfg.size_bytes < out->level[0].cfg.size_bytes)
        return lk_fail(&p->err, LK_EINPUT,
                       "%s:%d: [cache2] size_kb: %llu KiB is smaller than [cache1]'s "
                       "%llu KiB", p->path, at(p, SECT_CACHE1 + 1, "size_kb"),
                       (unsigned long long)(out->level[1].cfg.size_bytes >> 10),
                       (unsigned long long)(out->level[0].cfg.size_bytes >> 10));
    if ((rc = need_positive(p, SECT_DRAM, "dram", "bandwidth_gbs")) ||
        (rc = need_positive(p, SECT_DRAM, "dram", "capacity_gb")) ||
        (rc = need_positive(p, SECT_DRAM, "dram", "app_budget")))
        return rc;
    if (num(p, SECT_DRAM, "app_budget") > 1) /* a fraction of capacity_gb */
        return lk_fail(&p->err, LK_EINPUT, "%s:%d: [dram] app_budget: %g is not a fraction "
                       "in (0, 1] of capacity_gb", p->path, at(p, SECT_DRAM, "app_budget"),
                       num(p, SECT_DRAM, "app_budget"));
    static const char *const peak[ARCH_DTYPE_COUNT] = {
        [ARCH_F32] = "gflops_f32", [ARCH_F16] = "gflops_f16", [ARCH_BF16] = "gflops_bf16",
        [ARCH_INT8] = "gops_int8", [ARCH_INT4] = "gops_int4"};
    static const char *const mac[ARCH_DTYPE_COUNT] = {
        [ARCH_F32] = "mac_pj_f32", [ARCH_F16] = "mac_pj_f16", [ARCH_BF16] = "mac_pj_bf16",
        [ARCH_INT8] = "mac_pj_int8"};
    for (int d = 0; d < ARCH_INT4; d++) {
        if ((rc = need_positive(p, SECT_COMPUTE, "compute", peak[d])))
            return rc;
        out->peak_gops[d] = num(p, SECT_COMPUTE, peak[d]);
        out->mac_pj[d] = num(p, SECT_ENERGY, mac[d]);
    }
    /* int4 (W4A8) runs int8 dot products on unpacked weights: optional */
    out->peak_gops[ARCH_INT4] = num_or(p, SECT_COMPUTE, "gops_int4", out->peak_gops[ARCH_INT8]);
    out->mac_pj[ARCH_INT4] = num_or(p, SECT_ENERGY, "mac_pj_int4", out->mac_pj[ARCH_INT8]);
    /* a prefill's products (kern_matmul of a chunk) reach their own rate,
     * which lanky probe measures; a phone profile has only the peak */
    for (int d = 0; d < ARCH_DTYPE_COUNT; d++) {
        char key[40];
        snprintf(key, sizeof key, "matmul_%s", peak[d]);
        out->matmul_gops[d] = num_or(p, SECT_COMPUTE, key, out->peak_gops[d]);
    }
    out->dram_capacity_gb = num(p, SECT_DRAM, "capacity_gb");
    out->dram_bandwidth_gbs = num(p, SECT_DRAM, "bandwidth_gbs");
    out->dram_app_budget = num(p, SECT_DRAM, "app_budget");
    out->dram_pj_per_bit = num(p, SECT_DRAM, "energy_pj_per_bit");
    out->static_mw = num(p, SECT_ENERGY, "static_mw");
    out->dram_sustained_gbs = num_or(p, SECT_DRAM, "sustained_gbs", out->dram_bandwidth_gbs);
    if (out->dram_sustained_gbs <= 0)
        return need_positive(p, SECT_DRAM, "dram", "sustained_gbs");
    if ((rc = convert_eff(p, SECT_DRAM, "dram", &out->dram_eff)))
        return rc;
    out->layer_fixed_us = num_or(p, SECT_COMPUTE, "layer_fixed_us", 0);
    out->matvec_fixed_us = num_or(p, SECT_COMPUTE, "matvec_fixed_us", 0);
    out->attention_head_us = num_or(p, SECT_COMPUTE, "attention_head_us", 0);
    out->active_mw = num_or(p, SECT_ENERGY, "active_mw", 0);
    const sect *soc = &p->s[SECT_SOC];
    snprintf(out->soc, sizeof out->soc, "%s", soc->seen[0] ? soc->text[0] : "");
    return LK_OK;
}

int sim_profile_read(sim_profile **out, const char *path, lk_err *e)
{
    *out = NULL;
    parser p = {.path = path, .cur = -1};
    if (!(p.f = lk_infile_open(path, e)))
        return LK_EINPUT;
    int r = ini_parse_stream(read_chunk, &p, handler, &p);
    bool io = ferror(p.f);
    fclose(p.f);
    free(p.buf);
    sim_profile *prof = calloc(1, sizeof *prof);
    int rc = LK_OK;
    if (io || r < 0 || !prof)
        rc = lk_fail(e, LK_ERUN, "%s: cannot read", path);
    else if (r > 0 && (!p.err.code || p.real[r - 1] < p.err_line))
        rc = lk_fail(e, LK_EINPUT, "%s:%d: not a [section] or key = value line",
                     path, p.real[r - 1]);
    else if (p.err.code || (rc = convert(&p, prof)))
        rc = lk_fail(e, p.err.code, "%s", p.err.msg);
    free(p.real);
    if (rc) {
        free(prof);
        return rc;
    }
    lk_infile_base(prof->name, sizeof prof->name, path, ".ini");
    snprintf(prof->path, sizeof prof->path, "%s", path);
    *out = prof;
    return LK_OK;
}

/* ---- finding a profile by name --------------------------------------- */

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The k-th folder a profile name is looked up in, in order: 0
 * $LANKY_PROFILES, 1 the project's hw-profiles (or an installed
 * share/lanky/hw-profiles), 2 ./hw-profiles; false when that one does
 * not apply here. */
static bool search_dir(int k, char *dir, size_t n)
{
    const char *env = getenv("LANKY_PROFILES");
    if (k == 0)
        return env && *env && snprintf(dir, n, "%s", env) > 0;
    if (k == 1)
        return lk_project_path(dir, n, "hw-profiles");
    return snprintf(dir, n, "hw-profiles") > 0;
}

void sim_profile_home(char *dst, size_t n, const char *name)
{
    char dir[PATH_MAX + 16];
    /* an installed share/lanky is usually not the user's to write: skip
     * a folder that is not writable (the last always applies) */
    for (int k = 0; !search_dir(k, dir, sizeof dir) || (k == 1 && access(dir, W_OK));
         k++)
        continue;
    snprintf(dst, n, "%s/%s.ini", dir, name);
}

int sim_profile_find(char *path, size_t n, const char *name, lk_err *e)
{
    size_t len = strlen(name);
    if (strchr(name, '/') || (len > 4 && !strcmp(name + len - 4, ".ini")))
        return snprintf(path, n, "%s", name) < (int)n ? LK_OK
               : lk_fail(e, LK_EINPUT, "profile '%s': path too long", name);
    if (!len || strlen(name) > 200)
        return lk_fail(e, LK_EINPUT, "profile '%s': not a profile name", name);
    char dir[PATH_MAX + 16];
    for (int k = 0; k < 3; k++)
        if (search_dir(k, dir, sizeof dir) &&
            snprintf(path, n, "%s/%s.ini", dir, name) > 0 && readable(path))
            return LK_OK;
    return lk_fail(e, LK_EINPUT,
                   "profile '%s': no %s.ini in $LANKY_PROFILES, the project's "
                   "hw-profiles or ./hw-profiles%s",
                   name, name, strcmp(name, "host") ? "" : " (lanky probe writes it)");
}

int sim_profile_load(sim_profile **p, const char *name, lk_err *e)
{
    char path[PATH_MAX + 256];
    *p = NULL;
    int rc = sim_profile_find(path, sizeof path, name, e);
    return rc ? rc : sim_profile_read(p, path, e);
}

void sim_profile_free(sim_profile *p)
{
    free(p);
}

const char *sim_profile_name(const sim_profile *p)
{
    return p->name;
}

/* Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm): a 64-bit
 * read of an 8 KB SRAM costs 10 pJ, of 32 KB 20 pJ, of 1 MB 100 pJ. Per
 * byte (/ 8), on the log-log line through the two points around the
 * size; below 8 KB the 8 KB figure, and 1 MB for any larger level (built
 * of banks, one access reads one bank; the wires to a far bank are not
 * counted, so large levels are underestimated). */
double sim_profile_sram_pj_per_byte(uint64_t bytes)
{
    static const double kb[] = {8, 32, 1024}, pj[] = {10, 20, 100};
    double s = (double)bytes / 1024;
    if (s <= kb[0])
        return pj[0] / 8;
    if (s >= kb[2])
        return pj[2] / 8;
    int i = s <= kb[1] ? 0 : 1;
    return pj[i] / 8 * pow(s / kb[i], log(pj[i + 1] / pj[i]) / log(kb[i + 1] / kb[i]));
}

/* Horowitz ISSCC 2014 (45 nm) energies, summed per multiply-accumulate;
 * nothing is scaled to newer processes (no cited scaling found). */
double sim_profile_mac_pj(arch_dtype d, const char **src)
{
    static const struct {
        double pj;
        const char *src;
    } mac[] = {
        [ARCH_F32] = {4.6, "Horowitz ISSCC 2014 (45 nm): FP32 multiply 3.7 pJ + add 0.9 pJ"},
        [ARCH_F16] = {1.5, "Horowitz ISSCC 2014 (45 nm): FP16 multiply 1.1 pJ + add 0.4 pJ"},
        [ARCH_BF16] = {1.5, "assumption: Horowitz gives no bf16 figure, a bf16 multiplier "
                            "(8-bit significand) is smaller than FP16's, so FP16's 1.5 pJ "
                            "is an upper bound"},
        [ARCH_INT8] = {0.3, "Horowitz ISSCC 2014 (45 nm): 8-bit int multiply 0.2 pJ + "
                            "32-bit add 0.1 pJ (SDOT and VNNI accumulate in 32 bits)"},
        [ARCH_INT4] = {0.3, "int8's: W4A8 kernels unpack the 4-bit weights and multiply "
                            "them as 8-bit ints (Horowitz ISSCC 2014, 45 nm: 0.2 + 0.1 pJ)"},
    };
    *src = mac[d].src;
    return mac[d].pj;
}
