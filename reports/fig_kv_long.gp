# fig_kv_long.gp -- decode latency per token (top row) and the KV cache's
# share of its DRAM reads (bottom row) vs context length, for a
# MobileLLM-R1-140M-like shape to 32k and a MobileLLM-Pro-like shape to
# 128k, full attention and windowed (--window 512 --global-every 4), one
# column per SoC. Data: fig_kv_long.csv (lanky report, sweeps/context_long.csv).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
models = "R1-140M-full R1-140M-window512 Pro-full Pro-window512"
# R1-140M blue, Pro red; windowed dashed
set linetype 11 lc rgb "#1f77b4" pt 7 dt 1
set linetype 12 lc rgb "#1f77b4" pt 6 dt 2
set linetype 13 lc rgb "#d62728" pt 5 dt 1
set linetype 14 lc rgb "#d62728" pt 4 dt 2
sel(soc, m, v) = (strcol("profile") eq soc && strcol("name") eq m) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_kv_long' 1700 850
    set multiplot layout 2,words(socs) title "Decode cost vs long context (analytic)"
    set xlabel "context length (tokens)"
    set logscale x 2
    set xrange [400:160000]
    set xtics ("512" 512, "1k" 1024, "2k" 2048, "4k" 4096, "8k" 8192, "16k" 16384, \
               "32k" 32768, "64k" 65536, "128k" 131072)
    set key top left
    do for [soc in socs] {
        set title soc
        set ylabel "latency per token (ms)"
        plot for [i=1:words(models)] 'fig_kv_long.csv' \
             using "context":(sel(soc, word(models, i), column("latency_ms"))) \
             with linespoints lt 10 + i title word(models, i)
    }
    do for [soc in socs] {
        set title soc
        set ylabel "KV cache / all DRAM reads (%)"
        plot for [i=1:words(models)] 'fig_kv_long.csv' \
             using "context":(sel(soc, word(models, i), column("kv_share_pct"))) \
             with linespoints lt 10 + i title word(models, i)
    }
    unset multiplot
}
