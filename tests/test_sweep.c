/* test_sweep.c -- `lanky sweep`: its CSV read back by a second, libcsv-free
 * reader, bad rows reported with their line while the others are written,
 * output written whole or not at all, and shards merged into the bytes
 * one run writes. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../reports/sweep.h"
#include "../sim/profile.h"
#include "testutil.h"

/* ---- a second CSV reader (RFC 4180, no libcsv) ----------------------- */

#define MAXF 64

typedef struct {
    int nrows, ncols;   /* rows after the header */
    char *cell[256][MAXF];
    char *head[MAXF];
} csv2;

/* Split one record at *p into fields; returns their count, moves *p. */
static int split(char **p, char **out)
{
    int n = 0;
    char *s = *p, *w;
    for (;;) {
        out[n++] = w = s;
        if (*s == '"') {
            for (s++; *s && !(*s == '"' && s[1] != '"'); s++)
                *w++ = *s == '"' ? *++s : *s;
            s++;
        } else {
            while (*s && *s != ',' && *s != '\n')
                *w++ = *s++;
        }
        char end = *s;
        *w = 0;
        s += end != 0;
        if (end != ',' || n == MAXF)
            break;
    }
    *p = s;
    return n;
}

/* Read path; every record must have as many fields as the header. */
static csv2 *read2(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    csv2 *c = calloc(1, sizeof *c);
    char *p = buf;
    c->ncols = split(&p, c->head);
    while (*p && c->nrows < 256) {
        int k = split(&p, c->cell[c->nrows]);
        ck_assert_msg(k == c->ncols, "%s row %d: %d fields, header %d", path,
                      c->nrows + 2, k, c->ncols);
        c->nrows++;
    }
    return c;
}

static const char *cell(const csv2 *c, int r, const char *col)
{
    for (int i = 0; i < c->ncols; i++)
        if (!strcmp(c->head[i], col))
            return c->cell[r][i];
    ck_abort_msg("no column %s", col);
    return NULL;
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- tests ----------------------------------------------------------- */

START_TEST(output_parses_with_second_reader)
{
    char args[2048], out[512];
    const char *dir = tu_tmpdir();
    snprintf(args, sizeof args, "sweep %s --profiles a15,a16 --out %s/ok",
             tu_path("sweeps/table7.csv"), dir);
    char *err;
    ck_assert_int_eq(tu_run(args, NULL, &err), 0);
    free(err);
    snprintf(out, sizeof out, "%s/ok/table7.csv", dir);
    csv2 *c = read2(out);
    ck_assert_int_eq(c->nrows, 3 * 2); /* three models x two profiles */
    ck_assert_str_eq(cell(c, 0, "name"), "MobileLLM-125M");
    ck_assert_str_eq(cell(c, 1, "profile"), "a16");
    ck_assert_str_eq(cell(c, 2, "share"), "immediate");
    /* the 60-layer model executes 60 distinct layers, the LS model 2 x 30 */
    ck_assert_str_eq(cell(c, 4, "executed_layers"), "60");
    ck_assert_str_eq(cell(c, 4, "layers"), "60");
    ck_assert_str_eq(cell(c, 2, "layers"), "30");
    for (int r = 0; r < c->nrows; r++)
        ck_assert(atof(cell(c, r, "latency_ms_per_token")) > 0);
    free(c);
}
END_TEST

START_TEST(bad_row_reported_others_written)
{
    const char *dir = tu_tmpdir();
    char in[512], args[2048], out[512];
    snprintf(in, sizeof in, "%s/mixed.csv", dir);
    tu_write(in, "name,layers,dim,heads,share\n"
                 "good1,2,128,2,none\n"
                 "bad,2,128,3,none\n"            /* 3 does not divide 128 */
                 "good2,2,128,2,immediate\n"
                 "extra,2,128,2,none,7\n"        /* a field without a column */
                 "short,2,128,2\n"               /* a column without a field */
                 "\n"
                 "good3,4,\"128\",2,\n");
    snprintf(args, sizeof args, "sweep %s --out %s/mixed", in, dir);
    char *err;
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    char want[600];
    snprintf(want, sizeof want, "lanky: %s:3: ", in); /* each line as the contract says */
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    snprintf(want, sizeof want, "%s:5: ", in);
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    snprintf(want, sizeof want, "%s:6: 4 fields but the header has 5", in);
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    ck_assert_msg(!strstr(err, ":2: ") && !strstr(err, ":4: ") && !strstr(err, ":8: "),
                  "a good row was reported: %s", err);
    free(err);
    snprintf(out, sizeof out, "%s/mixed/mixed.csv", dir);
    csv2 *c = read2(out);
    ck_assert_int_eq(c->nrows, 3);
    ck_assert_str_eq(cell(c, 0, "name"), "good1");
    ck_assert_str_eq(cell(c, 1, "name"), "good2");
    ck_assert_str_eq(cell(c, 1, "executed_layers"), "4");
    ck_assert_str_eq(cell(c, 2, "name"), "good3");
    free(c);
    /* no good row: the closing line does not claim others were written */
    tu_write(in, "name,layers,dim,heads\nbad,2,128,3\n");
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "lanky: sweep: every row was bad"), "%s", err);
    free(err);
}
END_TEST

START_TEST(bad_header_writes_nothing)
{
    const char *dir = tu_tmpdir();
    char in[512], args[2048], out[512];
    snprintf(in, sizeof in, "%s/hdr.csv", dir);
    tu_write(in, "name,layers,dimm\nx,2,128\n");
    snprintf(out, sizeof out, "%s/hdr-out", dir);
    snprintf(args, sizeof args, "sweep %s --out %s", in, out);
    char *err;
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "hdr.csv:1: column 'dimm'"), "%s", err);
    free(err);
    ck_assert_int_eq(files_in(out), 0); /* no result, no temporary file */
}
END_TEST

START_TEST(unwritable_out_leaves_nothing)
{
    const char *dir = tu_tmpdir();
    char file[512], args[2048];
    snprintf(file, sizeof file, "%s/plain-file", dir);
    tu_write(file, "x\n");
    snprintf(args, sizeof args, "sweep %s --out %s/sub", tu_path("sweeps/table7.csv"),
             file);
    char *err;
    ck_assert_int_eq(tu_run(args, NULL, &err), 2); /* the user's --out is wrong */
    ck_assert_msg(strstr(err, "lanky: ") && strstr(err, "plain-file"), "%s", err);
    free(err);
    /* a missing profile fails before anything is written */
    snprintf(args, sizeof args, "sweep %s --profiles a15,nosuch --out %s/np",
             tu_path("sweeps/table7.csv"), dir);
    ck_assert_int_ne(tu_run(args, NULL, NULL), 0);
    snprintf(file, sizeof file, "%s/np", dir);
    ck_assert_int_eq(files_in(file), 0);
}
END_TEST

START_TEST(refuses_to_overwrite_its_input)
{
    const char *dir = tu_tmpdir();
    char in[512], args[2048];
    snprintf(in, sizeof in, "%s/self.csv", dir);
    tu_write(in, "layers,dim,heads\n2,128,2\n");
    snprintf(args, sizeof args, "sweep %s --out %s", in, dir);
    ck_assert_int_eq(tu_run(args, NULL, NULL), 2);
    csv2 *c = read2(in);
    ck_assert_int_eq(c->ncols, 3); /* still the sweep file */
    free(c);
}
END_TEST

/* Naming what does not exist is bad input: exit 2 and the name. */
START_TEST(missing_inputs_are_bad_input)
{
    char *err;
    ck_assert_int_eq(tu_run("sweep /nonexistent/s.csv --profiles a15", NULL, &err), 2);
    ck_assert_msg(strstr(err, "/nonexistent/s.csv:"), "%s", err);
    free(err);
    ck_assert_int_eq(tu_run("report /nonexistent/out", NULL, &err), 2);
    ck_assert_msg(strstr(err, "/nonexistent/out: not a folder"), "%s", err);
    free(err);
    /* a folder where a file belongs: fopen opens it, only reads fail */
    static const char *const takes_file[] = {
        "sweep %s --profiles a15",
        "sim --preset mobilellm-125m --profile %s/",
        "params --config %s",
    };
    for (int i = 0; i < 3; i++) {
        char args[1024];
        snprintf(args, sizeof args, takes_file[i], tu_tmpdir());
        ck_assert_int_eq(tu_run(args, NULL, &err), 2);
        ck_assert_msg(strstr(err, ": a folder, not a file"), "%s: %s", args, err);
        free(err);
    }
}
END_TEST

/* A report of a folder without sweep results, or without the paper's
 * tables, is refused before anything is written. */
START_TEST(report_needs_results_and_paper)
{
    char dir[512], args[1024], *err;
    snprintf(dir, sizeof dir, "%s/rep", tu_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(args, sizeof args, "report %s", dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "no sweep results"), "%s", err);
    free(err);
    ck_assert_int_eq(files_in(dir), 0);
    snprintf(args, sizeof args, "sweep %s --profiles a15 --out %s", tu_path("sweeps/table7.csv"),
             dir);
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "report %s --paper-data %s/none", dir, tu_tmpdir());
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "/none/") && strstr(err, "missing"), "%s", err);
    free(err);
}
END_TEST

/* A row naming both a preset and a config is refused, as on the command
 * line (one would silently replace the other); rows with one work. */
START_TEST(preset_and_config_refused)
{
    char in[512], cfg[512], args[1024], *out, *err;
    snprintf(cfg, sizeof cfg, "%s/c.json", tu_tmpdir());
    tu_write(cfg, "{\"hidden_size\": 128, \"num_hidden_layers\": 2, "
                  "\"num_attention_heads\": 2}");
    snprintf(in, sizeof in, "%s/both.csv", tu_tmpdir());
    tu_write(in, "name,preset,config\nboth,mobilellm-125m,c.json\n"
                 "p,mobilellm-125m,\nc,,c.json\n");
    snprintf(args, sizeof args, "sweep %s --format csv", in);
    ck_assert_int_eq(tu_run(args, &out, &err), 2);
    ck_assert_msg(strstr(err, "both.csv:2: preset, config: give one"), "%s", err);
    ck_assert_msg(strstr(out, "\np,,30,") && strstr(out, "\nc,,2,") && !strstr(out, "\nboth,"),
                  "%s", out);
    free(out);
    free(err);
}
END_TEST

/* Refused before anything is written: an empty --out, two sweep files
 * that would write one DIR/NAME.csv, and a name too long to keep whole
 * (cut short, two models' rows would merge in a report). */
START_TEST(sweep_refusals)
{
    const char *dir = tu_tmpdir();
    char a[512], b[512], args[2048], *out, *err;
    snprintf(a, sizeof a, "%s/x.csv", dir);
    mkdir(strcat(strcpy(b, dir), "/sub"), 0755);
    strcat(b, "/x.csv");
    tu_write(a, "name,layers,dim,heads\nfirst,2,64,4\n");
    tu_write(b, "name,layers,dim,heads\nsecond,3,64,4\n");
    snprintf(args, sizeof args, "sweep %s %s --out %s/two", a, b, dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--out would get x.csv from"), "%s", err);
    free(err);
    snprintf(args, sizeof args, "%s/two", dir);
    ck_assert_int_ne(access(args, F_OK), 0);
    snprintf(args, sizeof args, "sweep %s --out ''", a);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--out: empty value"), "%s", err);
    free(err);
    char name[70];
    memset(name, 'n', 64);
    name[64] = 0;
    snprintf(args, sizeof args, "name,layers,dim,heads\n%s,2,64,4\n%.63s,2,64,4\n", name, name);
    tu_write(a, args);
    snprintf(args, sizeof args, "sweep %s --format csv", a);
    ck_assert_int_eq(tu_run(args, &out, &err), 2);
    ck_assert_msg(strstr(err, "x.csv:2: name: longer than 63 characters"), "%s", err);
    ck_assert_msg(!strstr(err, "x.csv:3:") && strstr(out, "\nnnnn"), "%s", out);
    free(out);
    free(err);
}
END_TEST

/* Several sweep files are all run and written before any output is
 * replaced: a bad second file leaves the first's old output, and a write
 * that fails (a file-size limit standing in for a full disk) names the
 * file and leaves nothing. A NUL byte in a cell, a FIFO and an endless
 * device are refused in one line naming the file. */
START_TEST(whole_or_nothing_and_not_text)
{
    const char *dir = tu_tmpdir();
    char a[512], b[512], c[512], out[512], args[3000], *err, *text;
    snprintf(a, sizeof a, "%s/wa.csv", dir);
    snprintf(b, sizeof b, "%s/wb.csv", dir);
    snprintf(c, sizeof c, "%s/wc.csv", dir);
    snprintf(out, sizeof out, "%s/wout", dir);
    tu_write(a, "name,layers,dim,heads\nfirst,2,64,4\n");
    tu_write(b, "name,lay\n");
    mkdir(out, 0755);
    snprintf(args, sizeof args, "%s/wa.csv", out);
    tu_write(args, "old\n");
    snprintf(args, sizeof args, "sweep %s %s --profiles a15 --out %s", a, b, out);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "wb.csv:1: column 'lay'"), "%s", err);
    free(err);
    snprintf(args, sizeof args, "cat %s/wa.csv", out);
    tu_sh(args, &text, NULL);
    ck_assert_str_eq(text, "old\n");
    free(text);

    snprintf(args, sizeof args, "name,layers,dim,heads\n");
    for (int i = 0; i < 100; i++)
        snprintf(args + strlen(args), sizeof args - strlen(args), "r%d,2,64,4\n", i);
    tu_write(c, args);
    snprintf(args, sizeof args, "trap '' XFSZ; ulimit -f 8; \"$LANKY_BIN\" sweep %s %s "
             "--profiles a15 --out %s", a, c, out);
    ck_assert_int_eq(tu_sh(args, NULL, &err), 1);
    ck_assert_msg(strstr(err, "wout/wc.csv: write: File too large") &&
                  strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
    free(err);
    snprintf(args, sizeof args, "cat %s/wa.csv", out);
    tu_sh(args, &text, NULL);
    ck_assert_str_eq(text, "old\n");
    free(text);
    snprintf(args, sizeof args, "%s/wc.csv", out);
    ck_assert_int_ne(access(args, F_OK), 0);

    FILE *f = fopen(c, "w");
    ck_assert_ptr_nonnull(f);
    fwrite("name,layers,dim,heads\nx,2\0009,64,4\n", 1, 33, f);
    fclose(f);
    snprintf(b, sizeof b, "%s/fifo.csv", dir);
    ck_assert_int_eq(mkfifo(b, 0600), 0);
    const char *in[] = {c, b, "/dev/zero"};
    const char *what[] = {"wc.csv:2: a NUL byte", "fifo.csv: not a regular file",
                          "/dev/zero: not a regular file"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "sweep %s --profiles a15", in[i]);
        ck_assert_int_eq(tu_run(args, NULL, &err), 2);
        ck_assert_msg(strstr(err, what[i]) && strchr(err, '\n') == err + strlen(err) - 1,
                      "%s", err);
        free(err);
    }
}
END_TEST

/* lanky report reads every input before it writes: a malformed sweep
 * result or paper table is refused naming its file and line, and the
 * folder keeps only what was there (no table of a good input either). */
static const struct {
    const char *table2; /* the bad input, as DIR/table2.csv */
    const char *want;
} bad_results[] = {
    {"group,name,profile\n125M,x,\"a,15\"\n", "table2.csv:2: profile 'a,15' is not"},
    {"group,name\n125M,x,extra\n", "table2.csv:2: 3 fields but the header has 2"},
    {"group,,name\n125M,,x\n", "table2.csv:1: column 2: '' is not a column name"},
    {"group,name,group\n1,2,3\n", "table2.csv:1: column 'group' twice"},
    {"foo,bar\n1,2\n", "table2.csv: no column 'group'"},
    {"group,name,share,weight_bytes\n125M,x,none,12\n125M,y,none,abc\n",
     "table2.csv: row 2: weight_bytes: 'abc' is not a number"},
    {"group,name,share,weight_bytes\n125M,x,none,1e400\n", "'1e400' is not a number"},
};

START_TEST(report_refuses_bad_results)
{
    char dir[512], path[600], args[2048], *err;
    snprintf(dir, sizeof dir, "%s/bad%d", tu_tmpdir(), _i);
    snprintf(args, sizeof args, "sweep %s --profiles a15 --out %s",
             tu_path("sweeps/table7.csv"), dir);
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/table2.csv", dir);
    tu_write(path, bad_results[_i].table2);
    snprintf(args, sizeof args, "report %s", dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, bad_results[_i].want) && strchr(err, '\n') == err + strlen(err) - 1,
                  "%s", err);
    free(err);
    ck_assert_int_eq(files_in(dir), 2); /* table7.csv and table2.csv only */
}
END_TEST

/* A spreadsheet's byte order mark before the header is not part of the
 * first column's name. */
START_TEST(byte_order_mark_skipped)
{
    char in[512], args[1024], *out;
    snprintf(in, sizeof in, "%s/bom.csv", tu_tmpdir());
    tu_write(in, "\xEF\xBB\xBFname,layers,dim,heads\nbom,2,128,2\n");
    snprintf(args, sizeof args, "sweep %s --format csv", in);
    ck_assert_int_eq(tu_run(args, &out, NULL), 0);
    ck_assert_msg(strstr(out, "\nbom,"), "%s", out);
    free(out);
}
END_TEST

/* Whatever a spreadsheet ends its lines with (LF, CRLF or old Mac CR),
 * each bad row is reported at its own line and the good rows are read. */
static const char *const line_ends[] = {"\n", "\r\n", "\r"};

START_TEST(line_endings_keep_line_numbers)
{
    const char *nl = line_ends[_i];
    char in[512], text[512], args[1024], want[600], *out, *err;
    snprintf(in, sizeof in, "%s/ends.csv", tu_tmpdir());
    snprintf(text, sizeof text, "name,layers,dim,heads%sgood1,2,128,2%sbad,2,128,3%s%s"
             "\"two%sline\",2,128,3%sgood2,2,64,2%s", nl, nl, nl, nl, nl, nl, nl);
    tu_write(in, text);
    snprintf(args, sizeof args, "sweep %s --format csv", in);
    ck_assert_int_eq(tu_run(args, &out, &err), 2);
    snprintf(want, sizeof want, "lanky: %s:3: heads", in);
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    snprintf(want, sizeof want, "lanky: %s:5: heads", in); /* after a blank line */
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    ck_assert_msg(strstr(out, "\ngood1,") && strstr(out, "\ngood2,"), "%s", out);
    free(out);
    free(err);
}
END_TEST

/* A CR inside a quoted field of an LF file is data, not a line end: the
 * row after it keeps its line number. */
START_TEST(quoted_cr_is_not_a_line_end)
{
    char in[512], args[1024], want[600], *err;
    snprintf(in, sizeof in, "%s/qcr.csv", tu_tmpdir());
    tu_write(in, "name,layers,dim,heads\n\"a\rb\",2,128,2\nbad,2,128,3\n");
    snprintf(args, sizeof args, "sweep %s --format csv", in);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    snprintf(want, sizeof want, "lanky: %s:3: heads", in);
    ck_assert_msg(strstr(err, want), "no '%s' in: %s", want, err);
    free(err);
}
END_TEST

/* A size with no default and no value in a row is asked for as a sweep
 * gives it (a column), not as a command-line option. */
START_TEST(missing_size_names_column)
{
    char in[512], cfg[512], text[1024], args[1024], *err;
    snprintf(in, sizeof in, "%s/nodim.csv", tu_tmpdir());
    snprintf(cfg, sizeof cfg, "%s/nolayers.json", tu_tmpdir());
    tu_write(cfg, "{\"hidden_size\": 64, \"num_attention_heads\": 4}");
    snprintf(text, sizeof text, "name,layers,heads,config\nx,2,4,\ny,,,%s\n", cfg);
    tu_write(in, text);
    snprintf(args, sizeof args, "sweep %s --format csv", in);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, ":2: dim: missing (fill a dim column)"),
                  "%s", err);
    ck_assert_msg(strstr(err, "nolayers.json: num_hidden_layers: missing (fill a layers column)"),
                  "%s", err);
    ck_assert_msg(!strstr(err, "--"), "command-line wording: %s", err);
    free(err);
}
END_TEST

/* kv_cache_bytes against its closed form (README: the KV cache is f32
 * for f32 models, 2 bytes otherwise, int8 included; a token at position
 * ctx attends over ctx + 1 cached positions of every executed layer):
 * (ctx + 1) * 2 * kv_heads * head_dim * kv bytes * executed layers, with
 * every factor taken from the row as written here, not from lanky. The
 * presets' figures are also lanky bench's kv_read_bytes_per_token in the
 * README (11819520 and 23639040). */
static const struct {
    const char *row; /* name,preset,layers,dim,heads,kv_heads,head_dim,
                        share,repeat,dtype,seq_len,ctx */
    long long ctx, kv_heads, head_dim, kv_size, executed;
} kv_rows[] = {
    {"125m,mobilellm-125m,,,,,,,,,,", 512, 3, 64, 2, 30},
    {"ls125m,mobilellm-ls-125m,,,,,,,,,,", 512, 3, 64, 2, 60},
    {"f32,,3,128,8,2,,immediate,,f32,,100", 100, 2, 16, 4, 6},
    {"int8,,2,96,4,2,32,reverse,3,int8,,0", 0, 2, 32, 2, 6},
    {"bf16,,4,64,4,,,repeat-all-over,,bf16,128,127", 127, 4, 16, 2, 8},
};

START_TEST(kv_cache_bytes_closed_form)
{
    char in[512], args[1024], out[600], text[1024] =
        "name,preset,layers,dim,heads,kv_heads,head_dim,share,repeat,dtype,seq_len,ctx\n";
    int n = sizeof kv_rows / sizeof *kv_rows;
    for (int i = 0; i < n; i++)
        strcat(strcat(text, kv_rows[i].row), "\n");
    snprintf(in, sizeof in, "%s/kv.csv", tu_tmpdir());
    tu_write(in, text);
    snprintf(args, sizeof args, "sweep %s --out %s/kv", in, tu_tmpdir());
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(out, sizeof out, "%s/kv/kv.csv", tu_tmpdir());
    csv2 *c = read2(out);
    ck_assert_int_eq(c->nrows, n);
    for (int i = 0; i < n; i++) {
        long long want = (kv_rows[i].ctx + 1) * 2 * kv_rows[i].kv_heads *
                         kv_rows[i].head_dim * kv_rows[i].kv_size * kv_rows[i].executed;
        ck_assert_msg(atoll(cell(c, i, "kv_cache_bytes")) == want, "%s: %s, want %lld",
                      kv_rows[i].row, cell(c, i, "kv_cache_bytes"), want);
    }
    free(c);
}
END_TEST

/* The measured columns of sweep --measure against a relation of what
 * ref_bench times: tokens/s is 1000 / execute ms (closed form, up to the
 * columns' rounding). Load against init is not asserted: which is longer
 * depends on timing (load 50-150 ms against init 2-53 ms here, with or
 * without ASan), and a timed test can fail on a busy machine. */
START_TEST(measured_tokens_per_s_closed_form)
{
    char in[512], args[1024], out[600];
    snprintf(in, sizeof in, "%s/m.csv", tu_tmpdir());
    tu_write(in, "name,layers,dim,heads,vocab,seq_len,ctx\nsmall,2,128,4,1000,16,8\n");
    snprintf(args, sizeof args, "sweep %s --measure --tokens 2 --out %s/m", in, tu_tmpdir());
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(out, sizeof out, "%s/m/m.csv", tu_tmpdir());
    csv2 *c = read2(out);
    double load = atof(cell(c, 0, "measured_load_ms"));
    double init = atof(cell(c, 0, "measured_init_ms"));
    double exec = atof(cell(c, 0, "measured_execute_ms"));
    double tps = atof(cell(c, 0, "measured_tokens_per_s"));
    /* execute ms has 4 decimals and tokens/s 2: each off by up to half
     * its last digit (0.0414 ms is 0.12% uncertain) */
    double bound = 0.5e-4 / exec + 0.5e-2 / tps + 1e-9;
    ck_assert_msg(fabs(tps * exec / 1000 - 1) <= bound * 1.0001, "%g tokens/s x %g ms", tps,
                  exec);
    ck_assert_msg(load > 0 && init > 0, "load %g ms, init %g ms", load, init);
    free(c);
}
END_TEST

/* The latency sim_token pairs with a DRAM bandwidth of gbs and (> 0) a
 * compute rate of gflops, for s on p. */
static double paired_at(const arch_spec *s, const sim_profile *p, double gbs, double gflops)
{
    sim_opts o = {.mode = SIM_ANALYTIC, .paired_dram_gbs = gbs, .paired_gflops = gflops};
    sim_result x;
    lk_err e = {0};
    ck_assert_msg(sim_token(s, p, &o, &x, &e) == LK_OK, "%s", e.msg);
    return x.latency_paired_ms;
}

static double paired_ms(const arch_spec *s, const sim_profile *p, double gbs)
{
    return paired_at(s, p, gbs, 0);
}

/* The A15 profile, and s's unpaired token on it in *x. */
static sim_profile *a15_token(const arch_spec *s, sim_result *x)
{
    sim_profile *p;
    lk_err e = {0};
    ck_assert_msg(sim_profile_load(&p, "a15", &e) == LK_OK, "%s", e.msg);
    sim_opts o = {.mode = SIM_ANALYTIC};
    ck_assert_msg(sim_token(s, p, &o, x, &e) == LK_OK, "%s", e.msg);
    return p;
}

/* A measured row's prediction uses the bandwidth paired with it. At 1 and
 * 2 GB/s MobileLLM-125M on the A15 profile is DRAM-bound (its 250 MB of
 * weights against a 32 MB system cache, every operation's DRAM time far
 * above its compute and cache time), so the roofline's closed form holds:
 * the latency is the DRAM bytes over the bandwidth, and halves when the
 * bandwidth doubles (up to the few operations that read no DRAM: 1%).
 * At the profile's own sustained bandwidth it is sim_token's latency
 * exactly: only the bandwidth changes. */
START_TEST(paired_prediction_scales_with_bandwidth)
{
    arch_spec s = tu_spec("preset=mobilellm-125m ctx=16");
    sim_result x;
    sim_profile *p = a15_token(&s, &x);
    double one = paired_ms(&s, p, 1.0), two = paired_ms(&s, p, 2.0);
    double own = paired_ms(&s, p, p->dram_sustained_gbs);
    double bytes_ms = (double)(x.dram_read_bytes + x.dram_write_bytes) / 1e6; /* at 1 GB/s */
    ck_assert_msg(fabs(one / bytes_ms - 1) < 0.01, "%g ms at 1 GB/s, %g MB", one, bytes_ms);
    ck_assert_msg(fabs(one / two - 2) < 0.01, "%g ms at 1 GB/s, %g at 2", one, two);
    ck_assert_double_eq(own, x.latency_ms_per_token);
    sim_profile_free(p);
}
END_TEST

/* With a compute reading paired too, the prediction's MACs of the weight
 * type run at it: at 1e6 GB/s and 1 GFLOP/s MobileLLM-125M in f16 (its
 * attention's MACs f16 as well) is compute-bound on the A15 profile,
 * 2 x MACs / 1e9 s, and twice as fast at 2 GFLOP/s. */
START_TEST(paired_prediction_scales_with_compute)
{
    arch_spec s = tu_spec("preset=mobilellm-125m ctx=16");
    sim_result x;
    sim_profile *p = a15_token(&s, &x);
    double one = paired_at(&s, p, 1e6, 1.0), two = paired_at(&s, p, 1e6, 2.0);
    double macs_ms = 2.0 * (double)x.macs / 1e6; /* at 1 GFLOP/s */
    ck_assert_msg(fabs(one / macs_ms - 1) < 0.01, "%g ms at 1 GFLOP/s, %g ms of MACs", one,
                  macs_ms);
    ck_assert_msg(fabs(one / two - 2) < 0.01, "%g ms at 1 GFLOP/s, %g at 2", one, two);
    /* the time to first token too: the A15 has no matmul rate of its own,
     * so the chunks' products run at the paired rate as well */
    sim_opts po = {.mode = SIM_ANALYTIC, .paired_dram_gbs = 1e6, .paired_gflops = 1.0,
                   .prompt = 64};
    lk_err e = {0};
    ck_assert_msg(sim_token(&s, p, &po, &x, &e) == LK_OK, "%s", e.msg);
    double pf_ms = 2.0 * (double)x.prefill_macs / 1e6;
    ck_assert_msg(fabs(x.ttft_paired_ms / pf_ms - 1) < 0.01, "%g ms, %g ms of MACs",
                  x.ttft_paired_ms, pf_ms);
    ck_assert(x.ttft_ms < x.ttft_paired_ms / 10); /* the profile's own peak is far above */
    sim_profile_free(p);
}
END_TEST

/* sweep --measure --repeats 2: the repeat columns on every measured row,
 * latency_ms_paired on the rows of the profile named host (here a copy
 * of a15.ini) and only there. */
START_TEST(measured_rows_have_paired_columns)
{
    char in[512], host[512], args[2048], out[600];
    snprintf(in, sizeof in, "%s/p.csv", tu_tmpdir());
    tu_write(in, "name,layers,dim,heads,vocab,seq_len,ctx\nsmall,2,128,4,1000,16,8\n");
    snprintf(host, sizeof host, "%s/host.ini", tu_tmpdir());
    snprintf(args, sizeof args, "cp %s %s", tu_path("hw-profiles/a15.ini"), host);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "sweep %s --profiles %s,a16 --measure --tokens 1 --repeats 2 "
             "--out %s/p", in, host, tu_tmpdir());
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    snprintf(out, sizeof out, "%s/p/p.csv", tu_tmpdir());
    csv2 *c = read2(out);
    ck_assert_int_eq(c->nrows, 2);
    ck_assert_str_eq(cell(c, 0, "profile"), "host");
    for (int r = 0; r < 2; r++) {
        ck_assert_str_eq(cell(c, r, "repeats"), "2");
        ck_assert(atof(cell(c, r, "paired_dram_gbs")) > 0);
        ck_assert(atof(cell(c, r, "paired_gflops")) > 0);
        ck_assert(atof(cell(c, r, "execute_ms_median")) > 0);
    }
    ck_assert(atof(cell(c, 0, "latency_ms_paired")) > 0);
    ck_assert_str_eq(cell(c, 1, "latency_ms_paired"), "");
    free(c);
}
END_TEST

/* A measured sweep measures its models round-robin over the repeats, so
 * that a change of the machine's state between rounds hits every model
 * alike: the progress steps name round 1 of both rows, then round 2 of
 * both, then the profile rows. */
static char order[512];

static void record_step(void *ctx, int done, int total, const char *what)
{
    (void)ctx;
    size_t n = strlen(order);
    snprintf(order + n, sizeof order - n, "%d/%d %s;", done, total, what);
}

START_TEST(measured_sweep_is_round_robin)
{
    char in[512];
    snprintf(in, sizeof in, "%s/rr.csv", tu_tmpdir());
    tu_write(in, "name,layers,dim,heads,vocab,seq_len,ctx\n"
                 "a,2,64,4,97,16,8\nb,2,128,4,97,16,8\n");
    const char *profiles[] = {"a15"};
    sweep_opts o = {.profiles = profiles, .nprofiles = 1, .sim = {.mode = SIM_ANALYTIC},
                    .measure = true, .bench = {.threads = 1, .tokens = 1, .seed = 1, .repeat = 2},
                    .progress = record_step};
    lk_table *t;
    int status;
    lk_err e = {0};
    order[0] = 0;
    ck_assert_msg(sweep_run(in, &o, &t, &status, &e) == LK_OK, "%s", e.msg);
    ck_assert_int_eq(status, LK_OK);
    ck_assert_str_eq(order, "0/6 a measure;1/6 b measure;2/6 a measure;3/6 b measure;"
                            "4/6 a a15;5/6 b a15;");
    lk_table_free(t);
}
END_TEST

/* ---- shards and their merge ------------------------------------------ */

/* Whether files a and b have the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

/* The sweeps the shard tests run: a published table and a file with bad
 * rows between good ones (each bad row is its shard's to report). */
static const char *shard_inputs(void)
{
    static char args[2048];
    char in[512];
    snprintf(in, sizeof in, "%s/shardmix.csv", tu_tmpdir());
    tu_write(in, "name,layers,dim,heads,share\n"
                 "g1,2,128,2,none\n"
                 "bad,2,128,3,none\n"
                 "g2,2,128,2,immediate\n"
                 "g3,4,128,2,\n"
                 "g4,2,64,2,reverse\n");
    snprintf(args, sizeof args, "%s %s --profiles a15,a16,pixel8", tu_path("sweeps/table7.csv"),
             in);
    return args;
}

/* N = 1, 2, 3 shards (K/N: rows i with i % N == K - 1), merged, give the
 * files one run writes, byte for byte -- with the parts of N = 3 spread
 * over two folders, as shards run on two machines leave them. Only the
 * shard holding the bad row (data record 1: shard 2 of 2 and 3, shard 1
 * of 1) reports it and exits 2. */
START_TEST(shards_merge_to_one_run)
{
    const char *dir = tu_tmpdir(), *in = shard_inputs();
    char args[4096], a[600], b[600];
    snprintf(args, sizeof args, "sweep %s --out %s/one", in, dir);
    ck_assert_int_eq(tu_run(args, NULL, NULL), 2);
    for (int n = 1; n <= 3; n++) {
        for (int k = 1; k <= n; k++) {
            char *err;
            snprintf(args, sizeof args, "sweep %s --shard %d/%d --out %s/parts%d%s", in, k,
                     n, dir, n, n == 3 && k > 1 ? "b" : "");
            ck_assert_int_eq(tu_run(args, NULL, &err), k == (n > 1 ? 2 : 1) ? 2 : 0);
            ck_assert_msg(!!strstr(err, "shardmix.csv:3: ") == (k == (n > 1 ? 2 : 1)),
                          "shard %d/%d: %s", k, n, err);
            free(err);
        }
        snprintf(args, sizeof args, "sweep --merge %s/parts%d %s%s --out %s/merged%d", dir, n,
                 n == 3 ? dir : "", n == 3 ? "/parts3b" : "", dir, n);
        ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
        const char *names[] = {"table7", "shardmix"};
        for (int i = 0; i < 2; i++) {
            snprintf(a, sizeof a, "%s/one/%s.csv", dir, names[i]);
            snprintf(b, sizeof b, "%s/merged%d/%s.csv", dir, n, names[i]);
            ck_assert_msg(same_bytes(a, b), "%d shards: %s differs from %s", n, b, a);
        }
    }
    /* the parts read back: shard 2 of 3 holds records 1 and 4 (the bad one
     * and g4), 3 profile rows each for the good one */
    snprintf(a, sizeof a, "%s/parts3b/shardmix.shard-2-of-3.csv", dir);
    csv2 *c = read2(a);
    ck_assert_int_eq(c->nrows, 3);
    ck_assert_str_eq(c->head[0], "sweep_row");
    ck_assert_str_eq(cell(c, 0, "sweep_row"), "4");
    ck_assert_str_eq(cell(c, 2, "name"), "g4");
    free(c);
}
END_TEST

/* A merge that cannot be whole writes nothing and says why in one line,
 * exit 2: a missing part, one found twice, parts of different N, a row
 * not of its shard, a file that is no part; bad --shard values. */
START_TEST(merge_refusals)
{
    const char *dir = tu_tmpdir();
    char args[4096], path[600], *out, *err;
    for (int k = 1; k <= 2; k++) {
        snprintf(args, sizeof args, "sweep %s --profiles a15 --shard %d/2 --out %s/mr",
                 tu_path("sweeps/table7.csv"), k, dir);
        ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    }
    snprintf(args, sizeof args, "sweep %s --profiles a15 --shard 1/3 --out %s/mr3",
             tu_path("sweeps/table7.csv"), dir);
    ck_assert_int_eq(tu_run(args, NULL, NULL), 0);
    struct {
        const char *dirs, *want;
    } cases[] = {
        {"mr3", "table7: shard 2/3 missing (no table7.shard-2-of-3.csv in "},
        {"mr DIR/mr", "shard 1/2 of table7 is also "},
        {"mr DIR/mr3", "a part of 3 shards, but "},
        {"nothere", "nothere: No such file or directory"},
        {"mrbad", "mrbad/table7.shard-1-of-2.csv:3: sweep_row '1' is not a row of shard 1/2"},
        {"mrnot", "mrnot/x.shard-1-of-1.csv:1: not a shard's part"},
    };
    snprintf(path, sizeof path, "%s/mrbad", dir);
    mkdir(path, 0777);
    snprintf(args, sizeof args, "cp %s/mr/*.csv %s/mrbad/ && sed -i '3s/^2,/1,/' "
             "%s/mrbad/table7.shard-1-of-2.csv", dir, dir, dir);
    ck_assert_int_eq(system(args), 0);
    snprintf(path, sizeof path, "%s/mrnot", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/mrnot/x.shard-1-of-1.csv", dir);
    tu_write(path, "name,layers\na,2\n");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char dirs[1024] = "";
        for (const char *p = cases[i].dirs; *p; p++)
            if (!strncmp(p, "DIR", 3))
                strcat(dirs, dir), p += 2;
            else
                strncat(dirs, p, 1);
        snprintf(args, sizeof args, "sweep --merge %s/%s --out %s/mout%zu", dir, dirs, dir, i);
        ck_assert_int_eq(tu_run(args, &out, &err), 2);
        ck_assert_msg(strstr(err, cases[i].want) && strchr(err, '\n') == err + strlen(err) - 1,
                      "%s: %s", cases[i].dirs, err);
        ck_assert_str_eq(out, "");
        snprintf(path, sizeof path, "%s/mout%zu/table7.csv", dir, i);
        struct stat st;
        ck_assert_msg(stat(path, &st) != 0, "%s was written", path);
        free(out);
        free(err);
    }
    const char *bad[] = {"0/2", "3/2", "1/0", "1/2x", "a/b", "1/2000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "sweep %s --shard %s --out %s/x",
                 tu_path("sweeps/table7.csv"), bad[i], dir);
        ck_assert_int_eq(tu_run(args, NULL, &err), 2);
        ck_assert_msg(strstr(err, "--shard: "), "%s", err);
        free(err);
    }
    snprintf(args, sizeof args, "sweep %s --shard 1/2", tu_path("sweeps/table7.csv"));
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "needs --out"), "%s", err);
    free(err);
    snprintf(args, sizeof args, "sweep --merge %s/mr --profiles a15 --out %s/y", dir, dir);
    ck_assert_int_eq(tu_run(args, NULL, &err), 2);
    ck_assert_msg(strstr(err, "--profiles: --merge takes only"), "%s", err);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, output_parses_with_second_reader);
    tcase_add_test(tc, bad_row_reported_others_written);
    tcase_add_test(tc, bad_header_writes_nothing);
    tcase_add_test(tc, unwritable_out_leaves_nothing);
    tcase_add_test(tc, refuses_to_overwrite_its_input);
    tcase_add_test(tc, missing_inputs_are_bad_input);
    tcase_add_test(tc, report_needs_results_and_paper);
    tcase_add_test(tc, byte_order_mark_skipped);
    tcase_add_test(tc, preset_and_config_refused);
    tcase_add_test(tc, sweep_refusals);
    tcase_add_test(tc, whole_or_nothing_and_not_text);
    tcase_add_test(tc, missing_size_names_column);
    tcase_add_test(tc, quoted_cr_is_not_a_line_end);
    tcase_add_test(tc, kv_cache_bytes_closed_form);
    tcase_add_test(tc, measured_tokens_per_s_closed_form);
    tcase_add_test(tc, paired_prediction_scales_with_bandwidth);
    tcase_add_test(tc, paired_prediction_scales_with_compute);
    tcase_add_test(tc, measured_rows_have_paired_columns);
    tcase_add_test(tc, measured_sweep_is_round_robin);
    tcase_add_test(tc, shards_merge_to_one_run);
    tcase_add_test(tc, merge_refusals);
    tcase_add_loop_test(tc, line_endings_keep_line_numbers, 0,
                        sizeof line_ends / sizeof *line_ends);
    tcase_add_loop_test(tc, report_refuses_bad_results, 0,
                        sizeof bad_results / sizeof *bad_results);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
