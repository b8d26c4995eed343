# fig_pareto.gp -- paper accuracy vs predicted latency of the Table 9 grid,
# one panel per SoC, with each SoC's Pareto front. Data: fig_pareto.csv
# (lanky report). Run in reports/out; socs = the SoC profiles.
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
sel(soc, kind, grp, v) = (strcol("profile") eq soc && strcol("kind") eq kind && \
                          (grp eq "" || strcol("group") eq grp)) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_pareto' 1100 850
    set multiplot layout 2,2 title "Accuracy vs predicted decode latency (Table 9 grid, f16, context position 512)"
    set xlabel "predicted latency per token (ms)"
    set ylabel "paper avg. zero-shot accuracy (%)"
    set key bottom right
    do for [soc in socs] {
        set title soc
        plot 'fig_pareto.csv' using (sel(soc, "model", "125M", column("latency_ms"))):"accuracy" \
                 with points lt 1 title "125M class", \
             '' using (sel(soc, "model", "350M", column("latency_ms"))):"accuracy" \
                 with points lt 2 title "350M class", \
             '' using (sel(soc, "front", "", column("latency_ms"))):"accuracy" \
                 with lines lt 3 dt 2 title "Pareto front"
    }
    unset multiplot
}
