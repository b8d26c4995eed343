# style.gp -- look shared by the report's figures (loaded by fig_*.gp).
#   call 'style.gp' 'png'|'svg' 'fig_name' 'width' 'height'
# sets the terminal and output file; run from reports/out.
if (ARG1 eq "png") {
    set terminal pngcairo enhanced size ARG3, ARG4 font "DejaVu Sans,11" linewidth 1.5
} else {
    set terminal svg enhanced size ARG3, ARG4 font "DejaVu Sans,11" linewidth 1.5 dynamic
}
set output ARG2 . "." . ARG1
set datafile separator ","
set datafile columnheaders
set grid lc rgb "#dddddd"
set key box opaque samplen 2 spacing 1.1
set linetype 1 lc rgb "#1f77b4" pt 7 ps 0.9
set linetype 2 lc rgb "#d62728" pt 5 ps 0.9
set linetype 3 lc rgb "#2ca02c" pt 9 ps 1.0
set linetype 4 lc rgb "#ff7f0e" pt 11 ps 1.0
set linetype 5 lc rgb "#9467bd" pt 13 ps 1.0
