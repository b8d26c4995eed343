# fig_ttft.gp -- predicted time to first token against the prompt's
# length, one line per model, one panel per SoC. Data: fig_ttft.csv
# (lanky report, sweeps/prompts.csv).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
models = "R1-140M Qwen2.5-0.5B R1-950M Llama-3.2-1B"
sel(soc, m, v) = (strcol("profile") eq soc && strcol("name") eq m) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_ttft' 1700 450
    set multiplot layout 1,words(socs) title "Time to first token vs prompt length (f16, analytic)"
    set xlabel "prompt (tokens)"
    set ylabel "time to first token (ms)"
    set logscale xy
    set xrange [24:2800]
    set xtics (32, 64, 128, 256, 512, 1024, 2048)
    set key top left
    do for [soc in socs] {
        set title soc
        plot for [i=1:words(models)] 'fig_ttft.csv' \
             using "prompt":(sel(soc, word(models, i), column("ttft_ms"))) \
             with linespoints lt i title word(models, i)
    }
    unset multiplot
}
