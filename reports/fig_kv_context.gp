# fig_kv_context.gp -- share of a decode token's DRAM reads that is KV
# cache vs context length, for plain and layer-shared MobileLLM models, one
# panel per SoC. Data: fig_kv_context.csv (lanky report).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
models = "mobilellm-125m mobilellm-ls-125m mobilellm-350m mobilellm-ls-350m"
# 125M blue, 350M red; layer-shared dashed
set linetype 11 lc rgb "#1f77b4" pt 7 dt 1
set linetype 12 lc rgb "#1f77b4" pt 6 dt 2
set linetype 13 lc rgb "#d62728" pt 5 dt 1
set linetype 14 lc rgb "#d62728" pt 4 dt 2
sel(soc, m, v) = (strcol("profile") eq soc && strcol("name") eq m) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_kv_context' 1100 850
    set multiplot layout 2,2 title "KV-cache share of DRAM traffic vs context (f16)"
    set xlabel "context length (tokens)"
    set ylabel "KV cache / all DRAM reads (%)"
    set logscale x 2
    set xrange [48:2600]
    set key top left
    do for [soc in socs] {
        set title soc
        plot for [i=1:words(models)] 'fig_kv_context.csv' \
             using "context":(sel(soc, word(models, i), column("kv_share_pct"))) \
             with linespoints lt 10 + i title word(models, i)
    }
    unset multiplot
}
