/* cli.c -- option parsing and output shared by every subcommand. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/schedule.h"
#include "../ref/pool.h"

/* The model spec options; their names are arch_spec_set() keys. */
static const cli_opt spec_opts[] = {
    {"preset", true, "NAME  a published model (see below)"},
    {"config", true, "FILE  a Hugging Face style config.json"},
    {"layers", true, "N     distinct transformer blocks"},
    {"dim", true, "N     model width"},
    {"heads", true, "N     query heads"},
    {"kv-heads", true, "N     key/value heads (default: heads)"},
    {"head-dim", true, "N     per-head width (default dim/heads)"},
    {"ffn", true, "swiglu|relu (default swiglu)"},
    {"ffn-dim", true, "N     FFN hidden size (default LLaMA rule / 4*dim)"},
    {"vocab", true, "N     vocabulary (default 32000)"},
    {"tied", false, "      classifier shares the embedding"},
    {"untied", false, "      separate classifier (default unless the preset is tied)"},
    {"share", true, "none|immediate|repeat-all-over|reverse"},
    {"repeat", true, "R     executions of each block (default 2 when sharing)"},
    {"dtype", true, "f32|f16|bf16|int8|int4 (default f16)"},
    {"group", true, "N     int4: weights per f16 scale along each row (default 32)"},
    {"seq-len", true, "N     context length of the KV cache (default 2048)"},
    {"ctx", true, "N     context position of per-token figures (default 512)"},
    {"window", true, "N     local attention over the last N positions (default 0: full)"},
    {"global-every", true, "K     with --window: layers K-1, 2K-1, ... attend globally"},
    {"kv-dtype", true, "f32|f16|int8 KV cache (default: f16 for int8 weights, else theirs)"},
    {"embed-dtype", true, "T     embedding and classifier type (default: --dtype's)"},
    {"global-first-last", false, "      with --global-every K: layers 0, K, 2K, ... and the last attend globally"},
    {"attn-bias", false, "      q, k and v bias vectors (Qwen2)"},
    {"rope-theta", true, "X     RoPE base (default 10000)"},
    {NULL, false, NULL},
};

enum { OPT_FORMAT = 1000, OPT_HELP, OPT_SPEC = 2000, OPT_CMD = 3000 };

const char *cli_value(const cli_args *a, const char *name)
{
    for (int i = a->nvals - 1; i >= 0; i--)
        if (strcmp(a->val_name[i], name) == 0)
            return a->val[i];
    return NULL;
}

int cli_int(const cli_args *a, const char *name, int64_t def, int64_t min,
            int64_t max, int64_t *out, lk_err *e)
{
    const char *v = cli_value(a, name);
    if (!v) {
        *out = def;
        return LK_OK;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max)
        return lk_fail(e, LK_EINPUT, "--%s: '%s' is not an integer in %lld..%lld",
                       name, v, (long long)min, (long long)max);
    *out = x;
    return LK_OK;
}

int cli_threads(const cli_args *a, int64_t *out, lk_err *e)
{
    *out = 0;
    if (!cli_value(a, "threads")) /* no topology to load (hwloc: milliseconds) */
        return LK_OK;
    /* a worker that waits spins for a while (ref/pool.c): far more
     * threads than cores make every step wait for the scheduler */
    int cores = pool_physical_cores();
    if (cli_int(a, "threads", 0, 1, 4 * cores, out, e))
        return lk_fail(e, LK_EINPUT, "--threads: '%s' is not in 1..%d (4 per physical "
                       "core)", cli_value(a, "threads"), 4 * cores);
    if (*out > cores) /* pinned two to a core, they wait on each other */
        fprintf(stderr, "lanky: warning: --threads %lld is more than the %d physical "
                        "cores (hwloc): threads sharing a core make every step slower\n",
                (long long)*out, cores);
    return LK_OK;
}

int cli_cores(const cli_args *a, lk_err *e)
{
    const char *v = cli_value(a, "cores");
    if (!v)
        return LK_OK;
    pool_cores c;
    int rc = pool_parse_cores(v, pool_machine_cpus(), &c, e);
    if (!rc)
        pool_use_cores(&c);
    return rc;
}

int cli_list(char *list, const char *opt, const char **items, int max, int *n,
             lk_err *e)
{
    *n = 0;
    for (char *rest = list, *item; (item = strsep(&rest, ","));) {
        if (!*item)
            return lk_fail(e, LK_EINPUT, "--%s: an empty name in the list", opt);
        if (*n == max)
            return lk_fail(e, LK_EINPUT, "--%s: more than %d names", opt, max);
        items[(*n)++] = item;
    }
    return LK_OK;
}

int cli_print(const cli_args *a, const lk_table *t, lk_err *e)
{
    return lk_table_write(t, a->format, stdout, e);
}

static void print_opts(const cli_opt *o)
{
    for (; o && o->name; o++)
        printf("  --%-10s %s\n", o->name, o->help);
}

static void print_help(const cli_command *c)
{
    printf("usage: %s\n\n%s\n\noptions:\n", c->usage, c->summary);
    print_opts(c->opts);
    printf("  --%-10s %s\n  --%-10s %s\n", "format",
           "table|csv|json|jsonl|md (default table)",
           "help", "      this text (also -h)");
    for (const cli_alias *al = c->aliases; al && al->letter; al++)
        printf("%s -%c = --%s", al == c->aliases ? "aliases:" : ",", al->letter, al->name);
    if (c->aliases)
        printf("\n");
    if (!c->takes_spec)
        return;
    printf("\nmodel (SPEC; options after --preset/--config override it):\n");
    print_opts(spec_opts);
    printf("\npresets:");
    for (const char *const *p = arch_spec_preset_names(); *p; p++)
        printf(" %s", *p);
    printf("\n");
}

static int count_opts(const cli_opt *o)
{
    int n = 0;
    while (o && o[n].name)
        n++;
    return n;
}

static void add_long(struct option *lo, int *n, const cli_opt *o, int base)
{
    for (int i = 0; o && o[i].name; i++)
        lo[(*n)++] = (struct option){o[i].name,
                                     o[i].has_arg ? required_argument : no_argument,
                                     NULL, base + i};
}

/* Apply --preset/--config first, then the other spec options in the order
 * given, so that options override the preset wherever they stand. */
static int build_spec(arch_spec *s, int n, const char **k, const char **v,
                      lk_err *e)
{
    arch_spec_init(s);
    int base = 0, rc;
    for (int i = 0; i < n; i++) {
        if (strcmp(k[i], "preset") && strcmp(k[i], "config"))
            continue;
        if (base++)
            return lk_fail(e, LK_EINPUT, "--%s: give one --preset or --config", k[i]);
        if ((rc = arch_spec_set(s, k[i], v[i], e)))
            return rc;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(k[i], "preset") || !strcmp(k[i], "config"))
            continue;
        if ((rc = arch_spec_set(s, k[i], v[i], e)))
            return rc; /* its message names the option */
    }
    return arch_spec_finish(s, e);
}

/* The spec of a model whose file (--checkpoint) gives its shape: only the
 * choices a file leaves open can be given (arch_spec_choice_names). */
static int file_spec(arch_spec *s, const char *from, int n, const char **k,
                     const char **v, lk_err *e)
{
    arch_spec_init(s);
    const char *const *choices = arch_spec_choice_names();
    for (int i = 0; i < n; i++) {
        char key[32]; /* k[i] as the choice's name: kv-dtype -> kv_dtype */
        snprintf(key, sizeof key, "%s", k[i]);
        for (char *x = key; *x; x++)
            *x = *x == '-' ? '_' : *x;
        int c = 0;
        while (choices[c] && strcmp(key, choices[c]))
            c++;
        if (!choices[c]) {
            char all[256] = "";
            for (c = 0; choices[c]; c++)
                snprintf(all + strlen(all), sizeof all - strlen(all), "%s--%s",
                         c ? ", " : "", choices[c]);
            for (char *x = all; *x; x++)
                *x = *x == '_' ? '-' : *x;
            return lk_fail(e, LK_EINPUT, "--%s: --%s gives the model's shape; only %s apply",
                           k[i], from, all);
        }
        int rc = arch_spec_set(s, k[i], v[i], e);
        if (rc)
            return rc; /* its message names the option */
    }
    return LK_OK;
}

const char *cli_ask(const lk_err *e)
{
    static char buf[64];
    if (!e->field)
        return "";
    int n = snprintf(buf, sizeof buf, " (give --%s N)", e->field);
    for (int i = 8; i < n; i++) /* the field as an option: head_dim -> head-dim */
        buf[i] = buf[i] == '_' ? '-' : buf[i];
    return buf;
}

/* Why getopt_long refused arg: a value given to a flag, an abbreviation
 * of several options, or a name no option has. */
static int refuse_option(const struct option *lo, const char *arg, const char *cmd,
                         lk_err *e)
{
    const char *name = strncmp(arg, "--", 2) ? "" : arg + 2;
    size_t n = strcspn(name, "=");
    char which[256] = "";
    int matches = 0, last = 0;
    for (int i = 0; *name && lo[i].name; i++) {
        if (strncmp(lo[i].name, name, n))
            continue;
        if (strlen(lo[i].name) == n) { /* a whole name wins over longer ones */
            matches = 1, last = i;
            break;
        }
        size_t used = strlen(which);
        snprintf(which + used, sizeof which - used, "%s--%s", matches++ ? ", " : "",
                 lo[i].name);
        last = i;
    }
    if (matches == 1 && name[n] == '=')
        return lk_fail(e, LK_EINPUT, "--%s: takes no value", lo[last].name);
    if (matches > 1)
        return lk_fail(e, LK_EINPUT, "%s: ambiguous, could be %s", arg, which);
    return lk_fail(e, LK_EINPUT, "%s: unknown option (see 'lanky %s --help')", arg, cmd);
}

/* The code of the long option that alias letter ch stands for (li set
 * to its index in lo), or ch itself when it is no alias. */
static int alias_code(const cli_alias *al, const struct option *lo, int ch, int *li)
{
    for (; al && al->letter; al++)
        for (int i = 0; al->letter == ch && lo[i].name; i++)
            if (!strcmp(lo[i].name, al->name))
                return *li = i, lo[i].val;
    return ch;
}

int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a,
              lk_err *e)
{
    memset(a, 0, sizeof *a);
    struct option lo[CLI_MAX_OPTS * 2 + 4];
    int n = 0;
    add_long(lo, &n, c->opts, OPT_CMD);
    if (c->takes_spec)
        add_long(lo, &n, spec_opts, OPT_SPEC);
    lo[n++] = (struct option){"format", required_argument, NULL, OPT_FORMAT};
    lo[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    lo[n] = (struct option){0};

    /* ":h": a missing value comes back as ':', an unknown option as '?';
     * then "p:" and the like for the aliases, each given its long option's
     * code below */
    char shorts[3 + 2 * CLI_MAX_OPTS] = ":h";
    for (const cli_alias *al = c->aliases; al && al->letter; al++)
        strcat(shorts, (char[]){al->letter, ':', 0});
    const char *sk[CLI_MAX_OPTS * 2], *sv[CLI_MAX_OPTS * 2];
    int ns = 0, ch, rc;
    opterr = 0;
    optind = 1;
    int li = 0;
    while ((ch = getopt_long(argc, argv, shorts, lo, &li)) != -1) {
        ch = alias_code(c->aliases, lo, ch, &li);
        if (optarg && !*optarg) /* a file or number named "" is a slip */
            return lk_fail(e, LK_EINPUT, "--%s: empty value", lo[li].name);
        if (ch == OPT_HELP || ch == 'h') {
            print_help(c);
            return -1;
        } else if (ch == OPT_FORMAT) {
            if ((rc = lk_table_parse_format(optarg, &a->format, e)))
                return rc;
        } else if (ch >= OPT_CMD && ch < OPT_CMD + count_opts(c->opts)) {
            if (a->nvals == CLI_MAX_OPTS)
                return lk_fail(e, LK_EINPUT, "too many options");
            a->val_name[a->nvals] = c->opts[ch - OPT_CMD].name;
            a->val[a->nvals++] = optarg ? optarg : "";
        } else if (ch >= OPT_SPEC && ch < OPT_CMD) {
            if (ns == CLI_MAX_OPTS * 2)
                return lk_fail(e, LK_EINPUT, "too many options");
            sk[ns] = spec_opts[ch - OPT_SPEC].name;
            sv[ns++] = optarg ? optarg : "1";
        } else if (ch == ':') {
            return lk_fail(e, LK_EINPUT, "%s: option needs a value (see --help)",
                           argv[optind - 1]);
        } else {
            return refuse_option(lo, argv[optind - 1], c->name, e);
        }
    }
    for (; optind < argc; optind++) {
        if (!c->takes_args)
            return lk_fail(e, LK_EINPUT, "%s: unexpected argument (see 'lanky %s --help')",
                           argv[optind], c->name);
        if (a->npos == CLI_MAX_ARGS)
            return lk_fail(e, LK_EINPUT, "%s: too many arguments", argv[optind]);
        a->pos[a->npos++] = argv[optind];
    }
    if (!c->takes_spec)
        return LK_OK;
    if (c->spec_from && cli_value(a, c->spec_from))
        return file_spec(&a->spec, c->spec_from, ns, sk, sv, e);
    if (ns == 0)
        return lk_fail(e, LK_EINPUT,
                       "no model given: use --preset, --config or --layers/--dim/--heads");
    return build_spec(&a->spec, ns, sk, sv, e);
}
