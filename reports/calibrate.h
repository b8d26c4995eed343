/* calibrate.h -- a SoC profile fitted to decode times measured on the
 * user's own phone (`lanky calibrate`).
 *
 * A decode token on a phone's CPU is memory-bound, plus a cost per
 * executed layer that does not shrink with the layer (thread hand-offs,
 * small operations). So each measured row i is modelled as
 *
 *   t_i = D_i / B + L_i * f
 *
 * with D_i the DRAM bytes the simulator counts for that model on the
 * profile (read + written, one token), L_i its executed layers, B the
 * sustained DRAM bandwidth and f the fixed cost per layer. Linear least
 * squares in (1/B, f) has a closed form (the 2x2 normal equations); a
 * negative f is not physical, so then f = 0 and 1/B = sum(D t) / sum(D^2).
 * The fitted B and f become the profile's [dram] sustained_gbs and
 * [compute] layer_fixed_us, which `lanky sim` uses beside the compute and
 * cache rooflines; the profile records what it was fitted to in a
 * [calibration] section.
 *
 *   rep_calib_point pts[n] = {{D, L, t}, ...};
 *   rep_calib_fit fit;
 *   rep_calib_solve(pts, n, &fit, &e);
 *   rep_calibrate("a15", "measured.csv", "my-a15.ini", &e);  the command
 *
 * Measured files are CSV with one model per row: the spec's columns (as
 * in a sweep file: layers, dim, ... or preset, or config = a config.json
 * path) and its measured decode time, in the first column present of
 *   execute_ms_median, measured_execute_ms   lanky bench / a measured sweep
 *   avg_ts                                   llama-bench (tokens/s; rows
 *                                            with n_prompt > 0 skipped)
 */
#ifndef REPORTS_CALIBRATE_H
#define REPORTS_CALIBRATE_H

#include <stdbool.h>

#include "../common/err.h"

typedef struct {
    double dram_bytes; /* D: one token's DRAM bytes on the profile */
    double layers;     /* L: executed layers */
    double ms;         /* t: measured decode time per token */
} rep_calib_point;

typedef struct {
    double gbs;         /* B, GB/s (1e9 bytes) */
    double layer_us;    /* f, microseconds */
    bool fixed_zero;    /* the unconstrained f was negative: fitted with f = 0 */
    double rms_pct;     /* root mean square of the residuals, percent */
} rep_calib_fit;

/* The fit of n points. LK_EINPUT with the reason for fewer than 2 points,
 * a singular system (every model has the same bytes per layer, so bytes
 * and layers cannot be told apart) or a non-positive bandwidth. */
int rep_calib_solve(const rep_calib_point *pts, int n, rep_calib_fit *fit, lk_err *e);

/* Residual of point p under fit, in percent of its measurement. */
double rep_calib_residual_pct(const rep_calib_point *p, const rep_calib_fit *fit);

/* Fit profile (a name or a path) to measured_csv and write the fitted
 * profile to out_ini, whole or not at all. */
int rep_calibrate(const char *profile, const char *measured_csv, const char *out_ini,
                  lk_err *e);

#endif
