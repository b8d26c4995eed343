/* main.c -- `lanky`: find the subcommand, parse its options, run it, and
 * turn an error into "lanky: <what>: <why>" on stderr and an exit status
 * (2 bad input, 1 failure while running). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../common/outfile.h"
#include "../ref/kern.h"
#include "cli.h"

/* LK_VERSION comes from the Makefile: a release tarball's VERSION file,
 * else `git describe` of the source tree at build time. */
#ifndef LK_VERSION
#define LK_VERSION "unknown"
#endif

static const cli_command *const commands[] = {
    &cmd_params, &cmd_schedule, &cmd_sim, &cmd_bench, &cmd_logits,
    &cmd_export, &cmd_probe, &cmd_sweep, &cmd_report, &cmd_calibrate,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: lanky COMMAND [options]   (lanky COMMAND --help)\n\n"
                 "lanky sizes up small language models for phones.\n"
                 "lanky --version prints the version and the kernels chosen.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

/* Ctrl-C, a kill or a closed pipe while a file is being written: remove
 * the temporary file, then die of the signal as usual. */
static void on_signal(int sig)
{
    lk_outfile_remove_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        signal(sigs[i], on_signal);
    if (argc < 2) {
        usage(stderr);
        return LK_EINPUT;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("lanky %s\nkernels chosen at run time: %s\n", LK_VERSION, kern_name());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const cli_command *c = commands[i];
        if (strcmp(argv[1], c->name) != 0)
            continue;
        lk_err e = {0};
        cli_args a;
        int rc = cli_parse(c, argc - 1, argv + 1, &a, &e);
        if (rc == -1)
            return 0;
        if (rc == LK_OK)
            rc = c->run(&a, &e);
        if (rc != LK_OK)
            fprintf(stderr, "lanky: %s%s\n", e.msg[0] ? e.msg : "failed", cli_ask(&e));
        return rc;
    }
    fprintf(stderr, "lanky: %s: unknown command (see lanky --help)\n", argv[1]);
    return LK_EINPUT;
}
