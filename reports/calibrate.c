/* calibrate.c -- sustained bandwidth and per-layer cost fitted to
 * measured decode times (see calibrate.h). */
#include "calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../arch/spec.h"
#include "../common/infile.h"
#include "../common/outfile.h"
#include "../sim/sim.h"
#include "csvin.h"
#include "rows.h"

/* Rows a measured file may have: a calibration is a handful of models. */
#define CALIB_MAX_ROWS 1000
/* A system whose determinant is below this fraction of the product of
 * its diagonal has (nearly) proportional columns: no unique fit. */
#define CALIB_SINGULAR 1e-9

int rep_calib_solve(const rep_calib_point *pts, int n, rep_calib_fit *fit, lk_err *e)
{
    if (n < 2)
        return lk_fail(e, LK_EINPUT, "%d measured model%s: a fit of bandwidth and "
                       "per-layer cost needs at least 2", n, n == 1 ? "" : "s");
    double dd = 0, dl = 0, ll = 0, dt = 0, lt = 0;
    for (int i = 0; i < n; i++) {
        const rep_calib_point *p = &pts[i];
        dd += p->dram_bytes * p->dram_bytes;
        dl += p->dram_bytes * p->layers;
        ll += p->layers * p->layers;
        dt += p->dram_bytes * p->ms;
        lt += p->layers * p->ms;
    }
    double det = dd * ll - dl * dl;
    if (!(det > CALIB_SINGULAR * dd * ll))
        return lk_fail(e, LK_EINPUT, "the measured models have the same DRAM bytes per "
                       "executed layer, so bandwidth and per-layer cost cannot be told "
                       "apart: measure models of different depth or width");
    double a = (dt * ll - dl * lt) / det; /* ms per byte */
    double f = (dd * lt - dl * dt) / det; /* ms per layer */
    fit->fixed_zero = f < 0;
    if (fit->fixed_zero) {
        f = 0;
        a = dt / dd;
    }
    if (!(a > 0))
        return lk_fail(e, LK_EINPUT, "the fit gives a non-positive bandwidth: the "
                       "measured times do not grow with the models' DRAM bytes");
    fit->gbs = 1 / (a * 1e6); /* t ms = D / (B GB/s * 1e9) * 1e3 */
    fit->layer_us = f * 1e3;
    double sq = 0;
    for (int i = 0; i < n; i++) {
        double r = rep_calib_residual_pct(&pts[i], fit);
        sq += r * r;
    }
    fit->rms_pct = sqrt(sq / n);
    return LK_OK;
}

double rep_calib_residual_pct(const rep_calib_point *p, const rep_calib_fit *fit)
{
    double t = p->dram_bytes / (fit->gbs * 1e6) + p->layers * fit->layer_us / 1e3;
    return 100 * (t - p->ms) / p->ms;
}

/* ---- reading the measurements ---------------------------------------- */

typedef struct {
    const char *path;
    const sim_profile *prof;
    int ncols;
    char **cols;          /* the header */
    int time_col;         /* column of the measured time */
    bool tokens_per_s;    /* llama-bench's avg_ts */
    int prompt_col;       /* llama-bench's n_prompt, or -1 */
    int name_col;         /* a row's name for the residuals, or -1 */
    rep_calib_point pts[CALIB_MAX_ROWS];
    char names[CALIB_MAX_ROWS][48];
    int n;
} reading;

static int col_of(const reading *r, const char *name)
{
    for (int i = 0; i < r->ncols; i++)
        if (!strcmp(r->cols[i], name))
            return i;
    return -1;
}

static int header(reading *r, long line, int n, char **f, lk_err *e)
{
    r->cols = calloc((size_t)n, sizeof *r->cols);
    if (!r->cols)
        return lk_fail(e, LK_ERUN, "out of memory");
    for (int i = 0; i < n; i++)
        if (!(r->cols[i] = strdup(f[i])))
            return lk_fail(e, LK_ERUN, "out of memory");
    r->ncols = n;
    static const char *const times[] = {"execute_ms_median", "measured_execute_ms",
                                        "avg_ts"};
    r->time_col = -1;
    for (int k = 0; k < 3 && r->time_col < 0; k++)
        if ((r->time_col = col_of(r, times[k])) >= 0)
            r->tokens_per_s = k == 2;
    if (r->time_col < 0)
        return lk_fail(e, LK_EINPUT, "%s:%ld: no measured time column "
                       "(execute_ms_median, measured_execute_ms or llama-bench's avg_ts)",
                       r->path, line);
    r->prompt_col = col_of(r, "n_prompt");
    r->name_col = col_of(r, "name");
    if (r->name_col < 0)
        r->name_col = col_of(r, "model_filename");
    return LK_OK;
}

static int row(void *ctx, long line, int n, char **f, lk_err *e)
{
    reading *r = ctx;
    if (!r->cols)
        return header(r, line, n, f, e);
    if (n != r->ncols)
        return lk_fail(e, LK_EINPUT, "%s:%ld: %d fields but the header has %d columns",
                       r->path, line, n, r->ncols);
    if (r->prompt_col >= 0 && strcmp(f[r->prompt_col], "0"))
        return LK_OK; /* a llama-bench prompt-processing row */
    if (r->n == CALIB_MAX_ROWS)
        return lk_fail(e, LK_EINPUT, "%s:%ld: more than %d measured models", r->path,
                       line, CALIB_MAX_ROWS);
    char *end;
    double t = strtod(f[r->time_col], &end);
    if (!*f[r->time_col] || *end || !(t > 0) || !isfinite(t))
        return lk_fail(e, LK_EINPUT, "%s:%ld: %s: '%s' is not a positive number",
                       r->path, line, r->cols[r->time_col], f[r->time_col]);
    arch_spec s;
    arch_spec_init(&s);
    int rc = LK_OK;
    /* "group" is a sweep's row label (reports/sweep.c), not int4's --group */
    for (int i = 0; !rc && i < n; i++)
        if (*f[i] && arch_spec_is_option(r->cols[i]) && strcmp(r->cols[i], "group"))
            rc = arch_spec_set(&s, r->cols[i], f[i], e);
    if (!rc)
        rc = rep_finish_row(&s, e);
    sim_opts o = {.mode = SIM_ANALYTIC};
    sim_result res;
    if (!rc)
        rc = sim_token(&s, r->prof, &o, &res, e);
    if (rc)
        return lk_prefix(e, "%s:%ld", r->path, line);
    rep_calib_point *p = &r->pts[r->n];
    p->dram_bytes = (double)(res.dram_read_bytes + res.dram_write_bytes);
    p->layers = (double)res.executed_layers;
    p->ms = r->tokens_per_s ? 1e3 / t : t;
    snprintf(r->names[r->n], sizeof r->names[0], "%s",
             r->name_col >= 0 && *f[r->name_col] ? f[r->name_col] : "row");
    for (char *c = r->names[r->n]; *c; c++)
        if (*c == ' ' || *c == '=' || *c == ';' || *c == '[' || *c == ']')
            *c = '_'; /* it becomes an INI key */
    r->n++;
    return LK_OK;
}

/* ---- writing the profile --------------------------------------------- */

/* Whether line (after leading space) sets key or one of its key.* notes. */
static bool sets(const char *line, const char *key)
{
    size_t k = strlen(key);
    return !strncmp(line, key, k) && (line[k] == '.' || line[k] == ' ' ||
                                      line[k] == '\t' || line[k] == '=');
}

/* The input profile line by line, with [dram] sustained_gbs and [compute]
 * layer_fixed_us replaced by the fit and any old [calibration] dropped;
 * then the new [calibration]. [dram]'s efficiencies go too: the fitted
 * bandwidth is what decode reaches, efficiency included, and would
 * otherwise be divided by it again (sim/profile.h, sim_efficiency). */
static int write_profile(FILE *in, FILE *out, const reading *r, const rep_calib_fit *fit,
                         const char *measured_csv)
{
    char line[4096], section[64] = "";
    while (fgets(line, sizeof line, in)) {
        const char *s = line + strspn(line, " \t");
        if (*s == '[') {
            snprintf(section, sizeof section, "%.*s", (int)strcspn(s + 1, "]"), s + 1);
            if (!strcmp(section, "calibration"))
                continue;
            fputs(line, out);
            if (!strcmp(section, "dram"))
                fprintf(out, "sustained_gbs = %.2f\nsustained_gbs.source = lanky calibrate: "
                        "least-squares fit to %d measured decode times in %s (see "
                        "[calibration])\n", fit->gbs, r->n, measured_csv);
            else if (!strcmp(section, "compute"))
                fprintf(out, "layer_fixed_us = %.2f\nlayer_fixed_us.source = lanky "
                        "calibrate: the same fit%s\n", fit->layer_us,
                        fit->fixed_zero ? " (its unconstrained value was negative: 0)" : "");
            continue;
        }
        if (!strcmp(section, "calibration") ||
            (!strcmp(section, "dram") && (sets(s, "sustained_gbs") ||
                                          !strncmp(s, "matvec_efficiency_", 18) ||
                                          sets(s, "attention_efficiency"))) ||
            (!strcmp(section, "compute") && sets(s, "layer_fixed_us")))
            continue;
        fputs(line, out);
    }
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    fprintf(out, "\n[calibration]\nfitted_to = %s (%d rows)\nmethod = least squares of "
            "t = DRAM bytes / sustained_gbs + executed layers x layer_fixed_us, DRAM "
            "bytes from lanky sim (analytic) on this profile\ndate = %s\n"
            "rms_residual_pct = %.2f\n", measured_csv, r->n, date, fit->rms_pct);
    for (int i = 0; i < r->n; i++)
        fprintf(out, "residual_pct.%d.%s = %+.2f\n", i + 1, r->names[i],
                rep_calib_residual_pct(&r->pts[i], fit));
    return ferror(in) ? LK_ERUN : LK_OK;
}

int rep_calibrate(const char *profile, const char *measured_csv, const char *out_ini,
                  lk_err *e)
{
    char path[4096];
    sim_profile *prof = NULL;
    reading *r = calloc(1, sizeof *r);
    if (!r)
        return lk_fail(e, LK_ERUN, "out of memory");
    r->path = measured_csv;
    int rc = sim_profile_find(path, sizeof path, profile, e);
    if (!rc)
        rc = sim_profile_load(&prof, path, e);
    r->prof = prof;
    if (!rc)
        rc = csvin_read(measured_csv, row, r, e);
    if (!rc && !r->cols)
        rc = lk_fail(e, LK_EINPUT, "%s: empty file (no header row)", measured_csv);
    rep_calib_fit fit;
    if (!rc && (rc = rep_calib_solve(r->pts, r->n, &fit, e)))
        lk_prefix(e, "%s", measured_csv);
    FILE *in = rc ? NULL : lk_infile_open(path, e);
    if (!rc && !in)
        rc = LK_EINPUT;
    lk_outfile o;
    if (in && !(rc = lk_outfile_open(&o, out_ini, e))) {
        if (write_profile(in, o.f, r, &fit, measured_csv)) {
            lk_outfile_abort(&o);
            rc = lk_fail(e, LK_ERUN, "%s: read error", path);
        } else
            rc = lk_outfile_commit(&o, e);
    }
    if (in)
        fclose(in);
    for (int i = 0; i < r->ncols; i++)
        free(r->cols[i]);
    free(r->cols);
    free(r);
    sim_profile_free(prof);
    return rc;
}
