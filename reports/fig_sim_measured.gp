# fig_sim_measured.gp -- lanky's predicted latency for the host profile vs
# the latency measured on the host by the reference transformer, with one
# standard deviation of the repeated measurement as an error bar (0 when
# the row was timed once). Data: fig_sim_measured.csv (lanky report).
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_sim_measured' 800 700
    set title "Predicted vs measured decode latency on this machine"
    set xlabel "predicted latency per token, host profile (ms)"
    set ylabel "measured latency per token (ms)"
    set logscale xy
    set xtics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
    set ytics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
    set size square
    set key top left
    # the same range on both axes, so the diagonal is the diagonal
    stats 'fig_sim_measured.csv' using "predicted_ms":"measured_ms" nooutput
    lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.3
    hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.3
    set xrange [lo:hi]
    set yrange [lo:hi]
    plot 'fig_sim_measured.csv' using "predicted_ms":"measured_ms":"measured_std_ms" with yerrorbars lt 1 title "measured models (+- 1 s.d.)", \
         x with lines lc rgb "#555555" dt 2 title "prediction = measurement"
}
