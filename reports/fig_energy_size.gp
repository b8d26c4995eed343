# fig_energy_size.gp -- predicted energy per decode token vs parameters of
# the published models, one point set per SoC, beside the paper's rule of
# thumb (0.1 J per token per billion parameters = 0.1 mJ per million).
# Data: fig_energy_size.csv (lanky report).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
sel(soc, v) = strcol("profile") eq soc ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_energy_size' 900 600
    set title "Energy per token vs model size (published MobileLLM and SmolLM models, f16)"
    set xlabel "parameters (millions, paper convention)"
    set ylabel "energy per token (mJ)"
    set logscale xy
    set xrange [90:2000]
    set ytics (2, 5, 10, 20, 50, 100, 200, 500, 1000)
    set autoscale yfix
    set offsets 0, 0, graph 0.15, graph 0.05
    set key top left
    plot for [i=1:words(socs)] 'fig_energy_size.csv' \
             using "params_m":(sel(word(socs, i), column("energy_mj"))) \
             with points lt i title word(socs, i), \
         '' using "params_m":(sel(word(socs, 1), column("energy_mj"))):"name" \
             with labels left offset 1, 0 font ",8" tc rgb "#555555" notitle, \
         0.1 * x with lines lc rgb "#555555" dt 2 title "paper's rule: 0.1 J/token per 1B params"
}
