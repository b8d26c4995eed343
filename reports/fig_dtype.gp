# fig_dtype.gp -- decode latency (top row) and energy (bottom row) per token
# against parameters for the models phones ship, one line per weight type
# (f16, int8, int4), one column per SoC. Data: fig_dtype.csv (lanky
# report, sweeps/dtypes.csv).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
types = "f16 int8 int4"
sel(soc, d, v) = (strcol("profile") eq soc && strcol("group") eq d) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_dtype' 1700 850
    set multiplot layout 2,words(socs) title "Decode cost by weight type (analytic)"
    set xlabel "parameters (millions)"
    set logscale xy
    set xrange [100:1500]
    set key top left
    do for [soc in socs] {
        set title soc
        set ylabel "latency per token (ms)"
        plot for [i=1:words(types)] 'fig_dtype.csv' \
             using "params_m":(sel(soc, word(types, i), column("latency_ms"))) \
             with points lt i title word(types, i)
    }
    do for [soc in socs] {
        set title soc
        set ylabel "energy per token (mJ)"
        plot for [i=1:words(types)] 'fig_dtype.csv' \
             using "params_m":(sel(soc, word(types, i), column("energy_mj"))) \
             with points lt i title word(types, i)
    }
    unset multiplot
}
