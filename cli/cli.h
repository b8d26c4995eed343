/* cli.h -- the command-line front end: commands, options, output.
 *
 * Each subcommand is a cli_command defined in its own cmd_*.c file and
 * listed in main.c. main() parses the command line once for every command:
 * the model spec options (when the command takes a model), --format,
 * --help, and the command's own options; then it calls run(). run()
 * prints its result and returns LK_OK, or an error code with a message in
 * e, which main() prints as "lanky: <message>" before exiting with the code.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/spec.h"
#include "../common/err.h"
#include "../common/table.h"

#define CLI_MAX_OPTS 32
#define CLI_MAX_ARGS 256

typedef struct {
    const char *name; /* long option name, without "--" */
    bool has_arg;
    const char *help; /* one line for --help */
} cli_opt;

/* A one-letter alias of a long option that takes a value (the command's
 * own or a spec option), e.g. llama-bench's -p for --prompt. */
typedef struct {
    char letter;
    const char *name; /* the long option's name, without "--" */
} cli_alias;

typedef struct {
    arch_spec spec;        /* finished, when the command takes a model */
    lk_table_format format;   /* --format, default table */
    int nvals;
    const char *val_name[CLI_MAX_OPTS]; /* the command's own options seen */
    const char *val[CLI_MAX_OPTS];      /* their values ("" for flags) */
    int npos;
    const char *pos[CLI_MAX_ARGS];      /* positional arguments */
} cli_args;

typedef struct {
    const char *name;
    const char *summary;   /* one line for "lanky --help" */
    const char *usage;     /* "lanky sim SPEC --profile NAME|FILE ..." */
    bool takes_spec;
    /* An option whose file describes the model (a checkpoint): when it is
     * given, the spec options are optional and only --dtype and --ctx
     * apply; the spec is left unfinished for the command to complete. */
    const char *spec_from;
    const cli_opt *opts;   /* the command's own options, {NULL} ended */
    const cli_alias *aliases; /* one-letter aliases, {0} ended, or NULL */
    bool takes_args;       /* positional arguments (files, a folder) */
    int (*run)(const cli_args *a, lk_err *e);
} cli_command;

/* The value of option name, "" for a flag that was given, NULL if absent. */
const char *cli_value(const cli_args *a, const char *name);

/* An integer option in [min, max], def when absent. */
int cli_int(const cli_args *a, const char *name, int64_t def, int64_t min,
            int64_t max, int64_t *out, lk_err *e);

/* --threads: 0 when absent (the pool's default, one per physical core),
 * else 1 to 4 per physical core; more than one per core warns on stderr. */
int cli_threads(const cli_args *a, int64_t *out, lk_err *e);

/* --cores LIST (ref/pool.h, pool_parse_cores): when given, every pool
 * the command makes afterwards pins its workers to those CPUs. */
int cli_cores(const cli_args *a, lk_err *e);

/* Split a comma-separated value of option opt in place into at most max
 * items; an empty one ("a15,,a16" or "a15,") is refused. */
int cli_list(char *list, const char *opt, const char **items, int max, int *n,
             lk_err *e);

/* Print a finished table in the format the user asked for, to stdout. */
int cli_print(const cli_args *a, const lk_table *t, lk_err *e);

/* The request for e->field as a command-line option, " (give --head-dim
 * N)", or "" when e names no field (common/err.h); static storage. */
const char *cli_ask(const lk_err *e);

/* Parse argv (after the command name) for command c. Returns LK_OK, an
 * error, or -1 after printing --help. */
int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a,
              lk_err *e);

extern const cli_command cmd_params, cmd_schedule, cmd_sim, cmd_bench,
    cmd_logits, cmd_export, cmd_probe, cmd_sweep, cmd_report, cmd_calibrate;

#endif
