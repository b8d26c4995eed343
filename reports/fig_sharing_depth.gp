# fig_sharing_depth.gp -- DRAM bytes read per decode token vs distinct
# layers of MobileLLM-125M's block shape, per sharing strategy, one panel
# per SoC. Data: fig_sharing_depth.csv (lanky report).
if (!exists("socs")) socs = "a15 a16 pixel8 snapdragon8"
shares = "none immediate repeat-all-over reverse"
sel(soc, share, v) = (strcol("profile") eq soc && strcol("share") eq share) ? v : NaN
do for [fmt in "png svg"] {
    call 'style.gp' fmt 'fig_sharing_depth' 1100 850
    set multiplot layout 2,2 title "DRAM traffic per token vs depth (576-dim blocks, f16, repeat 2 when shared)"
    set xlabel "distinct layers (weights)"
    set ylabel "DRAM read per token (MB)"
    set key top left
    do for [soc in socs] {
        set title soc
        plot for [i=1:words(shares)] 'fig_sharing_depth.csv' \
             using "layers":(sel(soc, word(shares, i), column("dram_mb"))) \
             with linespoints lt i title word(shares, i)
    }
    unset multiplot
}
